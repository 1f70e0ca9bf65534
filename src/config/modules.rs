//! `[modules]`: every `mod_*` section, its defaults, the modules on without a `[modules]`
//! table, and the `From` conversions to the settings each one's core (or BOSH) service
//! takes. The checks are in `validate.rs`.

use super::General;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Modules {
    pub mod_mam: Option<ModMam>,
    pub mod_muc_light: Option<ModMucLight>,
    pub mod_muc: Option<ModMuc>,
    pub mod_roster: Option<ModRoster>,
    pub mod_offline: Option<ModOffline>,
    pub mod_event_pusher: Option<ModEventPusher>,
    pub mod_stream_management: Option<ModStreamManagement>,
    pub mod_csi: Option<ModCsi>,
    pub mod_http_upload: Option<ModHttpUpload>,
    pub mod_bosh: Option<ModBosh>,
    pub mod_pep: Option<ModPep>,
    /// Entity capabilities; started with `mod_pep` whether listed or not (PEP needs it),
    /// as MongooseIM starts a module's dependencies.
    pub mod_caps: Option<ModCaps>,
    pub mod_vcard: Option<ModVcard>,
    pub mod_private: Option<ModPrivate>,
}

/// BOSH session options (XEP-0124), in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModBosh {
    /// How long a session may go without a request from its client before it ends.
    pub inactivity: u64,
    /// The longest a request is held waiting for something to send; a client's `wait`
    /// is lowered to it.
    pub max_wait: u64,
    /// The longest inactivity a client may ask for with `pause`.
    pub max_pause: u64,
    /// Requests held at once per session; a client's `hold` is lowered to it.
    pub hold: u64,
}

impl Default for ModBosh {
    fn default() -> Self {
        ModBosh {
            inactivity: 30,
            max_wait: 60,
            max_pause: 120,
            hold: 1,
        }
    }
}

/// XEP-0198 stream management.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModStreamManagement {
    /// Seconds a session whose connection was lost stays resumable.
    pub resume_timeout: u64,
    /// Stanzas sent and not yet acknowledged, at most.
    pub buffer_max: usize,
    /// An ack is requested every this many stanzas sent.
    pub ack_freq: u32,
}

impl Default for ModStreamManagement {
    fn default() -> Self {
        ModStreamManagement {
            resume_timeout: 300,
            buffer_max: 100,
            ack_freq: 1,
        }
    }
}

impl From<&ModStreamManagement> for crate::core::session::stream_management::SmSettings {
    fn from(m: &ModStreamManagement) -> Self {
        crate::core::session::stream_management::SmSettings {
            resume_timeout: Duration::from_secs(m.resume_timeout),
            buffer_max: m.buffer_max,
            ack_freq: m.ack_freq,
        }
    }
}

/// XEP-0352 client state indication.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModCsi {
    /// Presence updates and chat states held for an inactive client, at most.
    pub buffer_max: usize,
}

impl Default for ModCsi {
    fn default() -> Self {
        ModCsi { buffer_max: 100 }
    }
}

