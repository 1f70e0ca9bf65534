//! XEP-0198 stream management and XEP-0352 client state indication against the real
//! server: slixmpp (tests/slixmpp/stream_management.py, csi.py) for what a client library
//! does, tokio-xmpp raw streams and a raw WebSocket for what no library sends.

use crate::common;
use crate::common::xmpp::{raw_bind, raw_login, raw_stream_error, Jid, RawStream, Transport};
use crate::common::TestServer;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use meerkat_client_api::models::MessageRequest;
use meerkat_client_api::{ApiNoContext as _, SendMessageResponse};
use sasl::client::mechanisms::Scram;
use sasl::client::Mechanism;
use sasl::common::scram::Sha1;
use sasl::common::ChannelBinding;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tokio_xmpp::parsers::sm;
use tokio_xmpp::parsers::stream_error::DefinedCondition as StreamCondition;
use tokio_xmpp::xmlstream::XmppStreamElement;

async fn server_with(extra: &str) -> TestServer {
    let extra = extra.to_owned();
    let server = TestServer::start_with(move |dir| common::default_config(dir, &extra));
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    server
}

async fn slixmpp(server: TestServer, scenario: &'static str, args: &'static [&'static str]) {
    tokio::task::spawn_blocking(move || common::slix::run(&server, scenario, args))
        .await
        .unwrap();
}

#[tokio::test]
async fn slixmpp_resumes_after_its_connection_drops_and_gets_what_was_sent_meanwhile_once() {
    slixmpp(server_with("").await, "stream_management.py", &["resume"]).await;
}

#[tokio::test]
async fn a_slixmpp_client_resuming_takes_its_session_over_from_a_half_open_connection() {
    slixmpp(server_with("").await, "stream_management.py", &["takeover"]).await;
}

/// Every default module, with a two-second resumption timeout.
const SHORT_RESUME: &str = "
[modules.mod_mam]
[modules.mod_roster]
[modules.mod_csi]
[modules.mod_stream_management]
resume_timeout = 2
";

#[tokio::test]
async fn after_the_resumption_timeout_slixmpp_is_refused_and_finds_the_message_in_the_archive() {
    slixmpp(server_with(SHORT_RESUME).await, "stream_management.py", &["timeout"]).await;
}

#[tokio::test]
async fn an_inactive_slixmpp_client_gets_presence_later_and_messages_at_once() {
    slixmpp(server_with("").await, "csi.py", &[]).await;
}

async fn send_sm(stream: &mut RawStream, nonza: sm::Nonza) {
    stream.send(&XmppStreamElement::SM(nonza)).await.expect("send");
}

fn enable() -> sm::Nonza {
    sm::Nonza::Enable(sm::Enable {
        max: None,
        resume: true,
    })
}

#[tokio::test]
async fn without_the_module_stream_management_is_neither_offered_nor_accepted() {
    let server = server_with("[modules.mod_roster]\n").await;
    let connector = common::xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost".parse().unwrap();
    let (features, mut alice) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    assert!(features.stream_management.is_none());
    raw_bind(&mut alice, "raw").await.expect("bind");
    send_sm(&mut alice, enable()).await;
    assert_eq!(
        raw_stream_error(&mut alice).await,
        StreamCondition::UnsupportedStanzaType
    );
}

type Ws = WebSocketStream<TcpStream>;

async fn ws_send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned())).await.expect("WebSocket send");
}

/// The next text message.
async fn ws_next(ws: &mut Ws) -> String {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("nothing from the server within 10 s")
            .expect("the WebSocket ended")
            .expect("a WebSocket message");
        if let Message::Text(t) = m {
            return t.to_string();
        }
    }
}

/// The next text message starting with `prefix`, skipping others.
async fn ws_next_starting(ws: &mut Ws, prefix: &str) -> String {
    loop {
        let m = ws_next(ws).await;
        if m.starts_with(prefix) {
            return m;
        }
    }
}

/// The text content of a one-element message such as `<challenge …>B64</challenge>`.
fn content(element: &str) -> &str {
    element
        .split_once('>')
        .and_then(|(_, rest)| rest.split_once('<'))
        .map_or("", |(text, _)| text)
}

/// The value of attribute `name` in the first tag of `element`.
fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {name}='"))? + name.len() + 3;
    element[start..].split('\'').next()
}

async fn ws_open(ws: &mut Ws) -> String {
    ws_send(
        ws,
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>",
    )
    .await;
    assert!(ws_next(ws).await.starts_with("<open"));
    ws_next(ws).await
}

