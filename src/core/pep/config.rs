//! Node configuration as data forms (XEP-0060 §8.2, §7.1.5): the options a form may set,
//! how they apply to a configuration, whether a configuration meets them (publish-options
//! preconditions), and the configuration form the owner is shown.
//!
//! The options are exactly the fields of the form [`config_form`] shows, so a client that
//! sends the form back as it got it is always understood. Any other field is refused.

use super::super::forms::{self, parse_bool, Form};
use super::super::stanza::ns;
use crate::store::{AccessModel, NodeConfig, SendLastItem};
use crate::xml::Element;

/// Options a submitted form sets; what it leaves out stays as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfigPatch {
    access_model: Option<AccessModel>,
    /// `Some(None)` is `max`.
    max_items: Option<Option<u32>>,
    persist_items: Option<bool>,
    send_last_published_item: Option<SendLastItem>,
    deliver_notifications: Option<bool>,
    deliver_payloads: Option<bool>,
    notify_retract: Option<bool>,
    notify_delete: Option<bool>,
    title: Option<String>,
    description: Option<String>,
    payload_type: Option<String>,
}

/// Why a form cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("Unknown option {0}")]
    Unknown(String),
    #[error("Invalid value for {0}")]
    Invalid(String),
    #[error("{var} = {value} is not supported")]
    Unsupported { var: String, value: String },
    #[error("pubsub#max_items may be at most {0}")]
    TooManyItems(usize),
}

fn access_model(value: &str) -> Option<AccessModel> {
    Some(match value {
        "open" => AccessModel::Open,
        "presence" => AccessModel::Presence,
        "whitelist" => AccessModel::Whitelist,
        _ => return None,
    })
}

fn access_model_name(a: AccessModel) -> &'static str {
    match a {
        AccessModel::Open => "open",
        AccessModel::Presence => "presence",
        AccessModel::Whitelist => "whitelist",
    }
}

fn send_last(value: &str) -> Option<SendLastItem> {
    Some(match value {
        "never" => SendLastItem::Never,
        "on_sub" => SendLastItem::OnSub,
        "on_sub_and_presence" => SendLastItem::OnSubAndPresence,
        _ => return None,
    })
}

fn send_last_name(s: SendLastItem) -> &'static str {
    match s {
        SendLastItem::Never => "never",
        SendLastItem::OnSub => "on_sub",
        SendLastItem::OnSubAndPresence => "on_sub_and_presence",
    }
}

impl ConfigPatch {
    /// Reads the fields of a submitted form (`FORM_TYPE` aside). `max_items` is the
    /// server's cap on items per node.
    pub fn from_form(form: &Form, max_items: usize) -> Result<Self, ConfigError> {
        let mut patch = ConfigPatch::default();
        for field in form.data_fields() {
            let var = field.var.as_str();
            let value = field.value().trim();
            let invalid = || ConfigError::Invalid(var.to_owned());
            let unsupported = || ConfigError::Unsupported {
                var: var.to_owned(),
                value: value.to_owned(),
            };
            let boolean = || parse_bool(value).ok_or_else(invalid);
            match var {
                "pubsub#access_model" => {
                    patch.access_model = Some(match value {
                        "authorize" | "roster" => return Err(unsupported()),
                        v => access_model(v).ok_or_else(invalid)?,
                    })
                }
                "pubsub#publish_model" => {
                    // One publisher per PEP node: its owner (XEP-0163 §2.2).
                    if value != "publishers" {
                        return Err(unsupported());
                    }
                }
                "pubsub#max_items" => {
                    patch.max_items = Some(if value == "max" {
                        None
                    } else {
                        let n: u32 = value.parse().map_err(|_| invalid())?;
                        if n == 0 {
                            return Err(invalid());
                        }
                        if n as usize > max_items {
                            return Err(ConfigError::TooManyItems(max_items));
                        }
                        Some(n)
                    })
                }
                "pubsub#persist_items" => patch.persist_items = Some(boolean()?),
                "pubsub#send_last_published_item" => {
                    patch.send_last_published_item = Some(send_last(value).ok_or_else(invalid)?)
                }
                "pubsub#deliver_notifications" => patch.deliver_notifications = Some(boolean()?),
                "pubsub#deliver_payloads" => patch.deliver_payloads = Some(boolean()?),
                "pubsub#notify_retract" => patch.notify_retract = Some(boolean()?),
                "pubsub#notify_delete" => patch.notify_delete = Some(boolean()?),
                "pubsub#title" => patch.title = Some(field.value().to_owned()),
                "pubsub#description" => patch.description = Some(field.value().to_owned()),
                "pubsub#type" => patch.payload_type = Some(field.value().to_owned()),
                _ => return Err(ConfigError::Unknown(var.to_owned())),
            }
        }
        Ok(patch)
    }

