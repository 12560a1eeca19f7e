//! The log entry (article 10.1) and its canonical encoding.
//!
//! An entry records one decision or change: a decision on a share (permit, deny or
//! reject, with the fields stripped), a change to a case, a deletion under the
//! retention rules (article 9) or a step in approving a covenant version (article 13).
//!
//! **No personal data (article 12.3).** Every text in an entry is an identifier of a
//! fixed shape, checked when the value is built and again when it is read back:
//! OINs (20 digits), person and case ids (`[A-Za-z0-9._-]`, no spaces), subject
//! pseudonyms (64 hex digits), field names (lowercase vocabulary words, see
//! [`treiter_policies::vocab::looks_like_a_word`]), and the covenant's own vocabulary
//! (categories, purposes, roles, phases, outcomes, article numbers). There is no field
//! for a value, a reason or a note, so a name, an address, a BSN or free text cannot be
//! put in an entry. A field name offered by a source that is not word-like is not
//! logged; only their number is ([`ShareDecision::withheld_field_names`]).
//!
//! **Canonical encoding.** The leaf hash is over the entry's canonical bytes: JSON with
//! the keys of every object sorted, no whitespace, sets sorted and without duplicates,
//! absent options and zero counts left out, times as `YYYY-MM-DDTHH:MM:SS.mmmZ`, and a
//! random [`Salt`] that keeps the leaf hash from revealing the entry to other parties.
//! [`Entry::from_canonical`] refuses bytes that are not exactly the canonical encoding
//! of what they decode to, so an entry has one encoding and one leaf hash.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use treiter_policies::ArticleNo;
use treiter_policies::request::{Oin, Outcome};
use treiter_policies::vocab::{Category, Phase, Purpose, Role, SubjectRole, looks_like_a_word};

use super::hash::{Hash, leaf_hash};

/// The largest canonical entry the log accepts, in bytes. A share decision is well
/// under 2 KB; anything near this limit is a bug upstream.
pub const MAX_ENTRY_BYTES: usize = 16 * 1024;

/// Why an entry, or a value for one, was refused. Messages never quote the value: it
/// might be the personal data the type exists to keep out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A value does not have the shape its field requires.
    #[error("{what}: {problem} (the value, {length} characters, is not shown)")]
    BadValue {
        what: &'static str,
        problem: &'static str,
        length: usize,
    },
    /// The bytes are not an entry.
    #[error("not a log entry: {0}")]
    Unreadable(String),
    /// The bytes decode to an entry but are not its canonical encoding.
    #[error("the entry is not in canonical form (sorted keys, no whitespace, sorted sets)")]
    NotCanonical,
    /// The canonical encoding is larger than [`MAX_ENTRY_BYTES`].
    #[error("the entry is {size} bytes; the log takes at most {max}")]
    TooLarge { size: usize, max: usize },
}

fn bad(what: &'static str, problem: &'static str, value: &str) -> EntryError {
    EntryError::BadValue {
        what,
        problem,
        length: value.chars().count(),
    }
}

/// Implements Display, Serialize (as the string) and Deserialize (through `parse`).
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Whether `s` is an identifier token: 1..=`max` characters of `[A-Za-z0-9._-]`,
/// starting with a letter or digit. No spaces, so no names or addresses.
fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A person id as in the UID of a person certificate and the hub's person registry
/// (`p-gemeente-004`): an identifier token of at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(String);

impl PersonId {
    /// Checks the shape.
    pub fn parse(s: &str) -> Result<Self, EntryError> {
        if is_token(s, 64) {
            Ok(PersonId(s.to_owned()))
        } else {
            Err(bad(
                "person id",
                "expected at most 64 of A-Z, a-z, 0-9, '.', '_', '-'",
                s,
            ))
        }
    }
}
string_newtype!(PersonId);

/// A case id (`C-2026-0001`): an identifier token of at most 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(String);

impl CaseId {
    /// Checks the shape.
    pub fn parse(s: &str) -> Result<Self, EntryError> {
        if is_token(s, 40) {
            Ok(CaseId(s.to_owned()))
        } else {
            Err(bad(
                "case id",
                "expected at most 40 of A-Z, a-z, 0-9, '.', '_', '-'",
                s,
            ))
        }
    }
}
string_newtype!(CaseId);

/// A subject's keyed pseudonym: 64 lowercase hex digits (article 8.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(String);

impl Pseudonym {
    /// Checks the shape.
    pub fn parse(s: &str) -> Result<Self, EntryError> {
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Pseudonym(s.to_owned()))
        } else {
            Err(bad(
                "subject pseudonym",
                "expected 64 lowercase hex digits",
                s,
            ))
        }
    }
}
string_newtype!(Pseudonym);

/// The name of a data field (`naam`, `melder_identiteit`): a lowercase vocabulary word
/// of at most 32 characters, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldName(String);

