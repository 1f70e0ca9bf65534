//! CLI tool driving the API client
use anyhow::{anyhow, Context, Result};
use clap::Parser;
use dialoguer::Confirm;
use log::{debug, info};
// models may be unused if all inputs are primitive types
#[allow(unused_imports)]
use meerkat_admin_api::{
    models, ApiNoContext, Client, ContextWrapperExt,
    ListUsersResponse,
    RegisterUserResponse,
    ChangePasswordResponse,
    UnregisterUserResponse,
};
use simple_logger::SimpleLogger;
use swagger::{AuthData, ContextBuilder, EmptyContext, Push, XSpanIdString};

type ClientContext = swagger::make_context_ty!(
    ContextBuilder,
    EmptyContext,
    Option<AuthData>,
    XSpanIdString
);

#[derive(Parser, Debug)]
#[clap(
    name = "meerkat admin REST API",
    version = "1.0.0",
    about = "CLI access to meerkat admin REST API"
)]
struct Cli {
    #[clap(subcommand)]
    operation: Operation,

    /// Address or hostname of the server hosting this API, including optional port
    #[clap(short = 'a', long, default_value = "http://localhost")]
    server_address: String,

    /// Path to the client private key if using client-side TLS authentication
    #[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
    #[clap(long, requires_all(&["client_certificate", "server_certificate"]))]
    client_key: Option<String>,

    /// Path to the client's public certificate associated with the private key
    #[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
    #[clap(long, requires_all(&["client_key", "server_certificate"]))]
    client_certificate: Option<String>,

    /// Path to CA certificate used to authenticate the server
    #[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
    #[clap(long)]
    server_certificate: Option<String>,

    /// If set, write output to file instead of stdout
    #[clap(short, long)]
    output_file: Option<String>,

    #[command(flatten)]
    verbosity: clap_verbosity_flag::Verbosity,

    /// Don't ask for any confirmation prompts
    #[allow(dead_code)]
    #[clap(short, long)]
    force: bool,
}

#[derive(Parser, Debug)]
enum Operation {
    /// List the users of a domain
    ListUsers {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
    },
    /// Register a user
    RegisterUser {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        #[clap(value_parser = parse_json::<models::NewUser>)]
        new_user: models::NewUser,
    },
    /// Change a user's password
    ChangePassword {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
        #[clap(value_parser = parse_json::<models::NewPassword>)]
        new_password: models::NewPassword,
    },
    /// Remove a user
    UnregisterUser {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
    },
}

// On Linux/Unix with OpenSSL (client-tls feature), support certificate pinning and mutual TLS
#[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
fn create_client(args: &Cli, context: ClientContext) -> Result<Box<dyn ApiNoContext<ClientContext>>> {
    if args.client_certificate.is_some() {
        debug!("Using mutual TLS");
        let client = Client::try_new_https_mutual(
            &args.server_address,
            args.server_certificate.clone().unwrap(),
            args.client_key.clone().unwrap(),
            args.client_certificate.clone().unwrap(),
        )
        .context("Failed to create HTTPS client")?;
        Ok(Box::new(client.with_context(context)))
    } else if args.server_certificate.is_some() {
        debug!("Using TLS with pinned server certificate");
        let client =
            Client::try_new_https_pinned(&args.server_address, args.server_certificate.clone().unwrap())
                .context("Failed to create HTTPS client")?;
        Ok(Box::new(client.with_context(context)))
    } else {
        debug!("Using client without certificates");
        let client =
            Client::try_new(&args.server_address).context("Failed to create HTTP(S) client")?;
        Ok(Box::new(client.with_context(context)))
    }
}

// On macOS/Windows/iOS or without client-tls feature, use simple client (no cert pinning/mutual TLS)
#[cfg(any(
    not(feature = "client-tls"),
    all(feature = "client-tls", any(target_os = "macos", target_os = "windows", target_os = "ios"))
))]
fn create_client(args: &Cli, context: ClientContext) -> Result<Box<dyn ApiNoContext<ClientContext>>> {
    // Client::try_new() automatically detects the URL scheme (http:// or https://)
    // and creates the appropriate client.
    // Note: Certificate pinning and mutual TLS are only available on Linux/Unix with OpenSSL
    let client =
        Client::try_new(&args.server_address).context("Failed to create HTTP(S) client")?;
    Ok(Box::new(client.with_context(context)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Cli::parse();
    if let Some(log_level) = args.verbosity.log_level() {
        SimpleLogger::new().with_level(log_level.to_level_filter()).init()?;
    }

    debug!("Arguments: {:?}", &args);

    let auth_data: Option<AuthData> = None;

    #[allow(trivial_casts)]
    let context = swagger::make_context!(
        ContextBuilder,
        EmptyContext,
        auth_data,
        XSpanIdString::default()
    );

    let client = create_client(&args, context)?;

    let result = match args.operation {
        Operation::ListUsers {
            domain,
        } => {
            info!("Performing a ListUsers request on {:?}", (
                &domain
            ));

            let result = client.list_users(
                domain,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListUsersResponse::UserList
                (body)
                => "UserList\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUsersResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUsersResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
            }
        }
        Operation::RegisterUser {
            domain,
            new_user,
        } => {
            info!("Performing a RegisterUser request on {:?}", (
                &domain
            ));

            let result = client.register_user(
                domain,
                new_user,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                RegisterUserResponse::UserRegistered
                (body)
                => "UserRegistered\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                RegisterUserResponse::UserAlreadyExists
                (body)
                => "UserAlreadyExists\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ChangePassword {
            domain,
            username,
            new_password,
        } => {
            info!("Performing a ChangePassword request on {:?}", (
                &domain,
                &username
            ));

            let result = client.change_password(
                domain,
                username,
                new_password,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ChangePasswordResponse::PasswordChanged
                => "PasswordChanged\n".to_string()
                    ,
                ChangePasswordResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                ChangePasswordResponse::UserNotFound
                (body)
                => "UserNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::UnregisterUser {
            domain,
            username,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a UnregisterUser request on {:?}", (
                &domain,
                &username
            ));

            let result = client.unregister_user(
                domain,
                username,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                UnregisterUserResponse::UserRemoved
                => "UserRemoved\n".to_string()
                    ,
                UnregisterUserResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                UnregisterUserResponse::UserNotFound
                (body)
                => "UserNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
    };

    if let Some(output_file) = args.output_file {
        std::fs::write(output_file, result)?
    } else {
        println!("{}", result);
    }
    Ok(())
}

fn prompt(force: bool, text: &str) -> Result<()> {
    if force || Confirm::new().with_prompt(text).interact()? {
        Ok(())
    } else {
        Err(anyhow!("Aborting"))
    }
}

// May be unused if all inputs are primitive types
#[allow(dead_code)]
fn parse_json<T: serde::de::DeserializeOwned>(json_string: &str) -> Result<T> {
    serde_json::from_str(json_string).map_err(|err| anyhow!("Error parsing input: {}", err))
}
