//! Message Archive Management over XMPP (XEP-0313, `urn:xmpp:mam:2`) on the user's own
//! archive: the `with`, `start` and `end` form fields, XEP-0059 result set paging (`max`,
//! `after`, `before` including the empty `<before/>` for the last page, `first`/`last`,
//! `count`), results as forwarded messages with a `<delay/>`, then `<fin/>`.

use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::core::Core;
use crate::store::ArchiveQuery;
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use jid::{BareJid, Jid};

const MAM_NS: &str = ns::MAM;
const RSM_NS: &str = ns::RSM;
const DATA_FORMS_NS: &str = ns::DATA_FORMS;

/// Page size when the client gives none, and the most it may ask for.
const DEFAULT_MAX: usize = 50;
const LIMIT_MAX: usize = 250;

/// A parsed archive query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MamQuery {
    pub query_id: Option<String>,
    pub with: Option<BareJid>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub max: usize,
    pub after: Option<i64>,
    /// `Some(None)` is `<before/>`: the last page.
    pub before: Option<Option<i64>>,
}

/// Why a query is refused.
type Refusal = StanzaError;

fn refusal(kind: ErrorType, condition: Condition) -> Refusal {
    StanzaError::with_type(kind, condition)
}

fn bad_request() -> Refusal {
    refusal(ErrorType::Modify, Condition::BadRequest)
}

fn parse_time(text: &str) -> Result<i64, Refusal> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| bad_request())
}

pub fn format_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_id(text: &str) -> Result<i64, Refusal> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| refusal(ErrorType::Cancel, Condition::ItemNotFound))
}

/// Reads a `<query xmlns='urn:xmpp:mam:2'>` of an IQ set.
pub fn parse_query(query: &Element) -> Result<MamQuery, Refusal> {
    let mut q = MamQuery {
        query_id: query.attr("queryid").map(str::to_owned),
        max: DEFAULT_MAX,
        ..Default::default()
    };
    if let Some(form) = query.child("x", DATA_FORMS_NS) {
        for field in form.elements().filter(|f| f.is("field", DATA_FORMS_NS)) {
            let value = field
                .child("value", DATA_FORMS_NS)
                .map(Element::text)
                .unwrap_or_default();
            match field.attr("var").unwrap_or_default() {
                "FORM_TYPE" if value == MAM_NS => {}
                "FORM_TYPE" => return Err(bad_request()),
                "with" => {
                    let jid = crate::core::jid::parse(value.trim())
                        .map_err(|_| refusal(ErrorType::Modify, Condition::JidMalformed))?;
                    q.with = Some(jid.to_bare());
                }
                "start" => q.start_ms = Some(parse_time(&value)?),
                "end" => q.end_ms = Some(parse_time(&value)?),
                _ => return Err(refusal(ErrorType::Cancel, Condition::FeatureNotImplemented)),
            }
        }
    }
    if let Some(set) = query.child("set", RSM_NS) {
        if let Some(max) = set.child("max", RSM_NS) {
            q.max = max
                .text()
                .trim()
                .parse::<usize>()
                .map_err(|_| bad_request())?
                .min(LIMIT_MAX);
        }
        if let Some(after) = set.child("after", RSM_NS) {
            q.after = Some(parse_id(&after.text())?);
        }
        if let Some(before) = set.child("before", RSM_NS) {
            let text = before.text();
            q.before = Some(if text.trim().is_empty() {
                None
            } else {
                Some(parse_id(&text)?)
            });
        }
    }
    Ok(q)
}

/// The form a client may fill in (IQ get).
fn form() -> Element {
    let field = |var: &str, kind: &str| {
        Element::new("field", DATA_FORMS_NS)
            .with_attr("var", var)
            .with_attr("type", kind)
    };
    Element::new("query", MAM_NS).with_child(
        Element::new("x", DATA_FORMS_NS)
            .with_attr("type", "form")
            .with_child(field("FORM_TYPE", "hidden").with_child(Element::new("value", DATA_FORMS_NS).with_text(MAM_NS)))
            .with_child(field("with", "jid-single"))
            .with_child(field("start", "text-single"))
            .with_child(field("end", "text-single")),
    )
}

/// `urn:xmpp:mam:2` queries on the requester's own archive.
pub(crate) struct MamIq;

#[async_trait]
impl IqHandler for MamIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.for_own_account() {
            return Err(Condition::Forbidden.into());
        }
        answer(core, &request.from.to_bare(), &request).await
    }
}

/// Answers a MAM request on the archive of `owner` (the requester's own, or a room the
/// requester occupies; the caller has checked which): the form for a get, the query for
/// a set.
pub(crate) async fn answer(core: &Core, owner: &BareJid, request: &IqRequest<'_>) -> IqAnswer {
    if request.is_get() {
        return Ok(Some(form()));
    }
    let q = parse_query(request.payload)?;
    query(core, owner, request.from, &q).await
}