impl From<&ModCsi> for crate::core::session::csi::CsiSettings {
    fn from(m: &ModCsi) -> Self {
        crate::core::session::csi::CsiSettings {
            buffer_max: m.buffer_max,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModMam {
    /// What an acknowledged message survives: `"process"` (a kill of the server) or
    /// `"power"` (a power loss too: an fsync per group commit).
    pub durability: crate::store::Durability,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModMucLight {
    /// Service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Members may change a room's configuration, not only its owner.
    pub all_can_configure: bool,
    /// Members may add members, not only the owner.
    pub all_can_invite: bool,
    /// Most occupants of one room, the owner included.
    pub max_occupants: usize,
    /// Most rooms one user may occupy.
    pub rooms_per_user: usize,
}

impl Default for ModMucLight {
    fn default() -> Self {
        ModMucLight {
            host: "muclight.@HOST@".into(),
            all_can_configure: false,
            all_can_invite: false,
            max_occupants: 100,
            rooms_per_user: 1000,
        }
    }
}

impl From<&ModMucLight> for crate::core::muc_light::MucLightSettings {
    fn from(m: &ModMucLight) -> Self {
        crate::core::muc_light::MucLightSettings {
            host: m.host.clone(),
            rules: crate::core::muc_light::Rules {
                all_can_configure: m.all_can_configure,
                all_can_invite: m.all_can_invite,
                max_occupants: m.max_occupants,
                rooms_per_user: m.rooms_per_user,
            },
        }
    }
}

/// Event pushers: XEP-0357 `push` to app servers, and `http` webhooks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModEventPusher {
    pub push: Option<PushBackend>,
    pub http: Option<HttpBackend>,
}

/// Webhooks: signed `POST`s of messages, room events and account changes to each
/// endpoint (docs/webhooks.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpBackend {
    pub endpoints: Vec<WebhookEndpoint>,
    /// Events waiting per endpoint at most; the oldest are dropped (and counted) beyond.
    pub max_backlog: u64,
    /// Deadline of one delivery: connecting, sending, the answer's status.
    pub request_timeout_ms: u64,
    /// An event still failing this long after its first failure is given up.
    pub retry_window_s: u64,
    /// Attempts at one event before it is given up; 0: only `retry_window_s` counts.
    pub max_attempts: u32,
    /// The wait after a first failure, doubled after each further one...
    pub backoff_initial_ms: u64,
    /// ...up to this.
    pub backoff_max_s: u64,
    /// How often the archive and the account log are read for new events.
    pub poll_interval_ms: u64,
}

impl Default for HttpBackend {
    fn default() -> Self {
        HttpBackend {
            endpoints: Vec::new(),
            max_backlog: 10_000,
            request_timeout_ms: 5_000,
            retry_window_s: 86_400,
            max_attempts: 0,
            backoff_initial_ms: 1_000,
            backoff_max_s: 300,
            poll_interval_ms: 200,
        }
    }
}

/// One webhook receiver.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WebhookEndpoint {
    /// Names its delivery state (admin API, CLI); letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// `http://` or `https://`.
    pub url: String,
    /// `whsec_` and the base64 of 24 to 64 random bytes.
    pub secret: String,
    /// Event types: `message`, `room.message`, `account.created`,
    /// `account.password_changed`, `account.removed`.
    pub events: Vec<String>,
    /// This endpoint's outbox bound, instead of the section's `max_backlog`.
    pub max_backlog: Option<u64>,
}

impl From<&HttpBackend> for crate::core::webhooks::WebhookSettings {
    fn from(h: &HttpBackend) -> Self {
        use crate::core::webhooks::{signing, Endpoint, EventKind, WebhookSettings};
        WebhookSettings {
            // Checked by `validate.rs`; an endpoint that would not convert is not started.
            endpoints: h
                .endpoints
                .iter()
                .filter_map(|e| {
                    Some(Endpoint {
                        name: e.name.clone(),
                        url: url::Url::parse(&e.url).ok()?,
                        key: signing::parse_secret(&e.secret).ok()?,
                        events: e.events.iter().filter_map(|k| EventKind::parse(k)).collect(),
                        max_backlog: e.max_backlog.unwrap_or(h.max_backlog),
                    })
                })
                .collect(),
            max_backlog: h.max_backlog,
            request_timeout: Duration::from_millis(h.request_timeout_ms),
            retry_window: Duration::from_secs(h.retry_window_s),
            max_attempts: h.max_attempts,
            backoff_initial: Duration::from_millis(h.backoff_initial_ms),
            backoff_max: Duration::from_secs(h.backoff_max_s),
            poll_interval: Duration::from_millis(h.poll_interval_ms),
        }
    }
}

/// Push notifications (XEP-0357) to app servers the clients register.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PushBackend {
    /// Registrations one user may have.
    pub max_registrations: usize,
    /// Whether a notification carries the last message's body.
    pub include_body: bool,
}

