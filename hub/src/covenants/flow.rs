//! Proposing and approving versions, and reading them: the work behind the covenant
//! RPCs of privacy_officer.proto.
//!
//! Every change runs under one lock ([`Hub::covenant_changes`], and across replicas on
//! one database [`crate::store::Store::lock_shared`]), so two approvals cannot both see
//! "one approval so far". Its order is the durability rule of the decision log: the covenant-approval
//! entry is appended (and durable) BEFORE the store changes; when the log cannot take
//! it the answer is UNAVAILABLE and nothing changed. An approval that completes article
//! 13.1 appends an "approved" and then an "activated" entry, then writes the version in
//! force, the superseded ones and the idempotency record in one atomic store batch, and
//! only then switches [`crate::covenant_in_force`] and tells the agents. Should the hub
//! stop between the log and the store, the log holds a step the store does not; the
//! officer's retry appends it again (never the other way round).

use std::sync::Arc;

use treiter_policies::diagnostics::Diagnostics;
use treiter_policies::vocab::Role;
use treiter_policies::{Covenant, diff};
use treiter_proto::v1 as wire;

use super::record::{
    self, ActorRecord, ApprovalRecord, IdempotencyRecord, VersionRecord, VersionStatus,
};
use super::rules::{self, MAX_DESCRIPTION_CHARS, MAX_TEXT_BYTES};
use super::startup::now_ms;
use super::wire as to_wire;
use crate::error::HubError;
use crate::log::RecordingError;
use crate::log::entry::{ApprovalStep, CovenantApproval, HexHash, LogTime, PersonId, Requester};
use crate::state::{Hub, Officer};
use crate::store::Batch;

/// The name proposals are parsed under (shown in diagnostics).
const PROPOSAL: &str = "proposal";

fn actor(officer: &Officer) -> ActorRecord {
    ActorRecord {
        party: officer.party.oin.to_string(),
        person: officer.person.id.clone(),
    }
}

fn sha256_hex(text: &str) -> String {
    crate::log::hash::sha256(text.as_bytes()).to_hex()
}

fn step_word(step: ApprovalStep) -> &'static str {
    match step {
        ApprovalStep::Proposed => "proposal",
        ApprovalStep::Approved => "approval",
        ApprovalStep::Activated => "activation",
    }
}

/// Appends `steps` to the decision log and stores the change they record
/// (`change(leaf indices)`), together ([`crate::log::Log::append_recording`]):
/// UNAVAILABLE when the log could not make them durable, and then nothing changed.
async fn record_steps<T: Send + 'static>(
    hub: &Hub,
    officer: &Officer,
    steps: &[ApprovalStep],
    record: &VersionRecord,
    change: impl FnOnce(&[u64]) -> Result<(Batch, T), HubError> + Send + 'static,
) -> Result<T, HubError> {
    let entries = steps
        .iter()
        .map(|step| step_entry(hub, officer, *step, record))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HubError::internal(format!("cannot form the log entry: {e}")))?;
    let words: Vec<&str> = steps.iter().map(|s| step_word(*s)).collect();
    let (_, value) = hub
        .log
        .append_recording(entries, Arc::clone(&hub.store), change)
        .await
        .map_err(|e| match e {
            RecordingError::Log(e) => HubError::unavailable(format!(
                "the decision log could not durably record the covenant {} step: {e}; nothing was changed; retry",
                words.join(" and ")
            )),
            RecordingError::Change(e) => e,
            RecordingError::Store(e) => HubError::Store(e),
        })?;
    Ok(value)
}

fn step_entry(
    hub: &Hub,
    officer: &Officer,
    step: ApprovalStep,
    record: &VersionRecord,
) -> Result<crate::log::Entry, crate::log::EntryError> {
    let text_hash = crate::log::hash::Hash::from_hex(&record.sha256)
        .unwrap_or_else(|| crate::log::hash::sha256(record.text.as_bytes()));
    Ok(crate::log::Entry {
        time: LogTime::from_datetime(hub.clock.now())?,
        // The version in force when the step was taken (article 13.2); an activation
        // entry therefore names the version it replaces, and `version` the new one.
        covenant_version: hub.covenant.version(),
        event: crate::log::Event::CovenantApproval(CovenantApproval {
            actor: Requester {
                party: treiter_policies::Oin::parse(officer.party.oin.as_str())
                    .unwrap_or(treiter_policies::Oin(0)),
                role: Role::PrivacyOfficer,
                person: PersonId::parse(&officer.person.id)?,
            },
            step,
            version: record.version,
            text_hash: HexHash(text_hash),
        }),
    })
}