/// Logs in over XMPP on WebSocket with SCRAM-SHA-1; the features after authentication.
async fn ws_login(server: &TestServer, user: &str) -> (Ws, String) {
    let addr = server.addr("mongoose_websocket_handler");
    let mut request = format!("ws://{addr}/ws-xmpp").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "xmpp".parse().unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.expect("upgrade");
    ws_open(&mut ws).await;
    let sasl_ns = "urn:ietf:params:xml:ns:xmpp-sasl";
    let mut scram = Scram::<Sha1>::new(user, "secret", ChannelBinding::None).unwrap();
    let first = B64.encode(scram.initial());
    ws_send(
        &mut ws,
        &format!("<auth xmlns='{sasl_ns}' mechanism='SCRAM-SHA-1'>{first}</auth>"),
    )
    .await;
    let challenge = B64.decode(content(&ws_next(&mut ws).await)).unwrap();
    let response = B64.encode(scram.response(&challenge).unwrap());
    ws_send(&mut ws, &format!("<response xmlns='{sasl_ns}'>{response}</response>")).await;
    assert!(ws_next(&mut ws).await.starts_with("<success"));
    let features = ws_open(&mut ws).await;
    (ws, features)
}

async fn rest_send(server: &TestServer, body: &str) {
    let r = server
        .client_as("bob@localhost", "secret")
        .send_message(MessageRequest::new("alice@localhost".into(), body.into()), None)
        .await
        .unwrap();
    assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
}

#[tokio::test]
async fn a_websocket_session_is_resumed_and_what_was_not_acknowledged_is_sent_again() {
    let server = server_with("").await;
    let (mut ws, features) = ws_login(&server, "alice").await;
    assert!(
        features.contains("<sm xmlns='urn:xmpp:sm:3'/>") && features.contains("<csi xmlns='urn:xmpp:csi:0'/>"),
        "{features}"
    );
    ws_send(
        &mut ws,
        "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>tab</resource></bind></iq>",
    )
    .await;
    assert!(ws_next(&mut ws).await.contains("alice@localhost/tab"));
    ws_send(&mut ws, "<enable xmlns='urn:xmpp:sm:3' resume='true' max='60'/>").await;
    let enabled = ws_next_starting(&mut ws, "<enabled").await;
    assert_eq!(
        attr(&enabled, "max"),
        Some("60"),
        "the client asked for less: {enabled}"
    );
    let id = attr(&enabled, "id").expect("an SM-ID").to_owned();
    ws_send(&mut ws, "<presence xmlns='jabber:client'/>").await;
    // A ping answered means the presence before it was handled.
    ws_send(
        &mut ws,
        "<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>",
    )
    .await;
    assert!(ws_next_starting(&mut ws, "<iq").await.contains("type='result'"));

    rest_send(&server, "one").await;
    let one = ws_next_starting(&mut ws, "<message").await;
    assert!(one.contains("<body>one</body>"), "{one}");
    assert_eq!(
        ws_next(&mut ws).await,
        "<r xmlns='urn:xmpp:sm:3'/>",
        "the server asks for an ack"
    );

    // The connection dies without a word; "one" was never acknowledged.
    drop(ws);
    rest_send(&server, "two").await;

    let (mut ws, _) = ws_login(&server, "alice").await;
    ws_send(&mut ws, &format!("<resume xmlns='urn:xmpp:sm:3' previd='{id}' h='0'/>")).await;
    let resumed = ws_next(&mut ws).await;
    assert!(resumed.starts_with("<resumed"), "{resumed}");
    assert_eq!(attr(&resumed, "previd"), Some(id.as_str()));
    assert_eq!(
        attr(&resumed, "h"),
        Some("2"),
        "the server handled alice's presence and ping"
    );
    let pong = ws_next(&mut ws).await;
    assert!(
        pong.starts_with("<iq") && pong.contains("id='p1'") && !pong.contains("urn:xmpp:delay"),
        "every unacknowledged stanza is sent again, an IQ without a delay mark: {pong}"
    );
    let again = ws_next(&mut ws).await;
    assert!(
        again.contains("<body>one</body>") && again.contains("<delay xmlns='urn:xmpp:delay' from='localhost' stamp='"),
        "retransmitted with a delay mark: {again}"
    );
    // Sent while away (or, should the server not have noticed the loss yet, written to
    // the dead connection and retransmitted).
    let two = ws_next_starting(&mut ws, "<message").await;
    assert!(two.contains("<body>two</body>"), "{two}");
    ws_send(&mut ws, "<a xmlns='urn:xmpp:sm:3' h='3'/>").await;
    ws_send(&mut ws, "<r xmlns='urn:xmpp:sm:3'/>").await;
    assert_eq!(
        ws_next_starting(&mut ws, "<a ").await,
        "<a xmlns='urn:xmpp:sm:3' h='2'/>",
        "counting goes on from the former stream"
    );
    ws_send(&mut ws, "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>").await;
}

