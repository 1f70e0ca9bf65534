//! API documentation served by the running server, with no network access needed:
//! `<mount>/client.yaml` is the spec itself, `<mount>` (`/api-docs`) Swagger UI on it,
//! with "Try it out" sending real requests to this server's client API.
//!
//! Swagger UI's files come from the `swagger-ui-dist` crate, which packages them into the
//! binary but hands them out only through an axum router; they are taken from that router
//! once, at the first request for one, and served from memory after that. The page and
//! its start script are ours: the script (`swagger-initializer.js`) is a file rather
//! than inline so that the page's Content-Security-Policy can forbid inline scripts, and
//! it reads where the spec and the API are from the page's `data-` attributes.
//!
//! The spec's server is `{scheme}://{host}/api` with a local default; whatever server a
//! visitor picks, the start script's request interceptor sends "Try it out" requests to
//! the API of the server that served the page (same origin, its configured API path), so
//! the page works behind any host name. Basic and bearer credentials are entered through
//! Swagger UI's "Authorize" dialog (the spec's two security schemes). The admin API's
//! handler serves its own spec the same way (`<admin path>-docs/admin.yaml`).

use super::contract::spec_json;

/// Which API a page documents: the client API (`client.yaml`) or the admin API
/// (`admin.yaml`, on the admin listener).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    Client,
    Admin,
}

impl Spec {
    fn yaml(self) -> &'static str {
        match self {
            Spec::Client => super::CLIENT_SPEC,
            Spec::Admin => super::ADMIN_SPEC,
        }
    }

    fn file(self) -> &'static str {
        match self {
            Spec::Client => "client.yaml",
            Spec::Admin => "admin.yaml",
        }
    }
}
use super::{full, json_error, Body};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use std::sync::OnceLock;
use tokio::sync::OnceCell;

/// What the page may load and do: its own scripts, styles and the API (same origin),
/// images from itself or inline (`data:` icons); Swagger UI sets inline `style`
/// attributes. No inline scripts, no framing, no forms posted elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The start script of the page (see the module docs).
const INITIALIZER: &str = include_str!("docs/swagger-initializer.js");

/// Swagger UI's files may be kept by browsers for an hour; the page and the spec are
/// checked again on every visit so a new server version shows at once.
const ASSET_CACHE: &str = "public, max-age=3600";

/// Swagger UI's files, as the `swagger-ui-dist` crate serves them.
struct Assets {
    js: Bytes,
    js_map: Bytes,
    css: Bytes,
    css_map: Bytes,
}

/// Serves `req` under `mount` (`/api-docs`), for the client API at `api_path` (`/api`).
pub(crate) async fn serve<B>(req: &Request<B>, mount: &str, api_path: &str, spec: Spec) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    }
    let rest = req.uri().path()[mount.len()..].trim_end_matches('/');
    let asset = |pick: fn(&Assets) -> &Bytes| async move { assets().await.map(|a| pick(a).clone()) };
    let (content_type, cache, body) = match rest {
        "" => (
            "text/html; charset=utf-8",
            "no-cache",
            Some(Bytes::from(page(mount, api_path, spec))),
        ),
        file if file.strip_prefix('/') == Some(spec.file()) => (
            "application/yaml",
            "no-cache",
            Some(Bytes::from_static(spec.yaml().as_bytes())),
        ),
        "/swagger-initializer.js" => (
            "text/javascript; charset=utf-8",
            "no-cache",
            Some(Bytes::from_static(INITIALIZER.as_bytes())),
        ),
        "/swagger-ui-bundle.js" => ("text/javascript; charset=utf-8", ASSET_CACHE, asset(|a| &a.js).await),
        "/swagger-ui-bundle.js.map" => ("application/json", ASSET_CACHE, asset(|a| &a.js_map).await),
        "/swagger-ui.css" => ("text/css; charset=utf-8", ASSET_CACHE, asset(|a| &a.css).await),
        "/swagger-ui.css.map" => ("application/json", ASSET_CACHE, asset(|a| &a.css_map).await),
        _ => return json_error(StatusCode::NOT_FOUND, "Not found"),
    };
    let Some(body) = body else {
        return super::unavailable();
    };
    let mut response = Response::new(full(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if rest.is_empty() {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    response
}

/// Swagger UI's files, taken from the crate's router at first use. `None` only if the
/// crate stopped serving one of them (a dependency upgrade gone wrong): logged, and the
/// request answered `503` rather than the server stopping.
async fn assets() -> Option<&'static Assets> {
    static ASSETS: OnceCell<Option<Assets>> = OnceCell::const_new();
    ASSETS
        .get_or_init(|| async {
            match load_assets().await {
                Ok(assets) => Some(assets),
                Err(e) => {
                    tracing::error!(error = %e, "Swagger UI's files could not be read");
                    None
                }
            }
        })
        .await
        .as_ref()
}

async fn load_assets() -> Result<Assets, String> {
    const PREFIX: &str = "/swagger-ui";
    let mut router = swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
        uri_prefix: PREFIX,
        // Only the files are taken from the router, never its page.
        api_definition: swagger_ui_dist::OpenApiSource::Uri("client.yaml"),
        title: None,
    });
    Ok(Assets {
        js: fetch(&mut router, PREFIX, "swagger-ui-bundle.js").await?,
        js_map: fetch(&mut router, PREFIX, "swagger-ui-bundle.js.map").await?,
        css: fetch(&mut router, PREFIX, "swagger-ui.css").await?,
        css_map: fetch(&mut router, PREFIX, "swagger-ui.css.map").await?,
    })
}