/// `diff::diff(old, new)` on a blocking thread: it decides every kind of share under
/// both versions, seconds of CPU for a debug build under load, which must not stall
/// the runtime that carries the agents' links and their heartbeats.
async fn diff_off_runtime(old: Arc<Covenant>, new: Covenant) -> String {
    tokio::task::spawn_blocking(move || diff::diff(&old, &new, &[]))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "computing a covenant diff was interrupted");
            "(the diff could not be computed; ask for it again)".to_owned()
        })
}

/// A stored version as the answer shows it, with text and diff when asked.
async fn view(
    hub: &Hub,
    record: &VersionRecord,
    include_text: bool,
    include_diff: bool,
) -> wire::CovenantVersion {
    let mut out = to_wire::name_people(
        to_wire::version(record, &hub.parties.current()),
        &hub.persons.current(),
    );
    let in_force = hub.covenant.current();
    match record.covenant() {
        Ok(covenant) => {
            let warnings = Diagnostics::new(
                &format!("version {}", record.version),
                &record.text,
                covenant.warnings().to_vec(),
            );
            out.warnings = to_wire::diagnostics(&warnings, &record.text);
            if include_diff && record.version != in_force.version() {
                out.diff = diff_off_runtime(in_force, covenant).await;
            }
        }
        Err(d) => {
            // Only valid texts are stored; say so rather than show nothing.
            tracing::error!(
                version = record.version,
                "a stored covenant version does not parse"
            );
            out.warnings = to_wire::diagnostics(&d, &record.text);
        }
    }
    if include_text {
        out.text = record.text.clone();
    }
    out
}

pub(super) fn not_found(version: u32) -> HubError {
    HubError::not_found(format!("there is no covenant version {version}"))
}

/// A covenant text the API accepts for parsing: not empty, at most 1 MiB.
/// A client's idempotency key: required, printable ASCII (it is stored with the
/// request and may be echoed).
fn check_request_id(id: &str) -> Result<(), HubError> {
    if id.is_empty() {
        return Err(HubError::invalid_argument("client_request_id: required"));
    }
    treiter_proto::text::check_token("client_request_id", id, 128)
        .map_err(|e| HubError::invalid_argument(e.to_string()))
}

pub(super) fn check_text_size(text: &str) -> Result<(), HubError> {
    if text.is_empty() {
        return Err(HubError::invalid_argument("text: empty"));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(HubError::invalid_argument(format!(
            "text: {} bytes, more than the {MAX_TEXT_BYTES} allowed",
            text.len()
        )));
    }
    Ok(())
}

/// ListCovenantVersions.
pub fn list(
    hub: &Hub,
    request: &wire::ListCovenantVersionsRequest,
) -> Result<wire::ListCovenantVersionsResponse, HubError> {
    let mut wanted = Vec::new();
    for (i, word) in request.statuses.iter().enumerate() {
        match (VersionStatus::parse(word), word.as_str()) {
            (Some(s), _) => wanted.push(s),
            // Never stored (module record): valid, matches nothing.
            (None, "approved") => {}
            (None, _) => {
                return Err(HubError::invalid_argument(format!(
                    "statuses[{i}]: unknown status {word:?}; one of proposed, approved, in-force, superseded"
                )));
            }
        }
    }
    let versions = record::all(hub.store.as_ref()).map_err(HubError::Store)?;
    Ok(wire::ListCovenantVersionsResponse {
        in_force: hub.covenant.version(),
        versions: versions
            .iter()
            .rev()
            .filter(|v| request.statuses.is_empty() || wanted.contains(&v.status))
            .map(|v| {
                to_wire::name_people(
                    to_wire::version(v, &hub.parties.current()),
                    &hub.persons.current(),
                )
            })
            .collect(),
    })
}

/// GetCovenantVersion.
pub async fn get(
    hub: &Hub,
    request: &wire::GetCovenantVersionRequest,
) -> Result<wire::CovenantVersion, HubError> {
    let version = match request.version {
        0 => hub.covenant.version(),
        v => v,
    };
    let record = record::get(hub.store.as_ref(), version)
        .map_err(HubError::Store)?
        .ok_or_else(|| not_found(version))?;
    Ok(view(hub, &record, request.include_text, request.include_diff).await)
}