impl FieldName {
    /// Checks the shape.
    pub fn parse(s: &str) -> Result<Self, EntryError> {
        if looks_like_a_word(s) {
            Ok(FieldName(s.to_owned()))
        } else {
            Err(bad("field name", "expected at most 32 of a-z, '-', '_'", s))
        }
    }
}
string_newtype!(FieldName);

/// A set of field names, sorted, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldNames(BTreeSet<FieldName>);

impl FieldNames {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// All of these names, or the first that is not a field name.
    pub fn parse_all<S: AsRef<str>>(
        names: impl IntoIterator<Item = S>,
    ) -> Result<Self, EntryError> {
        names
            .into_iter()
            .map(|n| FieldName::parse(n.as_ref()))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(FieldNames)
    }

    /// The names as a source offered them: the word-like ones, and how many were not
    /// word-like (those are not logged, article 12.3).
    pub fn from_offered<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> (Self, u32) {
        let mut set = BTreeSet::new();
        let mut withheld = 0u32;
        for n in names {
            match FieldName::parse(n.as_ref()) {
                Ok(f) => {
                    set.insert(f);
                }
                Err(_) => withheld = withheld.saturating_add(1),
            }
        }
        (FieldNames(set), withheld)
    }

    /// The names, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &FieldName> {
        self.0.iter()
    }

    /// Whether the set has this name.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|f| f.as_str() == name)
    }

    /// The number of names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A moment in UTC with millisecond precision, written `2026-11-23T10:00:00.123Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogTime {
    unix_millis: i64,
}

const LOG_TIME_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

impl LogTime {
    /// The moment, truncated to the millisecond, in UTC. Years outside 0000–9999 are
    /// refused (they have no fixed-width form).
    pub fn from_datetime(t: OffsetDateTime) -> Result<Self, EntryError> {
        let year = t.to_offset(time::UtcOffset::UTC).year();
        if !(0..=9999).contains(&year) {
            return Err(bad("time", "the year must be 0000 to 9999", ""));
        }
        let unix_millis = i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| bad("time", "out of range", ""))?;
        Ok(LogTime { unix_millis })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn unix_millis(&self) -> i64 {
        self.unix_millis
    }

    /// The moment as a date-time in UTC.
    pub fn to_datetime(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.unix_millis) * 1_000_000).ok()
    }

    /// Parses exactly the fixed form.
    pub fn parse(s: &str) -> Result<Self, EntryError> {
        let err = || bad("time", "expected YYYY-MM-DDTHH:MM:SS.mmmZ", s);
        let t = time::PrimitiveDateTime::parse(s, LOG_TIME_FORMAT).map_err(|_| err())?;
        let parsed = LogTime::from_datetime(t.assume_utc())?;
        // One moment, one text: refuse anything the formatter would not write.
        if parsed.to_string() == s {
            Ok(parsed)
        } else {
            Err(err())
        }
    }
}

impl fmt::Display for LogTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self
            .to_datetime()
            .and_then(|t| t.format(LOG_TIME_FORMAT).ok())
        {
            Some(s) => f.write_str(&s),
            None => write!(f, "@{}ms", self.unix_millis),
        }
    }
}

impl Serialize for LogTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LogTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        LogTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Who asked or acted: the party (from its certificate), the role the person acted in,
/// and the person id (article 10.1 "requester (party, role, person)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requester {
    pub party: Oin,
    pub role: Role,
    pub person: PersonId,
}

/// A privacy officer to be notified (reject: article 7; emergency review: 15.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// The party whose privacy officer is notified.
    pub party: Oin,
    /// The article requiring it.
    pub article: ArticleNo,
}

/// The decision on one share (article 10.1): every decision is logged, permitted,
/// refused or stripped, with the names of the fields offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareDecision {
    /// Who asked: the recipient person and the role they asked in.
    pub requester: Requester,
    /// The party providing the data.
    pub source: Oin,
    /// The party receiving it.
    pub recipient: Oin,
    pub case: CaseId,
    pub subject: Pseudonym,
    pub category: Category,
    pub purpose: Purpose,
    /// The names of the fields the source offered (for a refused share too).
    pub fields_offered: FieldNames,
    /// The names of the fields stripped (a permit only).
    pub fields_stripped: FieldNames,
    /// How many offered field names were not word-like and so are not logged.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub withheld_field_names: u32,
    pub outcome: Outcome,
    /// The articles the decision rests on, in reading order.
    pub articles: BTreeSet<ArticleNo>,
    /// Whether it is an emergency share (article 15.5).
    pub emergency: bool,
    /// Privacy officers notified.
    pub notifications: BTreeSet<Notification>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ShareDecision {
    /// The fields that passed: offered and not stripped, for a permit; none otherwise.
    pub fn fields_passed(&self) -> Vec<&FieldName> {
        if self.outcome != Outcome::Permit {
            return Vec::new();
        }
        self.fields_offered
            .iter()
            .filter(|f| !self.fields_stripped.0.contains(*f))
            .collect()
    }
}