/// One file from the crate's router, as a `GET` would have it.
async fn fetch<S, B>(router: &mut S, prefix: &str, file: &str) -> Result<Bytes, String>
where
    S: tower_service::Service<Request<Empty<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Display,
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let failed = |e: &dyn std::fmt::Display| format!("{file}: {e}");
    let request = Request::get(format!("{prefix}/{file}"))
        .body(Empty::new())
        .map_err(|e| failed(&e))?;
    std::future::poll_fn(|cx| router.poll_ready(cx))
        .await
        .map_err(|e| failed(&e))?;
    let response = router.call(request).await.map_err(|e| failed(&e))?;
    if response.status() != StatusCode::OK {
        return Err(failed(&response.status()));
    }
    let body = response.into_body().collect().await.map_err(|e| failed(&e))?;
    Ok(body.to_bytes())
}

/// The page: Swagger UI's files, our start script, and where the spec and the API are.
fn page(mount: &str, api_path: &str, spec: Spec) -> String {
    let (title, spec_base) = spec_facts(spec);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"{mount}/swagger-ui.css\">\n</head>\n<body>\n\
         <noscript><p>This page needs JavaScript. The spec itself: <a href=\"{mount}/{file}\">{file}</a>.</p></noscript>\n\
         <div id=\"swagger-ui\" data-spec=\"{mount}/{file}\" data-spec-base=\"{spec_base}\" data-api=\"{api}\"></div>\n\
         <script src=\"{mount}/swagger-ui-bundle.js\"></script>\n\
         <script src=\"{mount}/swagger-initializer.js\"></script>\n</body>\n</html>\n",
        title = escape(title),
        mount = escape(mount),
        spec_base = escape(spec_base),
        api = escape(api_path),
        file = spec.file(),
    )
}

/// The spec's title, and the path of its server URL (`/api` in `{scheme}://{host}/api`),
/// which the start script replaces with this server's API path.
fn spec_facts(which: Spec) -> (&'static str, &'static str) {
    static CLIENT: OnceLock<(String, String)> = OnceLock::new();
    static ADMIN: OnceLock<(String, String)> = OnceLock::new();
    let facts = match which {
        Spec::Client => &CLIENT,
        Spec::Admin => &ADMIN,
    };
    let (title, base) = facts.get_or_init(|| {
        let spec = spec_json(which.yaml()).unwrap_or(Value::Null);
        let title = spec.pointer("/info/title").and_then(Value::as_str).unwrap_or("API");
        let url = spec.pointer("/servers/0/url").and_then(Value::as_str).unwrap_or("/api");
        (title.to_owned(), server_path(url).to_owned())
    });
    (title, base)
}

/// The path of a server URL: `/api` for `{scheme}://{host}/api` or `/api`.
fn server_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    if url.contains("://") {
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    } else {
        url
    }
    .trim_end_matches('/')
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_swagger_ui_and_our_script_without_inline_code() {
        let page = page("/api-docs", "/chat/api", Spec::Client);
        for src in ["/api-docs/swagger-ui-bundle.js", "/api-docs/swagger-initializer.js"] {
            assert!(page.contains(&format!("<script src=\"{src}\"></script>")), "{page}");
        }
        assert_eq!(page.matches("<script").count(), 2, "no inline script: {page}");
        assert!(page.contains("href=\"/api-docs/swagger-ui.css\""));
        assert!(page.contains("data-spec=\"/api-docs/client.yaml\""));
        assert!(page.contains("data-spec-base=\"/api\""));
        assert!(page.contains("data-api=\"/chat/api\""));
        assert!(page.contains("<title>meerkat client REST API</title>"));
    }

    #[test]
    fn configured_paths_are_escaped_in_the_page() {
        let page = page("/d\"><script>", "/a&b", Spec::Client);
        assert!(!page.contains("\"><script>"));
        assert!(page.contains("data-api=\"/a&amp;b\""));
    }

    #[test]
    fn a_server_url_gives_its_path() {
        assert_eq!(server_path("{scheme}://{host}/api"), "/api");
        assert_eq!(server_path("https://chat.example.com/v1/api/"), "/v1/api");
        assert_eq!(server_path("https://chat.example.com"), "");
        assert_eq!(server_path("/api"), "/api");
    }

    #[tokio::test]
    async fn swagger_ui_files_come_from_the_packaged_crate() {
        let assets = assets().await.expect("the crate serves its files");
        assert!(assets.js.len() > 100_000, "{} bytes", assets.js.len());
        assert!(std::str::from_utf8(&assets.js).unwrap().contains("SwaggerUIBundle"));
        assert!(std::str::from_utf8(&assets.css).unwrap().contains(".swagger-ui"));
        assert!(!assets.js_map.is_empty() && !assets.css_map.is_empty());
    }
}
