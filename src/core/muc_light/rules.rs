//! The rules of MUC Light rooms as pure functions of a room's state: who may change
//! affiliations or the configuration, what a change really does (owner handover,
//! promotion when the owner leaves, destruction when the room empties), and the limits.
//! Everything here is decided before anything is written, so both doors (REST and XMPP)
//! get the same answers, and the rules are tested without storage.

use super::Refusal;
use crate::store::{Affiliation, Occupant, Room};

/// The service's policy (`[modules.mod_muc_light]`).
#[derive(Debug, Clone)]
pub struct Rules {
    /// Members may change the configuration, not only the owner.
    pub all_can_configure: bool,
    /// Members may add members, not only the owner.
    pub all_can_invite: bool,
    /// Most occupants in one room, the owner included.
    pub max_occupants: usize,
    /// Most rooms one user may occupy.
    pub rooms_per_user: usize,
}

/// One requested change: `user` gets `to` (`None`: leaves the room).
pub type Change = (String, Option<Affiliation>);

/// What an affiliation change amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffiliationOutcome {
    /// Every effective change, implicit ones included (a demoted or promoted owner), in
    /// the order they apply.
    pub changes: Vec<Change>,
    /// The occupants afterwards; empty when the room is to be destroyed.
    pub occupants: Vec<Occupant>,
    /// Users who were not in the room before.
    pub added: Vec<String>,
    /// Users who were in the room and no longer are.
    pub removed: Vec<String>,
}

fn affiliation_of(room: &Room, user: &str) -> Option<Affiliation> {
    room.occupants.iter().find(|o| o.user == user).map(|o| o.affiliation)
}

/// The requester's affiliation, or [`Refusal::NotOccupant`].
pub fn occupant(room: &Room, user: &str) -> Result<Affiliation, Refusal> {
    affiliation_of(room, user).ok_or(Refusal::NotOccupant)
}

/// Applies `requested` (by `actor`) to `room` (MUC Light `#affiliations` set).
///
/// - Only occupants act. A member may leave, and, with `all_can_invite`, add members; the
///   owner may do anything.
/// - A change to what a user already has is dropped; if nothing is left,
///   [`Refusal::NoChange`].
/// - Granting `owner` demotes the current owner to member (one owner per room).
/// - When no owner is left but occupants are, the longest-standing member who kept their
///   affiliation becomes owner (else the first remaining occupant).
/// - More than `max_occupants` occupants: [`Refusal::RoomFull`].
pub fn change_affiliations(
    room: &Room,
    actor: &str,
    requested: &[Change],
    rules: &Rules,
) -> Result<AffiliationOutcome, Refusal> {
    let actor_affiliation = occupant(room, actor)?;
    for (i, (user, _)) in requested.iter().enumerate() {
        if requested[..i].iter().any(|(u, _)| u == user) {
            return Err(Refusal::BadRequest(
                "Cannot change affiliation for the same user twice in the same request".into(),
            ));
        }
    }
    let meaningful: Vec<&Change> = requested
        .iter()
        .filter(|(user, to)| affiliation_of(room, user) != *to)
        .collect();
    if meaningful.is_empty() {
        return Err(Refusal::NoChange);
    }
    if actor_affiliation == Affiliation::Member {
        let allowed = meaningful.iter().all(|(user, to)| match to {
            None => user == actor,
            Some(Affiliation::Member) => rules.all_can_invite && affiliation_of(room, user).is_none(),
            Some(Affiliation::Owner) => false,
        });
        if !allowed {
            return Err(Refusal::NotAllowedAffiliations);
        }
    }
    let mut changes: Vec<Change> = Vec::new();
    let mut occupants = room.occupants.clone();
    let granted_owner = meaningful.iter().any(|(_, to)| *to == Some(Affiliation::Owner));
    if granted_owner {
        // One owner per room: the old one steps down, unless this request removes them.
        for o in occupants.iter_mut() {
            let requested_for_them = meaningful.iter().any(|(u, _)| *u == o.user);
            if o.affiliation == Affiliation::Owner && !requested_for_them {
                o.affiliation = Affiliation::Member;
                changes.push((o.user.clone(), Some(Affiliation::Member)));
            }
        }
    }
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for (user, to) in meaningful {
        match (occupants.iter().position(|o| &o.user == user), to) {
            (Some(i), None) => {
                occupants.remove(i);
                removed.push(user.clone());
            }
            (Some(i), Some(a)) => occupants[i].affiliation = *a,
            (None, Some(a)) => {
                occupants.push(Occupant {
                    user: user.clone(),
                    affiliation: *a,
                });
                added.push(user.clone());
            }
            (None, None) => unreachable!("meaningless changes were dropped above"),
        }
        changes.push((user.clone(), *to));
    }
    let two_owners = occupants.iter().filter(|o| o.affiliation == Affiliation::Owner).count() > 1;
    if two_owners {
        return Err(Refusal::BadRequest("A room has one owner".into()));
    }
    if !occupants.is_empty() && !occupants.iter().any(|o| o.affiliation == Affiliation::Owner) {
        let changed = |user: &str| changes.iter().any(|(u, _)| u == user);
        let heir = occupants
            .iter()
            .position(|o| !changed(&o.user) && !added.contains(&o.user))
            .unwrap_or(0);
        occupants[heir].affiliation = Affiliation::Owner;
        let heir = occupants[heir].user.clone();
        changes.retain(|(u, _)| *u != heir);
        changes.push((heir, Some(Affiliation::Owner)));
    }
    // An owner who demoted themself and is the only one left stays owner: no change.
    changes.retain(|(u, to)| affiliation_of(room, u) != *to);
    if changes.is_empty() {
        return Err(Refusal::NoChange);
    }
    if occupants.len() > rules.max_occupants {
        return Err(Refusal::RoomFull {
            max: rules.max_occupants,
        });
    }
    Ok(AffiliationOutcome {
        changes,
        occupants,
        added,
        removed,
    })
}

