//! `--json`: the wire messages as JSON, field for field, with the proto's field names.
//!
//! prost's types do not implement `Serialize`, so each message has a small converter
//! here. Timestamps become RFC 3339 text in UTC, absent messages `null`; vocabulary and
//! machine words stay exactly as the hub sent them.

use serde_json::{Value, json};
use treiter_proto::v1 as wire;

use crate::when;

fn ts(t: Option<&prost_types::Timestamp>) -> Value {
    t.and_then(when::rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn opt<T>(v: Option<&T>, f: impl Fn(&T) -> Value) -> Value {
    v.map(f).unwrap_or(Value::Null)
}

fn list<T>(items: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(f).collect())
}

fn pseudonym(p: Option<&wire::SubjectPseudonym>) -> Value {
    opt(p, |p| Value::String(p.hex.clone()))
}

/// A party.
pub fn party(p: &wire::Party) -> Value {
    json!({ "oin": p.oin, "name": p.name, "kind": p.kind })
}

/// A person.
pub fn person(p: &wire::Person) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "party": opt(p.party.as_ref(), party),
        "roles": p.roles,
        "stadsdeel": p.stadsdeel,
    })
}

fn contact(c: &wire::ContactDeadline) -> Value {
    json!({
        "due_at": ts(c.due_at.as_ref()),
        "status": c.status,
        "contacted_at": ts(c.contacted_at.as_ref()),
        "recorded_at": ts(c.recorded_at.as_ref()),
        "recorded_by": opt(c.recorded_by.as_ref(), person),
    })
}

fn consent_record(r: &wire::ConsentRecord) -> Value {
    json!({
        "category": r.category,
        "action": r.action,
        "date": r.date,
        "recorded_at": ts(r.recorded_at.as_ref()),
        "recorded_by": opt(r.recorded_by.as_ref(), person),
    })
}

/// A subject of a case.
pub fn subject(s: &wire::Subject) -> Value {
    json!({
        "subject": pseudonym(s.subject.as_ref()),
        "role": s.role,
        "label": s.label,
        "added_at": ts(s.added_at.as_ref()),
        "added_by": opt(s.added_by.as_ref(), person),
        "consent": s.consent,
        "consent_history": list(&s.consent_history, consent_record),
    })
}

fn emergency(e: &wire::CaseEmergency) -> Value {
    json!({
        "declared_by": opt(e.declared_by.as_ref(), person),
        "declared_at": ts(e.declared_at.as_ref()),
        "expires_at": ts(e.expires_at.as_ref()),
        "active": e.active,
        "reason": e.reason,
    })
}

/// One event of a case's history.
pub fn event(e: &wire::CaseEvent) -> Value {
    json!({
        "sequence": e.sequence,
        "at": ts(e.at.as_ref()),
        "actor": opt(e.actor.as_ref(), person),
        "kind": e.kind,
        "summary": e.summary,
        "from_phase": e.from_phase,
        "to_phase": e.to_phase,
        "subject": pseudonym(e.subject.as_ref()),
        "category": e.category,
        "party": opt(e.party.as_ref(), party),
        "reason": e.reason,
        "log_leaf_index": e.log_leaf_index,
    })
}

/// A case.
pub fn case(c: &wire::Case) -> Value {
    json!({
        "id": c.id,
        "stadsdeel": c.stadsdeel,
        "phase": c.phase,
        "phase_since": ts(c.phase_since.as_ref()),
        "allowed_next_phases": c.allowed_next_phases,
        "melding_at": ts(c.melding_at.as_ref()),
        "registered_at": ts(c.registered_at.as_ref()),
        "registered_by": opt(c.registered_by.as_ref(), person),
        "external_reference": c.external_reference,
        "contact": opt(c.contact.as_ref(), contact),
        "escalation": opt(c.escalation.as_ref(), |e| json!({
            "escalated_at": ts(e.escalated_at.as_ref()),
            "escalated_by": opt(e.escalated_by.as_ref(), person),
            "reason": e.reason,
        })),
        "subjects": list(&c.subjects, subject),
        "participants": list(&c.participants, |p| json!({
            "party": opt(p.party.as_ref(), party),
            "added_at": ts(p.added_at.as_ref()),
            "added_by": opt(p.added_by.as_ref(), person),
        })),
        "emergency": opt(c.emergency.as_ref(), emergency),
        "past_emergencies": list(&c.past_emergencies, emergency),
        "retention_until": ts(c.retention_until.as_ref()),
        "history": list(&c.history, event),
        "caller_access": c.caller_access,
        "caller_role": c.caller_role,
        "as_of": ts(c.as_of.as_ref()),
    })
}

