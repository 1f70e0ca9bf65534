//! A room's configuration (XEP-0045 §10.2): the `muc#roomconfig` data form (XEP-0004) an
//! owner gets and submits, the room features it implies in disco#info (§6.4, the
//! `muc_*` feature registry), and the XEP-0128 `muc#roominfo` form.
//!
//! Fields: `roomname`, `roomdesc`, `persistentroom`, `publicroom`, `membersonly`,
//! `moderatedroom`, `passwordprotectedroom`, `roomsecret`, `whois` (`moderators` or
//! `anyone`), `maxusers`, `changesubject`, `allowinvites`, `enablelogging` (all prefixed
//! `muc#roomconfig_`). A submitted form may leave fields out (they keep their value) and
//! carry fields of other servers (ignored); a value that does not parse is `bad-request`,
//! one past a limit `not-acceptable`.

use super::Limits;
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::xml::Element;
use serde::{Deserialize, Serialize};

/// Who sees occupants' real JIDs (`muc#roomconfig_whois`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Whois {
    /// Semi-anonymous: moderators only.
    #[default]
    Moderators,
    /// Non-anonymous: every occupant.
    Anyone,
}

/// Longest room password accepted.
pub(crate) const MAX_PASSWORD: usize = 256;

/// Everything an owner configures. Stored serialized (`MucStore`): fields added later
/// read back from older rooms with their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct RoomConfig {
    pub name: String,
    pub description: String,
    pub persistent: bool,
    pub public: bool,
    pub members_only: bool,
    pub moderated: bool,
    pub password_protected: bool,
    pub password: String,
    pub whois: Whois,
    pub max_users: usize,
    pub change_subject: bool,
    pub allow_invites: bool,
    /// The room archive: history for newcomers from storage, MAM, stanza ids.
    pub logging: bool,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            name: String::new(),
            description: String::new(),
            persistent: false,
            public: true,
            members_only: false,
            moderated: false,
            password_protected: false,
            password: String::new(),
            whois: Whois::Moderators,
            max_users: 200,
            change_subject: true,
            allow_invites: false,
            logging: true,
        }
    }
}

const PREFIX: &str = "muc#roomconfig_";

fn field(var: &str, kind: &str, label: &str) -> Element {
    Element::new("field", ns::DATA_FORMS)
        .with_attr("var", var)
        .with_attr("type", kind)
        .with_attr("label", label)
}

/// The XEP-0068 `FORM_TYPE` naming a form.
fn hidden_form_type(form_type: &str) -> Element {
    Element::new("field", ns::DATA_FORMS)
        .with_attr("var", "FORM_TYPE")
        .with_attr("type", "hidden")
        .with_child(value(form_type))
}

fn value(v: impl Into<String>) -> Element {
    Element::new("value", ns::DATA_FORMS).with_text(v)
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

fn bad(text: impl Into<String>) -> StanzaError {
    StanzaError::with_type(ErrorType::Modify, Condition::BadRequest).with_text(text)
}

fn unacceptable(text: impl Into<String>) -> StanzaError {
    StanzaError::with_type(ErrorType::Modify, Condition::NotAcceptable).with_text(text)
}

fn parse_bool(var: &str, text: &str) -> Result<bool, StanzaError> {
    match text.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(bad(format!("{var} takes a boolean"))),
    }
}

impl RoomConfig {
    /// The form an owner fills in (§10.2), with the current values.
    pub fn form(&self, room: &str, limits: &Limits) -> Element {
        let boolean = |var: &str, label: &str, v: bool| {
            field(&format!("{PREFIX}{var}"), "boolean", label).with_child(value(bool_text(v)))
        };
        let option = |label: &str, v: &str| {
            Element::new("option", ns::DATA_FORMS)
                .with_attr("label", label)
                .with_child(value(v))
        };
        let mut max_users = field(
            &format!("{PREFIX}maxusers"),
            "list-single",
            "Maximum number of occupants",
        )
        .with_child(value(self.max_users.to_string()));
        let mut choices: Vec<usize> = [10, 20, 30, 50, 100, 200, 500, 1000]
            .into_iter()
            .filter(|n| *n < limits.max_users)
            .collect();
        choices.push(limits.max_users);
        if !choices.contains(&self.max_users) {
            choices.push(self.max_users);
            choices.sort_unstable();
        }
        for n in choices {
            max_users = max_users.with_child(option(&n.to_string(), &n.to_string()));
        }
        let whois = match self.whois {
            Whois::Moderators => "moderators",
            Whois::Anyone => "anyone",
        };
        Element::new("x", ns::DATA_FORMS)
            .with_attr("type", "form")
            .with_child(Element::new("title", ns::DATA_FORMS).with_text(format!("Configuration of {room}")))
            .with_child(hidden_form_type(ns::MUC_ROOMCONFIG))
            .with_child(field(&format!("{PREFIX}roomname"), "text-single", "Room name").with_child(value(&*self.name)))
            .with_child(
                field(&format!("{PREFIX}roomdesc"), "text-single", "Room description")
                    .with_child(value(&*self.description)),
            )
            .with_child(boolean(
                "persistentroom",
                "Keep the room when it empties",
                self.persistent,
            ))
            .with_child(boolean("publicroom", "List the room publicly", self.public))
            .with_child(boolean("membersonly", "Only members may enter", self.members_only))
            .with_child(boolean(
                "moderatedroom",
                "Only occupants with voice may speak",
                self.moderated,
            ))
            .with_child(boolean(
                "passwordprotectedroom",
                "A password is needed to enter",
                self.password_protected,
            ))
            .with_child(
                field(&format!("{PREFIX}roomsecret"), "text-private", "Password").with_child(value(&*self.password)),
            )
            .with_child(
                field(&format!("{PREFIX}whois"), "list-single", "Who may discover real JIDs")
                    .with_child(value(whois))
                    .with_child(option("Moderators only", "moderators"))
                    .with_child(option("Anyone", "anyone")),
            )
            .with_child(max_users)
            .with_child(boolean(
                "changesubject",
                "Occupants with voice may change the subject",
                self.change_subject,
            ))
            .with_child(boolean(
                "allowinvites",
                "Occupants may invite others",
                self.allow_invites,
            ))
            .with_child(boolean(
                "enablelogging",
                "Keep the room's history in its archive",
                self.logging,
            ))
    }

