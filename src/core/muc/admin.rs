//! What a team's backend does to Multi-User Chat rooms without a session (the admin API):
//! create an instant room for an owner, invite for a user, send as an occupant, kick an
//! occupant, list rooms with who is in them. Each acts on the room under its lock, with
//! the room's own rules (limits, moderation, membership), as the XMPP operations do.
//!
//! In a cluster a room lives on one node (`cluster` placement): an operation on a room
//! another node hosts is carried out there (`Cluster::call`, answered by
//! `Core::answer_call`), and the list of rooms gathers every node's.

use super::room::{Out, Room};
use super::rules::Affiliation;
use super::{send, Entry, Muc, Slot, Summary};
use crate::core::routing::router::RouteError;
use crate::core::stanza::{ns, StanzaError};
use crate::core::Core;
use crate::xml::Element;
use jid::{BareJid, Jid};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why an admin operation on a room did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MucAdminError {
    /// The host has no MUC service (`mod_muc` off, or not a host of this server).
    #[error("MUC domain not found")]
    NoService,
    #[error("Invalid room name")]
    InvalidRoom,
    #[error("Invalid nickname")]
    InvalidNick,
    #[error("Room not found")]
    RoomNotFound,
    #[error("Room already exists")]
    AlreadyExists,
    #[error("Given user does not occupy this room")]
    NotOccupant,
    #[error("Occupant not found")]
    OccupantNotFound,
    /// A limit of the service (rooms per user, rooms per service).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Route(#[from] RouteError),
}

impl From<StanzaError> for MucAdminError {
    fn from(e: StanzaError) -> Self {
        MucAdminError::Refused(e.text.unwrap_or_else(|| e.condition.as_str().to_owned()))
    }
}

/// One room as the admin API lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomListing {
    pub jid: String,
    pub title: String,
    pub persistent: bool,
    pub public: bool,
    pub occupants: Vec<OccupantListing>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OccupantListing {
    pub nick: String,
    /// The real full JID of the occupant's first session.
    pub jid: String,
    pub role: String,
    pub affiliation: String,
}

fn service<'a>(core: &'a Core, host: &str) -> Result<(&'a Muc, String), MucAdminError> {
    let muc = core.muc.as_deref().ok_or(MucAdminError::NoService)?;
    let host = host.trim().trim_end_matches('.').to_lowercase();
    if !muc.hosts.serves(&host) {
        return Err(MucAdminError::NoService);
    }
    let domain = muc.pattern.domain_for(&host);
    Ok((muc, domain))
}

/// `name@<service of host>`, its name prepped; `InvalidRoom` when it cannot be a room.
pub fn room_jid(core: &Core, host: &str, name: &str) -> Result<BareJid, MucAdminError> {
    let (muc, domain) = service(core, host)?;
    let jid = BareJid::new(&format!("{}@{domain}", name.trim())).map_err(|_| MucAdminError::InvalidRoom)?;
    if name.trim().is_empty() || name.contains(['@', '/']) || jid.node().is_none() {
        return Err(MucAdminError::InvalidRoom);
    }
    if jid.node().map_or(0, |n| n.as_str().chars().count()) > muc.limits.max_room_id {
        return Err(MucAdminError::InvalidRoom);
    }
    Ok(jid)
}

fn find<'a>(core: &'a Core, room: &BareJid) -> Result<(&'a Muc, Slot), MucAdminError> {
    let muc = core.muc.as_deref().ok_or(MucAdminError::NoService)?;
    let slot = muc.find(room).ok_or(MucAdminError::RoomNotFound)?;
    Ok((muc, slot))
}

