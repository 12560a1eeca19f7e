//! A case file's statuses: each partner's status from its subjects and entries, the
//! file's summary, and partners whose queued questions ran out of time.
//!
//! Pure functions of the file: the same rules hold while it is assembled, when a late
//! answer joins it, and when it is read.

use std::collections::BTreeSet;

use time::OffsetDateTime;
use treiter_proto::v1 as wire;

/// A party's status from its subjects and entries, by the precedence of
/// coordinator.proto's PartnerResult.status.
pub(super) fn settle(partner: &mut wire::PartnerResult) {
    let any = |status: &str| partner.subjects.iter().any(|s| s.status == status);
    let passed = partner
        .entries
        .iter()
        .any(|e| e.decision.as_ref().is_some_and(|d| d.outcome == "permit"));
    let status = if passed {
        "answered"
    } else if !partner.entries.is_empty() {
        "withheld"
    } else if any("no-answer") {
        "no-answer"
    } else if any("offline-queued") || any("hit") {
        "offline-queued"
    } else if any("no-records") || any("answered") {
        "no-records"
    } else if any("no-hit") {
        "no-hit"
    } else {
        "not-asked"
    };
    partner.status = status.into();
    let mut articles: BTreeSet<String> = partner.articles.iter().cloned().collect();
    if status == "withheld" {
        for e in &partner.entries {
            if let Some(d) = &e.decision {
                articles.extend(d.articles.iter().cloned());
            }
        }
    }
    if status == "withheld" || status == "not-asked" {
        partner.articles = articles.into_iter().collect();
    } else {
        partner.articles.clear();
    }
    if status != "no-answer" {
        partner.no_answer_reason.clear();
        partner.no_answer_detail.clear();
    }
}

/// Fills in the file's summary and whether it is complete; `started` is when its
/// assembly began.
pub(super) fn summarise(file: &mut wire::CaseFile, started: std::time::Instant) {
    let count = |s: &str| file.partners.iter().filter(|p| p.status == s).count() as u32;
    let entries = file.partners.iter().flat_map(|p| p.entries.iter());
    let permitted: Vec<_> = entries
        .clone()
        .filter_map(|e| e.decision.as_ref())
        .filter(|d| d.outcome == "permit")
        .collect();
    file.complete = !file
        .partners
        .iter()
        .flat_map(|p| p.subjects.iter())
        .any(|s| s.status == "offline-queued" || s.status == "hit");
    file.summary = Some(wire::CaseFileSummary {
        case_file_id: file.id.clone(),
        answered: count("answered"),
        withheld: count("withheld"),
        no_answer: count("no-answer"),
        offline_queued: count("offline-queued"),
        no_hit: count("no-hit"),
        not_asked: count("not-asked"),
        no_records: count("no-records"),
        entries_passed: permitted.len() as u32,
        entries_withheld: entries.count() as u32 - permitted.len() as u32,
        fields_stripped: permitted.iter().map(|d| d.stripped.len() as u32).sum(),
        emergency_entries: permitted.iter().filter(|d| d.emergency).count() as u32,
        complete: file.complete,
        duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
    });
}

/// A file as of `now`: questions whose queue time ran out will never be answered, so
/// their partners show "no-answer" with reason "queue-expired" instead of waiting.
pub(super) fn with_expired_queues(mut file: wire::CaseFile, now: OffsetDateTime) -> wire::CaseFile {
    let now = prost_types::Timestamp {
        seconds: now.unix_timestamp(),
        nanos: 0,
    };
    let mut changed = false;
    for partner in &mut file.partners {
        let expired = partner
            .queued_until
            .as_ref()
            .is_some_and(|until| until.seconds < now.seconds);
        if !expired {
            continue;
        }
        for subject in &mut partner.subjects {
            if subject.status == "offline-queued" || subject.status == "hit" {
                subject.status = "no-answer".into();
                subject.no_answer_reason = "queue-expired".into();
                partner.no_answer_reason = "queue-expired".into();
                changed = true;
            }
        }
        settle(partner);
    }
    if changed {
        let duration = file.summary.as_ref().map(|s| s.duration_ms).unwrap_or(0);
        summarise(&mut file, std::time::Instant::now());
        if let Some(summary) = &mut file.summary {
            summary.duration_ms = duration;
        }
    }
    file
}
