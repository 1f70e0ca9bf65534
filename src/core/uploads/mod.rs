//! HTTP File Upload (XEP-0363, version 1.1): a component service on `upload.<host>`
//! that hands local users upload slots, and the typed operations the HTTP door calls to
//! take a PUT and serve a GET.
//!
//! - disco#info on the service: identity `store/file`, feature `urn:xmpp:http:upload:0`
//!   and the XEP-0128 form with `max-file-size` (§3). The server's disco#items lists
//!   the service (it is a registered component).
//! - `<request filename size content-type/>` (§4), type `get`, from a user of this
//!   server: a `<slot>` with a PUT URL and a GET URL, after the slot is recorded within
//!   the user's quota. Errors (§5): a file over `max_file_size` is `not-acceptable` with
//!   `<file-too-large><max-file-size/>`; a full quota `resource-constraint` (type
//!   `wait`); missing or malformed attributes `bad-request`; a requester from elsewhere
//!   `forbidden`.
//! - URLs: `<base>/<id>/<file name>` to GET, the same plus `?expires=…&signature=…` to
//!   PUT. `id` is `token_bytes` random bytes (hex); it is the unguessable part that makes
//!   a GET URL private to whoever it is shared with (§8). The signature (`signing`) is
//!   an HMAC over the slot's promises, so only the requester can PUT, before the PUT
//!   window (`expiration_time`) closes, exactly the announced size and content type.
//!   A slot takes one PUT: a second one, or one while the first is under way, is refused.
//! - Files (`files`) live in the upload directory, named by slot id. File I/O is here in
//!   the core, not in the HTTP door, because the files are storage like the records:
//!   the door only moves bytes between the socket and a [`PutWriter`] or a
//!   [`Download`], and never learns where or how files are kept. The records go through
//!   the [`UploadStore`](crate::store::UploadStore) trait like every other feature's data.
//! - Expiry: finished uploads older than `expire_after` are deleted by a background
//!   sweep ([`Core::expire_uploads`], started by the composition root), and are no
//!   longer served from the moment they are due. Slots never used are deleted once their
//!   PUT window has closed, which gives their quota back. Removing an account deletes
//!   its uploads.
//!
//! Quota: every recorded upload of a user (finished, or a slot whose PUT window is still
//! open or not yet swept) counts against `user_quota` bytes.
//!
//! Events: hears the removal of an account (its uploads go); emits none.

mod files;
mod protocol;
mod signing;
#[cfg(test)]
mod tests;

use super::stanza::{error_reply, ns, Condition, IqType, StanzaError};
use super::Core;
use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::hosts::{Hosts, SubdomainPattern};
use crate::core::routing::iq::{Identity, IqAnswer, IqHandler, IqRequest, IqTable};
use crate::core::routing::router::{RouteError, Routed, Service};
use crate::store::{Cause, DueUploads, StoreError, Upload};
use async_trait::async_trait;
use files::{Files, InFlight, PutFile, WriteError};
use signing::{PutClaims, Signer};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// What the core needs to know of `[modules.mod_http_upload]`.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// The service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Largest file accepted, in bytes.
    pub max_file_size: u64,
    /// Bytes one user may have stored (pending slots included).
    pub user_quota: u64,
    /// How long a PUT URL stays valid (MongooseIM's `expiration_time`).
    pub put_window: Duration,
    /// Random bytes in a slot id.
    pub token_bytes: usize,
    /// How long an upload is kept; `None`: for ever.
    pub expire_after: Option<Duration>,
    /// Where the files live.
    pub dir: PathBuf,
    /// The PUT URL signing key (created if missing).
    pub key_file: PathBuf,
    /// The URL files are served under (`@HOST@` for each host); `None` until the
    /// composition root derives it from the listener serving the files.
    pub base_url: Option<String>,
}

