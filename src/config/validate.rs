//! The checks a parsed configuration must pass, one function per section, run by
//! [`config`] in one order: storage, cluster, shapers, general, auth, the listeners
//! (`http`, `c2s`, `service`, `s2s`), `[s2s]`, then the modules. The first failing check is the error,
//! naming its key (`listen.c2s[0].max_stanza_size`) and what was expected; the types'
//! own deserialisation has already refused malformed values.

use super::{
    invalid, Auth, C2sListener, Cluster, Config, ConfigError, General, HttpListener, ModHttpUpload, Modules, S2s,
    S2sListener, ServiceListener, Storage, MAX_BOSH_HOLD, MAX_BOSH_SECONDS, MAX_TOKEN_LIFETIME, MIN_IDEMPOTENCY_TTL,
};

/// Every check, section by section.
pub(super) fn config(c: &Config) -> Result<(), ConfigError> {
    storage(&c.storage)?;
    if let Some(cluster_section) = &c.cluster {
        cluster(cluster_section, c.general.storage)?;
    }
    shapers(c)?;
    general(&c.general)?;
    auth(&c.auth)?;
    for (i, l) in c.listen.http.iter().enumerate() {
        http_listener(i, l, &c.modules)?;
    }
    for (i, l) in c.listen.c2s.iter().enumerate() {
        c2s_listener(i, l)?;
    }
    for (i, l) in c.listen.service.iter().enumerate() {
        service_listener(i, l)?;
    }
    for (i, l) in c.listen.s2s.iter().enumerate() {
        s2s_listener(i, l)?;
    }
    if let Some(s) = &c.s2s {
        s2s(s, c.cluster.is_some())?;
    }
    modules(c)
}

/// `[storage]` and `[storage.postgres]`, checked whichever backend is chosen.
fn storage(s: &Storage) -> Result<(), ConfigError> {
    let max = crate::store::sqlite::MAX_CACHE_MB;
    if s.sqlite_cache_mb == 0 || s.sqlite_cache_mb > max {
        return Err(invalid(
            "storage.sqlite_cache_mb",
            format!("expected 1 to {max} (MiB, all connections together)"),
        ));
    }
    let pg = &s.postgres;
    if let Err(e) = pg.url.parse::<tokio_postgres::Config>() {
        return Err(invalid(
            "storage.postgres.url",
            format!("not a PostgreSQL connection URL: {e}"),
        ));
    }
    if pg.pool_size == 0 || pg.pool_size > 1000 {
        return Err(invalid("storage.postgres.pool_size", "expected 1 to 1000"));
    }
    if pg.timeout_ms == 0 {
        return Err(invalid("storage.postgres.timeout_ms", "expected a positive integer"));
    }
    if u32::from(pg.node_id) >= 1 << crate::core::archive::NODE_BITS {
        return Err(invalid("storage.postgres.node_id", "expected 0 to 63"));
    }
    Ok(())
}

/// `[cluster]`, which needs the shared PostgreSQL storage.
fn cluster(c: &Cluster, storage: crate::store::Backend) -> Result<(), ConfigError> {
    if storage != crate::store::Backend::Postgres {
        return Err(invalid(
            "cluster",
            "the nodes of a cluster share one PostgreSQL: set [general] storage = \"postgres\"",
        ));
    }
    let token = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !token(&c.node) {
        return Err(invalid("cluster.node", "expected letters, digits, '-' or '_'"));
    }
    if !c.subject_prefix.split('.').all(token) {
        return Err(invalid(
            "cluster.subject_prefix",
            "expected dot-separated words of letters, digits, '-' or '_'",
        ));
    }
    if c.nats_url.split(',').any(|u| u.trim().is_empty()) {
        return Err(invalid("cluster.nats_url", "expected nats://host:port"));
    }
    if c.heartbeat_ms < 50 {
        return Err(invalid("cluster.heartbeat_ms", "expected at least 50"));
    }
    if c.peer_timeout_ms < 2 * c.heartbeat_ms {
        return Err(invalid(
            "cluster.peer_timeout_ms",
            "expected at least twice heartbeat_ms",
        ));
    }
    Ok(())
}

