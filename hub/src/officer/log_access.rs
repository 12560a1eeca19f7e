//! What a party's privacy officer may see of the decision log (article 10.3), and the
//! log's proofs.
//!
//! A party sees an entry when (privacy_officer.proto, "What a party may see"):
//! - share-decision: it is the source or the recipient's party;
//! - case-change: it is the party of the person who made the change, or the party a
//!   participant change names;
//! - retention-deletion: it is of kind `gemeente`, or it provided or received a share
//!   in that case (found by reading the log up to the deletion);
//! - covenant-approval: always.
//!
//! QueryLog answers up to the latest signed checkpoint at the start of the call, signing
//! one first when entries were appended after it, so that every entry it returns can be
//! proven against a checkpoint the officer can fetch.

use std::collections::BTreeSet;
use std::sync::Arc;

use time::OffsetDateTime;
use treiter_policies::request::{Oin as EngineOin, Outcome};
use treiter_policies::vocab::{Category, PartyKind, Purpose};
use treiter_proto::v1 as wire;

use super::BoxStream;
use super::render;
use crate::error::HubError;
use crate::log::entry::CaseChangeKind;
use crate::log::{Entry, Event, Log, LogError, SignedCheckpoint};
use crate::state::Hub;
use crate::state::Reader;

/// Entries sent ahead of a slow reader before the reading task waits.
const STREAM_BUFFER: usize = 64;

/// Which entries a party may see (article 10.3).
pub struct Visibility {
    party: EngineOin,
    gemeente: bool,
    /// Cases in which the party provided or received a share, from the entries read so
    /// far (every entry before the next one asked about).
    share_cases: BTreeSet<String>,
    /// The next leaf index `share_cases` has not read.
    read_up_to: u64,
    /// An auditor's: every entry of every party.
    everything: bool,
}

impl Visibility {
    /// What `reader` sees: a privacy officer their party's entries, an auditor every
    /// entry (art. 5.5).
    pub fn new(reader: &Reader) -> Self {
        match reader {
            Reader::Officer(officer) => Self::for_party(&officer.party),
            Reader::Auditor(_) => Visibility {
                party: EngineOin(0),
                gemeente: true,
                share_cases: BTreeSet::new(),
                read_up_to: 0,
                everything: true,
            },
        }
    }

    /// What `party` sees (its privacy officer and its agent see the same).
    pub fn for_party(party: &crate::parties::Party) -> Self {
        Self::of(
            render::engine_oin(&party.oin),
            party.kind == PartyKind::Gemeente,
        )
    }

    fn of(party: EngineOin, gemeente: bool) -> Self {
        Visibility {
            party,
            gemeente,
            share_cases: BTreeSet::new(),
            read_up_to: 0,
            everything: false,
        }
    }

    /// Whether the party may see entry `index`; entries must be asked about in
    /// increasing order (earlier ones are read from `log` as needed).
    pub fn sees(&mut self, log: &Log, index: u64, entry: &Entry) -> Result<bool, LogError> {
        if self.everything {
            return Ok(true);
        }
        let seen = match &entry.event {
            Event::ShareDecision(d) => d.source == self.party || d.recipient == self.party,
            Event::CaseChange(c) => {
                c.actor.party == self.party
                    || matches!(
                        &c.change,
                        CaseChangeKind::ParticipantAdded { party }
                        | CaseChangeKind::ParticipantRemoved { party } if *party == self.party
                    )
            }
            Event::RetentionDeletion(r) => {
                if self.gemeente {
                    true
                } else {
                    // Read what has not been read yet: the deletion comes after the
                    // case's shares.
                    for stored in log.entries(self.read_up_to, index)? {
                        self.note(&stored.entry);
                    }
                    self.read_up_to = self.read_up_to.max(index);
                    self.share_cases.contains(r.case.as_str())
                }
            }
            Event::CovenantApproval(_) => true,
        };
        if index == self.read_up_to {
            self.note(entry);
            self.read_up_to = index + 1;
        }
        Ok(seen)
    }

    fn note(&mut self, entry: &Entry) {
        if let Event::ShareDecision(d) = &entry.event
            && (d.source == self.party || d.recipient == self.party)
        {
            self.share_cases.insert(d.case.as_str().to_owned());
        }
    }
}

