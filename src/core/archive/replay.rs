//! What an event stream missed, read back from the archives: a client that reconnects
//! with `Last-Event-ID` gets every item after that id that the stream carries (one-to-one
//! chat messages addressed to the user, from the user's archive; messages and
//! affiliation changes of the rooms the user is in, from their archives), in archive-id
//! order, before the live stream goes on.
//!
//! Archive ids come from one generator for every archive (`archive::IdGen`), so one id
//! orders the user's archive and the rooms' together, and a page of the replay is a
//! merge of bounded queries on each of them.
//!
//! No gap, no duplicate, at the seam with the live stream:
//! 1. The stream's session is registered first; from then on, everything delivered to
//!    the user reaches it live. Delivery looks up sessions only once a message is
//!    durable, so whatever the live stream misses was committed before registration,
//!    with an id no greater than the newest one issued then.
//! 2. [`Replay::start`] (after registration) takes that newest id as the end of the
//!    replay (`until`), and the user's rooms as the archives to read.
//! 3. [`Replay::next`] reads pages up to `until`, never beyond the settled id (an id
//!    still being written may not be passed: it could appear behind the cursor); it
//!    waits a little for ids issued before registration to settle.
//! 4. The live events the replay already gave ([`Replay::covers`]: an id up to `until`
//!    from an archive it read, or up to the client's own id) are skipped; the others go
//!    out.
//!
//! Rooms are those the user is in when the stream opens: a room left meanwhile is not
//! replayed (the room list says so); a room joined meanwhile is replayed from the
//! client's id, like its history.

use super::ChatItem;
use crate::core::muc_light::RoomItem;
use crate::core::untrusted::Untrusted;
use crate::core::Core;
use crate::store::{ArchiveQuery, ArchivedMessage, StoreError};
use jid::BareJid;
use std::time::{Duration, Instant};

/// Rows read from each archive per page.
const PAGE: usize = 100;
/// How often to look again while ids issued before the stream opened are still being
/// written.
const SETTLE_POLL: Duration = Duration::from_millis(2);
/// How long to wait for them at most. A write takes milliseconds; one that takes longer
/// than this is stuck, and its items are left to the live stream.
const SETTLE_WAIT: Duration = Duration::from_secs(10);

/// One replayed item, with its archive id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missed {
    /// A one-to-one chat message (`event: message`).
    Chat(ChatItem),
    /// A room event, its `room` set (`event: room.message`).
    Room(RoomItem),
}

impl Missed {
    pub fn archive_id(&self) -> &str {
        match self {
            Missed::Chat(c) => &c.archive_id,
            Missed::Room(r) => &r.archive_id,
        }
    }
}

/// An archive the replay reads.
#[derive(Debug, Clone)]
enum Source {
    /// The user's own archive (with `mod_mam`): the messages addressed to the user.
    User(BareJid),
    /// A room's archive: everything in it.
    Room(BareJid),
}

impl Source {
    fn owner(&self) -> &BareJid {
        match self {
            Source::User(j) | Source::Room(j) => j,
        }
    }

    fn read(&self, row: &ArchivedMessage) -> Option<Missed> {
        match self {
            Source::User(user) => ChatItem::from_archived(row)
                .filter(|item| item.to == user.as_str())
                .map(Missed::Chat),
            Source::Room(room) => RoomItem::from_archived(row).map(|item| {
                Missed::Room(RoomItem {
                    room: room.node().map(|n| n.as_str().to_owned()),
                    ..item
                })
            }),
        }
    }
}

/// A resuming stream's replay, and afterwards what it tells about live events.
#[derive(Debug)]
pub struct Replay {
    sources: Vec<Source>,
    /// The client's `Last-Event-ID`: it has everything up to here.
    after: i64,
    /// Every archive has been read up to here.
    read_through: i64,
    /// The replay ends here: anything newer reaches the stream live.
    until: i64,
    /// Since when the replay waits for ids to settle.
    waiting_since: Option<Instant>,
}