/// `[shaper.<name>]`, and every shaper a listener names exists.
fn shapers(c: &Config) -> Result<(), ConfigError> {
    for (name, s) in &c.shaper {
        if s.max_rate == 0 {
            return Err(invalid(
                format!("shaper.{name}.max_rate"),
                "expected a positive integer",
            ));
        }
    }
    let named = |key: String, name: &Option<String>| match name {
        Some(n) if !c.shaper.contains_key(n) => Err(invalid(key, format!("no [shaper.{n}] is defined"))),
        _ => Ok(()),
    };
    for (i, l) in c.listen.c2s.iter().enumerate() {
        named(format!("listen.c2s[{i}].shaper"), &l.shaper)?;
    }
    for (i, l) in c.listen.service.iter().enumerate() {
        named(format!("listen.service[{i}].shaper_rule"), &l.shaper_rule)?;
    }
    for (i, l) in c.listen.s2s.iter().enumerate() {
        named(format!("listen.s2s[{i}].shaper"), &l.shaper)?;
    }
    for (i, l) in c.listen.http.iter().enumerate() {
        for w in &l.handlers.mongoose_websocket_handler {
            named(
                format!("listen.http[{i}].handlers.mongoose_websocket_handler.shaper"),
                &w.shaper,
            )?;
        }
    }
    Ok(())
}

fn general(g: &General) -> Result<(), ConfigError> {
    if g.hosts.is_empty() {
        return Err(invalid("general.hosts", "expected at least one host"));
    }
    for (i, host) in g.hosts.iter().enumerate() {
        let prepped = jid::BareJid::new(host)
            .map_err(|e| invalid(format!("general.hosts[{i}]"), format!("not a valid domain: {e}")))?;
        if prepped.node().is_some() {
            return Err(invalid(format!("general.hosts[{i}]"), "expected a domain, not a JID"));
        }
    }
    for (key, v) in [
        ("max_session_queue", g.max_session_queue),
        ("max_session_queue_bytes", g.max_session_queue_bytes),
        ("max_user_sessions", g.max_user_sessions),
    ] {
        if v < 1 {
            return Err(invalid(format!("general.{key}"), "expected a positive integer"));
        }
    }
    if g.idempotency_ttl < MIN_IDEMPOTENCY_TTL {
        return Err(invalid(
            "general.idempotency_ttl",
            format!("expected at least {MIN_IDEMPOTENCY_TTL} seconds (the client API promises a day)"),
        ));
    }
    if let Some(dir) = &g.tls_certs_dir {
        if !dir.is_dir() {
            return Err(invalid(
                "general.tls_certs_dir",
                format!("{} is not a directory", dir.display()),
            ));
        }
    }
    if g.domain_sync_interval_ms < 1 {
        return Err(invalid(
            "general.domain_sync_interval_ms",
            "expected a positive integer",
        ));
    }
    if g.idempotency_max_keys < 1 {
        return Err(invalid("general.idempotency_max_keys", "expected a positive integer"));
    }
    if g.presence_burst < 1 {
        return Err(invalid("general.presence_burst", "expected a positive integer"));
    }
    if !(g.presence_rate.is_finite() && g.presence_rate >= 0.0) {
        return Err(invalid(
            "general.presence_rate",
            "expected a number of broadcasts per second, 0 or more (0: unshaped)",
        ));
    }
    Ok(())
}

fn auth(a: &Auth) -> Result<(), ConfigError> {
    if a.scram_iterations < 1 {
        return Err(invalid("auth.scram_iterations", "expected a positive integer"));
    }
    if a.failure_window_s < 1 {
        return Err(invalid("auth.failure_window_s", "expected a positive integer"));
    }
    if a.sync_interval_ms < 1 {
        return Err(invalid("auth.sync_interval_ms", "expected a positive integer"));
    }
    if !(1..=MAX_TOKEN_LIFETIME).contains(&a.token_lifetime) {
        return Err(invalid(
            "auth.token_lifetime",
            format!("expected seconds between 1 and {MAX_TOKEN_LIFETIME}"),
        ));
    }
    if a.max_tokens_per_user < 1 {
        return Err(invalid("auth.max_tokens_per_user", "expected a positive integer"));
    }
    Ok(())
}

