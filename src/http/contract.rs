//! The request contract, read from the OpenAPI yaml itself.
//!
//! The generated router parses requests, but answers malformed ones with its own plain
//! texts. Our API promises specific JSON error strings (`"Missing message body"`,
//! `"Invalid limit"`, …), and those texts live in the yaml next to the field they are
//! about, as vendor extensions:
//!
//! - `x-invalid-body-error` on an operation: the body is not a JSON object;
//! - `x-missing-error` on a property: a required property is absent or `null`;
//!   an optional one that is `null` is invalid (no schema of ours is nullable);
//! - `x-invalid-error` on a property, array items, or a path, query or header parameter: a
//!   value of the wrong type, not in its enum, out of range, of the wrong length or not
//!   matching its `pattern` (inside a nested object, the nearest enclosing text wins). A
//!   path or header parameter is checked only when it has this text; without it, its value
//!   is the operation's to read (every query parameter is checked, with a default text);
//! - `x-accepts-room-jid` on a path parameter: besides what its schema allows, a room JID
//!   `<id>@<domain>` whose `<id>` the schema allows (the operation checks the domain, which
//!   the spec cannot know: it is the user's own MUC Light service).
//!
//! Before a request reaches the generated router, [`Operation::check`] applies these rules,
//! so the router only ever sees requests it can parse, and every rejection carries the
//! text the yaml documents. An unknown query parameter is `"Invalid query string"`.
//! A string carrying a character XML 1.0 cannot (U+0000, most C0 controls, U+FFFE, …)
//! is an invalid value of its field: everything a client sends may end up in a stanza.
//!
//! A `pattern` is read by the `regex` crate. The spec's patterns keep to what that crate
//! and ECMA 262 (the dialect OpenAPI names, used by generators and test tools) read the
//! same way: anchors, classes, groups and counted repetition, no lookaround.

use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use regex::Regex;
use serde_json::{Map, Value};

/// A request the contract refuses, with the documented status and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub text: String,
}

fn bad_request(text: impl Into<String>) -> Rejection {
    Rejection {
        status: StatusCode::BAD_REQUEST,
        text: text.into(),
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ContractError {
    #[error("the spec is not valid YAML: {0}")]
    Yaml(String),
    #[error("the spec has no usable `{0}`")]
    Missing(String),
    #[error("unresolvable reference {0}")]
    Reference(String),
    #[error("pattern {0:?} cannot be read: {1}")]
    Pattern(String, String),
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    /// A path parameter, by name.
    Param(String),
}

#[derive(Debug, Clone)]
enum Kind {
    Object {
        properties: Vec<(String, Schema)>,
        required: Vec<String>,
    },
    Array(Box<Schema>),
    String {
        allowed: Option<Vec<String>>,
        pattern: Option<Regex>,
        /// Lengths in characters (Unicode scalar values), as JSON Schema counts them.
        min_length: Option<usize>,
        max_length: Option<usize>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Number,
    Boolean,
    Any,
}

#[derive(Debug, Clone)]
struct Schema {
    kind: Kind,
    missing_error: Option<String>,
    invalid_error: Option<String>,
}

/// A path, query or header parameter.
#[derive(Debug, Clone)]
struct Param {
    name: String,
    schema: Schema,
    required: bool,
    /// `x-accepts-room-jid` (path parameters only).
    room_jid: bool,
}

#[derive(Debug, Clone)]
struct RequestBody {
    schema: Schema,
    invalid_error: String,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    /// The operation's tags (the admin API's scopes are named by them).
    pub tags: Vec<String>,
    method: Method,
    segments: Vec<Segment>,
    path: Vec<Param>,
    query: Vec<Param>,
    headers: Vec<Param>,
    body: Option<RequestBody>,
}

/// All operations of one spec, with the server's base path (e.g. `/api`).
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    pub base_path: String,
    operations: Vec<Operation>,
}

/// YAML keys may be numbers (`200:`); JSON object keys are strings.
fn to_json(v: serde_yaml::Value) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(s) => Value::Array(s.into_iter().map(to_json).collect()),
        serde_yaml::Value::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        serde_yaml::Value::String(s) => s,
                        other => serde_yaml::to_string(&other).unwrap_or_default().trim().to_owned(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        serde_yaml::Value::Tagged(t) => to_json(t.value),
    }
}

/// Parses a spec into JSON form.
pub(crate) fn spec_json(yaml: &str) -> Result<Value, ContractError> {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|e| ContractError::Yaml(e.to_string()))?;
    Ok(to_json(v))
}

