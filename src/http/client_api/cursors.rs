//! The paging parameters every archive listing takes (`limit`, `before`, `after_id`,
//! `before_id`), read into the core's [`Page`].
//!
//! `limit` and `before` reach the operation already checked by the contract (their types
//! and range are in the spec). The cursors are strings in the spec (archive ids do not fit
//! a JavaScript number), so they are read here: 1 to 19 decimal digits, as the spec's
//! `pattern` says (beyond `i64::MAX` they mean `i64::MAX`); anything else is
//! `400 "Invalid value of 'after_id'"` / `"Invalid value of 'before_id'"`, `after_id`
//! first, as the spec lists them.

use crate::core::archive::{parse_id, Page};

/// Listings return this many items unless the request says otherwise.
const DEFAULT_LIMIT: u16 = 50;

/// The page a listing asks for, or the text of its `400`.
pub(super) fn page(
    limit: Option<u16>,
    before: Option<i64>,
    after_id: Option<String>,
    before_id: Option<String>,
) -> Result<Page, &'static str> {
    let cursor = |given: Option<String>, error| match given {
        None => Ok(None),
        Some(text) => parse_id(&text).map(Some).ok_or(error),
    };
    Ok(Page {
        limit: limit.unwrap_or(DEFAULT_LIMIT) as usize,
        before_ms: before,
        after_id: cursor(after_id, "Invalid value of 'after_id'")?,
        before_id: cursor(before_id, "Invalid value of 'before_id'")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_archive_ids_and_anything_else_gets_its_documented_text() {
        assert_eq!(page(None, None, None, None), Ok(Page::newest(50)));
        assert_eq!(
            page(
                Some(7),
                Some(1000),
                Some("12".into()),
                Some("113573093703696384".into())
            ),
            Ok(Page {
                limit: 7,
                before_ms: Some(1000),
                after_id: Some(12),
                before_id: Some(113573093703696384),
            })
        );
        for bad in ["", "x", "-1", "+1", "1e3", " 1", "12345678901234567890"] {
            assert_eq!(
                page(None, None, Some(bad.into()), None),
                Err("Invalid value of 'after_id'"),
                "{bad:?}"
            );
            assert_eq!(
                page(None, None, None, Some(bad.into())),
                Err("Invalid value of 'before_id'"),
                "{bad:?}"
            );
        }
        // Beyond every archive id: nothing is after it, everything before it.
        assert_eq!(
            page(
                None,
                None,
                Some("9999999999999999999".into()),
                Some("9223372036854775808".into())
            ),
            Ok(Page {
                limit: 50,
                before_ms: None,
                after_id: Some(i64::MAX),
                before_id: Some(i64::MAX),
            })
        );
        assert_eq!(
            page(None, None, Some("x".into()), Some("y".into())),
            Err("Invalid value of 'after_id'")
        );
        assert_eq!(
            page(None, None, Some("9223372036854775807".into()), None).map(|p| p.after_id),
            Ok(Some(i64::MAX))
        );
    }
}