/// What changed in a case (the case registry's events, without their free texts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CaseChangeKind {
    CaseCreated,
    PhaseMoved {
        from: Phase,
        to: Phase,
    },
    Escalated,
    ContactRecorded,
    SubjectAdded {
        subject: Pseudonym,
        role: SubjectRole,
    },
    SubjectUpdated {
        subject: Pseudonym,
        role: SubjectRole,
    },
    SubjectRemoved {
        subject: Pseudonym,
    },
    ConsentRecorded {
        subject: Pseudonym,
        category: Category,
    },
    ConsentWithdrawn {
        subject: Pseudonym,
        category: Category,
    },
    ParticipantAdded {
        party: Oin,
    },
    ParticipantRemoved {
        party: Oin,
    },
    EmergencyDeclared,
}

/// A change to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseChange {
    pub actor: Requester,
    pub case: CaseId,
    pub change: CaseChangeKind,
}

/// Case data deleted under the retention rules (article 9.1 or 9.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionDeletion {
    pub case: CaseId,
    /// When the case ended (`afgesloten` or `buiten-aanpak`), from which the deadline
    /// runs.
    pub case_ended: LogTime,
    /// 9.1 or 9.2.
    pub article: ArticleNo,
}

/// A step in changing the encoded covenant (article 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalStep {
    /// A privacy officer proposed the version.
    Proposed,
    /// A privacy officer approved it.
    Approved,
    /// It took effect (article 13.1 satisfied).
    Activated,
}

/// A covenant version proposed, approved or activated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovenantApproval {
    pub actor: Requester,
    pub step: ApprovalStep,
    /// The version number proposed (article 13.2).
    pub version: u32,
    /// SHA-256 of the encoded covenant text, in hex.
    pub text_hash: HexHash,
}

/// A SHA-256 hash written as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexHash(pub Hash);

impl Serialize for HexHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_hex())
    }
}

impl<'de> Deserialize<'de> for HexHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("hash: expected lowercase hex"));
        }
        Hash::from_hex(&text)
            .map(HexHash)
            .ok_or_else(|| serde::de::Error::custom("hash: expected 64 hex digits"))
    }
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    ShareDecision(ShareDecision),
    CaseChange(CaseChange),
    RetentionDeletion(RetentionDeletion),
    CovenantApproval(CovenantApproval),
}

/// The kind of an entry, as written in its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    ShareDecision,
    CaseChange,
    RetentionDeletion,
    CovenantApproval,
}

impl EntryKind {
    /// The word in the entry.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::ShareDecision => "share-decision",
            EntryKind::CaseChange => "case-change",
            EntryKind::RetentionDeletion => "retention-deletion",
            EntryKind::CovenantApproval => "covenant-approval",
        }
    }
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// When it was decided or done.
    pub time: LogTime,
    /// The covenant version in force (article 13.2).
    pub covenant_version: u32,
    pub event: Event,
}

impl Entry {
    /// The kind of entry.
    pub fn kind(&self) -> EntryKind {
        match self.event {
            Event::ShareDecision(_) => EntryKind::ShareDecision,
            Event::CaseChange(_) => EntryKind::CaseChange,
            Event::RetentionDeletion(_) => EntryKind::RetentionDeletion,
            Event::CovenantApproval(_) => EntryKind::CovenantApproval,
        }
    }

    /// The case the entry is about, if any.
    pub fn case(&self) -> Option<&CaseId> {
        match &self.event {
            Event::ShareDecision(d) => Some(&d.case),
            Event::CaseChange(c) => Some(&c.case),
            Event::RetentionDeletion(r) => Some(&r.case),
            Event::CovenantApproval(_) => None,
        }
    }

    /// Whether a party provided or received the share this entry decides (article
    /// 10.3: a party may read exactly these entries).
    pub fn is_share_of(&self, party: Oin) -> bool {
        match &self.event {
            Event::ShareDecision(d) => d.source == party || d.recipient == party,
            _ => false,
        }
    }