impl Default for PushBackend {
    fn default() -> Self {
        PushBackend {
            max_registrations: 10,
            include_body: false,
        }
    }
}

impl From<&PushBackend> for crate::core::im::push::PushSettings {
    fn from(p: &PushBackend) -> Self {
        crate::core::im::push::PushSettings {
            max_registrations: p.max_registrations,
            include_body: p.include_body,
        }
    }
}

/// HTTP File Upload (XEP-0363), files kept in a local directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModHttpUpload {
    /// Service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Largest file accepted, in bytes.
    pub max_file_size: u64,
    /// Seconds a PUT URL stays valid.
    pub expiration_time: u64,
    /// Random bytes in a slot id (twice as many hex digits in the URL).
    pub token_bytes: usize,
    /// Bytes one user may have stored at once (pending slots included).
    pub user_quota: u64,
    /// Days an upload is kept; 0 keeps uploads for ever.
    pub expire_after_days: u64,
    /// For tests: seconds an upload is kept, instead of `expire_after_days` (0: for ever).
    pub expire_after_seconds: Option<u64>,
    /// Where the files live; default `<data_dir>/uploads`.
    pub dir: Option<PathBuf>,
    /// The URL files are served under (`@HOST@` for each host); default: derived from
    /// the first HTTP listener serving `mod_http_upload`.
    pub base_url: Option<String>,
}

impl Default for ModHttpUpload {
    fn default() -> Self {
        ModHttpUpload {
            host: "upload.@HOST@".into(),
            max_file_size: 10 * 1024 * 1024,
            expiration_time: 300,
            token_bytes: 32,
            user_quota: 1024 * 1024 * 1024,
            expire_after_days: 30,
            expire_after_seconds: None,
            dir: None,
            base_url: None,
        }
    }
}

/// Multi-User Chat (XEP-0045), MongooseIM's `mod_muc`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModMuc {
    /// Service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Rooms the service holds at once.
    pub max_rooms: usize,
    /// Rooms one user may own at once.
    pub max_rooms_per_user: usize,
    /// Rooms one user may be in at once.
    pub max_user_conferences: usize,
    /// The most occupants a room may be configured for.
    pub max_users: usize,
    /// Admins and owners enter this many past a room's maximum.
    pub max_users_admin_threshold: usize,
    /// History messages a newcomer gets at most.
    pub history_length: usize,
    pub max_room_id: usize,
    pub max_room_name: usize,
    pub max_room_desc: usize,
    pub max_subject_length: usize,
    pub max_nick_length: usize,
    pub max_room_affiliations: usize,
    /// The configuration new rooms start with.
    pub default_room: MucDefaultRoom,
}

impl Default for ModMuc {
    fn default() -> Self {
        let l = crate::core::muc::Limits::default();
        ModMuc {
            host: "conference.@HOST@".into(),
            max_rooms: l.max_rooms,
            max_rooms_per_user: l.max_rooms_per_user,
            max_user_conferences: l.max_user_conferences,
            max_users: l.max_users,
            max_users_admin_threshold: l.max_users_admin_threshold,
            history_length: l.history_length,
            max_room_id: l.max_room_id,
            max_room_name: l.max_room_name,
            max_room_desc: l.max_room_desc,
            max_subject_length: l.max_subject_length,
            max_nick_length: l.max_nick_length,
            max_room_affiliations: l.max_room_affiliations,
            default_room: MucDefaultRoom::default(),
        }
    }
}

/// `[modules.mod_muc.default_room]`: MongooseIM's names for a new room's options.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MucDefaultRoom {
    pub public: bool,
    pub persistent: bool,
    pub moderated: bool,
    pub members_only: bool,
    pub allow_change_subj: bool,
    pub allow_user_invites: bool,
    pub anonymous: bool,
    pub max_users: usize,
    pub logging: bool,
}