/// The result of a change: the case after it and the event recorded.
pub fn case_update(u: &wire::CaseUpdate) -> Value {
    json!({
        "case": opt(u.case.as_ref(), case),
        "event": opt(u.event.as_ref(), event),
    })
}

/// A line of `case list`.
pub fn case_summary(s: &wire::CaseSummary) -> Value {
    json!({
        "id": s.id,
        "stadsdeel": s.stadsdeel,
        "phase": s.phase,
        "registered_at": ts(s.registered_at.as_ref()),
        "contact": opt(s.contact.as_ref(), contact),
        "escalated": s.escalated,
        "emergency_expires_at": ts(s.emergency_expires_at.as_ref()),
        "daders": s.daders,
        "slachtoffers": s.slachtoffers,
        "melders": s.melders,
        "participants": s.participants,
        "caller_access": s.caller_access,
    })
}

/// Every case of `case list` (all pages).
pub fn case_list(cases: &[wire::CaseSummary]) -> Value {
    json!({ "cases": list(cases, case_summary) })
}

/// A bevraging's answers.
pub fn bevraging(b: &wire::BevragingResult) -> Value {
    json!({
        "case_id": b.case_id,
        "subject": pseudonym(b.subject.as_ref()),
        "purpose": b.purpose,
        "partners": list(&b.partners, |p| json!({
            "party": opt(p.party.as_ref(), party),
            "result": p.result,
            "articles": p.articles,
            "no_answer_reason": p.no_answer_reason,
            "answered_at": ts(p.answered_at.as_ref()),
        })),
        "asked_at": ts(b.asked_at.as_ref()),
        "log_leaf_index": b.log_leaf_index,
    })
}

/// A share decision.
pub fn decision(d: &wire::ShareDecision) -> Value {
    json!({
        "outcome": d.outcome,
        "passed": d.passed,
        "stripped": d.stripped,
        "articles": d.articles,
        "obligations": list(&d.obligations, |o| json!({
            "kind": o.kind, "article": o.article, "purpose": o.purpose,
        })),
        "emergency": d.emergency,
        "notify": list(&d.notify, |n| json!({
            "kind": n.kind, "oin": n.oin, "article": n.article,
        })),
        "covenant_version": d.covenant_version,
    })
}

/// One record of a case file.
pub fn entry(e: &wire::CaseFileEntry) -> Value {
    json!({
        "source": opt(e.source.as_ref(), party),
        "category": e.category,
        "subject": pseudonym(e.subject.as_ref()),
        "subject_role": e.subject_role,
        "subject_label": e.subject_label,
        "decision": opt(e.decision.as_ref(), decision),
        "fields": list(&e.fields, |f| json!({ "name": f.name, "value": f.value })),
        "decided_by": e.decided_by,
        "provenance": opt(e.provenance.as_ref(), |p| json!({
            "source_reference": p.source_reference,
            "recorded_at": ts(p.recorded_at.as_ref()),
            "decided_at": ts(p.decided_at.as_ref()),
            "log_leaf_index": p.log_leaf_index,
        })),
        "late": e.late,
    })
}

fn subject_result(s: &wire::PartnerSubjectResult) -> Value {
    json!({
        "subject": pseudonym(s.subject.as_ref()),
        "status": s.status,
        "articles": s.articles,
        "no_answer_reason": s.no_answer_reason,
    })
}

/// One partner's part of a case file.
pub fn partner(p: &wire::PartnerResult) -> Value {
    json!({
        "party": opt(p.party.as_ref(), party),
        "status": p.status,
        "articles": p.articles,
        "subjects": list(&p.subjects, subject_result),
        "entries": list(&p.entries, entry),
        "no_answer_reason": p.no_answer_reason,
        "no_answer_detail": p.no_answer_detail,
        "queued_until": ts(p.queued_until.as_ref()),
        "settled_at": ts(p.settled_at.as_ref()),
        "latency_ms": p.latency_ms,
        "late": p.late,
    })
}

