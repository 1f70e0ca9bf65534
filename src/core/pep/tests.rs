//! PEP, entity capabilities, vCards and private storage in process, on in-memory
//! storage: sessions are registered directly and their queues read (`core::testkit`).

use super::super::stanza::ns;
use super::super::testkit::{condition, xml, Client, Harness};
use super::caps::{digest, verification_string};
use crate::xml::Element;
use jid::BareJid;

const AVATAR_META: &str = "urn:xmpp:avatar:metadata";
const DEVICES: &str = "eu.siacs.conversations.axolotl.devicelist";
const BOOKMARKS: &str = "urn:xmpp:bookmarks:1";

/// A disco#info answer listing `+notify` for `interests`, and its sha-1 `ver`.
fn caps_for(interests: &[&str]) -> (String, String) {
    let mut inner = String::from(
        "<identity category='client' type='pc' name='test'/>\
         <feature var='http://jabber.org/protocol/disco#info'/>",
    );
    for n in interests {
        inner.push_str(&format!("<feature var='{n}+notify'/>"));
    }
    let query = xml(&format!("<query xmlns='{}'>{inner}</query>", ns::DISCO_INFO));
    let ver = digest("sha-1", &verification_string(&query).unwrap()).unwrap();
    (inner, ver)
}

/// The IQ the server sent to ask a client for its capabilities, if any.
fn caps_query(stanzas: &[Element]) -> Option<&Element> {
    stanzas
        .iter()
        .find(|s| s.name == "iq" && s.attr("type") == Some("get") && s.child("query", ns::DISCO_INFO).is_some())
}

/// The PEP notifications among `stanzas`: (from, node, item ids or `retract:<id>`).
fn notifications(stanzas: &[Element]) -> Vec<(String, String, Vec<String>)> {
    stanzas
        .iter()
        .filter(|s| s.name == "message")
        .filter_map(|m| {
            let event = m.child("event", ns::PUBSUB_EVENT)?;
            let what = event.elements().next()?;
            let ids = what
                .elements()
                .map(|i| match i.name.as_str() {
                    "retract" => format!("retract:{}", i.attr("id").unwrap_or("")),
                    _ => i.attr("id").unwrap_or("").to_owned(),
                })
                .collect();
            let node = match what.name.as_str() {
                "items" => what.attr("node")?.to_owned(),
                other => format!("{other}:{}", what.attr("node")?),
            };
            Some((m.attr("from")?.to_owned(), node, ids))
        })
        .collect()
}

impl Harness {
    /// A session that sent initial presence with capabilities asking for `interests`,
    /// answering the server's disco#info query when it comes. Returns what it received
    /// besides that query.
    async fn online_with_caps(&self, jid: &str, interests: &[&str]) -> (Client, Vec<Element>) {
        self.online_with_caps_priority(jid, interests, 0).await
    }

    async fn online_with_caps_priority(&self, jid: &str, interests: &[&str], priority: i8) -> (Client, Vec<Element>) {
        let (inner, ver) = caps_for(interests);
        let mut c = self.bind(jid);
        self.send(
            &c,
            &format!(
                "<presence><priority>{priority}</priority>\
                 <c xmlns='{}' hash='sha-1' node='https://client.example' ver='{ver}'/></presence>",
                ns::CAPS
            ),
        )
        .await;
        let mut got = c.take();
        if let Some(q) = caps_query(&got).cloned() {
            got.retain(|s| s != &q);
            let node = q.child("query", ns::DISCO_INFO).unwrap().attr("node").unwrap();
            assert_eq!(node, format!("https://client.example#{ver}"));
            self.send(
                &c,
                &format!(
                    "<iq type='result' id='{}' to='{}'><query xmlns='{}' node='{node}'>{inner}</query></iq>",
                    q.attr("id").unwrap(),
                    q.attr("from").unwrap(),
                    ns::DISCO_INFO
                ),
            )
            .await;
            got.extend(c.take());
        }
        (c, got)
    }

    /// `client` sends an IQ and gets its one answer; whatever else it received is dropped.
    async fn iq(&self, client: &mut Client, iq: &str) -> Element {
        self.iq_and_rest(client, iq).await.0
    }

    /// `client` sends an IQ: its one answer, and the other stanzas it received meanwhile.
    async fn iq_and_rest(&self, client: &mut Client, iq: &str) -> (Element, Vec<Element>) {
        self.send(client, iq).await;
        let (answers, rest): (Vec<Element>, Vec<Element>) = client.take().into_iter().partition(|s| s.name == "iq");
        assert_eq!(answers.len(), 1, "one answer to {iq}: {answers:#?}");
        (answers.into_iter().next().unwrap(), rest)
    }
}

fn publish(node: &str, id: &str, payload: &str) -> String {
    format!(
        "<iq type='set' id='p'><pubsub xmlns='{}'><publish node='{node}'><item id='{id}'>{payload}</item></publish></pubsub></iq>",
        ns::PUBSUB
    )
}