/// The occupants of a new room: `creator` as owner and `members`, unless one of them is
/// made owner, in which case the creator is a member (one owner per room).
pub fn initial_occupants(creator: &str, members: &[Change], rules: &Rules) -> Result<Vec<Occupant>, Refusal> {
    let mut occupants = vec![Occupant {
        user: creator.to_owned(),
        affiliation: Affiliation::Owner,
    }];
    let mut owner_given = false;
    for (user, affiliation) in members {
        let Some(affiliation) = affiliation else {
            return Err(Refusal::BadRequest(
                "A new room's occupants cannot have affiliation none".into(),
            ));
        };
        if user == creator || occupants.iter().any(|o| &o.user == user) {
            return Err(Refusal::BadRequest(format!("{user} is listed twice")));
        }
        if *affiliation == Affiliation::Owner {
            if owner_given {
                return Err(Refusal::BadRequest("A room has one owner".into()));
            }
            owner_given = true;
            occupants[0].affiliation = Affiliation::Member;
        }
        occupants.push(Occupant {
            user: user.clone(),
            affiliation: *affiliation,
        });
    }
    if occupants.len() > rules.max_occupants {
        return Err(Refusal::RoomFull {
            max: rules.max_occupants,
        });
    }
    Ok(occupants)
}

/// Whether `actor` may change the room's configuration.
pub fn may_configure(room: &Room, actor: &str, rules: &Rules) -> Result<(), Refusal> {
    match occupant(room, actor)? {
        Affiliation::Owner => Ok(()),
        Affiliation::Member if rules.all_can_configure => Ok(()),
        Affiliation::Member => Err(Refusal::NotAllowedConfig),
    }
}