/// ProposeCovenantVersion.
pub async fn propose(
    hub: &Hub,
    officer: &Officer,
    request: wire::ProposeCovenantVersionRequest,
) -> Result<wire::ProposeCovenantVersionResponse, HubError> {
    check_request_id(&request.client_request_id)?;
    check_text_size(&request.text)?;
    // Shown with the version in hubctl and to the approving officers.
    treiter_proto::text::check_text("description", &request.description, MAX_DESCRIPTION_CHARS)
        .map_err(|e| HubError::invalid_argument(e.to_string()))?;
    let _changes = hub.covenant_changes.lock().await;
    let _replicas = hub
        .store
        .lock_shared("covenant changes")
        .map_err(HubError::Store)?;
    let store = hub.store.as_ref();
    let person = officer.person.id.as_str();
    let fingerprint = sha256_hex(&format!(
        "propose\0{}\0{}",
        request.text, request.description
    ));
    if let Some(first) =
        record::request(store, person, &request.client_request_id).map_err(HubError::Store)?
    {
        return if first.operation == "propose" && first.fingerprint == fingerprint {
            let record = record::get(store, first.version)
                .map_err(HubError::Store)?
                .ok_or_else(|| not_found(first.version))?;
            let version = view(hub, &record, false, true).await;
            Ok(wire::ProposeCovenantVersionResponse {
                accepted: true,
                diagnostics: version.warnings.clone(),
                version: Some(version),
            })
        } else {
            Err(HubError::already_exists(
                "client_request_id was used before for another request",
            ))
        };
    }
    let text = request.text;
    let proposed = match Covenant::parse(PROPOSAL, &text) {
        Ok(c) => c,
        Err(d) => {
            return Ok(wire::ProposeCovenantVersionResponse {
                accepted: false,
                version: None,
                diagnostics: to_wire::diagnostics(&d, &text),
            });
        }
    };
    let in_force = hub.covenant.current();
    let highest = record::all(store)
        .map_err(HubError::Store)?
        .iter()
        .map(|v| v.version)
        .max()
        .unwrap_or(0)
        .max(in_force.version());
    let mut problems = rules::check_proposal(&in_force, &proposed, highest, &text);
    problems.extend(proposed.warnings().iter().cloned());
    let diagnostics = Diagnostics::new(PROPOSAL, &text, problems);
    let wire_diagnostics = to_wire::diagnostics(&diagnostics, &text);
    if diagnostics.has_errors() {
        return Ok(wire::ProposeCovenantVersionResponse {
            accepted: false,
            version: None,
            diagnostics: wire_diagnostics,
        });
    }
    let record = VersionRecord {
        version: proposed.version(),
        status: VersionStatus::Proposed,
        sha256: sha256_hex(&text),
        text,
        description: request.description,
        proposed_at_ms: Some(now_ms()),
        proposed_by: Some(actor(officer)),
        approvals: Vec::new(),
        in_force_from_ms: None,
        superseded_at_ms: None,
        superseded_by: 0,
    };
    let notified = {
        let logged = record.clone();
        let record = record.clone();
        let parties = hub.parties.current();
        let proposer = officer.party.oin.to_string();
        let person = person.to_owned();
        let client_request_id = request.client_request_id.clone();
        let now = hub.clock.now();
        record_steps(
            hub,
            officer,
            &[ApprovalStep::Proposed],
            &logged,
            move |indices| {
                let leaf = indices.first().copied().ok_or_else(|| {
                    HubError::internal("the decision log gave the proposal no index")
                })?;
                let mut batch = Batch::new();
                record::put(&mut batch, &record);
                // The other parties' privacy officers are told it awaits their approval.
                let notified =
                    super::notify::on_proposed(&mut batch, &parties, &proposer, &record, leaf, now);
                record::put_request(
                    &mut batch,
                    &person,
                    &client_request_id,
                    &IdempotencyRecord {
                        operation: "propose".into(),
                        fingerprint,
                        version: record.version,
                    },
                );
                Ok((batch, notified))
            },
        )
        .await?
    };
    tracing::info!(
        version = record.version,
        party = %officer.party.oin,
        notified,
        "covenant version proposed; the other parties' privacy officers are notified"
    );
    Ok(wire::ProposeCovenantVersionResponse {
        accepted: true,
        version: Some(view(hub, &record, false, true).await),
        diagnostics: wire_diagnostics,
    })
}

