//! The XML of XEP-0363 (§4 requesting a slot, §5 errors) and the rules a request must
//! follow, as plain functions: no storage, no clock.

use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::xml::Element;

/// Longest accepted file name, in bytes (a common file system limit).
pub(crate) const MAX_FILENAME_BYTES: usize = 255;
/// Longest accepted content type, in bytes.
pub(crate) const MAX_CONTENT_TYPE_BYTES: usize = 255;

/// A slot request (`<request filename size content-type/>`), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotRequest {
    pub filename: String,
    pub size: u64,
    /// Empty when the client did not say.
    pub content_type: String,
}

/// Reads a `<request xmlns='urn:xmpp:http:upload:0'/>`; `Err` carries the text of the
/// `bad-request` the client gets.
pub(crate) fn parse_request(request: &Element) -> Result<SlotRequest, &'static str> {
    let filename = request.attr("filename").ok_or("Missing filename")?;
    if !valid_filename(filename) {
        return Err("Invalid filename");
    }
    let size = request.attr("size").ok_or("Missing size")?;
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Invalid size");
    }
    let size: u64 = size.parse().map_err(|_| "Invalid size")?;
    let content_type = match request.attr("content-type") {
        None => String::new(),
        Some(t) if valid_content_type(t) => t.trim().to_owned(),
        Some(_) => return Err("Invalid content-type"),
    };
    Ok(SlotRequest {
        filename: filename.to_owned(),
        size,
        content_type,
    })
}

/// A file name without a path: it ends up in a URL and in a `Content-Disposition`
/// header, never in a file system path (files are stored under their slot id).
pub(crate) fn valid_filename(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_FILENAME_BYTES
        && name != "."
        && name != ".."
        && !name.chars().any(|c| c == '/' || c == '\\' || c.is_control())
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// `type/subtype` tokens, optionally followed by `;` parameters, all printable ASCII:
/// it is sent back as a `Content-Type` header.
pub(crate) fn valid_content_type(t: &str) -> bool {
    let t = t.trim();
    if t.is_empty() || t.len() > MAX_CONTENT_TYPE_BYTES || !t.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return false;
    }
    let essence = t.split(';').next().unwrap_or_default().trim_end();
    matches!(essence.split_once('/'), Some((a, b)) if is_token(a) && is_token(b))
}

/// Whether the `Content-Type` of a PUT is the one the slot announced (letter case and
/// white space aside). A slot that announced none takes any.
pub(crate) fn same_content_type(announced: &str, given: Option<&str>) -> bool {
    if announced.is_empty() {
        return true;
    }
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_ascii_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    given.is_some_and(|g| norm(g) == norm(announced))
}

/// `<slot>` with the PUT and GET URLs (§4).
pub(crate) fn slot(put_url: &str, get_url: &str) -> Element {
    Element::new("slot", ns::HTTP_UPLOAD)
        .with_child(Element::new("put", ns::HTTP_UPLOAD).with_attr("url", put_url))
        .with_child(Element::new("get", ns::HTTP_UPLOAD).with_attr("url", get_url))
}

/// §5: the file is larger than the service takes.
pub(crate) fn file_too_large(max: u64) -> StanzaError {
    StanzaError::with_type(ErrorType::Modify, Condition::NotAcceptable)
        .with_text(format!("File too large. The maximum file size is {max} bytes"))
        .with_app_condition(
            Element::new("file-too-large", ns::HTTP_UPLOAD)
                .with_child(Element::new("max-file-size", ns::HTTP_UPLOAD).with_text(max.to_string())),
        )
}

/// §5: the user's quota is used up (until some of their files expire).
pub(crate) fn quota_reached(quota: u64) -> StanzaError {
    StanzaError::with_type(ErrorType::Wait, Condition::ResourceConstraint).with_text(format!(
        "Quota reached. You can store at most {quota} bytes of uploads at a time"
    ))
}

