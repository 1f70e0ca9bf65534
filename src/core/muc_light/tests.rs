//! Rooms in process, on in-memory storage: the MUC Light protocol as an XMPP client sees
//! it, and the typed operations the REST door uses, on the same rooms.

use super::*;
use crate::core::testkit::{Client, Harness};
use crate::store::{Affiliation, ArchiveQuery};

const ROOM: &str = "coven@muclight.localhost";

fn bare(jid: &str) -> BareJid {
    BareJid::new(jid).unwrap()
}

/// The `<x xmlns='…#affiliations'>` users of a notice, as (user, affiliation).
fn affiliation_users(notice: &Element) -> Vec<(String, String)> {
    notice
        .child("x", ns::MUCLIGHT_AFFILIATIONS)
        .map(|x| {
            x.elements()
                .filter(|u| u.name == "user")
                .map(|u| (u.text(), u.attr("affiliation").unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn x_child(notice: &Element, name: &str) -> Option<String> {
    notice
        .child("x", ns::MUCLIGHT_AFFILIATIONS)
        .or_else(|| notice.child("x", ns::MUCLIGHT_CONFIGURATION))
        .and_then(|x| x.elements().find(|e| e.name == name))
        .map(Element::text)
}

fn pair(user: &str, affiliation: &str) -> (String, String) {
    (user.to_owned(), affiliation.to_owned())
}

/// Alice creates `ROOM` over XMPP with bob as a member; everyone's queues are emptied.
async fn coven(h: &Harness) -> (Client, Client) {
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(
        &alice,
        &format!(
            "<iq id='c1' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#create'>\
             <configuration><roomname>A Dark Cave</roomname></configuration>\
             <occupants><user affiliation='member'>bob@localhost</user></occupants></query></iq>"
        ),
    )
    .await;
    alice.take();
    bob.take();
    (alice, bob)
}

async fn stored(h: &Harness) -> Option<Room> {
    h.stores.rooms.room(ROOM).await.unwrap()
}

#[tokio::test]
async fn creating_a_room_over_xmpp_tells_each_occupant_then_answers_from_the_room() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(
        &alice,
        &format!(
            "<iq id='c1' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#create'>\
             <configuration><roomname>A Dark Cave</roomname></configuration>\
             <occupants><user affiliation='member'>Bob@LocalHost</user></occupants></query></iq>"
        ),
    )
    .await;
    let got = alice.take();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(affiliation_users(&got[0]), [pair("alice@localhost", "owner")]);
    assert_eq!(got[0].attr("from"), Some(ROOM));
    assert_eq!(got[0].attr("id"), Some("c1"));
    assert_eq!((got[1].attr("type"), got[1].attr("from")), (Some("result"), Some(ROOM)));
    assert_eq!(affiliation_users(&bob.take_one()), [pair("bob@localhost", "member")]);
    let room = stored(&h).await.unwrap();
    assert_eq!((room.name.as_str(), room.subject.as_str()), ("A Dark Cave", ""));
    assert_eq!(room.occupants.len(), 2);

    assert_eq!(
        h.error_for(
            &mut alice,
            &format!("<iq id='c2' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#create'/></iq>")
        )
        .await
        .as_deref(),
        Some("conflict")
    );
}

#[tokio::test]
async fn a_room_created_at_the_service_gets_an_id_and_the_answer_comes_from_the_service() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<iq id='c1' to='muclight.localhost' type='set'><query xmlns='urn:xmpp:muclight:0#create'/></iq>",
    )
    .await;
    let got = alice.take();
    let room = got[0].attr("from").unwrap().to_owned();
    assert!(room.ends_with("@muclight.localhost"), "{room}");
    assert_eq!(got[1].attr("from"), Some("muclight.localhost"));
    let stored = h.stores.rooms.room(&room).await.unwrap().unwrap();
    assert_eq!(stored.name, "Untitled");
}

#[tokio::test]
async fn a_groupchat_message_reaches_every_occupant_the_sender_too_from_the_room() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    let mut carol = h.online("carol@localhost/c").await;
    h.send(
        &bob,
        &format!("<message id='m1' to='{ROOM}' type='groupchat'><body>hi</body></message>"),
    )
    .await;
    for c in [&mut alice, &mut bob] {
        let m = c.take_one();
        assert_eq!(m.attr("from"), Some("coven@muclight.localhost/bob@localhost"));
        assert_eq!(m.attr("id"), Some("m1"));
        assert_eq!(m.child("body", ns::CLIENT).unwrap().text(), "hi");
        let sid = m.child("stanza-id", ns::STANZA_ID).expect("the room's archive id");
        assert_eq!(sid.attr("by"), Some(ROOM));
    }
    assert!(carol.take().is_empty());
    let history = history(&h.core, &bare("alice@localhost"), &bare(ROOM), Page::newest(10))
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.kind, last.from.as_str(), last.body.as_deref()),
        ("message", "bob@localhost", Some("hi"))
    );

    let outsider = format!("<message to='{ROOM}' type='groupchat'><body>x</body></message>");
    assert_eq!(h.error_for(&mut carol, &outsider).await.as_deref(), Some("forbidden"));
    let cases = [
        "<message to='nowhere@muclight.localhost' type='groupchat'><body>x</body></message>".to_owned(),
        format!("<message to='{ROOM}' type='chat'><body>x</body></message>"),
        format!("<message to='{ROOM}/alice' type='groupchat'><body>x</body></message>"),
    ];
    for (stanza, expected) in cases.iter().zip(["item-not-found", "bad-request", "bad-request"]) {
        assert_eq!(
            h.error_for(&mut alice, stanza).await.as_deref(),
            Some(expected),
            "{stanza}"
        );
    }
    assert!(bob.take().is_empty());
}

