//! The upload service in process, on in-memory records and a temporary directory: slot
//! requests as an XMPP client sends them, PUTs and GETs through the operations the HTTP
//! door calls, and the expiry sweep on a clock of the test's choosing.

use super::*;
use crate::core::testkit::{condition, xml, Harness};
use crate::xml::Element;
use jid::Jid;

const SERVICE: &str = "upload.localhost";
const DAY_MS: i64 = 86_400_000;

struct Setup {
    h: Harness,
    dir: tempfile::TempDir,
}

fn settings(dir: &std::path::Path) -> UploadSettings {
    UploadSettings {
        host: "upload.@HOST@".into(),
        max_file_size: 1000,
        user_quota: 1500,
        put_window: Duration::from_secs(300),
        token_bytes: 16,
        expire_after: Some(Duration::from_secs(86_400)),
        dir: dir.join("uploads"),
        key_file: dir.join("upload.key"),
        base_url: Some("https://@HOST@:8443/files/".into()),
    }
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut s = crate::core::testkit::settings();
    s.uploads = Some(settings(dir.path()));
    let h = Harness::with(s, &["alice", "bob"], Vec::new()).await;
    Setup { h, dir }
}

impl Setup {
    fn uploads(&self) -> &Uploads {
        self.h.core.uploads.as_deref().unwrap()
    }

    /// What the service answers `from` for the IQ `stanza`.
    async fn ask(&self, from: &str, stanza: &str) -> Element {
        let mut stanza = xml(stanza);
        stanza.set_attr("from", from);
        let from = Jid::new(from).unwrap();
        let to = Jid::new(SERVICE).unwrap();
        self.uploads().service.dispatch(&self.h.core, &from, &to, &stanza).await
    }

    async fn request(&self, from: &str, attrs: &str) -> Element {
        self.ask(
            from,
            &format!("<iq type='get' id='r1' to='{SERVICE}'><request xmlns='urn:xmpp:http:upload:0' {attrs}/></iq>"),
        )
        .await
    }

    /// A slot for alice: (id, file name, PUT query, GET URL).
    async fn slot(&self, attrs: &str) -> Slot {
        let reply = self.request("alice@localhost/a", attrs).await;
        assert_eq!(reply.attr("type"), Some("result"), "{}", reply.to_xml(""));
        let slot = reply.child("slot", ns::HTTP_UPLOAD).unwrap();
        let put = slot.child("put", ns::HTTP_UPLOAD).unwrap().attr("url").unwrap();
        let get = slot.child("get", ns::HTTP_UPLOAD).unwrap().attr("url").unwrap();
        let (path, query) = put.split_once('?').unwrap();
        assert_eq!(path, get, "PUT and GET name the same file");
        let rest = get.strip_prefix("https://localhost:8443/files/").unwrap();
        let (id, name) = rest.split_once('/').unwrap();
        Slot {
            id: id.into(),
            filename: percent_encoding::percent_decode_str(name).decode_utf8().unwrap().into(),
            query: query.into(),
            get: get.into(),
        }
    }

    async fn put(&self, slot: &Slot, length: Option<u64>, content_type: Option<&str>) -> Result<PutWriter, PutRefusal> {
        self.put_query(slot, &slot.query, length, content_type).await
    }

    async fn put_query(
        &self,
        slot: &Slot,
        query: &str,
        length: Option<u64>,
        content_type: Option<&str>,
    ) -> Result<PutWriter, PutRefusal> {
        begin_put(
            &self.h.core,
            PutRequest {
                id: &slot.id,
                filename: &slot.filename,
                query: Some(query),
                content_length: length,
                content_type,
            },
        )
        .await
    }

    /// Uploads `body` into `slot`.
    async fn upload(&self, slot: &Slot, body: &[u8], content_type: &str) {
        let mut w = self
            .put(slot, Some(body.len() as u64), Some(content_type))
            .await
            .unwrap();
        w.write(body).await.unwrap();
        w.finish(&self.h.core).await.unwrap();
    }

