//! What each account keeps on its bare JID besides PEP, in the per-account document
//! store: [`vcard`] (vcard-temp, XEP-0054; setting one with a photo converts it to the
//! PEP avatar, `pep::avatar_sync`) and [`private`] (private XML storage, XEP-0049).
//!
//! Events: hears the removal of an account (its documents go); emits none.

pub mod private;
pub mod vcard;