/// QueryLog's filters, checked.
struct Filters {
    case_id: String,
    from: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
    kinds: BTreeSet<&'static str>,
    outcomes: Vec<Outcome>,
    categories: BTreeSet<Category>,
    purposes: BTreeSet<Purpose>,
    subject: String,
    provided: bool,
    received: bool,
    emergency_only: bool,
}

const KINDS: [&str; 4] = [
    "share-decision",
    "case-change",
    "retention-deletion",
    "covenant-approval",
];

fn invalid(field: &str, problem: impl std::fmt::Display) -> HubError {
    HubError::invalid_argument(format!("{field}: {problem}"))
}

/// A period's bounds; INVALID_ARGUMENT when `from` is after `until`.
pub fn period(
    field: &str,
    period: Option<&wire::Period>,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), HubError> {
    let Some(p) = period else {
        return Ok((None, None));
    };
    let instant = |name: &str, ts: &Option<prost_types::Timestamp>| {
        ts.as_ref()
            .map(|ts| {
                OffsetDateTime::from_unix_timestamp(ts.seconds)
                    .ok()
                    .and_then(|t| t.replace_nanosecond(u32::try_from(ts.nanos).ok()?).ok())
                    .ok_or_else(|| invalid(&format!("{field}.{name}"), "is not a valid time"))
            })
            .transpose()
    };
    let from = instant("from", &p.from)?;
    let until = instant("until", &p.until)?;
    if let (Some(f), Some(u)) = (from, until)
        && f > u
    {
        return Err(invalid(field, "`from` is after `until`"));
    }
    Ok((from, until))
}

/// A subject pseudonym: 64 lowercase hex digits, or empty for none.
pub fn subject_hex(
    field: &str,
    subject: Option<&wire::SubjectPseudonym>,
) -> Result<String, HubError> {
    let hex = subject.map(|s| s.hex.as_str()).unwrap_or_default();
    if hex.is_empty()
        || (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        Ok(hex.to_owned())
    } else {
        // The value is not echoed: it might be identifying data typed by mistake.
        Err(invalid(
            field,
            format!(
                "a pseudonym is 64 lowercase hex digits (got {} characters)",
                hex.chars().count()
            ),
        ))
    }
}

fn outcome(word: &str) -> Option<Outcome> {
    [Outcome::Permit, Outcome::Deny, Outcome::Reject]
        .into_iter()
        .find(|o| o.as_str() == word)
}

impl Filters {
    fn parse(r: &wire::QueryLogRequest) -> Result<Self, HubError> {
        let (from, until) = period("period", r.period.as_ref())?;
        let mut kinds = BTreeSet::new();
        for k in &r.kinds {
            let known = KINDS
                .iter()
                .find(|w| **w == k.as_str())
                .ok_or_else(|| invalid("kinds", format!("unknown kind {k:?}")))?;
            kinds.insert(*known);
        }
        let mut outcomes = Vec::new();
        for o in &r.outcomes {
            outcomes.push(
                outcome(o).ok_or_else(|| invalid("outcomes", format!("unknown outcome {o:?}")))?,
            );
        }
        let mut categories = BTreeSet::new();
        for c in &r.categories {
            categories.insert(
                c.parse::<Category>()
                    .map_err(|e| invalid("categories", e.redacted()))?,
            );
        }
        let mut purposes = BTreeSet::new();
        for p in &r.purposes {
            purposes.insert(
                p.parse::<Purpose>()
                    .map_err(|e| invalid("purposes", e.redacted()))?,
            );
        }
        let (provided, received) = match r.direction.as_str() {
            "" => (true, true),
            "provided" => (true, false),
            "received" => (false, true),
            other => {
                return Err(invalid(
                    "direction",
                    format!("unknown direction {other:?}; expected \"provided\" or \"received\""),
                ));
            }
        };
        Ok(Filters {
            case_id: r.case_id.clone(),
            from,
            until,
            kinds,
            outcomes,
            categories,
            purposes,
            subject: subject_hex("subject.hex", r.subject.as_ref())?,
            provided,
            received,
            emergency_only: r.emergency_only,
        })
    }