/// The counts over a case file.
pub fn summary(s: &wire::CaseFileSummary) -> Value {
    json!({
        "case_file_id": s.case_file_id,
        "answered": s.answered,
        "withheld": s.withheld,
        "no_answer": s.no_answer,
        "offline_queued": s.offline_queued,
        "no_hit": s.no_hit,
        "not_asked": s.not_asked,
        "no_records": s.no_records,
        "entries_passed": s.entries_passed,
        "entries_withheld": s.entries_withheld,
        "fields_stripped": s.fields_stripped,
        "emergency_entries": s.emergency_entries,
        "complete": s.complete,
        "duration_ms": s.duration_ms,
    })
}

/// A case file.
pub fn case_file(f: &wire::CaseFile) -> Value {
    json!({
        "id": f.id,
        "case_id": f.case_id,
        "purpose": f.purpose,
        "requester": opt(f.requester.as_ref(), person),
        "phase": f.phase,
        "under_emergency": f.under_emergency,
        "subjects": list(&f.subjects, subject),
        "categories": f.categories,
        "requested_at": ts(f.requested_at.as_ref()),
        "deadline_ms": f.deadline_ms,
        "settled_at": ts(f.settled_at.as_ref()),
        "complete": f.complete,
        "partners": list(&f.partners, partner),
        "summary": opt(f.summary.as_ref(), summary),
        "covenant_version": f.covenant_version,
    })
}

/// The caller's case files of a case.
pub fn case_files(files: &[wire::CaseFile]) -> Value {
    json!({ "case_files": list(files, case_file) })
}

/// One event of a watched case file (one JSON object per line in `--watch --json`).
pub fn case_file_event(e: &wire::CaseFileEvent) -> Value {
    use wire::case_file_event::Event;
    match &e.event {
        Some(Event::Started(s)) => json!({ "started": {
            "case_file_id": s.case_file_id,
            "case_id": s.case_id,
            "purpose": s.purpose,
            "requester": opt(s.requester.as_ref(), person),
            "subjects": list(&s.subjects, subject),
            "categories": s.categories,
            "asked": list(&s.asked, party),
            "not_asked": list(&s.not_asked, partner),
            "deadline": ts(s.deadline.as_ref()),
        }}),
        Some(Event::Bevraging(b)) => json!({ "bevraging": {
            "party": opt(b.party.as_ref(), party),
            "subjects": list(&b.subjects, subject_result),
        }}),
        Some(Event::Partner(p)) => json!({ "partner": partner(p) }),
        Some(Event::Summary(s)) => json!({ "summary": summary(s) }),
        None => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_file_entry_keeps_every_field() {
        let e = wire::CaseFileEntry {
            source: Some(wire::Party {
                oin: "00000002000000000002".into(),
                name: "Politie Eenheid Amsterdam".into(),
                kind: "politie".into(),
            }),
            category: "politie-incidenten".into(),
            subject: Some(wire::SubjectPseudonym {
                hex: "ab".repeat(32),
            }),
            decision: Some(wire::ShareDecision {
                outcome: "permit".into(),
                passed: vec!["datum".into()],
                stripped: vec!["samenvatting".into()],
                articles: vec!["6.3".into(), "6.3a".into()],
                covenant_version: 1,
                ..Default::default()
            }),
            fields: vec![wire::Field {
                name: "datum".into(),
                value: "2026-10-30".into(),
            }],
            provenance: Some(wire::Provenance {
                source_reference: "BVH-1".into(),
                recorded_at: Some(prost_types::Timestamp {
                    seconds: 0,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = entry(&e);
        assert_eq!(v["source"]["name"], "Politie Eenheid Amsterdam");
        assert_eq!(v["subject"], "ab".repeat(32));
        assert_eq!(v["decision"]["stripped"][0], "samenvatting");
        assert_eq!(v["fields"][0]["value"], "2026-10-30");
        assert_eq!(v["provenance"]["recorded_at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["provenance"]["decided_at"], Value::Null);
    }
}
