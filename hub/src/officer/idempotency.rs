//! Idempotent changes by privacy officers (`client_request_id`, as in
//! coordinator.proto): a repeat of a request returns the first result; the same id
//! for a different request is ALREADY_EXISTS.
//!
//! Records live in [`crate::tables::idempotency`] under `officer/<person>\0<client_request_id>`
//! (the `officer/` prefix keeps them apart from the case registry's records, which
//! start with a person id), holding a SHA-256 of the request and the id of what the
//! first request made (an inzage id; empty when the change names its own objects).

use serde::{Deserialize, Serialize};

use super::Officer;
use crate::error::HubError;
use crate::state::Hub;
use crate::tables::idempotency::{self as table, Requester};

#[derive(Serialize, Deserialize)]
struct Record {
    fingerprint: String,
    result: String,
}

fn digest(fingerprint: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, fingerprint.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_id(client_request_id: &str) -> Result<(), HubError> {
    // Echoed in the refusal of a reused id: printable ASCII only.
    if client_request_id.is_empty()
        || treiter_proto::text::check_token("client_request_id", client_request_id, 128).is_err()
    {
        return Err(HubError::invalid_argument(
            "client_request_id: is required (a random id per intended change, at most 128 printable ASCII characters without spaces)",
        ));
    }
    Ok(())
}

/// The result of an earlier request with this id, if there was one; ALREADY_EXISTS
/// when it was a different request.
pub fn replay(
    hub: &Hub,
    officer: &Officer,
    client_request_id: &str,
    fingerprint: &str,
) -> Result<Option<String>, HubError> {
    check_id(client_request_id)?;
    let requester = Requester::Officer {
        person: &officer.person.id,
    };
    let Some(bytes) =
        table::get(hub.store.as_ref(), requester, client_request_id).map_err(HubError::Store)?
    else {
        return Ok(None);
    };
    let record: Record = serde_json::from_slice(&bytes)
        .map_err(|e| HubError::internal(format!("idempotency record unreadable: {e}")))?;
    if record.fingerprint != digest(fingerprint) {
        return Err(HubError::already_exists(format!(
            "client_request_id {client_request_id} was used before for a different request"
        )));
    }
    Ok(Some(record.result))
}

/// The record to store with the change.
pub fn record(
    officer: &Officer,
    client_request_id: &str,
    fingerprint: &str,
    result: &str,
) -> Result<table::Record, HubError> {
    let value = serde_json::to_vec(&Record {
        fingerprint: digest(fingerprint),
        result: result.to_owned(),
    })
    .map_err(|e| HubError::internal(format!("idempotency record: {e}")))?;
    Ok(table::Record::officer(
        &officer.person.id,
        client_request_id,
        value,
    ))
}
