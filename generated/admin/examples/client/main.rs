#![allow(missing_docs, unused_variables, trivial_casts)]


#[allow(unused_imports)]
use futures::{future, Stream, stream};
#[allow(unused_imports)]
use meerkat_admin_api::{Api, ApiNoContext, Claims, Client, ContextWrapperExt, models,
                      AddContactResponse,
                      ListContactsResponse,
                      ChangeSubscriptionResponse,
                      DeleteContactResponse,
                      ManageContactsResponse,
                      ListDomainsResponse,
                      AddDomainResponse,
                      GetDomainResponse,
                      RemoveDomainResponse,
                      SetDomainEnabledResponse,
                      SendMessageResponse,
                      GetArchiveResponse,
                      GetArchiveWithResponse,
                      CreateMucLightRoomResponse,
                      CreateMucLightRoomWithIdResponse,
                      CreateMucRoomResponse,
                      ListMucRoomsResponse,
                      DeleteMucLightRoomResponse,
                      InviteToMucLightRoomResponse,
                      InviteToMucRoomResponse,
                      ListUserMucLightRoomsResponse,
                      SendMucLightMessageResponse,
                      SendMucMessageResponse,
                      KickMucOccupantResponse,
                      ListSessionsResponse,
                      KickUserResponse,
                      ListUserSessionsResponse,
                      KickSessionResponse,
                      SendStanzaResponse,
                      CountUsersResponse,
                      ListUsersResponse,
                      RegisterUserResponse,
                      ChangePasswordResponse,
                      UnregisterUserResponse,
                      ListWebhooksResponse,
                      ReplayWebhookResponse,
                     };
use clap::{Command, Arg};

// NOTE: Set environment variable RUST_LOG to the name of the executable (or "cargo run") to activate console logging for all loglevels.
//     See https://docs.rs/env_logger/latest/env_logger/  for more details

#[allow(unused_imports)]
use log::info;

// swagger::Has may be unused if there are no examples
#[allow(unused_imports)]
use swagger::{AuthData, ContextBuilder, EmptyContext, Has, Push, XSpanIdString};

type ClientContext = swagger::make_context_ty!(ContextBuilder, EmptyContext, Option<AuthData>, XSpanIdString);

mod client_auth;
use client_auth::build_token;


