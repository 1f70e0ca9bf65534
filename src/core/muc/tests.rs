//! Multi-User Chat in process, on in-memory storage: the service as XMPP clients see it
//! (sessions registered directly, their queues read), routing included.

use super::*;
use crate::core::session::Outbound;
use crate::core::testkit::{condition, Client, Harness};

const ROOM: &str = "coven@conference.localhost";

fn statuses(p: &Element) -> Vec<u16> {
    p.child("x", ns::MUC_USER)
        .map(|x| {
            x.elements()
                .filter(|e| e.name == "status")
                .filter_map(|e| e.attr("code")?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// (affiliation, role, jid) of the `muc#user` item.
fn item(p: &Element) -> (String, String, Option<String>) {
    let i = p
        .child("x", ns::MUC_USER)
        .and_then(|x| x.child("item", ns::MUC_USER))
        .unwrap_or_else(|| panic!("no item in {p:?}"));
    (
        i.attr("affiliation").unwrap_or_default().to_owned(),
        i.attr("role").unwrap_or_default().to_owned(),
        i.attr("jid").map(str::to_owned),
    )
}

fn body(m: &Element) -> Option<String> {
    m.child("body", ns::CLIENT).map(Element::text)
}

fn froms(stanzas: &[Element]) -> Vec<&str> {
    stanzas.iter().map(|s| s.attr("from").unwrap_or_default()).collect()
}

async fn join(h: &Harness, c: &mut Client, nick: &str, extra: &str) -> Vec<Element> {
    h.send(
        c,
        &format!("<presence to='{ROOM}/{nick}'><x xmlns='http://jabber.org/protocol/muc'>{extra}</x></presence>"),
    )
    .await;
    c.take()
}

async fn configure(h: &Harness, c: &mut Client, fields: &str) -> Element {
    h.send(
        c,
        &format!(
            "<iq id='cfg' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'>\
             <x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>"
        ),
    )
    .await;
    c.take().pop().expect("an answer")
}

fn field(var: &str, value: &str) -> String {
    format!("<field var='muc#roomconfig_{var}'><value>{value}</value></field>")
}

/// Alice creates `ROOM` as `crone` and opens it with `fields`; bob enters as `hag`.
async fn coven(h: &Harness, fields: &str) -> (Client, Client) {
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    join(h, &mut alice, "crone", "").await;
    let done = configure(h, &mut alice, fields).await;
    assert_eq!(done.attr("type"), Some("result"), "{done:?}");
    let entered = join(h, &mut bob, "hag", "").await;
    assert!(entered.iter().all(|s| s.attr("type") != Some("error")), "{entered:#?}");
    alice.take();
    (alice, bob)
}

#[tokio::test]
async fn the_service_is_a_conference_service_listed_by_the_server() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<iq id='i1' to='conference.localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    )
    .await;
    let info = alice.take_one();
    let query = info.child("query", ns::DISCO_INFO).unwrap();
    let identity = query.child("identity", ns::DISCO_INFO).unwrap();
    assert_eq!(
        (identity.attr("category"), identity.attr("type")),
        (Some("conference"), Some("text"))
    );
    let features: Vec<&str> = query.elements().filter_map(|f| f.attr("var")).collect();
    assert!(features.contains(&ns::MUC), "{features:?}");
    h.send(
        &alice,
        "<iq id='i2' to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let items = alice.take_one();
    let jids: Vec<&str> = items
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .filter_map(|i| i.attr("jid"))
        .collect();
    assert!(jids.contains(&"conference.localhost"), "{jids:?}");
}

#[tokio::test]
async fn a_new_room_is_locked_for_others_until_its_owner_accepts_the_instant_configuration() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    let got = join(&h, &mut alice, "crone", "").await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].attr("from"), Some("coven@conference.localhost/crone"));
    let mut codes = statuses(&got[0]);
    codes.sort_unstable();
    assert_eq!(codes, [110, 170, 201]);
    assert_eq!(item(&got[0]).0, "owner");
    assert_eq!(item(&got[0]).1, "moderator");
    assert_eq!(
        got[1].child("subject", ns::CLIENT).map(Element::text).as_deref(),
        Some("")
    );

    let refused = join(&h, &mut bob, "hag", "").await;
    assert_eq!(condition(&refused[0]).as_deref(), Some("item-not-found"));
    assert!(refused[0].child("x", ns::MUC).is_some(), "errors carry the MUC element");
    // Not listed while locked.
    h.send(
        &bob,
        "<iq id='l1' to='conference.localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    assert!(bob
        .take_one()
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .children
        .is_empty());

    assert_eq!(configure(&h, &mut alice, "").await.attr("type"), Some("result"));
    let entered = join(&h, &mut bob, "hag", "").await;
    assert_eq!(
        froms(&entered),
        [ROOM.to_owned() + "/crone", ROOM.to_owned() + "/hag", ROOM.to_owned()]
    );
    // Bob sees crone without her JID (semi-anonymous), then himself with 110.
    assert_eq!(item(&entered[0]), ("owner".into(), "moderator".into(), None));
    assert!(statuses(&entered[1]).contains(&110));
    // Alice, a moderator, sees bob's real JID.
    let seen = alice.take_one();
    assert_eq!(
        item(&seen),
        ("none".into(), "participant".into(), Some("bob@localhost/b".into()))
    );
    h.send(
        &bob,
        "<iq id='l2' to='conference.localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let listed = bob.take_one();
    let item = listed
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .next()
        .cloned()
        .unwrap();
    assert_eq!(item.attr("jid"), Some(ROOM));
}

#[tokio::test]
async fn room_disco_info_follows_the_configuration() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (_alice, mut bob) = coven(
        &h,
        &[
            field("roomname", "The Cave"),
            field("roomdesc", "Thunder, lightning, rain"),
            field("membersonly", "0"),
            field("persistentroom", "1"),
            field("whois", "anyone"),
            field("enablelogging", "1"),
        ]
        .concat(),
    )
    .await;
    bob.take();
    h.send(
        &bob,
        &format!("<iq id='i' to='{ROOM}' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"),
    )
    .await;
    let info = bob.take_one();
    let query = info.child("query", ns::DISCO_INFO).unwrap();
    assert_eq!(
        query.child("identity", ns::DISCO_INFO).unwrap().attr("name"),
        Some("The Cave")
    );
    let features: Vec<&str> = query.elements().filter_map(|f| f.attr("var")).collect();
    for f in [
        ns::MUC,
        "muc_public",
        "muc_open",
        "muc_persistent",
        "muc_nonanonymous",
        "muc_unsecured",
        "muc_unmoderated",
        ns::MAM,
    ] {
        assert!(features.contains(&f), "{f} in {features:?}");
    }
    let form = query.child("x", ns::DATA_FORMS).unwrap();
    let value = |var: &str| {
        form.elements()
            .find(|f| f.attr("var") == Some(var))
            .and_then(|f| f.child("value", ns::DATA_FORMS))
            .map(Element::text)
    };
    assert_eq!(value("FORM_TYPE").as_deref(), Some(ns::MUC_ROOMINFO));
    assert_eq!(
        value("muc#roominfo_description").as_deref(),
        Some("Thunder, lightning, rain")
    );
    assert_eq!(value("muc#roominfo_occupants").as_deref(), Some("2"));
    let missing = h
        .error_for(
            &mut bob,
            "<iq id='i' to='nowhere@conference.localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        )
        .await;
    assert_eq!(missing.as_deref(), Some("item-not-found"));
}

#[tokio::test]
async fn groupchat_reaches_everyone_with_the_rooms_stanza_id_and_a_late_joiner_gets_history_then_the_subject() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    bob.take();
    for n in 1..=4 {
        h.send(
            &bob,
            &format!("<message id='m{n}' to='{ROOM}' type='groupchat'><body>spell {n}</body></message>"),
        )
        .await;
    }
    let seen = alice.take();
    assert_eq!(seen.len(), 4);
    let last = &seen[3];
    assert_eq!(last.attr("from"), Some("coven@conference.localhost/hag"));
    assert_eq!(last.attr("id"), Some("m4"));
    let sid = last.child("stanza-id", ns::STANZA_ID).expect("a stanza id");
    assert_eq!(sid.attr("by"), Some(ROOM));
    assert_eq!(bob.take().len(), 4, "the sender gets its messages back");
    h.send(
        &alice,
        &format!("<message to='{ROOM}' type='groupchat'><subject>Toil</subject></message>"),
    )
    .await;
    assert_eq!(bob.take_one().child("subject", ns::CLIENT).unwrap().text(), "Toil");
    alice.take();

    let mut carol = h.online("carol@localhost/c").await;
    let got = join(&h, &mut carol, "witch", "").await;
    // Two occupants, herself, the last three messages (history_length), the subject.
    assert_eq!(got.len(), 7, "{got:#?}");
    let history = &got[3..6];
    assert_eq!(
        history.iter().filter_map(body).collect::<Vec<_>>(),
        ["spell 2", "spell 3", "spell 4"]
    );
    for m in history {
        let delay = m.child("delay", ns::DELAY).expect("a delay");
        assert_eq!(delay.attr("from"), Some(ROOM));
        assert_eq!(m.attr("to"), Some("carol@localhost/c"));
        assert_eq!(m.attr("from"), Some("coven@conference.localhost/hag"));
    }
    assert_eq!(
        history[2].child("stanza-id", ns::STANZA_ID).unwrap().attr("id"),
        sid.attr("id"),
        "history carries the same stanza ids"
    );
    let subject = &got[6];
    assert_eq!(subject.attr("from"), Some("coven@conference.localhost/crone"));
    assert_eq!(subject.child("subject", ns::CLIENT).unwrap().text(), "Toil");

    // What was asked for, within the cap.
    let mut dave = h.online("carol@localhost/other").await;
    h.send(&dave, &format!("<presence to='{ROOM}/witch' type='unavailable'/>"))
        .await;
    dave.take();
    let got = join(&h, &mut dave, "wyrd", "<history maxstanzas='1'/>").await;
    assert_eq!(got.iter().filter_map(body).collect::<Vec<_>>(), ["spell 4"]);
    let _ = carol.take();
}

#[tokio::test]
async fn a_groupchat_message_is_one_shared_stanza_each_occupant_gets_with_its_own_address() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    bob.take();
    h.send(
        &bob,
        &format!("<message id='m1' to='{ROOM}' type='groupchat'><body>double, double</body></message>"),
    )
    .await;
    let (to_alice, to_bob) = (alice.take_queued(), bob.take_queued());
    let (Some(Outbound::Copy(a, _)), Some(Outbound::Copy(b, _))) = (to_alice.first(), to_bob.first()) else {
        panic!("not copies of a shared stanza: {to_alice:#?} {to_bob:#?}");
    };
    assert!(Arc::ptr_eq(a, b), "both copies share one stanza");
    for (copy, jid) in [(&to_alice[0], "alice@localhost/a"), (&to_bob[0], "bob@localhost/b")] {
        let whole = copy.to_element();
        assert_eq!(whole.attr("to"), Some(jid));
        assert_eq!(body(&whole).as_deref(), Some("double, double"));
        let written = copy.to_xml(ns::CLIENT);
        assert_eq!(parse_element(&written).expect("well-formed"), *whole);
    }
}