/// MongooseIM's `num_acceptors`: read, not used, but it must be a positive integer.
fn acceptors(key: String, n: super::AcceptorCount) -> Result<(), ConfigError> {
    match n.0 {
        0 => Err(invalid(key, "expected a positive integer")),
        _ => Ok(()),
    }
}

/// `[[listen.http]]` number `i` and its handlers; a BOSH handler needs `mod_bosh`.
fn http_listener(i: usize, l: &HttpListener, modules: &Modules) -> Result<(), ConfigError> {
    let key = |k: &str| format!("listen.http[{i}].{k}");
    acceptors(key("num_acceptors"), l.num_acceptors)?;
    acceptors(key("transport.num_acceptors"), l.transport.num_acceptors)?;
    if let Some(tls) = &l.tls {
        if tls.certfile.is_some() != tls.keyfile.is_some() {
            return Err(invalid(key("tls"), "expected both certfile and keyfile, or neither"));
        }
    }
    if l.max_body_size == 0 {
        return Err(invalid(key("max_body_size"), "expected a positive integer"));
    }
    for (k, v) in [
        ("max_connections", l.max_connections as u64),
        ("max_connections_per_ip", l.max_connections_per_ip as u64),
        ("request_timeout", l.request_timeout),
        ("min_body_rate", l.min_body_rate),
        ("idle_timeout", l.idle_timeout),
        ("max_concurrent_streams", u64::from(l.max_concurrent_streams)),
        ("send_timeout", l.send_timeout),
    ] {
        if v == 0 {
            return Err(invalid(key(k), "expected a positive integer"));
        }
    }
    let h = &l.handlers;
    let paths = h
        .mongoose_client_api
        .iter()
        .map(|x| ("mongoose_client_api", &x.path))
        .chain(h.mongoose_admin_api.iter().map(|x| ("mongoose_admin_api", &x.path)))
        .chain(
            h.mongoose_websocket_handler
                .iter()
                .map(|x| ("mongoose_websocket_handler", &x.path)),
        )
        .chain(
            h.mongoose_prometheus_handler
                .iter()
                .map(|x| ("mongoose_prometheus_handler", &x.path)),
        )
        .chain(h.mod_http_upload.iter().map(|x| ("mod_http_upload", &x.path)))
        .chain(h.mod_bosh.iter().map(|x| ("mod_bosh", &x.path)));
    for (name, path) in paths {
        if !path.starts_with('/') {
            return Err(invalid(
                key(&format!("handlers.{name}.path")),
                "expected a path starting with '/'",
            ));
        }
    }
    if !h.mod_bosh.is_empty() && modules.mod_bosh.is_none() {
        return Err(invalid(
            key("handlers.mod_bosh"),
            "the BOSH handler needs [modules.mod_bosh] in the [modules] table",
        ));
    }
    for a in &h.mongoose_admin_api {
        let k = key("handlers.mongoose_admin_api");
        if a.username.is_some() != a.password.is_some() {
            return Err(invalid(k, "expected both username and password, or neither"));
        }
        for (j, c) in a.credentials.iter().enumerate() {
            let ck = format!("{k}.credentials[{j}]");
            match (&c.username, &c.password, &c.token) {
                (Some(_), Some(_), None) => {}
                (None, None, Some(t)) if t.len() >= 16 => {}
                (None, None, Some(_)) => return Err(invalid(ck, "expected a token of at least 16 characters")),
                _ => return Err(invalid(ck, "expected either username and password, or a token")),
            }
            for scope in &c.scopes {
                if !admin_scope(scope) {
                    return Err(invalid(
                        format!("{ck}.scopes"),
                        format!(
                            "unknown scope {scope:?}: expected \"*\", or a tag ({}) alone or with \":read\" or \":write\"",
                            ADMIN_TAGS.join(", ")
                        ),
                    ));
                }
            }
        }
        let open = a.username.is_none() && a.credentials.is_empty();
        if open && !l.ip_address.is_loopback() {
            return Err(invalid(
                k,
                format!(
                    "an admin API on {} (not a loopback address) needs credentials: set username and password, or credentials",
                    l.ip_address
                ),
            ));
        }
    }
    Ok(())
}