    /// The canonical bytes of the entry with its salt (module doc): what is stored
    /// and what the leaf hash is over.
    pub fn to_canonical(&self, salt: &Salt) -> Result<Vec<u8>, EntryError> {
        let out = match &self.event {
            Event::ShareDecision(decision) => {
                let out = self.share_decision_canonical(decision, salt)?;
                // The direct writer must write what the general one writes: every
                // share decision of every test (debug builds) is checked.
                debug_assert_eq!(
                    Some(&out),
                    self.canonical_through_tree(salt).ok().as_ref(),
                    "the direct canonical writer of a share decision differs"
                );
                out
            }
            _ => self.canonical_through_tree(salt)?,
        };
        if out.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge {
                size: out.len(),
                max: MAX_ENTRY_BYTES,
            });
        }
        Ok(out)
    }

    /// The canonical bytes of any entry, through a `serde_json::Value` tree.
    fn canonical_through_tree(&self, salt: &Salt) -> Result<Vec<u8>, EntryError> {
        let mut value = serde_json::to_value(self).map_err(|e| cannot_encode(&e))?;
        let serde_json::Value::Object(map) = &mut value else {
            return Err(EntryError::Unreadable(
                "cannot encode: not an object".into(),
            ));
        };
        map.insert(SALT_KEY.into(), serde_json::Value::String(salt.to_hex()));
        // Canonical as written: serde_json's `Map` is a `BTreeMap` (its `preserve_order`
        // feature is off in this workspace), so its compact writer puts every object's
        // keys in byte order with no whitespace; writing the tree once with it, instead of
        // walking it here, saves a string allocation per key and value (issue 20).
        // `the_json_map_keeps_its_keys_sorted` fails if a dependency turns
        // `preserve_order` on.
        let mut out = Vec::with_capacity(1024);
        serde_json::to_writer(&mut out, &value).map_err(|e| cannot_encode(&e))?;
        Ok(out)
    }

    /// The canonical bytes of a share decision entry, written key by key in byte
    /// order: most entries are share decisions, and building the tree of
    /// [`Entry::canonical_through_tree`] for each was about 8 % of the hub's
    /// instructions per case file. Each value is written by its own `Serialize`, as
    /// the tree writes it; the key order, the `kind` tag and leaving out a zero
    /// `withheld_field_names` are this function's, as the derived `Serialize` has them.
    /// Every struct is taken apart field by field (no `..`): a field added to one of
    /// them does not build until it is written here too.
    fn share_decision_canonical(
        &self,
        d: &ShareDecision,
        salt: &Salt,
    ) -> Result<Vec<u8>, EntryError> {
        fn value<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> Result<(), EntryError> {
            serde_json::to_writer(out, v).map_err(|e| cannot_encode(&e))
        }
        let Entry {
            time,
            covenant_version,
            event: _,
        } = self;
        let ShareDecision {
            requester:
                Requester {
                    party: requester_party,
                    role,
                    person,
                },
            source,
            recipient,
            case,
            subject,
            category,
            purpose,
            fields_offered,
            fields_stripped,
            withheld_field_names,
            outcome,
            articles,
            emergency,
            notifications,
        } = d;
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"{\"covenant_version\":");
        value(&mut out, covenant_version)?;
        out.extend_from_slice(b",\"event\":{\"articles\":");
        value(&mut out, articles)?;
        out.extend_from_slice(b",\"case\":");
        value(&mut out, case)?;
        out.extend_from_slice(b",\"category\":");
        value(&mut out, category)?;
        out.extend_from_slice(b",\"emergency\":");
        value(&mut out, emergency)?;
        out.extend_from_slice(b",\"fields_offered\":");
        value(&mut out, fields_offered)?;
        out.extend_from_slice(b",\"fields_stripped\":");
        value(&mut out, fields_stripped)?;
        out.extend_from_slice(b",\"kind\":\"share-decision\",\"notifications\":[");
        for (i, Notification { party, article }) in notifications.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"article\":");
            value(&mut out, article)?;
            out.extend_from_slice(b",\"party\":");
            value(&mut out, party)?;
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"outcome\":");
        value(&mut out, outcome)?;
        out.extend_from_slice(b",\"purpose\":");
        value(&mut out, purpose)?;
        out.extend_from_slice(b",\"recipient\":");
        value(&mut out, recipient)?;
        out.extend_from_slice(b",\"requester\":{\"party\":");
        value(&mut out, requester_party)?;
        out.extend_from_slice(b",\"person\":");
        value(&mut out, person)?;
        out.extend_from_slice(b",\"role\":");
        value(&mut out, role)?;
        out.extend_from_slice(b"},\"source\":");
        value(&mut out, source)?;
        out.extend_from_slice(b",\"subject\":");
        value(&mut out, subject)?;
        if !is_zero(withheld_field_names) {
            out.extend_from_slice(b",\"withheld_field_names\":");
            value(&mut out, withheld_field_names)?;
        }
        out.extend_from_slice(b"},\"");
        out.extend_from_slice(SALT_KEY.as_bytes());
        out.extend_from_slice(b"\":");
        value(&mut out, &salt.to_hex())?;
        out.extend_from_slice(b",\"time\":");
        value(&mut out, time)?;
        out.push(b'}');
        Ok(out)
    }

    /// Decodes canonical bytes into the entry and its salt, refusing any other
    /// encoding of the same entry.
    pub fn from_canonical(bytes: &[u8]) -> Result<(Entry, Salt), EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge {
                size: bytes.len(),
                max: MAX_ENTRY_BYTES,
            });
        }
        let mut value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| EntryError::Unreadable(redact(&e)))?;
        let salt = match &mut value {
            serde_json::Value::Object(map) => match map.remove(SALT_KEY) {
                Some(serde_json::Value::String(hex)) => Salt::from_hex(&hex),
                _ => None,
            },
            _ => None,
        }
        .ok_or_else(|| EntryError::Unreadable("no salt of 32 lowercase hex digits".into()))?;
        let entry: Entry =
            serde_json::from_value(value).map_err(|e| EntryError::Unreadable(redact(&e)))?;
        if entry.to_canonical(&salt)? == bytes {
            Ok((entry, salt))
        } else {
            Err(EntryError::NotCanonical)
        }
    }

    /// The leaf hash of the canonical bytes (RFC 6962 §2.1).
    pub fn leaf_hash(&self, salt: &Salt) -> Result<Hash, EntryError> {
        Ok(leaf_hash(&self.to_canonical(salt)?))
    }
}