#[tokio::test]
async fn entering_is_refused_for_a_taken_nick_non_members_wrong_passwords_outcasts_and_a_full_room() {
    let h = Harness::new(&["alice", "bob", "carol", "dave"]).await;
    let (mut alice, _bob) = coven(&h, &field("maxusers", "3")).await;
    let mut carol = h.online("carol@localhost/c").await;
    let taken = join(&h, &mut carol, "hag", "").await;
    assert_eq!(condition(&taken[0]).as_deref(), Some("conflict"));
    assert_eq!(taken[0].attr("from"), Some("coven@conference.localhost/hag"));

    let mut dave = h.online("dave@localhost/d").await;
    join(&h, &mut carol, "witch", "").await;
    let full = join(&h, &mut dave, "wyrd", "").await;
    assert_eq!(condition(&full[0]).as_deref(), Some("service-unavailable"));
    h.send(&carol, &format!("<presence to='{ROOM}/witch' type='unavailable'/>"))
        .await;
    alice.take();

    configure(&h, &mut alice, &[field("membersonly", "1")].concat()).await;
    alice.take();
    let members_only = join(&h, &mut dave, "wyrd", "").await;
    assert_eq!(condition(&members_only[0]).as_deref(), Some("registration-required"));

    configure(
        &h,
        &mut alice,
        &[
            field("membersonly", "0"),
            field("passwordprotectedroom", "1"),
            field("roomsecret", "eye of newt"),
        ]
        .concat(),
    )
    .await;
    let no_password = join(&h, &mut dave, "wyrd", "").await;
    assert_eq!(condition(&no_password[0]).as_deref(), Some("not-authorized"));
    let wrong = join(&h, &mut dave, "wyrd", "<password>toe of frog</password>").await;
    assert_eq!(condition(&wrong[0]).as_deref(), Some("not-authorized"));
    let right = join(&h, &mut dave, "wyrd", "<password>eye of newt</password>").await;
    assert!(right.iter().all(|s| s.attr("type") != Some("error")), "{right:#?}");
    h.send(&dave, &format!("<presence to='{ROOM}/wyrd' type='unavailable'/>"))
        .await;
    dave.take();

    h.send(
        &alice,
        &format!(
            "<iq id='b' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item affiliation='outcast' jid='dave@localhost'/></query></iq>"
        ),
    )
    .await;
    let banned = join(&h, &mut dave, "wyrd", "<password>eye of newt</password>").await;
    assert_eq!(condition(&banned[0]).as_deref(), Some("forbidden"));
}

