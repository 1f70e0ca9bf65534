//! Roles and affiliations (XEP-0045 §5): what each is called, the role an occupant gets
//! on entering, and who may change whose role or affiliation. Pure functions; the room
//! applies what they allow.
//!
//! - Roles (§5.1) last while the occupant is in the room: `moderator`, `participant`,
//!   `visitor`, `none`. Affiliations (§5.2) are stored: `owner`, `admin`, `member`,
//!   `outcast`, `none`.
//! - Entering (§7.1.4 table): owners and admins are moderators, members participants,
//!   others participants, or visitors in a moderated room; outcasts do not enter.
//! - Role changes (§8): moderators kick (`none`) and grant or revoke voice
//!   (`participant`/`visitor`); admins and owners grant or revoke `moderator`. Nobody
//!   changes the role of an admin or owner (`not-allowed`).
//! - Affiliation changes (§9, §10): admins move users between `none`, `member` and
//!   `outcast`, never touching admins or owners (`not-allowed`); owners change anything.
//!   The last owner cannot stop being one (`conflict`, §10.6). Anyone else: `forbidden`.

use crate::core::stanza::{Condition, ErrorType, StanzaError};

/// XEP-0045 §5.2, ordered by standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Affiliation {
    Outcast,
    None,
    Member,
    Admin,
    Owner,
}

impl Affiliation {
    pub fn as_str(self) -> &'static str {
        match self {
            Affiliation::Outcast => "outcast",
            Affiliation::None => "none",
            Affiliation::Member => "member",
            Affiliation::Admin => "admin",
            Affiliation::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "outcast" => Affiliation::Outcast,
            "none" => Affiliation::None,
            "member" => Affiliation::Member,
            "admin" => Affiliation::Admin,
            "owner" => Affiliation::Owner,
            _ => return None,
        })
    }

    /// Admins and owners.
    pub fn is_admin(self) -> bool {
        self >= Affiliation::Admin
    }
}

/// XEP-0045 §5.1, ordered by privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Role {
    None,
    Visitor,
    Participant,
    Moderator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Visitor => "visitor",
            Role::Participant => "participant",
            Role::Moderator => "moderator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Role::None,
            "visitor" => Role::Visitor,
            "participant" => Role::Participant,
            "moderator" => Role::Moderator,
            _ => return None,
        })
    }

    /// May send messages to everyone (§5.1.1: visitors may not in moderated rooms).
    pub fn has_voice(self) -> bool {
        self >= Role::Participant
    }
}

/// The role of an occupant entering with `affiliation` (§7.1.4).
pub(crate) fn entering_role(affiliation: Affiliation, moderated: bool) -> Role {
    match affiliation {
        Affiliation::Owner | Affiliation::Admin => Role::Moderator,
        Affiliation::Member => Role::Participant,
        Affiliation::None if moderated => Role::Visitor,
        Affiliation::None => Role::Participant,
        Affiliation::Outcast => Role::None,
    }
}

/// The role an occupant keeps when their affiliation goes from `old` to `new` (§9, §10):
/// becoming admin or owner makes a moderator; losing that returns to the entering role;
/// a visitor made member gets voice; otherwise the role stays.
pub(crate) fn role_after_affiliation(role: Role, old: Affiliation, new: Affiliation, moderated: bool) -> Role {
    if new.is_admin() {
        Role::Moderator
    } else if old.is_admin() || new == Affiliation::Outcast {
        entering_role(new, moderated)
    } else if role == Role::Visitor && new == Affiliation::Member {
        Role::Participant
    } else {
        role
    }
}

fn denied(condition: Condition, text: &str) -> StanzaError {
    let kind = match condition {
        Condition::Forbidden => ErrorType::Auth,
        c => c.default_type(),
    };
    StanzaError::with_type(kind, condition).with_text(text)
}

/// Whom a role change is asked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Actor {
    /// `None` when the actor is not in the room.
    pub role: Option<Role>,
    pub affiliation: Affiliation,
}

/// Whether `actor` may give the occupant (`target_affiliation`) the role `new` (§8).
pub(crate) fn may_change_role(actor: Actor, target_affiliation: Affiliation, new: Role) -> Result<(), StanzaError> {
    let moderator = actor.role == Some(Role::Moderator);
    let allowed = match new {
        Role::Moderator => actor.affiliation.is_admin(),
        // Revoking moderation is for admins and owners; otherwise kick and voice are
        // for any moderator.
        _ => moderator || actor.affiliation.is_admin(),
    };
    if !allowed {
        return Err(denied(Condition::Forbidden, "Not allowed to change roles in this room"));
    }
    if target_affiliation.is_admin() && new != Role::Moderator {
        return Err(denied(
            Condition::NotAllowed,
            "The role of an admin or owner cannot be changed",
        ));
    }
    Ok(())
}