impl Default for MucDefaultRoom {
    fn default() -> Self {
        let d = crate::core::muc::RoomDefaults::default();
        MucDefaultRoom {
            public: d.public,
            persistent: d.persistent,
            moderated: d.moderated,
            members_only: d.members_only,
            allow_change_subj: d.allow_change_subj,
            allow_user_invites: d.allow_user_invites,
            anonymous: d.anonymous,
            max_users: d.max_users,
            logging: d.logging,
        }
    }
}

impl From<&ModMuc> for crate::core::muc::MucSettings {
    fn from(m: &ModMuc) -> Self {
        let d = &m.default_room;
        crate::core::muc::MucSettings {
            host: m.host.clone(),
            limits: crate::core::muc::Limits {
                max_rooms: m.max_rooms,
                max_rooms_per_user: m.max_rooms_per_user,
                max_user_conferences: m.max_user_conferences,
                max_users: m.max_users,
                max_users_admin_threshold: m.max_users_admin_threshold,
                history_length: m.history_length,
                max_room_id: m.max_room_id,
                max_room_name: m.max_room_name,
                max_room_desc: m.max_room_desc,
                max_subject_length: m.max_subject_length,
                max_nick_length: m.max_nick_length,
                max_room_affiliations: m.max_room_affiliations,
            },
            defaults: crate::core::muc::RoomDefaults {
                public: d.public,
                persistent: d.persistent,
                moderated: d.moderated,
                members_only: d.members_only,
                allow_change_subj: d.allow_change_subj,
                allow_user_invites: d.allow_user_invites,
                anonymous: d.anonymous,
                max_users: d.max_users,
                logging: d.logging,
            },
        }
    }
}

/// Offline messages (XEP-0160).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModOffline {
    /// Messages held for one user; more are refused (the archive keeps them).
    pub max_messages: usize,
}

impl Default for ModOffline {
    fn default() -> Self {
        ModOffline { max_messages: 1000 }
    }
}

impl From<&ModOffline> for crate::core::im::offline::OfflineSettings {
    fn from(m: &ModOffline) -> Self {
        crate::core::im::offline::OfflineSettings {
            max_messages: m.max_messages,
        }
    }
}

impl ModHttpUpload {
    /// How long an upload is kept; `None`: for ever.
    pub fn expire_after(&self) -> Option<Duration> {
        let seconds = self
            .expire_after_seconds
            .unwrap_or(self.expire_after_days.saturating_mul(86_400));
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }
}

/// The PUT URL signing key of uploads, in the data directory.
pub const UPLOAD_KEY_FILE: &str = "upload.key";