/// Why a PUT is refused. The text is what the HTTP client reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PutRefusal {
    #[error("File upload is not enabled")]
    Disabled,
    /// An unknown slot, a bad or missing signature, another file name.
    #[error("Invalid upload URL")]
    NotPermitted,
    #[error("The upload URL has expired")]
    Expired,
    #[error("This file was uploaded already")]
    AlreadyUploaded,
    #[error("This file is being uploaded")]
    InProgress,
    #[error("Content-Length required")]
    LengthRequired,
    #[error("The file is larger than the {announced} bytes announced")]
    TooLarge { announced: u64 },
    #[error("The file must be exactly the {announced} bytes announced")]
    WrongSize { announced: u64 },
    #[error("The Content-Type must be the one announced ({announced})")]
    WrongContentType { announced: String },
    /// Storage or the file system failed (logged where it happened).
    #[error("Service temporarily unavailable")]
    Unavailable,
}

/// Why a GET finds nothing to serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetRefusal {
    #[error("Not found")]
    NotFound,
    #[error("Service temporarily unavailable")]
    Unavailable,
}

/// The upload service of every served host.
pub(crate) struct Uploads {
    settings: UploadSettings,
    /// Each served host's upload domain.
    pattern: SubdomainPattern,
    hosts: Arc<Hosts>,
    service: IqTable,
    signer: Signer,
    files: Files,
    in_flight: InFlight,
    base_url: OnceLock<String>,
}

fn identity() -> Identity {
    Identity {
        category: "store",
        kind: "file",
        name: Some("HTTP File Upload"),
    }
}

/// How many records one sweep round reads at a time.
const SWEEP_BATCH: usize = 500;

impl Uploads {
    /// Opens the upload directory and the signing key.
    pub fn open(settings: &UploadSettings, hosts: Arc<Hosts>) -> std::io::Result<Self> {
        let service = IqTable::new(identity())
            .with(ns::DISCO_ITEMS, "query", crate::core::routing::disco::NoItems)
            .with(ns::HTTP_UPLOAD, "request", SlotIq)
            .with_info_form(protocol::info_form(settings.max_file_size));
        let base_url = OnceLock::new();
        if let Some(b) = &settings.base_url {
            let _ = base_url.set(b.trim_end_matches('/').to_owned());
        }
        Ok(Uploads {
            signer: Signer::load_or_create(&settings.key_file)?,
            files: Files::open(&settings.dir)?,
            settings: settings.clone(),
            pattern: SubdomainPattern::new(&settings.host),
            hosts,
            service,
            in_flight: InFlight::default(),
            base_url,
        })
    }

    /// Every upload domain, with the host it serves.
    pub fn domains(&self) -> Vec<(String, String)> {
        self.pattern.served_domains(&self.hosts)
    }

    /// The upload domain of `host`, served or not.
    pub fn domain_for(&self, host: &str) -> String {
        self.pattern.domain_for(host)
    }

    /// How often the expiry sweep runs: often enough that an upload outlives its time by
    /// at most a tenth of it (between one second and one minute).
    pub fn sweep_interval(&self) -> Duration {
        self.settings
            .expire_after
            .map_or(Duration::from_secs(60), |e| e / 10)
            .clamp(Duration::from_secs(1), Duration::from_secs(60))
    }

    /// The base URL of files of the service on `domain`.
    fn base_for(&self, domain: &str) -> Option<String> {
        let host = self.pattern.host_of(domain, &self.hosts)?;
        Some(self.base_url.get()?.replace("@HOST@", host))
    }

