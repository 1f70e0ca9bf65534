//! XEP-0004 data forms, as far as the server reads and writes them: a submitted form's
//! fields and values, its `FORM_TYPE` (XEP-0068), and builders for the forms it sends.

use super::stanza::ns;
use crate::xml::Element;

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub var: String,
    /// The `type` attribute, if any (`hidden`, `boolean`, `list-single`…).
    pub kind: Option<String>,
    pub values: Vec<String>,
}

impl Field {
    /// The field's one value (a field sent without a value reads as empty).
    pub fn value(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }
}

/// A parsed `<x xmlns='jabber:x:data'/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form {
    /// The form's `type` (`submit`, `cancel`, `form`, `result`).
    pub kind: String,
    /// Fields in document order; fields without a `var` are left out.
    pub fields: Vec<Field>,
}

impl Form {
    /// Reads a form element; `None` if `x` is not one.
    pub fn parse(x: &Element) -> Option<Form> {
        if !x.is("x", ns::DATA_FORMS) {
            return None;
        }
        let fields = x
            .elements()
            .filter(|f| f.is("field", ns::DATA_FORMS))
            .filter_map(|f| {
                Some(Field {
                    var: f.attr("var")?.to_owned(),
                    kind: f.attr("type").map(str::to_owned),
                    values: f
                        .elements()
                        .filter(|v| v.is("value", ns::DATA_FORMS))
                        .map(Element::text)
                        .collect(),
                })
            })
            .collect();
        Some(Form {
            kind: x.attr("type").unwrap_or("").to_owned(),
            fields,
        })
    }

    /// The first value of the `FORM_TYPE` field, if there is one.
    pub fn form_type(&self) -> Option<&str> {
        self.field("FORM_TYPE").map(Field::value)
    }

    pub fn field(&self, var: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.var == var)
    }

    /// The fields other than `FORM_TYPE`.
    pub fn data_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.var != "FORM_TYPE")
    }
}

/// `<x type='form|result'>` with a hidden `FORM_TYPE`, ready for fields.
pub(crate) fn new_form(kind: &str, form_type: &str) -> Element {
    Element::new("x", ns::DATA_FORMS)
        .with_attr("type", kind)
        .with_child(field("FORM_TYPE", "hidden", None, &[form_type]))
}

/// A `<field/>` with its type, an optional label and values.
pub(crate) fn field(var: &str, kind: &str, label: Option<&str>, values: &[&str]) -> Element {
    let mut f = Element::new("field", ns::DATA_FORMS)
        .with_attr("var", var)
        .with_attr("type", kind);
    if let Some(l) = label {
        f.set_attr("label", l);
    }
    for v in values {
        f = f.with_child(Element::new("value", ns::DATA_FORMS).with_text(*v));
    }
    f
}

/// A `list-single` field offering `options`, with `value` chosen.
pub(crate) fn list_single(var: &str, label: &str, value: &str, options: &[&str]) -> Element {
    let mut f = field(var, "list-single", Some(label), &[value]);
    for o in options {
        f = f.with_child(
            Element::new("option", ns::DATA_FORMS).with_child(Element::new("value", ns::DATA_FORMS).with_text(*o)),
        );
    }
    f
}

/// XEP-0004 §3.3 booleans: `1`/`true` and `0`/`false`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::xml;

    #[test]
    fn a_submitted_form_reads_as_fields_with_values() {
        let x = xml("<x xmlns='jabber:x:data' type='submit'>\
             <field var='FORM_TYPE' type='hidden'><value>urn:example</value></field>\
             <field var='a'><value>1</value><value>2</value></field>\
             <field var='empty'/><field type='fixed'><value>no var</value></field></x>");
        let form = Form::parse(&x).unwrap();
        assert_eq!(form.kind, "submit");
        assert_eq!(form.form_type(), Some("urn:example"));
        assert_eq!(form.field("a").unwrap().values, ["1", "2"]);
        assert_eq!(form.field("empty").unwrap().value(), "");
        let vars: Vec<&str> = form.data_fields().map(|f| f.var.as_str()).collect();
        assert_eq!(vars, ["a", "empty"]);
        assert!(Form::parse(&xml("<x xmlns='other'/>")).is_none());
        assert_eq!(
            (parse_bool("1"), parse_bool("false"), parse_bool("yes")),
            (Some(true), Some(false), None)
        );
    }

    #[test]
    fn a_built_form_parses_back() {
        let x = new_form("form", "urn:example")
            .with_child(list_single("choice", "Pick", "b", &["a", "b"]))
            .with_child(field("flag", "boolean", None, &["1"]));
        let form = Form::parse(&x).unwrap();
        assert_eq!(form.kind, "form");
        assert_eq!(form.form_type(), Some("urn:example"));
        assert_eq!(form.field("choice").unwrap().values, ["b"], "options are not values");
        assert_eq!(form.field("flag").unwrap().kind.as_deref(), Some("boolean"));
    }
}
