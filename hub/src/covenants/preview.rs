//! PreviewCovenantChange: what a proposal would do to past decisions.
//!
//! **What can be replayed.** A logged share decision (`log::entry::ShareDecision`)
//! keeps the requester (party, role, person), the source, the case id, the subject's
//! pseudonym, the category, the purpose, the offered field names and the moment. It
//! does NOT keep the case facts the engine decided on: the phase, escalation,
//! participants, the subjects' roles and consent, the emergency, and the recipient's
//! stadsdeel. The preview therefore takes those from the case and the person registry
//! as they are NOW, and decides every logged share twice on the same reconstructed
//! input: under the version in force ("before") and under the proposal ("after"). The
//! difference is the proposal's own effect; it is not a comparison with the decision as
//! it was logged. The summary says so in a warning diagnostic, and counts the decisions
//! that could not be replayed at all (case deleted under article 9, requester no longer
//! registered) in another.
//!
//! **What cannot be replayed at all.** Only shares that were decided and logged can be
//! replayed. A share the version in force refused before its partner was asked (the
//! hub asks only partners that could provide something, article 8.4) left no entry, so
//! a proposal that *widens* what is shared shows "0 outcome changed" however much it
//! widens. The summary therefore always states this blind spot (warning
//! `refused-shares-not-logged`) and lists the widening from the covenant diff
//! (`PreviewSummary.widening`: the new and wider permits), which does not depend on
//! the log.

use treiter_policies::Covenant;
use treiter_proto::v1 as wire;

use super::record;
use crate::casefile::decide::ShareContext;
use crate::error::HubError;
use crate::error::HubStream as BoxStream;
use crate::identity::Oin;
use crate::log::Event;
use crate::state::Hub;
use crate::state::Officer;
use treiter_proto::decision::share_decision as wire_decision;

fn warning(code: &str, message: String) -> wire::CovenantDiagnostic {
    wire::CovenantDiagnostic {
        severity: "warning".into(),
        code: code.into(),
        message,
        ..Default::default()
    }
}

fn stream(events: Vec<wire::PreviewEvent>) -> BoxStream<wire::PreviewEvent> {
    Box::pin(tokio_stream::iter(events.into_iter().map(Ok)))
}

fn summary_only(summary: wire::PreviewSummary) -> BoxStream<wire::PreviewEvent> {
    stream(vec![wire::PreviewEvent {
        change: None,
        summary: Some(summary),
    }])
}

fn hub_oin(oin: treiter_policies::Oin) -> Option<Oin> {
    Oin::parse(&format!("{:020}", oin.0)).ok()
}

fn unix_ms(ts: &prost_types::Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos / 1_000_000))
}

/// What differs between two decisions, in the words of `DecisionChange.changed`.
fn changed(before: &wire::ShareDecision, after: &wire::ShareDecision) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |differs: bool, word: &str| {
        if differs {
            out.push(word.to_owned());
        }
    };
    add(before.outcome != after.outcome, "outcome");
    add(before.passed != after.passed, "passed");
    add(before.stripped != after.stripped, "stripped");
    add(before.articles != after.articles, "articles");
    add(before.obligations != after.obligations, "obligations");
    add(before.emergency != after.emergency, "emergency");
    add(before.notify != after.notify, "notify");
    out
}