/// The admin API's operation tags, each a scope (`api/admin.yaml`).
const ADMIN_TAGS: [&str; 8] = [
    "users", "sessions", "messages", "stanzas", "contacts", "rooms", "domains", "webhooks",
];

/// `*`, a tag, or a tag with `:read` or `:write`.
fn admin_scope(scope: &str) -> bool {
    let tag = match scope.split_once(':') {
        Some((tag, "read" | "write")) => tag,
        Some(_) => return false,
        None => scope,
    };
    scope == "*" || ADMIN_TAGS.contains(&tag)
}

/// `[[listen.c2s]]` number `i`.
fn c2s_listener(i: usize, l: &C2sListener) -> Result<(), ConfigError> {
    acceptors(format!("listen.c2s[{i}].num_acceptors"), l.num_acceptors)?;
    if l.tls.certfile.is_some() != l.tls.keyfile.is_some() {
        return Err(invalid(
            format!("listen.c2s[{i}].tls"),
            "expected both certfile and keyfile, or neither",
        ));
    }
    for (key, v) in [
        ("idle_timeout", l.idle_timeout),
        ("negotiation_timeout", l.negotiation_timeout),
        ("keepalive_interval", l.keepalive_interval),
        ("max_connections", l.max_connections as u64),
        ("max_connections_per_ip", l.max_connections_per_ip as u64),
    ] {
        if v == 0 {
            return Err(invalid(format!("listen.c2s[{i}].{key}"), "expected a positive integer"));
        }
    }
    if l.max_stanza_size < 1024 {
        return Err(invalid(
            format!("listen.c2s[{i}].max_stanza_size"),
            "expected at least 1024 bytes",
        ));
    }
    Ok(())
}

/// `[[listen.service]]` number `i`.
fn service_listener(i: usize, l: &ServiceListener) -> Result<(), ConfigError> {
    let key = |k: &str| format!("listen.service[{i}].{k}");
    acceptors(key("num_acceptors"), l.num_acceptors)?;
    if l.password.is_empty() {
        return Err(invalid(key("password"), "expected a non-empty secret"));
    }
    for (k, v) in [
        ("idle_timeout", l.idle_timeout),
        ("negotiation_timeout", l.negotiation_timeout),
        ("keepalive_interval", l.keepalive_interval),
        ("max_connections", l.max_connections as u64),
        ("max_connections_per_ip", l.max_connections_per_ip as u64),
        ("max_fsm_queue", l.max_fsm_queue as u64),
        ("max_queue_bytes", l.max_queue_bytes as u64),
    ] {
        if v == 0 {
            return Err(invalid(key(k), "expected a positive integer"));
        }
    }
    if l.max_stanza_size < 1024 {
        return Err(invalid(key("max_stanza_size"), "expected at least 1024 bytes"));
    }
    Ok(())
}

/// `[[listen.s2s]]` number `i`.
fn s2s_listener(i: usize, l: &S2sListener) -> Result<(), ConfigError> {
    let key = |k: &str| format!("listen.s2s[{i}].{k}");
    acceptors(key("num_acceptors"), l.num_acceptors)?;
    if l.tls.keyfile.is_some() && l.tls.certfile.is_none() {
        return Err(invalid(key("tls"), "a keyfile needs its certfile"));
    }
    for (k, v) in [
        ("idle_timeout", l.idle_timeout),
        ("negotiation_timeout", l.negotiation_timeout),
        ("max_connections", l.max_connections as u64),
        ("max_connections_per_ip", l.max_connections_per_ip as u64),
    ] {
        if v == 0 {
            return Err(invalid(key(k), "expected a positive integer"));
        }
    }
    if l.max_stanza_size < 1024 {
        return Err(invalid(key("max_stanza_size"), "expected at least 1024 bytes"));
    }
    Ok(())
}

