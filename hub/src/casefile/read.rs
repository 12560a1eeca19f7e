//! Reading case files: one file for its requester, and a requester's files of a case,
//! while they still have access to the case. A file being assembled shows as it stands
//! ([`super::progress`]); a stored one as the store has it, with queues that ran out
//! shown as such.

use treiter_proto::v1 as wire;

use super::CaseFileError;
use super::record;
use super::settle::with_expired_queues;
use crate::persons::Person;
use crate::state::Hub;

/// A stored case file for its requester, while they still have access to the case.
pub fn get_case_file(
    hub: &Hub,
    person: &Person,
    id: &str,
) -> Result<wire::CaseFile, CaseFileError> {
    let Some(file) = record::load(hub.store.as_ref(), id)? else {
        // Not stored (yet): one being assembled for this person shows as it stands.
        return match hub.assembling.get(id, &person.id) {
            Some(Ok(file)) => {
                hub.cases.get(person, &file.case_id, hub.clock.now())?;
                Ok(file)
            }
            Some(Err(failed)) => Err(failed),
            None => Err(CaseFileError::NoSuchFile(id.to_owned())),
        };
    };
    let requester = record::requester(hub.store.as_ref(), &file.case_id, id)?;
    if requester.as_deref() != Some(person.id.as_str()) {
        return Err(CaseFileError::NotYours(id.to_owned()));
    }
    let now = hub.clock.now();
    hub.cases.get(person, &file.case_id, now)?;
    Ok(with_expired_queues(file, now))
}

/// The caller's own case files of one case, newest first, without their entries.
pub fn list_case_files(
    hub: &Hub,
    person: &Person,
    case_id: &str,
) -> Result<Vec<wire::CaseFile>, CaseFileError> {
    hub.cases.get(person, case_id, hub.clock.now())?;
    let ids = record::list(hub.store.as_ref(), case_id, &person.id)?;
    // Files still being assembled are the newest; a file stored meanwhile is listed
    // once, from the store.
    let mut listed: Vec<wire::CaseFile> = hub
        .assembling
        .running(case_id, &person.id)
        .into_iter()
        .filter(|f| !ids.contains(&f.id))
        .collect();
    listed.extend(
        ids.iter()
            .filter_map(|id| record::load(hub.store.as_ref(), id).ok().flatten())
            .map(|mut f| {
                for p in &mut f.partners {
                    p.entries.clear();
                }
                f
            }),
    );
    Ok(listed)
}
