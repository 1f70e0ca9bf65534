//! Where a running server's admin API is, how to sign in to it, and the HTTP transport
//! the generated client sends through, for the commands that call it (`meerkat users
//! list`, `meerkat sessions kick`, …).
//!
//! The URL comes from `--admin-url` or, failing that, from the configuration the server
//! runs with: its first `[[listen.http]]` with a `mongoose_admin_api` handler, so that on
//! the server's own machine no option is needed. Credentials likewise come from the
//! options or from that handler. Only plain HTTP is spoken: the admin API belongs on
//! loopback or a private network, and a TLS client would have to be told which
//! certificate to trust (often the self-signed one) for no gain there.

use crate::config::{AdminApiHandler, Config, HttpListener};
use bytes::Bytes;
use clap::Args;
use futures::future::BoxFuture;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use swagger::{ApiError, AuthData, ContextBuilder, EmptyContext, Push as _, XSpanIdString};

/// How long one request may take, connecting included: a server that accepts but never
/// answers (stopped, overloaded) must not hang a script.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The options of every admin command. They may follow the subcommand, and each may come
/// from the environment instead, so that a script sets them once.
#[derive(Debug, Args)]
#[command(next_help_heading = "Admin API")]
pub(crate) struct Remote {
    /// The admin API's URL, e.g. http://127.0.0.1:8088/api [default: the configuration's
    /// first mongoose_admin_api handler]
    #[arg(long, global = true, env = "MEERKAT_ADMIN_URL", value_name = "URL")]
    admin_url: Option<String>,
    /// User name for the admin API (Basic auth) [default: the handler's credentials]
    #[arg(long, global = true, env = "MEERKAT_ADMIN_USER", value_name = "USER")]
    admin_user: Option<String>,
    /// Password for --admin-user
    #[arg(
        long,
        global = true,
        env = "MEERKAT_ADMIN_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    admin_password: Option<String>,
    /// Bearer token for the admin API, instead of a user and password
    #[arg(
        long,
        global = true,
        env = "MEERKAT_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    admin_token: Option<String>,
    /// Print the answer's body as the server sent it (JSON) instead of lines of text
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// Why an admin command did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AdminError {
    /// The server refused: its own sentence (`Unknown domain`, `User not found` …).
    #[error("{0}")]
    Refused(String),
    #[error("cannot reach the admin API at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("no answer from the admin API at {url} within {} s", TIMEOUT.as_secs())]
    TimedOut { url: String },
    #[error("unexpected answer from the admin API at {url}: {detail}")]
    Unexpected { url: String, detail: String },
    #[error(
        "the configuration has no [[listen.http]] with a mongoose_admin_api handler; \
         give the admin API's URL with --admin-url"
    )]
    NoAdminListener,
    #[error(
        "the admin API listens on port 0 (a port chosen when the server starts); \
         give its URL with --admin-url"
    )]
    EphemeralPort,
    #[error(
        "the admin API at {0} is HTTPS, which the command line does not speak; \
         give the URL of a plain HTTP admin listener (on loopback) with --admin-url"
    )]
    Https(String),
    #[error("invalid admin API URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: &'static str },
    #[error("give either --admin-token, or --admin-user with --admin-password")]
    Credentials,
    #[error("{jid:?} is not a user's JID ({want})")]
    InvalidJid { jid: String, want: &'static str },
    #[error("cannot read the stanza from standard input: {0}")]
    Stdin(String),
}

impl AdminError {
    /// 1 when the server refused or could not be asked, 2 when the command itself (its
    /// arguments, options or the configuration) was wrong, as for the account commands.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            AdminError::Refused(_)
            | AdminError::Unreachable { .. }
            | AdminError::TimedOut { .. }
            | AdminError::Unexpected { .. } => ExitCode::FAILURE,
            _ => ExitCode::from(2),
        }
    }
}

/// The admin API of one server, with the credentials to present.
pub(crate) struct Endpoint {
    /// The URL as the user knows it, for messages.
    pub(crate) url: String,
    /// `http://host:port`.
    origin: String,
    /// The handler's path (`/api`), without a trailing slash.
    prefix: String,
    auth: Option<AuthData>,
}