/// Creates `room` as an instant room (XEP-0045 §10.1.2) owned by `owner`: the service's
/// default configuration, made persistent so that it stays while empty. `nick` is only
/// checked: occupants are sessions, and the owner enters from a client.
async fn create_here(core: &Core, room: &BareJid, owner: &BareJid, nick: &str) -> Result<(), MucAdminError> {
    let muc = core.muc.as_deref().ok_or(MucAdminError::NoService)?;
    let nick = nick.trim();
    if nick.is_empty() || nick.chars().count() > muc.limits.max_nick_length || room.with_resource_str(nick).is_err() {
        return Err(MucAdminError::InvalidNick);
    }
    let slot = {
        let mut rooms = muc.rooms();
        if rooms.contains_key(room.as_str()) {
            return Err(MucAdminError::AlreadyExists);
        }
        if rooms.len() >= muc.limits.max_rooms {
            return Err(MucAdminError::Refused(format!(
                "This service holds as many rooms as it may (at most {})",
                muc.limits.max_rooms
            )));
        }
        let owned = rooms
            .values()
            .filter(|e| e.summary.owners.iter().any(|o| o == owner.as_str()))
            .count();
        if owned >= muc.limits.max_rooms_per_user {
            return Err(MucAdminError::Refused("The owner has as many rooms as allowed".into()));
        }
        let mut new = Room::new(room.clone(), owner, muc.defaults.clone());
        new.config.persistent = true;
        new.locked = false;
        let slot = Arc::new(tokio::sync::Mutex::new(new));
        rooms.insert(
            room.to_string(),
            Entry {
                room: slot.clone(),
                summary: Summary::default(),
            },
        );
        slot
    };
    let mut new = slot.lock().await;
    if let Err(e) = muc.save(core, &mut new).await {
        muc.dispose(core, &mut new).await;
        return Err(MucAdminError::Route(e.into()));
    }
    muc.settle(core, &mut new).await;
    Ok(())
}

/// Sends `recipient` a direct invitation (XEP-0249) to `room` from `sender`, with the
/// room's password when it has one; a members-only room first makes `recipient` a member.
async fn invite_here(
    core: &Core,
    room: &BareJid,
    sender: &BareJid,
    recipient: &BareJid,
    reason: &str,
) -> Result<(), MucAdminError> {
    let (muc, slot) = find(core, room)?;
    let mut current = slot.lock().await;
    if current.destroyed {
        return Err(MucAdminError::RoomNotFound);
    }
    if current.config.members_only && current.affiliation(recipient) < Affiliation::Member {
        let mut next = current.clone();
        next.affiliations.insert(recipient.to_string(), Affiliation::Member);
        muc.save(core, &mut next)
            .await
            .map_err(|e| MucAdminError::Route(e.into()))?;
        *current = next;
        muc.settle(core, &mut current).await;
    }
    let mut x = Element::new("x", ns::CONFERENCE)
        .with_attr("jid", room.to_string())
        .with_attr("reason", reason);
    if current.config.password_protected {
        x.set_attr("password", current.config.password.clone());
    }
    drop(current);
    let invitation = Element::new("message", ns::CLIENT)
        .with_attr("from", sender.to_string())
        .with_attr("to", recipient.to_string())
        .with_attr("id", super::new_id())
        .with_child(x);
    core.route(Jid::from(sender.clone()), invitation).await?;
    Ok(())
}

/// Sends `body` to `room` as `from`'s occupant (its first session in the room), through
/// the room's groupchat rules; what the room refuses goes back to that session.
async fn send_here(core: &Core, room: &BareJid, from: &BareJid, body: String) -> Result<(), MucAdminError> {
    let (muc, slot) = find(core, room)?;
    let session = {
        let current = slot.lock().await;
        if current.destroyed {
            return Err(MucAdminError::RoomNotFound);
        }
        current
            .occupants
            .iter()
            .find(|o| &o.user == from)
            .and_then(|o| o.sessions.first().cloned())
            .ok_or(MucAdminError::NotOccupant)?
    };
    let message = Element::new("message", ns::CLIENT)
        .with_attr("from", session.to_string())
        .with_attr("to", room.to_string())
        .with_attr("type", "groupchat")
        .with_attr("id", super::new_id())
        .with_child(Element::new("body", ns::CLIENT).with_text(body));
    muc.room_message(core, Jid::from(session), Jid::from(room.clone()), message)
        .await?;
    Ok(())
}

/// Kicks the occupant `nick` (role `none`, XEP-0045 §8.2); everyone in the room is told.
async fn kick_here(core: &Core, room: &BareJid, nick: &str) -> Result<(), MucAdminError> {
    let (muc, slot) = find(core, room)?;
    let mut current = slot.lock().await;
    if current.destroyed {
        return Err(MucAdminError::RoomNotFound);
    }
    let mut out: Vec<Out> = Vec::new();
    if !current.kick_by_service(nick, "User kicked from the admin REST API", &mut out) {
        return Err(MucAdminError::OccupantNotFound);
    }
    send(core, out).await?;
    muc.settle(core, &mut current).await;
    Ok(())
}

