//! The REST doors end to end: authentication, CORS, headers, limits, the admin API and
//! the docs, against the real binary through the generated clients.

use crate::common;
use crate::common::{basic, raw_request, TestServer};
use meerkat_admin_api::{models as admin_models, ApiNoContext as _};
use meerkat_client_api::{models, ApiNoContext as _};

#[tokio::test]
async fn alice_authenticates_and_sees_answers_and_documented_errors() {
    let server = TestServer::start();
    server.register("alice", "wonderland").await;
    let alice = server.client_as("alice@localhost", "wonderland");

    let r = alice.list_rooms().await.unwrap();
    assert!(
        matches!(r, meerkat_client_api::ListRoomsResponse::RoomList(ref rooms) if rooms.is_empty()),
        "{r:?}"
    );

    // MongooseIM's answers to three requests that are not operations of the spec.
    let auth = basic("alice@localhost", "wonderland");
    let addr = server.addr("mongoose_client_api");
    let compat = |method: &str, path: &str| {
        let r = raw_request(addr, method, path, &[("Authorization", auth.as_str())], "");
        (r.status, r.body)
    };
    assert_eq!(
        compat("GET", "/api/contacts/bob@localhost"),
        (404, r#""JID provided but not supported""#.into())
    );
    assert_eq!(compat("PUT", "/api/rooms"), (400, r#""Missing room ID""#.into()));
    assert_eq!(
        compat("DELETE", "/api/rooms/room1/users"),
        (400, r#""Missing JID""#.into())
    );
    assert_eq!(
        compat("DELETE", "/api/rooms/r@elsewhere/users"),
        (400, r#""Invalid MUC Light domain""#.into())
    );
    let r = raw_request(addr, "PUT", "/api/rooms", &[], "");
    assert_eq!(r.status, 401, "credentials come first");
}

#[tokio::test]
async fn the_user_part_of_the_login_is_case_insensitive() {
    let server = TestServer::start();
    server.register("alice", "wonderland").await;
    let r = server
        .client_as("Alice@LocalHost", "wonderland")
        .list_contacts()
        .await
        .unwrap();
    assert!(
        matches!(r, meerkat_client_api::ListContactsResponse::ContactList(_)),
        "{r:?}"
    );
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_look_the_same() {
    use meerkat_client_api::ListContactsResponse::Unauthorized;
    let server = TestServer::start();
    server.register("alice", "wonderland").await;

    let unknown = server
        .client_as("nobody@localhost", "wonderland")
        .list_contacts()
        .await
        .unwrap();
    let wrong = server
        .client_as("alice@localhost", "looking-glass")
        .list_contacts()
        .await
        .unwrap();
    let foreign = server
        .client_as("alice@elsewhere.org", "wonderland")
        .list_contacts()
        .await
        .unwrap();
    for r in [&unknown, &wrong, &foreign] {
        match r {
            Unauthorized { body, www_authenticate } => {
                assert_eq!(body, "Invalid credentials");
                assert!(www_authenticate.starts_with("Basic realm="), "{www_authenticate}");
            }
            other => panic!("expected 401, got {other:?}"),
        }
    }
    assert_eq!(unknown, wrong);

    match server.anonymous_client().list_contacts().await.unwrap() {
        Unauthorized { body, .. } => assert_eq!(body, "Authentication required"),
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_authorization_headers_get_401_with_a_challenge() {
    let server = TestServer::start();
    server.register("alice", "wonderland").await;
    let addr = server.addr("mongoose_client_api");
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let no_colon = format!("Basic {}", b64("alice@localhost"));
    let empty_user = format!("Basic {}", b64(":wonderland"));
    for header in [
        "Bearer abc.def",
        "Basic !!!not-base64!!!",
        no_colon.as_str(),
        empty_user.as_str(),
        "Basic",
        "wonderland",
    ] {
        let r = raw_request(addr, "GET", "/api/contacts", &[("Authorization", header)], "");
        assert_eq!(r.status, 401, "{header}: {}", r.body);
        assert!(
            r.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Basic realm=")),
            "{header}"
        );
        assert_eq!(r.body, "\"Invalid credentials\"");
    }
    // The same credentials well-formed are accepted.
    let ok = raw_request(
        addr,
        "GET",
        "/api/contacts/x@localhost",
        &[("Authorization", &basic("alice@localhost", "wonderland"))],
        "",
    );
    assert_eq!(ok.status, 404);
}

#[tokio::test]
async fn options_answers_without_auth_with_cors_headers_for_allowed_origins() {
    let server = TestServer::start();
    let addr = server.addr("mongoose_client_api");

    let r = raw_request(
        addr,
        "OPTIONS",
        "/api/messages",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type"),
        ],
        "",
    );
    assert!(r.status == 200 || r.status == 204, "{}", r.status);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"));
    let methods = r.header("access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "PUT", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = r.header("access-control-allow-headers").unwrap().to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );

    let other = raw_request(
        addr,
        "OPTIONS",
        "/api/messages",
        &[("Origin", "https://evil.example")],
        "",
    );
    assert!(other.status == 200 || other.status == 204);
    assert_eq!(other.header("access-control-allow-origin"), None);

    // A real request from the allowed origin carries the header too, even when refused.
    let r = raw_request(addr, "GET", "/api/messages", &[("Origin", "https://app.example")], "");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"));
}

#[tokio::test]
async fn every_response_carries_the_configured_server_header() {
    let server = TestServer::start();
    let client = server.addr("mongoose_client_api");
    let admin = server.addr("mongoose_admin_api");
    for (addr, method, path) in [
        (client, "GET", "/api/messages"),
        (client, "OPTIONS", "/api/rooms"),
        (client, "GET", "/nowhere"),
        (client, "GET", "/api-docs"),
        (admin, "GET", "/api/users/localhost"),
    ] {
        let r = raw_request(addr, method, path, &[], "");
        assert_eq!(r.header("server"), Some("meerkat-test"), "{method} {path}");
    }
}

#[tokio::test]
async fn the_admin_api_manages_accounts() {
    use meerkat_admin_api::{
        ChangePasswordResponse as Pw, ListUsersResponse as List, RegisterUserResponse as Reg,
        UnregisterUserResponse as Del,
    };
    let server = TestServer::start();
    let admin = server.admin(None);
    let new_user = |u: &str, p: &str| admin_models::NewUser::new(u.into(), p.into());

    assert_eq!(
        admin
            .register_user("LocalHost".into(), new_user("Alice", "pw1"))
            .await
            .unwrap(),
        Reg::UserRegistered("alice@localhost".into())
    );
    assert_eq!(
        admin
            .register_user("localhost".into(), new_user("alice", "pw2"))
            .await
            .unwrap(),
        Reg::Conflict("User already exists".into())
    );
    assert_eq!(
        admin
            .register_user("localhost".into(), new_user("al ice", "pw"))
            .await
            .unwrap(),
        Reg::BadRequest("Invalid username".into())
    );
    assert_eq!(
        admin
            .register_user("nowhere.example".into(), new_user("bob", "pw"))
            .await
            .unwrap(),
        Reg::NotFound("Unknown domain".into())
    );
    assert_eq!(
        admin
            .register_user("example.com".into(), new_user("carol", "pw"))
            .await
            .unwrap(),
        Reg::UserRegistered("carol@example.com".into())
    );
    assert_eq!(
        admin.list_users("localhost".into(), None, None).await.unwrap(),
        List::UserList(vec!["alice@localhost".into()])
    );
    assert_eq!(
        admin.list_users("example.com".into(), None, None).await.unwrap(),
        List::UserList(vec!["carol@example.com".into()])
    );
    assert_eq!(
        admin.list_users("nowhere.example".into(), None, None).await.unwrap(),
        List::NotFound("Unknown domain".into())
    );

    // A new password replaces the old one at once, cache or not.
    let alice_old = server.client_as("alice@localhost", "pw1");
    assert!(matches!(
        alice_old.list_contacts().await.unwrap(),
        meerkat_client_api::ListContactsResponse::ContactList(_)
    ));
    assert_eq!(
        admin
            .change_password(
                "localhost".into(),
                "alice".into(),
                admin_models::NewPassword::new("pw3".into())
            )
            .await
            .unwrap(),
        Pw::PasswordChanged
    );
    assert!(matches!(
        alice_old.list_contacts().await.unwrap(),
        meerkat_client_api::ListContactsResponse::Unauthorized { .. }
    ));
    let alice_new = server.client_as("alice@localhost", "pw3");
    assert!(matches!(
        alice_new.list_contacts().await.unwrap(),
        meerkat_client_api::ListContactsResponse::ContactList(_)
    ));
    assert_eq!(
        admin
            .change_password(
                "localhost".into(),
                "zed".into(),
                admin_models::NewPassword::new("x".into())
            )
            .await
            .unwrap(),
        Pw::NotFound("User not found".into())
    );

    assert_eq!(
        admin.unregister_user("localhost".into(), "alice".into()).await.unwrap(),
        Del::UserRemoved
    );
    assert!(matches!(
        alice_new.list_contacts().await.unwrap(),
        meerkat_client_api::ListContactsResponse::Unauthorized { .. }
    ));
    assert_eq!(
        admin.unregister_user("localhost".into(), "alice".into()).await.unwrap(),
        Del::NotFound("User not found".into())
    );

    // Bodies that break the contract get its texts.
    let addr = server.addr("mongoose_admin_api");
    let ct = [("Content-Type", "application/json")];
    let r = raw_request(addr, "POST", "/api/users/localhost", &ct, r#"{"password":"x"}"#);
    assert_eq!((r.status, r.body.as_str()), (400, "\"Missing username\""));
    let r = raw_request(addr, "POST", "/api/users/localhost", &ct, "[1,2]");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid request body\""));
    let r = raw_request(addr, "PUT", "/api/users/localhost/carol", &ct, "{}");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Missing newpass\""));
}

#[tokio::test]
async fn an_admin_api_with_credentials_refuses_anyone_else() {
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replace(
            "[[listen.http.handlers.mongoose_admin_api]]\n  path = \"/api\"",
            "[[listen.http.handlers.mongoose_admin_api]]\n  path = \"/api\"\n  username = \"ops\"\n  password = \"hunter2\"",
        )
    });
    let r = server
        .admin(None)
        .list_users("localhost".into(), None, None)
        .await
        .unwrap();
    assert!(
        matches!(r, meerkat_admin_api::ListUsersResponse::Unauthorized { .. }),
        "{r:?}"
    );
    let r = server
        .admin(Some(("ops", "wrong")))
        .list_users("localhost".into(), None, None)
        .await
        .unwrap();
    assert!(
        matches!(r, meerkat_admin_api::ListUsersResponse::Unauthorized { .. }),
        "{r:?}"
    );
    let r = server
        .admin(Some(("ops", "hunter2")))
        .list_users("localhost".into(), None, None)
        .await
        .unwrap();
    assert_eq!(r, meerkat_admin_api::ListUsersResponse::UserList(vec![]));
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let server = TestServer::start();
    server.register("alice", "wonderland").await;
    let big = "x".repeat(5000);

    let r = server
        .admin(None)
        .register_user(
            "localhost".into(),
            admin_models::NewUser::new("bob".into(), big.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        r,
        meerkat_admin_api::RegisterUserResponse::PayloadTooLarge("Request body too large".into())
    );

    let r = server
        .client_as("alice@localhost", "wonderland")
        .send_message(models::MessageRequest::new("bob@localhost".into(), big), None)
        .await
        .unwrap();
    assert_eq!(
        r,
        meerkat_client_api::SendMessageResponse::PayloadTooLarge("Request body too large".into())
    );

    // Without a Content-Length the limit holds while streaming.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(server.addr("mongoose_admin_api")).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut req = String::from(
        "POST /api/users/localhost HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for _ in 0..5 {
        req.push_str(&format!("3e8\r\n{}\r\n", "y".repeat(1000)));
    }
    req.push_str("0\r\n\r\n");
    let _ = s.write_all(req.as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
}

#[tokio::test]
async fn requests_outside_the_contract_get_its_error_texts() {
    let server = TestServer::start();
    server.register("alice", "wonderland").await;
    let addr = server.addr("mongoose_client_api");
    let auth = basic("alice@localhost", "wonderland");
    let h = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];

    let r = raw_request(addr, "GET", "/api/contacts?sort=asc", &h, "");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid query string\""));
    let r = raw_request(addr, "PATCH", "/api/messages", &h, "");
    assert_eq!(r.status, 405);
    let r = raw_request(addr, "GET", "/api/nothing-here", &h, "");
    assert_eq!((r.status, r.body.as_str()), (404, "\"Not found\""));
    assert_eq!(r.header("content-type"), Some("application/json"));
    // What only the generated parser refuses still gets a documented text, as JSON.
    let dup = r#"{"to":"bob@localhost","body":"a","body":"b"}"#;
    let r = raw_request(addr, "POST", "/api/messages", &h, dup);
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid request body\""));
    // A path parameter that is not UTF-8 once decoded gets its parameter's text, quoting
    // what was sent.
    let r = raw_request(addr, "DELETE", "/api/contacts/%C3%28", &h, "");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid JID: %C3%28\""));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn https_with_no_certificate_files_uses_a_generated_self_signed_one() {
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "max_body_size = 4096\n  [[listen.http.handlers.mongoose_client_api]]",
            "max_body_size = 4096\ntls = {}\n  [[listen.http.handlers.mongoose_client_api]]",
            1,
        )
    });
    server.register("alice", "wonderland").await;
    let cert = server.dir.path().join("data/self-signed-cert.pem");
    assert!(cert.exists(), "the certificate is kept in the data dir");
    assert!(server.base_url("mongoose_client_api").starts_with("https://"));

    use meerkat_client_api::ContextWrapperExt;
    let url = format!("https://localhost:{}", server.addr("mongoose_client_api").port());
    let client = meerkat_client_api::Client::try_new_https_pinned(&url, &cert).unwrap();
    let alice = client.with_context(common::context(Some(swagger::AuthData::basic(
        "alice@localhost",
        "wonderland",
    ))));
    let r = alice.get_messages(None, None, None, None).await.unwrap();
    assert!(
        matches!(r, meerkat_client_api::GetMessagesResponse::ArchivedMessages(_)),
        "{r:?}"
    );
}

#[tokio::test]
async fn http2_is_served_to_clients_that_ask_for_it() {
    use http_body_util::{BodyExt, Empty};
    let server = TestServer::start();
    server.register("alice", "wonderland").await;
    // Prior-knowledge HTTP/2 over plain TCP; over TLS it is offered by ALPN.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Empty<bytes::Bytes>>();
    let uri: hyper::Uri = format!("{}/api/contacts/bob@localhost", server.base_url("mongoose_client_api"))
        .parse()
        .unwrap();
    let req = hyper::Request::get(uri)
        .header("authorization", basic("alice@localhost", "wonderland"))
        .body(Empty::new())
        .unwrap();
    let response = client.request(req).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["server"], "meerkat-test");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"\"JID provided but not supported\"");
}