#[tokio::test]
async fn an_affiliation_change_is_told_in_full_to_those_who_stay_and_briefly_to_the_others() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    let mut carol = h.online("carol@localhost/c").await;
    let before = stored(&h).await.unwrap().version;
    h.send(
        &alice,
        &format!(
            "<iq id='a1' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#affiliations'>\
             <user affiliation='member'>carol@localhost</user><user affiliation='none'>bob@localhost</user>\
             </query></iq>"
        ),
    )
    .await;
    let after = stored(&h).await.unwrap().version;
    let got = alice.take();
    assert_eq!(got.len(), 2, "a notice, then the result");
    assert_eq!(x_child(&got[0], "prev-version"), Some(before));
    assert_eq!(x_child(&got[0], "version"), Some(after.clone()));
    assert_eq!(
        affiliation_users(&got[0]),
        [pair("carol@localhost", "member"), pair("bob@localhost", "none")]
    );
    let newcomer = carol.take_one();
    assert_eq!(x_child(&newcomer, "version"), Some(after));
    assert_eq!(x_child(&newcomer, "prev-version"), None);
    assert_eq!(affiliation_users(&newcomer), [pair("carol@localhost", "member")]);
    let removed = bob.take_one();
    assert_eq!(x_child(&removed, "version"), None);
    assert_eq!(affiliation_users(&removed), [pair("bob@localhost", "none")]);
    // Archived one entry per user, after the creation's.
    let items = history(&h.core, &bare("alice@localhost"), &bare(ROOM), Page::newest(10))
        .await
        .unwrap();
    let changes: Vec<_> = items
        .iter()
        .map(|i| (i.user.clone().unwrap(), i.affiliation.clone().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            pair("alice@localhost", "owner"),
            pair("bob@localhost", "member"),
            pair("carol@localhost", "member"),
            pair("bob@localhost", "none")
        ]
    );
}

