//! Case files while they are assembled: what GetCaseFile and ListCaseFiles show
//! before the file is stored.
//!
//! A case file is stored once every partner has settled ([`super::assemble`]). Until
//! then its requester can follow it by asking again and again (the web console polls
//! GetCaseFile): the file as it stands is kept here, each asked partner first as
//! `pending` with its subjects `asked`, a subject's bevraging answer as it arrives
//! (article 8.4), and each partner's final result as it settles. Once stored, the file
//! leaves this registry and the store answers for it.
//!
//! An assembly that stops without storing its file (the decision log refused an entry,
//! the store failed, the request was dropped) leaves a note of why, for
//! [`FAILED_KEPT`], so that the requester who follows it learns what happened instead
//! of "no such file". Only the requester sees a file here, as with stored files.
//!
//! Memory only: after a restart of the hub an unfinished file is gone, as its assembly
//! is. What it holds is what the WatchCaseFile stream sends the requester (settled
//! partners' passed records), for the seconds an assembly takes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use treiter_proto::v1 as wire;

use super::CaseFileError;

/// How long the note of a failed assembly is kept.
pub const FAILED_KEPT: Duration = Duration::from_secs(3600);

/// The most notes of failed assemblies kept at once (the oldest go first).
const FAILED_MAX: usize = 256;

/// A partner that was asked and has not settled.
pub const PENDING: &str = "pending";
/// A subject whose bevraging answer has not arrived.
pub const ASKED: &str = "asked";

enum State {
    /// Being assembled: the file as it stands.
    Running(Box<wire::CaseFile>),
    /// Stopped without storing the file, and why (no personal data).
    Failed { why: String, at: Instant },
}

struct Slot {
    /// The requester's person id: the only one who sees it.
    owner: String,
    state: State,
}

/// The case files being assembled, by id.
pub struct Assembling {
    files: Mutex<HashMap<String, Slot>>,
    /// A random id of this hub process: the assembly markers it writes name it
    /// ([`super::resume`]); a restarted hub is another process.
    instance: String,
}