fn publish_with(node: &str, id: &str, payload: &str, options: &[(&str, &str)]) -> String {
    let mut fields = format!(
        "<field var='FORM_TYPE' type='hidden'><value>{}</value></field>",
        ns::PUBSUB_PUBLISH_OPTIONS
    );
    for (var, value) in options {
        fields.push_str(&format!("<field var='{var}'><value>{value}</value></field>"));
    }
    format!(
        "<iq type='set' id='p'><pubsub xmlns='{}'><publish node='{node}'><item id='{id}'>{payload}</item></publish>\
         <publish-options><x xmlns='jabber:x:data' type='submit'>{fields}</x></publish-options></pubsub></iq>",
        ns::PUBSUB
    )
}

fn items_of(owner: &str, node: &str) -> String {
    format!(
        "<iq type='get' id='i' to='{owner}'><pubsub xmlns='{}'><items node='{node}'/></pubsub></iq>",
        ns::PUBSUB
    )
}

fn meta(id: &str) -> String {
    format!("<metadata xmlns='{AVATAR_META}'><info id='{id}' bytes='10' type='image/png'/></metadata>")
}

/// The item ids of an items result.
fn item_ids(result: &Element) -> Vec<String> {
    let items = result
        .child("pubsub", ns::PUBSUB)
        .and_then(|p| p.child("items", ns::PUBSUB))
        .unwrap_or_else(|| panic!("an items result: {result:?}"));
    items
        .elements()
        .filter_map(|i| i.attr("id").map(str::to_owned))
        .collect()
}

/// The `pubsub#errors` condition of an error reply.
fn pubsub_condition(stanza: &Element) -> Option<String> {
    let error = stanza.child("error", ns::CLIENT)?;
    error
        .elements()
        .find(|e| e.ns == ns::PUBSUB_ERRORS)
        .map(|e| e.name.clone())
}

fn ok(stanza: &Element) {
    assert_eq!(stanza.attr("type"), Some("result"), "{stanza:#?}");
}