/// Runs `q` on `owner`'s archive: the result messages are routed to the requester first,
/// then the `<fin/>` for the IQ result is returned.
async fn query(core: &Core, owner: &BareJid, requester: &Jid, q: &MamQuery) -> IqAnswer {
    let owner = owner.clone();
    let base = ArchiveQuery {
        owner: owner.to_string(),
        with: q.with.as_ref().map(|w| w.to_string()),
        start_ms: q.start_ms,
        end_ms: q.end_ms,
        ..Default::default()
    };
    let backwards = q.before.is_some();
    let page = ArchiveQuery {
        after_id: q.after,
        before_id: q.before.flatten(),
        limit: q.max + 1,
        newest_first: backwards,
        ..base.clone()
    };
    let store = &core.stores.archive;
    let failed = |e: crate::store::StoreError| {
        tracing::error!(error = %e, "archive query failed");
        StanzaError::new(Condition::InternalServerError)
    };
    let (rows, count) = tokio::try_join!(store.archive_query(page), store.archive_count(base)).map_err(failed)?;
    let complete = rows.len() <= q.max;
    let mut rows: Vec<_> = rows.into_iter().take(q.max).collect();
    if backwards {
        rows.reverse();
    }
    for row in &rows {
        let Ok(original) = parse_element(&row.stanza) else {
            continue;
        };
        let mut result = Element::new("result", MAM_NS).with_attr("id", row.id.to_string());
        if let Some(id) = &q.query_id {
            result.set_attr("queryid", id.clone());
        }
        let result = result.with_child(
            Element::new("forwarded", ns::FORWARD)
                .with_child(Element::new("delay", ns::DELAY).with_attr("stamp", format_time(row.timestamp_ms)))
                .with_child(original),
        );
        let message = Element::new("message", ns::CLIENT)
            .with_attr("to", requester.to_string())
            .with_attr("from", owner.to_string())
            .with_child(result);
        core.route(Jid::from(owner.clone()), message).await.map_err(|e| {
            tracing::error!(error = %e, "a MAM result could not be routed");
            StanzaError::new(Condition::InternalServerError)
        })?;
    }
    let mut set = Element::new("set", RSM_NS);
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        set = set
            .with_child(Element::new("first", RSM_NS).with_text(first.id.to_string()))
            .with_child(Element::new("last", RSM_NS).with_text(last.id.to_string()));
    }
    set = set.with_child(Element::new("count", RSM_NS).with_text(count.to_string()));
    let mut fin = Element::new("fin", MAM_NS).with_child(set);
    if complete {
        fin.set_attr("complete", "true");
    }
    if let Some(id) = &q.query_id {
        fin.set_attr("queryid", id.clone());
    }
    Ok(Some(fin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(xml: &str) -> Result<MamQuery, Refusal> {
        parse_query(&parse_element(xml).unwrap())
    }

    #[test]
    fn forms_and_result_set_paging_parse() {
        let q = query(
            "<query xmlns='urn:xmpp:mam:2' queryid='q1'>\
               <x xmlns='jabber:x:data' type='submit'>\
                 <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>\
                 <field var='with'><value>Bob@LocalHost/phone</value></field>\
                 <field var='start'><value>2026-11-25T08:00:00Z</value></field>\
                 <field var='end'><value>2026-11-25T09:00:00.500+01:00</value></field>\
               </x>\
               <set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set>\
             </query>",
        )
        .unwrap();
        assert_eq!(q.query_id.as_deref(), Some("q1"));
        assert_eq!(q.with.unwrap().as_str(), "bob@localhost");
        assert_eq!(q.start_ms, Some(1_795_593_600_000));
        assert_eq!(q.end_ms, Some(1_795_593_600_500));
        assert_eq!(q.max, 10);
        assert_eq!(q.before, Some(None));

        let q = query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>100000</max><after>42</after></set></query>").unwrap();
        assert_eq!((q.max, q.after, q.before), (250, Some(42), None));
        assert_eq!(query("<query xmlns='urn:xmpp:mam:2'/>").unwrap().max, 50);
    }

    #[test]
    fn bad_queries_are_refused_with_the_right_condition() {
        let field = |var: &str, v: &str| {
            format!("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='{var}'><value>{v}</value></field></x></query>")
        };
        let refused = |kind, condition| Err(StanzaError::with_type(kind, condition));
        assert_eq!(
            query(&field("start", "yesterday")),
            refused(ErrorType::Modify, Condition::BadRequest)
        );
        assert_eq!(
            query(&field("with", "@@")),
            refused(ErrorType::Modify, Condition::JidMalformed)
        );
        assert_eq!(
            query(&field("fulltext", "x")),
            refused(ErrorType::Cancel, Condition::FeatureNotImplemented)
        );
        assert_eq!(
            query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>abc</after></set></query>"),
            refused(ErrorType::Cancel, Condition::ItemNotFound)
        );
    }

    #[test]
    fn times_are_written_as_xep_0082_utc() {
        assert_eq!(format_time(1_795_593_600_123), "2026-11-25T08:00:00.123Z");
    }
}
