//! Every place that must refuse while the decision log cannot write (article 10), with
//! the log failing both ways (a full disk: writes fail; a failing disk: syncs fail),
//! and what the operator sees meanwhile (`/healthz`, `/metrics`). Each refused step is
//! retried with the same request id once the log writes, and then passes.
//!
//! The other fail-closed paths have their own tests beside the feature: a late answer
//! (`partner_answers::a_late_answer_under_a_failing_log_…`,
//! `partner_answers::a_late_share_answer_under_a_failing_log_…`), a retention deletion
//! (`retention`), covenant approval (`covenant_versions::without_a_durable_log_entry_…`),
//! case changes (`cases::case_changes_are_logged_before_they_are_stored`) and case
//! files (`casefile::every_decision_is_in_the_log_and_a_failing_log_passes_nothing`).

use tonic::Code;
use treiter_proto::v1 as wire;

use super::{Kind, tally};
use crate::casefile::{Partners, SDR_OOST, case_file, case_in, client, partner};
use crate::support::{Pki, TestHub, person_channel};

const PO_GEMEENTE: &str = "p-gemeente-090";

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// A full disk: every write fails (ENOSPC).
    Writes,
    /// A failing disk: every sync fails (EIO).
    Syncs,
}

fn degraded(hub: &TestHub) -> Option<String> {
    let (status, text) = treiter_hub::admin::health(&hub.hub);
    (status.as_u16() == 503).then_some(text)
}

fn metric(hub: &TestHub, name: &str) -> Option<u64> {
    let text = hub.hub.metrics.render(&hub.hub);
    text.lines()
        .find(|l| l.starts_with(name) && l.as_bytes().get(name.len()) == Some(&b' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

async fn get_case(
    sdr: &mut wire::coordinator_client::CoordinatorClient<treiter_node_agent::tls::HubChannel>,
    case: &str,
) -> wire::Case {
    sdr.get_case(wire::GetCaseRequest {
        case_id: case.to_owned(),
    })
    .await
    .expect("the case")
    .into_inner()
}

/// Adds a melder (synthetic pseudonym `round`) to the case: a case change that each
/// round can make anew.
async fn add_subject(
    sdr: &mut wire::coordinator_client::CoordinatorClient<treiter_node_agent::tls::HubChannel>,
    case: &str,
    id: &str,
    round: usize,
) -> Result<wire::CaseUpdate, tonic::Status> {
    sdr.add_subject(wire::AddSubjectRequest {
        client_request_id: id.to_owned(),
        case_id: case.to_owned(),
        subject: Some(wire::SubjectPseudonym {
            hex: format!("{:02x}", 0xe0 + round).repeat(32),
        }),
        role: "melder".into(),
        label: String::new(),
    })
    .await
    .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_log_cannot_write_nothing_passes_and_the_operator_is_told() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut sdr = client(&pki, &hub, SDR_OOST).await;
    let mut officer = wire::privacy_officer_client::PrivacyOfficerClient::new(
        person_channel(&pki, PO_GEMEENTE, hub.addr).await,
    );
    let case = case_in(&mut sdr, "aanpak").await;
    let log = &hub.hub.log;
    assert_eq!(degraded(&hub), None, "healthy at the start");
    assert_eq!(
        metric(&hub, "treiter_hub_log_append_failures_total"),
        Some(0)
    );
    let covenant = crate::covenant_versions::covenant_text(2, true);

    let mut faults = 0u64;
    let mut passed = Vec::new();
    for (round, fault) in [Fault::Writes, Fault::Syncs].into_iter().enumerate() {
        let size = log.tree_size();
        let failures = metric(&hub, "treiter_hub_log_append_failures_total").unwrap_or(0);
        match fault {
            Fault::Writes => log.faults().fail_writes(),
            Fault::Syncs => log.faults().fail_syncs(),
        }
        let id = |step: &str| format!("{step}-{round}");

        // A new case.
        faults += 1;
        let created = sdr
            .create_case(wire::CreateCaseRequest {
                client_request_id: id("create"),
                stadsdeel: "oost".into(),
                melding_at: Some(prost_types::Timestamp::from(
                    std::time::SystemTime::now() - std::time::Duration::from_secs(60),
                )),
                external_reference: String::new(),
            })
            .await;
        match created {
            Err(status) if status.code() == Code::Unavailable => {}
            other => passed.push(format!("{fault:?}: a case was registered: {other:?}")),
        }

        // A case change.
        faults += 1;
        let history = get_case(&mut sdr, &case).await.history.len();
        match add_subject(&mut sdr, &case, &id("subject"), round).await {
            Err(status) if status.code() == Code::Unavailable => {}
            other => passed.push(format!("{fault:?}: a subject was added: {other:?}")),
        }

        // A case file: the partners answer, and nothing of their answers passes.
        faults += 1;
        match case_file(&mut sdr, &case, "aanpak", 5000).await {
            Err(status) if status.code() == Code::Unavailable => {}
            Err(status) => passed.push(format!("{fault:?}: case file: {status:?}")),
            Ok(file) => {
                let entries: usize = file.partners.iter().map(|p| p.entries.len()).sum();
                if entries > 0 {
                    passed.push(format!("{fault:?}: a case file passed {entries} entries"));
                }
            }
        }

        // A covenant step.
        faults += 1;
        let proposed = officer
            .propose_covenant_version(wire::ProposeCovenantVersionRequest {
                client_request_id: id("propose"),
                text: covenant.clone(),
                description: "synthetic".into(),
            })
            .await;
        match proposed {
            Err(status) if status.code() == Code::Unavailable => {}
            Err(status) if status.code() == Code::InvalidArgument => passed.push(format!(
                "{fault:?}: the proposal was not even read: {status:?}"
            )),
            other => passed.push(format!("{fault:?}: a version was proposed: {other:?}")),
        }

        // Nothing entered the log or the store, and the operator is told.
        assert_eq!(log.tree_size(), size, "{fault:?}: nothing entered the log");
        let now = get_case(&mut sdr, &case).await.history.len();
        if now != history {
            passed.push(format!(
                "{fault:?}: the stored case changed ({history} → {now} events)"
            ));
        }
        let versions = officer
            .list_covenant_versions(wire::ListCovenantVersionsRequest::default())
            .await
            .expect("versions")
            .into_inner()
            .versions
            .len();
        if versions != 1 {
            passed.push(format!("{fault:?}: {versions} covenant versions stored"));
        }
        let health = degraded(&hub).unwrap_or_default();
        assert!(
            health.contains("degraded: the decision log cannot write"),
            "{fault:?}: /healthz does not say so: {health:?}"
        );
        assert!(
            metric(&hub, "treiter_hub_log_append_failures_total").unwrap_or(0) > failures,
            "{fault:?}: the metric does not count the failures"
        );

        // The disk works again: the same requests pass, each with its log entry.
        log.faults().clear();
        add_subject(&mut sdr, &case, &id("subject"), round)
            .await
            .expect("the retry is recorded once the log writes");
        assert_eq!(degraded(&hub), None, "{fault:?}: healthy again");
        let file = case_file(&mut sdr, &case, "aanpak", 5000)
            .await
            .expect("a case file once the log writes");
        assert_eq!(partner(&file, "politie").status, "answered", "{file:?}");
        assert!(log.tree_size() > size + 1, "the retries are logged");
    }
    tally(
        "fail-closed-log",
        Kind::FaultsInjected,
        faults,
        passed.len() as u64,
        0,
    );
    assert!(passed.is_empty(), "passed without a log entry: {passed:#?}");
    partners.stop().await;
    hub.stop().await;
}