#[tokio::test]
async fn a_new_nick_is_announced_as_leaving_with_303_then_entering() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    bob.take();
    h.send(&bob, &format!("<presence to='{ROOM}/thane'/>")).await;
    let own = bob.take();
    assert_eq!(own.len(), 2);
    assert_eq!(own[0].attr("type"), Some("unavailable"));
    assert_eq!(own[0].attr("from"), Some("coven@conference.localhost/hag"));
    let mut codes = statuses(&own[0]);
    codes.sort_unstable();
    assert_eq!(codes, [110, 303]);
    let x = own[0].child("x", ns::MUC_USER).unwrap();
    assert_eq!(x.child("item", ns::MUC_USER).unwrap().attr("nick"), Some("thane"));
    assert_eq!(own[1].attr("from"), Some("coven@conference.localhost/thane"));
    assert_eq!(statuses(&own[1]), [110]);
    let seen = alice.take();
    assert_eq!(statuses(&seen[0]), [303]);
    assert_eq!(seen[1].attr("from"), Some("coven@conference.localhost/thane"));
    // Presence changes go to everyone.
    h.send(
        &bob,
        &format!("<presence to='{ROOM}/thane'><show>away</show></presence>"),
    )
    .await;
    let change = alice.take_one();
    assert_eq!(change.child("show", ns::CLIENT).unwrap().text(), "away");
    assert_eq!(statuses(&bob.take_one()), [110]);
    // A nick someone holds is refused.
    let conflict = h.error_for(&mut bob, &format!("<presence to='{ROOM}/crone'/>")).await;
    assert_eq!(conflict.as_deref(), Some("conflict"));
}

