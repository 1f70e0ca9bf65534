//! User Avatar Compatibility (XEP-0398): a user's avatar is the same whichever way a
//! client sets or reads it. Publishing XEP-0084 avatar metadata (PEP) copies the image
//! into the vCard's `PHOTO` (XEP-0153); setting a vCard with a `PHOTO` publishes the image
//! and its metadata to PEP; and the user's presence carries the avatar's hash in
//! `<x xmlns='vcard-temp:x:update'><photo/></x>` (§4) when the client did not put one.
//! Advertised as `urn:xmpp:pep-vcard-conversion:0` on the account (needs PEP and vCards).
//!
//! The avatar id of XEP-0084 is the SHA-1 of the image, the same hash XEP-0153 puts in
//! presence, so one value serves both; each account's current hash is remembered after
//! it is first read, and updated by both conversions.

use crate::core::caches::Cache;
use crate::core::stanza::ns;
use crate::core::Core;
use crate::store::UserDataKind;
use crate::xml::{parse_element, Element, Node};
use base64::Engine;
use jid::BareJid;
use sha1::{Digest, Sha1};

pub(crate) const DATA: &str = "urn:xmpp:avatar:data";
pub(crate) const METADATA: &str = "urn:xmpp:avatar:metadata";
pub(crate) const FEATURE: &str = "urn:xmpp:pep-vcard-conversion:0";
const VCARD_UPDATE: &str = "vcard-temp:x:update";

fn enabled(core: &Core) -> bool {
    core.settings.pep.is_some() && core.settings.vcard.is_some()
}

/// The `<info/>` of the newest metadata item: (id, type); `None` when the user has
/// published no avatar or disabled it (an empty `<metadata/>`).
async fn current_info(core: &Core, owner: &BareJid) -> Option<(String, String)> {
    let items = core
        .stores
        .pep
        .pep_items(owner.as_str(), METADATA, Some(1))
        .await
        .ok()?;
    let metadata = parse_element(&items.last()?.payload).ok()?;
    let info = metadata.child("info", METADATA)?;
    Some((
        info.attr("id")?.to_owned(),
        info.attr("type").unwrap_or("image/png").to_owned(),
    ))
}

/// The user's avatar hash, from memory or storage.
async fn hash_of(core: &Core, owner: &BareJid) -> String {
    if let Some(h) = core.caches.avatar_hashes.get(owner.as_str()) {
        return h;
    }
    let hash = current_info(core, owner).await.map(|(id, _)| id).unwrap_or_default();
    core.caches.avatar_hashes.set(owner.as_str(), hash.clone());
    hash
}

/// `owner` published avatar metadata over PEP: the vCard's `PHOTO` follows.
pub(crate) async fn metadata_published(core: &Core, owner: &BareJid) {
    if !enabled(core) {
        return;
    }
    let info = current_info(core, owner).await;
    let photo = match &info {
        None => None,
        Some((id, kind)) => {
            let data = core
                .stores
                .pep
                .pep_items_by_id(owner.as_str(), DATA, std::slice::from_ref(id))
                .await
                .ok()
                .and_then(|items| items.into_iter().next())
                .and_then(|item| parse_element(&item.payload).ok())
                .map(|data| data.text());
            // Metadata pointing at an image not (yet) published: nothing to copy.
            let Some(data) = data else { return };
            Some(
                Element::new("PHOTO", ns::VCARD)
                    .with_child(Element::new("TYPE", ns::VCARD).with_text(kind.clone()))
                    .with_child(Element::new("BINVAL", ns::VCARD).with_text(data.trim().to_owned())),
            )
        }
    };
    let stored = core
        .stores
        .user_data
        .user_data(owner.as_str(), UserDataKind::Vcard, "")
        .await
        .ok()
        .flatten();
    let mut vcard = stored
        .and_then(|s| parse_element(&s).ok())
        .unwrap_or_else(|| Element::new("vCard", ns::VCARD));
    vcard
        .children
        .retain(|n| !matches!(n, Node::Element(e) if e.is("PHOTO", ns::VCARD)));
    if let Some(photo) = photo {
        vcard.children.push(Node::Element(photo));
    }
    let xml = vcard.to_xml("");
    let fits = core.settings.vcard.as_ref().is_some_and(|v| xml.len() <= v.max_size);
    if !fits {
        tracing::debug!(%owner, "the avatar does not fit in the vCard; the vCard keeps its old PHOTO");
        return;
    }
    if let Err(e) = core
        .stores
        .user_data
        .put_user_data(owner.as_str(), UserDataKind::Vcard, "", &xml, 1)
        .await
    {
        tracing::warn!(%owner, error = %e, "the vCard could not follow the avatar");
        return;
    }
    core.caches
        .avatar_hashes
        .set(owner.as_str(), info.map(|(id, _)| id).unwrap_or_default());
}