/// Uploads with what they keep in the data directory (`[general] data_dir`): the
/// signing key, and the files unless `dir` says otherwise.
impl From<(&ModHttpUpload, &General)> for crate::core::uploads::UploadSettings {
    fn from((m, general): (&ModHttpUpload, &General)) -> Self {
        crate::core::uploads::UploadSettings {
            host: m.host.clone(),
            max_file_size: m.max_file_size,
            user_quota: m.user_quota,
            put_window: Duration::from_secs(m.expiration_time),
            token_bytes: m.token_bytes,
            expire_after: m.expire_after(),
            dir: m.dir.clone().unwrap_or_else(|| general.data_dir.join("uploads")),
            key_file: general.data_dir.join(UPLOAD_KEY_FILE),
            base_url: m.base_url.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModRoster {
    /// Items one roster may hold (contacts and pending requests from strangers).
    pub max_items: usize,
}

impl Default for ModRoster {
    fn default() -> Self {
        ModRoster { max_items: 1000 }
    }
}

/// The most requests a BOSH session may have held at once (`modules.mod_bosh.hold`):
/// browsers keep few connections per server, and each held request is one of them.
pub const MAX_BOSH_HOLD: u64 = 4;
/// The longest BOSH timer (`inactivity`, `max_wait`, `max_pause`): a day.
pub const MAX_BOSH_SECONDS: u64 = 86_400;

/// The PEP service of every account (XEP-0163).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModPep {
    /// Largest item payload, serialized, in bytes.
    pub max_payload_size: usize,
    /// The same for avatar images (`urn:xmpp:avatar:data`).
    pub max_avatar_size: usize,
    /// Nodes one account may have.
    pub max_nodes: usize,
    /// Items one node may keep (what `pubsub#max_items = max` means).
    pub max_items_node: usize,
    /// Payload bytes all of one account's items may take together.
    pub max_user_bytes: usize,
}

impl Default for ModPep {
    fn default() -> Self {
        let d = crate::core::pep::PepSettings::default();
        ModPep {
            max_payload_size: d.max_payload_size,
            max_avatar_size: d.max_avatar_size,
            max_nodes: d.max_nodes,
            max_items_node: d.max_items,
            max_user_bytes: d.max_bytes,
        }
    }
}

impl From<&ModPep> for crate::core::pep::PepSettings {
    fn from(p: &ModPep) -> Self {
        crate::core::pep::PepSettings {
            max_payload_size: p.max_payload_size,
            max_avatar_size: p.max_avatar_size,
            max_nodes: p.max_nodes,
            max_items: p.max_items_node,
            max_bytes: p.max_user_bytes,
        }
    }
}

/// Entity capabilities (XEP-0115), as PEP uses them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModCaps {
    /// Capability `ver` strings remembered.
    pub cache_size: usize,
}

impl Default for ModCaps {
    fn default() -> Self {
        ModCaps { cache_size: 1000 }
    }
}

/// vCards (XEP-0054).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModVcard {
    /// Largest vCard, serialized, in bytes.
    pub max_size: usize,
}

impl Default for ModVcard {
    fn default() -> Self {
        ModVcard {
            max_size: crate::core::user_data::vcard::VcardSettings::default().max_size,
        }
    }
}

impl From<&ModVcard> for crate::core::user_data::vcard::VcardSettings {
    fn from(v: &ModVcard) -> Self {
        crate::core::user_data::vcard::VcardSettings { max_size: v.max_size }
    }
}

/// Private XML storage (XEP-0049).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModPrivate {
    /// Largest document of one namespace, serialized, in bytes.
    pub max_size: usize,
    /// Namespaces one account may keep.
    pub max_entries: usize,
}

impl Default for ModPrivate {
    fn default() -> Self {
        let d = crate::core::user_data::private::PrivateSettings::default();
        ModPrivate {
            max_size: d.max_size,
            max_entries: d.max_entries,
        }
    }
}

impl From<&ModPrivate> for crate::core::user_data::private::PrivateSettings {
    fn from(p: &ModPrivate) -> Self {
        crate::core::user_data::private::PrivateSettings {
            max_size: p.max_size,
            max_entries: p.max_entries,
        }
    }
}

/// Every module, with its defaults: what runs without a `[modules]` table.
pub(super) fn default_modules() -> Modules {
    Modules {
        mod_mam: Some(ModMam::default()),
        mod_muc_light: Some(ModMucLight::default()),
        mod_muc: Some(ModMuc::default()),
        mod_roster: Some(ModRoster::default()),
        mod_offline: Some(ModOffline::default()),
        mod_event_pusher: Some(ModEventPusher {
            push: Some(PushBackend::default()),
            http: None,
        }),
        mod_stream_management: Some(ModStreamManagement::default()),
        mod_csi: Some(ModCsi::default()),
        mod_http_upload: Some(ModHttpUpload::default()),
        mod_bosh: Some(ModBosh::default()),
        mod_pep: Some(ModPep::default()),
        mod_caps: Some(ModCaps::default()),
        mod_vcard: Some(ModVcard::default()),
        mod_private: Some(ModPrivate::default()),
    }
}