/// The key of the salt in an entry's canonical JSON.
const SALT_KEY: &str = "salt";

/// 16 random bytes stored with each entry (as 32 hex digits under `salt`).
///
/// Inclusion proofs show a party the hashes of other parties' entries next to its own.
/// Without a salt, a party could confirm a guess of a neighbouring entry (who shared
/// what about whom, and when) by hashing candidates, since entries are made of small
/// vocabularies and ids. With 128 random bits in every leaf, a leaf hash reveals nothing
/// (article 10.3). The log draws the salt when it appends the entry.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Salt(pub [u8; 16]);

impl Salt {
    /// A salt from the system's secure random source.
    pub fn random(rng: &dyn ring::rand::SecureRandom) -> Result<Salt, EntryError> {
        let mut b = [0u8; 16];
        rng.fill(&mut b)
            .map_err(|_| EntryError::Unreadable("the system random source failed".into()))?;
        Ok(Salt(b))
    }

    /// `n` salts from one draw of the system's secure random source.
    pub fn random_many(
        rng: &dyn ring::rand::SecureRandom,
        n: usize,
    ) -> Result<Vec<Salt>, EntryError> {
        let mut bytes = vec![0u8; n * 16];
        rng.fill(&mut bytes)
            .map_err(|_| EntryError::Unreadable("the system random source failed".into()))?;
        Ok(bytes
            .chunks_exact(16)
            .map(|c| {
                let mut salt = [0u8; 16];
                salt.copy_from_slice(c);
                Salt(salt)
            })
            .collect())
    }

    fn to_hex(self) -> String {
        // Written digit by digit: one per entry logged, and a `format!` per byte was
        // a fifth of encoding an entry (issue 20).
        let mut hex = String::with_capacity(2 * self.0.len());
        for b in self.0 {
            // Both nibbles are below 16, so `from_digit` always has a digit.
            hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
        }
        hex
    }

    fn from_hex(s: &str) -> Option<Salt> {
        if s.len() != 32 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut out = [0u8; 16];
        for (o, i) in out.iter_mut().zip((0..32).step_by(2)) {
            *o = u8::from_str_radix(s.get(i..i + 2)?, 16).ok()?;
        }
        Some(Salt(out))
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Salt({})", self.to_hex())
    }
}

/// An entry that could not be written as JSON, without the text the error quotes.
fn cannot_encode(e: &serde_json::Error) -> EntryError {
    EntryError::Unreadable(format!("cannot encode: {}", redact(e)))
}

