//! One share decision as JSON (docs/DECISION-JSON.md): the request, the
//! decision, and reading requests with an error per offending value, each with its
//! JSON path (`[3].case.phase`).

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::article::ArticleNo;
use crate::vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole};

/// An organisation-identificatienummer: exactly 20 digits (article 2.2).
///
/// Kept as a number so that comparing parties never compares strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oin(pub u128);

impl Oin {
    /// Parses 20 ASCII digits.
    pub fn parse(s: &str) -> Option<Oin> {
        crate::validate::parse_oin(s).map(Oin)
    }
}

impl fmt::Display for Oin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:020}", self.0)
    }
}

impl Serialize for Oin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Oin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // Not quoted: a value in the wrong place may be anyone's number (a BSN), and
        // request errors may be logged (art. 12.3).
        Oin::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "malformed OIN (a value of {} characters, not shown): an OIN is exactly 20 digits",
                text.chars().count()
            ))
        })
    }
}

/// A moment, written as RFC 3339 (`2026-11-23T10:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    /// Parses RFC 3339.
    pub fn parse(s: &str) -> Option<Timestamp> {
        OffsetDateTime::parse(s, &Rfc3339).ok().map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(
                "malformed timestamp (not shown): write RFC 3339, e.g. 2026-11-23T10:00:00Z",
            )
        })
    }
}

/// A request for one share decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// When the share would take place (emergencies are timed against it).
    pub at: Timestamp,
    /// The case.
    pub case: Case,
    /// The party providing the data.
    pub source: Source,
    /// Who would receive it.
    pub recipient: Recipient,
    /// The id of the subject the record is about; one of `case.subjects`.
    pub subject: String,
    /// The data category.
    pub category: Category,
    /// The purpose.
    pub purpose: Purpose,
    /// The names of the fields the source offers (free names).
    pub fields: Vec<String>,
}

/// The case a share is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The case id.
    pub id: String,
    /// Its stadsdeel.
    pub stadsdeel: Stadsdeel,
    /// Its phase.
    pub phase: Phase,
    /// Whether it is escalated to city level (article 4.5).
    pub escalated: bool,
    /// OINs of the parties in its plan van aanpak (article 5.4).
    pub participants: Vec<Oin>,
    /// Its subjects.
    pub subjects: Vec<Subject>,
    /// The emergency declared on it, if any (article 15).
    #[serde(default)]
    pub emergency: Option<Emergency>,
}

/// A subject of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Its id within the case.
    pub id: String,
    /// Its role.
    pub role: SubjectRole,
    /// Categories for which its consent is recorded and not withdrawn (article 11.3).
    pub consent: Vec<Category>,
}

/// An emergency declared on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emergency {
    /// The person id of the declarer.
    pub declared_by: String,
    /// When it was declared.
    pub declared_at: Timestamp,
    /// The written reason (never logged: it may hold personal data).
    pub reason: String,
}

/// The party providing the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Its OIN.
    pub oin: Oin,
    /// Its kind, as stated (checked against the covenant, article 2.3).
    pub kind: PartyKind,
}

/// Who would receive the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Its party's OIN.
    pub oin: Oin,
    /// Its party's kind, as stated.
    pub kind: PartyKind,
    /// Its role.
    pub role: Role,
    /// Its stadsdeel (required for `informatiemakelaar` and `stadsdeelregisseur`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stadsdeel: Option<Stadsdeel>,
    /// The person id.
    pub person: String,
}

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The share passes, possibly with fields stripped.
    Permit,
    /// The share is not permitted.
    Deny,
    /// The share carries prohibited content.
    Reject,
}

impl Outcome {
    /// The JSON word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Permit => "permit",
            Outcome::Deny => "deny",
            Outcome::Reject => "reject",
        }
    }
}

/// What a permitted share carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Obligation {
    /// Keep and delete per article 9.
    Retention {
        /// The article.
        article: ArticleNo,
    },
    /// Use only for this purpose (article 3.2).
    PurposeBinding {
        /// The purpose.
        purpose: Purpose,
        /// The article.
        article: ArticleNo,
    },
    /// An emergency share is reviewed (article 15.2).
    Review {
        /// The article.
        article: ArticleNo,
    },
}

/// Whom the hub must notify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// Always `privacy-officer`.
    pub kind: NotifyKind,
    /// The party whose officer is meant.
    pub oin: Oin,
    /// The article requiring it.
    pub article: ArticleNo,
}