#[tokio::test]
async fn a_publication_reaches_the_owner_and_contacts_who_asked_and_nobody_else() {
    let h = Harness::new(&["alice", "bob", "carol", "dave"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    h.befriend("alice@localhost", "dave@localhost").await;
    let (mut alice, _) = h.online_with_caps("alice@localhost/a", &[AVATAR_META]).await;
    let (mut bob, _) = h.online_with_caps("bob@localhost/b", &[AVATAR_META]).await;
    let (mut carol, _) = h.online_with_caps("carol@localhost/c", &[AVATAR_META]).await;
    // dave is a contact whose client did not ask for avatars.
    let (mut dave, _) = h.online_with_caps("dave@localhost/d", &[DEVICES]).await;
    // bob's second resource has a negative priority: no notifications (XEP-0163 §4.3.2).
    let (mut hidden, _) = h
        .online_with_caps_priority("bob@localhost/hidden", &[AVATAR_META], -1)
        .await;
    for c in [&mut alice, &mut bob, &mut carol, &mut dave, &mut hidden] {
        c.take();
    }

    let (answer, to_alice) = h
        .iq_and_rest(&mut alice, &publish(AVATAR_META, "sha1a", &meta("sha1a")))
        .await;
    ok(&answer);
    let published = answer
        .child("pubsub", ns::PUBSUB)
        .unwrap()
        .child("publish", ns::PUBSUB)
        .unwrap();
    assert_eq!(published.child("item", ns::PUBSUB).unwrap().attr("id"), Some("sha1a"));

    let expected = vec![(
        "alice@localhost".to_owned(),
        AVATAR_META.to_owned(),
        vec!["sha1a".to_owned()],
    )];
    assert_eq!(notifications(&to_alice), expected, "the owner's own resource");
    let to_bob = bob.take();
    assert_eq!(notifications(&to_bob), expected);
    assert_eq!(to_bob[0].attr("type"), Some("headline"));
    assert_eq!(to_bob[0].attr("to"), Some("bob@localhost/b"));
    assert!(carol.take().is_empty(), "no presence subscription, no notification");
    assert!(dave.take().is_empty(), "no +notify, no notification");
    assert!(hidden.take().is_empty(), "negative priority, no notification");

    // bob may read the node; carol may not (XEP-0060 §6.5.9.2).
    let items = h.iq(&mut bob, &items_of("alice@localhost", AVATAR_META)).await;
    assert_eq!(item_ids(&items), ["sha1a"]);
    let payload = items
        .child("pubsub", ns::PUBSUB)
        .unwrap()
        .child("items", ns::PUBSUB)
        .unwrap();
    let first = payload.elements().next().unwrap().elements().next().unwrap();
    assert!(first.is("metadata", AVATAR_META));
    let refused = h.iq(&mut carol, &items_of("alice@localhost", AVATAR_META)).await;
    assert_eq!(condition(&refused).as_deref(), Some("not-authorized"));
    assert_eq!(
        pubsub_condition(&refused).as_deref(),
        Some("presence-subscription-required")
    );
}

#[tokio::test]
async fn capabilities_are_asked_once_per_ver_and_a_wrong_hash_is_not_trusted() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let (mut alice, _) = h.online_with_caps("alice@localhost/a", &[]).await;
    let (_bob1, first) = {
        let (inner, ver) = caps_for(&[AVATAR_META]);
        let mut c = h.bind("bob@localhost/one");
        h.send(
            &c,
            &format!(
                "<presence><c xmlns='{}' hash='sha-1' node='n' ver='{ver}'/></presence>",
                ns::CAPS
            ),
        )
        .await;
        let got = c.take();
        (c, (got, inner, ver))
    };
    let (got, inner, ver) = first;
    let q = caps_query(&got).expect("the server asks the first resource").clone();
    assert_eq!(q.attr("from"), Some("localhost"));
    // A second resource with the same ver while the first has not answered: not asked.
    let mut bob2 = h.bind("bob@localhost/two");
    h.send(
        &bob2,
        &format!(
            "<presence><c xmlns='{}' hash='sha-1' node='n' ver='{ver}'/></presence>",
            ns::CAPS
        ),
    )
    .await;
    assert!(caps_query(&bob2.take()).is_none());
    // An answer from someone else than the resource asked changes nothing.
    h.send(
        &alice,
        &format!(
            "<iq type='result' id='{}' to='localhost'><query xmlns='{}'>{inner}</query></iq>",
            q.attr("id").unwrap(),
            ns::DISCO_INFO
        ),
    )
    .await;
    alice.take();
    h.iq(&mut alice, &publish(AVATAR_META, "1", &meta("1"))).await;
    assert!(notifications(&bob2.take()).is_empty(), "nothing known yet");
    // The right resource answers, but with features that do not hash to the ver.
    let bob1 = h.bind("bob@localhost/one");
    let lying = format!("{inner}<feature var='{DEVICES}+notify'/>");
    h.send(
        &bob1,
        &format!(
            "<iq type='result' id='{}' to='localhost'><query xmlns='{}'>{lying}</query></iq>",
            q.attr("id").unwrap(),
            ns::DISCO_INFO
        ),
    )
    .await;
    // The next resource with that ver is asked instead (XEP-0115 §5.4 3.9).
    let asked = bob2.take();
    let q2 = caps_query(&asked).expect("the waiting resource is asked next").clone();
    h.send(
        &bob2,
        &format!(
            "<iq type='result' id='{}' to='localhost'><query xmlns='{}'>{inner}</query></iq>",
            q2.attr("id").unwrap(),
            ns::DISCO_INFO
        ),
    )
    .await;
    // Now known and checked: bob2 gets the last item it missed, with its publication time.
    let got = bob2.take();
    assert_eq!(
        notifications(&got),
        [(
            "alice@localhost".to_owned(),
            AVATAR_META.to_owned(),
            vec!["1".to_owned()]
        )]
    );
    assert!(got[0].child("delay", ns::DELAY).is_some());
    // A third resource with the same ver is not asked at all.
    let mut bob3 = h.bind("bob@localhost/three");
    h.send(
        &bob3,
        &format!(
            "<presence><c xmlns='{}' hash='sha-1' node='n' ver='{ver}'/></presence>",
            ns::CAPS
        ),
    )
    .await;
    let got = bob3.take();
    assert!(caps_query(&got).is_none());
    assert_eq!(notifications(&got).len(), 1, "the last item, at once");
}

#[tokio::test]
async fn last_items_go_to_a_resource_coming_online_but_never_from_nodes_that_say_never() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut alice = h.online("alice@localhost/a").await;
    ok(&h.iq(&mut alice, &publish(AVATAR_META, "m1", &meta("m1"))).await);
    ok(&h
        .iq(
            &mut alice,
            &publish(
                DEVICES,
                "current",
                "<list xmlns='eu.siacs.conversations.axolotl'><device id='1'/></list>",
            ),
        )
        .await);
    let quiet = publish_with(
        "urn:example:quiet",
        "q",
        "<q xmlns='urn:example:quiet'/>",
        &[("pubsub#send_last_published_item", "never")],
    );
    ok(&h.iq(&mut alice, &quiet).await);

    let (_bob, got) = h
        .online_with_caps("bob@localhost/b", &[AVATAR_META, DEVICES, "urn:example:quiet"])
        .await;
    let mut got = notifications(&got);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "alice@localhost".to_owned(),
                DEVICES.to_owned(),
                vec!["current".to_owned()]
            ),
            (
                "alice@localhost".to_owned(),
                AVATAR_META.to_owned(),
                vec!["m1".to_owned()]
            ),
        ]
    );
    // The owner's own new resource gets its own last items too.
    let (_a2, got) = h.online_with_caps("alice@localhost/second", &[DEVICES]).await;
    assert_eq!(notifications(&got).len(), 1);
}

#[tokio::test]
async fn an_approved_subscription_brings_the_last_items() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    ok(&h.iq(&mut alice, &publish(AVATAR_META, "m1", &meta("m1"))).await);
    let (mut bob, got) = h.online_with_caps("bob@localhost/b", &[AVATAR_META]).await;
    assert!(notifications(&got).is_empty(), "not a contact yet");
    h.send(&bob, "<presence type='subscribe' to='alice@localhost'/>").await;
    h.send(&alice, "<presence type='subscribed' to='bob@localhost'/>").await;
    let got = notifications(&bob.take());
    assert_eq!(
        got,
        [(
            "alice@localhost".to_owned(),
            AVATAR_META.to_owned(),
            vec!["m1".to_owned()]
        )]
    );
}