#[tokio::test]
async fn leaving_or_disconnecting_is_seen_by_everyone_and_an_empty_temporary_room_goes_with_its_archive() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    h.send(
        &bob,
        &format!("<message to='{ROOM}' type='groupchat'><body>hi</body></message>"),
    )
    .await;
    alice.take();
    bob.take();
    h.send(
        &bob,
        &format!("<presence to='{ROOM}/hag' type='unavailable'><status>bye</status></presence>"),
    )
    .await;
    let own = bob.take_one();
    assert_eq!((own.attr("type"), statuses(&own)), (Some("unavailable"), vec![110]));
    let seen = alice.take_one();
    assert_eq!(seen.attr("type"), Some("unavailable"));
    assert_eq!(seen.child("status", ns::CLIENT).unwrap().text(), "bye");
    assert_eq!(item(&seen).1, "none");

    // Alice's connection goes: her session's end takes her out of the room, which is
    // temporary, so it goes.
    h.close(alice).await;
    assert!(h
        .core
        .muc
        .as_ref()
        .unwrap()
        .find(&BareJid::new(ROOM).unwrap())
        .is_none());
    let left = h
        .stores
        .archive
        .archive_count(ArchiveQuery {
            owner: ROOM.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_disconnecting_occupant_is_seen_leaving() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, bob) = coven(&h, "").await;
    h.close(bob).await;
    let seen = alice.take_one();
    assert_eq!(seen.attr("from"), Some("coven@conference.localhost/hag"));
    assert_eq!(seen.attr("type"), Some("unavailable"));
}

