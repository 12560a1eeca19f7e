//! Every RPC the hub serves, given damaged and random protobuf bytes over a real mTLS
//! connection, decoded by the hub and handled (the request checks, the case rules, the
//! covenant parser for proposals): each call ends in a reply or a status, the
//! connection stays usable, and the hub keeps answering. Then the same for the agent
//! link's stream: damaged agent messages after a valid Hello.
//!
//! A handler that panics takes its connection down (tonic does not catch panics), so
//! "the connection still answers WhoAmI" is the panic check; a call that hangs past
//! [`CALL_LIMIT`] counts as stuck.

use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use prost::Message;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use treiter_node_agent::tls::HubChannel;
use treiter_proto::v1 as wire;
use treiter_proto::v1::agent_message;

use super::raw::{RawCodec, server_streaming, unary};
use super::{Kind, config, fuzzed, tally};
use crate::support::{Pki, TestHub, covenant_path, party_channel, person_channel};

/// The longest a fuzzed call may take; the hub answers a call about an unknown case,
/// or with no agent linked, at once.
const CALL_LIMIT: Duration = Duration::from_secs(20);

/// How long a fuzzed link is read before the test moves on.
const LINK_WINDOW: Duration = Duration::from_millis(1500);

const SDR_OOST: &str = "p-gemeente-004";
const PRIVACY_GEMEENTE: &str = "p-gemeente-090";

fn subject(n: u8) -> Option<wire::SubjectPseudonym> {
    Some(wire::SubjectPseudonym {
        hex: format!("{n:02x}").repeat(32),
    })
}

fn ts() -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp::from(
        std::time::SystemTime::now() - Duration::from_secs(3600),
    ))
}

/// Who calls an RPC: the coordinator as a stadsdeelregisseur, the privacy-officer API
/// as a privacy officer, the agent link's proofs as a party.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caller {
    Coordinator,
    Officer,
    Party,
}

struct Rpc {
    path: &'static str,
    caller: Caller,
    streaming: bool,
    seeds: Vec<Vec<u8>>,
}

fn rpc(path: &'static str, caller: Caller, seeds: Vec<Vec<u8>>) -> Rpc {
    Rpc {
        path,
        caller,
        streaming: false,
        seeds,
    }
}

fn streaming(path: &'static str, caller: Caller, seeds: Vec<Vec<u8>>) -> Rpc {
    Rpc {
        path,
        caller,
        streaming: true,
        seeds,
    }
}