/// `[s2s]`; with `in_cluster`, the dialback secret must be set.
fn s2s(s: &S2s, in_cluster: bool) -> Result<(), ConfigError> {
    for (i, h) in s.host_policy.iter().enumerate() {
        if jid::BareJid::new(&h.host).map_or(true, |j| j.node().is_some()) {
            return Err(invalid(format!("s2s.host_policy[{i}].host"), "expected a domain"));
        }
    }
    for (i, a) in s.outgoing.address.iter().enumerate() {
        if jid::BareJid::new(&a.host).map_or(true, |j| j.node().is_some()) {
            return Err(invalid(format!("s2s.outgoing.address[{i}].host"), "expected a domain"));
        }
        if a.port == Some(0) {
            return Err(invalid(
                format!("s2s.outgoing.address[{i}].port"),
                "expected 1 to 65535",
            ));
        }
    }
    match &s.shared {
        Some(secret) if secret.is_empty() => return Err(invalid("s2s.shared", "expected a non-empty secret")),
        None if in_cluster => {
            return Err(invalid(
                "s2s.shared",
                "required with [cluster]: every node must sign dialback keys with the same secret",
            ))
        }
        _ => {}
    }
    if s.keyfile.is_some() && s.certfile.is_none() {
        return Err(invalid("s2s.keyfile", "a keyfile needs its certfile"));
    }
    for (k, v) in [
        ("max_retry_delay", s.max_retry_delay),
        ("max_queue", s.max_queue as u64),
        ("max_queue_bytes", s.max_queue_bytes as u64),
        ("idle_timeout", s.idle_timeout),
        ("outgoing.port", u64::from(s.outgoing.port)),
        ("outgoing.connection_timeout", s.outgoing.connection_timeout),
        ("dns.timeout", s.dns.timeout),
    ] {
        if v == 0 {
            return Err(invalid(format!("s2s.{k}"), "expected a positive integer"));
        }
    }
    Ok(())
}