impl Remote {
    /// The admin API to call and the credentials to present, from the options first and
    /// the configuration second.
    pub(crate) fn endpoint(&self, config: &Config) -> Result<Endpoint, AdminError> {
        let configured = admin_handler(config);
        let (origin, prefix) = match &self.admin_url {
            Some(url) => split_url(url)?,
            None => {
                let (listener, handler) = configured.ok_or(AdminError::NoAdminListener)?;
                listener_url(listener, handler)?
            }
        };
        let auth = match (&self.admin_token, &self.admin_user, &self.admin_password) {
            (Some(token), None, None) => Some(AuthData::Bearer(token.clone())),
            (None, Some(user), Some(password)) => Some(AuthData::basic(user, password)),
            (None, None, None) => configured.and_then(|(_, handler)| configured_auth(handler)),
            _ => return Err(AdminError::Credentials),
        };
        Ok(Endpoint {
            url: format!("{origin}{prefix}"),
            origin,
            prefix,
            auth,
        })
    }
}

/// The first admin handler of the configuration, with its listener.
fn admin_handler(config: &Config) -> Option<(&HttpListener, &AdminApiHandler)> {
    config
        .listen
        .http
        .iter()
        .find_map(|l| l.handlers.mongoose_admin_api.first().map(|h| (l, h)))
}