    /// Whether the entry matches every filter. Filters that only apply to share
    /// decisions (outcomes, purposes, direction, emergency_only) exclude the other kinds
    /// when set.
    /// Whether `entry` passes the filters; `party` is the caller's (none for an
    /// auditor, whose query has no direction).
    fn matches(&self, party: Option<EngineOin>, entry: &Entry) -> bool {
        let kind = entry.kind().as_str();
        if !self.kinds.is_empty() && !self.kinds.contains(kind) {
            return false;
        }
        if !self.case_id.is_empty() && entry.case().map(|c| c.as_str()) != Some(&self.case_id) {
            return false;
        }
        let at = entry.time.to_datetime();
        if self.from.is_some_and(|f| at.is_none_or(|t| t < f))
            || self.until.is_some_and(|u| at.is_none_or(|t| t > u))
        {
            return false;
        }
        let any_share_filter = [
            !self.outcomes.is_empty(),
            !self.purposes.is_empty(),
            !self.provided,
            !self.received,
            self.emergency_only,
        ];
        let share_only = any_share_filter.contains(&true);
        let (category, subject) = match &entry.event {
            Event::ShareDecision(d) => {
                if !self.outcomes.is_empty() && !self.outcomes.contains(&d.outcome) {
                    return false;
                }
                if !self.purposes.is_empty() && !self.purposes.contains(&d.purpose) {
                    return false;
                }
                if let Some(party) = party {
                    let provided = d.source == party;
                    let received = d.recipient == party;
                    if !((self.provided && provided) || (self.received && received)) {
                        return false;
                    }
                }
                if self.emergency_only && !d.emergency {
                    return false;
                }
                (Some(d.category), Some(d.subject.as_str()))
            }
            _ if share_only => return false,
            Event::CaseChange(c) => match &c.change {
                CaseChangeKind::ConsentRecorded { subject, category }
                | CaseChangeKind::ConsentWithdrawn { subject, category } => {
                    (Some(*category), Some(subject.as_str()))
                }
                CaseChangeKind::SubjectAdded { subject, .. }
                | CaseChangeKind::SubjectUpdated { subject, .. }
                | CaseChangeKind::SubjectRemoved { subject } => (None, Some(subject.as_str())),
                _ => (None, None),
            },
            _ => (None, None),
        };
        if !self.categories.is_empty() && !category.is_some_and(|c| self.categories.contains(&c)) {
            return false;
        }
        if !self.subject.is_empty() && subject != Some(self.subject.as_str()) {
            return false;
        }
        true
    }
}

fn unavailable(e: impl std::fmt::Display) -> HubError {
    HubError::unavailable(format!("the decision log could not be read: {e}; retry"))
}

/// The latest signed checkpoint, signing one first when the log has grown past it (so
/// every entry up to now can be proven).
pub async fn current_checkpoint(hub: &Hub) -> Result<SignedCheckpoint, HubError> {
    match hub.log.latest_checkpoint() {
        Some(cp) if cp.checkpoint().size >= hub.log.tree_size() => Ok(cp),
        _ => crate::witnesses::checkpoint(hub).await.map_err(|e| {
            HubError::unavailable(format!(
                "the decision log could not sign a checkpoint: {e}; retry"
            ))
        }),
    }
}

pub async fn query_log(
    hub: &Arc<Hub>,
    reader: &Reader,
    request: wire::QueryLogRequest,
) -> Result<BoxStream<wire::LogEntry>, HubError> {
    let filters = Filters::parse(&request)?;
    // "provided"/"received" are relative to the caller's party; an auditor reads every
    // party's entries, so for an auditor there is no such direction.
    let party = match reader {
        Reader::Officer(officer) => Some(render::engine_oin(&officer.party.oin)),
        Reader::Auditor(_) if !request.direction.is_empty() => {
            return Err(invalid(
                "direction",
                "an auditor reads every party's entries, so \"provided\" and \"received\" do not apply; leave it empty".to_owned(),
            ));
        }
        Reader::Auditor(_) => None,
    };
    let size = current_checkpoint(hub).await?.checkpoint().size;
    let mut visibility = Visibility::new(reader);
    let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BUFFER);
    let hub = Arc::clone(hub);
    let limit = match request.max_entries {
        0 => usize::MAX,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    // Reading the log is blocking file I/O: a blocking task feeds the stream.
    tokio::task::spawn_blocking(move || {
        let mut sent = 0usize;
        for index in request.from_leaf_index..size {
            if sent >= limit {
                break;
            }
            let stored = match hub.log.entry(index) {
                Ok(stored) => stored,
                Err(e) => {
                    let _ = tx.blocking_send(Err(unavailable(e)));
                    return;
                }
            };
            match visibility.sees(&hub.log, index, &stored.entry) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(unavailable(e)));
                    return;
                }
            }
            if !filters.matches(party, &stored.entry) {
                continue;
            }
            let wire = render::log_entry(&hub, &stored, request.include_entry);
            if tx.blocking_send(Ok(wire)).is_err() {
                return; // the caller went away
            }
            sent += 1;
        }
    });
    Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
}