#[tokio::test]
async fn private_messages_go_between_occupants_by_nick_and_only_the_recipient_archive_takes_the_relay() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    bob.take();
    h.send(
        &bob,
        &format!("<message id='p1' to='{ROOM}/crone' type='chat'><body>psst</body></message>"),
    )
    .await;
    let got = alice.take_one();
    assert_eq!(got.attr("from"), Some("coven@conference.localhost/hag"));
    assert_eq!(got.attr("to"), Some("alice@localhost/a"));
    assert_eq!(body(&got).as_deref(), Some("psst"));
    assert!(got.child("x", ns::MUC_USER).is_some());
    assert!(bob.take().is_empty());
    let count = |owner: &str| {
        let q = ArchiveQuery {
            owner: owner.into(),
            ..Default::default()
        };
        let store = h.stores.archive.clone();
        async move { store.archive_count(q).await.unwrap() }
    };
    assert_eq!(count(ROOM).await, 0, "a private message is not the room's");
    assert_eq!(count("alice@localhost").await, 1);
    assert_eq!(count("bob@localhost").await, 1);

    let mut carol = h.online("carol@localhost/c").await;
    let outsider = h
        .error_for(
            &mut carol,
            &format!("<message to='{ROOM}/crone' type='chat'><body>x</body></message>"),
        )
        .await;
    assert_eq!(outsider.as_deref(), Some("not-acceptable"));
    let nobody = h
        .error_for(
            &mut bob,
            &format!("<message to='{ROOM}/nobody' type='chat'><body>x</body></message>"),
        )
        .await;
    assert_eq!(nobody.as_deref(), Some("item-not-found"));
}

#[tokio::test]
async fn kicks_and_bans_carry_their_status_codes_and_admins_cannot_be_kicked() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    let mut carol = h.online("carol@localhost/c").await;
    join(&h, &mut carol, "witch", "").await;
    alice.take();
    bob.take();
    h.send(
        &alice,
        &format!(
            "<iq id='k' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item nick='hag' role='none'><reason>Noisy</reason></item></query></iq>"
        ),
    )
    .await;
    let kicked = bob.take_one();
    assert_eq!(kicked.attr("type"), Some("unavailable"));
    let mut codes = statuses(&kicked);
    codes.sort_unstable();
    assert_eq!(codes, [110, 307]);
    let x = kicked.child("x", ns::MUC_USER).unwrap();
    let i = x.child("item", ns::MUC_USER).unwrap();
    assert_eq!(i.child("reason", ns::MUC_USER).unwrap().text(), "Noisy");
    assert_eq!(i.child("actor", ns::MUC_USER).unwrap().attr("nick"), Some("crone"));
    assert_eq!(statuses(&carol.take_one()), [307]);
    let got = alice.take();
    assert_eq!(statuses(&got[0]), [307]);
    assert_eq!(got[1].attr("type"), Some("result"), "the answer after the notices");

    h.send(
        &alice,
        &format!(
            "<iq id='b' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item jid='carol@localhost' affiliation='outcast'/></query></iq>"
        ),
    )
    .await;
    let banned = carol.take_one();
    let mut codes = statuses(&banned);
    codes.sort_unstable();
    assert_eq!(codes, [110, 301]);
    assert_eq!(item(&banned).0, "outcast");
    alice.take();
    let again = join(&h, &mut carol, "witch", "").await;
    assert_eq!(condition(&again[0]).as_deref(), Some("forbidden"));

    // Bob back, made admin; a moderator cannot kick him, and he cannot ban the owner.
    join(&h, &mut bob, "hag", "").await;
    h.send(
        &alice,
        &format!(
            "<iq id='a' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item jid='bob@localhost' affiliation='admin'/></query></iq>"
        ),
    )
    .await;
    assert_eq!(item(&bob.take_one()).1, "moderator");
    let refused = h
        .error_for(
            &mut bob,
            &format!(
                "<iq id='x' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
                 <item jid='alice@localhost' affiliation='outcast'/></query></iq>"
            ),
        )
        .await;
    assert_eq!(refused.as_deref(), Some("not-allowed"));
    h.send(
        &alice,
        &format!(
            "<iq id='l' to='{ROOM}' type='get'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item affiliation='outcast'/></query></iq>"
        ),
    )
    .await;
    let list = alice.take().pop().unwrap();
    let outcasts: Vec<&str> = list
        .child("query", ns::MUC_ADMIN)
        .unwrap()
        .elements()
        .filter_map(|i| i.attr("jid"))
        .collect();
    assert_eq!(outcasts, ["carol@localhost"]);
    let not_admin = h
        .error_for(
            &mut carol,
            &format!(
                "<iq id='l' to='{ROOM}' type='get'><query xmlns='http://jabber.org/protocol/muc#admin'>\
                 <item affiliation='member'/></query></iq>"
            ),
        )
        .await;
    assert_eq!(not_admin.as_deref(), Some("forbidden"));
}