/// Who is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyKind {
    /// The privacy officer of a party.
    PrivacyOfficer,
}

/// The decision on one share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Permit, deny or reject.
    pub outcome: Outcome,
    /// The fields that pass, sorted.
    pub passed: Vec<String>,
    /// The fields stripped, sorted.
    pub stripped: Vec<String>,
    /// Every article the decision rests on, in reading order.
    pub articles: Vec<ArticleNo>,
    /// Obligations (permit only).
    pub obligations: Vec<Obligation>,
    /// Whether this is an emergency share (article 15.5).
    pub emergency: bool,
    /// Whom to notify.
    pub notify: Vec<Notification>,
    /// The covenant version that decided (article 13.2).
    pub covenant_version: u32,
}

/// A request value that is not acceptable, with its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct InputError {
    /// `[3].case.phase`, or `.` for the whole document.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Requests as read: one object, or an array of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requests {
    /// A single object: answered with a single decision.
    One(Box<DecisionRequest>),
    /// An array: answered with an array.
    Many(Vec<DecisionRequest>),
}

impl DecisionRequest {
    /// Reads one request or an array of them from JSON text; on failure, every
    /// error found, each with its path.
    pub fn parse_json(text: &str) -> Result<Requests, Vec<InputError>> {
        // Files saved by Windows editors may start with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            vec![InputError {
                path: ".".into(),
                message: format!("not JSON: {e}"),
            }]
        })?;
        match value {
            serde_json::Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut errors = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    match Self::from_value(item) {
                        Ok(r) => out.push(r),
                        Err(es) => errors.extend(es.into_iter().map(|e| InputError {
                            path: if e.path == "." {
                                format!("[{i}]")
                            } else if e.path.starts_with('[') {
                                format!("[{i}]{}", e.path)
                            } else {
                                format!("[{i}].{}", e.path)
                            },
                            message: e.message,
                        })),
                    }
                }
                if errors.is_empty() {
                    Ok(Requests::Many(out))
                } else {
                    Err(errors)
                }
            }
            other => Self::from_value(other).map(|r| Requests::One(Box::new(r))),
        }
    }

    /// Reads one request from a JSON value, and checks it (see [`Self::check`]). On
    /// failure, every problem of the value ([`shape::problems`]), not only the first.
    pub fn from_value(value: serde_json::Value) -> Result<DecisionRequest, Vec<InputError>> {
        let all = shape::problems(&value);
        let request: DecisionRequest = serde_path_to_error::deserialize(value).map_err(|e| {
            if all.is_empty() {
                // The walk below missed what serde found: still say it.
                vec![InputError {
                    path: json_path(e.path()),
                    message: e.inner().to_string(),
                }]
            } else {
                all
            }
        })?;
        let errors = request.check();
        if errors.is_empty() {
            Ok(request)
        } else {
            Err(errors)
        }
    }

    /// What the types alone cannot say (messages quote no ids or values, article 12.3): the subject is one of the case's, subject ids
    /// and field names are unique and not empty, and the roles that work in a
    /// stadsdeel say which.
    pub fn check(&self) -> Vec<InputError> {
        let mut errors = Vec::new();
        let mut err = |path: String, message: String| errors.push(InputError { path, message });
        let mut ids = HashSet::new();
        for (i, s) in self.case.subjects.iter().enumerate() {
            if s.id.is_empty() {
                err(
                    format!("case.subjects[{i}].id"),
                    "a subject id cannot be empty".into(),
                );
            } else if !ids.insert(s.id.as_str()) {
                err(
                    format!("case.subjects[{i}].id"),
                    "this subject id is listed twice".into(),
                );
            }
        }
        if !self.case.subjects.iter().any(|s| s.id == self.subject) {
            err(
                "subject".into(),
                "not one of the case's subjects (case.subjects[].id)".into(),
            );
        }
        let mut names = HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            if f.is_empty() {
                err(
                    format!("fields[{i}]"),
                    "a field name cannot be empty".into(),
                );
            } else if !names.insert(f.as_str()) {
                err(
                    format!("fields[{i}]"),
                    if crate::vocab::looks_like_a_word(f) {
                        format!("field '{f}' is listed twice")
                    } else {
                        "this field name is listed twice".into()
                    },
                );
            }
        }
        if matches!(
            self.recipient.role,
            Role::Informatiemakelaar | Role::Stadsdeelregisseur
        ) && self.recipient.stadsdeel.is_none()
        {
            err(
                "recipient.stadsdeel".into(),
                format!(
                    "missing: a {} works in a stadsdeel, say which",
                    self.recipient.role
                ),
            );
        }
        if self.recipient.person.is_empty() {
            err(
                "recipient.person".into(),
                "a person id cannot be empty".into(),
            );
        }
        errors
    }
}