// rt may be unused if there are no examples
#[allow(unused_mut)]
fn main() {
    env_logger::init();

    let matches = Command::new("client")
        .arg(Arg::new("operation")
            .help("Sets the operation to run")
            .value_parser(Vec::<&str>::from([
                "ListContacts",
                "DeleteContact",
                "ListDomains",
                "GetDomain",
                "GetArchive",
                "GetArchiveWith",
                "ListMucRooms",
                "DeleteMucLightRoom",
                "ListUserMucLightRooms",
                "KickMucOccupant",
                "ListSessions",
                "KickUser",
                "ListUserSessions",
                "KickSession",
                "CountUsers",
                "ListUsers",
                "UnregisterUser",
                "ListWebhooks",
            ]))
            .required(true)
            .index(1))
        .arg(Arg::new("https")
            .long("https")
            .help("Whether to use HTTPS or not"))
        .arg(Arg::new("host")
            .long("host")
            .default_value("localhost")
            .help("Hostname to contact"))
        .arg(Arg::new("port")
            .long("port")
            .value_parser(clap::value_parser!(u16))
            .default_value("8080")
            .help("Port to contact"))
        .get_matches();

    // Create Bearer-token with a fixed key (secret) for test purposes.
    // In a real (production) system this Bearer token should be obtained via an external Identity/Authentication-server
    // Ensure that you set the correct algorithm and encodingkey that matches what is used on the server side.
    // See https://github.com/Keats/jsonwebtoken for more information
    let auth_token = build_token(
            Claims {
                sub: "tester@acme.com".to_owned(),
                company: "ACME".to_owned(),
                iss: "my_identity_provider".to_owned(),
                // added a very long expiry time
                aud: "org.acme.Resource_Server".to_string(),
                exp: 10000000000,
                // In this example code all available Scopes are added, so the current Bearer Token gets fully authorization.
                scopes:
                  "".to_owned()
            },
            b"secret").unwrap();

    let auth_data = if !auth_token.is_empty() {
        Some(AuthData::Bearer(auth_token))
    } else {
        // No Bearer-token available, so return None
        None
    };

    let is_https = matches.contains_id("https");
    let base_url = format!("{}://{}:{}",
        if is_https { "https" } else { "http" },
        matches.get_one::<String>("host").unwrap(),
        matches.get_one::<u16>("port").unwrap());

    let context: ClientContext =
        swagger::make_context!(ContextBuilder, EmptyContext, auth_data, XSpanIdString::default());

    let mut client : Box<dyn ApiNoContext<ClientContext>> = {
        #[cfg(feature = "client-tls")]
        {
            if is_https {
                // Using HTTPS with native-tls
                let client = Box::new(Client::try_new_https(&base_url)
                    .expect("Failed to create HTTPS client"));
                Box::new(client.with_context(context))
            } else {
                // Using HTTP
                let client = Box::new(Client::try_new_http(&base_url)
                    .expect("Failed to create HTTP client"));
                Box::new(client.with_context(context))
            }
        }

        #[cfg(not(feature = "client-tls"))]
        {
            if is_https {
                panic!("HTTPS requested but TLS support not enabled. \
                        Enable the 'client-tls' feature to use HTTPS.");
            }
            // Using HTTP only
            let client = Box::new(Client::try_new_http(&base_url)
                .expect("Failed to create HTTP client"));
            Box::new(client.with_context(context))
        }
    };

    let mut rt = tokio::runtime::Runtime::new().unwrap();

    match matches.get_one::<String>("operation").map(String::as_str) {
        /* Disabled because there's no example.
        Some("AddContact") => {
            let result = rt.block_on(client.add_contact(
                  "alice@localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("ListContacts") => {
            let result = rt.block_on(client.list_contacts(
                  "alice@localhost".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("ChangeSubscription") => {
            let result = rt.block_on(client.change_subscription(
                  "alice@localhost".to_string(),
                  "bob@localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("DeleteContact") => {
            let result = rt.block_on(client.delete_contact(
                  "alice@localhost".to_string(),
                  "bob@localhost".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("ManageContacts") => {
            let result = rt.block_on(client.manage_contacts(
                  "alice@localhost".to_string(),
                  "bob@localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("ListDomains") => {
            let result = rt.block_on(client.list_domains(
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("AddDomain") => {
            let result = rt.block_on(client.add_domain(
                  "example.com".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("GetDomain") => {
            let result = rt.block_on(client.get_domain(
                  "example.com".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("RemoveDomain") => {
            let result = rt.block_on(client.remove_domain(
                  "example.com".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("SetDomainEnabled") => {
            let result = rt.block_on(client.set_domain_enabled(
                  "example.com".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("SendMessage") => {
            let result = rt.block_on(client.send_message(
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("GetArchive") => {
            let result = rt.block_on(client.get_archive(
                  "alice@localhost".to_string(),
                  Some(0),
                  Some(0),
                  None,
                  None
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("GetArchiveWith") => {
            let result = rt.block_on(client.get_archive_with(
                  "alice@localhost".to_string(),
                  "bob@localhost".to_string(),
                  Some(0),
                  Some(0),
                  None,
                  None
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("CreateMucLightRoom") => {
            let result = rt.block_on(client.create_muc_light_room(
                  "muclight.localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("CreateMucLightRoomWithId") => {
            let result = rt.block_on(client.create_muc_light_room_with_id(
                  "muclight.localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("CreateMucRoom") => {
            let result = rt.block_on(client.create_muc_room(
                  "localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("ListMucRooms") => {
            let result = rt.block_on(client.list_muc_rooms(
                  "localhost".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("DeleteMucLightRoom") => {
            let result = rt.block_on(client.delete_muc_light_room(
                  "muclight.localhost".to_string(),
                  "lobby".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("InviteToMucLightRoom") => {
            let result = rt.block_on(client.invite_to_muc_light_room(
                  "muclight.localhost".to_string(),
                  "lobby".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("InviteToMucRoom") => {
            let result = rt.block_on(client.invite_to_muc_room(
                  "localhost".to_string(),
                  "lobby".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("ListUserMucLightRooms") => {
            let result = rt.block_on(client.list_user_muc_light_rooms(
                  "muclight.localhost".to_string(),
                  "alice@localhost".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("SendMucLightMessage") => {
            let result = rt.block_on(client.send_muc_light_message(
                  "muclight.localhost".to_string(),
                  "lobby".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("SendMucMessage") => {
            let result = rt.block_on(client.send_muc_message(
                  "localhost".to_string(),
                  "lobby".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("KickMucOccupant") => {
            let result = rt.block_on(client.kick_muc_occupant(
                  "localhost".to_string(),
                  "lobby".to_string(),
                  "bob".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("ListSessions") => {
            let result = rt.block_on(client.list_sessions(
                  "localhost".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("KickUser") => {
            let result = rt.block_on(client.kick_user(
                  "localhost".to_string(),
                  "alice".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("ListUserSessions") => {
            let result = rt.block_on(client.list_user_sessions(
                  "localhost".to_string(),
                  "alice".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("KickSession") => {
            let result = rt.block_on(client.kick_session(
                  "localhost".to_string(),
                  "alice".to_string(),
                  "phone".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("SendStanza") => {
            let result = rt.block_on(client.send_stanza(
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("CountUsers") => {
            let result = rt.block_on(client.count_users(
                  "localhost".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("ListUsers") => {
            let result = rt.block_on(client.list_users(
                  "localhost".to_string(),
                  Some(0),
                  None
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("RegisterUser") => {
            let result = rt.block_on(client.register_user(
                  "localhost".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        /* Disabled because there's no example.
        Some("ChangePassword") => {
            let result = rt.block_on(client.change_password(
                  "localhost".to_string(),
                  "alice".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        Some("UnregisterUser") => {
            let result = rt.block_on(client.unregister_user(
                  "localhost".to_string(),
                  "alice".to_string()
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        Some("ListWebhooks") => {
            let result = rt.block_on(client.list_webhooks(
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        /* Disabled because there's no example.
        Some("ReplayWebhook") => {
            let result = rt.block_on(client.replay_webhook(
                  "crm".to_string(),
                  ???
            ));
            info!("{:?} (X-Span-ID: {:?})", result, (client.context() as &dyn Has<XSpanIdString>).get().clone());
        },
        */
        _ => {
            panic!("Invalid operation provided")
        }
    }
}