/// The rooms of `host`'s MUC service on this node, sorted by JID.
async fn rooms_here(core: &Core, host: &str) -> Result<Vec<RoomListing>, MucAdminError> {
    let (muc, domain) = service(core, host)?;
    let suffix = format!("@{domain}");
    // In a cluster every node may hold a stored room; the node hosting it lists it.
    let hosted_here = |jid: &str| BareJid::new(jid).is_ok_and(|j| core.host_of(&j).is_none());
    let mut slots: Vec<(String, Slot)> = muc
        .rooms()
        .iter()
        .filter(|(jid, _)| jid.ends_with(&suffix) && hosted_here(jid))
        .map(|(jid, e)| (jid.clone(), e.room.clone()))
        .collect();
    slots.sort_by(|a, b| a.0.cmp(&b.0));
    let mut listed = Vec::with_capacity(slots.len());
    for (_, slot) in slots {
        let room = slot.lock().await;
        if room.destroyed {
            continue;
        }
        listed.push(RoomListing {
            jid: room.jid.to_string(),
            title: room.config.name.clone(),
            persistent: room.config.persistent,
            public: room.config.public,
            occupants: room
                .occupants
                .iter()
                .map(|o| OccupantListing {
                    nick: o.nick().to_owned(),
                    jid: o.sessions.first().map(|s| s.to_string()).unwrap_or_default(),
                    role: o.role.as_str().to_owned(),
                    affiliation: room.affiliation(&o.user).as_str().to_owned(),
                })
                .collect(),
        });
    }
    Ok(listed)
}

/// An operation on a room, as one node asks another to carry it out.
#[derive(Debug, Serialize, Deserialize)]
enum MucCall {
    Create {
        room: String,
        owner: String,
        nick: String,
    },
    Invite {
        room: String,
        sender: String,
        recipient: String,
        reason: String,
    },
    Send {
        room: String,
        from: String,
        body: String,
    },
    Kick {
        room: String,
        nick: String,
    },
    List {
        host: String,
    },
}

/// Its outcome: the error as its variant name and text.
#[derive(Debug, Serialize, Deserialize)]
enum MucOutcome {
    Done,
    Rooms(Vec<RoomListing>),
    Failed { kind: String, text: String },
}

impl MucAdminError {
    fn to_outcome(&self) -> MucOutcome {
        let kind = match self {
            MucAdminError::NoService => "no_service",
            MucAdminError::InvalidRoom => "invalid_room",
            MucAdminError::InvalidNick => "invalid_nick",
            MucAdminError::RoomNotFound => "room_not_found",
            MucAdminError::AlreadyExists => "already_exists",
            MucAdminError::NotOccupant => "not_occupant",
            MucAdminError::OccupantNotFound => "occupant_not_found",
            MucAdminError::Refused(_) => "refused",
            MucAdminError::Route(_) => "failed",
        };
        MucOutcome::Failed {
            kind: kind.to_owned(),
            text: self.to_string(),
        }
    }

    fn from_outcome(kind: &str, text: String) -> Self {
        match kind {
            "no_service" => MucAdminError::NoService,
            "invalid_room" => MucAdminError::InvalidRoom,
            "invalid_nick" => MucAdminError::InvalidNick,
            "room_not_found" => MucAdminError::RoomNotFound,
            "already_exists" => MucAdminError::AlreadyExists,
            "not_occupant" => MucAdminError::NotOccupant,
            "occupant_not_found" => MucAdminError::OccupantNotFound,
            "refused" => MucAdminError::Refused(text),
            _ => unreachable_node(text),
        }
    }
}

/// A failure on the node hosting the room (or no answer from it): ours, not the caller's.
fn unreachable_node(text: String) -> MucAdminError {
    MucAdminError::Route(RouteError::Store(crate::store::StoreError::Unavailable(
        crate::store::Cause::msg(text),
    )))
}

fn outcome_of(result: Result<(), MucAdminError>) -> MucOutcome {
    match result {
        Ok(()) => MucOutcome::Done,
        Err(e) => e.to_outcome(),
    }
}

/// Runs `call` on `node` and reads its outcome.
async fn call_node(
    cluster: &crate::core::cluster::Cluster,
    node: &str,
    call: &MucCall,
) -> Result<MucOutcome, MucAdminError> {
    let text = serde_json::to_string(call).map_err(|e| unreachable_node(e.to_string()))?;
    let answer = cluster
        .call(node, text)
        .await
        .ok_or_else(|| unreachable_node(format!("node {node} did not answer")))?;
    let outcome: MucOutcome = serde_json::from_str(&answer).map_err(|e| unreachable_node(e.to_string()))?;
    match outcome {
        MucOutcome::Failed { kind, text } => Err(MucAdminError::from_outcome(&kind, text)),
        done => Ok(done),
    }
}

