//! Case files whose assembler died are finished by another hub process (issue 21).
//!
//! A case file is stored only when every partner has settled ([`super::assemble`]);
//! until then it lives in the memory of the hub process assembling it. When that process
//! dies (`kill -9`, a lost machine), its coordinator's call fails, and without more the
//! file would be gone although the coordinator asked for it and partners may have been
//! asked. So every assembly writes a marker first ([`record::AssemblyMarker`], sealed
//! under the case's key, in the same write as the file's id): the request as planned,
//! the process assembling it, and until when that process is expected to have stored the
//! file (its deadline plus [`GRACE`]). The marker goes in the same write that stores the
//! file, and is removed when the assembly stops for a reason its requester was told.
//!
//! Every hub process looks for markers of dead assemblers every [`LOOK_EVERY`]:
//! - with PostgreSQL (several replicas), a marker of another process whose time has
//!   passed: that process died or cannot reach the database;
//! - with sled (one hub process at a time, the store is locked), every marker of
//!   another process: it is the one that ran before this start.
//!
//! It takes the marker over under the case-file write lock (shared by the replicas, so
//! one process takes it), writing its own id and a new expiry, and assembles the file
//! again under the same id, for the same requester, as the requester asked: every
//! partner asked again, every record decided against the case as it is now and logged,
//! offline partners queued as always (their late answers join the file). The requester
//! finds it with `hubctl casefile list`. A process that outlived its marker's time finds,
//! when it wants to store the file, that the marker names another process, and stores
//! nothing ([`CaseFileError::TakenOver`]): one file, never two.
//!
//! A file is taken over at most [`MAX_RESUMED`] times (a file whose assembly itself
//! brings its hub down must not take down every replica in turn); then its marker is
//! removed and the hub's log says so. A takeover the requester may no longer make (the
//! case closed, the person left) is dropped the same way, with the reason in the log.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use treiter_proto::v1 as wire;

use super::CaseFileError;
use super::record::{self, AssemblyMarker};
use crate::identity::Oin;
use crate::state::Hub;
use crate::store::Batch;

/// How long after its deadline an assembler may still be storing its file before
/// another process may take it over. Storing takes milliseconds; this covers a slow
/// database and a busy machine.
pub const GRACE: Duration = Duration::from_secs(10);

/// How often a hub process looks for markers of dead assemblers.
pub const LOOK_EVERY: Duration = Duration::from_secs(2);

/// The first look after a start waits this long, so that the agents that were linked to
/// the hub before a restart can link again and are asked, not queued.
pub const FIRST_LOOK_AFTER: Duration = Duration::from_secs(3);

/// How often one file may be taken over.
pub const MAX_RESUMED: u32 = 3;

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn expiry(wait: Duration) -> u64 {
    unix_ms(SystemTime::now() + wait + GRACE)
}

/// What a new assembly's marker says: the request as planned, this process, and until
/// when it expects to have stored the file.
pub(super) struct NewAssembly<'a> {
    pub case_id: &'a str,
    pub requester: &'a str,
    pub party: &'a Oin,
    pub purpose: &'a str,
    pub subjects: &'a [String],
    pub categories: Vec<String>,
    pub deadline_ms: u32,
    pub wait: Duration,
    /// The request's `client_request_id`, kept with the marker ([`super::repeat`]).
    pub request_key: Option<&'a super::repeat::RequestKey>,
}

impl NewAssembly<'_> {
    /// Adds file `file_id`'s marker to `batch`.
    pub(super) fn mark(&self, hub: &Hub, file_id: &str, batch: &mut Batch) {
        let marker = AssemblyMarker {
            file_id: file_id.to_owned(),
            case_id: self.case_id.to_owned(),
            requester: self.requester.to_owned(),
            party: self.party.as_str().to_owned(),
            purpose: self.purpose.to_owned(),
            subjects: self.subjects.to_vec(),
            categories: self.categories.clone(),
            deadline_ms: self.deadline_ms,
            instance: hub.assembling.instance().to_owned(),
            expires_ms: expiry(self.wait),
            resumed: 0,
        };
        record::put_assembly(batch, self.case_id, &marker);
        if let Some(key) = self.request_key {
            key.keep(self.requester, self.case_id, file_id, batch);
        }
    }
}

/// Removes file `file_id`'s marker when dropped, unless [`MarkerGuard::keep`] was
/// called: an assembly that stops for a reason its requester is told (a refusal, the log
/// failing, the call dropped) is not taken over later. A process that dies runs no
/// drop: its marker stays for another process.
pub(super) struct MarkerGuard<'a> {
    hub: &'a Hub,
    file_id: String,
    armed: bool,
}

impl<'a> MarkerGuard<'a> {
    /// A guard over a new assembly's marker; `None` for a taken-over one, whose marker
    /// stays on failure so that it is tried again (its requester is not waiting).
    pub(super) fn new(hub: &'a Hub, file_id: &str, taken_over: bool) -> MarkerGuard<'a> {
        MarkerGuard {
            hub,
            file_id: file_id.to_owned(),
            armed: !taken_over,
        }
    }

    /// The file was stored (its marker went in the same write) or must stay marked.
    pub(super) fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for MarkerGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut batch = Batch::new();
        record::forget_assembly(&mut batch, &self.file_id);
        if let Err(error) = self.hub.store.apply(batch) {
            // The marker stays: the file will be assembled again after its expiry, which
            // is more than its requester expects but loses nothing.
            tracing::warn!(file = %self.file_id, %error, "cannot remove the marker of a stopped assembly");
        }
    }
}

