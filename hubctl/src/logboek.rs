//! `hubctl log logboek`: the party's decision-log entries as records of the Logboek
//! Dataverwerkingen (Logius, draft standard 1.0, "Component: Logboek", interface), as
//! JSON lines, so a gemeente can feed its own Logboek.
//!
//! The mapping is documented field by field in `docs/LOGBOEK.md`; the field lists
//! below ([`FIELDS`], [`ATTRIBUTES`], [`RESOURCE_ATTRIBUTES`]) are the ones that
//! document's tables hold (a test compares them), and every record [`record`] makes
//! is checked against them ([`validate`]) before it is written.
//!
//! One record per entry about a data subject (a share decision, a case change naming a
//! subject): the Logboek logs processing of a Betrokkene's personal data, and requires
//! `dpl.core.data_subject_id`. Entries about no subject (case created, phase moved,
//! retention deletions, covenant approvals) are counted and left out.
//!
//! Identifiers are derived, not random, so exporting the same entries again gives the
//! same records (a Logboek can de-duplicate): `span_id` from the entry's leaf hash,
//! `trace_id` from the case file the share was part of (one Dataverwerking: all its
//! shares share a trace) or else from the entry.

use serde_json::{Map, Value, json};
use treiter_proto::v1 as wire;
use treiter_translog::hash::sha256;

/// How a field's value must look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `n` bytes as 2n lowercase hex digits, not all zero.
    Hex(usize),
    /// One of the words.
    Word(&'static [&'static str]),
    /// A non-empty string.
    Text,
    /// RFC 3339 UTC with milliseconds: `2026-11-01T09:00:00.000Z`.
    Time,
    /// A URI (`scheme:rest`).
    Uri,
    /// A JSON object.
    Object,
    /// A non-negative integer.
    Count,
}

/// One field of the record form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// Whether every record has it (the standard's "verplicht").
    pub required: bool,
    pub shape: Shape,
}

const fn f(name: &'static str, required: bool, shape: Shape) -> Field {
    Field {
        name,
        required,
        shape,
    }
}

/// The `status` words of the standard.
pub const STATUSES: &[&str] = &["Unset", "Ok", "Error"];

/// The record's top-level fields (the standard's interface table).
pub const FIELDS: &[Field] = &[
    f("trace_id", true, Shape::Hex(16)),
    f("span_id", true, Shape::Hex(8)),
    f("status", true, Shape::Word(STATUSES)),
    f("name", true, Shape::Text),
    f("start_time", true, Shape::Time),
    f("end_time", true, Shape::Time),
    f("parent_span_id", false, Shape::Hex(8)),
    f("resource", false, Shape::Object),
    f("attributes", true, Shape::Object),
];

/// The `attributes` (namespace `dpl.core`).
pub const ATTRIBUTES: &[Field] = &[
    f("dpl.core.processing_activity_id", true, Shape::Uri),
    f("dpl.core.data_subject_id", true, Shape::Hex(32)),
    f("dpl.core.data_subject_id_type", true, Shape::Uri),
    f("dpl.core.foreign_operation.span_id", false, Shape::Hex(8)),
    f("dpl.core.foreign_operation.processor", false, Shape::Uri),
];

/// The `resource.attributes` this exporter writes (the organisation's own).
pub const RESOURCE_ATTRIBUTES: &[Field] = &[
    f("service.name", true, Shape::Text),
    f("treiter.log.origin", true, Shape::Text),
    f("treiter.log.leaf_index", true, Shape::Count),
    f("treiter.log.leaf_hash", true, Shape::Hex(32)),
    f("treiter.log.kind", true, Shape::Text),
    f("treiter.covenant_version", true, Shape::Count),
    f("treiter.case_id", true, Shape::Text),
    f("treiter.case_file_id", false, Shape::Text),
    f("treiter.subject_role", false, Shape::Text),
    f("treiter.purpose", false, Shape::Text),
    f("treiter.category", false, Shape::Text),
    f("treiter.outcome", false, Shape::Text),
    f("treiter.source_oin", false, Shape::Text),
    f("treiter.recipient_oin", false, Shape::Text),
    f("treiter.change", false, Shape::Text),
];