/// The wire form of a stored checkpoint: the note, its head, the hub's verifier key and
/// the witnesses' cosignature lines.
fn wire_checkpoint(hub: &Hub, cp: &SignedCheckpoint) -> wire::LogCheckpoint {
    let head = cp.checkpoint();
    let text = cp.to_text();
    // Signature lines follow the blank line; every one not by the log is a witness's.
    let cosignatures = text
        .split_once("\n\n")
        .map(|(_, sigs)| sigs)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let name = line.strip_prefix("\u{2014} ")?.split(' ').next()?;
            (name != head.origin).then(|| wire::WitnessCosignature {
                witness: witness_party(hub, name),
                signature_line: line.to_owned(),
                received_at: None,
                verifier_key: witness_key(hub, cp, name).unwrap_or_default(),
            })
        })
        .collect();
    wire::LogCheckpoint {
        note: cp.to_bytes(),
        origin: head.origin.clone(),
        tree_size: head.size,
        root_hash: head.root.as_bytes().to_vec(),
        // The note carries no time and the store keeps none; absent.
        signed_at: None,
        verifier_key: hub.log.verifier().to_string(),
        cosignatures,
    }
}

/// The verifier key pinned for the party whose witness key is named `key_name`, when it
/// is that name's and verifies its signature on `cp` (a replaced key does not).
fn witness_key(hub: &Hub, cp: &SignedCheckpoint, key_name: &str) -> Option<String> {
    let party = hub
        .parties
        .current()
        .iter()
        .find(|p| key_name.contains(&p.oin.to_string()))
        .map(|p| p.oin.to_string())?;
    let text = crate::tables::witness_keys::get(hub.store.as_ref(), &party).ok()??;
    let text = String::from_utf8(text).ok()?;
    let key = crate::log::NoteVerifier::parse(&text).ok()?;
    (key.name() == key_name && cp.is_signed_by(&key)).then(|| key.to_string())
}

/// The party a witness key name belongs to, when the name carries a listed party's OIN.
fn witness_party(hub: &Hub, key_name: &str) -> Option<wire::Party> {
    hub.parties
        .current()
        .iter()
        .find(|p| key_name.contains(&p.oin.to_string()))
        .map(crate::parties::Party::to_proto)
}

pub async fn get_checkpoint(
    hub: &Hub,
    _reader: &Reader,
    request: wire::GetCheckpointRequest,
) -> Result<wire::LogCheckpoint, HubError> {
    let cp =
        if request.tree_size == 0 {
            match hub.log.latest_checkpoint() {
                Some(cp) => cp,
                None => current_checkpoint(hub).await?,
            }
        } else {
            hub.log.checkpoint_of_size(request.tree_size).ok_or_else(|| {
            HubError::not_found(format!(
                "no checkpoint of tree size {} was signed; ask for tree_size 0 (the latest)",
                request.tree_size
            ))
        })?
        };
    Ok(wire_checkpoint(hub, &cp))
}

fn latest_size(hub: &Hub) -> u64 {
    hub.log
        .latest_checkpoint()
        .map(|cp| cp.checkpoint().size)
        .unwrap_or(0)
}

pub async fn get_inclusion_proof(
    hub: &Hub,
    reader: &Reader,
    request: wire::InclusionProofRequest,
) -> Result<wire::InclusionProof, HubError> {
    match reader {
        Reader::Officer(officer) => party_inclusion_proof(hub, &officer.party, request).await,
        // An auditor verifies the whole log: a proof of any entry (art. 5.5).
        Reader::Auditor(_) => inclusion_proof(hub, None, request).await,
    }
}