const SM: &str = "xmlns='urn:xmpp:sm:3'";

fn failed(condition: &str) -> String {
    format!("<failed {SM}><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>")
}

async fn ws_bind(ws: &mut Ws) {
    ws_send(
        ws,
        "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
    )
    .await;
    assert!(ws_next(ws).await.contains("type='result'"));
}

/// Raw text, since tokio-xmpp's parser insists on an `h` that XEP-0198 makes optional
/// on `<failed/>`.
#[tokio::test]
async fn misuse_of_stream_management_gets_failed_or_a_stream_error_and_ids_are_the_owners() {
    let server = server_with("").await;
    let (mut alice, _) = ws_login(&server, "alice").await;
    ws_send(&mut alice, &format!("<enable {SM} resume='true'/>")).await;
    assert_eq!(
        ws_next(&mut alice).await,
        failed("unexpected-request"),
        "enable before binding"
    );
    ws_send(&mut alice, &format!("<resume {SM} previd='no-such-id' h='0'/>")).await;
    assert_eq!(ws_next(&mut alice).await, failed("item-not-found"), "an unknown SM-ID");
    ws_send(&mut alice, &format!("<resume {SM} h='0'/>")).await;
    assert_eq!(ws_next(&mut alice).await, failed("bad-request"), "no SM-ID");

    // The client may bind after a failed resumption.
    ws_bind(&mut alice).await;
    ws_send(&mut alice, &format!("<enable {SM} resume='true'/>")).await;
    let enabled = ws_next(&mut alice).await;
    assert!(enabled.starts_with("<enabled"), "{enabled}");
    assert_eq!(attr(&enabled, "resume"), Some("true"));
    assert_eq!(attr(&enabled, "max"), Some("300"), "the default resumption timeout");
    let id = attr(&enabled, "id").expect("an SM-ID").to_owned();
    ws_send(&mut alice, &format!("<enable {SM}/>")).await;
    assert_eq!(ws_next(&mut alice).await, failed("unexpected-request"), "enabled twice");
    ws_send(&mut alice, &format!("<resume {SM} previd='{id}' h='0'/>")).await;
    assert_eq!(
        ws_next(&mut alice).await,
        failed("unexpected-request"),
        "resume when bound"
    );

    // Handled stanzas are counted from <enable/> on.
    ws_send(&mut alice, &format!("<r {SM}/>")).await;
    assert_eq!(ws_next(&mut alice).await, format!("<a {SM} h='0'/>"));
    ws_send(&mut alice, "<presence xmlns='jabber:client'/>").await;
    ws_send(&mut alice, &format!("<r {SM}/>")).await;
    assert_eq!(ws_next_starting(&mut alice, "<a ").await, format!("<a {SM} h='1'/>"));

    // Someone else cannot resume alice's session, even with its SM-ID.
    let (mut bob, _) = ws_login(&server, "bob").await;
    ws_send(&mut bob, &format!("<resume {SM} previd='{id}' h='0'/>")).await;
    assert_eq!(
        ws_next(&mut bob).await,
        failed("item-not-found"),
        "another account's SM-ID"
    );

    // Acknowledging what was never sent ends the stream, and the session for good.
    ws_send(&mut alice, &format!("<a {SM} h='1000'/>")).await;
    let error = ws_next_starting(&mut alice, "<stream:error").await;
    assert!(
        error.contains("<undefined-condition ")
            && error.contains(&format!("<handled-count-too-high {SM} h='1000' send-count='0'/>")),
        "{error}"
    );
    let (mut again, _) = ws_login(&server, "alice").await;
    ws_send(&mut again, &format!("<resume {SM} previd='{id}' h='0'/>")).await;
    assert_eq!(
        ws_next(&mut again).await,
        failed("item-not-found"),
        "a session ended by a stream error cannot be resumed"
    );

    // A counter that is no number is a stream error.
    ws_bind(&mut again).await;
    ws_send(&mut again, &format!("<enable {SM}/>")).await;
    assert_eq!(
        ws_next(&mut again).await,
        format!("<enabled {SM}/>"),
        "not resumable when not asked"
    );
    ws_send(&mut again, &format!("<a {SM} h='many'/>")).await;
    let error = ws_next_starting(&mut again, "<stream:error").await;
    assert!(error.contains("<bad-format "), "{error}");
}
