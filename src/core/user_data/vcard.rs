//! vcard-temp (XEP-0054): each account's vCard, kept as the XML its owner set.
//!
//! - Anyone may get an account's vCard from its bare JID; an account that set none has an
//!   empty `<vCard/>` (§3.1, one of the two answers the XEP allows).
//! - Only the owner may set it (`forbidden` otherwise); a vCard larger than `max_size`
//!   bytes serialized is refused with `not-acceptable`.
//! - The server domain answers a get with an empty vCard and refuses a set
//!   (`not-allowed`); it advertises `vcard-temp` (§7).

use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::core::Core;
use crate::store::UserDataKind;
use crate::xml::{parse_element, Element};
use async_trait::async_trait;

/// `[modules.mod_vcard]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcardSettings {
    /// Largest vCard, serialized, in bytes.
    pub max_size: usize,
}

impl Default for VcardSettings {
    fn default() -> Self {
        VcardSettings { max_size: 64 * 1024 }
    }
}

fn empty() -> Element {
    Element::new("vCard", ns::VCARD)
}

fn failed(e: crate::store::StoreError) -> StanzaError {
    tracing::error!(error = %e, "vCard storage failed");
    StanzaError::new(Condition::InternalServerError)
}

/// `<vCard xmlns='vcard-temp'/>` to an account's bare JID.
pub(crate) struct VcardIq;

#[async_trait]
impl IqHandler for VcardIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let Some(settings) = core.settings.vcard.as_ref() else {
            return Err(Condition::ServiceUnavailable.into());
        };
        let owner = request.to.to_bare();
        if request.is_get() {
            let stored = core
                .stores
                .user_data
                .user_data(owner.as_str(), UserDataKind::Vcard, "")
                .await
                .map_err(failed)?;
            let vcard = match stored.map(|s| parse_element(&s)) {
                None => empty(),
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    tracing::error!(%owner, error = %e, "unreadable stored vCard");
                    empty()
                }
            };
            return Ok(Some(vcard));
        }
        if !request.for_own_account() {
            return Err(Condition::Forbidden.into());
        }
        let xml = request.payload.to_xml("");
        if xml.len() > settings.max_size {
            return Err(StanzaError::new(Condition::NotAcceptable)
                .with_text(format!("A vCard may take at most {} bytes", settings.max_size)));
        }
        // What is stored must read back as it was sent.
        if parse_element(&xml).ok().as_ref() != Some(request.payload) {
            return Err(StanzaError::with_type(ErrorType::Modify, Condition::BadRequest));
        }
        core.stores
            .user_data
            .put_user_data(owner.as_str(), UserDataKind::Vcard, "", &xml, 1)
            .await
            .map_err(failed)?;
        crate::core::pep::avatar_sync::vcard_set(core, &owner, request.payload).await;
        Ok(None)
    }
}

/// `<vCard xmlns='vcard-temp'/>` to the server domain.
pub(crate) struct ServerVcard;

#[async_trait]
impl IqHandler for ServerVcard {
    async fn handle(&self, _: &Core, request: IqRequest<'_>) -> IqAnswer {
        match request.is_get() {
            true => Ok(Some(empty())),
            false => Err(Condition::NotAllowed.into()),
        }
    }
}