/// The default prefix of `dpl.core.processing_activity_id`; the activity's word follows.
pub const DEFAULT_ACTIVITY_PREFIX: &str = "urn:nl:treiteraanpak:verwerkingsactiviteit:";
/// `dpl.core.data_subject_id_type`: the covenant's keyed pseudonym (article 8.4).
pub const SUBJECT_ID_TYPE: &str = "urn:nl:treiteraanpak:betrokkene:pseudoniem-hmac-sha256";
/// The activity of a case change (no purpose of article 3.1 is logged with it).
pub const CASE_ACTIVITY: &str = "casusbeheer";

fn derived(domain: &str, parts: &[&[u8]], len: usize) -> String {
    let mut data = domain.as_bytes().to_vec();
    for p in parts {
        data.push(0);
        data.extend_from_slice(p);
    }
    let h = sha256(&data);
    h.as_bytes()
        .iter()
        .take(len)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn time(ts: Option<&prost_types::Timestamp>) -> Option<String> {
    let ts = ts?;
    let at = time::OffsetDateTime::from_unix_timestamp(ts.seconds).ok()?
        + time::Duration::nanoseconds(i64::from(ts.nanos));
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.to_offset(time::UtcOffset::UTC).format(&fmt).ok()
}

/// The Logboek record of one entry, or `None` when it is about no data subject.
pub fn record(entry: &wire::LogEntry, origin: &str, activity_prefix: &str) -> Option<Value> {
    let leaf = entry.leaf_hash.as_slice();
    let leaf_hex: String = leaf.iter().map(|b| format!("{b:02x}")).collect();
    let logged = time(entry.logged_at.as_ref())?;
    let mut res = Map::new();
    res.insert("service.name".into(), json!("treiter-hub"));
    res.insert("treiter.log.origin".into(), json!(origin));
    res.insert("treiter.log.leaf_index".into(), json!(entry.leaf_index));
    res.insert("treiter.log.leaf_hash".into(), json!(leaf_hex));
    res.insert("treiter.log.kind".into(), json!(entry.kind));
    res.insert(
        "treiter.covenant_version".into(),
        json!(entry.covenant_version),
    );
    res.insert("treiter.case_id".into(), json!(entry.case_id));
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            res.insert(k.into(), json!(v));
        }
    };
    let (subject, activity, name, status, start, trace) = match entry.kind.as_str() {
        "share-decision" => {
            let d = entry.share_decision.as_ref()?;
            let outcome = d
                .decision
                .as_ref()
                .map(|x| x.outcome.as_str())
                .unwrap_or_default();
            put("treiter.case_file_id", &d.case_file_id);
            put("treiter.subject_role", &d.subject_role);
            put("treiter.purpose", &d.purpose);
            put("treiter.category", &d.category);
            put("treiter.outcome", outcome);
            put(
                "treiter.source_oin",
                d.source
                    .as_ref()
                    .map(|p| p.oin.as_str())
                    .unwrap_or_default(),
            );
            put(
                "treiter.recipient_oin",
                d.recipient
                    .as_ref()
                    .and_then(|p| p.party.as_ref())
                    .map(|p| p.oin.as_str())
                    .unwrap_or_default(),
            );
            let trace = if d.case_file_id.is_empty() {
                derived(
                    "treiter-logboek/trace/entry",
                    &[origin.as_bytes(), leaf],
                    16,
                )
            } else {
                derived(
                    "treiter-logboek/trace/case-file",
                    &[origin.as_bytes(), d.case_file_id.as_bytes()],
                    16,
                )
            };
            (
                d.subject.as_ref()?.hex.clone(),
                d.purpose.clone(),
                format!("share-decision {outcome}"),
                // A permitted share is explicitly successful processing; a denied or
                // rejected one was handled correctly and shared nothing (the
                // standard's Unset). The log never records a failed processing.
                if outcome == "permit" { "Ok" } else { "Unset" },
                time(d.decided_at.as_ref()).unwrap_or_else(|| logged.clone()),
                trace,
            )
        }
        "case-change" => {
            let c = entry.case_change.as_ref()?;
            let subject = c
                .subject
                .as_ref()
                .map(|s| s.hex.clone())
                .unwrap_or_default();
            if subject.is_empty() {
                return None;
            }
            put("treiter.subject_role", &c.subject_role);
            put("treiter.category", &c.category);
            put("treiter.change", &c.change);
            (
                subject,
                CASE_ACTIVITY.to_owned(),
                format!("case-change {}", c.change),
                "Ok",
                logged.clone(),
                derived(
                    "treiter-logboek/trace/entry",
                    &[origin.as_bytes(), leaf],
                    16,
                ),
            )
        }
        _ => return None,
    };
    if subject.is_empty() {
        return None;
    }
    Some(json!({
        "trace_id": trace,
        "span_id": derived("treiter-logboek/span", &[origin.as_bytes(), leaf], 8),
        "status": status,
        "name": name,
        "start_time": start,
        "end_time": logged,
        "resource": { "attributes": Value::Object(res) },
        "attributes": {
            "dpl.core.processing_activity_id": format!("{activity_prefix}{activity}"),
            "dpl.core.data_subject_id": subject,
            "dpl.core.data_subject_id_type": SUBJECT_ID_TYPE,
        },
    }))
}

