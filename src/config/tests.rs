//! The configuration's tests: the defaults without a file, MongooseIM-style files,
//! unknown keys named as warnings, and each section's checks naming the key at fault.

use super::*;
use crate::core::muc::MucSettings;
use std::net::{IpAddr, Ipv4Addr};

#[test]
fn no_file_means_the_documented_defaults() {
    let c = Config::load(None).unwrap().config;
    assert_eq!(c.general.hosts, ["localhost"]);
    assert_eq!(c.general.data_dir, PathBuf::from("data"));
    let ports: Vec<u16> = c.listen.http.iter().map(|l| l.port).collect();
    assert_eq!(ports, [8089, 8088, 5280]);
    assert!(c.listen.http[0].tls.is_some());
    assert_eq!(c.listen.http[1].ip_address, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(c.listen.c2s[0].port, 5222);
    assert_eq!(c.listen.c2s[0].max_stanza_size, 65536);
}

#[test]
fn presence_is_shaped_by_default_and_a_rate_of_zero_turns_it_off() {
    use crate::core::session::presence_shaper::PresenceRate;
    let c = Config::load(None).unwrap().config;
    let rate: Option<PresenceRate> = (&c.general).into();
    assert_eq!(
        rate,
        Some(PresenceRate {
            burst: 10,
            per_second: 1.0
        })
    );
    let c = Config::parse("[general]\npresence_burst = 3\npresence_rate = 0.5\n")
        .unwrap()
        .config;
    let rate: Option<PresenceRate> = (&c.general).into();
    assert_eq!(
        rate,
        Some(PresenceRate {
            burst: 3,
            per_second: 0.5
        })
    );
    let off = Config::parse("[general]\npresence_rate = 0\n").unwrap().config;
    assert_eq!(Option::<PresenceRate>::from(&off.general), None);
    for (text, key) in [
        ("presence_burst = 0", "general.presence_burst"),
        ("presence_rate = -1.0", "general.presence_rate"),
        ("presence_rate = nan", "general.presence_rate"),
    ] {
        let e = Config::parse(&format!("[general]\n{text}\n")).unwrap_err().to_string();
        assert!(e.contains(key), "{text}: {e}");
    }
}

#[test]
fn modules_default_to_all_unless_the_file_lists_them() {
    let c = Config::parse("[general]\nhosts = [\"localhost\"]\n").unwrap().config;
    assert!(c.modules.mod_mam.is_some() && c.modules.mod_muc_light.is_some());
    // Offline storage too, as MongooseIM's default configuration has it.
    assert!(c.modules.mod_offline.is_some());
    assert!(Config::load(None).unwrap().config.modules.mod_offline.is_some());
    let c = Config::parse("[modules.mod_roster]\n").unwrap().config;
    assert!(c.modules.mod_mam.is_none() && c.modules.mod_roster.is_some());
}

#[test]
fn a_mongooseim_style_file_parses() {
    let text = r#"
            [general]
            hosts = ["example.com", "Other.Example"]
            data_dir = "/var/lib/meerkat"
            http_server_name = "chat"

            [[listen.http]]
            port = 0
            ip_address = "127.0.0.1"
            tls.certfile = "cert.pem"
            tls.keyfile = "key.pem"

              [[listen.http.handlers.mongoose_client_api]]
              host = "_"
              path = "/api"
              docs = false

            [[listen.c2s]]
            port = 5222
            tls.mode = "starttls_required"
            max_stanza_size = 100000

            [modules.mod_mam]
            [modules.mod_muc_light]
            host = "rooms.@HOST@"
            all_can_invite = true
            [modules.mod_roster]
    "#;
    let loaded = Config::parse(text).unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let c = loaded.config;
    assert_eq!(c.general.http_server_name, "chat");
    assert_eq!(c.listen.http.len(), 1);
    assert!(!c.listen.http[0].handlers.mongoose_client_api[0].docs);
    assert_eq!(c.listen.c2s[0].tls.mode, TlsMode::StarttlsRequired);
    assert_eq!(c.muc_light_domain("example.com").unwrap(), "rooms.example.com");
}

#[test]
fn the_archive_survives_a_kill_unless_told_to_survive_a_power_loss() {
    use crate::store::Durability;
    assert_eq!(Config::default().archive_durability(), Durability::Process);
    let power = Config::parse("[modules.mod_mam]\ndurability = \"power\"\n").unwrap();
    assert_eq!(power.config.archive_durability(), Durability::Power);
    let e = Config::parse("[modules.mod_mam]\ndurability = \"disk\"\n").unwrap_err();
    assert!(e.to_string().contains("unknown variant `disk`"), "{e}");
}

#[test]
fn unknown_keys_are_named_not_fatal() {
    let loaded = Config::parse(
        "[general]\nhostz = [\"x\"]\n[acl.local]\nmatch = \"current_domain\"\n[modules.mod_mam]\nbackend = \"rdbms\"\n",
    )
    .unwrap();
    assert_eq!(loaded.unknown_keys, ["acl", "general.hostz", "modules.mod_mam.backend"]);
}

#[test]
fn listeners_name_shapers_that_exist() {
    let listener = "[[listen.c2s]]\nport = 5222\nshaper = \"normal\"\n";
    let c = Config::parse(&format!("[shaper.normal]\nmax_rate = 1000\n{listener}"))
        .unwrap()
        .config;
    assert_eq!(c.shaper_rate(c.listen.c2s[0].shaper.as_deref()), Some(1000));
    assert_eq!(c.shaper_rate(None), None);
    let missing = Config::parse(listener).unwrap_err().to_string();
    assert!(
        missing.contains("listen.c2s[0].shaper") && missing.contains("no [shaper.normal]"),
        "{missing}"
    );
    let zero = Config::parse(&format!("[shaper.normal]\nmax_rate = 0\n{listener}"))
        .unwrap_err()
        .to_string();
    assert!(zero.contains("shaper.normal.max_rate"), "{zero}");
    let unknown = Config::parse("[shaper.normal]\nmax_rte = 5\n").unwrap_err().to_string();
    assert!(unknown.contains("shaper.normal"), "{unknown}");
}

#[test]
fn token_settings_default_and_are_bounded() {
    let c = Config::parse("").unwrap().config;
    assert_eq!((c.auth.token_lifetime, c.auth.max_tokens_per_user), (3600, 100));
    let c = Config::parse("[auth]\ntoken_lifetime = 60\nmax_tokens_per_user = 5\n")
        .unwrap()
        .config;
    assert_eq!((c.auth.token_lifetime, c.auth.max_tokens_per_user), (60, 5));
    for (text, key) in [
        ("token_lifetime = 0", "auth.token_lifetime"),
        ("token_lifetime = 31536001", "auth.token_lifetime"),
        ("max_tokens_per_user = 0", "auth.max_tokens_per_user"),
    ] {
        let err = Config::parse(&format!("[auth]\n{text}\n")).unwrap_err().to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}

#[test]
fn a_malformed_value_names_the_key_and_the_expected_type() {
    let err = Config::parse("[[listen.http]]\nport = \"eighty\"\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("listen.http[0].port"), "{text}");
    assert!(text.contains("u16"), "{text}");

    let err = Config::parse("[[listen.c2s]]\nport = 5222\ntls.mode = \"sometimes\"\n").unwrap_err();
    assert!(err.to_string().contains("listen.c2s[0].tls.mode"), "{err}");

    let err = Config::parse("[[listen.http]]\nport = 1\nip_address = \"nowhere\"\n").unwrap_err();
    assert!(err.to_string().contains("listen.http[0].ip_address"), "{err}");
}

#[test]
fn room_limits_and_the_room_service_domain_are_checked() {
    let c = Config::parse("[modules.mod_muc_light]\nmax_occupants = 5\n")
        .unwrap()
        .config;
    let m = c.modules.mod_muc_light.unwrap();
    assert_eq!((m.max_occupants, m.rooms_per_user), (5, 1000));
    for (bad, key) in [
        ("max_occupants = 0", "modules.mod_muc_light.max_occupants"),
        ("rooms_per_user = 0", "modules.mod_muc_light.rooms_per_user"),
        ("host = \"a b\"", "modules.mod_muc_light.host"),
        ("host = \"@HOST@\"", "modules.mod_muc_light.host"),
    ] {
        let err = Config::parse(&format!("[modules.mod_muc_light]\n{bad}\n")).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
    let err = Config::parse("[general]\nstorage = \"oracle\"\n").unwrap_err();
    assert!(err.to_string().contains("general.storage"), "{err}");
    for (bad, key) in [
        ("url = \"mysql://x\"", "storage.postgres.url"),
        ("pool_size = 0", "storage.postgres.pool_size"),
        ("timeout_ms = 0", "storage.postgres.timeout_ms"),
        ("node_id = 64", "storage.postgres.node_id"),
        ("node_id = -1", "storage.postgres.node_id"),
        ("size = 3", "storage.postgres"),
    ] {
        let err = Config::parse(&format!("[storage.postgres]\n{bad}\n")).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn the_sqlite_page_cache_is_one_total_and_is_checked() {
    let d = Config::default();
    assert_eq!(d.storage.sqlite_cache_mb, 64);
    let crate::store::Storage::Sqlite { cache_mb, .. } = d.storage() else {
        panic!("SQLite is the default backend")
    };
    assert_eq!(cache_mb, 64);
    let loaded = Config::parse("[storage]\nsqlite_cache_mb = 16\n").unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let crate::store::Storage::Sqlite { cache_mb, .. } = loaded.config.storage() else {
        panic!("SQLite is the default backend")
    };
    assert_eq!(cache_mb, 16);
    for bad in ["0", "65537", "-1", "\"64MB\""] {
        let err = Config::parse(&format!("[storage]\nsqlite_cache_mb = {bad}\n")).unwrap_err();
        assert!(err.to_string().contains("storage.sqlite_cache_mb"), "{bad}: {err}");
    }
    // The largest accepted value is accepted.
    Config::parse("[storage]\nsqlite_cache_mb = 65536\n").unwrap();
}

#[test]
fn multi_user_chat_is_on_by_default_and_its_limits_and_room_defaults_are_read_and_checked() {
    let d = Config::default();
    let m = d.modules.mod_muc.expect("on without a config file");
    assert_eq!(MucSettings::from(&m).limits, crate::core::muc::Limits::default());
    assert_eq!(
        MucSettings::from(&m).defaults,
        crate::core::muc::RoomDefaults::default()
    );
    let loaded = Config::parse(
        "[modules.mod_muc]
host = \"chat.@HOST@\"
history_length = 0
max_nick_length = 12
\
         [modules.mod_muc.default_room]
persistent = true
anonymous = false
max_users = 50
\
         members_by_default = true
",
    )
    .unwrap();
    assert_eq!(loaded.unknown_keys, ["modules.mod_muc.default_room.members_by_default"]);
    let s = MucSettings::from(&loaded.config.modules.mod_muc.unwrap());
    assert_eq!(s.host, "chat.@HOST@");
    assert_eq!((s.limits.history_length, s.limits.max_nick_length), (0, 12));
    assert!(s.defaults.persistent && !s.defaults.anonymous && s.defaults.logging);
    assert_eq!(s.defaults.max_users, 50);
    assert!(
        loaded.config.modules.mod_muc_light.is_none(),
        "only listed modules are on"
    );
    for (bad, key) in [
        ("max_rooms = 0", "modules.mod_muc.max_rooms"),
        ("max_nick_length = 0", "modules.mod_muc.max_nick_length"),
        ("max_users = 10", "modules.mod_muc.default_room.max_users"),
        ("host = \"@HOST@\"", "modules.mod_muc.host"),
        ("host = \"muclight.@HOST@\"", "modules.mod_muc.host"),
        ("max_rooms = -1", "modules.mod_muc.max_rooms"),
    ] {
        let text = format!("[modules.mod_muc_light]\n[modules.mod_muc]\n{bad}\n");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn a_metrics_handler_parses_with_its_default_path_and_a_bad_path_is_named() {
    let text = "[[listen.http]]\nport = 9091\nip_address = \"127.0.0.1\"\n\
                [[listen.http.handlers.mongoose_prometheus_handler]]\n";
    let loaded = Config::parse(text).unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let handlers = &loaded.config.listen.http[0].handlers.mongoose_prometheus_handler;
    assert_eq!(handlers.len(), 1);
    assert_eq!(handlers[0].path, "/metrics");
    let err = Config::parse(
        "[[listen.http]]\nport = 1\n[[listen.http.handlers.mongoose_prometheus_handler]]\npath = \"metrics\"\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("listen.http[0].handlers.mongoose_prometheus_handler.path"),
        "{err}"
    );
}

#[test]
fn stream_management_and_csi_are_on_by_default_with_mongooseim_keys() {
    let c = Config::load(None).unwrap().config;
    let sm = c.modules.mod_stream_management.unwrap();
    assert_eq!((sm.resume_timeout, sm.buffer_max, sm.ack_freq), (300, 100, 1));
    assert_eq!(c.modules.mod_csi.unwrap().buffer_max, 100);
    let loaded = Config::parse(
        "[modules.mod_stream_management]\nresume_timeout = 2\nbuffer_max = 30\nack_freq = 3\n[modules.mod_csi]\nbuffer_max = 40\n",
    )
    .unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let sm = loaded.config.modules.mod_stream_management.unwrap();
    assert_eq!((sm.resume_timeout, sm.buffer_max, sm.ack_freq), (2, 30, 3));
    assert!(Config::parse("[modules.mod_roster]\n")
        .unwrap()
        .config
        .modules
        .mod_stream_management
        .is_none());
    for (bad, key) in [
        (
            "[modules.mod_stream_management]\nresume_timeout = 0",
            "modules.mod_stream_management.resume_timeout",
        ),
        (
            "[modules.mod_stream_management]\nbuffer_max = 0",
            "modules.mod_stream_management.buffer_max",
        ),
        (
            "[modules.mod_stream_management]\nack_freq = 0",
            "modules.mod_stream_management.ack_freq",
        ),
        ("[modules.mod_csi]\nbuffer_max = 0", "modules.mod_csi.buffer_max"),
    ] {
        let err = Config::parse(bad).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn pep_vcard_and_private_storage_are_on_by_default_with_their_limits() {
    let m = Config::load(None).unwrap().config.modules;
    let pep = m.mod_pep.unwrap();
    assert_eq!(
        (
            pep.max_payload_size,
            pep.max_avatar_size,
            pep.max_nodes,
            pep.max_items_node
        ),
        (65536, 131072, 100, 256)
    );
    assert_eq!(pep.max_user_bytes, 10 * 1024 * 1024);
    assert_eq!(m.mod_caps.unwrap().cache_size, 1000);
    assert_eq!(m.mod_vcard.unwrap().max_size, 65536);
    let private = m.mod_private.unwrap();
    assert_eq!((private.max_size, private.max_entries), (65536, 100));

    let loaded = Config::parse("[modules.mod_pep]\nmax_items_node = 10\n[modules.mod_vcard]\n").unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let m = loaded.config.modules;
    assert_eq!(m.mod_pep.unwrap().max_items_node, 10);
    assert!(m.mod_private.is_none() && m.mod_caps.is_none() && m.mod_vcard.is_some());
    for (bad, key) in [
        ("[modules.mod_pep]\nmax_nodes = 0", "modules.mod_pep.max_nodes"),
        ("[modules.mod_caps]\ncache_size = 0", "modules.mod_caps.cache_size"),
        (
            "[modules.mod_private]\nmax_entries = 0",
            "modules.mod_private.max_entries",
        ),
        ("[modules.mod_vcard]\nmax_size = 0", "modules.mod_vcard.max_size"),
    ] {
        let err = Config::parse(bad).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn uploads_are_on_by_default_where_a_listener_serves_them() {
    let c = Config::load(None).unwrap().config;
    let m = c.modules.mod_http_upload.as_ref().unwrap();
    assert_eq!(
        (m.max_file_size, m.expiration_time, m.token_bytes),
        (10_485_760, 300, 32)
    );
    assert_eq!(m.expire_after(), Some(std::time::Duration::from_secs(30 * 86_400)));
    let (listener, handler) = c.upload_handler().unwrap();
    assert_eq!((listener.port, handler.path.as_str()), (8089, "/upload"));
    // Listeners of one's own without the handler: uploads stay off.
    let c = Config::parse("[[listen.http]]\nport = 1\n").unwrap().config;
    assert!(c.modules.mod_http_upload.is_none());
    let with = "[[listen.http]]\nport = 1\n[[listen.http.handlers.mod_http_upload]]\n";
    let c = Config::parse(with).unwrap().config;
    assert!(c.modules.mod_http_upload.is_some());
    // Asked for by name without a handler: an error naming what is missing.
    let err = Config::parse("[[listen.http]]\nport = 1\n[modules.mod_http_upload]\n").unwrap_err();
    assert!(
        err.to_string().contains("listen.http.handlers.mod_http_upload"),
        "{err}"
    );
}

#[test]
fn upload_settings_are_checked() {
    let with = |module: &str| {
        Config::parse(&format!(
            "[[listen.http]]\nport = 1\n[[listen.http.handlers.mod_http_upload]]\n\
             [modules.mod_muc_light]\n[modules.mod_http_upload]\n{module}\n"
        ))
    };
    let c = with("expire_after_days = 0\nbase_url = \"https://files.@HOST@/up\"")
        .unwrap()
        .config;
    let m = c.modules.mod_http_upload.unwrap();
    assert_eq!(m.expire_after(), None);
    let m = with("expire_after_seconds = 5")
        .unwrap()
        .config
        .modules
        .mod_http_upload
        .unwrap();
    assert_eq!(m.expire_after(), Some(std::time::Duration::from_secs(5)));
    for (bad, key) in [
        ("max_file_size = 0", "modules.mod_http_upload.max_file_size"),
        ("user_quota = 0", "modules.mod_http_upload.user_quota"),
        ("expiration_time = 0", "modules.mod_http_upload.expiration_time"),
        ("token_bytes = 4", "modules.mod_http_upload.token_bytes"),
        ("host = \"@HOST@\"", "modules.mod_http_upload.host"),
        ("host = \"muclight.@HOST@\"", "modules.mod_http_upload.host"),
        ("base_url = \"ftp://x\"", "modules.mod_http_upload.base_url"),
        ("base_url = \"https://x/?a=b\"", "modules.mod_http_upload.base_url"),
        ("max_file_size = -1", "modules.mod_http_upload.max_file_size"),
    ] {
        let err = with(bad).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn a_bosh_handler_and_its_module_parse_with_their_defaults_and_bad_values_are_named() {
    let text = "[[listen.http]]\nport = 5280\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\n";
    let loaded = Config::parse(text).unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let c = loaded.config;
    assert_eq!(c.listen.http[0].handlers.mod_bosh[0].path, "/http-bind");
    let m = c.modules.mod_bosh.unwrap();
    assert_eq!((m.inactivity, m.max_wait, m.max_pause, m.hold), (30, 60, 120, 1));
    let m = Config::parse("[modules.mod_bosh]\ninactivity = 5\nmax_wait = 20\nhold = 2\n")
        .unwrap()
        .config
        .modules
        .mod_bosh
        .unwrap();
    assert_eq!((m.inactivity, m.max_wait, m.max_pause, m.hold), (5, 20, 120, 2));
    for (bad, key) in [
        ("inactivity = 0", "modules.mod_bosh.inactivity"),
        ("max_wait = 0", "modules.mod_bosh.max_wait"),
        ("max_pause = -1", "modules.mod_bosh.max_pause"),
        ("hold = 0", "modules.mod_bosh.hold"),
        ("hold = 5", "modules.mod_bosh.hold"),
        ("max_wait = 86401", "modules.mod_bosh.max_wait"),
    ] {
        let err = Config::parse(&format!("[modules.mod_bosh]\n{bad}\n")).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
    // A handler whose module the [modules] table leaves out cannot work: said at once.
    let err = Config::parse(&format!("{text}[modules.mod_roster]\n")).unwrap_err();
    assert!(err.to_string().contains("handlers.mod_bosh"), "{err}");
    let err =
        Config::parse("[[listen.http]]\nport = 1\n[[listen.http.handlers.mod_bosh]]\npath = \"x\"\n").unwrap_err();
    assert!(err.to_string().contains("handlers.mod_bosh.path"), "{err}");
}

#[test]
fn the_default_bosh_endpoint_follows_the_module() {
    let with = Config::default();
    assert_eq!(with.listen.http[2].handlers.mod_bosh[0].path, "/http-bind");
    let without = Config::parse("[modules.mod_roster]\n").unwrap().config;
    assert!(without.listen.http.iter().all(|l| l.handlers.mod_bosh.is_empty()));
}

#[test]
fn a_service_listener_takes_mongooseim_keys_with_safe_defaults() {
    let text = "[shaper.fast]\nmax_rate = 50000\n\
                [[listen.service]]\nport = 8888\npassword = \"secret\"\n\
                [[listen.service]]\nport = 8889\nip_address = \"0.0.0.0\"\npassword = \"other\"\n\
                shaper_rule = \"fast\"\ncheck_from = false\nhidden_components = true\n\
                conflict_behaviour = \"kick_old\"\nmax_stanza_size = 100000\n";
    let loaded = Config::parse(text).unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let s = &loaded.config.listen.service;
    assert_eq!(s[0].ip_address, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert!(s[0].check_from && !s[0].hidden_components);
    assert_eq!(s[0].conflict_behaviour, ConflictBehaviour::Disconnect);
    assert_eq!((s[0].shaper_rule.as_deref(), s[0].max_stanza_size), (None, 65536));
    assert!(!s[1].check_from && s[1].hidden_components);
    assert_eq!(s[1].conflict_behaviour, ConflictBehaviour::KickOld);
    assert_eq!(loaded.config.shaper_rate(s[1].shaper_rule.as_deref()), Some(50000));
    assert!(Config::default().listen.service.is_empty(), "off unless configured");
    for (bad, key) in [
        ("port = 1", "listen.service[0]"),
        ("port = 1\npassword = \"\"", "listen.service[0].password"),
        (
            "port = 1\npassword = \"x\"\nshaper_rule = \"nope\"",
            "listen.service[0].shaper_rule",
        ),
        (
            "port = 1\npassword = \"x\"\nconflict_behaviour = \"both\"",
            "listen.service[0].conflict_behaviour",
        ),
        (
            "port = 1\npassword = \"x\"\nmax_fsm_queue = 0",
            "listen.service[0].max_fsm_queue",
        ),
    ] {
        let err = Config::parse(&format!("[[listen.service]]\n{bad}\n")).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn half_a_certificate_is_an_error() {
    let err = Config::parse("[[listen.http]]\nport = 1\ntls.certfile = \"c.pem\"\n").unwrap_err();
    assert!(err.to_string().contains("listen.http[0].tls"), "{err}");
}

#[test]
fn bad_toml_is_an_error() {
    assert!(matches!(Config::parse("[general"), Err(ConfigError::Syntax(_))));
}

#[test]
fn listeners_take_compress_and_mongooseim_acceptor_counts() {
    let loaded = Config::parse(
        "[[listen.http]]\nport = 1\ncompress = true\nnum_acceptors = 10\ntransport.num_acceptors = 10\n\
         [[listen.http]]\nport = 2\n\
         [[listen.c2s]]\nport = 3\nnum_acceptors = 10\n\
         [[listen.service]]\nport = 4\npassword = \"x\"\nnum_acceptors = 10\n",
    )
    .unwrap();
    assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
    let http = &loaded.config.listen.http;
    assert!(http[0].compress && !http[1].compress, "off unless asked for");
    assert_eq!(http[0].num_acceptors, AcceptorCount(10));
    assert_eq!(http[1].num_acceptors, AcceptorCount::default());
    assert!(Config::default().listen.http.iter().all(|l| !l.compress));
    for (bad, key) in [
        (
            "[[listen.http]]\nport = 1\nnum_acceptors = 0",
            "listen.http[0].num_acceptors",
        ),
        (
            "[[listen.http]]\nport = 1\ntransport.num_acceptors = 0",
            "listen.http[0].transport.num_acceptors",
        ),
        (
            "[[listen.c2s]]\nport = 1\nnum_acceptors = 0",
            "listen.c2s[0].num_acceptors",
        ),
        (
            "[[listen.service]]\nport = 1\npassword = \"x\"\nnum_acceptors = -1",
            "listen.service[0].num_acceptors",
        ),
        (
            "[[listen.http]]\nport = 1\ncompress = \"yes\"",
            "listen.http[0].compress",
        ),
    ] {
        let err = Config::parse(bad).unwrap_err();
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn idempotency_keys_are_kept_at_least_a_day_under_a_per_user_cap() {
    let g = Config::default().general;
    assert_eq!((g.idempotency_ttl, g.idempotency_max_keys), (86_400, 10_000));
    let c = Config::parse("[general]\nidempotency_ttl = 172800\nidempotency_max_keys = 50\n")
        .unwrap()
        .config;
    assert_eq!(
        (c.general.idempotency_ttl, c.general.idempotency_max_keys),
        (172_800, 50)
    );
    let short = Config::parse("[general]\nidempotency_ttl = 3600\n").unwrap_err();
    assert!(short.to_string().contains("general.idempotency_ttl"), "{short}");
    let none = Config::parse("[general]\nidempotency_max_keys = 0\n").unwrap_err();
    assert!(none.to_string().contains("general.idempotency_max_keys"), "{none}");
}

#[test]
fn federation_is_off_by_default_and_on_with_either_section() {
    assert!(Config::load(None).unwrap().config.s2s.is_none());
    assert!(Config::parse("[general]\nhosts = [\"localhost\"]\n")
        .unwrap()
        .config
        .s2s
        .is_none());
    let listener = Config::parse("[[listen.s2s]]\nport = 5269\n").unwrap().config;
    let s = listener.s2s.as_ref().expect("a listener turns federation on");
    assert_eq!(s.use_starttls, UseStarttls::Required, "a new config requires TLS");
    assert_eq!(s.default_policy, PolicyValue::Allow);
    assert_eq!((s.outgoing.port, s.outgoing.connection_timeout), (5269, 10_000));
    assert_eq!((s.dns.timeout, s.dns.retries, s.max_retry_delay), (10, 2, 300));
    let l = &listener.listen.s2s[0];
    assert_eq!(
        (l.tls.mode, l.max_stanza_size, l.max_connections_per_ip),
        (S2sTlsMode::Starttls, 65536, 20)
    );
    assert!(Config::parse("[s2s]\n").unwrap().config.s2s.is_some());
}

#[test]
fn an_s2s_section_reads_mongooseim_keys_into_the_cores_settings() {
    let c = Config::parse(
        r#"
        [s2s]
        default_policy = "deny"
        host_policy = [{host = "Good.Example", policy = "allow"}, {host = "bad.example", policy = "deny"}]
        use_starttls = "required_trusted"
        shared = "s3cret"
        max_retry_delay = 60
          [s2s.outgoing]
          port = 5270
          connection_timeout = 2000
          address = [{host = "partner.example", ip_address = "10.0.0.7", port = 5271, tls = true}]
          [s2s.dns]
          timeout = 3
          retries = 1
        "#,
    )
    .unwrap()
    .config;
    let s = c.s2s.as_ref().unwrap();
    assert_eq!(s.use_starttls, UseStarttls::RequiredTrusted);
    let a = &s.outgoing.address[0];
    assert_eq!((a.host.as_str(), a.port, a.tls), ("partner.example", Some(5271), true));
    let core = c.s2s_settings().unwrap();
    assert!(core.policy.allows("good.example"), "hosts are prepped");
    assert!(!core.policy.allows("bad.example") && !core.policy.allows("other.example"));
    assert_eq!(core.secret, "s3cret");
    assert_eq!(core.max_retry_delay, Duration::from_secs(60));
    // DNS with its retries, the connection, then 30 s to negotiate.
    assert_eq!(
        core.connect_timeout,
        Duration::from_secs(3 * 2 + 30) + Duration::from_millis(2000)
    );
    assert!(Config::parse("[s2s]\nuse_starttls = \"false\"\n").is_ok());
}

#[test]
fn bad_s2s_values_name_their_key() {
    let key_of = |text: &str| match Config::parse(text) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(key_of("[s2s]\nuse_starttls = \"sometimes\"\n"), "s2s.use_starttls");
    assert_eq!(key_of("[s2s]\nshared = \"\"\n"), "s2s.shared");
    assert_eq!(key_of("[s2s]\nmax_queue = 0\n"), "s2s.max_queue");
    assert_eq!(
        key_of("[s2s]\nhost_policy = [{host = \"u@example.org\", policy = \"deny\"}]\n"),
        "s2s.host_policy[0].host"
    );
    assert_eq!(
        key_of("[s2s.outgoing]\naddress = [{host = \"x.example\", ip_address = \"not an ip\"}]\n"),
        "s2s.outgoing.address[0].ip_address"
    );
    assert_eq!(
        key_of("[[listen.s2s]]\nport = 5269\nmax_stanza_size = 10\n"),
        "listen.s2s[0].max_stanza_size"
    );
    assert_eq!(
        key_of("[[listen.s2s]]\nport = 5269\nshaper = \"nope\"\n"),
        "listen.s2s[0].shaper"
    );
    // Every node of a cluster must sign dialback keys alike.
    let clustered = "[general]\nstorage = \"postgres\"\n[cluster]\nnode = \"n1\"\n[s2s]\n";
    assert_eq!(key_of(clustered), "s2s.shared");
    assert!(Config::parse(&format!("{clustered}shared = \"x\"\n")).is_ok());
}

#[test]
fn webhook_endpoints_are_read_and_checked() {
    let endpoint = |extra: &str| {
        format!(
            "[modules.mod_event_pusher.http]\nmax_backlog = 50\n[[modules.mod_event_pusher.http.endpoints]]\n\
             name = \"crm\"\nurl = \"https://hooks.example.com/in\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n\
             events = [\"message\", \"account.removed\"]\n{extra}"
        )
    };
    let c = Config::parse(&endpoint("")).unwrap().config;
    let h = c
        .modules
        .mod_event_pusher
        .as_ref()
        .and_then(|m| m.http.as_ref())
        .unwrap();
    let s = crate::core::webhooks::WebhookSettings::from(h);
    assert_eq!(
        (s.max_backlog, s.retry_window),
        (50, std::time::Duration::from_secs(86_400))
    );
    assert_eq!(s.endpoints.len(), 1);
    assert_eq!((s.endpoints[0].key.len(), s.endpoints[0].max_backlog), (24, 50));
    assert_eq!(
        s.endpoints[0].events,
        [
            crate::core::webhooks::EventKind::Message,
            crate::core::webhooks::EventKind::AccountRemoved
        ]
    );
    // Off unless present.
    assert!(Config::default().modules.mod_event_pusher.unwrap().http.is_none());
    for (bad, key) in [
        ("name = \"a b\"", "endpoints[1].name"),
        ("name = \"crm\"", "endpoints[1].name"),
        ("name = \"x\"\nurl = \"ftp://x\"", "endpoints[1].url"),
        (
            "name = \"x\"\nsecret = \"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
            "endpoints[1].secret",
        ),
        ("name = \"x\"\nevents = []", "endpoints[1].events"),
        ("name = \"x\"\nevents = [\"presence\"]", "endpoints[1].events"),
        ("name = \"x\"\nmax_backlog = 0", "endpoints[1].max_backlog"),
    ] {
        let defaults = "url = \"http://127.0.0.1:1/\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nevents = [\"message\"]\n";
        // Later keys of the same name would be a TOML error: the bad one goes first.
        let mut table = format!("{bad}\n");
        for line in defaults.lines() {
            let k = line.split('=').next().unwrap_or_default().trim();
            if !bad.lines().any(|b| b.starts_with(&format!("{k} "))) {
                table.push_str(line);
                table.push('\n');
            }
        }
        let text = endpoint(&format!("[[modules.mod_event_pusher.http.endpoints]]\n{table}"));
        let err = Config::parse(&text).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("modules.mod_event_pusher.http.{key}")),
            "{bad}: {err}"
        );
    }
    let err = Config::parse("[modules.mod_event_pusher.http]\nrequest_timeout_ms = 0\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("modules.mod_event_pusher.http.request_timeout_ms"),
        "{err}"
    );
}