    /// `base` with the options this patch sets.
    pub fn apply(&self, base: &NodeConfig) -> NodeConfig {
        let mut c = base.clone();
        if let Some(v) = self.access_model {
            c.access_model = v;
        }
        if let Some(v) = self.max_items {
            c.max_items = v;
        }
        if let Some(v) = self.persist_items {
            c.persist_items = v;
        }
        if let Some(v) = self.send_last_published_item {
            c.send_last_published_item = v;
        }
        if let Some(v) = self.deliver_notifications {
            c.deliver_notifications = v;
        }
        if let Some(v) = self.deliver_payloads {
            c.deliver_payloads = v;
        }
        if let Some(v) = self.notify_retract {
            c.notify_retract = v;
        }
        if let Some(v) = self.notify_delete {
            c.notify_delete = v;
        }
        if let Some(v) = &self.title {
            c.title = v.clone();
        }
        if let Some(v) = &self.description {
            c.description = v.clone();
        }
        if let Some(v) = &self.payload_type {
            c.payload_type = v.clone();
        }
        c
    }

    /// Whether `config` already has every option this patch sets: the publish-options
    /// precondition (XEP-0060 §7.1.5).
    pub fn matches(&self, config: &NodeConfig) -> bool {
        self.apply(config) == *config
    }
}

/// The configuration form of a node (XEP-0060 §8.2.1), or of the default configuration.
pub(crate) fn config_form(config: &NodeConfig, max_items: usize) -> Element {
    let boolean = |b: bool| if b { "1" } else { "0" };
    let max = config.max_items.map_or_else(|| "max".to_owned(), |n| n.to_string());
    let limit = format!("Max # of items to persist (at most {max_items}, or max)");
    forms::new_form("form", ns::PUBSUB_NODE_CONFIG)
        .with_child(forms::field(
            "pubsub#title",
            "text-single",
            Some("A friendly name for the node"),
            &[&config.title],
        ))
        .with_child(forms::field(
            "pubsub#description",
            "text-single",
            Some("A description of the node"),
            &[&config.description],
        ))
        .with_child(forms::field(
            "pubsub#type",
            "text-single",
            Some("The type of node data, usually the namespace of the payload"),
            &[&config.payload_type],
        ))
        .with_child(forms::list_single(
            "pubsub#access_model",
            "Who may retrieve items and receive notifications",
            access_model_name(config.access_model),
            &["open", "presence", "whitelist"],
        ))
        .with_child(forms::list_single(
            "pubsub#publish_model",
            "Who may publish items",
            "publishers",
            &["publishers"],
        ))
        .with_child(forms::field("pubsub#max_items", "text-single", Some(&limit), &[&max]))
        .with_child(forms::field(
            "pubsub#persist_items",
            "boolean",
            Some("Persist items to storage"),
            &[boolean(config.persist_items)],
        ))
        .with_child(forms::list_single(
            "pubsub#send_last_published_item",
            "When to send the last published item",
            send_last_name(config.send_last_published_item),
            &["never", "on_sub", "on_sub_and_presence"],
        ))
        .with_child(forms::field(
            "pubsub#deliver_notifications",
            "boolean",
            Some("Deliver event notifications"),
            &[boolean(config.deliver_notifications)],
        ))
        .with_child(forms::field(
            "pubsub#deliver_payloads",
            "boolean",
            Some("Deliver payloads with event notifications"),
            &[boolean(config.deliver_payloads)],
        ))
        .with_child(forms::field(
            "pubsub#notify_retract",
            "boolean",
            Some("Notify subscribers when items are removed from the node"),
            &[boolean(config.notify_retract)],
        ))
        .with_child(forms::field(
            "pubsub#notify_delete",
            "boolean",
            Some("Notify subscribers when the node is deleted"),
            &[boolean(config.notify_delete)],
        ))
}