fn shape_ok(shape: Shape, v: &Value) -> bool {
    match shape {
        Shape::Hex(n) => v.as_str().is_some_and(|s| {
            s.len() == 2 * n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && s.bytes().any(|b| b != b'0')
        }),
        Shape::Word(words) => v.as_str().is_some_and(|s| words.contains(&s)),
        Shape::Text => v.as_str().is_some_and(|s| !s.is_empty()),
        Shape::Time => v.as_str().is_some_and(|s| {
            let b = s.as_bytes();
            b.len() == 24
                && b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    10 => *c == b'T',
                    13 | 16 => *c == b':',
                    19 => *c == b'.',
                    23 => *c == b'Z',
                    _ => c.is_ascii_digit(),
                })
        }),
        Shape::Uri => v.as_str().is_some_and(|s| {
            s.split_once(':').is_some_and(|(scheme, rest)| {
                !rest.is_empty()
                    && scheme
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            }) && !s.contains(char::is_whitespace)
        }),
        Shape::Object => v.is_object(),
        Shape::Count => v.is_u64(),
    }
}

/// Checks an object against a field list: every required field present, every field
/// known and of its shape. The error names the field (never its value).
pub fn check_fields(object: &Map<String, Value>, fields: &[Field], at: &str) -> Result<(), String> {
    for field in fields {
        match object.get(field.name) {
            None if field.required => return Err(format!("{at}{} is missing", field.name)),
            None => {}
            Some(v) if !shape_ok(field.shape, v) => {
                return Err(format!("{at}{} is not {:?}", field.name, field.shape));
            }
            Some(_) => {}
        }
    }
    if let Some(unknown) = object.keys().find(|k| !fields.iter().any(|f| f.name == *k)) {
        return Err(format!(
            "{at}{} is not a field of the record form",
            unknown.escape_debug()
        ));
    }
    Ok(())
}