/// An inclusion proof for `party` (its officer, or its agent over `AgentLink`): only of
/// an entry the party may see (art. 10.3).
pub async fn party_inclusion_proof(
    hub: &Hub,
    party: &crate::parties::Party,
    request: wire::InclusionProofRequest,
) -> Result<wire::InclusionProof, HubError> {
    inclusion_proof(hub, Some(party), request).await
}

/// An inclusion proof of an entry `party` may see, or of any entry for `None` (an
/// auditor).
async fn inclusion_proof(
    hub: &Hub,
    party: Option<&crate::parties::Party>,
    request: wire::InclusionProofRequest,
) -> Result<wire::InclusionProof, HubError> {
    let (index, size) = (request.leaf_index, request.tree_size);
    let latest = latest_size(hub);
    if size > latest {
        return Err(invalid(
            "tree_size",
            format!("{size} is larger than the latest checkpoint ({latest} entries)"),
        ));
    }
    if index >= size {
        return Err(invalid(
            "leaf_index",
            format!("{index} is not below tree_size {size}"),
        ));
    }
    let stored = hub.log.entry(index).map_err(unavailable)?;
    if let Some(party) = party
        && !Visibility::for_party(party)
            .sees(&hub.log, index, &stored.entry)
            .map_err(unavailable)?
    {
        return Err(HubError::permission_denied(format!(
            "log entry {index} is not about a share {} provided or received; a party \
             obtains only its own entries (art. 10.3)",
            party.name
        )));
    }
    let hashes = hub
        .log
        .inclusion_proof(index, size)
        .map_err(|e| invalid("leaf_index", e))?;
    Ok(wire::InclusionProof {
        leaf_index: index,
        tree_size: size,
        hashes: hashes.iter().map(|h| h.as_bytes().to_vec()).collect(),
        entry: stored.bytes,
    })
}

pub async fn get_consistency_proof(
    hub: &Hub,
    _reader: &Reader,
    request: wire::ConsistencyProofRequest,
) -> Result<wire::ConsistencyProof, HubError> {
    consistency_proof(hub, request).await
}