struct Resolver<'a> {
    root: &'a Value,
}

impl Resolver<'_> {
    fn deref<'v>(&'v self, v: &'v Value, depth: usize) -> Result<&'v Value, ContractError> {
        match v.get("$ref").and_then(Value::as_str) {
            None => Ok(v),
            Some(r) if depth < 16 => {
                let target = r
                    .strip_prefix("#/")
                    .and_then(|p| self.root.pointer(&format!("/{p}")))
                    .ok_or_else(|| ContractError::Reference(r.to_owned()))?;
                self.deref(target, depth + 1)
            }
            Some(r) => Err(ContractError::Reference(r.to_owned())),
        }
    }

    fn schema(&self, v: &Value, depth: usize) -> Result<Schema, ContractError> {
        // Extensions on the referring property win over those of the referenced schema.
        let text = |key: &str| -> Option<String> { v.get(key).and_then(Value::as_str).map(str::to_owned) };
        let (missing, invalid) = (text("x-missing-error"), text("x-invalid-error"));
        let mut s = self.deref(v, 0)?;
        // `allOf: [$ref]` is how a property puts texts next to a shared schema.
        if let Some(first) = s.get("allOf").and_then(Value::as_array).and_then(|a| a.first()) {
            s = self.deref(first, 0)?;
        }
        let text_of = |key: &str| s.get(key).and_then(Value::as_str).map(str::to_owned);
        let kind = if depth > 16 {
            Kind::Any
        } else {
            match s.get("type").and_then(Value::as_str) {
                Some("object") => {
                    let mut properties = Vec::new();
                    if let Some(props) = s.get("properties").and_then(Value::as_object) {
                        for (name, p) in props {
                            properties.push((name.clone(), self.schema(p, depth + 1)?));
                        }
                    }
                    let required = s
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default();
                    Kind::Object { properties, required }
                }
                Some("array") => match s.get("items") {
                    Some(items) => Kind::Array(Box::new(self.schema(items, depth + 1)?)),
                    None => Kind::Array(Box::new(Schema {
                        kind: Kind::Any,
                        missing_error: None,
                        invalid_error: None,
                    })),
                },
                Some("string") => Kind::String {
                    allowed: s
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|e| e.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
                    pattern: match s.get("pattern").and_then(Value::as_str) {
                        Some(p) => {
                            Some(Regex::new(p).map_err(|e| ContractError::Pattern(p.to_owned(), e.to_string()))?)
                        }
                        None => None,
                    },
                    min_length: s.get("minLength").and_then(Value::as_u64).map(|n| n as usize),
                    max_length: s.get("maxLength").and_then(Value::as_u64).map(|n| n as usize),
                },
                Some("integer") => Kind::Integer {
                    min: s.get("minimum").and_then(Value::as_i64),
                    max: s.get("maximum").and_then(Value::as_i64),
                },
                Some("number") => Kind::Number,
                Some("boolean") => Kind::Boolean,
                _ => Kind::Any,
            }
        };
        Ok(Schema {
            kind,
            missing_error: missing.or_else(|| text_of("x-missing-error")),
            invalid_error: invalid.or_else(|| text_of("x-invalid-error")),
        })
    }
}

impl Contract {
    pub(crate) fn from_yaml(yaml: &str) -> Result<Self, ContractError> {
        let root = spec_json(yaml)?;
        Contract::from_json(&root)
    }