/// Whether `actor` may destroy the room (the owner only).
pub fn may_destroy(room: &Room, actor: &str) -> Result<(), Refusal> {
    match occupant(room, actor)? {
        Affiliation::Owner => Ok(()),
        Affiliation::Member => Err(Refusal::NotAllowedAffiliations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Affiliation::{Member, Owner};

    fn rules() -> Rules {
        Rules {
            all_can_configure: false,
            all_can_invite: false,
            max_occupants: 4,
            rooms_per_user: 10,
        }
    }

    fn room(occupants: &[(&str, Affiliation)]) -> Room {
        Room {
            jid: "r@muclight.localhost".into(),
            name: "n".into(),
            subject: "s".into(),
            version: "v1".into(),
            occupants: occupants
                .iter()
                .map(|(u, a)| Occupant {
                    user: (*u).into(),
                    affiliation: *a,
                })
                .collect(),
        }
    }

    fn users(o: &AffiliationOutcome) -> Vec<(&str, Affiliation)> {
        o.occupants.iter().map(|o| (o.user.as_str(), o.affiliation)).collect()
    }

    fn change(user: &str, to: Option<Affiliation>) -> Change {
        (user.into(), to)
    }

    #[test]
    fn the_owner_adds_and_removes_members_and_newcomers_join_at_the_end() {
        let r = room(&[("alice", Owner), ("bob", Member)]);
        let o = change_affiliations(
            &r,
            "alice",
            &[change("carol", Some(Member)), change("bob", None)],
            &rules(),
        )
        .unwrap();
        assert_eq!(users(&o), [("alice", Owner), ("carol", Member)]);
        assert_eq!(
            (o.added.as_slice(), o.removed.as_slice()),
            (&["carol".to_owned()][..], &["bob".to_owned()][..])
        );
    }

    #[test]
    fn a_member_may_only_leave_unless_all_can_invite() {
        let r = room(&[("alice", Owner), ("bob", Member), ("carol", Member)]);
        let invite = [change("dave", Some(Member))];
        assert_eq!(
            change_affiliations(&r, "bob", &invite, &rules()),
            Err(Refusal::NotAllowedAffiliations)
        );
        assert_eq!(
            change_affiliations(&r, "bob", &[change("carol", None)], &rules()),
            Err(Refusal::NotAllowedAffiliations)
        );
        assert_eq!(
            change_affiliations(&r, "bob", &[change("bob", Some(Owner))], &rules()),
            Err(Refusal::NotAllowedAffiliations)
        );
        let open = Rules {
            all_can_invite: true,
            ..rules()
        };
        assert!(change_affiliations(&r, "bob", &invite, &open).is_ok());
        let left = change_affiliations(&r, "bob", &[change("bob", None)], &rules()).unwrap();
        assert_eq!(users(&left), [("alice", Owner), ("carol", Member)]);
    }

    #[test]
    fn outsiders_act_on_nothing() {
        let r = room(&[("alice", Owner)]);
        assert_eq!(
            change_affiliations(&r, "mallory", &[change("mallory", Some(Member))], &rules()),
            Err(Refusal::NotOccupant)
        );
    }

    #[test]
    fn changes_that_change_nothing_are_reported_as_such() {
        let r = room(&[("alice", Owner), ("bob", Member)]);
        for c in [change("bob", Some(Member)), change("carol", None)] {
            assert_eq!(change_affiliations(&r, "alice", &[c], &rules()), Err(Refusal::NoChange));
        }
        assert!(matches!(
            change_affiliations(
                &r,
                "alice",
                &[change("bob", None), change("bob", Some(Member))],
                &rules()
            ),
            Err(Refusal::BadRequest(_))
        ));
    }

    #[test]
    fn granting_owner_hands_the_room_over() {
        let r = room(&[("alice", Owner), ("bob", Member)]);
        let o = change_affiliations(&r, "alice", &[change("bob", Some(Owner))], &rules()).unwrap();
        assert_eq!(users(&o), [("alice", Member), ("bob", Owner)]);
        assert_eq!(o.changes, [change("alice", Some(Member)), change("bob", Some(Owner))]);
    }

    #[test]
    fn when_the_owner_leaves_the_longest_standing_member_takes_over() {
        let r = room(&[("alice", Owner), ("bob", Member), ("carol", Member)]);
        let o = change_affiliations(&r, "alice", &[change("alice", None)], &rules()).unwrap();
        assert_eq!(users(&o), [("bob", Owner), ("carol", Member)]);
        assert_eq!(o.changes, [change("alice", None), change("bob", Some(Owner))]);
        // Removing bob in the same request passes the room to carol.
        let o = change_affiliations(&r, "alice", &[change("alice", None), change("bob", None)], &rules()).unwrap();
        assert_eq!(users(&o), [("carol", Owner)]);
    }

    #[test]
    fn an_owner_left_alone_after_demoting_themself_stays_owner() {
        let r = room(&[("alice", Owner), ("bob", Member)]);
        let o = change_affiliations(
            &r,
            "alice",
            &[change("alice", Some(Member)), change("bob", None)],
            &rules(),
        )
        .unwrap();
        assert_eq!(users(&o), [("alice", Owner)]);
        assert_eq!(o.changes, [change("bob", None)]);
    }

    #[test]
    fn the_last_occupant_leaving_empties_the_room() {
        let r = room(&[("alice", Owner)]);
        let o = change_affiliations(&r, "alice", &[change("alice", None)], &rules()).unwrap();
        assert!(o.occupants.is_empty());
        assert_eq!(o.changes, [change("alice", None)]);
    }

    #[test]
    fn a_room_holds_at_most_max_occupants() {
        let r = room(&[("a", Owner), ("b", Member), ("c", Member), ("d", Member)]);
        assert_eq!(
            change_affiliations(&r, "a", &[change("e", Some(Member))], &rules()),
            Err(Refusal::RoomFull { max: 4 })
        );
        let too_many: Vec<Change> = ["b", "c", "d", "e"].iter().map(|u| change(u, Some(Member))).collect();
        assert_eq!(
            initial_occupants("a", &too_many, &rules()),
            Err(Refusal::RoomFull { max: 4 })
        );
    }

    #[test]
    fn a_new_room_has_one_owner() {
        let o = initial_occupants(
            "alice",
            &[change("bob", Some(Owner)), change("carol", Some(Member))],
            &rules(),
        )
        .unwrap();
        let got: Vec<_> = o.iter().map(|o| (o.user.as_str(), o.affiliation)).collect();
        assert_eq!(got, [("alice", Member), ("bob", Owner), ("carol", Member)]);
        assert!(initial_occupants("alice", &[change("alice", Some(Member))], &rules()).is_err());
        assert!(initial_occupants("alice", &[change("bob", None)], &rules()).is_err());
        assert!(initial_occupants(
            "alice",
            &[change("bob", Some(Owner)), change("c", Some(Owner))],
            &rules()
        )
        .is_err());
    }

    #[test]
    fn configuration_is_the_owners_unless_all_can_configure() {
        let r = room(&[("alice", Owner), ("bob", Member)]);
        assert_eq!(may_configure(&r, "alice", &rules()), Ok(()));
        assert_eq!(may_configure(&r, "bob", &rules()), Err(Refusal::NotAllowedConfig));
        assert_eq!(may_configure(&r, "eve", &rules()), Err(Refusal::NotOccupant));
        let open = Rules {
            all_can_configure: true,
            ..rules()
        };
        assert_eq!(may_configure(&r, "bob", &open), Ok(()));
        assert_eq!(may_destroy(&r, "bob"), Err(Refusal::NotAllowedAffiliations));
    }
}