/// The XEP-0128 form of the service's disco#info: its namespace and `max-file-size`.
pub(crate) fn info_form(max_file_size: u64) -> Element {
    let field = |var: &str, value: String| {
        Element::new("field", ns::DATA_FORMS)
            .with_attr("var", var)
            .with_child(Element::new("value", ns::DATA_FORMS).with_text(value))
    };
    let mut form_type = field("FORM_TYPE", ns::HTTP_UPLOAD.to_owned());
    form_type.set_attr("type", "hidden");
    Element::new("x", ns::DATA_FORMS)
        .with_attr("type", "result")
        .with_child(form_type)
        .with_child(field("max-file-size", max_file_size.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn request(attrs: &str) -> Result<SlotRequest, &'static str> {
        parse_request(&parse_element(&format!("<request xmlns='urn:xmpp:http:upload:0' {attrs}/>")).unwrap())
    }

    #[test]
    fn a_request_names_a_file_its_size_and_maybe_its_type() {
        assert_eq!(
            request("filename='très jolie.jpg' size='23456' content-type='image/jpeg'"),
            Ok(SlotRequest {
                filename: "très jolie.jpg".into(),
                size: 23456,
                content_type: "image/jpeg".into(),
            })
        );
        assert_eq!(request("filename='a' size='0'").unwrap().content_type, "");
        assert_eq!(
            request("filename='a.txt' size='1' content-type='text/plain; charset=utf-8'")
                .unwrap()
                .content_type,
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn bad_attributes_are_named() {
        for (attrs, text) in [
            ("size='1'", "Missing filename"),
            ("filename='a'", "Missing size"),
            ("filename='' size='1'", "Invalid filename"),
            ("filename='../etc/passwd' size='1'", "Invalid filename"),
            ("filename='a\\b' size='1'", "Invalid filename"),
            ("filename='..' size='1'", "Invalid filename"),
            ("filename='a&#9;b' size='1'", "Invalid filename"),
            ("filename='a' size='-1'", "Invalid size"),
            ("filename='a' size='+1'", "Invalid size"),
            ("filename='a' size='1e3'", "Invalid size"),
            ("filename='a' size='99999999999999999999999'", "Invalid size"),
            ("filename='a' size='1' content-type='jpeg'", "Invalid content-type"),
            ("filename='a' size='1' content-type='image/'", "Invalid content-type"),
            (
                "filename='a' size='1' content-type='image/jpeg&#10;X-Evil: 1'",
                "Invalid content-type",
            ),
            (
                "filename='a' size='1' content-type='ima ge/jpeg'",
                "Invalid content-type",
            ),
        ] {
            assert_eq!(request(attrs), Err(text), "{attrs}");
        }
        let long = "a".repeat(MAX_FILENAME_BYTES + 1);
        assert_eq!(request(&format!("filename='{long}' size='1'")), Err("Invalid filename"));
    }

    #[test]
    fn content_types_compare_without_case_and_spaces() {
        assert!(same_content_type("image/jpeg", Some("Image/JPEG")));
        assert!(same_content_type(
            "text/plain; charset=utf-8",
            Some("text/plain;charset=UTF-8")
        ));
        assert!(!same_content_type("image/jpeg", Some("image/png")));
        assert!(!same_content_type("image/jpeg", None));
        assert!(same_content_type("", Some("anything/at-all")));
        assert!(same_content_type("", None));
    }

    #[test]
    fn errors_carry_the_xep_elements() {
        let e = file_too_large(1024).to_element();
        let xml = e.to_xml("jabber:client");
        assert!(
            xml.contains("<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>1024</max-file-size></file-too-large>"
            ),
            "{xml}"
        );
        assert_eq!(e.attr("type"), Some("modify"));
        let q = quota_reached(10).to_element();
        assert_eq!(q.attr("type"), Some("wait"));
        assert!(q.to_xml("jabber:client").contains("resource-constraint"));
    }
}