#[tokio::test]
async fn bookmarks_published_with_whitelist_options_stay_with_the_owner() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let (mut alice, _) = h.online_with_caps("alice@localhost/a", &[BOOKMARKS]).await;
    let (mut bob, _) = h.online_with_caps("bob@localhost/b", &[BOOKMARKS]).await;
    alice.take();
    bob.take();
    let options = [
        ("pubsub#persist_items", "true"),
        ("pubsub#max_items", "max"),
        ("pubsub#send_last_published_item", "never"),
        ("pubsub#access_model", "whitelist"),
    ];
    let mut told = 0;
    for room in ["tea@muc.localhost", "coffee@muc.localhost"] {
        let conference = format!("<conference xmlns='{BOOKMARKS}' name='{room}' autojoin='true'/>");
        let (answer, rest) = h
            .iq_and_rest(&mut alice, &publish_with(BOOKMARKS, room, &conference, &options))
            .await;
        ok(&answer);
        told += notifications(&rest).len();
    }
    assert_eq!(told, 2, "the owner's resources are told");
    assert!(bob.take().is_empty(), "a whitelist node notifies nobody else");
    let items = h.iq(&mut alice, &items_of("alice@localhost", BOOKMARKS)).await;
    assert_eq!(item_ids(&items), ["tea@muc.localhost", "coffee@muc.localhost"]);
    let refused = h.iq(&mut bob, &items_of("alice@localhost", BOOKMARKS)).await;
    assert_eq!(condition(&refused).as_deref(), Some("not-allowed"));
    assert_eq!(pubsub_condition(&refused).as_deref(), Some("closed-node"));

    // Publishing with options the node does not have: refused, nothing stored.
    let conference = format!("<conference xmlns='{BOOKMARKS}' name='x'/>");
    let mismatch = publish_with(
        BOOKMARKS,
        "x@muc.localhost",
        &conference,
        &[("pubsub#access_model", "open")],
    );
    let refused = h.iq(&mut alice, &mismatch).await;
    assert_eq!(condition(&refused).as_deref(), Some("conflict"));
    assert_eq!(pubsub_condition(&refused).as_deref(), Some("precondition-not-met"));
    let unknown = publish_with(BOOKMARKS, "x@muc.localhost", &conference, &[("pubsub#frobnicate", "1")]);
    assert_eq!(
        pubsub_condition(&h.iq(&mut alice, &unknown).await).as_deref(),
        Some("precondition-not-met")
    );
    let items = h.iq(&mut alice, &items_of("alice@localhost", BOOKMARKS)).await;
    assert_eq!(item_ids(&items).len(), 2);

    // disco#items: bob does not see the node, alice does.
    let disco = |to: &str| {
        format!(
            "<iq type='get' id='d' to='{to}'><query xmlns='{}'/></iq>",
            ns::DISCO_ITEMS
        )
    };
    let nodes = |r: &Element| -> Vec<String> {
        r.child("query", ns::DISCO_ITEMS)
            .unwrap()
            .elements()
            .filter_map(|i| i.attr("node").map(str::to_owned))
            .collect()
    };
    ok(&h.iq(&mut alice, &publish(AVATAR_META, "m", &meta("m"))).await);
    alice.take();
    assert_eq!(
        nodes(&h.iq(&mut alice, &disco("alice@localhost")).await),
        [AVATAR_META, BOOKMARKS]
    );
    assert_eq!(nodes(&h.iq(&mut bob, &disco("alice@localhost")).await), [AVATAR_META]);
    // disco#info on a node: a leaf with its meta-data, for those who may read it.
    let node_info = |node: &str| {
        format!(
            "<iq type='get' id='d' to='alice@localhost'><query xmlns='{}' node='{node}'/></iq>",
            ns::DISCO_INFO
        )
    };
    let info = h.iq(&mut bob, &node_info(AVATAR_META)).await;
    let query = info.child("query", ns::DISCO_INFO).expect("node info");
    assert_eq!(query.attr("node"), Some(AVATAR_META));
    let identity = query.child("identity", ns::DISCO_INFO).unwrap();
    assert_eq!(
        (identity.attr("category"), identity.attr("type")),
        (Some("pubsub"), Some("leaf"))
    );
    assert!(query.child("x", ns::DATA_FORMS).is_some(), "the meta-data form");
    let refused = h.iq(&mut bob, &node_info(BOOKMARKS)).await;
    assert_eq!(pubsub_condition(&refused).as_deref(), Some("closed-node"));
    ok(&h.iq(&mut alice, &node_info(BOOKMARKS)).await);
    let missing = h.iq(&mut bob, &node_info("urn:example:none")).await;
    assert_eq!(condition(&missing).as_deref(), Some("item-not-found"));
    // The publish-options form may come before the publication it qualifies.
    let reordered = format!(
        "<iq type='set' id='p'><pubsub xmlns='{}'><publish-options><x xmlns='jabber:x:data' type='submit'>\
         <field var='pubsub#access_model'><value>whitelist</value></field></x></publish-options>\
         <publish node='{BOOKMARKS}'><item id='z@muc.localhost'><conference xmlns='{BOOKMARKS}'/></item></publish></pubsub></iq>",
        ns::PUBSUB
    );
    ok(&h.iq(&mut alice, &reordered).await);
}