/// Whether `actor` (affiliation) may change a user's affiliation from `old` to `new`;
/// `owners` counts the room's owners now (§9, §10).
pub(crate) fn may_change_affiliation(
    actor: Affiliation,
    old: Affiliation,
    new: Affiliation,
    owners: usize,
) -> Result<(), StanzaError> {
    match actor {
        Affiliation::Owner => {
            if old == Affiliation::Owner && new != Affiliation::Owner && owners <= 1 {
                return Err(denied(Condition::Conflict, "The room must keep an owner"));
            }
            Ok(())
        }
        Affiliation::Admin => {
            if old.is_admin() || new.is_admin() {
                Err(denied(
                    Condition::NotAllowed,
                    "Only owners change who is an admin or owner",
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(denied(
            Condition::Forbidden,
            "Not allowed to change affiliations in this room",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Affiliation as A;

    #[test]
    fn names_round_trip_and_order_by_standing() {
        for a in [A::Outcast, A::None, A::Member, A::Admin, A::Owner] {
            assert_eq!(Affiliation::parse(a.as_str()), Some(a));
        }
        for r in [Role::None, Role::Visitor, Role::Participant, Role::Moderator] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Affiliation::parse("king"), None);
        assert!(A::Owner > A::Admin && A::Member > A::None && A::None > A::Outcast);
        assert!(!Role::Visitor.has_voice() && Role::Participant.has_voice());
    }

    #[test]
    fn entering_roles_follow_the_affiliation_and_moderation() {
        assert_eq!(entering_role(A::Owner, false), Role::Moderator);
        assert_eq!(entering_role(A::Admin, true), Role::Moderator);
        assert_eq!(entering_role(A::Member, true), Role::Participant);
        assert_eq!(entering_role(A::None, false), Role::Participant);
        assert_eq!(entering_role(A::None, true), Role::Visitor);
        assert_eq!(entering_role(A::Outcast, false), Role::None);
    }

    #[test]
    fn affiliation_changes_carry_the_role_along() {
        let after = |role, old, new| role_after_affiliation(role, old, new, true);
        assert_eq!(after(Role::Visitor, A::None, A::Admin), Role::Moderator);
        assert_eq!(after(Role::Moderator, A::Owner, A::Member), Role::Participant);
        assert_eq!(after(Role::Moderator, A::Admin, A::None), Role::Visitor);
        assert_eq!(after(Role::Visitor, A::None, A::Member), Role::Participant);
        // A moderator by role only stays one when made a member.
        assert_eq!(after(Role::Moderator, A::None, A::Member), Role::Moderator);
    }

    #[test]
    fn moderators_kick_and_voice_but_never_touch_admins() {
        let moderator = Actor {
            role: Some(Role::Moderator),
            affiliation: A::None,
        };
        let participant = Actor {
            role: Some(Role::Participant),
            affiliation: A::Member,
        };
        let owner_outside = Actor {
            role: None,
            affiliation: A::Owner,
        };
        assert!(may_change_role(moderator, A::Member, Role::None).is_ok());
        assert!(may_change_role(moderator, A::None, Role::Visitor).is_ok());
        let e = may_change_role(moderator, A::None, Role::Moderator).unwrap_err();
        assert_eq!((e.condition, e.kind), (Condition::Forbidden, ErrorType::Auth));
        assert_eq!(
            may_change_role(participant, A::None, Role::None).unwrap_err().condition,
            Condition::Forbidden
        );
        assert_eq!(
            may_change_role(moderator, A::Admin, Role::None).unwrap_err().condition,
            Condition::NotAllowed
        );
        assert!(may_change_role(owner_outside, A::Member, Role::Moderator).is_ok());
        assert!(may_change_role(owner_outside, A::None, Role::None).is_ok());
    }

    #[test]
    fn admins_manage_members_and_outcasts_and_owners_everything_but_the_last_owner() {
        assert!(may_change_affiliation(A::Admin, A::None, A::Outcast, 1).is_ok());
        assert!(may_change_affiliation(A::Admin, A::Member, A::None, 1).is_ok());
        for (old, new) in [(A::Admin, A::None), (A::None, A::Admin), (A::Owner, A::Outcast)] {
            assert_eq!(
                may_change_affiliation(A::Admin, old, new, 1).unwrap_err().condition,
                Condition::NotAllowed
            );
        }
        assert!(may_change_affiliation(A::Owner, A::Admin, A::Outcast, 1).is_ok());
        assert!(may_change_affiliation(A::Owner, A::Owner, A::Admin, 2).is_ok());
        assert_eq!(
            may_change_affiliation(A::Owner, A::Owner, A::Member, 1)
                .unwrap_err()
                .condition,
            Condition::Conflict
        );
        assert_eq!(
            may_change_affiliation(A::Member, A::None, A::Member, 1)
                .unwrap_err()
                .condition,
            Condition::Forbidden
        );
    }
}