#[tokio::test]
async fn when_the_owner_leaves_a_member_takes_over_and_the_last_one_out_destroys_the_room() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    h.send(
        &alice,
        &format!("<message to='{ROOM}' type='groupchat'><body>bye</body></message>"),
    )
    .await;
    alice.take();
    bob.take();
    change_affiliations(
        &h.core,
        &bare("alice@localhost"),
        &bare(ROOM),
        &[("alice@localhost".into(), None)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        affiliation_users(&bob.take_one()),
        [pair("alice@localhost", "none"), pair("bob@localhost", "owner")]
    );
    let room = stored(&h).await.unwrap();
    assert_eq!(room.occupants[0].affiliation, Affiliation::Owner);
    assert!(!h
        .stores
        .archive
        .archive_query(ArchiveQuery {
            owner: ROOM.into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());
    h.send(
        &bob,
        &format!(
            "<iq id='l' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#affiliations'>\
             <user affiliation='none'>bob@localhost</user></query></iq>"
        ),
    )
    .await;
    let got = bob.take();
    assert_eq!(affiliation_users(&got[0]), [pair("bob@localhost", "none")]);
    assert_eq!(got[1].attr("type"), Some("result"));
    assert!(stored(&h).await.is_none(), "the room is gone");
    let left = h.stores.archive.archive_count(ArchiveQuery {
        owner: ROOM.into(),
        ..Default::default()
    });
    assert_eq!(left.await.unwrap(), 0, "and its archive with it");
}

#[tokio::test]
async fn permissions_follow_the_owner_and_the_all_can_switches() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (_alice, mut bob) = coven(&h).await;
    let set_config = format!(
        "<iq id='s' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#configuration'>\
         <subject>mine</subject></query></iq>"
    );
    assert_eq!(h.error_for(&mut bob, &set_config).await.as_deref(), Some("not-allowed"));
    let invite = format!(
        "<iq id='i' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#affiliations'>\
         <user affiliation='member'>carol@localhost</user></query></iq>"
    );
    assert_eq!(h.error_for(&mut bob, &invite).await.as_deref(), Some("not-allowed"));
    let destroy = format!("<iq id='d' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#destroy'/></iq>");
    assert_eq!(h.error_for(&mut bob, &destroy).await.as_deref(), Some("not-allowed"));
    let mut carol = h.online("carol@localhost/c").await;
    let peek = format!("<iq id='p' to='{ROOM}' type='get'><query xmlns='urn:xmpp:muclight:0#info'/></iq>");
    assert_eq!(h.error_for(&mut carol, &peek).await.as_deref(), Some("forbidden"));

    let mut open = crate::core::testkit::settings();
    if let Some(m) = open.muc_light.as_mut() {
        m.rules.all_can_configure = true;
        m.rules.all_can_invite = true;
    }
    let h = Harness::with(open, &["alice", "bob", "carol"], Vec::new()).await;
    let (_alice, mut bob) = coven(&h).await;
    h.send(&bob, &set_config).await;
    assert!(bob.take().iter().any(|s| s.attr("type") == Some("result")));
    h.send(&bob, &invite).await;
    assert!(bob.take().iter().any(|s| s.attr("type") == Some("result")));
    assert_eq!(stored(&h).await.unwrap().occupants.len(), 3);
}

#[tokio::test]
async fn configuration_is_versioned_and_changes_are_told_to_every_occupant() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    let version = stored(&h).await.unwrap().version;
    h.send(
        &bob,
        &format!("<iq id='g' to='{ROOM}' type='get'><query xmlns='urn:xmpp:muclight:0#configuration'/></iq>"),
    )
    .await;
    let full = bob.take_one();
    let q = full.child("query", ns::MUCLIGHT_CONFIGURATION).unwrap();
    assert_eq!(
        q.child("roomname", ns::MUCLIGHT_CONFIGURATION).unwrap().text(),
        "A Dark Cave"
    );
    h.send(
        &bob,
        &format!(
            "<iq id='g' to='{ROOM}' type='get'><query xmlns='urn:xmpp:muclight:0#configuration'>\
             <version>{version}</version></query></iq>"
        ),
    )
    .await;
    assert!(
        bob.take_one().child("query", ns::MUCLIGHT_CONFIGURATION).is_none(),
        "unchanged: empty result"
    );
    h.send(
        &alice,
        &format!(
            "<iq id='s' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#configuration'>\
             <roomname>A Darker Cave</roomname></query></iq>"
        ),
    )
    .await;
    let notice = bob.take_one();
    assert_eq!(x_child(&notice, "prev-version"), Some(version));
    assert_eq!(x_child(&notice, "roomname").as_deref(), Some("A Darker Cave"));
    assert_eq!(alice.take().len(), 2);
    let room = stored(&h).await.unwrap();
    assert_eq!((room.name.as_str(), room.subject.as_str()), ("A Darker Cave", ""));
}