    /// This configuration with the submitted `form` applied; the limits are checked.
    pub fn submit(&self, form: &Element, limits: &Limits) -> Result<RoomConfig, StanzaError> {
        let mut c = self.clone();
        for f in form.elements().filter(|f| f.is("field", ns::DATA_FORMS)) {
            let var = f.attr("var").unwrap_or_default();
            let values: Vec<String> = f
                .elements()
                .filter(|v| v.is("value", ns::DATA_FORMS))
                .map(Element::text)
                .collect();
            let text = values.first().cloned().unwrap_or_default();
            if var == "FORM_TYPE" {
                if text != ns::MUC_ROOMCONFIG {
                    return Err(bad("Not a room configuration form"));
                }
                continue;
            }
            let Some(name) = var.strip_prefix(PREFIX) else {
                continue;
            };
            match name {
                "roomname" => c.name = text,
                "roomdesc" => c.description = values.join("\n"),
                "persistentroom" => c.persistent = parse_bool(var, &text)?,
                "publicroom" => c.public = parse_bool(var, &text)?,
                "membersonly" => c.members_only = parse_bool(var, &text)?,
                "moderatedroom" => c.moderated = parse_bool(var, &text)?,
                "passwordprotectedroom" => c.password_protected = parse_bool(var, &text)?,
                "roomsecret" => c.password = text,
                "whois" => {
                    c.whois = match text.trim() {
                        "moderators" => Whois::Moderators,
                        "anyone" => Whois::Anyone,
                        _ => return Err(bad("whois is moderators or anyone")),
                    }
                }
                "maxusers" => {
                    c.max_users = match text.trim() {
                        "none" | "" => limits.max_users,
                        n => n.parse().map_err(|_| bad("maxusers takes a number"))?,
                    }
                }
                "changesubject" => c.change_subject = parse_bool(var, &text)?,
                "allowinvites" => c.allow_invites = parse_bool(var, &text)?,
                "enablelogging" => c.logging = parse_bool(var, &text)?,
                // Options of other servers this one does not have.
                _ => {}
            }
        }
        c.check(limits)?;
        Ok(c)
    }

    /// Refuses a configuration past the service's limits, or one that cannot work.
    pub fn check(&self, limits: &Limits) -> Result<(), StanzaError> {
        if self.name.chars().count() > limits.max_room_name {
            return Err(unacceptable(format!(
                "The room name is longer than {} characters",
                limits.max_room_name
            )));
        }
        if self.description.chars().count() > limits.max_room_desc {
            return Err(unacceptable(format!(
                "The room description is longer than {} characters",
                limits.max_room_desc
            )));
        }
        if self.password.chars().count() > MAX_PASSWORD {
            return Err(unacceptable(format!(
                "The room password is longer than {MAX_PASSWORD} characters"
            )));
        }
        if self.max_users == 0 || self.max_users > limits.max_users {
            return Err(unacceptable(format!(
                "A room holds between 1 and {} occupants",
                limits.max_users
            )));
        }
        if self.password_protected && self.password.is_empty() {
            return Err(unacceptable("A password-protected room needs a password"));
        }
        Ok(())
    }

    /// The room features of the XEP-0045 registry this configuration implies (§6.4).
    pub fn features(&self) -> [&'static str; 6] {
        let pick = |b: bool, yes, no| if b { yes } else { no };
        [
            pick(self.public, "muc_public", "muc_hidden"),
            pick(self.members_only, "muc_membersonly", "muc_open"),
            pick(self.persistent, "muc_persistent", "muc_temporary"),
            pick(self.whois == Whois::Anyone, "muc_nonanonymous", "muc_semianonymous"),
            pick(self.password_protected, "muc_passwordprotected", "muc_unsecured"),
            pick(self.moderated, "muc_moderated", "muc_unmoderated"),
        ]
    }

