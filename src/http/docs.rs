//! API documentation served by the running server, with no network access needed:
//! `/api-docs/client.yaml` is the spec itself, `/api-docs` a page rendered from it at
//! first use (operations by tag, parameters, bodies, responses and examples).

use super::client_api::SPEC;
use super::contract::spec_json;
use super::{full, json_error, Body};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;

pub(crate) fn serve<B>(req: &Request<B>, mount: &str) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    }
    let rest = req.uri().path()[mount.len()..].trim_end_matches('/');
    let (content_type, body): (&str, &'static str) = match rest {
        "" => ("text/html; charset=utf-8", page()),
        "/client.yaml" => ("application/yaml", SPEC),
        _ => return json_error(StatusCode::NOT_FOUND, "Not found"),
    };
    let mut response = Response::new(full(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| match spec_json(SPEC) {
        Ok(spec) => render(&spec),
        Err(e) => format!(
            "<!doctype html><p>The spec could not be read: {}</p>",
            escape(&e.to_string())
        ),
    })
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

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Follows a local `$ref` one level, for display.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| spec.pointer(p))
        .unwrap_or(v)
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next())
}

fn render(spec: &Value) -> String {
    let info = &spec["info"];
    let base = spec.pointer("/servers/0/url").and_then(Value::as_str).unwrap_or("");
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}\
         code,pre{{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}}pre{{padding:.6rem;overflow:auto}}\
         .op{{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}}\
         .m{{font-weight:bold;display:inline-block;min-width:4.5rem}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #eee;padding:.2rem .6rem;text-align:left;vertical-align:top}}</style></head><body>\
         <h1>{title} <small>{version}</small></h1><p><a href=\"client.yaml\">OpenAPI spec (YAML)</a></p><pre>{desc}</pre>",
        title = escape(text(info, "title")),
        version = escape(text(info, "version")),
        desc = escape(text(info, "description")),
    );
    let tags: Vec<&Value> = spec["tags"].as_array().map(|t| t.iter().collect()).unwrap_or_default();
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for tag in tags {
        let name = text(tag, "name");
        let _ = write!(
            h,
            "<h2 id=\"{0}\">{0}</h2><p>{1}</p>",
            escape(name),
            escape(text(tag, "description"))
        );
        for (path, item) in &paths {
            for method in ["get", "post", "put", "delete", "patch"] {
                let Some(op) = item.get(method) else { continue };
                let in_tag = op["tags"].as_array().is_some_and(|t| t.iter().any(|x| x == name));
                if in_tag {
                    render_operation(&mut h, spec, base, path, method, op);
                }
            }
        }
    }
    let _ = write!(h, "<h2>Schemas</h2>");
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, s) in schemas {
            let _ = write!(
                h,
                "<h3 id=\"schema-{0}\">{0}</h3><p>{1}</p>",
                escape(name),
                escape(text(s, "description"))
            );
            render_properties(&mut h, s);
        }
    }
    h.push_str("</body></html>");
    h
}

fn render_operation(h: &mut String, spec: &Value, base: &str, path: &str, method: &str, op: &Value) {
    let _ = write!(
        h,
        "<div class=\"op\"><p><span class=\"m\">{}</span><code>{}{}</code> — {} <small>(<code>{}</code>)</small></p><pre>{}</pre>",
        method.to_uppercase(),
        escape(base),
        escape(path),
        escape(text(op, "summary")),
        escape(text(op, "operationId")),
        escape(text(op, "description"))
    );
    if let Some(params) = op["parameters"].as_array() {
        h.push_str("<table><tr><th>parameter</th><th>in</th><th>description</th></tr>");
        for p in params {
            let p = resolve(spec, p);
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(text(p, "name")),
                escape(text(p, "in")),
                escape(text(p, "description"))
            );
        }
        h.push_str("</table>");
    }
    if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
        let name = ref_name(schema).unwrap_or("object");
        let _ = write!(h, "<p>Body: <a href=\"#schema-{0}\">{0}</a></p>", escape(name));
    }
    h.push_str("<table><tr><th>status</th><th>meaning</th><th>example</th></tr>");
    if let Some(responses) = op["responses"].as_object() {
        for (status, r) in responses {
            let r = resolve(spec, r);
            let examples = response_examples(spec, r);
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                escape(text(r, "description")),
                examples
            );
        }
    }
    h.push_str("</table></div>");
}

fn response_examples(spec: &Value, r: &Value) -> String {
    let Some(content) = r.get("content").and_then(Value::as_object) else {
        return String::new();
    };
    let mut out = String::new();
    for media in content.values() {
        if let Some(ex) = media.get("example") {
            let _ = write!(out, "<code>{}</code> ", escape(&ex.to_string()));
        }
        if let Some(exs) = media.get("examples").and_then(Value::as_object) {
            for ex in exs.values() {
                let ex = resolve(spec, ex);
                if let Some(v) = ex.get("value") {
                    let _ = write!(out, "<code>{}</code><br>", escape(&v.to_string()));
                }
            }
        }
    }
    out
}

fn render_properties(h: &mut String, schema: &Value) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let list: Vec<String> = values.iter().map(|v| escape(&v.to_string())).collect();
            let _ = write!(h, "<p>One of {}</p>", list.join(", "));
        }
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    h.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
    for (name, p) in props {
        let ty = ref_name(p)
            .or_else(|| p.pointer("/allOf/0").and_then(ref_name))
            .map(str::to_owned)
            .unwrap_or_else(|| text(p, "type").to_owned());
        let _ = write!(
            h,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            if required.contains(&name.as_str()) {
                " (required)"
            } else {
                ""
            },
            escape(&ty),
            escape(text(p, "description"))
        );
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_every_operation() {
        let page = page();
        let spec = spec_json(SPEC).unwrap();
        for item in spec["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    assert!(
                        page.contains(&format!("<code>{id}</code>")),
                        "{id} missing from the docs page"
                    );
                }
            }
        }
        assert!(!page.contains("<script"));
    }
}
