//! What a team's backend does to Multi-User Chat rooms without a session (the admin API):
//! create an instant room for an owner, invite for a user, send as an occupant, kick an
//! occupant, list rooms with who is in them. Each acts on the room under its lock, with
//! the room's own rules (limits, moderation, membership), as the XMPP operations do.
//!
//! In a cluster a room lives on one node (`cluster` placement); these operations act on
//! the rooms of the node that runs them.

use super::room::{Out, Room};
use super::rules::Affiliation;
use super::{send, Entry, Muc, Slot, Summary};
use crate::core::routing::router::RouteError;
use crate::core::stanza::{ns, StanzaError};
use crate::core::Core;
use crate::xml::Element;
use jid::{BareJid, Jid};
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
#[derive(Debug, Clone)]
pub struct RoomListing {
    pub jid: BareJid,
    pub title: String,
    pub persistent: bool,
    pub public: bool,
    pub occupants: Vec<OccupantListing>,
}

#[derive(Debug, Clone)]
pub struct OccupantListing {
    pub nick: String,
    /// The real full JID of the occupant's first session.
    pub jid: String,
    pub role: &'static str,
    pub affiliation: &'static str,
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
pub async fn create(core: &Core, room: &BareJid, owner: &BareJid, nick: &str) -> Result<(), MucAdminError> {
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
pub async fn invite(
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
pub async fn send_message(core: &Core, room: &BareJid, from: &BareJid, body: String) -> Result<(), MucAdminError> {
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
pub async fn kick(core: &Core, room: &BareJid, nick: &str) -> Result<(), MucAdminError> {
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
pub async fn rooms(core: &Core, host: &str) -> Result<Vec<RoomListing>, MucAdminError> {
    let (muc, domain) = service(core, host)?;
    let suffix = format!("@{domain}");
    let mut slots: Vec<(String, Slot)> = muc
        .rooms()
        .iter()
        .filter(|(jid, _)| jid.ends_with(&suffix))
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
            jid: room.jid.clone(),
            title: room.config.name.clone(),
            persistent: room.config.persistent,
            public: room.config.public,
            occupants: room
                .occupants
                .iter()
                .map(|o| OccupantListing {
                    nick: o.nick().to_owned(),
                    jid: o.sessions.first().map(|s| s.to_string()).unwrap_or_default(),
                    role: o.role.as_str(),
                    affiliation: room.affiliation(&o.user).as_str(),
                })
                .collect(),
        });
    }
    Ok(listed)
}