/// Every RPC of the hub, with valid requests as seeds (about `case`, a real case).
fn rpcs(case: &str) -> Vec<Rpc> {
    use Caller::*;
    let case = case.to_owned();
    let covenant = std::fs::read_to_string(covenant_path()).expect("covenant text");
    vec![
        rpc(
            "/treiter.hub.v1.Coordinator/WhoAmI",
            Coordinator,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/CreateCase",
            Coordinator,
            vec![
                wire::CreateCaseRequest {
                    client_request_id: "fuzz-create".into(),
                    stadsdeel: "oost".into(),
                    melding_at: ts(),
                    external_reference: "14020-1".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/GetCase",
            Coordinator,
            vec![
                wire::GetCaseRequest {
                    case_id: case.clone(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/ListCases",
            Coordinator,
            vec![
                wire::ListCasesRequest {
                    stadsdeel: "oost".into(),
                    phases: vec!["melding".into()],
                    page_size: 5,
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/MovePhase",
            Coordinator,
            vec![
                wire::MovePhaseRequest {
                    client_request_id: "fuzz-move".into(),
                    case_id: case.clone(),
                    to_phase: "analyse".into(),
                    reason: "fuzz".into(),
                    expected_phase: "melding".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/Escalate",
            Coordinator,
            vec![
                wire::EscalateRequest {
                    client_request_id: "fuzz-escalate".into(),
                    case_id: case.clone(),
                    reason: "fuzz".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/RecordContact",
            Coordinator,
            vec![
                wire::RecordContactRequest {
                    client_request_id: "fuzz-contact".into(),
                    case_id: case.clone(),
                    contacted_at: ts(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/AddSubject",
            Coordinator,
            vec![
                wire::AddSubjectRequest {
                    client_request_id: "fuzz-subject".into(),
                    case_id: case.clone(),
                    subject: subject(7),
                    role: "dader".into(),
                    label: "A".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/UpdateSubject",
            Coordinator,
            vec![
                wire::UpdateSubjectRequest {
                    client_request_id: "fuzz-update".into(),
                    case_id: case.clone(),
                    subject: subject(7),
                    role: "slachtoffer".into(),
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/RemoveSubject",
            Coordinator,
            vec![
                wire::RemoveSubjectRequest {
                    client_request_id: "fuzz-remove".into(),
                    case_id: case.clone(),
                    subject: subject(9),
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/RecordConsent",
            Coordinator,
            vec![
                wire::RecordConsentRequest {
                    client_request_id: "fuzz-consent".into(),
                    case_id: case.clone(),
                    subject: subject(7),
                    category: "zorg-signalen".into(),
                    date: "2026-12-01".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/WithdrawConsent",
            Coordinator,
            vec![
                wire::WithdrawConsentRequest {
                    client_request_id: "fuzz-withdraw".into(),
                    case_id: case.clone(),
                    subject: subject(7),
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/AddParticipant",
            Coordinator,
            vec![
                wire::AddParticipantRequest {
                    client_request_id: "fuzz-participant".into(),
                    case_id: case.clone(),
                    party_oin: "00000004000000000004".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/RemoveParticipant",
            Coordinator,
            vec![
                wire::RemoveParticipantRequest {
                    client_request_id: "fuzz-unparticipate".into(),
                    case_id: case.clone(),
                    party_oin: "00000004000000000004".into(),
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/DeclareEmergency",
            Coordinator,
            vec![
                wire::DeclareEmergencyRequest {
                    client_request_id: "fuzz-emergency".into(),
                    case_id: case.clone(),
                    reason: "fuzz".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/Bevraag",
            Coordinator,
            vec![
                wire::BevraagRequest {
                    case_id: case.clone(),
                    subject: subject(7),
                    deadline_ms: 200,
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/RequestCaseFile",
            Coordinator,
            vec![
                wire::CaseFileRequest {
                    client_request_id: "fuzz-file".into(),
                    case_id: case.clone(),
                    purpose: "aanpak".into(),
                    subjects: vec![subject(7).unwrap_or_default()],
                    categories: vec!["politie-incidenten".into()],
                    deadline_ms: 200,
                }
                .encode_to_vec(),
            ],
        ),
        streaming(
            "/treiter.hub.v1.Coordinator/WatchCaseFile",
            Coordinator,
            vec![
                wire::CaseFileRequest {
                    client_request_id: "fuzz-watch".into(),
                    case_id: case.clone(),
                    purpose: "aanpak".into(),
                    deadline_ms: 200,
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/GetCaseFile",
            Coordinator,
            vec![
                wire::GetCaseFileRequest {
                    case_file_id: "CF-1".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.Coordinator/ListCaseFiles",
            Coordinator,
            vec![
                wire::ListCaseFilesRequest {
                    case_id: case.clone(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.HubStatus/GetStatus",
            Coordinator,
            vec![vec![]],
        ),
        streaming(
            "/treiter.hub.v1.PrivacyOfficer/QueryLog",
            Officer,
            vec![
                wire::QueryLogRequest {
                    case_id: case.clone(),
                    kinds: vec!["case-change".into()],
                    max_entries: 5,
                    include_entry: true,
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/GetCheckpoint",
            Officer,
            vec![wire::GetCheckpointRequest { tree_size: 1 }.encode_to_vec()],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/GetInclusionProof",
            Officer,
            vec![
                wire::InclusionProofRequest {
                    leaf_index: 0,
                    tree_size: 1,
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/GetConsistencyProof",
            Officer,
            vec![
                wire::ConsistencyProofRequest {
                    from_tree_size: 1,
                    to_tree_size: 2,
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/RequestInzage",
            Officer,
            vec![
                wire::InzageRequest {
                    client_request_id: "fuzz-inzage".into(),
                    subject: subject(7),
                    received_on: "2026-12-01".into(),
                    reference: "AVG-1".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/GetInzage",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/ListInzages",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/ListNotifications",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/AcknowledgeNotification",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/RecordReview",
            Officer,
            vec![
                wire::RecordReviewRequest {
                    client_request_id: "fuzz-review".into(),
                    notification_ids: vec!["N-1".into()],
                    verdict: "in-orde".into(),
                    note: "fuzz".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/ListCovenantVersions",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/GetCovenantVersion",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/ProposeCovenantVersion",
            Officer,
            vec![
                wire::ProposeCovenantVersionRequest {
                    client_request_id: "fuzz-propose".into(),
                    text: covenant.clone(),
                    description: "fuzz".into(),
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/ApproveCovenantVersion",
            Officer,
            vec![
                wire::ApproveCovenantVersionRequest {
                    client_request_id: "fuzz-approve".into(),
                    version: 2,
                    text_sha256: vec![0; 32],
                }
                .encode_to_vec(),
            ],
        ),
        streaming(
            "/treiter.hub.v1.PrivacyOfficer/PreviewCovenantChange",
            Officer,
            vec![
                wire::PreviewCovenantChangeRequest {
                    proposal: Some(wire::preview_covenant_change_request::Proposal::Text(
                        covenant,
                    )),
                    max_changes: 5,
                    ..Default::default()
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.PrivacyOfficer/GetEvaluationFigures",
            Officer,
            vec![vec![]],
        ),
        rpc(
            "/treiter.hub.v1.AgentLink/GetInclusionProof",
            Party,
            vec![
                wire::InclusionProofRequest {
                    leaf_index: 0,
                    tree_size: 1,
                }
                .encode_to_vec(),
            ],
        ),
        rpc(
            "/treiter.hub.v1.AgentLink/GetConsistencyProof",
            Party,
            vec![
                wire::ConsistencyProofRequest {
                    from_tree_size: 1,
                    to_tree_size: 2,
                }
                .encode_to_vec(),
            ],
        ),
    ]
}

/// Whether `channel` still answers: a panicking handler would have taken it down.
async fn still_answers(channel: &HubChannel) -> bool {
    let call = unary(channel, "/treiter.hub.v1.HubStatus/GetStatus", vec![], &[]);
    match tokio::time::timeout(CALL_LIMIT, call).await {
        Ok(Ok(_)) => true,
        Ok(Err(status)) => !broken(&status),
        Err(_) => false,
    }
}

/// A status that means the connection broke, not that the hub answered.
fn broken(status: &tonic::Status) -> bool {
    status.code() == Code::Unknown
        || (status.code() == Code::Unavailable && status.message().contains("connection"))
        || status.message().contains("transport error")
        || status.message().contains("h2 protocol error")
}

/// Draws `n` inputs from `seeds` with proptest's generator (no shrinking here: a
/// failing input is printed as bytes and kept as a regression test by hand).
fn draw(runner: &mut TestRunner, seeds: &[Vec<u8>], n: u32) -> Vec<Vec<u8>> {
    let strategy = fuzzed(seeds.to_vec());
    (0..n)
        .filter_map(|_| strategy.new_tree(runner).ok().map(|t| t.current()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_requests_to_every_rpc_get_a_status_and_harm_nothing() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let coordinator = person_channel(&pki, SDR_OOST, hub.addr).await;
    let officer = person_channel(&pki, PRIVACY_GEMEENTE, hub.addr).await;
    let party = party_channel(&pki, "om", hub.addr).await;
    let mut cases = wire::coordinator_client::CoordinatorClient::new(coordinator.clone());
    let case = cases
        .create_case(wire::CreateCaseRequest {
            client_request_id: "fuzz-seed-case".into(),
            stadsdeel: "oost".into(),
            melding_at: ts(),
            external_reference: "14020-0".into(),
        })
        .await
        .expect("a case to aim at")
        .into_inner()
        .case
        .expect("case")
        .id;

    let per_rpc = config(24).cases;
    let mut runner = TestRunner::new(config(per_rpc));
    let mut tried = 0u64;
    let mut stuck = Vec::new();
    let mut panics = Vec::new();
    for rpc in rpcs(&case) {
        let channel = match rpc.caller {
            Caller::Coordinator => &coordinator,
            Caller::Officer => &officer,
            Caller::Party => &party,
        };
        for input in draw(&mut runner, &rpc.seeds, per_rpc) {
            tried += 1;
            let call = async {
                if rpc.streaming {
                    server_streaming(channel, rpc.path, input.clone(), 20)
                        .await
                        .map(|_| ())
                } else {
                    unary(channel, rpc.path, input.clone(), &[])
                        .await
                        .map(|_| ())
                }
            };
            match tokio::time::timeout(CALL_LIMIT, call).await {
                Err(_) => stuck.push(format!("{} {:02x?}", rpc.path, input)),
                Ok(Err(status)) if broken(&status) => {
                    if !still_answers(channel).await {
                        panics.push(format!("{} {:02x?}: {status}", rpc.path, input));
                        break;
                    }
                }
                Ok(_) => {}
            }
        }
    }
    // The hub still works for everyone, and its log is whole.
    let whoami = cases.who_am_i(wire::WhoAmIRequest {}).await;
    let whole = hub.hub.log.verify().is_ok();
    tally(
        "rpc-requests",
        Kind::FuzzInputs,
        tried,
        (stuck.len() + usize::from(!whole)) as u64,
        panics.len() as u64,
    );
    assert!(
        panics.is_empty(),
        "a request broke its connection: {panics:?}"
    );
    assert!(stuck.is_empty(), "a request got no answer: {stuck:?}");
    assert!(whoami.is_ok(), "the hub stopped answering: {whoami:?}");
    assert!(whole, "the log no longer verifies");
    hub.stop().await;
}

/// A Hello and then damaged agent messages on the agent link: the hub answers or ends
/// the link with a status, stays up, and links the party again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_agent_messages_on_the_link_harm_nothing() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let hello = wire::AgentMessage {
        body: Some(agent_message::Body::Hello(wire::Hello {
            agent_version: "fuzz".into(),
            covenant_version: 1,
            instance_id: "fuzz-om".into(),
            ..Default::default()
        })),
    }
    .encode_to_vec();
    let seeds: Vec<Vec<u8>> = vec![
        wire::AgentMessage {
            body: Some(agent_message::Body::Heartbeat(wire::Heartbeat {
                sequence: 1,
                sent_at: ts(),
            })),
        }
        .encode_to_vec(),
        wire::AgentMessage {
            body: Some(agent_message::Body::Ack(wire::Ack {
                request_id: "q-1".into(),
            })),
        }
        .encode_to_vec(),
        wire::AgentMessage {
            body: Some(agent_message::Body::Answer(wire::Answer {
                request_id: "q-1".into(),
                kind: Some(wire::answer::Kind::Shares(wire::ShareAnswer {
                    records: vec![wire::Record {
                        category: "justitiele-gegevens".into(),
                        subject: subject(7),
                        fields: vec![wire::Field {
                            name: "afdoening".into(),
                            value: "synthetisch".into(),
                        }],
                        source_reference: "OM-1".into(),
                        ..Default::default()
                    }],
                    withheld: Vec::new(),
                    more_subjects_answered: false,
                })),
            })),
        }
        .encode_to_vec(),
        wire::AgentMessage {
            body: Some(agent_message::Body::Answer(wire::Answer {
                request_id: "q-2".into(),
                kind: Some(wire::answer::Kind::Bevraging(wire::BevragingAnswer {
                    hit: true,
                    more_hits: Vec::new(),
                })),
            })),
        }
        .encode_to_vec(),
        hello.clone(),
    ];
    let links = config(12).cases;
    let per_link = 8;
    let mut runner = TestRunner::new(config(links));
    let mut tried = 0u64;
    let mut panics = Vec::new();
    let mut stuck = 0u64;
    for _ in 0..links {
        let inputs = draw(&mut runner, &seeds, per_link);
        tried += inputs.len() as u64;
        let channel = party_channel(&pki, "om", hub.addr).await;
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(per_link as usize + 1);
        tx.send(hello.clone()).await.expect("queue hello");
        for input in &inputs {
            tx.send(input.clone()).await.expect("queue message");
        }
        drop(tx);
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        let opened = async {
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            grpc.streaming(
                tonic::Request::new(ReceiverStream::new(rx)),
                PathAndQuery::from_static("/treiter.hub.v1.AgentLink/Link"),
                RawCodec,
            )
            .await
        };
        let replies = match tokio::time::timeout(CALL_LIMIT, opened).await {
            Err(_) => {
                stuck += 1;
                continue;
            }
            Ok(Err(status)) => Err(status),
            Ok(Ok(replies)) => Ok(replies.into_inner()),
        };
        // Read what the hub answers for a moment (it may keep the link open: our
        // side is closed, but its heartbeats go on until it notices).
        let read = async {
            let mut replies = replies?;
            while let Some(reply) = replies.next().await {
                reply?;
            }
            Ok::<(), tonic::Status>(())
        };
        if let Ok(Err(status)) = tokio::time::timeout(LINK_WINDOW, read).await
            && broken(&status)
            && !still_answers(&channel).await
        {
            panics.push(format!("{inputs:02x?}: {status}"));
        }
        if !still_answers(&channel).await {
            panics.push(format!("{inputs:02x?}: the connection no longer answers"));
        }
    }
    let status = hub.hub.log.verify().is_ok();
    tally(
        "agent-link-messages",
        Kind::FuzzInputs,
        tried,
        stuck + u64::from(!status),
        panics.len() as u64,
    );
    assert!(
        panics.is_empty(),
        "a message broke the link's connection: {panics:?}"
    );
    assert_eq!(stuck, 0, "a link stayed stuck");
    assert!(status, "the log no longer verifies");
    // The party links as usual afterwards (Hello, Welcome).
    drop(crate::questions::RawAgent::link(&pki, "om", &hub).await);
    hub.stop().await;
}
