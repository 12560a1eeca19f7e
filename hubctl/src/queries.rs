//! The hub's answers as data: the questions that both the command line
//! ([`crate::commands`]) and the web console ([`crate::console`]) ask, each returning
//! what the hub said and never text. Printing or rendering is the caller's job, so the
//! two front ends cannot drift apart in what they ask or how they retry.

use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, Retry};
use crate::when::from_timestamp;

/// Which cases to list (`hubctl case list`'s options; the console's filter form).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only cases of this stadsdeel.
    pub stadsdeel: Option<String>,
    /// Only cases in one of these phases (none: every phase).
    pub phases: Vec<String>,
    /// Only cases whose contact deadline passed without recorded contact.
    pub overdue: bool,
    /// Only escalated cases.
    pub escalated: bool,
    /// Only cases with an emergency active now.
    pub emergency: bool,
}

/// The cases of [`list_cases`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseList {
    /// Newest registration first.
    pub cases: Vec<wire::CaseSummary>,
    /// The hub's clock when it answered (the first page): the moment the deadline
    /// states hold for.
    pub as_of: Option<OffsetDateTime>,
}

/// Every case the caller has access to that `filter` admits, newest registration first
/// (all pages of ListCases).
pub async fn list_cases(hub: &mut Hub, filter: &CaseFilter) -> Result<CaseList, Error> {
    let mut cases = Vec::new();
    let mut as_of = None;
    let mut page_token = String::new();
    loop {
        let req = wire::ListCasesRequest {
            stadsdeel: filter.stadsdeel.clone().unwrap_or_default(),
            phases: filter.phases.clone(),
            contact_overdue_only: filter.overdue,
            escalated_only: filter.escalated,
            emergency_active_only: filter.emergency,
            page_size: 0,
            page_token: page_token.clone(),
        };
        let page = hub
            .call(Retry::Once, CALL_TIMEOUT, |mut c| {
                let r = req.clone();
                async move { c.list_cases(r).await }
            })
            .await?;
        cases.extend(page.cases);
        if as_of.is_none() {
            as_of = page.as_of.as_ref().and_then(from_timestamp);
        }
        if page.next_page_token.is_empty() {
            return Ok(CaseList { cases, as_of });
        }
        page_token = page.next_page_token;
    }
}

/// One case as the caller may see it.
pub async fn get_case(hub: &mut Hub, case_id: &str) -> Result<wire::Case, Error> {
    let req = wire::GetCaseRequest {
        case_id: case_id.to_owned(),
    };
    hub.call(Retry::Once, CALL_TIMEOUT, |mut c| {
        let r = req.clone();
        async move { c.get_case(r).await }
    })
    .await
}

// ---------------------------------------------------------------------------------
// Bevraging and case files (`hubctl bevraag`, `hubctl casefile`; the console's
// Bevraging and Casusdossier pages).

/// The call time for a request that waits `deadline_ms` (the hub's default when
/// `None`: up to 30 s) for the partners.
pub fn fan_out_timeout(deadline_ms: Option<u32>) -> std::time::Duration {
    std::time::Duration::from_millis(u64::from(deadline_ms.unwrap_or(30_000))) + CALL_TIMEOUT
}

/// Asks every partner whether it knows `subject` (a full pseudonym) of case `case_id`
/// (article 8.4). Never retried: a second bevraging would ask every partner again.
pub async fn bevraag(
    hub: &mut Hub,
    case_id: &str,
    subject: &str,
    deadline_ms: Option<u32>,
) -> Result<wire::BevragingResult, Error> {
    let req = wire::BevraagRequest {
        case_id: case_id.to_owned(),
        subject: Some(wire::SubjectPseudonym {
            hex: subject.to_owned(),
        }),
        deadline_ms: deadline_ms.unwrap_or(0),
    };
    hub.call(Retry::Never, fan_out_timeout(deadline_ms), |mut c| {
        let r = req.clone();
        async move { c.bevraag(r).await }
    })
    .await
}

/// Requests a case file and waits until every partner has settled, at most `timeout`
/// ([`fan_out_timeout`] of the request's deadline).
pub async fn request_case_file(
    hub: &mut Hub,
    req: &wire::CaseFileRequest,
    timeout: std::time::Duration,
) -> Result<wire::CaseFile, Error> {
    hub.call(Retry::Once, timeout, |mut c| {
        let r = req.clone();
        async move { c.request_case_file(r).await }
    })
    .await
}

/// A case file as the hub holds it now: stored, or as it stands while assembled.
pub async fn get_case_file(hub: &mut Hub, id: &str) -> Result<wire::CaseFile, Error> {
    let req = wire::GetCaseFileRequest {
        case_file_id: id.to_owned(),
    };
    hub.call(Retry::Once, CALL_TIMEOUT, |mut c| {
        let r = req.clone();
        async move { c.get_case_file(r).await }
    })
    .await
}