impl Replay {
    /// Prepares the replay of what came after `after`, for a stream of `user` whose
    /// session is registered already.
    pub async fn start(core: &Core, user: &BareJid, after: i64) -> Result<Replay, StoreError> {
        let until = core.archive_watermarks().await.1;
        let mut sources = Vec::new();
        if core.settings.archive {
            sources.push(Source::User(user.clone()));
        }
        if core.muc_light.is_some() {
            for room in core.stores.rooms.rooms_of(user.as_str()).await? {
                match crate::core::jid::parse_bare(&room.jid) {
                    Ok(jid) => sources.push(Source::Room(jid)),
                    Err(_) => {
                        tracing::warn!(room = %Untrusted(&room.jid), "stored room JID does not parse; not replayed")
                    }
                }
            }
        }
        Ok(Replay {
            // Nothing to read: nothing to wait for, nothing covered beyond `after`.
            until: if sources.is_empty() { after } else { until },
            sources,
            after,
            read_through: after,
            waiting_since: None,
        })
    }

    /// The next items in archive-id order (a page's worth at most, never empty), or
    /// `None` once the replay is over.
    pub async fn next(&mut self, core: &Core) -> Result<Option<Vec<Missed>>, StoreError> {
        loop {
            if self.read_through >= self.until {
                return Ok(None);
            }
            let settled = core.archive_watermarks().await.0.min(self.until);
            if settled <= self.read_through {
                let since = *self.waiting_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SETTLE_WAIT {
                    tracing::warn!(
                        read_through = self.read_through,
                        until = self.until,
                        "archive writes did not settle; the rest is left to the live stream"
                    );
                    // Live events beyond this point were not replayed: none is skipped.
                    self.until = self.read_through;
                    return Ok(None);
                }
                tokio::time::sleep(SETTLE_POLL).await;
                continue;
            }
            self.waiting_since = None;
            let (items, read_through) = self.page(core, settled).await?;
            self.read_through = read_through;
            if !items.is_empty() {
                return Ok(Some(items));
            }
        }
    }

    /// Reads every archive from `read_through` up to `through` (all settled), a page of
    /// each; returns the items up to the point every archive was read to, in id order,
    /// and that point.
    async fn page(&self, core: &Core, through: i64) -> Result<(Vec<Missed>, i64), StoreError> {
        let mut bound = through;
        let mut rows: Vec<(usize, ArchivedMessage)> = Vec::new();
        for (i, source) in self.sources.iter().enumerate() {
            let query = ArchiveQuery {
                owner: source.owner().to_string(),
                after_id: Some(self.read_through),
                before_id: Some(through.saturating_add(1)),
                limit: PAGE,
                newest_first: false,
                ..Default::default()
            };
            let got = core.stores.archive.archive_query(query).await?;
            if got.len() == PAGE {
                // This archive may have more: the others are only merged up to here.
                if let Some(last) = got.last() {
                    bound = bound.min(last.id);
                }
            }
            rows.extend(got.into_iter().map(|r| (i, r)));
        }
        rows.retain(|(_, r)| r.id <= bound);
        rows.sort_by_key(|(_, r)| r.id);
        let items = rows.iter().filter_map(|(i, row)| self.sources[*i].read(row)).collect();
        Ok((items, bound))
    }