/// `(origin, path)` of a handler: a listener on every address is reached on loopback.
fn listener_url(listener: &HttpListener, handler: &AdminApiHandler) -> Result<(String, String), AdminError> {
    let host = match listener.ip_address {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let origin = format!("http://{host}:{}", listener.port);
    let prefix = handler.path.trim_end_matches('/').to_owned();
    if listener.tls.is_some() {
        return Err(AdminError::Https(format!("https://{host}:{}{prefix}", listener.port)));
    }
    if listener.port == 0 {
        return Err(AdminError::EphemeralPort);
    }
    Ok((origin, prefix))
}

/// `(origin, path)` of a URL given on the command line.
fn split_url(given: &str) -> Result<(String, String), AdminError> {
    let invalid = |reason| AdminError::InvalidUrl {
        url: given.to_owned(),
        reason,
    };
    let url = url::Url::parse(given).map_err(|_| invalid("not a URL"))?;
    match url.scheme() {
        "http" => {}
        "https" => return Err(AdminError::Https(given.to_owned())),
        _ => return Err(invalid("the scheme must be http")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a query or fragment has no place in it"));
    }
    let host = url.host_str().ok_or_else(|| invalid("no host"))?;
    let port = url.port_or_known_default().unwrap_or(80);
    Ok((
        format!("http://{host}:{port}"),
        url.path().trim_end_matches('/').to_owned(),
    ))
}

/// The handler's own credential for an operator: MongooseIM's `username`/`password`, or
/// the first of `credentials` allowed every scope (a narrower one would fail some
/// commands with `403` for no reason the operator sees).
fn configured_auth(handler: &AdminApiHandler) -> Option<AuthData> {
    if let (Some(user), Some(password)) = (&handler.username, &handler.password) {
        return Some(AuthData::basic(user, password));
    }
    handler
        .credentials
        .iter()
        .filter(|c| c.scopes.iter().any(|s| s == "*"))
        .find_map(|c| match (&c.username, &c.password, &c.token) {
            (Some(user), Some(password), _) => Some(AuthData::basic(user, password)),
            (_, _, Some(token)) => Some(AuthData::Bearer(token.clone())),
            _ => None,
        })
}

pub(crate) type Context = swagger::make_context_ty!(ContextBuilder, EmptyContext, Option<AuthData>, XSpanIdString);

/// The generated client on [`Transport`], with the credentials in its context.
pub(crate) type AdminClient = swagger::ContextWrapper<meerkat_admin_api::Client<Transport, Context>, Context>;

impl Endpoint {
    pub(crate) fn client(&self) -> Result<AdminClient, AdminError> {
        use meerkat_admin_api::ContextWrapperExt;
        let transport = Transport {
            http: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(HttpConnector::new()),
            prefix: Arc::from(self.prefix.as_str()),
        };
        let client = meerkat_admin_api::Client::try_new_with_client_service(transport, &self.origin).map_err(|e| {
            AdminError::InvalidUrl {
                url: self.url.clone(),
                reason: match e {
                    meerkat_admin_api::client::ClientInitError::MissingHost => "no host",
                    _ => "not a URL",
                },
            }
        })?;
        let context = swagger::make_context!(
            ContextBuilder,
            EmptyContext,
            self.auth.clone(),
            XSpanIdString::default()
        );
        Ok(client.with_context(context))
    }

    /// One request, within [`TIMEOUT`]: the generated client's answer, or why there is
    /// none.
    pub(crate) async fn ask<T>(&self, call: impl Future<Output = Result<T, ApiError>>) -> Result<T, AdminError> {
        match tokio::time::timeout(TIMEOUT, call).await {
            Err(_) => Err(AdminError::TimedOut { url: self.url.clone() }),
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(self.failure(e)),
        }
    }

    /// What the generated client's error means. It reports a status the spec does not
    /// list for the operation as `Unexpected response code N:\n<headers>\n\n<body>`; the
    /// body is still the server's error sentence.
    fn failure(&self, error: ApiError) -> AdminError {
        let text = error.0;
        if let Some(reason) = text.strip_prefix("No response received: ") {
            return AdminError::Unreachable {
                url: self.url.clone(),
                reason: reason.to_owned(),
            };
        }
        if let Some(rest) = text.strip_prefix("Unexpected response code ") {
            let (status, body) = match rest.split_once(":\n") {
                Some((status, rest)) => (status, rest.split_once("\n\n").map_or("", |(_, body)| body)),
                None => (rest, ""),
            };
            let sentence = serde_json::from_str::<String>(body).unwrap_or_else(|_| body.trim().to_owned());
            return if sentence.is_empty() {
                AdminError::Refused(format!("the admin API answered {status}"))
            } else {
                AdminError::Refused(sentence)
            };
        }
        AdminError::Unexpected {
            url: self.url.clone(),
            detail: text,
        }
    }
}

/// Plain HTTP to the admin listener, through which the generated client sends. The
/// client puts the spec's base path (`/api`) before every operation's path; a handler
/// mounted elsewhere gets its own path there instead. Connection failures are told with
/// their causes (`Connection refused`), which the client's own error text leaves out.
#[derive(Clone)]
pub(crate) struct Transport {
    http: hyper_util::client::legacy::Client<HttpConnector, BoxBody<Bytes, Infallible>>,
    prefix: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TransportError(String);

impl<C> hyper::service::Service<(Request<BoxBody<Bytes, Infallible>>, C)> for Transport {
    type Response = Response<Incoming>;
    type Error = TransportError;
    type Future = BoxFuture<'static, Result<Response<Incoming>, TransportError>>;

    fn call(&self, (mut request, _): (Request<BoxBody<Bytes, Infallible>>, C)) -> Self::Future {
        let http = self.http.clone();
        let rebased = rebase(request.uri(), &self.prefix);
        Box::pin(async move {
            *request.uri_mut() = rebased?;
            http.request(request).await.map_err(|e| TransportError(causes(&e)))
        })
    }
}

/// `uri` with the spec's base path replaced by the handler's.
fn rebase(uri: &Uri, prefix: &str) -> Result<Uri, TransportError> {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let rest = path_and_query
        .strip_prefix(meerkat_admin_api::BASE_PATH)
        .unwrap_or(path_and_query);
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        format!("{prefix}{rest}")
            .parse()
            .map_err(|e| TransportError(format!("{e}")))?,
    );
    Uri::from_parts(parts).map_err(|e| TransportError(format!("{e}")))
}

/// An error's causes, innermost last (`tcp connect error: Connection refused (os error
/// 111)`), without the client's own wrapper when it has causes.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut texts = Vec::new();
    let mut next = error.source();
    while let Some(e) = next {
        texts.push(e.to_string());
        next = e.source();
    }
    if texts.is_empty() {
        error.to_string()
    } else {
        texts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint {
            url: "http://127.0.0.1:8088/api".into(),
            origin: "http://127.0.0.1:8088".into(),
            prefix: "/api".into(),
            auth: None,
        }
    }

    fn remote(url: Option<&str>) -> Remote {
        Remote {
            admin_url: url.map(str::to_owned),
            admin_user: None,
            admin_password: None,
            admin_token: None,
            json: false,
        }
    }

    fn config(toml: &str) -> Config {
        Config::parse(toml).expect("config").config
    }

    #[test]
    fn urls_are_split_into_origin_and_path() {
        let split = |u| split_url(u).map_err(|e| e.to_string());
        assert_eq!(
            split("http://127.0.0.1:8088/api/").unwrap(),
            ("http://127.0.0.1:8088".into(), "/api".into())
        );
        assert_eq!(
            split("http://[::1]/admin").unwrap(),
            ("http://[::1]:80".into(), "/admin".into())
        );
        assert!(split("https://example.com/api").unwrap_err().contains("HTTPS"));
        assert!(split("ftp://example.com/api").unwrap_err().contains("scheme"));
        assert!(split("localhost:8088").is_err());
    }

    #[test]
    fn without_a_url_the_configured_listener_is_reached_on_loopback() {
        let e = remote(None).endpoint(&Config::default()).unwrap();
        assert_eq!(e.url, "http://127.0.0.1:8088/api");
        let any = "[[listen.http]]\nport = 9000\nip_address = \"::\"\n\
                   [[listen.http.handlers.mongoose_admin_api]]\npath = \"/admin/\"\n\
                   username = \"ops\"\npassword = \"pw\"\n";
        assert_eq!(
            remote(None).endpoint(&config(any)).unwrap().url,
            "http://[::1]:9000/admin"
        );
        let ephemeral = "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n\
                         [[listen.http.handlers.mongoose_admin_api]]\n";
        assert!(matches!(
            remote(None).endpoint(&config(ephemeral)),
            Err(AdminError::EphemeralPort)
        ));
        let e = remote(Some("http://localhost:1234/api"))
            .endpoint(&config(ephemeral))
            .unwrap();
        assert_eq!(e.url, "http://localhost:1234/api");
        let none = "[[listen.http]]\nport = 8089\n[[listen.http.handlers.mongoose_client_api]]\n";
        assert!(matches!(
            remote(None).endpoint(&config(none)),
            Err(AdminError::NoAdminListener)
        ));
    }

    #[test]
    fn credentials_come_from_the_options_or_the_handler() {
        let basic =
            "[[listen.http]]\nport = 1\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_admin_api]]\n\
                     username = \"ops\"\npassword = \"pw\"\n";
        let e = remote(None).endpoint(&config(basic)).unwrap();
        assert_eq!(e.auth, Some(AuthData::basic("ops", "pw")));

        let scoped =
            "[[listen.http]]\nport = 1\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_admin_api]]\n\
                      [[listen.http.handlers.mongoose_admin_api.credentials]]\n\
                      token = \"narrow-0123456789abcdef\"\nscopes = [\"users:read\"]\n\
                      [[listen.http.handlers.mongoose_admin_api.credentials]]\n\
                      token = \"wide-0123456789abcdef\"\nscopes = [\"*\"]\n";
        let e = remote(None).endpoint(&config(scoped)).unwrap();
        assert_eq!(e.auth, Some(AuthData::Bearer("wide-0123456789abcdef".into())));

        let mut given = remote(None);
        given.admin_token = Some("mine".into());
        assert_eq!(
            given.endpoint(&config(basic)).unwrap().auth,
            Some(AuthData::Bearer("mine".into()))
        );
        given.admin_user = Some("ops".into());
        assert!(matches!(given.endpoint(&config(basic)), Err(AdminError::Credentials)));
    }

    #[test]
    fn the_handlers_path_replaces_the_specs_base_path() {
        let uri: Uri = "http://127.0.0.1:1/api/users/localhost?limit=2".parse().unwrap();
        assert_eq!(
            rebase(&uri, "/admin").unwrap().to_string(),
            "http://127.0.0.1:1/admin/users/localhost?limit=2"
        );
        assert_eq!(rebase(&uri, "/api").unwrap(), uri);
        assert_eq!(
            rebase(&uri, "").unwrap().to_string(),
            "http://127.0.0.1:1/users/localhost?limit=2"
        );
    }

    #[test]
    fn the_generated_clients_errors_are_told_apart() {
        let e = endpoint().failure(ApiError("No response received: tcp connect error".into()));
        assert_eq!(
            e.to_string(),
            "cannot reach the admin API at http://127.0.0.1:8088/api: tcp connect error"
        );
        let e = endpoint().failure(ApiError(
            "Unexpected response code 405:\n{\"content-type\": \"application/json\"}\n\n\"Method not allowed\"".into(),
        ));
        assert!(
            matches!(&e, AdminError::Refused(t) if t == "Method not allowed"),
            "{e:?}"
        );
        let e = endpoint().failure(ApiError("Unexpected response code 502:\n{}\n\n".into()));
        assert_eq!(e.to_string(), "the admin API answered 502");
        let e = endpoint().failure(ApiError("Response body did not match the schema: x".into()));
        assert!(matches!(e, AdminError::Unexpected { .. }));
    }
}