/// The caller's case files of one case, newest first, without their entries.
pub async fn list_case_files(hub: &mut Hub, case_id: &str) -> Result<Vec<wire::CaseFile>, Error> {
    let req = wire::ListCaseFilesRequest {
        case_id: case_id.to_owned(),
    };
    let files = hub
        .call(Retry::Once, CALL_TIMEOUT, |mut c| {
            let r = req.clone();
            async move { c.list_case_files(r).await }
        })
        .await?;
    Ok(files.case_files)
}

/// A case file being assembled, event by event ([`watch_case_file`]).
pub struct CaseFileWatch {
    stream: tonic::Streaming<wire::CaseFileEvent>,
    /// How long to wait for the next event.
    timeout: std::time::Duration,
    url: String,
}

impl CaseFileWatch {
    /// The next event; `None` once the hub has sent the summary and ended the stream.
    /// A refusal or failure of the hub mid-way is [`Error::Hub`] without a hint.
    pub async fn next(&mut self) -> Result<Option<wire::CaseFileEvent>, Error> {
        match tokio::time::timeout(self.timeout, self.stream.message()).await {
            Err(_) => Err(Error::Timeout {
                url: self.url.clone(),
                seconds: self.timeout.as_secs(),
            }),
            Ok(Err(status)) => Err(Error::Hub {
                code: status.code(),
                message: status.message().to_owned(),
                hint: None,
            }),
            Ok(Ok(event)) => Ok(event),
        }
    }
}

/// Requests a case file and follows its assembly (WatchCaseFile): first
/// `CaseFileStarted`, then each partner's result, last the summary, each within
/// `timeout` ([`fan_out_timeout`] of the request's deadline). Dropping the watch does
/// not stop the assembly: the hub stores the file, and [`get_case_file`] follows it
/// meanwhile.
pub async fn watch_case_file(
    hub: &mut Hub,
    req: &wire::CaseFileRequest,
    timeout: std::time::Duration,
) -> Result<CaseFileWatch, Error> {
    let stream = hub
        .call(Retry::Once, CALL_TIMEOUT, |mut c| {
            let r = req.clone();
            async move { c.watch_case_file(r).await }
        })
        .await?;
    Ok(CaseFileWatch {
        stream,
        timeout,
        url: hub.profile().hub.url.clone(),
    })
}

// ---------------------------------------------------------------------------------
// Covenant versions (article 13): `hubctl covenant ...` and the console's Convenant
// pages (`console::pages::covenant`).

/// Every covenant version with one of `statuses` (none: all), newest first, and the
/// number of the version in force (ListCovenantVersions).
pub async fn covenant_versions(
    hub: &mut Hub,
    statuses: Vec<String>,
) -> Result<wire::ListCovenantVersionsResponse, Error> {
    let req = wire::ListCovenantVersionsRequest { statuses };
    hub.call_as::<crate::hub::OfficerClient, _, _, _>(Retry::Once, CALL_TIMEOUT, |mut c| {
        let r = req.clone();
        async move { c.list_covenant_versions(r).await }
    })
    .await
}

/// One covenant version (0: the version in force), with its text and its `covenant
/// diff` against the version in force when asked (GetCovenantVersion).
pub async fn covenant_version(
    hub: &mut Hub,
    version: u32,
    include_text: bool,
    include_diff: bool,
) -> Result<wire::CovenantVersion, Error> {
    let req = wire::GetCovenantVersionRequest {
        version,
        include_text,
        include_diff,
    };
    hub.call_as::<crate::hub::OfficerClient, _, _, _>(Retry::Once, CALL_TIMEOUT, |mut c| {
        let r = req;
        async move { c.get_covenant_version(r).await }
    })
    .await
}

/// Proposes a new covenant version (ProposeCovenantVersion). The answer says whether
/// the hub accepted it, with every diagnostic; a retry after a transport error carries
/// the same `client_request_id`, so the hub stores it once.
pub async fn propose_covenant_version(
    hub: &mut Hub,
    req: wire::ProposeCovenantVersionRequest,
) -> Result<wire::ProposeCovenantVersionResponse, Error> {
    hub.call_as::<crate::hub::OfficerClient, _, _, _>(Retry::Once, CALL_TIMEOUT, |mut c| {
        let r = req.clone();
        async move { c.propose_covenant_version(r).await }
    })
    .await
}

/// Approves a covenant version for the caller's party, bound to the text hash in
/// `req` (ApproveCovenantVersion, article 13.1); the version as it is now.
pub async fn approve_covenant_version(
    hub: &mut Hub,
    req: wire::ApproveCovenantVersionRequest,
) -> Result<wire::CovenantVersion, Error> {
    hub.call_as::<crate::hub::OfficerClient, _, _, _>(Retry::Once, CALL_TIMEOUT, |mut c| {
        let r = req.clone();
        async move { c.approve_covenant_version(r).await }
    })
    .await
}

// ---------------------------------------------------------------------------------
// The privacy officers' questions (console pages Logboek, Meldingen, Inzage; hubctl
// log, notifications, inzage): the `PrivacyOfficer` service, in a module of its own.
pub mod officer;