    /// Whether a live event with archive id `id` (0: not archived), from the room
    /// `room` (a bare JID) or from the user's archive (`None`), was replayed already or
    /// is one the client had: such an event is not sent again.
    pub fn covers(&self, id: i64, room: Option<&str>) -> bool {
        if id <= 0 {
            return false;
        }
        if id <= self.after {
            return true;
        }
        id <= self.until
            && self.sources.iter().any(|s| match (s, room) {
                (Source::User(_), None) => true,
                (Source::Room(r), Some(room)) => r.as_str() == room,
                _ => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::muc_light::{self, ConfigFields};
    use crate::core::testkit::Harness;
    use std::collections::BTreeSet;

    fn bare(jid: &str) -> BareJid {
        BareJid::new(jid).unwrap()
    }

    async fn everything(core: &Core, replay: &mut Replay) -> Vec<Missed> {
        let mut out = Vec::new();
        while let Some(page) = replay.next(core).await.unwrap() {
            assert!(!page.is_empty());
            out.extend(page);
        }
        out
    }

    fn body(m: &Missed) -> String {
        match m {
            Missed::Chat(c) => c.body.clone(),
            Missed::Room(r) => r.body.clone().unwrap_or_else(|| format!("{:?}", r.user)),
        }
    }

    #[tokio::test]
    async fn a_replay_merges_the_users_and_the_rooms_archives_in_id_order_after_the_given_id() {
        let h = Harness::new(&["alice", "bob", "carol"]).await;
        let core = &h.core;
        let (alice, bob) = (bare("alice@localhost"), bare("bob@localhost"));
        let room = muc_light::create(
            core,
            &alice,
            None,
            ConfigFields::default(),
            &[("bob@localhost".into(), Some(crate::store::Affiliation::Member))],
            None,
        )
        .await
        .unwrap();
        let room = bare(&room.jid);
        let mut sent = Vec::new();
        // More than a page of each, interleaved, many of them in one millisecond.
        for i in 0..(PAGE + 30) {
            let text = format!("m{i}");
            if i % 3 == 0 {
                let msg = muc_light::room_message(Some(text.clone()), false, None);
                muc_light::send(core, &alice, &room, &msg).await.unwrap();
            } else {
                let from = if i % 3 == 1 { "alice" } else { "carol" };
                crate::core::im::messages::send_chat(
                    core,
                    &bare(&format!("{from}@localhost")),
                    "bob@localhost",
                    text.clone(),
                )
                .await
                .unwrap();
            }
            sent.push(text);
            // Bob's own messages are in his archive but were never his stream's.
            if i == 5 {
                crate::core::im::messages::send_chat(core, &bob, "alice@localhost", "from bob".into())
                    .await
                    .unwrap();
            }
        }

        let mut replay = Replay::start(core, &bob, 0).await.unwrap();
        let all = everything(core, &mut replay).await;
        let ids: Vec<i64> = all.iter().map(|m| m.archive_id().parse().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        let bodies: Vec<String> = all.iter().map(body).collect();
        // The room's two creation entries, then every message in order.
        assert_eq!(bodies.len(), sent.len() + 2, "{bodies:?}");
        assert_eq!(&bodies[2..], &sent[..]);
        assert!(all[..2]
            .iter()
            .all(|m| matches!(m, Missed::Room(r) if r.kind == "affiliation")));
        assert!(all.iter().all(|m| match m {
            Missed::Room(r) => r.room.as_deref() == room.node().map(|n| n.as_str()),
            Missed::Chat(c) => c.to == "bob@localhost",
        }));

        // From the middle: exactly the rest.
        let middle = ids[60];
        let mut replay = Replay::start(core, &bob, middle).await.unwrap();
        let rest: Vec<i64> = everything(core, &mut replay)
            .await
            .iter()
            .map(|m| m.archive_id().parse().unwrap())
            .collect();
        assert_eq!(rest, ids[61..]);

        // Live events up to the end of the replay are covered, from the archives it read.
        let last = *ids.last().unwrap();
        assert!(replay.covers(last, None));
        assert!(replay.covers(last, Some(room.as_str())));
        assert!(!replay.covers(last, Some("elsewhere@muclight.localhost")));
        assert!(
            replay.covers(middle, Some("elsewhere@muclight.localhost")),
            "the client had it"
        );
        assert!(!replay.covers(last + 1, None));
        assert!(!replay.covers(0, None), "unarchived events always go out");
    }

    #[tokio::test]
    async fn a_replay_waits_for_ids_issued_before_it_started_and_never_passes_an_unsettled_one() {
        let h = Harness::new(&["alice", "bob"]).await;
        let core = &h.core;
        let bob = bare("bob@localhost");
        crate::core::im::messages::send_chat(core, &bare("alice@localhost"), "bob@localhost", "one".into())
            .await
            .unwrap();
        // An id issued and not yet written: the replay must wait for it.
        let reserved = core.archive.ids.reserve(crate::core::archive::now_ms(), 1);
        let pending = reserved.ids[0];
        let mut replay = Replay::start(core, &bob, 0).await.unwrap();
        let first = replay.next(core).await.unwrap().unwrap();
        assert_eq!(first.iter().map(body).collect::<Vec<_>>(), ["one"]);
        let shared = h.core.clone();
        let waiting = tokio::spawn(async move {
            let rest = everything(&shared, &mut replay).await;
            (rest, replay)
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the replay waits for the pending id");
        drop(reserved);
        let (rest, replay) = waiting.await.unwrap();
        assert!(rest.is_empty(), "{rest:?}");
        assert!(replay.covers(pending, None));
        let seen: BTreeSet<i64> = first.iter().map(|m| m.archive_id().parse().unwrap()).collect();
        assert!(seen.iter().all(|id| *id < pending));
    }
}