/// Checks a record against [`FIELDS`], [`ATTRIBUTES`] and [`RESOURCE_ATTRIBUTES`].
pub fn validate(record: &Value) -> Result<(), String> {
    let top = record.as_object().ok_or("a record is a JSON object")?;
    check_fields(top, FIELDS, "")?;
    if let Some(attributes) = top.get("attributes").and_then(Value::as_object) {
        check_fields(attributes, ATTRIBUTES, "attributes.")?;
    }
    if let Some(resource) = top.get("resource").and_then(Value::as_object) {
        check_fields(
            resource,
            &[f("attributes", true, Shape::Object)],
            "resource.",
        )?;
        if let Some(a) = resource.get("attributes").and_then(Value::as_object) {
            check_fields(a, RESOURCE_ATTRIBUTES, "resource.attributes.")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented tables: `| `name` | verplicht/optioneel | shape | ...` rows
    /// between `<!-- logboek-fields: NAME -->` and the next blank line.
    fn documented(table: &str) -> Vec<(String, bool)> {
        let doc = include_str!("../../docs/LOGBOEK.md");
        let marker = format!("<!-- logboek-fields: {table} -->");
        let start = doc
            .find(&marker)
            .unwrap_or_else(|| panic!("{marker} in docs/LOGBOEK.md"));
        doc[start + marker.len()..]
            .trim_start()
            .lines()
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                let name = cells[1].trim_matches('`').to_owned();
                let required = match cells[2] {
                    "verplicht" => true,
                    "optioneel" => false,
                    other => panic!("{name}: '{other}' is neither verplicht nor optioneel"),
                };
                (name, required)
            })
            .collect()
    }

    fn listed(fields: &[Field]) -> Vec<(String, bool)> {
        fields
            .iter()
            .map(|f| (f.name.to_owned(), f.required))
            .collect()
    }

    #[test]
    fn the_field_lists_are_the_documented_ones() {
        assert_eq!(documented("record"), listed(FIELDS));
        assert_eq!(documented("attributes"), listed(ATTRIBUTES));
        assert_eq!(documented("resource"), listed(RESOURCE_ATTRIBUTES));
    }

    fn share(outcome: &str, case_file: &str) -> wire::LogEntry {
        wire::LogEntry {
            leaf_index: 7,
            leaf_hash: vec![0xab; 32],
            logged_at: Some(prost_types::Timestamp {
                seconds: 1_790_000_000,
                nanos: 5_000_000,
            }),
            kind: "share-decision".into(),
            covenant_version: 3,
            case_id: "C-2026-0001".into(),
            share_decision: Some(wire::ShareDecisionLog {
                decided_at: Some(prost_types::Timestamp {
                    seconds: 1_790_000_000,
                    nanos: 0,
                }),
                subject: Some(wire::SubjectPseudonym {
                    hex: "5a".repeat(32),
                }),
                purpose: "aanpak".into(),
                category: "politie-incidenten".into(),
                case_file_id: case_file.into(),
                decision: Some(wire::ShareDecision {
                    outcome: outcome.into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_share_decision_becomes_a_valid_record() {
        let r = record(&share("permit", "CF-1"), "hub/log", DEFAULT_ACTIVITY_PREFIX).unwrap();
        validate(&r).unwrap();
        assert_eq!(r["status"], "Ok");
        assert_eq!(r["start_time"], "2026-09-21T14:13:20.000Z");
        assert_eq!(r["end_time"], "2026-09-21T14:13:20.005Z");
        assert_eq!(
            r["attributes"]["dpl.core.processing_activity_id"],
            "urn:nl:treiteraanpak:verwerkingsactiviteit:aanpak"
        );
        assert_eq!(r["attributes"]["dpl.core.data_subject_id"], "5a".repeat(32));
        let denied = record(&share("deny", "CF-1"), "hub/log", DEFAULT_ACTIVITY_PREFIX).unwrap();
        assert_eq!(denied["status"], "Unset");
        // One case file, one trace; the same entry, the same span.
        assert_eq!(denied["trace_id"], r["trace_id"]);
        let other = record(&share("permit", "CF-2"), "hub/log", DEFAULT_ACTIVITY_PREFIX).unwrap();
        assert_ne!(other["trace_id"], r["trace_id"]);
        assert_eq!(other["span_id"], r["span_id"]);
    }

    #[test]
    fn validation_names_what_is_wrong() {
        let mut r = record(&share("permit", ""), "hub/log", DEFAULT_ACTIVITY_PREFIX).unwrap();
        validate(&r).unwrap();
        r["status"] = json!("Prima");
        assert!(validate(&r).unwrap_err().contains("status"));
        r["status"] = json!("Ok");
        r["attributes"]
            .as_object_mut()
            .unwrap()
            .remove("dpl.core.data_subject_id");
        assert_eq!(
            validate(&r).unwrap_err(),
            "attributes.dpl.core.data_subject_id is missing"
        );
        let mut r = record(&share("permit", ""), "hub/log", DEFAULT_ACTIVITY_PREFIX).unwrap();
        r["bsn"] = json!("x");
        assert!(validate(&r).unwrap_err().contains("bsn"));
    }

    #[test]
    fn entries_about_no_subject_give_no_record() {
        let e = wire::LogEntry {
            kind: "case-change".into(),
            leaf_hash: vec![1; 32],
            logged_at: Some(prost_types::Timestamp::default()),
            case_change: Some(wire::CaseChangeLog {
                change: "phase-moved".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(record(&e, "o", DEFAULT_ACTIVITY_PREFIX).is_none());
    }
}