    pub(crate) fn from_json(root: &Value) -> Result<Self, ContractError> {
        let r = Resolver { root };
        // The path of the first server, whether its URL is relative (`/api`) or absolute
        // with variables (`{scheme}://{host}/api`).
        let url = root.pointer("/servers/0/url").and_then(Value::as_str).unwrap_or("");
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url,
        };
        let base_path = path.trim_end_matches('/').to_owned();
        let paths = root
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| ContractError::Missing("paths".into()))?;
        let mut operations = Vec::new();
        for (path, item) in paths {
            let segments = path
                .trim_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                })
                .collect::<Vec<_>>();
            let shared_params = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if !op.is_object() || method == Method::OPTIONS {
                    continue;
                }
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ContractError::Missing(format!("operationId of {method} {path}")))?
                    .to_owned();
                let (mut path_params, mut query, mut headers) = (Vec::new(), Vec::new(), Vec::new());
                let own = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                // An operation's own parameter replaces a shared one of the same name and place.
                let mut params: Vec<&Value> = Vec::new();
                for p in shared_params.iter().chain(own.iter()) {
                    let p = r.deref(p, 0)?;
                    params.retain(|q| q.get("name") != p.get("name") || q.get("in") != p.get("in"));
                    params.push(p);
                }
                for p in params {
                    // Path and header parameters are checked here when the spec gives the
                    // text to answer; others stay the operation's to read.
                    let texted = p.get("x-invalid-error").is_some();
                    let list = match p.get("in").and_then(Value::as_str) {
                        Some("path") if texted => &mut path_params,
                        Some("query") => &mut query,
                        Some("header") if texted => &mut headers,
                        _ => continue,
                    };
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let mut schema = match p.get("schema") {
                        Some(s) => r.schema(s, 0)?,
                        None => Schema {
                            kind: Kind::Any,
                            missing_error: None,
                            invalid_error: None,
                        },
                    };
                    if let Some(text) = p.get("x-invalid-error").and_then(Value::as_str) {
                        schema.invalid_error = Some(text.to_owned());
                    }
                    if let Some(text) = p.get("x-missing-error").and_then(Value::as_str) {
                        schema.missing_error = Some(text.to_owned());
                    }
                    list.push(Param {
                        name,
                        schema,
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        room_jid: p.get("x-accepts-room-jid").and_then(Value::as_bool).unwrap_or(false),
                    });
                }
                let body = match op.get("requestBody") {
                    None => None,
                    Some(rb) => {
                        let rb = r.deref(rb, 0)?;
                        match rb.pointer("/content/application~1json/schema") {
                            None => None,
                            Some(s) => Some(RequestBody {
                                schema: r.schema(s, 0)?,
                                invalid_error: op
                                    .get("x-invalid-body-error")
                                    .and_then(Value::as_str)
                                    .unwrap_or("Invalid request body")
                                    .to_owned(),
                            }),
                        }
                    }
                };
                let tags = op
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default();
                operations.push(Operation {
                    id,
                    tags,
                    method,
                    segments: segments.clone(),
                    path: path_params,
                    query,
                    headers,
                    body,
                });
            }
        }
        Ok(Contract { base_path, operations })
    }

    #[cfg(any(test, fuzzing))]
    pub(crate) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.iter()
    }

    /// The operation for `method` on `path` (a full request path, base path included).
    /// Otherwise the methods the path has (none: no such path), for a `405`'s `Allow`.
    pub(crate) fn find(&self, method: &Method, path: &str) -> Result<&Operation, Vec<Method>> {
        let Some(rest) = path.strip_prefix(self.base_path.as_str()) else {
            return Err(Vec::new());
        };
        if !rest.is_empty() && !rest.starts_with('/') {
            return Err(Vec::new());
        }
        let parts: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let mut allowed = Vec::new();
        let mut best: Option<(&Operation, usize)> = None;
        for op in &self.operations {
            if op.segments.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let matches = op.segments.iter().zip(&parts).all(|(seg, part)| match seg {
                Segment::Literal(l) => {
                    literals += 1;
                    l == part
                }
                Segment::Param(_) => true,
            });
            if !matches {
                continue;
            }
            if !allowed.contains(&op.method) {
                allowed.push(op.method.clone());
            }
            if op.method == *method && best.is_none_or(|(_, n)| literals > n) {
                best = Some((op, literals));
            }
        }
        best.map(|(op, _)| op).ok_or(allowed)
    }
}

impl Operation {
    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    /// `body` without the object fields its schema does not name, at any depth; `None`
    /// when there is nothing to drop (or no JSON body). Unknown fields are ignored, as
    /// MongooseIM ignores them, and dropped here so that the generated server never sees,
    /// logs or echoes them: their names are the client's text, of any length.
    pub(crate) fn without_unknown_fields(&self, body: &[u8]) -> Option<Vec<u8>> {
        let schema = &self.body.as_ref()?.schema;
        let mut value: Value = serde_json::from_slice(body).ok()?;
        if !drop_unknown_fields(schema, &mut value) {
            return None;
        }
        serde_json::to_vec(&value).ok()
    }

