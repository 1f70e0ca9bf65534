//! Services on domains of their own: registered with the core, routed to, listed.

use super::*;

/// A component that answers every message with an echo from its own domain.
struct Echo;

#[async_trait]
impl Service for Echo {
    async fn handle(&self, core: &Core, routed: Routed) -> Result<(), RouteError> {
        let reply = crate::xml::Element::new("message", ns::CLIENT)
            .with_attr("from", routed.to.to_string())
            .with_attr("to", routed.from.to_string())
            .with_child(crate::xml::Element::new("body", ns::CLIENT).with_text("echo"));
        core.route(routed.to, reply).await
    }
}

#[tokio::test]
async fn a_registered_service_gets_its_domain_and_is_listed_without_delivery_changes() {
    let component: (String, Arc<dyn Service>) = ("echo.localhost".into(), Arc::new(Echo));
    let h = Harness::with(settings(), &["alice"], vec![component]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<message to='room@echo.localhost' type='groupchat'><body>x</body></message>",
    )
    .await;
    let echo = alice.take_one();
    assert_eq!(
        (echo.attr("from"), body(&echo).as_deref()),
        (Some("room@echo.localhost"), Some("echo"))
    );
    h.send(
        &alice,
        "<iq id='i' to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let items = alice.take_one();
    let listed: Vec<_> = items
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .filter_map(|i| i.attr("jid"))
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, ["conference.localhost", "echo.localhost", "muclight.localhost"]);
}