#[tokio::test]
async fn in_a_moderated_room_visitors_need_voice_and_only_allowed_occupants_change_the_subject() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, &[field("moderatedroom", "1"), field("changesubject", "0")].concat()).await;
    bob.take();
    let silenced = h
        .error_for(
            &mut bob,
            &format!("<message to='{ROOM}' type='groupchat'><body>hi</body></message>"),
        )
        .await;
    assert_eq!(silenced.as_deref(), Some("forbidden"));
    h.send(
        &alice,
        &format!(
            "<iq id='v' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item nick='hag' role='participant'/></query></iq>"
        ),
    )
    .await;
    assert_eq!(item(&bob.take_one()).1, "participant");
    alice.take();
    h.send(
        &bob,
        &format!("<message to='{ROOM}' type='groupchat'><body>hi</body></message>"),
    )
    .await;
    assert_eq!(body(&alice.take_one()).as_deref(), Some("hi"));
    bob.take();
    let subject = h
        .error_for(
            &mut bob,
            &format!("<message to='{ROOM}' type='groupchat'><subject>Mine</subject></message>"),
        )
        .await;
    assert_eq!(subject.as_deref(), Some("forbidden"));
}

#[tokio::test]
async fn a_persistent_room_survives_a_restart_with_its_configuration_subject_and_affiliations() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (alice, _bob) = coven(&h, &[field("persistentroom", "1"), field("roomname", "Cave")].concat()).await;
    h.send(
        &alice,
        &format!("<message to='{ROOM}' type='groupchat'><subject>Toil</subject></message>"),
    )
    .await;
    h.send(
        &alice,
        &format!(
            "<iq id='m' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item jid='bob@localhost' affiliation='member'/></query></iq>"
        ),
    )
    .await;
    h.close(alice).await;

    let core = Core::with_components(crate::core::testkit::settings(), h.stores.clone(), Vec::new())
        .await
        .unwrap();
    let muc = core.muc.as_ref().unwrap();
    let slot = muc.find(&BareJid::new(ROOM).unwrap()).expect("loaded at start");
    let room = slot.lock().await;
    assert_eq!(room.config.name, "Cave");
    assert!(room.config.persistent && !room.locked && room.occupants.is_empty());
    assert_eq!((room.subject.as_str(), room.subject_by.as_str()), ("Toil", "crone"));
    assert_eq!(
        room.affiliation(&BareJid::new("bob@localhost").unwrap()),
        Affiliation::Member
    );
    assert_eq!(
        room.affiliation(&BareJid::new("alice@localhost").unwrap()),
        Affiliation::Owner
    );
}

#[tokio::test]
async fn destroying_a_room_tells_every_occupant_the_alternate_venue_and_forgets_it() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, &field("persistentroom", "1")).await;
    bob.take();
    assert_eq!(h.stores.muc.muc_rooms("conference.localhost").await.unwrap().len(), 1);
    let not_owner = h
        .error_for(
            &mut bob,
            &format!("<iq id='d' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>"),
        )
        .await;
    assert_eq!(not_owner.as_deref(), Some("forbidden"));
    h.send(
        &alice,
        &format!(
            "<iq id='d' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'>\
             <destroy jid='heath@conference.localhost'><reason>Moving</reason></destroy></query></iq>"
        ),
    )
    .await;
    let gone = bob.take_one();
    assert_eq!(gone.attr("type"), Some("unavailable"));
    let destroy = gone
        .child("x", ns::MUC_USER)
        .unwrap()
        .child("destroy", ns::MUC_USER)
        .unwrap();
    assert_eq!(destroy.attr("jid"), Some("heath@conference.localhost"));
    assert_eq!(destroy.child("reason", ns::MUC_USER).unwrap().text(), "Moving");
    assert_eq!(alice.take().last().unwrap().attr("type"), Some("result"));
    assert!(h.stores.muc.muc_rooms("conference.localhost").await.unwrap().is_empty());
    // The name is free again: entering creates a new, locked room.
    let again = join(&h, &mut bob, "hag", "").await;
    assert!(statuses(&again[0]).contains(&201));
}