impl Default for Assembling {
    fn default() -> Self {
        let mut id = [0u8; 8];
        if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id).is_err() {
            // Without randomness, the start time tells processes apart just as well.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            id = (nanos as u64 ^ u64::from(std::process::id())).to_be_bytes();
        }
        Assembling {
            files: Mutex::default(),
            instance: id.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

impl std::fmt::Debug for Assembling {
    // Ids only: the files hold personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files = self.files();
        f.debug_struct("Assembling")
            .field("files", &files.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Assembling {
    /// A registry whose assembly markers name `instance`: a hub replica passes its
    /// replica id ([`crate::relay::Relay::replica`]), so that one id names the process
    /// in its markers, its agent links and the checkpoints it signs.
    pub fn with_instance(instance: &str) -> Assembling {
        Assembling {
            files: Mutex::default(),
            instance: instance.to_owned(),
        }
    }

    /// This hub process's id (16 hex digits).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Whether file `id` is being assembled by this process now.
    pub fn is_running(&self, id: &str) -> bool {
        matches!(
            self.files().get(id),
            Some(Slot {
                state: State::Running(_),
                ..
            })
        )
    }

    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts following `file` (its partners `pending` or already final) for its
    /// requester `owner`. The returned guard marks the assembly failed when dropped
    /// before [`Running::stored`] or [`Running::failed`].
    pub fn start(&self, file: wire::CaseFile, owner: &str) -> Running<'_> {
        let id = file.id.clone();
        let mut files = self.files();
        prune(&mut files);
        files.insert(
            id.clone(),
            Slot {
                owner: owner.to_owned(),
                state: State::Running(Box::new(file)),
            },
        );
        Running {
            registry: self,
            id,
            finished: false,
        }
    }

    /// Records the bevraging answer of party `oin` about `subject` in file `id`:
    /// `status` is "hit", "no-hit", "offline-queued" or "no-answer" (with `reason`).
    pub fn bevraging(&self, id: &str, oin: &str, subject: &str, status: &str, reason: &str) {
        let mut files = self.files();
        let Some(Slot {
            state: State::Running(file),
            ..
        }) = files.get_mut(id)
        else {
            return;
        };
        let partner = file
            .partners
            .iter_mut()
            .filter(|p| p.status == PENDING)
            .find(|p| p.party.as_ref().is_some_and(|p| p.oin == oin));
        let Some(partner) = partner else { return };
        if let Some(s) = partner
            .subjects
            .iter_mut()
            .find(|s| s.subject.as_ref().is_some_and(|s| s.hex == subject))
        {
            s.status = status.to_owned();
            s.no_answer_reason = reason.to_owned();
        }
    }

    /// File `id` as it stands, for person `person`: `None` when it is not being
    /// assembled for them (then the store, or nobody, has it); an error when its
    /// assembly failed.
    pub fn get(&self, id: &str, person: &str) -> Option<Result<wire::CaseFile, CaseFileError>> {
        let files = self.files();
        let slot = files.get(id).filter(|s| s.owner == person)?;
        Some(match &slot.state {
            State::Running(file) => Ok(file.as_ref().clone()),
            State::Failed { why, .. } => Err(CaseFileError::AssemblyFailed {
                id: id.to_owned(),
                why: why.clone(),
            }),
        })
    }

    /// The files of case `case_id` being assembled for `person`, newest first, without
    /// their entries (as ListCaseFiles lists stored ones).
    pub fn running(&self, case_id: &str, person: &str) -> Vec<wire::CaseFile> {
        let files = self.files();
        let mut running: Vec<wire::CaseFile> = files
            .values()
            .filter(|s| s.owner == person)
            .filter_map(|s| match &s.state {
                State::Running(f) if f.case_id == case_id => Some(f.as_ref().clone()),
                _ => None,
            })
            .map(|mut f| {
                for p in &mut f.partners {
                    p.entries.clear();
                }
                f
            })
            .collect();
        running.sort_by(|a, b| b.id.cmp(&a.id));
        running
    }
}

/// Drops notes of failures older than [`FAILED_KEPT`], and the oldest beyond
/// [`FAILED_MAX`].
fn prune(files: &mut HashMap<String, Slot>) {
    files.retain(|_, s| match s.state {
        State::Failed { at, .. } => at.elapsed() < FAILED_KEPT,
        State::Running(_) => true,
    });
    let mut failed: Vec<(Instant, String)> = files
        .iter()
        .filter_map(|(id, s)| match s.state {
            State::Failed { at, .. } => Some((at, id.clone())),
            State::Running(_) => None,
        })
        .collect();
    if failed.len() > FAILED_MAX {
        failed.sort();
        for (_, id) in failed.iter().take(failed.len() - FAILED_MAX) {
            files.remove(id);
        }
    }
}

/// One assembly being followed; see [`Assembling::start`].
pub struct Running<'a> {
    registry: &'a Assembling,
    id: String,
    finished: bool,
}

impl Running<'_> {
    /// Puts `partner`'s final result in place of its pending row.
    pub fn settled(&self, partner: &wire::PartnerResult) {
        let oin = partner.party.as_ref().map(|p| p.oin.as_str());
        let mut files = self.registry.files();
        let Some(Slot {
            state: State::Running(file),
            ..
        }) = files.get_mut(&self.id)
        else {
            return;
        };
        if let Some(row) = file
            .partners
            .iter_mut()
            .find(|p| p.party.as_ref().map(|p| p.oin.as_str()) == oin)
        {
            *row = partner.clone();
        }
    }

    /// The file is stored: the store answers for it from now on.
    pub fn stored(mut self) {
        self.finished = true;
        self.registry.files().remove(&self.id);
    }

    /// The assembly stopped without storing the file, because of `why`.
    pub fn failed(mut self, why: &str) {
        self.finished = true;
        self.fail(why);
    }

    fn fail(&self, why: &str) {
        if let Some(slot) = self.registry.files().get_mut(&self.id) {
            slot.state = State::Failed {
                why: why.to_owned(),
                at: Instant::now(),
            };
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.fail("the assembly stopped before every partner had settled");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(oin: &str) -> Option<wire::Party> {
        Some(wire::Party {
            oin: oin.into(),
            name: format!("partij {oin}"),
            kind: "politie".into(),
        })
    }

    fn subject(hex: &str, status: &str) -> wire::PartnerSubjectResult {
        wire::PartnerSubjectResult {
            subject: Some(wire::SubjectPseudonym { hex: hex.into() }),
            status: status.into(),
            ..Default::default()
        }
    }

    fn file(id: &str) -> wire::CaseFile {
        wire::CaseFile {
            id: id.into(),
            case_id: "C-2026-0001".into(),
            partners: vec![
                wire::PartnerResult {
                    party: party("1"),
                    status: PENDING.into(),
                    subjects: vec![subject("d0", ASKED)],
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party("2"),
                    status: "not-asked".into(),
                    articles: vec!["6.4".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_file_fills_in_for_its_requester_only_and_leaves_once_stored() {
        let registry = Assembling::default();
        let running = registry.start(file("CF-1"), "p-1");
        assert!(registry.get("CF-1", "p-2").is_none(), "another person");
        let now = registry.get("CF-1", "p-1").expect("here").expect("running");
        assert_eq!(now.partners[0].status, PENDING);

        registry.bevraging("CF-1", "1", "d0", "hit", "");
        let now = registry.get("CF-1", "p-1").expect("here").expect("running");
        assert_eq!(now.partners[0].subjects[0].status, "hit");

        running.settled(&wire::PartnerResult {
            party: party("1"),
            status: "answered".into(),
            entries: vec![wire::CaseFileEntry::default()],
            ..Default::default()
        });
        let now = registry.get("CF-1", "p-1").expect("here").expect("running");
        assert_eq!(now.partners[0].status, "answered");
        assert_eq!(now.partners[1].status, "not-asked", "untouched");
        let listed = registry.running("C-2026-0001", "p-1");
        assert_eq!(listed.len(), 1);
        assert!(
            listed[0].partners[0].entries.is_empty(),
            "listed without entries"
        );
        assert!(registry.running("C-2026-0001", "p-2").is_empty());

        running.stored();
        assert!(
            registry.get("CF-1", "p-1").is_none(),
            "the store answers now"
        );
    }

    #[test]
    fn a_stopped_assembly_says_why_to_its_requester() {
        let registry = Assembling::default();
        registry
            .start(file("CF-1"), "p-1")
            .failed("the decision log refused an entry");
        let refused = registry.get("CF-1", "p-1").expect("noted").unwrap_err();
        // Unavailable for the caller (`service::casefile_status`): it may retry.
        assert!(refused.is_transient(), "{refused:?}");
        assert!(
            refused
                .to_string()
                .contains("the decision log refused an entry"),
            "{refused}"
        );
        assert!(registry.get("CF-1", "p-2").is_none());

        // Dropped halfway (the request went away, the hub stops): noted as well.
        drop(registry.start(file("CF-2"), "p-1"));
        let refused = registry.get("CF-2", "p-1").expect("noted").unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("before every partner had settled"),
            "{refused}"
        );
        assert!(registry.running("C-2026-0001", "p-1").is_empty());
    }
}