/// ApproveCovenantVersion.
pub async fn approve(
    hub: &Hub,
    officer: &Officer,
    request: wire::ApproveCovenantVersionRequest,
) -> Result<wire::CovenantVersion, HubError> {
    check_request_id(&request.client_request_id)?;
    if request.text_sha256.len() != 32 {
        return Err(HubError::invalid_argument(format!(
            "text_sha256: {} bytes; a SHA-256 hash has 32",
            request.text_sha256.len()
        )));
    }
    let sha: String = request
        .text_sha256
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let _changes = hub.covenant_changes.lock().await;
    let _replicas = hub
        .store
        .lock_shared("covenant changes")
        .map_err(HubError::Store)?;
    let store = hub.store.as_ref();
    let person = officer.person.id.as_str();
    let fingerprint = sha256_hex(&format!("approve\0{}\0{sha}", request.version));
    if let Some(first) =
        record::request(store, person, &request.client_request_id).map_err(HubError::Store)?
    {
        return if first.operation == "approve" && first.fingerprint == fingerprint {
            let record = record::get(store, first.version)
                .map_err(HubError::Store)?
                .ok_or_else(|| not_found(first.version))?;
            Ok(view(hub, &record, false, false).await)
        } else {
            Err(HubError::already_exists(
                "client_request_id was used before for another request",
            ))
        };
    }
    let mut record = record::get(store, request.version)
        .map_err(HubError::Store)?
        .ok_or_else(|| not_found(request.version))?;
    if record.sha256 != sha {
        return Err(HubError::failed_precondition(format!(
            "the text hash {sha} is not that of version {} ({}): the text is not what you reviewed; review it again (`hubctl covenant diff {}`) (art. 13.1)",
            record.version, record.sha256, record.version
        )));
    }
    let in_force = hub.covenant.current();
    match record.status {
        VersionStatus::Superseded => {
            return Err(HubError::failed_precondition(format!(
                "version {} is superseded: it is no longer above version {} in force and can never take effect (art. 13.2)",
                record.version,
                in_force.version()
            )));
        }
        VersionStatus::InForce => {
            return Err(HubError::failed_precondition(format!(
                "version {} is in force already; nothing is left to approve (art. 13.1)",
                record.version
            )));
        }
        VersionStatus::Proposed if record.version <= in_force.version() => {
            return Err(HubError::failed_precondition(format!(
                "version {} is not above version {} in force (art. 13.2)",
                record.version,
                in_force.version()
            )));
        }
        VersionStatus::Proposed => {}
    }
    let party = officer.party.oin.to_string();
    if let Some(earlier) = record.approvals.iter().find(|a| a.by.party == party) {
        return Err(HubError::already_exists(format!(
            "{} approved version {} already (person {}); each party counts once (art. 13.1)",
            officer.party.name, record.version, earlier.by.person
        )));
    }
    let now = now_ms();
    record.approvals.push(ApprovalRecord {
        by: actor(officer),
        at_ms: now,
        sha256: sha,
    });
    let takes_effect =
        rules::approvals_missing(&to_wire::approving_kinds(&record, &hub.parties.current()))
            .is_none();
    // Parsed before anything is logged: a stored text that no longer parses must not
    // be logged as activated.
    // So is the switch (parties, case policy): one that cannot be made leaves the
    // version proposed.
    let new = if takes_effect {
        let covenant = record.covenant().map_err(|_| {
            HubError::internal(format!("stored version {} does not parse", record.version))
        })?;
        Some(super::switch::prepare(hub, covenant)?)
    } else {
        None
    };
    let mut batch = Batch::new();
    let mut steps = vec![ApprovalStep::Approved];
    // The entries are formed from the record as approved, before it is put in force
    // (the activation entry names the version it replaces, `step_entry`).
    let logged = record.clone();
    if new.is_some() {
        steps.push(ApprovalStep::Activated);
        record.status = VersionStatus::InForce;
        record.in_force_from_ms = Some(now);
        for mut other in record::all(store).map_err(HubError::Store)? {
            let replaced = other.status == VersionStatus::InForce
                || (other.status == VersionStatus::Proposed && other.version < record.version);
            if other.version != record.version && replaced {
                other.status = VersionStatus::Superseded;
                other.superseded_at_ms = Some(now);
                other.superseded_by = record.version;
                record::put(&mut batch, &other);
            }
        }
    }
    record::put(&mut batch, &record);
    record::put_request(
        &mut batch,
        person,
        &request.client_request_id,
        &IdempotencyRecord {
            operation: "approve".into(),
            fingerprint,
            version: record.version,
        },
    );
    record_steps(hub, officer, &steps, &logged, move |_| Ok((batch, ()))).await?;
    tracing::info!(
        version = record.version,
        party = %officer.party.oin,
        "covenant version approved"
    );
    if let Some(switch) = new {
        super::switch::apply(hub, switch);
    }
    Ok(view(hub, &record, false, false).await)
}