    /// The XEP-0128 extended information of disco#info on the room (§6.4).
    pub fn room_info(&self, occupants: usize, subject: &str) -> Element {
        let text = |var: &str, label: &str, v: &str| {
            Element::new("field", ns::DATA_FORMS)
                .with_attr("var", var)
                .with_attr("label", label)
                .with_child(value(v))
        };
        Element::new("x", ns::DATA_FORMS)
            .with_attr("type", "result")
            .with_child(hidden_form_type(ns::MUC_ROOMINFO))
            .with_child(text("muc#roomconfig_roomname", "Name", &self.name))
            .with_child(text("muc#roominfo_description", "Description", &self.description))
            .with_child(text("muc#roominfo_subject", "Subject", subject))
            .with_child(text(
                "muc#roominfo_occupants",
                "Number of occupants",
                &occupants.to_string(),
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn limits() -> Limits {
        Limits {
            max_users: 50,
            max_room_name: 10,
            max_room_desc: 20,
            ..Limits::default()
        }
    }

    fn submitted(fields: &str) -> Element {
        parse_element(&format!(
            "<x xmlns='jabber:x:data' type='submit'>\
               <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
               {fields}</x>"
        ))
        .unwrap()
    }

    fn field_value(form: &Element, var: &str) -> Option<String> {
        form.elements()
            .find(|f| f.attr("var") == Some(var))
            .and_then(|f| f.child("value", ns::DATA_FORMS))
            .map(Element::text)
    }

    #[test]
    fn the_form_shows_the_current_values_and_reads_back_unchanged() {
        let c = RoomConfig {
            name: "Cave".into(),
            members_only: true,
            max_users: 30,
            ..RoomConfig::default()
        };
        let form = c.form("coven@conference.localhost", &limits());
        assert_eq!(form.attr("type"), Some("form"));
        assert_eq!(field_value(&form, "FORM_TYPE").as_deref(), Some(ns::MUC_ROOMCONFIG));
        assert_eq!(field_value(&form, "muc#roomconfig_roomname").as_deref(), Some("Cave"));
        assert_eq!(field_value(&form, "muc#roomconfig_membersonly").as_deref(), Some("1"));
        assert_eq!(field_value(&form, "muc#roomconfig_maxusers").as_deref(), Some("30"));
        // Submitting the form as it came changes nothing.
        let mut back = form.clone();
        back.set_attr("type", "submit");
        assert_eq!(c.submit(&back, &limits()).unwrap(), c);
    }

    #[test]
    fn a_submitted_form_changes_only_the_fields_it_carries() {
        let c = RoomConfig::default()
            .submit(
                &submitted(
                    "<field var='muc#roomconfig_roomname'><value>Heath</value></field>\
                     <field var='muc#roomconfig_persistentroom'><value>true</value></field>\
                     <field var='muc#roomconfig_whois'><value>anyone</value></field>\
                     <field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>\
                     <field var='muc#roomconfig_roomsecret'><value>cauldron</value></field>\
                     <field var='muc#roomconfig_maxusers'><value>none</value></field>\
                     <field var='muc#roomconfig_lang'><value>en</value></field>",
                ),
                &limits(),
            )
            .unwrap();
        assert_eq!(c.name, "Heath");
        assert!(c.persistent && c.password_protected && c.public);
        assert_eq!(
            (c.whois, c.password.as_str(), c.max_users),
            (Whois::Anyone, "cauldron", 50)
        );
        assert_eq!(
            c.features(),
            [
                "muc_public",
                "muc_open",
                "muc_persistent",
                "muc_nonanonymous",
                "muc_passwordprotected",
                "muc_unmoderated"
            ]
        );
    }

    #[test]
    fn bad_values_and_values_past_the_limits_are_refused() {
        let refused = |fields: &str| RoomConfig::default().submit(&submitted(fields), &limits()).unwrap_err();
        let bool_field = "<field var='muc#roomconfig_publicroom'><value>maybe</value></field>";
        assert_eq!(refused(bool_field).condition, Condition::BadRequest);
        let long_name = "<field var='muc#roomconfig_roomname'><value>A very long name</value></field>";
        assert_eq!(refused(long_name).condition, Condition::NotAcceptable);
        let crowd = "<field var='muc#roomconfig_maxusers'><value>51</value></field>";
        assert_eq!(refused(crowd).condition, Condition::NotAcceptable);
        let no_secret = "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>";
        assert_eq!(refused(no_secret).condition, Condition::NotAcceptable);
        let other_form = parse_element(
            "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field></x>",
        )
        .unwrap();
        assert_eq!(
            RoomConfig::default()
                .submit(&other_form, &limits())
                .unwrap_err()
                .condition,
            Condition::BadRequest
        );
    }

    #[test]
    fn stored_configurations_read_back_and_old_ones_get_defaults() {
        let c = RoomConfig {
            name: "Cave".into(),
            whois: Whois::Anyone,
            ..RoomConfig::default()
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<RoomConfig>(&text).unwrap(), c);
        let old: RoomConfig = serde_json::from_str(r#"{"name":"Old"}"#).unwrap();
        assert_eq!((old.name.as_str(), old.logging, old.public), ("Old", true, true));
    }
}