/// Every problem of a request's JSON, found by walking it field by field: serde stops
/// at the first one, and a person fixing a request by hand wants them all at once.
mod shape {
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::{InputError, Oin, Timestamp};
    use crate::vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole};

    /// What a value must be.
    enum Shape {
        /// A value one type reads.
        Leaf(fn(&Value) -> Result<(), String>),
        /// An object with these keys: name, required, shape.
        Object(&'static [(&'static str, bool, Shape)]),
        /// An array of these.
        Array(&'static Shape),
        /// This, or null.
        Nullable(&'static Shape),
    }

    fn leaf<T: DeserializeOwned>(v: &Value) -> Result<(), String> {
        serde_json::from_value::<T>(v.clone())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    const SUBJECT: Shape = Shape::Object(&[
        ("id", true, Shape::Leaf(leaf::<String>)),
        ("role", true, Shape::Leaf(leaf::<SubjectRole>)),
        (
            "consent",
            true,
            Shape::Array(&Shape::Leaf(leaf::<Category>)),
        ),
    ]);

    const EMERGENCY: Shape = Shape::Object(&[
        ("declared_by", true, Shape::Leaf(leaf::<String>)),
        ("declared_at", true, Shape::Leaf(leaf::<Timestamp>)),
        ("reason", true, Shape::Leaf(leaf::<String>)),
    ]);

    const REQUEST: Shape = Shape::Object(&[
        ("at", true, Shape::Leaf(leaf::<Timestamp>)),
        (
            "case",
            true,
            Shape::Object(&[
                ("id", true, Shape::Leaf(leaf::<String>)),
                ("stadsdeel", true, Shape::Leaf(leaf::<Stadsdeel>)),
                ("phase", true, Shape::Leaf(leaf::<Phase>)),
                ("escalated", true, Shape::Leaf(leaf::<bool>)),
                (
                    "participants",
                    true,
                    Shape::Array(&Shape::Leaf(leaf::<Oin>)),
                ),
                ("subjects", true, Shape::Array(&SUBJECT)),
                ("emergency", false, Shape::Nullable(&EMERGENCY)),
            ]),
        ),
        (
            "source",
            true,
            Shape::Object(&[
                ("oin", true, Shape::Leaf(leaf::<Oin>)),
                ("kind", true, Shape::Leaf(leaf::<PartyKind>)),
            ]),
        ),
        (
            "recipient",
            true,
            Shape::Object(&[
                ("oin", true, Shape::Leaf(leaf::<Oin>)),
                ("kind", true, Shape::Leaf(leaf::<PartyKind>)),
                ("role", true, Shape::Leaf(leaf::<Role>)),
                (
                    "stadsdeel",
                    false,
                    Shape::Nullable(&Shape::Leaf(leaf::<Stadsdeel>)),
                ),
                ("person", true, Shape::Leaf(leaf::<String>)),
            ]),
        ),
        ("subject", true, Shape::Leaf(leaf::<String>)),
        ("category", true, Shape::Leaf(leaf::<Category>)),
        ("purpose", true, Shape::Leaf(leaf::<Purpose>)),
        ("fields", true, Shape::Array(&Shape::Leaf(leaf::<String>))),
    ]);

    /// Every problem of `value` as a request, in document order, each with its path
    /// (as `json_path` writes it).
    pub(super) fn problems(value: &Value) -> Vec<InputError> {
        let mut out = Vec::new();
        walk(value, &REQUEST, "", &mut out);
        out
    }

    fn join(path: &str, key: &str) -> String {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            format!("{path}[{}]", Value::from(key))
        } else if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    }

    fn at(path: &str) -> String {
        if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }
    }

    fn walk(value: &Value, shape: &Shape, path: &str, out: &mut Vec<InputError>) {
        match shape {
            Shape::Leaf(read) => {
                if let Err(message) = read(value) {
                    out.push(InputError {
                        path: at(path),
                        message,
                    });
                }
            }
            Shape::Nullable(inner) => {
                if !value.is_null() {
                    walk(value, inner, path, out);
                }
            }
            Shape::Array(item) => match value.as_array() {
                Some(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, item, &format!("{path}[{i}]"), out);
                    }
                }
                None => out.push(InputError {
                    path: at(path),
                    message: format!("expected an array, found {}", kind_of(value)),
                }),
            },
            Shape::Object(fields) => {
                let Some(map) = value.as_object() else {
                    out.push(InputError {
                        path: at(path),
                        message: format!("expected an object, found {}", kind_of(value)),
                    });
                    return;
                };
                let names: Vec<String> = fields.iter().map(|(n, _, _)| format!("`{n}`")).collect();
                for (key, v) in map {
                    match fields.iter().find(|(n, _, _)| n == key) {
                        Some((_, _, shape)) => walk(v, shape, &join(path, key), out),
                        None => out.push(InputError {
                            path: join(path, key),
                            message: format!(
                                "unknown field{}, expected one of {}",
                                if crate::vocab::looks_like_a_word(key) {
                                    format!(" `{key}`")
                                } else {
                                    String::new()
                                },
                                names.join(", ")
                            ),
                        }),
                    }
                }
                for (name, required, _) in fields.iter() {
                    if *required && !map.contains_key(*name) {
                        out.push(InputError {
                            path: at(path),
                            message: format!("missing field `{name}`"),
                        });
                    }
                }
            }
        }
    }

    fn kind_of(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "true or false",
            Value::Number(_) => "a number",
            Value::String(_) => "a text",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// A path as `case.subjects[0].id`, `.` for the whole document. A key that is not a
/// plain word (an unknown key such as `""` or `"x.y"`) is written `["x.y"]`, so that
/// every path names one place.
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !plain {
                    out.push_str(&format!("[{}]", serde_json::Value::from(key.as_str())));
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    if out.is_empty() { ".".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = r#"{
      "at": "2026-11-23T10:00:00Z",
      "case": {
        "id": "C-2026-0042", "stadsdeel": "oost", "phase": "aanpak", "escalated": false,
        "participants": ["00000004000000000005"],
        "subjects": [
          { "id": "S1", "role": "dader", "consent": [] },
          { "id": "S2", "role": "slachtoffer", "consent": ["slachtofferinformatie"] }
        ],
        "emergency": { "declared_by": "p-politie-017", "declared_at": "2026-11-22T22:00:00Z", "reason": "dreiging met wapen" }
      },
      "source": { "oin": "00000002000000000002", "kind": "politie" },
      "recipient": { "oin": "00000001000000000001", "kind": "gemeente", "role": "stadsdeelregisseur", "stadsdeel": "oost", "person": "p-gemeente-004" },
      "subject": "S1", "category": "politie-incidenten", "purpose": "aanpak",
      "fields": ["datum", "incidentsoort", "samenvatting", "locatie"]
    }"#;

    fn errors_of(text: &str) -> Vec<String> {
        match DecisionRequest::parse_json(text) {
            Ok(_) => vec![],
            Err(es) => es.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn reads_the_documented_example() {
        let Ok(Requests::One(r)) = DecisionRequest::parse_json(EXAMPLE) else {
            panic!("example does not parse");
        };
        assert_eq!(r.case.phase, Phase::Aanpak);
        assert_eq!(r.source.oin, Oin(2_000_000_000_002));
        assert_eq!(r.source.oin.to_string(), "00000002000000000002");
        assert_eq!(r.recipient.stadsdeel, Some(Stadsdeel::Oost));
        assert!(r.case.emergency.is_some());
    }

    #[test]
    fn a_bad_word_is_reported_at_its_path_in_an_array() {
        let bad = EXAMPLE.replace("\"phase\": \"aanpak\"", "\"phase\": \"gesloten\"");
        let text = format!("[{EXAMPLE}, {bad}]");
        let errs = errors_of(&text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let e = errs.first().unwrap();
        assert!(
            e.starts_with("[1].case.phase: unknown phase 'gesloten'"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_malformed_oins_and_timestamps_are_errors() {
        let e = errors_of(&EXAMPLE.replace("\"escalated\"", "\"extra\": 1, \"escalated\""));
        assert!(
            e.first().unwrap().contains("unknown field `extra`"),
            "{e:?}"
        );
        let e = errors_of(&EXAMPLE.replace("\"00000002000000000002\"", "\"123456782\""));
        assert!(
            e.first()
                .unwrap()
                .starts_with("source.oin: malformed OIN (a value of 9 characters, not shown)"),
            "{e:?}"
        );
        // A number in the wrong place may be someone's BSN: never shown.
        assert!(!e.iter().any(|m| m.contains("123456782")), "{e:?}");
        let e = errors_of(&EXAMPLE.replace("2026-11-22T22:00:00Z", "yesterday"));
        assert!(
            e.first()
                .unwrap()
                .starts_with("case.emergency.declared_at: malformed timestamp"),
            "{e:?}"
        );
        let e = errors_of(&EXAMPLE.replace("\"00000004000000000005\"", "\"x\""));
        assert!(
            e.first()
                .unwrap()
                .starts_with("case.participants[0]: malformed OIN"),
            "{e:?}"
        );
    }

    #[test]
    fn semantic_errors_are_all_reported() {
        let text = EXAMPLE
            .replace("\"subject\": \"S1\"", "\"subject\": \"S9\"")
            .replace("\"stadsdeel\": \"oost\", \"person\"", "\"person\"")
            .replace("\"locatie\"]", "\"datum\"]");
        let e = errors_of(&text);
        assert_eq!(
            e,
            vec![
                "subject: not one of the case's subjects (case.subjects[].id)",
                "fields[3]: field 'datum' is listed twice",
                "recipient.stadsdeel: missing: a stadsdeelregisseur works in a stadsdeel, say which",
            ]
        );
    }

    #[test]
    fn an_unknown_key_that_is_not_a_word_is_quoted_in_the_path() {
        assert_eq!(
            errors_of(r#"{"": null}"#).first().map(|e| e
                .split(": ")
                .next()
                .unwrap_or_default()
                .to_owned()),
            Some(r#"[""]"#.to_owned())
        );
        let e = errors_of(&EXAMPLE.replace("\"escalated\"", "\"x.y\": 1, \"escalated\""));
        assert!(
            e.first()
                .unwrap()
                .starts_with(r#"case["x.y"]: unknown field"#),
            "{e:?}"
        );
        let e = errors_of(&format!(
            "[{}]",
            EXAMPLE.replace("\"escalated\"", "\"\": 1, \"escalated\"")
        ));
        assert!(
            e.first()
                .unwrap()
                .starts_with(r#"[0].case[""]: unknown field"#),
            "{e:?}"
        );
    }

    #[test]
    fn every_problem_of_a_request_is_reported_with_vocabulary_shown() {
        let text = EXAMPLE
            .replace("\"phase\": \"aanpak\"", "\"phase\": \"Duiding\"")
            .replace(
                "\"category\": \"politie-incidenten\"",
                "\"category\": \"politie-incident\"",
            )
            .replace("\"kind\": \"politie\"", "\"kind\": \"Jan Jansen\"")
            .replace("\"escalated\": false,", "\"extra\": 1,");
        let e = errors_of(&text);
        let find = |prefix: &str| {
            e.iter()
                .find(|m| m.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} in {e:#?}"))
                .clone()
        };
        assert_eq!(e.len(), 5, "{e:#?}");
        let phase = find("case.phase: unknown phase 'Duiding'");
        assert!(phase.ends_with("did you mean 'duiding'?"), "{phase}");
        let category = find("category: unknown category 'politie-incident'");
        assert!(
            category.ends_with("did you mean 'politie-incidenten'?"),
            "{category}"
        );
        let kind = find("source.kind: unknown party kind (a value of 10 characters, not shown)");
        assert!(!kind.contains("Jansen"), "{kind}");
        find("case.extra: unknown field `extra`");
        find("case: missing field `escalated`");
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let text = format!("\u{feff}{EXAMPLE}");
        assert!(matches!(
            DecisionRequest::parse_json(&text),
            Ok(Requests::One(_))
        ));
    }

    #[test]
    fn not_json_is_reported_at_the_root() {
        let e = errors_of("{ nope");
        assert!(e.first().unwrap().starts_with(".: not JSON"), "{e:?}");
    }

    #[test]
    fn a_null_emergency_is_none() {
        let text = EXAMPLE.replace(
            r#"{ "declared_by": "p-politie-017", "declared_at": "2026-11-22T22:00:00Z", "reason": "dreiging met wapen" }"#,
            "null",
        );
        let Ok(Requests::One(r)) = DecisionRequest::parse_json(&text) else {
            panic!("does not parse")
        };
        assert_eq!(r.case.emergency, None);
    }
}