/// PreviewCovenantChange (module doc).
pub fn preview(
    hub: &Hub,
    officer: &Officer,
    request: wire::PreviewCovenantChangeRequest,
) -> Result<BoxStream<wire::PreviewEvent>, HubError> {
    use wire::preview_covenant_change_request::Proposal;
    let in_force = hub.covenant.current();
    let proposal = match request.proposal {
        None => return Err(HubError::invalid_argument("proposal: required")),
        Some(Proposal::Version(v)) => {
            let stored = record::get(hub.store.as_ref(), v)
                .map_err(HubError::Store)?
                .ok_or_else(|| super::flow::not_found(v))?;
            stored
                .covenant()
                .map_err(|_| HubError::internal(format!("stored version {v} does not parse")))?
        }
        Some(Proposal::Text(text)) => {
            super::flow::check_text_size(&text)?;
            match Covenant::parse("draft", &text) {
                Ok(c) => c,
                Err(d) => {
                    return Ok(summary_only(wire::PreviewSummary {
                        from_version: in_force.version(),
                        diagnostics: super::wire::diagnostics(&d, &text),
                        ..Default::default()
                    }));
                }
            }
        }
    };
    let (from, until) = match &request.period {
        Some(p) => (p.from.as_ref().map(unix_ms), p.until.as_ref().map(unix_ms)),
        None => (None, None),
    };
    if let (Some(f), Some(u)) = (from, until)
        && f > u
    {
        return Err(HubError::invalid_argument("period: from is after until"));
    }
    let entries = hub
        .log
        .entries(0, hub.log.tree_size())
        .map_err(|e| HubError::unavailable(format!("the decision log cannot be read: {e}")))?;
    let caller = treiter_policies::Oin::parse(officer.party.oin.as_str());
    let mut summary = wire::PreviewSummary {
        from_version: in_force.version(),
        to_version: proposal.version(),
        ..Default::default()
    };
    let mut events = Vec::new();
    let mut not_replayable = 0u64;
    let mut transitions: Vec<((String, String), u64)> = Vec::new();
    for stored in entries {
        let Event::ShareDecision(d) = &stored.entry.event else {
            continue;
        };
        let at_ms = stored.entry.time.unix_millis();
        if from.is_some_and(|f| at_ms < f) || until.is_some_and(|u| at_ms > u) {
            continue;
        }
        let reconstructed = (|| {
            let case = hub.cases.load(d.case.as_str()).ok()??;
            let recipient_oin = hub_oin(d.recipient)?;
            let requester = hub
                .persons
                .resolve(d.requester.person.as_str(), &recipient_oin)
                .ok()?;
            let requester_party = hub.parties.get(&recipient_oin).ok()?.clone();
            let source = hub.parties.get(&hub_oin(d.source)?).ok()?.clone();
            let at = stored.entry.time.to_datetime()?;
            Some((
                ShareContext {
                    covenant: in_force.clone(),
                    case,
                    requester,
                    requester_party,
                    role: d.requester.role,
                    purpose: d.purpose,
                    at,
                },
                source,
            ))
        })();
        let Some((ctx, source)) = reconstructed else {
            not_replayable += 1;
            continue;
        };
        let fields: Vec<String> = d
            .fields_offered
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect();
        // A damaged OIN in the case is never decided with a stand-in.
        let Ok(input) = ctx.request(&source, d.subject.as_str(), d.category, fields) else {
            not_replayable += 1;
            continue;
        };
        let before = wire_decision(&in_force.decide(&input));
        let after = wire_decision(&proposal.decide(&input));
        let what = changed(&before, &after);
        summary.replayed += 1;
        if what.is_empty() {
            summary.unchanged += 1;
        } else if what.iter().any(|w| w == "outcome") {
            summary.outcome_changed += 1;
            let key = (before.outcome.clone(), after.outcome.clone());
            match transitions.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => transitions.push((key, 1)),
            }
        } else if what.iter().any(|w| w == "passed" || w == "stripped") {
            summary.fields_changed += 1;
        } else {
            summary.other_changed += 1;
        }
        // Article 10.3: only the caller's party's own shares are streamed.
        let own = caller.is_some_and(|c| d.source == c || d.recipient == c);
        let wanted = !what.is_empty() || request.include_unchanged;
        let room = request.max_changes == 0 || summary.streamed < u64::from(request.max_changes);
        if own && wanted && room {
            summary.streamed += 1;
            events.push(wire::PreviewEvent {
                change: Some(wire::DecisionChange {
                    leaf_index: stored.index,
                    decided_at: Some(crate::clock::system_timestamp(at_ms_to_system(at_ms))),
                    case_id: d.case.as_str().to_owned(),
                    source: Some(source.to_proto()),
                    recipient: Some(wire::Person {
                        id: ctx.requester.id.clone(),
                        party: Some(ctx.requester_party.to_proto()),
                        roles: vec![ctx.role.as_str().to_owned()],
                        stadsdeel: String::new(),
                        name: hub.persons.name_of(&ctx.requester.id),
                    }),
                    subject: Some(wire::SubjectPseudonym {
                        hex: d.subject.as_str().to_owned(),
                    }),
                    category: d.category.as_str().to_owned(),
                    purpose: d.purpose.as_str().to_owned(),
                    before: Some(before),
                    after: Some(after),
                    changed: what,
                }),
                summary: None,
            });
        }
    }
    summary.transitions = transitions
        .into_iter()
        .map(|((from, to), count)| wire::OutcomeTransition {
            from_outcome: from,
            to_outcome: to,
            count,
        })
        .collect();
    summary.diagnostics.push(warning(
        "replayed-with-current-case-facts",
        format!(
            "the log does not keep the case facts a decision was taken on (phase, escalation, participants, subject roles, consent, emergency, the recipient's stadsdeel); each logged share is decided again with the facts as they are now, under version {} (before) and version {} (after), so the difference is the proposal's own effect, not a comparison with the logged decision",
            in_force.version(),
            proposal.version()
        ),
    ));
    summary.widening = widening(&in_force, &proposal);
    summary.diagnostics.push(warning(
        "refused-shares-not-logged",
        blind_spot(&summary.widening, proposal.version()),
    ));
    if not_replayable > 0 {
        summary.diagnostics.push(warning(
            "not-replayable",
            format!(
                "{not_replayable} logged decision(s) could not be replayed: their case was deleted (art. 9) or the requester is no longer in the hub's person registry"
            ),
        ));
    }
    events.push(wire::PreviewEvent {
        change: None,
        summary: Some(summary),
    });
    Ok(stream(events))
}

/// The kinds of share the proposal lets through where the version in force did not
/// (new permissions, then wider permits), in words, from the covenant diff.
fn widening(in_force: &Covenant, proposal: &Covenant) -> Vec<String> {
    use treiter_policies::diff::{EffectKind, changes};
    let summary = changes(in_force, proposal, &[]).summary();
    [EffectKind::NewPermission, EffectKind::WiderPermit]
        .into_iter()
        .flat_map(|k| summary.lines(k))
        .collect()
}

/// What the replay cannot see, in words, with what the diff says it widens.
fn blind_spot(widening: &[String], version: u32) -> String {
    let seen = "the replay sees only shares that were decided and logged: a share the version in force refused before its partner was asked was never logged, so the replay cannot show what a proposal newly lets through";
    match widening.len() {
        0 => format!("{seen}; the covenant diff finds nothing that version {version} widens"),
        n => format!(
            "{seen}; the covenant diff finds {n} kind(s) of share that version {version} widens, listed with the summary, whatever the replay counts"
        ),
    }
}

fn at_ms_to_system(ms: i64) -> std::time::SystemTime {
    let offset = std::time::Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        std::time::UNIX_EPOCH + offset
    } else {
        std::time::UNIX_EPOCH - offset
    }
}
