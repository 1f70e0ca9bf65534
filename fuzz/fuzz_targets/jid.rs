//! The JID normaliser (`meerkat::core::jid`): whatever it accepts is in its normal form
//! (parsing the output again gives the same string), has no '@' in the domainpart, no
//! separator inside a part and no empty part; `parse_bare` and `parse_account` agree with `parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meerkat::core::jid::{parse, parse_account, parse_bare};

fuzz_target!(|data: &[u8]| {
    let Ok(given) = std::str::from_utf8(data) else {
        return;
    };
    let full = parse(given);
    if let Ok(jid) = &full {
        let text = jid.to_string();
        let again = parse(&text).unwrap_or_else(|e| panic!("{given:?} became {text:?}, which is refused: {e}"));
        assert_eq!(again.to_string(), text, "normalising {given:?} is not idempotent");
        let domain = jid.domain().as_str();
        assert!(
            !domain.is_empty() && !domain.contains(['@', '/']),
            "{given:?}: domain {domain:?}"
        );
        assert!(jid.node().is_none_or(|n| !n.as_str().contains(['@', '/'])), "{given:?}");
        assert!(!domain.ends_with('.'), "{given:?}: domain {domain:?}");
        assert!(jid.node().is_none_or(|n| !n.as_str().is_empty()), "{given:?}");
        assert!(jid.resource().is_none_or(|r| !r.as_str().is_empty()), "{given:?}");
        assert!(meerkat::xml::is_xml_text(&text), "{given:?}");
    }
    match parse_bare(given) {
        Ok(bare) => {
            let jid = full.as_ref().expect("a bare JID is a JID");
            assert!(jid.resource().is_none(), "{given:?}");
            assert_eq!(bare.to_string(), jid.to_string());
        }
        Err(_) => assert!(full.as_ref().is_ok_and(|j| j.resource().is_some()) || full.is_err()),
    }
    if let Ok(account) = parse_account(given) {
        assert!(account.node().is_some(), "{given:?}");
        assert!(parse_bare(given).is_ok_and(|b| b == account));
    }
});
