//! Domains added, disabled and removed while the server runs (the admin API's
//! `/domains`): a new domain takes accounts, logins over XMPP and REST, messages and
//! rooms at once; disabling it ends its sessions; removing it deletes its data.

use crate::common::xmpp::{self, next_stanza, raw_bind, raw_login, raw_stream_error, Transport};
use crate::common::{default_config, raw_request, TestServer};
use meerkat_admin_api::models::{self, DomainStatus};
use meerkat_admin_api::{self as admin, ApiNoContext as _};
use meerkat_client_api::ApiNoContext as _;
use tokio_xmpp::parsers::stream_error::DefinedCondition as StreamCondition;
use tokio_xmpp::Stanza;

fn server() -> TestServer {
    TestServer::start_with(|dir| {
        default_config(
            dir,
            "\n[modules.mod_mam]\n\n[modules.mod_muc_light]\nhost = \"muclight.@HOST@\"\n",
        )
    })
}

async fn add(server: &TestServer, domain: &str) {
    let r = server
        .admin(None)
        .add_domain(domain.into(), models::DomainToAdd::new("localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, admin::AddDomainResponse::DomainAdded);
}

async fn register(server: &TestServer, user: &str, domain: &str) {
    let r = server
        .admin(None)
        .register_user(domain.into(), models::NewUser::new(user.into(), "secret".into()))
        .await
        .unwrap();
    assert!(matches!(r, admin::RegisterUserResponse::UserRegistered(_)), "{r:?}");
}

fn body_of(stanza: &Stanza) -> Option<String> {
    match stanza {
        Stanza::Message(m) => m.bodies.values().next().filter(|b| !b.is_empty()).cloned(),
        _ => None,
    }
}

#[tokio::test]
async fn a_domain_added_at_run_time_takes_accounts_logins_messages_and_rooms() {
    let server = server();
    add(&server, "Tenant.Example").await;
    let admin = server.admin(None);
    assert_eq!(
        admin.get_domain("tenant.example".into()).await.unwrap(),
        admin::GetDomainResponse::TheDomain(models::Domain::new(
            "tenant.example".into(),
            "localhost".into(),
            DomainStatus::Enabled
        ))
    );
    register(&server, "alice", "tenant.example").await;
    register(&server, "bob", "tenant.example").await;

    // bob logs in over XMPP (no certificate names a new domain yet: SCRAM without TLS).
    let (mut bob, _) = xmpp::online(&server, "bob@tenant.example", "secret", Transport::PlainTcp).await;
    bob.send_stanza(tokio_xmpp::parsers::presence::Presence::new(tokio_xmpp::parsers::presence::Type::None).into())
        .await
        .unwrap();
    let alice = server.client_as("alice@tenant.example", "secret");
    // The presence is in once a ping comes back.
    let ping = tokio_xmpp::parsers::iq::Iq::from_get("p1", tokio_xmpp::parsers::ping::Ping);
    bob.send_stanza(ping.into()).await.unwrap();
    next_stanza(&mut bob, |s| matches!(s, Stanza::Iq(_))).await;
    let sent = alice
        .send_message(
            meerkat_client_api::models::MessageRequest::new(
                "bob@tenant.example".into(),
                "hello on a new domain".into(),
            ),
            None,
        )
        .await
        .unwrap();
    assert!(
        matches!(sent, meerkat_client_api::SendMessageResponse::MessageSent(_)),
        "{sent:?}"
    );
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello on a new domain"));

    // Its MUC Light service is there too.
    let room = admin
        .create_muc_light_room(
            "muclight.tenant.example".into(),
            models::MucLightRoomToCreate::new("alice@tenant.example".into(), "Team".into(), "Hi".into()),
        )
        .await
        .unwrap();
    let admin::CreateMucLightRoomResponse::RoomCreated(jid) = room else {
        panic!("{room:?}")
    };
    assert!(jid.ends_with("@muclight.tenant.example"), "{jid}");
    assert_eq!(
        admin.list_domains().await.unwrap(),
        admin::ListDomainsResponse::Domains(vec![models::Domain::new(
            "tenant.example".into(),
            "localhost".into(),
            DomainStatus::Enabled
        )])
    );
}

#[tokio::test]
async fn disabling_a_domain_ends_its_sessions_and_refuses_logins_until_it_is_enabled() {
    let server = server();
    add(&server, "tenant.example").await;
    register(&server, "bob", "tenant.example").await;
    let connector = xmpp::connector(&server, Transport::PlainTcp);
    let jid: tokio_xmpp::jid::Jid = "bob@tenant.example/phone".parse().unwrap();
    let (_, mut bob) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    raw_bind(&mut bob, "phone").await.unwrap();

    let admin = server.admin(None);
    let r = admin
        .set_domain_enabled("tenant.example".into(), models::DomainEnabled::new(false))
        .await
        .unwrap();
    assert_eq!(r, admin::SetDomainEnabledResponse::StatusSet);
    assert_eq!(raw_stream_error(&mut bob).await, StreamCondition::HostGone);
    let rest = raw_request(
        server.addr("mongoose_client_api"),
        "GET",
        "/api/contacts",
        &[("Authorization", &crate::common::basic("bob@tenant.example", "secret"))],
        "",
    );
    assert_eq!(rest.status, 401, "{}", rest.body);
    assert!(raw_login(&connector, &jid, "secret", None).await.is_err());
    assert_eq!(
        admin.list_users("tenant.example".into(), None, None).await.unwrap(),
        admin::ListUsersResponse::NotFound("Unknown domain".into())
    );

    let r = admin
        .set_domain_enabled("tenant.example".into(), models::DomainEnabled::new(true))
        .await
        .unwrap();
    assert_eq!(r, admin::SetDomainEnabledResponse::StatusSet);
    let (_, mut again) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    raw_bind(&mut again, "phone").await.unwrap();
}

#[tokio::test]
async fn removing_a_domain_deletes_its_accounts_and_rooms() {
    let server = server();
    add(&server, "tenant.example").await;
    register(&server, "alice", "tenant.example").await;
    register(&server, "bob", "tenant.example").await;
    let admin = server.admin(None);
    let room = admin
        .create_muc_light_room_with_id(
            "muclight.tenant.example".into(),
            models::MucLightRoomWithIdToCreate::new(
                "team".into(),
                "alice@tenant.example".into(),
                "Team".into(),
                "Hi".into(),
            ),
        )
        .await
        .unwrap();
    assert!(matches!(room, admin::CreateMucLightRoomWithIdResponse::RoomCreated(_)));

    let wrong = admin
        .remove_domain(
            "tenant.example".into(),
            models::DomainToRemove::new("example.com".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        wrong,
        admin::RemoveDomainResponse::Forbidden("Wrong host type was provided".into())
    );
    let removed = admin
        .remove_domain("tenant.example".into(), models::DomainToRemove::new("localhost".into()))
        .await
        .unwrap();
    assert_eq!(removed, admin::RemoveDomainResponse::DomainRemoved);
    assert_eq!(
        admin.get_domain("tenant.example".into()).await.unwrap(),
        admin::GetDomainResponse::NotFound("Given domain does not exist".into())
    );

    // Added again, it starts empty: no accounts, no rooms.
    add(&server, "tenant.example").await;
    assert_eq!(
        admin.list_users("tenant.example".into(), None, None).await.unwrap(),
        admin::ListUsersResponse::UserList(vec![])
    );
    register(&server, "alice", "tenant.example").await;
    let again = admin
        .create_muc_light_room_with_id(
            "muclight.tenant.example".into(),
            models::MucLightRoomWithIdToCreate::new(
                "team".into(),
                "alice@tenant.example".into(),
                "Team".into(),
                "Hi".into(),
            ),
        )
        .await
        .unwrap();
    assert!(
        matches!(again, admin::CreateMucLightRoomWithIdResponse::RoomCreated(_)),
        "the old room is gone: {again:?}"
    );

    // In the background: `202`, and the domain reads as deleting or gone.
    let started = admin
        .remove_domain(
            "tenant.example".into(),
            models::DomainToRemove {
                host_type: "localhost".into(),
                request: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(started, admin::RemoveDomainResponse::RemovalStarted);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match admin.get_domain("tenant.example".into()).await.unwrap() {
            admin::GetDomainResponse::NotFound(_) => break,
            admin::GetDomainResponse::TheDomain(d) => assert_eq!(d.status, DomainStatus::Deleting),
            other => panic!("{other:?}"),
        }
        assert!(std::time::Instant::now() < deadline, "the removal did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn domain_requests_get_the_documented_refusals() {
    let server = server();
    let admin = server.admin(None);
    let to_add = || models::DomainToAdd::new("localhost".into());
    assert_eq!(
        admin.add_domain("localhost".into(), to_add()).await.unwrap(),
        admin::AddDomainResponse::Forbidden("Domain is static".into())
    );
    assert_eq!(
        admin
            .add_domain(
                "tenant.example".into(),
                models::DomainToAdd::new("nowhere.example".into())
            )
            .await
            .unwrap(),
        admin::AddDomainResponse::Forbidden("Unknown host type".into())
    );
    assert_eq!(
        admin.add_domain("bad domain!".into(), to_add()).await.unwrap(),
        admin::AddDomainResponse::BadRequest("Invalid domain name".into())
    );
    add(&server, "tenant.example").await;
    assert_eq!(
        admin.add_domain("tenant.example".into(), to_add()).await.unwrap(),
        admin::AddDomainResponse::Conflict("Domain already exists".into())
    );
    assert_eq!(
        admin.get_domain("localhost".into()).await.unwrap(),
        admin::GetDomainResponse::Forbidden("Domain is static".into())
    );
    assert_eq!(
        admin
            .set_domain_enabled("other.example".into(), models::DomainEnabled::new(false))
            .await
            .unwrap(),
        admin::SetDomainEnabledResponse::NotFound("Given domain does not exist".into())
    );
    let missing = raw_request(
        server.addr("mongoose_admin_api"),
        "PUT",
        "/api/domains/x.example",
        &[("Content-Type", "application/json")],
        "{}",
    );
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (400, r#""'host_type' field is missing""#)
    );
}

#[tokio::test]
async fn a_background_removal_and_a_kill_right_after_leave_the_domain_gone_and_empty() {
    let mut server = server();
    add(&server, "tenant.example").await;
    for i in 0..250 {
        register(&server, &format!("user{i}"), "tenant.example").await;
    }
    let admin = server.admin(None);
    let started = admin
        .remove_domain(
            "tenant.example".into(),
            models::DomainToRemove {
                host_type: "localhost".into(),
                request: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(started, admin::RemoveDomainResponse::RemovalStarted);
    server.restart();
    let admin = server.admin(None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !matches!(
        admin.get_domain("tenant.example".into()).await.unwrap(),
        admin::GetDomainResponse::NotFound(_)
    ) {
        assert!(std::time::Instant::now() < deadline, "the removal did not resume");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    add(&server, "tenant.example").await;
    assert_eq!(
        admin.count_users("tenant.example".into()).await.unwrap(),
        admin::CountUsersResponse::Count(models::Count::new(0))
    );
}

/// A self-signed certificate (and key, one PEM) for `host` and `*.host`.
fn certificate_for(host: &str) -> (Vec<u8>, Vec<u8>) {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509NameBuilder, X509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", host).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
    b.append_extension(BasicConstraints::new().critical().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns(host)
        .dns(&format!("*.{host}"))
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build().to_pem().unwrap(), key.private_key_to_pem_pkcs8().unwrap())
}

/// A rustls client configuration trusting exactly `cert`.
fn trusting(cert: &[u8]) -> std::sync::Arc<tokio_rustls::rustls::ClientConfig> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(cert) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[tokio::test]
async fn a_certificate_dropped_in_the_directory_serves_a_new_domain_over_starttls() {
    let certs = tempfile::tempdir().unwrap();
    let certs_path = certs.path().to_owned();
    let server = TestServer::start_with(move |dir| {
        default_config(dir, "").replacen(
            "[general]\n",
            &format!("[general]\ntls_certs_dir = \"{}\"\n", certs_path.display()),
            1,
        )
    });
    add(&server, "tenant.example").await;
    register(&server, "bob", "tenant.example").await;
    // Written after the server started: read at the next handshake.
    let (cert, key) = certificate_for("tenant.example");
    let mut pem = cert.clone();
    pem.extend(&key);
    std::fs::write(certs.path().join("tenant.example.pem"), pem).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let mut connector = xmpp::connector(&server, Transport::StartTls);
    connector.tls = trusting(&cert);
    let jid: tokio_xmpp::jid::Jid = "bob@tenant.example/phone".parse().unwrap();
    let (_, mut bob) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    raw_bind(&mut bob, "phone").await.unwrap();
    // A client for localhost still gets the listener's own certificate, which does not
    // name the new domain.
    let localhost = xmpp::connector(&server, Transport::StartTls);
    let jid: tokio_xmpp::jid::Jid = "bob@tenant.example/desk".parse().unwrap();
    assert!(raw_login(&localhost, &jid, "secret", None).await.is_err());
}