    fn claims<'a>(upload: &'a Upload, expires_s: i64) -> PutClaims<'a> {
        PutClaims {
            id: &upload.id,
            owner: &upload.owner,
            filename: &upload.filename,
            size: upload.size,
            content_type: &upload.content_type,
            expires_s,
        }
    }

    /// Whether a finished upload is past its time at `now_ms`.
    fn expired(&self, upload: &Upload, now_ms: i64) -> bool {
        match (upload.uploaded_ms, self.settings.expire_after) {
            (Some(at), Some(keep)) => now_ms.saturating_sub(at) >= keep.as_millis() as i64,
            _ => false,
        }
    }

    /// §4: a slot for `request`, recorded against the requester's quota.
    async fn request_slot(&self, core: &Core, request: &IqRequest<'_>, now_ms: i64) -> IqAnswer {
        let owner = request.from.to_bare();
        let local = owner.node().is_some() && core.accounts.serves(owner.domain().as_str());
        if !local {
            return Err(StanzaError::new(Condition::Forbidden).with_text("Only users of this server may upload files"));
        }
        let wanted = protocol::parse_request(request.payload)
            .map_err(|t| StanzaError::new(Condition::BadRequest).with_text(t))?;
        if wanted.size > self.settings.max_file_size {
            return Err(protocol::file_too_large(self.settings.max_file_size));
        }
        let Some(base) = self.base_for(request.to.domain().as_str()) else {
            tracing::error!(service = %request.to, "no base URL for uploads: no HTTP listener serves mod_http_upload");
            return Err(Condition::ServiceUnavailable.into());
        };
        let expires_s = now_ms.div_euclid(1000) + self.settings.put_window.as_secs() as i64;
        let upload = Upload {
            id: new_id(self.settings.token_bytes),
            owner: owner.to_string(),
            filename: wanted.filename,
            size: wanted.size,
            content_type: wanted.content_type,
            created_ms: now_ms,
            put_until_ms: expires_s * 1000,
            uploaded_ms: None,
        };
        match core
            .stores
            .uploads
            .reserve_upload(&upload, self.settings.user_quota)
            .await
        {
            Ok(()) => {}
            Err(StoreError::LimitReached) => return Err(protocol::quota_reached(self.settings.user_quota)),
            Err(e) => {
                tracing::error!(error = %e, "recording an upload slot failed");
                return Err(Condition::InternalServerError.into());
            }
        }
        let get = format!("{base}/{}/{}", upload.id, encode_filename(&upload.filename));
        let signature = self.signer.sign(&Self::claims(&upload, expires_s));
        let put = format!("{get}?{}", signing::put_query(expires_s, &signature));
        Ok(Some(protocol::slot(&put, &get)))
    }

    async fn begin_put_at(&self, core: &Core, put: PutRequest<'_>, now_ms: i64) -> Result<PutWriter, PutRefusal> {
        if !files::valid_id(put.id) {
            return Err(PutRefusal::NotPermitted);
        }
        let (expires_s, signature) = put
            .query
            .and_then(signing::parse_put_query)
            .ok_or(PutRefusal::NotPermitted)?;
        let upload = match core.stores.uploads.upload(put.id).await {
            Ok(Some(u)) => u,
            Ok(None) => return Err(PutRefusal::NotPermitted),
            Err(e) => return Err(unavailable("reading an upload slot", e)),
        };
        if upload.filename != put.filename || !self.signer.verify(&Self::claims(&upload, expires_s), signature) {
            return Err(PutRefusal::NotPermitted);
        }
        if upload.uploaded_ms.is_some() {
            return Err(PutRefusal::AlreadyUploaded);
        }
        if now_ms >= expires_s.saturating_mul(1000) {
            return Err(PutRefusal::Expired);
        }
        let announced = upload.size;
        match put.content_length {
            None => return Err(PutRefusal::LengthRequired),
            Some(n) if n > announced => return Err(PutRefusal::TooLarge { announced }),
            Some(n) if n < announced => return Err(PutRefusal::WrongSize { announced }),
            Some(_) => {}
        }
        if !protocol::same_content_type(&upload.content_type, put.content_type) {
            return Err(PutRefusal::WrongContentType {
                announced: upload.content_type,
            });
        }
        let claim = self.in_flight.claim(&upload.id).ok_or(PutRefusal::InProgress)?;
        let file = self
            .files
            .create(&upload.id, announced, claim)
            .await
            .map_err(|e| unavailable("creating an upload file", e))?;
        Ok(PutWriter { file, id: upload.id })
    }

    async fn open_download_at(
        &self,
        core: &Core,
        id: &str,
        filename: &str,
        now_ms: i64,
    ) -> Result<Download, GetRefusal> {
        if !files::valid_id(id) {
            return Err(GetRefusal::NotFound);
        }
        let upload = match core.stores.uploads.upload(id).await {
            Ok(Some(u)) if u.uploaded_ms.is_some() && u.filename == filename && !self.expired(&u, now_ms) => u,
            Ok(_) => return Err(GetRefusal::NotFound),
            Err(e) => {
                tracing::error!(error = %e, "reading an upload failed");
                return Err(GetRefusal::Unavailable);
            }
        };
        let (file, len) = match self.files.open_file(id).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(id, "an upload's file is missing");
                return Err(GetRefusal::NotFound);
            }
            Err(e) => {
                tracing::error!(id, error = %e, "opening an upload failed");
                return Err(GetRefusal::Unavailable);
            }
        };
        if len != upload.size {
            tracing::warn!(id, len, size = upload.size, "an upload's file has the wrong size");
            return Err(GetRefusal::NotFound);
        }
        let content_type = if upload.content_type.is_empty() {
            "application/octet-stream".to_owned()
        } else {
            upload.content_type
        };
        Ok(Download {
            file,
            size: len,
            content_type,
            filename: upload.filename,
        })
    }

    /// Deletes what is due at `now_ms`: uploads past `expire_after`, slots whose PUT
    /// window closed unused. A PUT under way is left alone. The file goes first, so a
    /// failure leaves a record the next sweep finds again, never an orphan file.
    pub(crate) async fn sweep(&self, core: &Core, now_ms: i64) -> Result<usize, StoreError> {
        let due = DueUploads {
            uploaded_before_ms: self
                .settings
                .expire_after
                .map(|keep| now_ms.saturating_sub(keep.as_millis() as i64) + 1),
            put_until_before_ms: now_ms,
            limit: SWEEP_BATCH,
        };
        let mut deleted = 0;
        loop {
            let batch = core.stores.uploads.due_uploads(due).await?;
            let mut progress = false;
            for u in &batch {
                if self.in_flight.contains(&u.id) {
                    continue;
                }
                self.delete(core, &u.id).await?;
                deleted += 1;
                progress = true;
            }
            if batch.len() < SWEEP_BATCH || !progress {
                return Ok(deleted);
            }
        }
    }

    /// Deletes one upload: its file, then its record.
    async fn delete(&self, core: &Core, id: &str) -> Result<(), StoreError> {
        self.files
            .remove(id)
            .await
            .map_err(|e| StoreError::Unavailable(Cause::msg(format!("cannot remove upload {id}: {e}"))))?;
        core.stores.uploads.delete_upload(id).await
    }
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> PutRefusal {
    tracing::error!(error = %e, "{what} failed");
    PutRefusal::Unavailable
}