    /// The text for a body this operation cannot take.
    pub(crate) fn invalid_body_text(&self) -> &str {
        self.body
            .as_ref()
            .map_or("Invalid request body", |b| b.invalid_error.as_str())
    }

    /// Checks a request against the spec, in this order: the path parameters (in the order
    /// of the path), the query string, the header parameters, the body; see the module
    /// docs. `path` is the request's path (base path included, still percent-encoded) that
    /// [`Contract::find`] matched to this operation.
    pub(crate) fn check(
        &self,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), Rejection> {
        // The path's last segments are the operation's (the base path's come first), split
        // as `Contract::find` split them.
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let skip = parts.len().saturating_sub(self.segments.len());
        for (segment, raw) in self.segments.iter().zip(&parts[skip..]) {
            let Segment::Param(name) = segment else {
                continue;
            };
            let Some(param) = self.path.iter().find(|p| &p.name == name) else {
                continue;
            };
            // Not UTF-8 once decoded: quoted as sent.
            let Ok(given) = percent_encoding::percent_decode_str(raw).decode_utf8() else {
                return Err(param.invalid(raw));
            };
            // With `x-accepts-room-jid`, `<id>@<domain>` is checked as `<id>`.
            let checked = match given.split_once('@') {
                Some((id, _)) if param.room_jid => id,
                _ => &given,
            };
            if !scalar_ok(&param.schema, checked) {
                return Err(param.invalid(&given));
            }
        }
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let Some(param) = self.query.iter().find(|p| p.name == name) else {
                return Err(bad_request("Invalid query string"));
            };
            if !scalar_ok(&param.schema, &value) {
                return Err(param.invalid(&value));
            }
        }
        for param in &self.query {
            if param.required
                && !url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).any(|(n, _)| n == param.name)
            {
                return Err(param.missing());
            }
        }
        for param in &self.headers {
            let mut values = headers.get_all(param.name.as_str()).iter().peekable();
            if values.peek().is_none() && param.required {
                return Err(param.missing());
            }
            for value in values {
                match value.to_str() {
                    Ok(v) if scalar_ok(&param.schema, v) => {}
                    Ok(v) => return Err(param.invalid(v)),
                    Err(_) => return Err(param.invalid(&String::from_utf8_lossy(value.as_bytes()))),
                }
            }
        }
        if let Some(rb) = &self.body {
            let value: Value = serde_json::from_slice(body).map_err(|_| bad_request(&rb.invalid_error))?;
            if !value.is_object() {
                return Err(bad_request(&rb.invalid_error));
            }
            check_value(&rb.schema, &value, None, "body")?;
        }
        Ok(())
    }
}

fn invalid_text(schema: &Schema, inherited: Option<&str>, name: &str) -> String {
    schema
        .invalid_error
        .clone()
        .or_else(|| inherited.map(str::to_owned))
        .unwrap_or_else(|| format!("Invalid value of '{name}'"))
}

impl Param {
    /// The documented text for a value of this parameter the spec does not allow;
    /// `<given>` in it is the value as sent (percent-decoded).
    fn invalid(&self, given: &str) -> Rejection {
        bad_request(invalid_text(&self.schema, None, &self.name).replace("<given>", given))
    }

    fn missing(&self) -> Rejection {
        match &self.schema.missing_error {
            Some(text) => bad_request(text),
            None => bad_request(invalid_text(&self.schema, None, &self.name).replace("<given>", "")),
        }
    }
}

/// Whether a parameter's text (from the path, the query string or a header) is a value its
/// schema allows.
fn scalar_ok(schema: &Schema, value: &str) -> bool {
    match &schema.kind {
        Kind::Integer { min, max } => match value.parse::<i64>() {
            Ok(n) => !min.is_some_and(|m| n < m) && !max.is_some_and(|m| n > m),
            Err(_) => false,
        },
        Kind::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
        Kind::Boolean => matches!(value, "true" | "false"),
        Kind::String { .. } => string_ok(&schema.kind, value),
        Kind::Object { .. } | Kind::Array(_) | Kind::Any => crate::xml::is_xml_text(value),
    }
}