/// `call` where `room` lives: here, or on the node hosting it.
async fn on_host(core: &Core, room: &BareJid, call: MucCall) -> Result<(), MucAdminError> {
    match core.host_of(room) {
        Some((cluster, node)) => call_node(cluster, &node, &call).await.map(|_| ()),
        None => match carry_out(core, call).await? {
            MucOutcome::Failed { kind, text } => Err(MucAdminError::from_outcome(&kind, text)),
            _ => Ok(()),
        },
    }
}

async fn carry_out(core: &Core, call: MucCall) -> Result<MucOutcome, MucAdminError> {
    let bare = |j: &str| BareJid::new(j).map_err(|_| MucAdminError::InvalidRoom);
    Ok(match call {
        MucCall::Create { room, owner, nick } => {
            outcome_of(create_here(core, &bare(&room)?, &bare(&owner)?, &nick).await)
        }
        MucCall::Invite {
            room,
            sender,
            recipient,
            reason,
        } => outcome_of(invite_here(core, &bare(&room)?, &bare(&sender)?, &bare(&recipient)?, &reason).await),
        MucCall::Send { room, from, body } => outcome_of(send_here(core, &bare(&room)?, &bare(&from)?, body).await),
        MucCall::Kick { room, nick } => outcome_of(kick_here(core, &bare(&room)?, &nick).await),
        MucCall::List { host } => match rooms_here(core, &host).await {
            Ok(rooms) => MucOutcome::Rooms(rooms),
            Err(e) => e.to_outcome(),
        },
    })
}

impl Core {
    /// Carries out what another node asked of this one (`Cluster::call`): a room
    /// operation on a room hosted here. Answers with the serialized outcome.
    pub(crate) async fn answer_call(&self, call: &str) -> String {
        let outcome = match serde_json::from_str::<MucCall>(call) {
            Ok(call) => carry_out(self, call).await.unwrap_or_else(|e| e.to_outcome()),
            Err(e) => MucOutcome::Failed {
                kind: "failed".into(),
                text: format!("unreadable call: {e}"),
            },
        };
        serde_json::to_string(&outcome)
            .unwrap_or_else(|_| r#"{"Failed":{"kind":"failed","text":"unwritable answer"}}"#.into())
    }
}

/// Creates `room` as an instant room (XEP-0045 §10.1.2) owned by `owner`, on the node
/// hosting it; see `create_here`.
pub async fn create(core: &Core, room: &BareJid, owner: &BareJid, nick: &str) -> Result<(), MucAdminError> {
    let call = MucCall::Create {
        room: room.to_string(),
        owner: owner.to_string(),
        nick: nick.to_owned(),
    };
    on_host(core, room, call).await
}

/// Sends a direct invitation to `room` for `recipient` from `sender`; see `invite_here`.
pub async fn invite(
    core: &Core,
    room: &BareJid,
    sender: &BareJid,
    recipient: &BareJid,
    reason: &str,
) -> Result<(), MucAdminError> {
    let call = MucCall::Invite {
        room: room.to_string(),
        sender: sender.to_string(),
        recipient: recipient.to_string(),
        reason: reason.to_owned(),
    };
    on_host(core, room, call).await
}

/// Sends `body` to `room` as `from`'s occupant; see `send_here`.
pub async fn send_message(core: &Core, room: &BareJid, from: &BareJid, body: String) -> Result<(), MucAdminError> {
    let call = MucCall::Send {
        room: room.to_string(),
        from: from.to_string(),
        body,
    };
    on_host(core, room, call).await
}

/// Kicks the occupant `nick` of `room`; see `kick_here`.
pub async fn kick(core: &Core, room: &BareJid, nick: &str) -> Result<(), MucAdminError> {
    let call = MucCall::Kick {
        room: room.to_string(),
        nick: nick.to_owned(),
    };
    on_host(core, room, call).await
}

/// The rooms of `host`'s MUC service on every node, sorted by JID.
pub async fn rooms(core: &Core, host: &str) -> Result<Vec<RoomListing>, MucAdminError> {
    let mut all = rooms_here(core, host).await?;
    if let Some(cluster) = core.cluster.get() {
        for node in cluster.live_nodes() {
            if node == cluster.node() {
                continue;
            }
            let call = MucCall::List { host: host.to_owned() };
            if let MucOutcome::Rooms(rooms) = call_node(cluster, &node, &call).await? {
                all.extend(rooms);
            }
        }
    }
    all.sort_by(|a, b| a.jid.cmp(&b.jid));
    all.dedup_by(|a, b| a.jid == b.jid);
    Ok(all)
}