/// A consistency proof between two sizes up to the latest signed checkpoint (anyone
/// who may see checkpoints may have one).
pub async fn consistency_proof(
    hub: &Hub,
    request: wire::ConsistencyProofRequest,
) -> Result<wire::ConsistencyProof, HubError> {
    let (from, to) = (request.from_tree_size, request.to_tree_size);
    let latest = latest_size(hub);
    if from > to {
        return Err(invalid(
            "from_tree_size",
            format!("{from} is larger than to_tree_size {to}"),
        ));
    }
    if to > latest {
        return Err(invalid(
            "to_tree_size",
            format!("{to} is larger than the latest checkpoint ({latest} entries)"),
        ));
    }
    let hashes = hub
        .log
        .consistency_proof(from, to)
        .map_err(|e| invalid("from_tree_size", e))?;
    Ok(wire::ConsistencyProof {
        from_tree_size: from,
        to_tree_size: to,
        hashes: hashes.iter().map(|h| h.as_bytes().to_vec()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::tests::{oin, sample, time};
    use crate::log::entry::{
        ApprovalStep, CaseChange, CaseId, CovenantApproval, HexHash, PersonId, Requester,
        RetentionDeletion,
    };
    use crate::log::{Hash, LogKey, LogOptions};
    use treiter_policies::vocab::Role;

    const POLITIE: &str = "00000002000000000002";
    const DEGRACHT: &str = "00000004000000000004";
    const GEMEENTE: &str = "00000001000000000001";

    fn actor(party: &str, person: &str) -> Requester {
        Requester {
            party: oin(party),
            role: Role::Partnercontact,
            person: PersonId::parse(person).unwrap(),
        }
    }

    fn entry(event: Event) -> Entry {
        Entry {
            time: time(1_795_000_100_000),
            covenant_version: 3,
            event,
        }
    }

    fn deletion(case: &str) -> Entry {
        entry(Event::RetentionDeletion(RetentionDeletion {
            case: CaseId::parse(case).unwrap(),
            case_ended: time(1_795_000_000_000),
            article: "9.1".parse().unwrap(),
        }))
    }

    /// A log of: 0 a politie → gemeente share in C-2026-0007; 1 De Gracht registers
    /// politie as a participant; 2 and 3 retention deletions of C-2026-0007 and
    /// C-2026-0008; 4 a covenant approval by De Gracht.
    async fn log(dir: &std::path::Path) -> Log {
        let key = LogKey::from_pkcs8(
            "hub.example/decision-log",
            &crate::log::key::generate_pkcs8().unwrap(),
        )
        .unwrap();
        let (log, _) = Log::open(dir, key, LogOptions::default()).unwrap();
        let entries = [
            sample(0),
            entry(Event::CaseChange(CaseChange {
                actor: actor(DEGRACHT, "p-degracht-010"),
                case: CaseId::parse("C-2026-0007").unwrap(),
                change: CaseChangeKind::ParticipantAdded {
                    party: oin(POLITIE),
                },
            })),
            deletion("C-2026-0007"),
            deletion("C-2026-0008"),
            entry(Event::CovenantApproval(CovenantApproval {
                actor: actor(DEGRACHT, "p-degracht-090"),
                step: ApprovalStep::Approved,
                version: 4,
                text_hash: HexHash(Hash([1; 32])),
            })),
        ];
        for e in entries {
            log.append(e).await.unwrap();
        }
        log
    }

    fn seen(log: &Log, party: &str, gemeente: bool, from: u64) -> Vec<u64> {
        let mut v = Visibility::of(oin(party), gemeente);
        (from..log.tree_size())
            .filter(|&i| v.sees(log, i, &log.entry(i).unwrap().entry).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn each_kind_is_seen_by_the_parties_article_10_3_names() {
        let dir = tempfile::tempdir().unwrap();
        let log = log(dir.path()).await;
        // Politie: its share, the change naming it, the deletion of its share's case,
        // the covenant approval; not the other case's deletion.
        assert_eq!(seen(&log, POLITIE, false, 0), [0, 1, 2, 4]);
        // Reading from the middle still finds the share before the deletion.
        assert_eq!(seen(&log, POLITIE, false, 2), [2, 4]);
        // De Gracht: its own change and the approval only.
        assert_eq!(seen(&log, DEGRACHT, false, 0), [1, 4]);
        // The gemeente: its share and every deletion.
        assert_eq!(seen(&log, GEMEENTE, true, 0), [0, 2, 3, 4]);
    }

    #[tokio::test]
    async fn share_filters_leave_out_other_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let log = log(dir.path()).await;
        let filters = |r: wire::QueryLogRequest| Filters::parse(&r).unwrap();
        let matching = |f: &Filters| -> Vec<u64> {
            (0..log.tree_size())
                .filter(|&i| f.matches(Some(oin(POLITIE)), &log.entry(i).unwrap().entry))
                .collect()
        };
        assert_eq!(matching(&filters(Default::default())), [0, 1, 2, 3, 4]);
        let provided = filters(wire::QueryLogRequest {
            direction: "provided".into(),
            ..Default::default()
        });
        assert_eq!(matching(&provided), [0]);
        let received = filters(wire::QueryLogRequest {
            direction: "received".into(),
            ..Default::default()
        });
        assert!(matching(&received).is_empty());
        let kinds = filters(wire::QueryLogRequest {
            kinds: vec!["retention-deletion".into()],
            case_id: "C-2026-0008".into(),
            ..Default::default()
        });
        assert_eq!(matching(&kinds), [3]);
        for bad in [
            wire::QueryLogRequest {
                kinds: vec!["gossip".into()],
                ..Default::default()
            },
            wire::QueryLogRequest {
                outcomes: vec!["maybe".into()],
                ..Default::default()
            },
            wire::QueryLogRequest {
                subject: Some(wire::SubjectPseudonym {
                    hex: "Jan Jansen".into(),
                }),
                ..Default::default()
            },
        ] {
            let e = Filters::parse(&bad).err().expect("refused");
            assert!(matches!(e, HubError::InvalidArgument(_)), "{e:?}");
            assert!(!e.to_string().contains("Jan"), "no value echoed: {e}");
        }
    }
}