/// A serde_json error without the text it quotes (which could be a value).
fn redact(e: &serde_json::Error) -> String {
    let class = match e.classify() {
        serde_json::error::Category::Io => "i/o error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "JSON that does not fit the entry format",
        serde_json::error::Category::Eof => "JSON cut short",
    };
    format!("{class} at line {}, column {}", e.line(), e.column())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SALT: Salt = Salt([0x5a; 16]);

    pub(crate) fn oin(s: &str) -> Oin {
        Oin::parse(s).unwrap()
    }

    pub(crate) fn time(ms: i64) -> LogTime {
        LogTime::from_datetime(
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap(),
        )
        .unwrap()
    }

    /// A share decision with `n` mixed into the person id, so entries differ.
    pub(crate) fn sample(n: u64) -> Entry {
        Entry {
            time: time(1_795_000_000_000 + n as i64),
            covenant_version: 3,
            event: Event::ShareDecision(ShareDecision {
                requester: Requester {
                    party: oin("00000001000000000001"),
                    role: Role::Stadsdeelregisseur,
                    person: PersonId::parse(&format!("p-gemeente-{n:04}")).unwrap(),
                },
                source: oin("00000002000000000002"),
                recipient: oin("00000001000000000001"),
                case: CaseId::parse("C-2026-0007").unwrap(),
                subject: Pseudonym::parse(&"ab".repeat(32)).unwrap(),
                category: Category::PolitieIncidenten,
                purpose: Purpose::Duiding,
                fields_offered: FieldNames::parse_all([
                    "datum",
                    "incidentsoort",
                    "locatie",
                    "samenvatting",
                ])
                .unwrap(),
                fields_stripped: FieldNames::parse_all(["samenvatting"]).unwrap(),
                withheld_field_names: 0,
                outcome: Outcome::Permit,
                articles: ["6.3", "6.3a"].iter().map(|a| a.parse().unwrap()).collect(),
                emergency: false,
                notifications: BTreeSet::new(),
            }),
        }
    }

    #[test]
    fn the_json_map_keeps_its_keys_sorted() {
        // The canonical encoding relies on it (`Entry::to_canonical`).
        let mut map = serde_json::Map::new();
        for key in ["zeta", "alpha", "Beta", "alpha2", "_"] {
            map.insert(key.into(), serde_json::Value::Null);
        }
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["Beta", "_", "alpha", "alpha2", "zeta"]);
        assert_eq!(
            serde_json::to_string(&serde_json::Value::Object(map)).unwrap(),
            r#"{"Beta":null,"_":null,"alpha":null,"alpha2":null,"zeta":null}"#
        );
    }

    #[test]
    fn the_canonical_form_is_pinned() {
        let bytes = sample(1).to_canonical(&SALT).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"covenant_version":3,"event":{"articles":["6.3","6.3a"],"case":"C-2026-0007","#,
                r#""category":"politie-incidenten","emergency":false,"#,
                r#""fields_offered":["datum","incidentsoort","locatie","samenvatting"],"#,
                r#""fields_stripped":["samenvatting"],"kind":"share-decision","notifications":[],"#,
                r#""outcome":"permit","purpose":"duiding","recipient":"00000001000000000001","#,
                r#""requester":{"party":"00000001000000000001","person":"p-gemeente-0001","#,
                r#""role":"stadsdeelregisseur"},"source":"00000002000000000002","#,
                r#""subject":"abababababababababababababababababababababababababababababababab"},"#,
                r#""salt":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","time":"2026-11-18T11:06:40.001Z"}"#
            )
        );
        // The leaf hash is a function of the entry: pinned so that an accidental
        // change of the encoding (which would break every stored proof) shows here.
        assert_eq!(
            sample(1).leaf_hash(&SALT).unwrap(),
            crate::log::hash::leaf_hash(text.as_bytes())
        );
        assert_eq!(Entry::from_canonical(&bytes), Ok((sample(1), SALT)));
    }

    /// The direct writer of share decisions writes exactly what the general one does,
    /// with every optional part present or absent.
    #[test]
    fn share_decisions_are_written_directly_in_the_canonical_form() {
        let mut variants = Vec::new();
        for n in 0..4u32 {
            let mut entry = sample(u64::from(n));
            let Event::ShareDecision(d) = &mut entry.event else {
                unreachable!()
            };
            d.withheld_field_names = n;
            d.emergency = n % 2 == 1;
            d.outcome = [
                Outcome::Permit,
                Outcome::Deny,
                Outcome::Reject,
                Outcome::Permit,
            ][n as usize];
            if n >= 2 {
                d.fields_offered = FieldNames::new();
                d.fields_stripped = FieldNames::new();
                d.articles = BTreeSet::new();
            }
            for party in ["00000003000000000003", "00000002000000000002"]
                .iter()
                .take(n as usize)
            {
                d.notifications.insert(Notification {
                    party: oin(party),
                    article: "15.2".parse().unwrap(),
                });
            }
            variants.push(entry);
        }
        for (i, entry) in variants.iter().enumerate() {
            let Event::ShareDecision(d) = &entry.event else {
                unreachable!()
            };
            let direct = entry.share_decision_canonical(d, &SALT).unwrap();
            let tree = entry.canonical_through_tree(&SALT).unwrap();
            assert_eq!(
                String::from_utf8(direct.clone()).unwrap(),
                String::from_utf8(tree).unwrap(),
                "variant {i}"
            );
            assert_eq!(Entry::from_canonical(&direct), Ok((entry.clone(), SALT)));
        }
    }

    #[test]
    fn a_salt_is_written_as_lowercase_hex_and_read_back() {
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap() * 17;
        }
        bytes[15] = 0xab;
        let salt = Salt(bytes);
        let hex = salt.to_hex();
        assert_eq!(hex, "00112233445566778899aabbccddeeab");
        assert_eq!(Salt::from_hex(&hex).map(|s| s.0), Some(bytes));
    }

    #[test]
    fn every_kind_round_trips() {
        let actor = Requester {
            party: oin("00000001000000000001"),
            role: Role::PrivacyOfficer,
            person: PersonId::parse("p-gemeente-001").unwrap(),
        };
        let subject = Pseudonym::parse(&"0f".repeat(32)).unwrap();
        let events = vec![
            Event::CaseChange(CaseChange {
                actor: actor.clone(),
                case: CaseId::parse("C-2026-0001").unwrap(),
                change: CaseChangeKind::PhaseMoved {
                    from: Phase::Duiding,
                    to: Phase::Aanpak,
                },
            }),
            Event::CaseChange(CaseChange {
                actor: actor.clone(),
                case: CaseId::parse("C-2026-0001").unwrap(),
                change: CaseChangeKind::ConsentWithdrawn {
                    subject,
                    category: Category::Zorgbetrokkenheid,
                },
            }),
            Event::CaseChange(CaseChange {
                actor: actor.clone(),
                case: CaseId::parse("C-2026-0001").unwrap(),
                change: CaseChangeKind::EmergencyDeclared,
            }),
            Event::RetentionDeletion(RetentionDeletion {
                case: CaseId::parse("C-2024-0003").unwrap(),
                case_ended: time(1_700_000_000_000),
                article: "9.1".parse().unwrap(),
            }),
            Event::CovenantApproval(CovenantApproval {
                actor,
                step: ApprovalStep::Approved,
                version: 4,
                text_hash: HexHash(crate::log::hash::sha256(b"covenant v4")),
            }),
        ];
        let kinds = [
            EntryKind::CaseChange,
            EntryKind::CaseChange,
            EntryKind::CaseChange,
            EntryKind::RetentionDeletion,
            EntryKind::CovenantApproval,
        ];
        for (event, kind) in events.into_iter().zip(kinds) {
            let entry = Entry {
                time: time(1_795_000_000_123),
                covenant_version: 4,
                event,
            };
            assert_eq!(entry.kind(), kind);
            let bytes = entry.to_canonical(&SALT).unwrap();
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                text.contains(&format!(r#""kind":"{}""#, kind.as_str())),
                "{text}"
            );
            assert_eq!(Entry::from_canonical(&bytes), Ok((entry, SALT)));
        }
    }

    #[test]
    fn identifiers_refuse_names_addresses_numbers_and_free_text() {
        for personal in [
            "Jan Jansen",
            "Dorpsstraat 1, Amsterdam",
            "jan@example.nl",
            "",
            "-leading-dash",
            "x".repeat(65).as_str(),
        ] {
            assert!(
                matches!(
                    PersonId::parse(personal),
                    Err(EntryError::BadValue {
                        what: "person id",
                        ..
                    })
                ),
                "{personal:?}"
            );
        }
        assert!(matches!(
            CaseId::parse("zaak van Jan Jansen"),
            Err(EntryError::BadValue {
                what: "case id",
                ..
            })
        ));
        for not_a_field in ["123456782", "Jan", "jan jansen", "naam=Jan", "bsn1"] {
            assert!(
                matches!(
                    FieldName::parse(not_a_field),
                    Err(EntryError::BadValue {
                        what: "field name",
                        ..
                    })
                ),
                "{not_a_field:?}"
            );
        }
        for not_a_pseudonym in ["123456782", &"AB".repeat(32), &"ab".repeat(31)] {
            assert!(matches!(
                Pseudonym::parse(not_a_pseudonym),
                Err(EntryError::BadValue {
                    what: "subject pseudonym",
                    ..
                })
            ));
        }
        // The message never quotes the value.
        let msg = PersonId::parse("Jan Jansen").unwrap_err().to_string();
        assert!(!msg.contains("Jansen"), "{msg}");
        assert!(msg.contains("10 characters"), "{msg}");
    }

    #[test]
    fn offered_names_that_are_not_words_are_counted_not_logged() {
        let (names, withheld) =
            FieldNames::from_offered(["naam", "Jan Jansen", "bsn", "123456782", "naam"]);
        assert_eq!(names, FieldNames::parse_all(["bsn", "naam"]).unwrap());
        assert_eq!(withheld, 2);
        let mut entry = sample(2);
        if let Event::ShareDecision(d) = &mut entry.event {
            d.fields_offered = names;
            d.withheld_field_names = withheld;
            d.outcome = Outcome::Reject;
        }
        let bytes = entry.to_canonical(&SALT).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(r#""withheld_field_names":2"#), "{text}");
        assert!(!text.contains("Jansen") && !text.contains("123456782"));
        assert_eq!(Entry::from_canonical(&bytes), Ok((entry, SALT)));
    }

    #[test]
    fn extra_keys_and_free_text_are_refused_when_read() {
        let text = String::from_utf8(sample(3).to_canonical(&SALT).unwrap()).unwrap();
        // An added free-text key anywhere is refused.
        let with_note = text.replacen(
            r#"{"covenant_version":3,"#,
            r#"{"covenant_version":3,"note":"Jan Jansen belde","#,
            1,
        );
        assert!(matches!(
            Entry::from_canonical(with_note.as_bytes()),
            Err(EntryError::Unreadable(_))
        ));
        let inner_note = text.replacen(
            r#""emergency":false,"#,
            r#""emergency":false,"reason":"Jan Jansen","#,
            1,
        );
        let err = Entry::from_canonical(inner_note.as_bytes()).unwrap_err();
        assert!(matches!(err, EntryError::Unreadable(_)), "{err:?}");
        assert!(!err.to_string().contains("Jansen"), "{err}");
        // A value where an identifier belongs is refused, without quoting it.
        let bad_person = text.replacen("p-gemeente-0003", "Jan Jansen", 1);
        let err = Entry::from_canonical(bad_person.as_bytes()).unwrap_err();
        assert!(!err.to_string().contains("Jansen"), "{err}");
    }

    #[test]
    fn only_the_canonical_encoding_is_accepted() {
        let text = String::from_utf8(sample(4).to_canonical(&SALT).unwrap()).unwrap();
        let spaced = text.replacen(r#""covenant_version":3"#, r#""covenant_version": 3"#, 1);
        assert_eq!(
            Entry::from_canonical(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let unsorted_set = text.replacen(
            r#"["datum","incidentsoort","#,
            r#"["incidentsoort","datum","#,
            1,
        );
        assert_eq!(
            Entry::from_canonical(unsorted_set.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let explicit_zero = text.replacen(
            r#""fields_stripped""#,
            r#""withheld_field_names":0,"fields_stripped""#,
            1,
        );
        assert!(matches!(
            Entry::from_canonical(explicit_zero.as_bytes()),
            Err(EntryError::NotCanonical | EntryError::Unreadable(_))
        ));
        let other_time = text.replacen(".004Z", ".004+00:00", 1);
        assert!(matches!(
            Entry::from_canonical(other_time.as_bytes()),
            Err(EntryError::Unreadable(_))
        ));
    }

    #[test]
    fn the_salt_is_required_and_changes_the_leaf_hash() {
        let entry = sample(7);
        let other = Salt([0xa5; 16]);
        assert_ne!(
            entry.leaf_hash(&SALT).unwrap(),
            entry.leaf_hash(&other).unwrap()
        );
        let text = String::from_utf8(entry.to_canonical(&SALT).unwrap()).unwrap();
        let salt_hex = "5a".repeat(16);
        let unsalted = text.replacen(&format!(r#""salt":"{salt_hex}","#), "", 1);
        assert!(matches!(
            Entry::from_canonical(unsalted.as_bytes()),
            Err(EntryError::Unreadable(_))
        ));
        let upper = text.replacen(&salt_hex, &salt_hex.to_uppercase(), 1);
        assert!(matches!(
            Entry::from_canonical(upper.as_bytes()),
            Err(EntryError::Unreadable(_))
        ));
        let rng = ring::rand::SystemRandom::new();
        assert_ne!(Salt::random(&rng).unwrap(), Salt::random(&rng).unwrap());
        // One draw for several entries gives each its own salt.
        let many = Salt::random_many(&rng, 3).unwrap();
        assert_eq!(many.len(), 3);
        assert!(many[0] != many[1] && many[1] != many[2] && many[0] != many[2]);
        assert!(Salt::random_many(&rng, 0).unwrap().is_empty());
    }

    #[test]
    fn times_have_one_form() {
        let t = LogTime::parse("2026-11-23T10:00:00.123Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T10:00:00.123Z");
        for bad in [
            "2026-11-23T10:00:00Z",
            "2026-11-23T10:00:00.1234Z",
            "2026-11-23 10:00:00.123Z",
            "2026-11-23T10:00:00.123+01:00",
        ] {
            assert!(
                matches!(
                    LogTime::parse(bad),
                    Err(EntryError::BadValue { what: "time", .. })
                ),
                "{bad}"
            );
        }
        // Another offset is converted to UTC and truncated to the millisecond.
        let local = OffsetDateTime::parse(
            "2026-11-23T11:00:00.123456+01:00",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(LogTime::from_datetime(local), Ok(t));
    }

    #[test]
    fn oversized_entries_are_refused() {
        let mut entry = sample(5);
        if let Event::ShareDecision(d) = &mut entry.event {
            let many: Vec<String> = (0..2000)
                .map(|i| {
                    let mut s = String::from("veld_");
                    let mut n = i;
                    for _ in 0..4 {
                        s.push(char::from(b'a' + (n % 26) as u8));
                        n /= 26;
                    }
                    s
                })
                .collect();
            d.fields_offered = FieldNames::parse_all(many).unwrap();
        }
        assert!(matches!(
            entry.to_canonical(&SALT),
            Err(EntryError::TooLarge {
                max: MAX_ENTRY_BYTES,
                ..
            })
        ));
    }

    #[test]
    fn share_helpers() {
        let entry = sample(6);
        assert!(entry.is_share_of(oin("00000002000000000002")));
        assert!(entry.is_share_of(oin("00000001000000000001")));
        assert!(!entry.is_share_of(oin("00000004000000000004")));
        assert_eq!(entry.case().map(CaseId::as_str), Some("C-2026-0007"));
        if let Event::ShareDecision(d) = &entry.event {
            let passed: Vec<&str> = d.fields_passed().iter().map(|f| f.as_str()).collect();
            assert_eq!(passed, ["datum", "incidentsoort", "locatie"]);
        }
    }
}