#[tokio::test]
async fn info_affiliations_and_destroy() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    h.send(
        &bob,
        &format!("<iq id='i' to='{ROOM}' type='get'><query xmlns='urn:xmpp:muclight:0#info'/></iq>"),
    )
    .await;
    let info = bob.take_one();
    let occupants = info
        .child("query", ns::MUCLIGHT_INFO)
        .and_then(|q| q.child("occupants", ns::MUCLIGHT_INFO))
        .unwrap();
    assert_eq!(occupants.elements().count(), 2);
    h.send(
        &bob,
        &format!("<iq id='a' to='{ROOM}' type='get'><query xmlns='urn:xmpp:muclight:0#affiliations'/></iq>"),
    )
    .await;
    let users: Vec<_> = bob
        .take_one()
        .child("query", ns::MUCLIGHT_AFFILIATIONS)
        .unwrap()
        .elements()
        .filter(|u| u.name == "user")
        .map(|u| u.text())
        .collect();
    assert_eq!(users, ["alice@localhost", "bob@localhost"]);
    h.send(
        &alice,
        &format!("<iq id='d' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#destroy'/></iq>"),
    )
    .await;
    let notice = bob.take_one();
    assert!(notice.child("x", ns::MUCLIGHT_DESTROY).is_some());
    assert_eq!(affiliation_users(&notice), [pair("bob@localhost", "none")]);
    assert_eq!(alice.take().len(), 2);
    assert!(stored(&h).await.is_none());
}

#[tokio::test]
async fn rooms_and_users_have_limits() {
    let h = Harness::new(&["alice", "bob", "c1", "c2", "c3", "c4"]).await;
    let (mut alice, _bob) = coven(&h).await;
    let invite = |who: &str| {
        format!(
            "<iq id='i' to='{ROOM}' type='set'><query xmlns='urn:xmpp:muclight:0#affiliations'>\
             <user affiliation='member'>{who}@localhost</user></query></iq>"
        )
    };
    assert_eq!(
        h.error_for(&mut alice, &invite("nobody")).await.as_deref(),
        Some("item-not-found")
    );
    for who in ["c1", "c2", "c3"] {
        h.send(&alice, &invite(who)).await;
        alice.take();
    }
    assert_eq!(stored(&h).await.unwrap().occupants.len(), 5);
    assert_eq!(
        h.error_for(&mut alice, &invite("c4")).await.as_deref(),
        Some("policy-violation")
    );
    // rooms_per_user is 3 here: alice is in one room, may create two more, then no more.
    for _ in 0..2 {
        create(
            &h.core,
            &bare("alice@localhost"),
            None,
            ConfigFields::default(),
            &[],
            None,
        )
        .await
        .unwrap();
    }
    let r = create(
        &h.core,
        &bare("alice@localhost"),
        None,
        ConfigFields::default(),
        &[],
        None,
    )
    .await;
    assert!(
        matches!(r, Err(RoomError::Refused(Refusal::TooManyRooms { max: 3 }))),
        "{r:?}"
    );
}

#[tokio::test]
async fn discovery_lists_the_service_the_rooms_and_their_features() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, _bob) = coven(&h).await;
    h.send(
        &alice,
        "<iq id='s' to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let server_items = alice.take_one();
    let jids: Vec<_> = server_items
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .filter_map(|i| i.attr("jid").map(str::to_owned))
        .collect();
    assert_eq!(jids, ["conference.localhost", "muclight.localhost"]);
    h.send(
        &alice,
        "<iq id='r' to='muclight.localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let items = alice.take_one();
    let item = items
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .next()
        .unwrap()
        .clone();
    assert_eq!((item.attr("jid"), item.attr("name")), (Some(ROOM), Some("A Dark Cave")));
    h.send(
        &alice,
        &format!("<iq id='f' to='{ROOM}' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"),
    )
    .await;
    let info = alice.take_one();
    let query = info.child("query", ns::DISCO_INFO).unwrap();
    let features: Vec<_> = query.elements().filter_map(|f| f.attr("var")).collect();
    assert!(
        features.contains(&ns::MUCLIGHT) && features.contains(&ns::MAM),
        "{features:?}"
    );
    let identity = query.child("identity", ns::DISCO_INFO).unwrap();
    assert_eq!(identity.attr("category"), Some("conference"));
}

#[tokio::test]
async fn the_room_archive_is_read_with_mam_by_occupants_only() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    h.send(
        &alice,
        &format!("<message id='m1' to='{ROOM}' type='groupchat'><body>one</body></message>"),
    )
    .await;
    alice.take();
    bob.take();
    h.send(
        &bob,
        &format!("<iq id='q' to='{ROOM}' type='set'><query xmlns='urn:xmpp:mam:2' queryid='x'/></iq>"),
    )
    .await;
    let got = bob.take();
    assert_eq!(
        got.len(),
        4,
        "two creation entries, the message, then the fin: {got:#?}"
    );
    let last_result = got[2].child("result", ns::MAM).unwrap();
    let forwarded = last_result.child("forwarded", ns::FORWARD).unwrap();
    let original = forwarded.child("message", ns::CLIENT).unwrap();
    assert_eq!(original.attr("from"), Some("coven@muclight.localhost/alice@localhost"));
    assert_eq!(got[0].attr("from"), Some(ROOM));
    assert!(got[3].child("fin", ns::MAM).is_some());
    let mut carol = h.online("carol@localhost/c").await;
    assert_eq!(
        h.error_for(
            &mut carol,
            &format!("<iq id='q' to='{ROOM}' type='set'><query xmlns='urn:xmpp:mam:2'/></iq>")
        )
        .await
        .as_deref(),
        Some("forbidden")
    );
}