#[tokio::test]
async fn configuration_changes_are_announced_and_a_room_turned_members_only_removes_non_members() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    bob.take();
    h.send(
        &alice,
        &format!("<iq id='g' to='{ROOM}' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>"),
    )
    .await;
    let form = alice.take_one();
    let x = form
        .child("query", ns::MUC_OWNER)
        .unwrap()
        .child("x", ns::DATA_FORMS)
        .unwrap();
    assert_eq!(x.attr("type"), Some("form"));
    let got = configure(
        &h,
        &mut alice,
        &[field("membersonly", "1"), field("whois", "anyone")].concat(),
    )
    .await;
    assert_eq!(got.attr("type"), Some("result"));
    let seen = bob.take();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let mut codes = statuses(&seen[0]);
    codes.sort_unstable();
    assert_eq!(codes, [104, 172]);
    assert_eq!(seen[1].attr("type"), Some("unavailable"));
    let mut codes = statuses(&seen[1]);
    codes.sort_unstable();
    assert_eq!(codes, [110, 322]);
    let refused = h
        .error_for(
            &mut bob,
            &format!("<iq id='g' to='{ROOM}' type='get'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>"),
        )
        .await;
    assert_eq!(refused.as_deref(), Some("forbidden"));
}

#[tokio::test]
async fn an_invitation_reaches_the_invitee_from_the_room_and_makes_a_member_of_a_members_only_room() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, mut bob) = coven(&h, &[field("allowinvites", "1")].concat()).await;
    let mut carol = h.online("carol@localhost/c").await;
    bob.take();
    h.send(
        &bob,
        &format!(
            "<message to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'>\
             <invite to='carol@localhost'><reason>Come</reason></invite></x></message>"
        ),
    )
    .await;
    let invitation = carol.take_one();
    assert_eq!(invitation.attr("from"), Some(ROOM));
    let invite = invitation
        .child("x", ns::MUC_USER)
        .unwrap()
        .child("invite", ns::MUC_USER)
        .unwrap();
    assert_eq!(invite.attr("from"), Some("bob@localhost"));
    assert_eq!(invite.child("reason", ns::MUC_USER).unwrap().text(), "Come");
    // Declined: bob hears of it.
    h.send(
        &carol,
        &format!(
            "<message to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'>\
             <decline to='bob@localhost'><reason>Busy</reason></decline></x></message>"
        ),
    )
    .await;
    let decline = bob.take_one();
    let d = decline
        .child("x", ns::MUC_USER)
        .unwrap()
        .child("decline", ns::MUC_USER)
        .unwrap();
    assert_eq!(d.attr("from"), Some("carol@localhost"));

    configure(&h, &mut alice, &field("membersonly", "1")).await;
    alice.take();
    h.send(
        &alice,
        &format!(
            "<message to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x></message>"
        ),
    )
    .await;
    carol.take_one();
    let entered = join(&h, &mut carol, "witch", "").await;
    assert!(entered.iter().all(|s| s.attr("type") != Some("error")), "{entered:#?}");
    assert_eq!(
        item(entered.iter().find(|p| statuses(p).contains(&110)).unwrap()).0,
        "member"
    );
    alice.take();
    let to_room = h
        .error_for(
            &mut alice,
            &format!("<message to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='heath@conference.localhost'/></x></message>"),
        )
        .await;
    assert_eq!(to_room.as_deref(), Some("bad-request"));
}

#[tokio::test]
async fn mam_on_a_room_reads_its_archive_for_those_who_may_enter() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (mut alice, bob) = coven(&h, &field("membersonly", "0")).await;
    h.send(
        &bob,
        &format!("<message to='{ROOM}' type='groupchat'><body>one</body></message>"),
    )
    .await;
    h.send(
        &bob,
        &format!("<message to='{ROOM}' type='groupchat'><body>two</body></message>"),
    )
    .await;
    alice.take();
    let mut carol = h.online("carol@localhost/c").await;
    h.send(
        &carol,
        &format!("<iq id='q' to='{ROOM}' type='set'><query xmlns='urn:xmpp:mam:2' queryid='x'/></iq>"),
    )
    .await;
    let got = carol.take();
    assert_eq!(got.len(), 3, "{got:#?}");
    let bodies: Vec<String> = got[..2]
        .iter()
        .filter_map(|m| {
            let fwd = m.child("result", ns::MAM)?.child("forwarded", ns::FORWARD)?;
            body(fwd.child("message", ns::CLIENT)?)
        })
        .collect();
    assert_eq!(bodies, ["one", "two"]);
    assert_eq!(got[2].attr("type"), Some("result"));
    configure(&h, &mut alice, &field("membersonly", "1")).await;
    let refused = h
        .error_for(
            &mut carol,
            &format!("<iq id='q' to='{ROOM}' type='set'><query xmlns='urn:xmpp:mam:2'/></iq>"),
        )
        .await;
    assert_eq!(refused.as_deref(), Some("forbidden"));
}