/// Under the case-file write lock, before storing file `file_id`: whether this process
/// still assembles it. `Err(TakenOver)` when another process took it over meanwhile.
pub(super) fn still_ours(hub: &Hub, file_id: &str) -> Result<(), CaseFileError> {
    match record::assembly(hub.store.as_ref(), file_id)? {
        Some(marker) if marker.instance != hub.assembling.instance() => {
            Err(CaseFileError::TakenOver(file_id.to_owned()))
        }
        // Ours; or no marker: the case was deleted meanwhile, and storing the file
        // under a shredded key fails on its own.
        _ => Ok(()),
    }
}

/// Whether `marker` belongs to a dead assembler, seen from this process.
fn orphaned(hub: &Hub, marker: &AssemblyMarker, now_ms: u64) -> bool {
    if marker.instance == hub.assembling.instance() {
        return false;
    }
    // With sled only one hub process has the store: any other process's marker is
    // from before this start. With PostgreSQL, the marker's time must have passed.
    hub.relay.is_none() || marker.expires_ms < now_ms
}

/// Takes over the markers of dead assemblers for as long as the hub runs.
pub async fn run_resumptions(hub: Arc<Hub>) {
    let mut shutdown = hub.shutdown_signal();
    let mut wait = FIRST_LOOK_AFTER;
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = crate::state::shutdown_begun(&mut shutdown) => return,
        }
        wait = LOOK_EVERY;
        match take_over_orphans(&hub).await {
            Ok(taken) => {
                for marker in taken {
                    tokio::spawn(finish(hub.clone(), marker));
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot look for case files whose assembler stopped");
            }
        }
    }
}

/// Claims every orphaned marker for this process (one at a time under the shared
/// case-file write lock, each read again under it) and returns the claimed ones; drops
/// the ones taken over too often.
async fn take_over_orphans(hub: &Arc<Hub>) -> Result<Vec<AssemblyMarker>, CaseFileError> {
    let now_ms = unix_ms(SystemTime::now());
    let candidates: Vec<AssemblyMarker> = record::all_assemblies(hub.store.as_ref())?
        .into_iter()
        .filter(|m| orphaned(hub, m, now_ms))
        .collect();
    let mut claimed = Vec::new();
    for candidate in candidates {
        let _guard = hub.case_file_writes.lock(hub.store.as_ref()).await?;
        // Read again under the lock: another replica may have claimed it, or the
        // assembler stored it after all.
        let Some(mut marker) = record::assembly(hub.store.as_ref(), &candidate.file_id)? else {
            continue;
        };
        if !orphaned(hub, &marker, unix_ms(SystemTime::now()))
            || hub.assembling.is_running(&marker.file_id)
        {
            continue;
        }
        let mut batch = Batch::new();
        if marker.resumed >= MAX_RESUMED {
            tracing::error!(
                case = %marker.case_id,
                file = %marker.file_id,
                resumed = marker.resumed,
                "a case file's assembly stopped without storing it too often; it is given up and its requester must request it again"
            );
            record::forget_assembly(&mut batch, &marker.file_id);
            hub.store.apply(batch)?;
            continue;
        }
        let wait = super::plan::deadline_of(hub, marker.deadline_ms)?;
        marker.resumed += 1;
        marker.instance = hub.assembling.instance().to_owned();
        marker.expires_ms = expiry(wait);
        record::put_assembly(&mut batch, &marker.case_id, &marker);
        hub.store.apply(batch)?;
        tracing::warn!(
            case = %marker.case_id,
            file = %marker.file_id,
            resumed = marker.resumed,
            "a case file's assembler stopped before storing it; this hub process assembles it again"
        );
        claimed.push(marker);
    }
    Ok(claimed)
}

/// Assembles a claimed file again; drops its marker when it can never be made
/// (refused now), keeps it when the hub cannot for now (tried again after its expiry).
async fn finish(hub: Arc<Hub>, marker: AssemblyMarker) {
    match assemble_again(&hub, &marker).await {
        Ok(file) => tracing::info!(
            case = %marker.case_id,
            file = %file.id,
            complete = file.complete,
            "a taken-over case file is stored"
        ),
        Err(error) if error.is_transient() => tracing::warn!(
            case = %marker.case_id,
            file = %marker.file_id,
            %error,
            "a taken-over case file cannot be assembled now; it is tried again later"
        ),
        Err(error) => {
            tracing::error!(
                case = %marker.case_id,
                file = %marker.file_id,
                %error,
                "a taken-over case file cannot be made any more; it is given up"
            );
            let mut batch = Batch::new();
            record::forget_assembly(&mut batch, &marker.file_id);
            if let Err(error) = hub.store.apply(batch) {
                tracing::warn!(file = %marker.file_id, %error, "cannot remove the marker of a given-up case file");
            }
        }
    }
}

async fn assemble_again(
    hub: &Arc<Hub>,
    marker: &AssemblyMarker,
) -> Result<wire::CaseFile, CaseFileError> {
    let oin = Oin::parse(&marker.party)?;
    let party = hub.parties.get(&oin)?;
    let person = hub.persons.resolve(&marker.requester, &oin)?;
    let request = wire::CaseFileRequest {
        case_id: marker.case_id.clone(),
        purpose: marker.purpose.clone(),
        subjects: marker
            .subjects
            .iter()
            .map(|hex| wire::SubjectPseudonym { hex: hex.clone() })
            .collect(),
        categories: marker.categories.clone(),
        deadline_ms: marker.deadline_ms,
        ..Default::default()
    };
    super::assemble::resume_case_file(hub, &person, &party, &request, &marker.file_id).await
}