    async fn download(&self, slot: &Slot) -> Result<Vec<u8>, GetRefusal> {
        use tokio::io::AsyncReadExt;
        let mut d = open_download(&self.h.core, &slot.id, &slot.filename).await?;
        let mut body = Vec::new();
        d.file.read_to_end(&mut body).await.unwrap();
        assert_eq!(d.size, body.len() as u64);
        Ok(body)
    }

    fn files_on_disk(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("uploads")).unwrap().count()
    }
}

struct Slot {
    id: String,
    filename: String,
    query: String,
    get: String,
}

#[tokio::test]
async fn the_service_is_discovered_with_its_size_limit() {
    let s = setup().await;
    let info = s
        .ask(
            "alice@localhost/a",
            &format!(
                "<iq type='get' id='d1' to='{SERVICE}'><query xmlns='{}'/></iq>",
                ns::DISCO_INFO
            ),
        )
        .await;
    let query = info.child("query", ns::DISCO_INFO).unwrap();
    let identity = query.child("identity", ns::DISCO_INFO).unwrap();
    assert_eq!(
        (identity.attr("category"), identity.attr("type")),
        (Some("store"), Some("file"))
    );
    let features: Vec<&str> = query
        .elements()
        .filter(|e| e.name == "feature")
        .filter_map(|e| e.attr("var"))
        .collect();
    assert!(features.contains(&ns::HTTP_UPLOAD), "{features:?}");
    let form = query.child("x", ns::DATA_FORMS).unwrap();
    let value = |var: &str| {
        form.elements()
            .find(|f| f.attr("var") == Some(var))
            .and_then(|f| f.child("value", ns::DATA_FORMS))
            .map(Element::text)
    };
    assert_eq!(value("FORM_TYPE").as_deref(), Some(ns::HTTP_UPLOAD));
    assert_eq!(value("max-file-size").as_deref(), Some("1000"));

    // The server lists it among its services.
    let mut alice = s.h.online("alice@localhost/a").await;
    s.h.send(
        &alice,
        "<iq type='get' id='i1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let items = alice.take_one();
    let jids: Vec<&str> = items
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .filter_map(|i| i.attr("jid"))
        .collect();
    assert!(jids.contains(&SERVICE), "{jids:?}");
}

#[tokio::test]
async fn a_slot_request_over_the_router_gets_a_slot_back() {
    let s = setup().await;
    let mut alice = s.h.online("alice@localhost/a").await;
    s.h.send(
        &alice,
        &format!(
            "<iq type='get' id='s1' to='{SERVICE}'><request xmlns='urn:xmpp:http:upload:0' \
             filename='a b.txt' size='3' content-type='text/plain'/></iq>"
        ),
    )
    .await;
    let reply = alice.take_one();
    assert_eq!(reply.attr("from"), Some(SERVICE));
    let get = reply
        .child("slot", ns::HTTP_UPLOAD)
        .and_then(|s| s.child("get", ns::HTTP_UPLOAD))
        .and_then(|g| g.attr("url"))
        .unwrap();
    assert!(
        get.starts_with("https://localhost:8443/files/") && get.ends_with("/a%20b.txt"),
        "{get}"
    );
    // A message to the service is refused; presence is ignored.
    s.h.send(&alice, &format!("<message to='{SERVICE}'><body>hi</body></message>"))
        .await;
    assert_eq!(condition(&alice.take_one()).as_deref(), Some("service-unavailable"));
    s.h.send(&alice, &format!("<presence to='{SERVICE}'/>")).await;
    assert!(alice.take().is_empty());
}

#[tokio::test]
async fn slots_are_refused_as_xep_0363_says() {
    let s = setup().await;
    let too_big = s
        .request(
            "alice@localhost/a",
            "filename='big.bin' size='1001' content-type='application/octet-stream'",
        )
        .await;
    assert_eq!(condition(&too_big).as_deref(), Some("not-acceptable"));
    let max = too_big
        .child("error", ns::CLIENT)
        .and_then(|e| e.child("file-too-large", ns::HTTP_UPLOAD))
        .and_then(|f| f.child("max-file-size", ns::HTTP_UPLOAD))
        .map(Element::text);
    assert_eq!(max.as_deref(), Some("1000"));

    let bad = s.request("alice@localhost/a", "filename='x' size='ten'").await;
    assert_eq!(condition(&bad).as_deref(), Some("bad-request"));
    let bad = s.request("alice@localhost/a", "size='10'").await;
    assert_eq!(condition(&bad).as_deref(), Some("bad-request"));
    let set = s
        .ask(
            "alice@localhost/a",
            &format!("<iq type='set' id='r2' to='{SERVICE}'><request xmlns='urn:xmpp:http:upload:0' filename='a' size='1'/></iq>"),
        )
        .await;
    assert_eq!(condition(&set).as_deref(), Some("bad-request"));

    for stranger in ["mallory@elsewhere.example/x", "localhost", "muclight.localhost"] {
        let refused = s.request(stranger, "filename='a' size='1'").await;
        assert_eq!(condition(&refused).as_deref(), Some("forbidden"), "{stranger}");
    }
    assert!(s
        .h
        .stores
        .uploads
        .uploads_of("alice@localhost")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_quota_counts_every_slot_until_files_go() {
    let s = setup().await;
    let first = s.slot("filename='a.bin' size='1000'").await;
    let over = s.request("alice@localhost/a", "filename='b.bin' size='600'").await;
    assert_eq!(condition(&over).as_deref(), Some("resource-constraint"));
    assert_eq!(over.child("error", ns::CLIENT).unwrap().attr("type"), Some("wait"));
    // Up to the quota exactly, and bob has his own.
    s.slot("filename='b.bin' size='500'").await;
    let reply = s.request("bob@localhost/b", "filename='c.bin' size='1000'").await;
    assert_eq!(reply.attr("type"), Some("result"));
    // Alice's unused first slot is swept once its window closes, and its quota freed.
    assert_eq!(s.uploads().sweep(&s.h.core, now_ms() + 301_000).await.unwrap(), 3);
    assert!(s.h.stores.uploads.upload(&first.id).await.unwrap().is_none());
    s.slot("filename='d.bin' size='1000'").await;
}

fn now_ms() -> i64 {
    crate::core::archive::now_ms()
}

#[tokio::test]
async fn a_file_is_put_once_then_served() {
    let s = setup().await;
    let slot = s
        .slot("filename='très jolie.txt' size='5' content-type='text/plain; charset=utf-8'")
        .await;
    assert_eq!(slot.filename, "très jolie.txt");
    assert_eq!(
        s.download(&slot).await,
        Err(GetRefusal::NotFound),
        "nothing before the PUT"
    );
    s.upload(&slot, b"hello", "Text/Plain;charset=UTF-8").await;
    assert_eq!(s.download(&slot).await.unwrap(), b"hello");
    let d = open_download(&s.h.core, &slot.id, &slot.filename).await.unwrap();
    assert_eq!(d.content_type, "text/plain; charset=utf-8");
    // Another name with the same id finds nothing.
    assert!(matches!(
        open_download(&s.h.core, &slot.id, "other.txt").await,
        Err(GetRefusal::NotFound)
    ));
    // Once is all.
    assert_eq!(
        s.put(&slot, Some(5), Some("text/plain")).await.err(),
        Some(PutRefusal::AlreadyUploaded)
    );
    assert!(slot.get.contains(&slot.id));
}

#[tokio::test]
async fn a_put_must_be_exactly_what_the_slot_announced() {
    let s = setup().await;
    let slot = s.slot("filename='a.jpg' size='4' content-type='image/jpeg'").await;
    let refused = |r: Result<PutWriter, PutRefusal>| r.err();
    assert_eq!(
        refused(s.put(&slot, None, Some("image/jpeg")).await),
        Some(PutRefusal::LengthRequired)
    );
    assert_eq!(
        refused(s.put(&slot, Some(5), Some("image/jpeg")).await),
        Some(PutRefusal::TooLarge { announced: 4 })
    );
    assert_eq!(
        refused(s.put(&slot, Some(3), Some("image/jpeg")).await),
        Some(PutRefusal::WrongSize { announced: 4 })
    );
    assert_eq!(
        refused(s.put(&slot, Some(4), Some("text/html")).await),
        Some(PutRefusal::WrongContentType {
            announced: "image/jpeg".into()
        })
    );
    assert_eq!(
        refused(s.put(&slot, Some(4), None).await),
        Some(PutRefusal::WrongContentType {
            announced: "image/jpeg".into()
        })
    );

    // A body that says one length and brings another is refused as it comes.
    let mut w = s.put(&slot, Some(4), Some("image/jpeg")).await.unwrap();
    assert_eq!(
        refused(s.put(&slot, Some(4), Some("image/jpeg")).await),
        Some(PutRefusal::InProgress),
        "one PUT at a time"
    );
    w.write(b"abc").await.unwrap();
    assert_eq!(w.write(b"de").await.err(), Some(PutRefusal::TooLarge { announced: 4 }));
    drop(w);
    let mut w = s.put(&slot, Some(4), Some("image/jpeg")).await.unwrap();
    w.write(b"abc").await.unwrap();
    assert_eq!(
        w.finish(&s.h.core).await.err(),
        Some(PutRefusal::WrongSize { announced: 4 })
    );
    assert_eq!(s.files_on_disk(), 0, "refused bodies leave nothing behind");
    // The slot is still good for a proper PUT.
    s.upload(&slot, b"abcd", "image/jpeg").await;
    assert_eq!(s.download(&slot).await.unwrap(), b"abcd");
}

#[tokio::test]
async fn a_tampered_or_expired_put_url_is_refused() {
    let s = setup().await;
    let slot = s.slot("filename='a.jpg' size='4'").await;
    let (expires, signature) = signing::parse_put_query(&slot.query).unwrap();
    let mut flipped = signature.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
    let flipped = String::from_utf8(flipped).unwrap();
    for query in [
        signing::put_query(expires, &flipped),
        signing::put_query(expires + 3600, signature),
        format!("expires={expires}"),
        String::new(),
    ] {
        assert_eq!(
            s.put_query(&slot, &query, Some(4), None).await.err(),
            Some(PutRefusal::NotPermitted),
            "{query}"
        );
    }
    // The GET URL, which is shared, does not allow a PUT.
    let other_name = Slot {
        filename: "b.jpg".into(),
        ..slot
    };
    assert_eq!(
        s.put(&other_name, Some(4), None).await.err(),
        Some(PutRefusal::NotPermitted)
    );
    let slot = Slot {
        filename: "a.jpg".into(),
        ..other_name
    };
    let unknown = Slot {
        id: "00".repeat(16),
        filename: slot.filename.clone(),
        query: slot.query.clone(),
        get: String::new(),
    };
    assert_eq!(
        s.put(&unknown, Some(4), None).await.err(),
        Some(PutRefusal::NotPermitted)
    );
    let request = PutRequest {
        id: &slot.id,
        filename: &slot.filename,
        query: Some(&slot.query),
        content_length: Some(4),
        content_type: None,
    };
    let late = s.uploads().begin_put_at(&s.h.core, request, (expires + 1) * 1000).await;
    assert_eq!(late.err(), Some(PutRefusal::Expired));
    // Within the window, no content type announced: any is taken.
    s.upload(&slot, b"abcd", "image/png").await;
    let d = open_download(&s.h.core, &slot.id, &slot.filename).await.unwrap();
    assert_eq!(d.content_type, "application/octet-stream");
}

#[tokio::test]
async fn uploads_expire_on_the_sweep_after_their_time() {
    let s = setup().await;
    let slot = s.slot("filename='a.txt' size='2'").await;
    s.upload(&slot, b"hi", "text/plain").await;
    let uploaded =
        s.h.stores
            .uploads
            .upload(&slot.id)
            .await
            .unwrap()
            .unwrap()
            .uploaded_ms
            .unwrap();
    assert_eq!(s.files_on_disk(), 1);
    let u = s.uploads();
    assert_eq!(u.sweep(&s.h.core, uploaded + DAY_MS - 1).await.unwrap(), 0);
    assert_eq!(s.download(&slot).await.unwrap(), b"hi");
    // Due: no longer served, even before the sweep comes by.
    let due = s
        .uploads()
        .open_download_at(&s.h.core, &slot.id, &slot.filename, uploaded + DAY_MS)
        .await;
    assert!(matches!(due, Err(GetRefusal::NotFound)));
    assert_eq!(u.sweep(&s.h.core, uploaded + DAY_MS).await.unwrap(), 1);
    assert_eq!(s.files_on_disk(), 0);
    assert!(s.h.stores.uploads.upload(&slot.id).await.unwrap().is_none());
    assert_eq!(s.download(&slot).await, Err(GetRefusal::NotFound));
}

#[tokio::test]
async fn the_sweep_leaves_a_put_under_way_alone() {
    let s = setup().await;
    let slot = s.slot("filename='a.txt' size='2'").await;
    let mut w = s.put(&slot, Some(2), None).await.unwrap();
    w.write(b"h").await.unwrap();
    // Its window has closed, but the PUT started within it.
    assert_eq!(s.uploads().sweep(&s.h.core, now_ms() + 400_000).await.unwrap(), 0);
    w.write(b"i").await.unwrap();
    w.finish(&s.h.core).await.unwrap();
    assert_eq!(s.download(&slot).await.unwrap(), b"hi");
}

#[tokio::test]
async fn uploads_never_expire_when_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = crate::core::testkit::settings();
    s.uploads = Some(UploadSettings {
        expire_after: None,
        ..settings(dir.path())
    });
    let h = Harness::with(s, &["alice"], Vec::new()).await;
    let s = Setup { h, dir };
    let slot = s.slot("filename='a.txt' size='2'").await;
    s.upload(&slot, b"hi", "text/plain").await;
    assert_eq!(s.uploads().sweep(&s.h.core, now_ms() + 3650 * DAY_MS).await.unwrap(), 0);
    assert_eq!(s.download(&slot).await.unwrap(), b"hi");
    assert_eq!(s.uploads().sweep_interval(), Duration::from_secs(60));
}

#[tokio::test]
async fn a_removed_account_takes_its_uploads_along() {
    let s = setup().await;
    let slot = s.slot("filename='a.txt' size='2'").await;
    s.upload(&slot, b"hi", "text/plain").await;
    let pending = s.slot("filename='b.txt' size='2'").await;
    let bobs = s.request("bob@localhost/b", "filename='c.txt' size='2'").await;
    assert_eq!(bobs.attr("type"), Some("result"));
    s.h.core
        .remove_account(&jid::BareJid::new("alice@localhost").unwrap())
        .await
        .unwrap();
    assert_eq!(s.download(&slot).await, Err(GetRefusal::NotFound));
    assert_eq!(s.files_on_disk(), 0);
    assert!(s
        .h
        .stores
        .uploads
        .uploads_of("alice@localhost")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.put(&pending, Some(2), None).await.err(),
        Some(PutRefusal::NotPermitted)
    );
    assert_eq!(s.h.stores.uploads.uploads_of("bob@localhost").await.unwrap().len(), 1);
}

#[test]
fn file_names_are_one_url_path_segment() {
    assert_eq!(encode_filename("a b/c?d#e%f.txt"), "a%20b%2Fc%3Fd%23e%25f.txt");
    assert_eq!(encode_filename("très.jpg"), "tr%C3%A8s.jpg");
    assert_eq!(encode_filename("A-Z_a.z~0"), "A-Z_a.z~0");
    assert_eq!(new_id(16).len(), 32);
    assert_ne!(new_id(16), new_id(16));
}