/// The `pubsub#meta-data` form of a node's disco#info (XEP-0060 §5.4).
pub(crate) fn meta_data_form(config: &NodeConfig) -> Element {
    let mut x = forms::new_form("result", "http://jabber.org/protocol/pubsub#meta-data");
    for (var, value) in [
        ("pubsub#title", config.title.as_str()),
        ("pubsub#description", config.description.as_str()),
        ("pubsub#type", config.payload_type.as_str()),
    ] {
        if !value.is_empty() {
            x = x.with_child(forms::field(var, "text-single", None, &[value]));
        }
    }
    x.with_child(forms::field(
        "pubsub#access_model",
        "list-single",
        None,
        &[access_model_name(config.access_model)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::xml;

    fn form(fields: &[(&str, &str)]) -> Form {
        let mut x = forms::new_form("submit", ns::PUBSUB_PUBLISH_OPTIONS);
        for (var, value) in fields {
            x = x.with_child(forms::field(var, "text-single", None, &[value]));
        }
        Form::parse(&x).unwrap()
    }

    #[test]
    fn bookmark_publish_options_make_a_private_node_keeping_every_item() {
        let patch = ConfigPatch::from_form(
            &form(&[
                ("pubsub#persist_items", "true"),
                ("pubsub#max_items", "max"),
                ("pubsub#send_last_published_item", "never"),
                ("pubsub#access_model", "whitelist"),
            ]),
            256,
        )
        .unwrap();
        let config = patch.apply(&NodeConfig::default());
        assert_eq!(config.access_model, AccessModel::Whitelist);
        assert_eq!(config.max_items, None);
        assert_eq!(config.send_last_published_item, SendLastItem::Never);
        assert!(patch.matches(&config));
        assert!(
            !patch.matches(&NodeConfig::default()),
            "the default node is presence-access"
        );
        assert!(ConfigPatch::default().matches(&NodeConfig::default()));
    }

    #[test]
    fn unknown_unsupported_and_invalid_options_are_refused() {
        let refused = |var: &str, value: &str| ConfigPatch::from_form(&form(&[(var, value)]), 256).unwrap_err();
        assert_eq!(
            refused("pubsub#collection", "x"),
            ConfigError::Unknown("pubsub#collection".into())
        );
        assert!(matches!(
            refused("pubsub#access_model", "roster"),
            ConfigError::Unsupported { .. }
        ));
        assert!(matches!(
            refused("pubsub#publish_model", "open"),
            ConfigError::Unsupported { .. }
        ));
        assert_eq!(
            refused("pubsub#access_model", "everyone"),
            ConfigError::Invalid("pubsub#access_model".into())
        );
        assert_eq!(
            refused("pubsub#max_items", "0"),
            ConfigError::Invalid("pubsub#max_items".into())
        );
        assert_eq!(
            refused("pubsub#max_items", "many"),
            ConfigError::Invalid("pubsub#max_items".into())
        );
        assert_eq!(refused("pubsub#max_items", "257"), ConfigError::TooManyItems(256));
        assert_eq!(
            refused("pubsub#persist_items", "yes"),
            ConfigError::Invalid("pubsub#persist_items".into())
        );
    }

    #[test]
    fn the_configuration_form_submitted_back_changes_nothing() {
        let config = NodeConfig {
            access_model: AccessModel::Open,
            max_items: Some(10),
            title: "Devices".into(),
            notify_delete: false,
            ..NodeConfig::default()
        };
        let mut x = config_form(&config, 256);
        x.set_attr("type", "submit");
        let form = Form::parse(&x).unwrap();
        assert_eq!(form.form_type(), Some(ns::PUBSUB_NODE_CONFIG));
        let patch = ConfigPatch::from_form(&form, 256).unwrap();
        assert_eq!(patch.apply(&NodeConfig::default()), config);
        // A form as clients write it: only the fields they change.
        let x = xml("<x xmlns='jabber:x:data' type='submit'>\
             <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>\
             <field var='pubsub#access_model'><value>presence</value></field></x>");
        let patch = ConfigPatch::from_form(&Form::parse(&x).unwrap(), 256).unwrap();
        assert_eq!(patch.apply(&config).access_model, AccessModel::Presence);
        assert_eq!(patch.apply(&config).title, "Devices");
    }
}