#[tokio::test]
async fn the_owner_retracts_configures_purges_and_deletes_and_others_may_not() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let (mut alice, _) = h.online_with_caps("alice@localhost/a", &[]).await;
    let (mut bob, _) = h.online_with_caps("bob@localhost/b", &["urn:example:tune"]).await;
    alice.take();
    bob.take();
    let tune = |n: u32| format!("<tune xmlns='urn:example:tune'><track>{n}</track></tune>");
    ok(&h.iq(&mut alice, &publish("urn:example:tune", "1", &tune(1))).await);
    // Default max_items is 1: the second replaces the first.
    ok(&h.iq(&mut alice, &publish("urn:example:tune", "2", &tune(2))).await);
    assert_eq!(notifications(&bob.take()).len(), 2);
    assert_eq!(
        item_ids(&h.iq(&mut bob, &items_of("alice@localhost", "urn:example:tune")).await),
        ["2"]
    );

    // Others may not publish, retract, configure, delete or purge.
    let owner_ops = [
        format!("<iq type='set' id='x' to='alice@localhost'><pubsub xmlns='{}'><publish node='urn:example:tune'><item><tune xmlns='urn:example:tune'/></item></publish></pubsub></iq>", ns::PUBSUB),
        format!("<iq type='set' id='x' to='alice@localhost'><pubsub xmlns='{}'><retract node='urn:example:tune'><item id='2'/></retract></pubsub></iq>", ns::PUBSUB),
        format!("<iq type='get' id='x' to='alice@localhost'><pubsub xmlns='{}'><configure node='urn:example:tune'/></pubsub></iq>", ns::PUBSUB_OWNER),
        format!("<iq type='set' id='x' to='alice@localhost'><pubsub xmlns='{}'><delete node='urn:example:tune'/></pubsub></iq>", ns::PUBSUB_OWNER),
        format!("<iq type='set' id='x' to='alice@localhost'><pubsub xmlns='{}'><purge node='urn:example:tune'/></pubsub></iq>", ns::PUBSUB_OWNER),
    ];
    for op in &owner_ops {
        assert_eq!(
            condition(&h.iq(&mut bob, op).await).as_deref(),
            Some("forbidden"),
            "{op}"
        );
    }

    // Configure: the form shows the defaults; raising max_items keeps more.
    let form = h
        .iq(
            &mut alice,
            &format!(
                "<iq type='get' id='c'><pubsub xmlns='{}'><configure node='urn:example:tune'/></pubsub></iq>",
                ns::PUBSUB_OWNER
            ),
        )
        .await;
    let x = form
        .child("pubsub", ns::PUBSUB_OWNER)
        .and_then(|p| p.child("configure", ns::PUBSUB_OWNER))
        .and_then(|c| c.child("x", ns::DATA_FORMS))
        .expect("a configuration form");
    let parsed = super::super::forms::Form::parse(x).unwrap();
    assert_eq!(parsed.field("pubsub#access_model").unwrap().value(), "presence");
    assert_eq!(parsed.field("pubsub#max_items").unwrap().value(), "1");
    let set = |fields: &str| {
        format!(
            "<iq type='set' id='c'><pubsub xmlns='{}'><configure node='urn:example:tune'>\
             <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>{}</value></field>{fields}</x>\
             </configure></pubsub></iq>",
            ns::PUBSUB_OWNER,
            ns::PUBSUB_NODE_CONFIG
        )
    };
    ok(&h
        .iq(
            &mut alice,
            &set("<field var='pubsub#max_items'><value>3</value></field>"),
        )
        .await);
    let too_many = h
        .iq(
            &mut alice,
            &set("<field var='pubsub#max_items'><value>6</value></field>"),
        )
        .await;
    assert_eq!(condition(&too_many).as_deref(), Some("not-acceptable"));
    let unknown = h
        .iq(&mut alice, &set("<field var='pubsub#bogus'><value>1</value></field>"))
        .await;
    assert_eq!(condition(&unknown).as_deref(), Some("not-acceptable"));
    ok(&h.iq(&mut alice, &publish("urn:example:tune", "3", &tune(3))).await);
    assert_eq!(
        item_ids(&h.iq(&mut bob, &items_of("alice@localhost", "urn:example:tune")).await),
        ["2", "3"]
    );
    let newest = format!(
        "<iq type='get' id='i' to='alice@localhost'><pubsub xmlns='{}'><items node='urn:example:tune' max_items='1'/></pubsub></iq>",
        ns::PUBSUB
    );
    assert_eq!(item_ids(&h.iq(&mut bob, &newest).await), ["3"]);
    let by_id = format!(
        "<iq type='get' id='i' to='alice@localhost'><pubsub xmlns='{}'><items node='urn:example:tune'><item id='2'/></items></pubsub></iq>",
        ns::PUBSUB
    );
    assert_eq!(item_ids(&h.iq(&mut bob, &by_id).await), ["2"]);
    bob.take();

    // Retract notifies; a missing item is item-not-found.
    let retract = |id: &str| {
        format!(
            "<iq type='set' id='r'><pubsub xmlns='{}'><retract node='urn:example:tune'><item id='{id}'/></retract></pubsub></iq>",
            ns::PUBSUB
        )
    };
    ok(&h.iq(&mut alice, &retract("2")).await);
    assert_eq!(
        notifications(&bob.take()),
        [(
            "alice@localhost".to_owned(),
            "urn:example:tune".to_owned(),
            vec!["retract:2".to_owned()]
        )]
    );
    assert_eq!(
        condition(&h.iq(&mut alice, &retract("2")).await).as_deref(),
        Some("item-not-found")
    );

    // Purge, then delete: each notified; the node is gone after.
    let owner_op = |op: &str| {
        format!(
            "<iq type='set' id='o'><pubsub xmlns='{}'><{op} node='urn:example:tune'/></pubsub></iq>",
            ns::PUBSUB_OWNER
        )
    };
    ok(&h.iq(&mut alice, &owner_op("purge")).await);
    let mut told: Vec<String> = notifications(&bob.take()).into_iter().map(|(_, n, _)| n).collect();
    assert!(item_ids(&h.iq(&mut bob, &items_of("alice@localhost", "urn:example:tune")).await).is_empty());
    ok(&h.iq(&mut alice, &owner_op("delete")).await);
    told.extend(notifications(&bob.take()).into_iter().map(|(_, n, _)| n));
    assert_eq!(told, ["purge:urn:example:tune", "delete:urn:example:tune"]);
    let gone = h.iq(&mut bob, &items_of("alice@localhost", "urn:example:tune")).await;
    assert_eq!(condition(&gone).as_deref(), Some("item-not-found"));
    assert_eq!(
        condition(&h.iq(&mut alice, &owner_op("delete")).await).as_deref(),
        Some("item-not-found")
    );

    // Explicit creation, with a configuration; twice is a conflict.
    let create = format!(
        "<iq type='set' id='n'><pubsub xmlns='{}'><create node='urn:example:mood'/><configure>\
         <x xmlns='jabber:x:data' type='submit'><field var='pubsub#access_model'><value>open</value></field></x>\
         </configure></pubsub></iq>",
        ns::PUBSUB
    );
    ok(&h.iq(&mut alice, &create).await);
    assert_eq!(condition(&h.iq(&mut alice, &create).await).as_deref(), Some("conflict"));
    // Explicit subscriptions are not offered.
    let subscribe = format!(
        "<iq type='set' id='s' to='alice@localhost'><pubsub xmlns='{}'><subscribe node='urn:example:mood' jid='bob@localhost'/></pubsub></iq>",
        ns::PUBSUB
    );
    let refused = h.iq(&mut bob, &subscribe).await;
    assert_eq!(condition(&refused).as_deref(), Some("feature-not-implemented"));
    assert_eq!(pubsub_condition(&refused).as_deref(), Some("unsupported"));
}