/// Whether `s` is a value of a string schema: text XML can carry, in the enum if there is
/// one, of the allowed length, and matching the pattern.
fn string_ok(kind: &Kind, s: &str) -> bool {
    let Kind::String {
        allowed,
        pattern,
        min_length,
        max_length,
    } = kind
    else {
        return false;
    };
    if !crate::xml::is_xml_text(s) || allowed.as_ref().is_some_and(|a| !a.iter().any(|x| x == s)) {
        return false;
    }
    if min_length.is_some() || max_length.is_some() {
        let n = s.chars().count();
        if min_length.is_some_and(|m| n < m) || max_length.is_some_and(|m| n > m) {
            return false;
        }
    }
    pattern.as_ref().is_none_or(|p| p.is_match(s))
}

fn check_value(schema: &Schema, value: &Value, inherited: Option<&str>, name: &str) -> Result<(), Rejection> {
    // A text may quote the offending value: "Invalid JID: <given>".
    let invalid = || {
        let given = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        bad_request(invalid_text(schema, inherited, name).replace("<given>", &given))
    };
    let here = schema.invalid_error.as_deref().or(inherited);
    match (&schema.kind, value) {
        (Kind::Object { properties, required }, Value::Object(map)) => check_object(properties, required, map, here),
        (Kind::Array(items), Value::Array(values)) => {
            for v in values {
                check_value(items, v, here, name)?;
            }
            Ok(())
        }
        // Every string ends up in XML (a stanza, the archive), which cannot carry some
        // characters at all: such a value is invalid, not silently altered.
        (kind @ Kind::String { .. }, Value::String(s)) => match string_ok(kind, s) {
            true => Ok(()),
            false => Err(invalid()),
        },
        (Kind::Any, v) if !xml_safe(v) => Err(invalid()),
        (Kind::Integer { min, max }, Value::Number(n)) => match n.as_i64() {
            Some(i) if !min.is_some_and(|m| i < m) && !max.is_some_and(|m| i > m) => Ok(()),
            _ => Err(invalid()),
        },
        (Kind::Number, Value::Number(_)) | (Kind::Boolean, Value::Bool(_)) | (Kind::Any, _) => Ok(()),
        _ => Err(invalid()),
    }
}