/// `[modules.mod_event_pusher.http]`: positive limits, and endpoints with a unique
/// name, an `http(s)` URL, a Standard Webhooks secret and known event types.
fn webhooks(h: &super::modules::HttpBackend) -> Result<(), ConfigError> {
    use crate::core::webhooks::{signing, EventKind};
    const KEY: &str = "modules.mod_event_pusher.http";
    for (k, v) in [
        ("max_backlog", h.max_backlog),
        ("request_timeout_ms", h.request_timeout_ms),
        ("retry_window_s", h.retry_window_s),
        ("backoff_initial_ms", h.backoff_initial_ms),
        ("backoff_max_s", h.backoff_max_s),
        ("poll_interval_ms", h.poll_interval_ms),
    ] {
        if v == 0 {
            return Err(invalid(format!("{KEY}.{k}"), "expected a positive integer"));
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, e) in h.endpoints.iter().enumerate() {
        let at = |k: &str| format!("{KEY}.endpoints[{i}].{k}");
        let name_ok = !e.name.is_empty()
            && e.name.len() <= 64
            && e.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !name_ok {
            return Err(invalid(at("name"), "expected 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        if !names.insert(e.name.as_str()) {
            return Err(invalid(at("name"), "another endpoint has this name"));
        }
        match url::Url::parse(&e.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(invalid(at("url"), "expected an http:// or https:// URL")),
        }
        if let Err(why) = signing::parse_secret(&e.secret) {
            return Err(invalid(at("secret"), why.to_string()));
        }
        if e.max_backlog == Some(0) {
            return Err(invalid(at("max_backlog"), "expected a positive integer"));
        }
        if e.events.is_empty() {
            return Err(invalid(at("events"), "expected at least one event type"));
        }
        if let Some(bad) = e.events.iter().find(|k| EventKind::parse(k).is_none()) {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(invalid(
                at("events"),
                format!("unknown event type \"{bad}\"; expected {}", known.join(", ")),
            ));
        }
    }
    Ok(())
}

/// `[modules]`: every module that is on. The service domains are checked against the
/// served hosts and each other, uploads against the listeners.
fn modules(c: &Config) -> Result<(), ConfigError> {
    let m = &c.modules;
    if let Some(p) = m.mod_event_pusher.as_ref().and_then(|m| m.push.as_ref()) {
        if p.max_registrations == 0 {
            return Err(invalid(
                "modules.mod_event_pusher.push.max_registrations",
                "expected a positive integer",
            ));
        }
    }
    if let Some(h) = m.mod_event_pusher.as_ref().and_then(|m| m.http.as_ref()) {
        webhooks(h)?;
    }
    if m.mod_offline.as_ref().is_some_and(|o| o.max_messages == 0) {
        return Err(invalid(
            "modules.mod_offline.max_messages",
            "expected a positive integer",
        ));
    }
    if let Some(b) = &m.mod_bosh {
        for (k, v) in [
            ("inactivity", b.inactivity),
            ("max_wait", b.max_wait),
            ("max_pause", b.max_pause),
            ("hold", b.hold),
        ] {
            if v == 0 {
                return Err(invalid(format!("modules.mod_bosh.{k}"), "expected a positive integer"));
            }
            if k != "hold" && v > MAX_BOSH_SECONDS {
                return Err(invalid(
                    format!("modules.mod_bosh.{k}"),
                    format!("expected at most {MAX_BOSH_SECONDS} seconds"),
                ));
            }
        }
        if b.hold > MAX_BOSH_HOLD {
            return Err(invalid(
                "modules.mod_bosh.hold",
                format!("expected at most {MAX_BOSH_HOLD}"),
            ));
        }
    }
    let positive = |key: &str, v: usize| match v {
        0 => Err(invalid(key, "expected a positive integer")),
        _ => Ok(()),
    };
    if let Some(p) = &m.mod_pep {
        positive("modules.mod_pep.max_payload_size", p.max_payload_size)?;
        positive("modules.mod_pep.max_avatar_size", p.max_avatar_size)?;
        positive("modules.mod_pep.max_nodes", p.max_nodes)?;
        positive("modules.mod_pep.max_items_node", p.max_items_node)?;
        positive("modules.mod_pep.max_user_bytes", p.max_user_bytes)?;
        if p.max_items_node > u32::MAX as usize {
            return Err(invalid("modules.mod_pep.max_items_node", "expected at most 4294967295"));
        }
    }
    if let Some(caps) = &m.mod_caps {
        positive("modules.mod_caps.cache_size", caps.cache_size)?;
    }
    if let Some(v) = &m.mod_vcard {
        positive("modules.mod_vcard.max_size", v.max_size)?;
    }
    if let Some(p) = &m.mod_private {
        positive("modules.mod_private.max_size", p.max_size)?;
        positive("modules.mod_private.max_entries", p.max_entries)?;
    }
    if m.mod_roster.as_ref().is_some_and(|r| r.max_items == 0) {
        return Err(invalid("modules.mod_roster.max_items", "expected a positive integer"));
    }
    if let Some(sm) = &m.mod_stream_management {
        for (k, v) in [
            ("resume_timeout", sm.resume_timeout),
            ("buffer_max", sm.buffer_max as u64),
            ("ack_freq", u64::from(sm.ack_freq)),
        ] {
            if v == 0 {
                return Err(invalid(
                    format!("modules.mod_stream_management.{k}"),
                    "expected a positive integer",
                ));
            }
        }
    }
    if m.mod_csi.as_ref().is_some_and(|c| c.buffer_max == 0) {
        return Err(invalid("modules.mod_csi.buffer_max", "expected a positive integer"));
    }
    if let Some(light) = &m.mod_muc_light {
        let key = |k: &str| format!("modules.mod_muc_light.{k}");
        for (k, v) in [
            ("max_occupants", light.max_occupants),
            ("rooms_per_user", light.rooms_per_user),
        ] {
            if v == 0 {
                return Err(invalid(key(k), "expected a positive integer"));
            }
        }
        service_host(c, &key("host"), &light.host, None)?;
    }
    if let Some(up) = &m.mod_http_upload {
        uploads(c, up)?;
    }
    if let Some(muc) = &m.mod_muc {
        let key = |k: &str| format!("modules.mod_muc.{k}");
        for (k, v) in [
            ("max_rooms", muc.max_rooms),
            ("max_rooms_per_user", muc.max_rooms_per_user),
            ("max_user_conferences", muc.max_user_conferences),
            ("max_users", muc.max_users),
            ("max_room_id", muc.max_room_id),
            ("max_room_name", muc.max_room_name),
            ("max_room_desc", muc.max_room_desc),
            ("max_subject_length", muc.max_subject_length),
            ("max_nick_length", muc.max_nick_length),
            ("max_room_affiliations", muc.max_room_affiliations),
            ("default_room.max_users", muc.default_room.max_users),
        ] {
            if v == 0 {
                return Err(invalid(key(k), "expected a positive integer"));
            }
        }
        if muc.default_room.max_users > muc.max_users {
            return Err(invalid(
                key("default_room.max_users"),
                format!("expected at most max_users ({})", muc.max_users),
            ));
        }
        service_host(
            c,
            &key("host"),
            &muc.host,
            Some("expected a domain other than mod_muc_light's"),
        )?;
    }
    Ok(())
}

/// `[modules.mod_http_upload]`, which needs a listener serving the files.
fn uploads(c: &Config, m: &ModHttpUpload) -> Result<(), ConfigError> {
    let key = |k: &str| format!("modules.mod_http_upload.{k}");
    for (k, v) in [
        ("max_file_size", m.max_file_size),
        ("expiration_time", m.expiration_time),
        ("user_quota", m.user_quota),
    ] {
        if v == 0 {
            return Err(invalid(key(k), "expected a positive integer"));
        }
    }
    // Sizes are kept as SQLite integers.
    if m.max_file_size > i64::MAX as u64 {
        return Err(invalid(key("max_file_size"), "too large"));
    }
    if !(16..=128).contains(&m.token_bytes) {
        return Err(invalid(key("token_bytes"), "expected 16 to 128"));
    }
    service_host(
        c,
        &key("host"),
        &m.host,
        Some("expected a domain other than the MUC Light service's"),
    )?;
    if let Some(base) = &m.base_url {
        let sample = base.replace("@HOST@", "example.com");
        let ok = url::Url::parse(&sample)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none() && u.fragment().is_none());
        if !ok {
            return Err(invalid(
                key("base_url"),
                "expected an http:// or https:// URL without query, with @HOST@ for each served host",
            ));
        }
    }
    if c.upload_handler().is_none() {
        return Err(invalid(
            "modules.mod_http_upload",
            "no HTTP listener serves the files: add [[listen.http.handlers.mod_http_upload]]",
        ));
    }
    Ok(())
}

/// A component service's `host` template (`@HOST@` for each served host): a domain,
/// never one of the hosts, and, when `muc_light_clash` says how to refuse it, never the
/// MUC Light service's domain either.
fn service_host(c: &Config, key: &str, template: &str, muc_light_clash: Option<&str>) -> Result<(), ConfigError> {
    let sample = template.replace("@HOST@", "example.com");
    let domain = jid::BareJid::new(&sample).ok().filter(|j| j.node().is_none());
    if domain.is_none() || sample.contains(char::is_whitespace) {
        return Err(invalid(key, "expected a domain, with @HOST@ for each served host"));
    }
    for h in &c.general.hosts {
        let service = template.replace("@HOST@", h);
        if service.eq_ignore_ascii_case(h) {
            return Err(invalid(key, "expected a domain other than the served hosts"));
        }
        if let Some(text) = muc_light_clash {
            if c.muc_light_domain(h).is_some_and(|l| l.eq_ignore_ascii_case(&service)) {
                return Err(invalid(key, text));
            }
        }
    }
    Ok(())
}