#[tokio::test]
async fn limits_refuse_big_payloads_too_many_nodes_and_a_full_account() {
    // Test limits: 2048-byte payloads (4096 for avatar data), 4 nodes, 16 KiB per account.
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let blob = |n: usize| format!("<data xmlns='urn:xmpp:avatar:data'>{}</data>", "A".repeat(n));
    let big = h.iq(&mut alice, &publish("urn:example:big", "1", &blob(3000))).await;
    assert_eq!(condition(&big).as_deref(), Some("not-acceptable"));
    assert_eq!(pubsub_condition(&big).as_deref(), Some("payload-too-big"));
    ok(&h
        .iq(&mut alice, &publish("urn:xmpp:avatar:data", "1", &blob(3000)))
        .await);
    let bigger = h
        .iq(&mut alice, &publish("urn:xmpp:avatar:data", "1", &blob(5000)))
        .await;
    assert_eq!(pubsub_condition(&bigger).as_deref(), Some("payload-too-big"));
    for n in 1..=3 {
        ok(&h
            .iq(&mut alice, &publish(&format!("urn:example:{n}"), "1", &blob(10)))
            .await);
    }
    let fifth = h.iq(&mut alice, &publish("urn:example:5", "1", &blob(10))).await;
    assert_eq!(condition(&fifth).as_deref(), Some("not-allowed"));
    assert_eq!(pubsub_condition(&fifth).as_deref(), Some("max-nodes-exceeded"));
    // Publishing with options the existing node does not have is refused.
    let keep_five = [("pubsub#max_items", "5")];
    let mismatch = h
        .iq(&mut alice, &publish_with("urn:example:1", "1", &blob(10), &keep_five))
        .await;
    assert_eq!(pubsub_condition(&mismatch).as_deref(), Some("precondition-not-met"));
    // Two nodes of 5 items of 1900 bytes exceed 16 KiB together.
    let configure = |node: &str| {
        format!(
            "<iq type='set' id='c'><pubsub xmlns='{}'><configure node='{node}'><x xmlns='jabber:x:data' type='submit'>\
             <field var='pubsub#max_items'><value>5</value></field></x></configure></pubsub></iq>",
            ns::PUBSUB_OWNER
        )
    };
    let mut refused = None;
    'fill: for node in ["urn:example:1", "urn:example:2"] {
        ok(&h.iq(&mut alice, &configure(node)).await);
        for id in 1..=5 {
            let r = h.iq(&mut alice, &publish(node, &id.to_string(), &blob(1900))).await;
            if r.attr("type") == Some("error") {
                refused = Some(r);
                break 'fill;
            }
        }
    }
    let refused = refused.expect("the account fills up");
    assert_eq!(condition(&refused).as_deref(), Some("policy-violation"));
    // Malformed requests.
    let no_node = format!(
        "<iq type='set' id='p'><pubsub xmlns='{}'><publish><item><a xmlns='x'/></item></publish></pubsub></iq>",
        ns::PUBSUB
    );
    assert_eq!(
        pubsub_condition(&h.iq(&mut alice, &no_node).await).as_deref(),
        Some("nodeid-required")
    );
    let two = publish("urn:example:1", "z", "<a xmlns='x'/><b xmlns='x'/>");
    assert_eq!(
        pubsub_condition(&h.iq(&mut alice, &two).await).as_deref(),
        Some("invalid-payload")
    );
}