#[tokio::test]
async fn rest_style_messages_carry_markers_and_read_back_as_items() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (_alice, mut bob) = coven(&h).await;
    let marked = room_message(Some("look".into()), true, None);
    let id = send(&h.core, &bare("alice@localhost"), &bare(ROOM), &marked)
        .await
        .unwrap();
    let marker = ChatMarker {
        kind: "displayed".into(),
        id: id.clone(),
    };
    send(
        &h.core,
        &bare("bob@localhost"),
        &bare(ROOM),
        &room_message(None, true, Some(&marker)),
    )
    .await
    .unwrap();
    assert_eq!(bob.take().len(), 2);
    let items = history(&h.core, &bare("bob@localhost"), &bare(ROOM), Page::newest(2))
        .await
        .unwrap();
    assert_eq!((items[0].id.as_str(), items[0].markable), (id.as_str(), Some(true)));
    assert_eq!((items[1].body.as_deref(), items[1].markable), (None, None));
    assert_eq!(items[1].chat_marker, Some(marker));
    let outsider = history(&h.core, &bare("nobody@localhost"), &bare(ROOM), Page::newest(2)).await;
    assert!(matches!(outsider, Err(RoomError::Refused(Refusal::NotOccupant))));
}

#[tokio::test]
async fn a_removed_account_leaves_its_rooms_and_the_room_passes_on() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (_alice, mut bob) = coven(&h).await;
    h.core.remove_account(&bare("alice@localhost")).await.unwrap();
    let notice = bob.take().into_iter().find(|s| s.name == "message").unwrap();
    assert_eq!(
        affiliation_users(&notice),
        [pair("alice@localhost", "none"), pair("bob@localhost", "owner")]
    );
    let room = stored(&h).await.unwrap();
    assert_eq!(room.occupants.len(), 1);
}