/// A fresh slot id: `bytes` random bytes, lowercase hex.
fn new_id(bytes: usize) -> String {
    use rand::RngCore;
    let mut id = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut id);
    super::hex(&id)
}

/// A file name as a URL path segment: everything but RFC 3986 unreserved characters
/// percent-encoded.
fn encode_filename(name: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(name, SEGMENT).to_string()
}

/// Answers slot requests (§4).
struct SlotIq;

#[async_trait]
impl IqHandler for SlotIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(StanzaError::new(Condition::BadRequest).with_text("A slot request is an IQ of type get"));
        }
        let uploads = core.uploads.as_deref().ok_or(Condition::ServiceUnavailable)?;
        uploads.request_slot(core, &request, super::archive::now_ms()).await
    }
}

#[async_trait]
impl Service for Uploads {
    async fn handle(&self, core: &Core, Routed { from, to, stanza }: Routed) -> Result<(), RouteError> {
        match stanza.name.as_str() {
            "iq" => {
                if !IqType::of(&stanza).is_some_and(IqType::is_request) {
                    return Ok(());
                }
                // The service is one entity: its domain.
                let reply = if to.node().is_some() || to.resource().is_some() {
                    error_reply(&stanza, Condition::ServiceUnavailable)
                } else {
                    self.service.dispatch(core, &from, &to, &stanza).await
                };
                core.route(to, reply).await
            }
            "message" => {
                let error = StanzaError::new(Condition::ServiceUnavailable);
                core.bounce(&to, &stanza, error).await;
                Ok(())
            }
            // The service has no presence.
            _ => Ok(()),
        }
    }
}

/// A PUT as the HTTP door received it.
#[derive(Debug, Clone, Copy)]
pub struct PutRequest<'a> {
    /// The slot id (the first path segment below the handler's path).
    pub id: &'a str,
    /// The file name (the second segment, percent-decoded).
    pub filename: &'a str,
    /// The URL's query.
    pub query: Option<&'a str>,
    pub content_length: Option<u64>,
    pub content_type: Option<&'a str>,
}