#[tokio::test]
async fn the_bare_jid_is_a_pep_service_in_disco_and_the_server_offers_vcards() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut bob = h.online("bob@localhost/b").await;
    let info = h
        .iq(
            &mut bob,
            &format!(
                "<iq type='get' id='d' to='alice@localhost'><query xmlns='{}'/></iq>",
                ns::DISCO_INFO
            ),
        )
        .await;
    let query = info.child("query", ns::DISCO_INFO).unwrap();
    let identities: Vec<(String, String)> = query
        .elements()
        .filter(|e| e.name == "identity")
        .map(|i| {
            (
                i.attr("category").unwrap().to_owned(),
                i.attr("type").unwrap().to_owned(),
            )
        })
        .collect();
    assert!(identities.contains(&("pubsub".into(), "pep".into())), "{identities:?}");
    assert!(identities.contains(&("account".into(), "registered".into())));
    let features: Vec<&str> = query.elements().filter_map(|f| f.attr("var")).collect();
    for f in [
        "http://jabber.org/protocol/pubsub#publish",
        "http://jabber.org/protocol/pubsub#publish-options",
        "http://jabber.org/protocol/pubsub#filtered-notifications",
        "vcard-temp",
        "jabber:iq:private",
    ] {
        assert!(features.contains(&f), "{f} in {features:?}");
    }
    assert!(!features.contains(&"http://jabber.org/protocol/pubsub#subscribe"));
    let server = h
        .iq(
            &mut bob,
            &format!(
                "<iq type='get' id='d' to='localhost'><query xmlns='{}'/></iq>",
                ns::DISCO_INFO
            ),
        )
        .await;
    let features: Vec<&str> = server
        .child("query", ns::DISCO_INFO)
        .unwrap()
        .elements()
        .filter_map(|f| f.attr("var"))
        .collect();
    assert!(features.contains(&"vcard-temp"));
}

#[tokio::test]
async fn a_vcard_is_set_by_its_owner_and_read_by_anyone() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    let get = |to: &str| format!("<iq type='get' id='v' to='{to}'><vCard xmlns='vcard-temp'/></iq>");
    let none = h.iq(&mut bob, &get("alice@localhost")).await;
    let empty = none
        .child("vCard", ns::VCARD)
        .expect("an empty vCard when none was set");
    assert!(empty.children.is_empty());
    let card = "<vCard xmlns='vcard-temp'><FN>Alice</FN><NICKNAME>al</NICKNAME></vCard>";
    ok(&h.iq(&mut alice, &format!("<iq type='set' id='v'>{card}</iq>")).await);
    let got = h.iq(&mut bob, &get("alice@localhost")).await;
    assert_eq!(got.child("vCard", ns::VCARD).unwrap(), &xml(card));
    let forged = format!("<iq type='set' id='v' to='alice@localhost'>{card}</iq>");
    assert_eq!(condition(&h.iq(&mut bob, &forged).await).as_deref(), Some("forbidden"));
    let big = format!(
        "<iq type='set' id='v'><vCard xmlns='vcard-temp'><DESC>{}</DESC></vCard></iq>",
        "x".repeat(3000)
    );
    assert_eq!(
        condition(&h.iq(&mut alice, &big).await).as_deref(),
        Some("not-acceptable")
    );
    assert_eq!(
        h.iq(&mut bob, &get("alice@localhost"))
            .await
            .child("vCard", ns::VCARD)
            .unwrap(),
        &xml(card),
        "the refused vCard changed nothing"
    );
}

#[tokio::test]
async fn private_xml_round_trips_for_its_owner_only() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    let q = |inner: &str| format!("<query xmlns='jabber:iq:private'>{inner}</query>");
    let bookmarks = "<storage xmlns='storage:bookmarks'><conference jid='tea@muc.localhost' autojoin='true'><nick>al</nick></conference></storage>";
    ok(&h
        .iq(&mut alice, &format!("<iq type='set' id='s'>{}</iq>", q(bookmarks)))
        .await);
    let got = h
        .iq(
            &mut alice,
            &format!(
                "<iq type='get' id='g'>{}</iq>",
                q("<storage xmlns='storage:bookmarks'/>")
            ),
        )
        .await;
    assert_eq!(got.child("query", ns::PRIVATE).unwrap(), &xml(&q(bookmarks)));
    let unknown = h
        .iq(
            &mut alice,
            &format!("<iq type='get' id='g'>{}</iq>", q("<prefs xmlns='urn:example:prefs'/>")),
        )
        .await;
    assert_eq!(
        unknown.child("query", ns::PRIVATE).unwrap(),
        &xml(&q("<prefs xmlns='urn:example:prefs'/>")),
        "nothing stored: the empty element back"
    );
    let theirs = format!(
        "<iq type='get' id='g' to='alice@localhost'>{}</iq>",
        q("<storage xmlns='storage:bookmarks'/>")
    );
    assert_eq!(condition(&h.iq(&mut bob, &theirs).await).as_deref(), Some("forbidden"));
    let empty = format!("<iq type='get' id='g'>{}</iq>", q(""));
    assert_eq!(
        condition(&h.iq(&mut alice, &empty).await).as_deref(),
        Some("not-acceptable")
    );
    let reserved = format!("<iq type='set' id='s'>{}</iq>", q("<x/>"));
    assert_eq!(
        condition(&h.iq(&mut alice, &reserved).await).as_deref(),
        Some("not-acceptable")
    );
    // At most three namespaces in the test settings.
    for n in 1..=2 {
        let doc = format!("<p xmlns='urn:example:{n}'/>");
        ok(&h
            .iq(&mut alice, &format!("<iq type='set' id='s'>{}</iq>", q(&doc)))
            .await);
    }
    let fourth = format!("<iq type='set' id='s'>{}</iq>", q("<p xmlns='urn:example:4'/>"));
    assert_eq!(
        condition(&h.iq(&mut alice, &fourth).await).as_deref(),
        Some("not-acceptable")
    );
}