#[tokio::test]
async fn concurrent_invitations_to_one_room_all_land() {
    let users = ["alice", "bob", "c1", "c2", "c3"];
    let h = Harness::new(&users).await;
    let (_alice, _bob) = coven(&h).await;
    let core = h.core.clone();
    let tasks: Vec<_> = ["c1", "c2", "c3"]
        .into_iter()
        .map(|u| {
            let core = core.clone();
            tokio::spawn(async move {
                let user = format!("{u}@localhost");
                change_affiliations(
                    &core,
                    &bare("alice@localhost"),
                    &bare(ROOM),
                    &[(user, Some(Affiliation::Member))],
                    None,
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(stored(&h).await.unwrap().occupants.len(), 5);
}

#[test]
fn rest_paths_name_rooms_by_id_or_jid_on_the_users_own_service() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let h = rt.block_on(Harness::new(&[]));
    let alice = bare("alice@localhost");
    let ok = |given: &str| resolve_room(&h.core, &alice, given);
    assert_eq!(ok("coven").unwrap().as_str(), ROOM);
    assert_eq!(ok("Coven@MUCLight.localhost").unwrap().as_str(), ROOM);
    assert_eq!(ok("coven@muclight.example.com"), Err(RoomIdError::InvalidDomain));
    for bad in ["@invalid", "a/b", "a b@muclight.localhost", ""] {
        assert_eq!(ok(bad), Err(RoomIdError::InvalidId), "{bad}");
    }
}

/// The archive ids of items, as numbers.
fn archive_ids(items: &[RoomItem]) -> Vec<i64> {
    items.iter().map(|i| i.archive_id.parse().unwrap()).collect()
}

#[tokio::test]
async fn room_history_pages_with_both_cursors_without_skipping_or_repeating() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (_alice, _bob) = coven(&h).await;
    let (alice, bob, room) = (bare("alice@localhost"), bare("bob@localhost"), bare(ROOM));
    // Many messages in a few milliseconds: ids, not timestamps, tell them apart.
    for i in 0..130 {
        let m = room_message(Some(format!("m{i}")), false, None);
        send(&h.core, &alice, &room, &m).await.unwrap();
    }
    let all = history(&h.core, &bob, &room, Page::newest(500)).await.unwrap();
    assert_eq!(all.len(), 132, "two creation entries and every message");
    let all_ids = archive_ids(&all);
    assert!(all_ids.windows(2).all(|w| w[0] < w[1]));

    // Forward from the start: `after_id` 0 is before everything.
    let mut forward = Vec::new();
    let mut after = Some(0);
    loop {
        let page = Page {
            limit: 9,
            after_id: after,
            ..Page::default()
        };
        let items = history(&h.core, &bob, &room, page).await.unwrap();
        let Some(last) = items.last() else { break };
        after = Some(last.archive_id.parse().unwrap());
        forward.extend(archive_ids(&items));
    }
    assert_eq!(forward, all_ids);

    let mut backward = Vec::new();
    let mut before = None;
    loop {
        let page = Page {
            limit: 11,
            before_id: before,
            ..Page::default()
        };
        let items = history(&h.core, &bob, &room, page).await.unwrap();
        let Some(first) = items.first() else { break };
        before = Some(first.archive_id.parse().unwrap());
        backward.splice(0..0, archive_ids(&items));
    }
    assert_eq!(backward, all_ids);

    // Both cursors: the window between them, from its oldest end.
    let window = Page {
        limit: 3,
        after_id: Some(all_ids[20]),
        before_id: Some(all_ids[22]),
        ..Page::default()
    };
    let items = history(&h.core, &bob, &room, window).await.unwrap();
    assert_eq!(archive_ids(&items), [all_ids[21]]);
}

#[tokio::test]
async fn affiliation_notices_carry_the_archive_ids_of_their_entries() {
    let h = Harness::new(&["alice", "bob", "carol", "dave"]).await;
    let (mut alice, mut bob) = coven(&h).await;
    let mut carol = h.online("carol@localhost/c").await;
    let mut dave = h.online("dave@localhost/d").await;
    let changes = [
        ("carol@localhost".to_owned(), Some(Affiliation::Member)),
        ("dave@localhost".to_owned(), Some(Affiliation::Member)),
    ];
    change_affiliations(&h.core, &bare("alice@localhost"), &bare(ROOM), &changes, None)
        .await
        .unwrap();
    let entries = history(&h.core, &bare("alice@localhost"), &bare(ROOM), Page::newest(2))
        .await
        .unwrap();
    let by_user: HashMap<String, String> = entries
        .iter()
        .map(|e| (e.user.clone().unwrap(), e.archive_id.clone()))
        .collect();
    let stanza_id = |notice: &Element| {
        notice
            .elements()
            .find(|e| e.is("stanza-id", ns::STANZA_ID) && e.attr("by") == Some(ROOM))
            .and_then(|e| e.attr("id"))
            .map(str::to_owned)
    };
    // Those who stay get both changes, under the id of the last entry.
    let last = entries.last().unwrap().archive_id.clone();
    for staying in [&mut alice, &mut bob] {
        let notice = staying.take_one();
        assert_eq!(affiliation_users(&notice).len(), 2);
        assert_eq!(stanza_id(&notice), Some(last.clone()));
    }
    // Each newcomer gets its own change, under its own entry's id.
    assert_eq!(stanza_id(&carol.take_one()), by_user.get("carol@localhost").cloned());
    assert_eq!(stanza_id(&dave.take_one()), by_user.get("dave@localhost").cloned());
    // A user removed: its own entry's id.
    let removal = [("dave@localhost".to_owned(), None)];
    change_affiliations(&h.core, &bare("alice@localhost"), &bare(ROOM), &removal, None)
        .await
        .unwrap();
    let entry = history(&h.core, &bare("alice@localhost"), &bare(ROOM), Page::newest(1))
        .await
        .unwrap();
    assert_eq!(stanza_id(&dave.take_one()), Some(entry[0].archive_id.clone()));
}
