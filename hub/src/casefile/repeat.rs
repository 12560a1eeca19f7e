//! Repeats of a case-file request (`CaseFileRequest.client_request_id`,
//! coordinator.proto): a client that lost its connection while the hub assembled a file
//! (a cut-off, a replica that died) asks again with the same id and gets that file, not
//! a second one; the partners are not asked again and nothing is logged twice.
//!
//! The id is kept per person ([`idempotency::Requester::CaseFile`]) with a fingerprint
//! of the request and the id of the file it started, written in the same store write as
//! the file's id and its assembly marker ([`super::resume`]). A repeat:
//! - with another request under the same id is refused (ALREADY_EXISTS);
//! - finds the file stored and returns it (WatchCaseFile: its events replayed);
//! - finds it being assembled, here, on another replica, or taken over after its
//!   assembler died, and waits until it is stored;
//! - finds it neither stored nor being assembled (its assembly failed and its
//!   requester was told): the failure again, and a new request needs a new id.
//!
//! The id is optional: a request without one is a new file every time.

use serde::{Deserialize, Serialize};
use treiter_proto::v1 as wire;

use super::assemble::Events;
use super::{CaseFileError, record};
use crate::persons::Person;
use crate::state::Hub;
use crate::store::Batch;
use crate::tables::idempotency::{self, Requester};

/// How often a repeat looks whether its file is stored yet.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// A request's id and the fingerprint of what it asked.
pub(super) struct RequestKey {
    id: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Kept {
    fingerprint: String,
    file_id: String,
}

impl RequestKey {
    /// The key of `req`; `None` without an id; an error for an id that is not a token.
    pub(super) fn of(req: &wire::CaseFileRequest) -> Result<Option<RequestKey>, CaseFileError> {
        if req.client_request_id.is_empty() {
            return Ok(None);
        }
        if treiter_proto::text::check_token("client_request_id", &req.client_request_id, 128)
            .is_err()
        {
            return Err(CaseFileError::BadRequestId);
        }
        let subjects: Vec<&str> = req.subjects.iter().map(|s| s.hex.as_str()).collect();
        let what = format!(
            "{}\n{}\n{}\n{}\n{}",
            req.case_id,
            req.purpose,
            subjects.join(","),
            req.categories.join(","),
            req.deadline_ms
        );
        let digest = ring::digest::digest(&ring::digest::SHA256, what.as_bytes());
        Ok(Some(RequestKey {
            id: req.client_request_id.clone(),
            fingerprint: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        }))
    }

    /// The file an earlier request of `person` (an id) with this id started, if any.
    pub(super) fn earlier(&self, hub: &Hub, person: &str) -> Result<Option<String>, CaseFileError> {
        let requester = Requester::CaseFile { person };
        let Some(bytes) = idempotency::get(hub.store.as_ref(), requester, &self.id)? else {
            return Ok(None);
        };
        let kept: Kept = serde_json::from_slice(&bytes)
            .map_err(|_| CaseFileError::Damaged("a case-file request's idempotency record"))?;
        if kept.fingerprint != self.fingerprint {
            return Err(CaseFileError::RequestIdReused(self.id.clone()));
        }
        Ok(Some(kept.file_id))
    }

    /// Adds to `batch` that this request of `person` started file `file_id` of `case`.
    pub(super) fn keep(&self, person: &str, case: &str, file_id: &str, batch: &mut Batch) {
        let kept = Kept {
            fingerprint: self.fingerprint.clone(),
            file_id: file_id.to_owned(),
        };
        // Serialising two strings cannot fail.
        if let Ok(value) = serde_json::to_vec(&kept) {
            idempotency::Record::case_file(person, &self.id, case, value).put(batch);
        }
    }
}

/// Waits until file `file_id` of `person` is stored and returns it (its events to
/// `events` first); the failure when its assembly stopped without storing it.
pub(super) async fn stored_file(
    hub: &Hub,
    person: &Person,
    file_id: &str,
    events: Option<&Events>,
) -> Result<wire::CaseFile, CaseFileError> {
    loop {
        if let Some(file) = record::load(hub.store.as_ref(), file_id)? {
            if let Some(events) = events {
                replay(&file, events).await;
            }
            return Ok(file);
        }
        let here = hub.assembling.get(file_id, &person.id);
        if let Some(Err(failed)) = here {
            return Err(failed);
        }
        if here.is_none() && record::assembly(hub.store.as_ref(), file_id)?.is_none() {
            // Stored just now, or stopped for good.
            if let Some(file) = record::load(hub.store.as_ref(), file_id)? {
                if let Some(events) = events {
                    replay(&file, events).await;
                }
                return Ok(file);
            }
            return Err(CaseFileError::AssemblyFailed {
                id: file_id.to_owned(),
                why: "its assembly stopped before the file was stored".into(),
            });
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// A stored file's events as WatchCaseFile sends them: started, each partner, summary.
async fn replay(file: &wire::CaseFile, events: &Events) {
    use wire::case_file_event::Event;
    let not_asked = |p: &&wire::PartnerResult| p.status == "not-asked";
    let deadline = file.requested_at.map(|at| {
        let nanos = i64::from(at.nanos) + i64::from(file.deadline_ms % 1000) * 1_000_000;
        prost_types::Timestamp {
            seconds: at.seconds + i64::from(file.deadline_ms / 1000) + nanos / 1_000_000_000,
            nanos: i32::try_from(nanos % 1_000_000_000).unwrap_or(0),
        }
    });
    let mut steps = vec![Event::Started(wire::CaseFileStarted {
        case_file_id: file.id.clone(),
        case_id: file.case_id.clone(),
        purpose: file.purpose.clone(),
        requester: file.requester.clone(),
        subjects: file.subjects.clone(),
        categories: file.categories.clone(),
        asked: file
            .partners
            .iter()
            .filter(|p| !not_asked(p))
            .filter_map(|p| p.party.clone())
            .collect(),
        not_asked: file.partners.iter().filter(not_asked).cloned().collect(),
        deadline,
    })];
    steps.extend(
        file.partners
            .iter()
            .filter(|p| !not_asked(p))
            .cloned()
            .map(Event::Partner),
    );
    steps.extend(file.summary.clone().map(Event::Summary));
    for event in steps {
        // A watcher that went away is not an error: the file is stored.
        if events
            .send(wire::CaseFileEvent { event: Some(event) })
            .await
            .is_err()
        {
            return;
        }
    }
}