/// `owner` set `vcard`: its `PHOTO`, if new, is published as the XEP-0084 avatar.
pub(crate) async fn vcard_set(core: &Core, owner: &BareJid, vcard: &Element) {
    if !enabled(core) {
        return;
    }
    let photo = vcard.child("PHOTO", ns::VCARD);
    let binval = photo.and_then(|p| p.child("BINVAL", ns::VCARD)).map(|b| b.text());
    let Some(binval) = binval else {
        // No photo: a user who had an avatar now has none.
        if !hash_of(core, owner).await.is_empty() {
            super::publish_for_owner(core, owner, METADATA, "current", Element::new("metadata", METADATA)).await;
            core.caches.avatar_hashes.set(owner.as_str(), String::new());
            core.cached_changed(Cache::AvatarHash, owner.as_str()).await;
        }
        return;
    };
    let compact: String = binval.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(image) = base64::engine::general_purpose::STANDARD.decode(&compact) else {
        tracing::debug!(%owner, "a vCard PHOTO that is not base64 is not converted");
        return;
    };
    let id: String = Sha1::digest(&image).iter().map(|b| format!("{b:02x}")).collect();
    if hash_of(core, owner).await == id {
        return;
    }
    let kind = photo
        .and_then(|p| p.child("TYPE", ns::VCARD))
        .map(|t| t.text())
        .unwrap_or_else(|| "image/png".into());
    super::publish_for_owner(core, owner, DATA, &id, Element::new("data", DATA).with_text(compact)).await;
    let info = Element::new("info", METADATA)
        .with_attr("id", id.as_str())
        .with_attr("bytes", image.len().to_string())
        .with_attr("type", kind);
    super::publish_for_owner(
        core,
        owner,
        METADATA,
        &id,
        Element::new("metadata", METADATA).with_child(info),
    )
    .await;
    core.caches.avatar_hashes.set(owner.as_str(), id.clone());
    core.cached_changed(Cache::AvatarHash, owner.as_str()).await;
}

/// Adds the avatar hash to a presence `owner` broadcasts, unless it has one (§4).
pub(crate) async fn stamp_presence(core: &Core, owner: &BareJid, presence: &mut Element) {
    if !enabled(core) || presence.child("x", VCARD_UPDATE).is_some() {
        return;
    }
    let hash = hash_of(core, owner).await;
    if hash.is_empty() {
        return;
    }
    presence.children.push(Node::Element(
        Element::new("x", VCARD_UPDATE).with_child(Element::new("photo", VCARD_UPDATE).with_text(hash)),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::Harness;

    fn bare(s: &str) -> BareJid {
        BareJid::new(s).unwrap()
    }

    #[tokio::test]
    async fn a_vcard_photo_becomes_the_pep_avatar_and_a_pep_avatar_the_vcard_photo() {
        let h = Harness::new(&["alice"]).await;
        let mut pc = h.online("alice@localhost/pc").await;
        let mut phone = h.online("alice@localhost/phone").await;
        pc.take();
        // A vCard client sets a photo: the PEP avatar appears, with the image's SHA-1 as id.
        let image = b"\x89PNG fake image bytes";
        let b64 = base64::engine::general_purpose::STANDARD.encode(image);
        let id: String = Sha1::digest(image).iter().map(|b| format!("{b:02x}")).collect();
        h.send(
            &pc,
            &format!("<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>{b64}</BINVAL></PHOTO></vCard></iq>"),
        )
        .await;
        assert!(pc
            .take()
            .iter()
            .any(|s| s.attr("id") == Some("v1") && s.attr("type") == Some("result")));
        let alice = bare("alice@localhost");
        let meta = h.stores.pep.pep_items(alice.as_str(), METADATA, Some(1)).await.unwrap();
        assert!(meta[0].payload.contains(&id), "{:?}", meta);
        let data = h
            .stores
            .pep
            .pep_items_by_id(alice.as_str(), DATA, std::slice::from_ref(&id))
            .await
            .unwrap();
        assert!(data[0].payload.contains(&b64));

        // Presence now carries the hash (XEP-0153 / XEP-0398 §4).
        phone.take();
        h.send(&pc, "<presence><show>away</show></presence>").await;
        let seen = phone.take().into_iter().find(|s| s.name == "presence").unwrap();
        let photo = seen
            .child("x", VCARD_UPDATE)
            .and_then(|x| x.child("photo", VCARD_UPDATE))
            .map(|p| p.text());
        assert_eq!(photo.as_deref(), Some(id.as_str()));

        // A PEP client publishes another avatar: the vCard's PHOTO follows, FN kept.
        let image2 = b"GIF89a another";
        let b64_2 = base64::engine::general_purpose::STANDARD.encode(image2);
        let id2: String = Sha1::digest(image2).iter().map(|b| format!("{b:02x}")).collect();
        h.send(&pc, &format!("<iq type='set' id='d'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:data'><item id='{id2}'><data xmlns='urn:xmpp:avatar:data'>{b64_2}</data></item></publish></pubsub></iq>")).await;
        h.send(&pc, &format!("<iq type='set' id='m'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:metadata'><item id='{id2}'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='{id2}' bytes='14' type='image/gif'/></metadata></item></publish></pubsub></iq>")).await;
        let vcard = h
            .stores
            .user_data
            .user_data(alice.as_str(), UserDataKind::Vcard, "")
            .await
            .unwrap()
            .unwrap();
        assert!(
            vcard.contains(&b64_2) && vcard.contains("image/gif") && vcard.contains("Alice"),
            "{vcard}"
        );
        assert!(!vcard.contains(&b64), "{vcard}");
    }
}