/// A PUT accepted: the door writes the body through it, then calls
/// [`PutWriter::finish`]. Dropped unfinished, nothing of it is kept and the slot can be
/// used again (within its window).
pub struct PutWriter {
    file: PutFile,
    id: String,
}

impl PutWriter {
    /// Appends a piece of the body; more than announced is refused.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), PutRefusal> {
        self.file.write(bytes).await.map_err(write_refusal)
    }

    /// The whole body has arrived: stores the file and marks the slot uploaded.
    pub async fn finish(mut self, core: &Core) -> Result<(), PutRefusal> {
        self.file.commit().await.map_err(write_refusal)?;
        match core
            .stores
            .uploads
            .complete_upload(&self.id, super::archive::now_ms())
            .await
        {
            Ok(()) => Ok(()),
            // Uploaded meanwhile by another node: the file is the slot's either way.
            Err(StoreError::Conflict) => Err(PutRefusal::AlreadyUploaded),
            // The slot was withdrawn meanwhile (its account removed).
            Err(StoreError::NotFound) => {
                self.file.discard().await;
                Err(PutRefusal::NotPermitted)
            }
            Err(e) => {
                self.file.discard().await;
                Err(unavailable("recording an upload", e))
            }
        }
    }
}

fn write_refusal(e: WriteError) -> PutRefusal {
    match e {
        WriteError::TooLong(announced) => PutRefusal::TooLarge { announced },
        WriteError::TooShort { expected, .. } => PutRefusal::WrongSize { announced: expected },
        WriteError::Io(e) => unavailable("writing an upload", e),
    }
}

/// A file to serve.
pub struct Download {
    pub file: tokio::fs::File,
    pub size: u64,
    /// As announced by the uploader (checked when the slot was given), or
    /// `application/octet-stream`.
    pub content_type: String,
    pub filename: String,
}

/// Checks a PUT against its slot and opens the file to write the body to.
pub async fn begin_put(core: &Core, put: PutRequest<'_>) -> Result<PutWriter, PutRefusal> {
    let uploads = core.uploads.as_deref().ok_or(PutRefusal::Disabled)?;
    uploads.begin_put_at(core, put, super::archive::now_ms()).await
}

/// The uploaded file `id` named `filename`, if it is there to be served.
pub async fn open_download(core: &Core, id: &str, filename: &str) -> Result<Download, GetRefusal> {
    let uploads = core.uploads.as_deref().ok_or(GetRefusal::NotFound)?;
    uploads
        .open_download_at(core, id, filename, super::archive::now_ms())
        .await
}

impl Core {
    /// Tells the upload service the URL files are served under (`@HOST@` for each host),
    /// unless the configuration named one. Called by the composition root once the
    /// listener serving uploads is bound.
    pub fn set_upload_base_url(&self, base_url: &str) {
        if let Some(u) = &self.uploads {
            let _ = u.base_url.set(base_url.trim_end_matches('/').to_owned());
        }
    }

    /// Deletes expired uploads and abandoned slots for ever, every
    /// `Uploads::sweep_interval` (run by the composition root when uploads are on).
    pub async fn expire_uploads(self: Arc<Self>) {
        let Some(uploads) = self.uploads.clone() else { return };
        let mut tick = tokio::time::interval(uploads.sweep_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match uploads.sweep(&self, super::archive::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired uploads deleted"),
                Err(e) => tracing::warn!(error = %e, "the upload expiry sweep failed; will retry"),
            }
        }
    }
}

/// A removed account's uploads go with it: files and records.
pub(crate) struct DeleteUploadsOfRemovedAccount;

#[async_trait]
impl Subscriber for DeleteUploadsOfRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        let (AccountEvent::Removed(jid), Some(uploads)) = (event, core.uploads.as_deref()) else {
            return Ok(());
        };
        for u in core.stores.uploads.uploads_of(jid.as_str()).await? {
            uploads.delete(core, &u.id).await?;
        }
        Ok(())
    }
}