#[tokio::test]
async fn a_second_session_with_the_same_nick_joins_the_same_occupant() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (mut alice, mut bob) = coven(&h, "").await;
    bob.take();
    let mut bob2 = h.online("bob@localhost/phone").await;
    bob.take();
    let got = join(&h, &mut bob2, "hag", "").await;
    assert!(got.iter().all(|s| s.attr("type") != Some("error")), "{got:#?}");
    assert!(alice.take().is_empty(), "no one new in the room");
    h.send(
        &alice,
        &format!("<message to='{ROOM}' type='groupchat'><body>both</body></message>"),
    )
    .await;
    assert_eq!(body(&bob.take_one()).as_deref(), Some("both"));
    assert_eq!(body(&bob2.take_one()).as_deref(), Some("both"));
    // One session leaves: the occupant stays.
    h.send(&bob2, &format!("<presence to='{ROOM}/hag' type='unavailable'/>"))
        .await;
    assert_eq!(statuses(&bob2.take_one()), [110]);
    alice.take();
    assert!(alice.take().is_empty());
}

#[tokio::test]
async fn an_occupant_pings_itself_through_the_room_and_outsiders_are_told_they_are_not_in() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    let (_alice, mut bob) = coven(&h, "").await;
    bob.take();
    h.send(
        &bob,
        &format!("<iq id='p' to='{ROOM}/hag' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"),
    )
    .await;
    let pong = bob.take_one();
    assert_eq!(
        (pong.attr("type"), pong.attr("from")),
        (Some("result"), Some("coven@conference.localhost/hag"))
    );
    let mut carol = h.online("carol@localhost/c").await;
    let out = h
        .error_for(
            &mut carol,
            &format!("<iq id='p' to='{ROOM}/hag' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"),
        )
        .await;
    assert_eq!(out.as_deref(), Some("not-acceptable"));
}

#[tokio::test]
async fn limits_on_rooms_per_owner_and_nick_length_are_kept() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    for n in 0..3 {
        h.send(
            &alice,
            &format!(
                "<presence to='r{n}@conference.localhost/crone'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
            ),
        )
        .await;
    }
    alice.take();
    let fourth = h
        .error_for(
            &mut alice,
            "<presence to='r9@conference.localhost/crone'><x xmlns='http://jabber.org/protocol/muc'/></presence>",
        )
        .await;
    assert_eq!(fourth.as_deref(), Some("not-allowed"));
    let long = "n".repeat(65);
    let too_long = h
        .error_for(&mut alice, &format!("<presence to='r0@conference.localhost/{long}'/>"))
        .await;
    assert_eq!(too_long.as_deref(), Some("not-acceptable"));
}

#[tokio::test]
async fn when_the_nodes_change_an_idle_room_is_read_again_from_storage_and_a_busy_one_is_left_alone() {
    let h = Harness::new(&["alice", "bob"]).await;
    let (alice, bob) = coven(&h, &field("persistentroom", "1")).await;
    let muc = h.core.muc.clone().unwrap();
    let store = &*h.core.stores.muc;
    let jid = BareJid::new(ROOM).unwrap();
    let subject = || async { muc.find(&jid).unwrap().lock().await.subject.clone() };
    // Another node changed the stored room while it hosted it.
    let mut record = store
        .muc_rooms("conference.localhost")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.jid == ROOM)
        .unwrap();
    record.subject = "Fair is foul".into();
    store.put_muc_room(&record).await.unwrap();

    muc.reload_idle(store).await.unwrap();
    assert_eq!(subject().await, "", "a room with occupants is this node's to keep");

    for (client, nick) in [(&alice, "crone"), (&bob, "hag")] {
        h.send(client, &format!("<presence to='{ROOM}/{nick}' type='unavailable'/>"))
            .await;
    }
    muc.reload_idle(store).await.unwrap();
    assert_eq!(subject().await, "Fair is foul");

    // A room no longer stored (destroyed elsewhere) goes.
    store.delete_muc_room(ROOM).await.unwrap();
    muc.reload_idle(store).await.unwrap();
    assert!(muc.find(&jid).is_none());
}