/// Whether every string in `v` (keys included) can be written as XML.
fn xml_safe(v: &Value) -> bool {
    match v {
        Value::String(s) => crate::xml::is_xml_text(s),
        Value::Array(a) => a.iter().all(xml_safe),
        Value::Object(m) => m.iter().all(|(k, v)| crate::xml::is_xml_text(k) && xml_safe(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Drops from `value` the object fields `schema` does not name (objects that name no
/// field are left whole); whether anything went.
fn drop_unknown_fields(schema: &Schema, value: &mut Value) -> bool {
    match (&schema.kind, value) {
        (Kind::Object { properties, .. }, Value::Object(map)) if !properties.is_empty() => {
            let before = map.len();
            map.retain(|key, _| properties.iter().any(|(name, _)| name == key));
            let mut dropped = map.len() != before;
            for (name, property) in properties {
                if let Some(v) = map.get_mut(name) {
                    dropped |= drop_unknown_fields(property, v);
                }
            }
            dropped
        }
        (Kind::Array(items), Value::Array(values)) => values
            .iter_mut()
            .fold(false, |dropped, v| drop_unknown_fields(items, v) | dropped),
        _ => false,
    }
}

fn check_object(
    properties: &[(String, Schema)],
    required: &[String],
    map: &Map<String, Value>,
    inherited: Option<&str>,
) -> Result<(), Rejection> {
    // Missing fields are reported before malformed ones, in the spec's property order,
    // so one request always gets the same answer.
    for (name, schema) in properties {
        let absent = map.get(name).is_none_or(Value::is_null);
        if absent && required.contains(name) {
            let text = schema
                .missing_error
                .clone()
                .or_else(|| inherited.map(str::to_owned))
                .unwrap_or_else(|| format!("Missing {name}"));
            return Err(bad_request(text));
        }
    }
    // A `null` for an optional property is a value of the wrong type (no schema here is
    // nullable), not an absent one.
    for (name, schema) in properties {
        if let Some(v) = map.get(name) {
            check_value(schema, v, inherited, name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: /api}]
paths:
  /messages:
    get:
      operationId: getMessages
      parameters:
        - {name: limit, in: query, x-invalid-error: "Invalid limit", schema: {type: integer, minimum: 0, maximum: 500}}
        - {name: before, in: query, x-invalid-error: "Invalid value of 'before'", schema: {type: integer, format: int64}}
      responses: {200: {description: ok}}
    post:
      operationId: sendMessage
      x-invalid-body-error: "Invalid request body"
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/MessageRequest'}
      responses: {200: {description: ok}}
  /rooms/{id}/messages:
    post:
      operationId: sendRoomMessage
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                body: {type: string, x-invalid-error: "Invalid message body"}
                chat_marker:
                  $ref: '#/components/schemas/ChatMarker'
                  x-invalid-error: "Invalid chat marker"
      responses: {200: {description: ok}}
  /rooms/config:
    put:
      operationId: literalWins
      responses: {204: {description: ok}}
  /rooms/{id}:
    put:
      operationId: createRoomWithId
      responses: {201: {description: ok}}
  /rooms/{id}/users/{user}:
    parameters:
      - {name: id, in: path, required: true, x-invalid-error: "Invalid room ID", x-accepts-room-jid: true,
         schema: {type: string, pattern: '^[a-z0-9]{1,8}$'}}
      - {name: user, in: path, required: true, x-invalid-error: "Invalid user JID: <given>",
         schema: {$ref: '#/components/schemas/User'}}
    delete:
      operationId: removeFromRoom
      parameters:
        - {name: Idempotency-Key, in: header, x-invalid-error: "Invalid Idempotency-Key",
           schema: {type: string, minLength: 1, maxLength: 4, pattern: '^[!-~]+$'}}
        - {name: cursor, in: query, schema: {type: string, pattern: '^[0-9]+$'}}
      responses: {204: {description: ok}}
    post:
      operationId: invite
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [users]
              properties:
                users:
                  type: array
                  x-invalid-error: "Invalid JID list"
                  items: {$ref: '#/components/schemas/User'}
                nick: {type: string, minLength: 2, maxLength: 3}
      responses: {204: {description: ok}}
components:
  schemas:
    MessageRequest:
      type: object
      required: [to, body]
      properties:
        to: {type: string, x-missing-error: "Missing recipient JID", x-invalid-error: "Invalid recipient JID"}
        body: {type: string, x-missing-error: "Missing message body"}
    User:
      type: string
      pattern: '^[a-z]+@[a-z]+$'
      x-invalid-error: "Invalid JID: <given>"
    ChatMarker:
      type: object
      required: [type, id]
      properties:
        type: {type: string, enum: [received, displayed, acknowledged]}
        id: {type: string}
"#;

    fn contract() -> Contract {
        Contract::from_yaml(SPEC).unwrap()
    }

    fn check(method: Method, path: &str, query: Option<&str>, body: &str) -> Result<(), String> {
        let c = contract();
        let op = c.find(&method, path).unwrap();
        op.check(path, query, &HeaderMap::new(), body.as_bytes())
            .map_err(|r| r.text)
    }

    #[test]
    fn fields_the_schema_does_not_name_are_dropped_at_any_depth() {
        let c = contract();
        let op = c.find(&Method::POST, "/api/messages").unwrap();
        let forged = format!("x\n2026-12-07T03:00:00Z ERROR forged {}", "y".repeat(100_000));
        let body = serde_json::json!({"to": "bob@localhost", "body": "hi", forged: 1, "extra": {"a": 1}});
        let kept = op
            .without_unknown_fields(body.to_string().as_bytes())
            .expect("fields dropped");
        let kept: Value = serde_json::from_slice(&kept).unwrap();
        assert_eq!(kept, serde_json::json!({"to": "bob@localhost", "body": "hi"}));
        // Nothing to drop, nothing rewritten; no body, or not JSON, neither.
        assert_eq!(
            op.without_unknown_fields(br#"{"to":"bob@localhost","body":"hi"}"#),
            None
        );
        assert_eq!(op.without_unknown_fields(b"not json"), None);
        let get = c.find(&Method::GET, "/api/messages").unwrap();
        assert_eq!(get.without_unknown_fields(br#"{"a":1}"#), None);
    }

    #[test]
    fn operations_are_found_by_method_and_path() {
        let c = contract();
        assert_eq!(c.find(&Method::GET, "/api/messages").unwrap().id, "getMessages");
        assert_eq!(
            c.find(&Method::POST, "/api/rooms/abc/messages").unwrap().id,
            "sendRoomMessage"
        );
        assert_eq!(c.find(&Method::PUT, "/api/rooms/config").unwrap().id, "literalWins");
        assert_eq!(c.find(&Method::PUT, "/api/rooms/x").unwrap().id, "createRoomWithId");
        let mut allowed = c.find(&Method::DELETE, "/api/messages").unwrap_err();
        allowed.sort_by_key(|m| m.to_string());
        assert_eq!(allowed, [Method::GET, Method::POST]);
        assert!(c.find(&Method::GET, "/api/nothing").unwrap_err().is_empty());
        assert!(c.find(&Method::GET, "/apimessages").unwrap_err().is_empty());
    }

    #[test]
    fn query_parameters_get_their_documented_texts() {
        let get = |q| check(Method::GET, "/api/messages", Some(q), "");
        assert_eq!(get("limit=10&before=1700000000000"), Ok(()));
        assert_eq!(get("limit=501").unwrap_err(), "Invalid limit");
        assert_eq!(get("limit=-1").unwrap_err(), "Invalid limit");
        assert_eq!(get("limit=ten").unwrap_err(), "Invalid limit");
        assert_eq!(get("before=yesterday").unwrap_err(), "Invalid value of 'before'");
        assert_eq!(get("sort=asc").unwrap_err(), "Invalid query string");
        assert_eq!(get(""), Ok(()));
    }

    #[test]
    fn body_fields_get_their_documented_texts() {
        let post = |b| check(Method::POST, "/api/messages", None, b);
        assert_eq!(post(r#"{"to":"bob@localhost","body":"hi"}"#), Ok(()));
        assert_eq!(post(r#"{"to":"bob@localhost"}"#).unwrap_err(), "Missing message body");
        assert_eq!(post(r#"{"body":"hi"}"#).unwrap_err(), "Missing recipient JID");
        assert_eq!(post(r#"{"to":null,"body":"hi"}"#).unwrap_err(), "Missing recipient JID");
        assert_eq!(post(r#"{"to":5,"body":"hi"}"#).unwrap_err(), "Invalid recipient JID");
        assert_eq!(post(r#"{"to":"b","body":[]}"#).unwrap_err(), "Invalid value of 'body'");
        assert_eq!(post("[1]").unwrap_err(), "Invalid request body");
        assert_eq!(post("not json").unwrap_err(), "Invalid request body");
        assert_eq!(post("").unwrap_err(), "Invalid request body");
    }

    #[test]
    fn characters_xml_cannot_carry_make_a_value_invalid() {
        let post = |b: &str| check(Method::POST, "/api/messages", None, b);
        for body in [r"a\u0000b", r"\u001b[31m", r"\uFFFE", r"\uffff", r"x\u0008"] {
            let request = format!(r#"{{"to":"bob@localhost","body":"{body}"}}"#);
            assert_eq!(post(&request).unwrap_err(), "Invalid value of 'body'", "{request}");
        }
        let request = r#"{"to":"bob\u0000@localhost","body":"hi"}"#;
        assert_eq!(post(request).unwrap_err(), "Invalid recipient JID");
        // Tabs, newlines, emoji and the last plane are fine.
        assert_eq!(
            post(r#"{"to":"bob@localhost","body":"a\tb\n\r\ud83d\ude00\udbff\udffd"}"#),
            Ok(())
        );
        // A lone surrogate is not even JSON text serde accepts as a string.
        assert!(post(r#"{"to":"bob@localhost","body":"\ud800"}"#).is_err());
        let post = |b: &str| check(Method::POST, "/api/rooms/r1/messages", None, b);
        assert_eq!(post("{\"body\":\"\\u0001\"}").unwrap_err(), "Invalid message body");
    }

    #[test]
    fn nested_objects_fall_back_to_the_enclosing_text() {
        let post = |b| check(Method::POST, "/api/rooms/r1/messages", None, b);
        assert_eq!(post(r#"{"chat_marker":{"type":"displayed","id":"m1"}}"#), Ok(()));
        assert_eq!(
            post(r#"{"chat_marker":{"type":"seen","id":"m1"}}"#).unwrap_err(),
            "Invalid chat marker"
        );
        assert_eq!(
            post(r#"{"chat_marker":{"type":"displayed"}}"#).unwrap_err(),
            "Invalid chat marker"
        );
        assert_eq!(post(r#"{"chat_marker":"x"}"#).unwrap_err(), "Invalid chat marker");
        assert_eq!(post(r#"{"body":1}"#).unwrap_err(), "Invalid message body");
        // Optional is not nullable.
        assert_eq!(
            post(r#"{"body":"hi","chat_marker":null}"#).unwrap_err(),
            "Invalid chat marker"
        );
        assert_eq!(post(r#"{"body":null}"#).unwrap_err(), "Invalid message body");
    }

    #[test]
    fn path_header_and_query_parameters_follow_their_schemas() {
        let c = contract();
        let del = |path: &str, query: Option<&str>, key: Option<&str>| {
            let op = c.find(&Method::DELETE, path).unwrap();
            let mut headers = HeaderMap::new();
            if let Some(k) = key {
                headers.insert("idempotency-key", k.parse().unwrap());
            }
            op.check(path, query, &headers, b"").map_err(|r| r.text)
        };
        assert_eq!(del("/api/rooms/r1/users/bob@localhost", None, None), Ok(()));
        // Percent-decoded before the pattern sees them; the text quotes the value.
        assert_eq!(del("/api/rooms/r1/users/bob%40localhost", None, None), Ok(()));
        assert_eq!(
            del("/api/rooms/r1/users/Bob@localhost", None, None),
            Err("Invalid user JID: Bob@localhost".into())
        );
        assert_eq!(
            del("/api/rooms/r1/users/a%20b", None, None),
            Err("Invalid user JID: a b".into())
        );
        // Not UTF-8 once decoded: quoted as sent.
        assert_eq!(
            del("/api/rooms/r1/users/%FF", None, None),
            Err("Invalid user JID: %FF".into())
        );
        // The path's parameters are checked in its order, before anything else.
        assert_eq!(
            del("/api/rooms/R1/users/x", Some("x=1"), None),
            Err("Invalid room ID".into())
        );
        // A room JID: the part before the `@` is the pattern's, the domain the operation's.
        assert_eq!(del("/api/rooms/r1@anywhere/users/bob@localhost", None, None), Ok(()));
        assert_eq!(
            del("/api/rooms/R1@anywhere/users/bob@localhost", None, None),
            Err("Invalid room ID".into())
        );
        assert_eq!(
            del("/api/rooms/@anywhere/users/bob@localhost", None, None),
            Err("Invalid room ID".into())
        );
        // Query strings: a pattern, and the default text of a parameter without one.
        assert_eq!(del("/api/rooms/r1/users/b@l", Some("cursor=12"), None), Ok(()));
        assert_eq!(
            del("/api/rooms/r1/users/b@l", Some("cursor=1x"), None),
            Err("Invalid value of 'cursor'".into())
        );
        // Headers: length (in characters) and pattern.
        assert_eq!(del("/api/rooms/r1/users/b@l", None, Some("k-1")), Ok(()));
        for bad in ["", "k-123", "a b"] {
            assert_eq!(
                del("/api/rooms/r1/users/b@l", None, Some(bad)),
                Err("Invalid Idempotency-Key".into()),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn array_items_and_string_lengths_follow_their_schemas() {
        let post = |b: &str| check(Method::POST, "/api/rooms/r1/users/b@l", None, b);
        assert_eq!(post(r#"{"users":["a@b","c@d"],"nick":"ab"}"#), Ok(()));
        // An item gets its schema's text, the list its own.
        assert_eq!(post(r#"{"users":["a@b","A@b"]}"#).unwrap_err(), "Invalid JID: A@b");
        assert_eq!(post(r#"{"users":"a@b"}"#).unwrap_err(), "Invalid JID list");
        assert_eq!(
            post(r#"{"users":[],"nick":"a"}"#).unwrap_err(),
            "Invalid value of 'nick'"
        );
        assert_eq!(
            post(r#"{"users":[],"nick":"abcd"}"#).unwrap_err(),
            "Invalid value of 'nick'"
        );
        // Lengths count characters, not bytes.
        assert_eq!(post(r#"{"users":[],"nick":"\u00e9\u00e9\u00e9"}"#), Ok(()));
    }

    #[test]
    fn a_pattern_the_regex_crate_cannot_read_is_an_error() {
        let spec = SPEC.replace("'^[a-z]+@[a-z]+$'", "'^(?=a)'");
        assert!(matches!(Contract::from_yaml(&spec), Err(ContractError::Pattern(..))));
    }
}
