//! Push notifications (XEP-0357) for messages held while every device sleeps.

use super::*;

/// An app server (XEP-0357) that keeps what it is sent.
struct AppServer(std::sync::Mutex<Vec<crate::xml::Element>>);

#[async_trait]
impl Service for AppServer {
    async fn handle(&self, _core: &Core, routed: Routed) -> Result<(), RouteError> {
        self.0.lock().unwrap().push(routed.stanza);
        Ok(())
    }
}

#[tokio::test]
async fn a_message_held_for_an_offline_user_wakes_each_registered_device_once() {
    let app = Arc::new(AppServer(Default::default()));
    let component: (String, Arc<dyn Service>) = ("push.localhost".into(), app.clone());
    let h = Harness::with(settings(), &["alice", "bob"], vec![component]).await;
    let mut bob = h.online("bob@localhost/phone").await;
    let enable = |node: &str| {
        format!(
            "<iq type='set' id='e-{node}'><enable xmlns='urn:xmpp:push:0' jid='push.localhost' node='{node}'>\
             <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
             <field var='secret'><value>s-{node}</value></field></x></enable></iq>"
        )
    };
    for node in ["d1", "d2"] {
        h.send(&bob, &enable(node)).await;
        assert_eq!(bob.take_one().attr("type"), Some("result"));
    }
    // The test settings allow two registrations.
    assert_eq!(
        h.error_for(&mut bob, &enable("d3")).await.as_deref(),
        Some("resource-constraint")
    );
    h.send(
        &bob,
        "<iq type='set' id='x'><disable xmlns='urn:xmpp:push:0' jid='push.localhost' node='d2'/></iq>",
    )
    .await;
    assert_eq!(bob.take_one().attr("type"), Some("result"));
    h.close(bob).await;

    let mut alice = h.online("alice@localhost/pc").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>wake up</body></message>",
    )
    .await;
    assert!(alice.take().is_empty());
    let sent = std::mem::take(&mut *app.0.lock().unwrap());
    assert_eq!(sent.len(), 1, "{sent:?}");
    let iq = &sent[0];
    assert_eq!(
        (iq.attr("from"), iq.attr("to")),
        (Some("bob@localhost"), Some("push.localhost"))
    );
    let xml = iq.to_xml(ns::CLIENT);
    assert!(xml.contains("'d1'") || xml.contains("\"d1\""), "{xml}");
    assert!(
        xml.contains("message-count") && xml.contains("alice@localhost/pc"),
        "{xml}"
    );
    assert!(xml.contains("s-d1") && !xml.contains("wake up"), "{xml}");
    // Online again: nothing more is pushed.
    let _bob = h.online("bob@localhost/phone").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>hi</body></message>",
    )
    .await;
    assert!(app.0.lock().unwrap().is_empty());
}