#[tokio::test]
async fn removing_an_account_removes_its_nodes_vcard_and_private_xml() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    ok(&h.iq(&mut alice, &publish(AVATAR_META, "m", &meta("m"))).await);
    ok(&h
        .iq(
            &mut alice,
            "<iq type='set' id='v'><vCard xmlns='vcard-temp'><FN>A</FN></vCard></iq>",
        )
        .await);
    ok(&h
        .iq(
            &mut alice,
            "<iq type='set' id='s'><query xmlns='jabber:iq:private'><p xmlns='urn:example:p'/></query></iq>",
        )
        .await);
    h.core
        .remove_account(&BareJid::new("alice@localhost").unwrap())
        .await
        .unwrap();
    let owner = "alice@localhost";
    assert!(h.stores.pep.pep_nodes(owner).await.unwrap().is_empty());
    let vcard = h
        .stores
        .user_data
        .user_data(owner, crate::store::UserDataKind::Vcard, "")
        .await;
    assert_eq!(vcard.unwrap(), None);
    let private = h
        .stores
        .user_data
        .user_data(owner, crate::store::UserDataKind::Private, "urn:example:p")
        .await;
    assert_eq!(private.unwrap(), None);
}

#[test]
fn an_items_result_keeps_the_newest_items_within_its_budget() {
    let item = |id: &str, size: usize| crate::store::PepItem {
        id: id.into(),
        payload: "x".repeat(size),
        published_ms: 0,
    };
    let ids = |v: Vec<crate::store::PepItem>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let items = vec![item("a", 40), item("b", 30), item("c", 30), item("d", 30)];
    assert_eq!(ids(super::newest_within(items.clone(), 100)), ["b", "c", "d"]);
    assert_eq!(ids(super::newest_within(items.clone(), 1000)), ["a", "b", "c", "d"]);
    assert_eq!(ids(super::newest_within(items, 10)), ["d"], "at least the newest");
    assert!(super::newest_within(Vec::new(), 10).is_empty());
}

/// What `tracing` writes while the returned guard lives on this thread (every level).
fn capture_logs() -> (
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    tracing::subscriber::DefaultGuard,
) {
    use std::sync::{Arc, Mutex};
    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = Arc::new(Mutex::new(Vec::new()));
    let writer = Buffer(out.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (out, tracing::subscriber::set_default(subscriber))
}

/// A `ver` is the client's text: logged escaped and cut short, never as lines of its own.
#[tokio::test]
async fn a_forged_caps_ver_is_logged_on_one_bounded_line() {
    let (logs, _guard) = capture_logs();
    let h = Harness::new(&["alice"]).await;
    let (inner, _) = caps_for(&[AVATAR_META]);
    let ver = format!("x&#10;2026-12-07T03:00:00Z ERROR forged line {}", "y".repeat(5000));
    let c = h.bind("alice@localhost/a");
    h.send(
        &c,
        &format!(
            "<presence><c xmlns='{}' hash='sha-1' node='n' ver='{ver}'/></presence>",
            ns::CAPS
        ),
    )
    .await;
    let mut c = c;
    let got = c.take();
    let q = caps_query(&got).expect("the server asks for the capabilities").clone();
    let node = q
        .child("query", ns::DISCO_INFO)
        .unwrap()
        .attr("node")
        .unwrap()
        .to_owned();
    // An answer whose hash is not that ver.
    h.send(
        &c,
        &format!(
            "<iq type='result' id='{}' to='{}'><query xmlns='{}' node='{node}'>{inner}</query></iq>",
            q.attr("id").unwrap(),
            q.attr("from").unwrap(),
            ns::DISCO_INFO
        ),
    )
    .await;
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("capabilities do not match their hash"))
        .unwrap_or_else(|| panic!("the mismatch is logged: {text}"));
    assert!(line.contains("x\\n2026-12-07T03:00:00Z ERROR forged line"), "{line}");
    assert!(line.len() < 1_000, "{} bytes", line.len());
    assert!(
        !text.lines().any(|l| l.starts_with("2026-12-07T03:00:00Z ERROR forged")),
        "{text}"
    );
}
