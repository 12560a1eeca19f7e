//! What a privacy officer reads: log entries as a table, JSON lines or CSV; inzage
//! requests; notifications. Parties and persons appear by name; subjects by role and
//! pseudonym (a privacy officer sees no labels, art. 5.2); fields by name only (the
//! hub sends no values to a privacy officer, article 5.2).

use std::fmt::Write as _;

use serde_json::{Value, json};
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::json::{party, person};
use crate::report::{esc, party_name, person_words, short};
use crate::when::{self, from_timestamp, show_ts};

fn ts(t: Option<&prost_types::Timestamp>) -> Value {
    t.and_then(when::rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn opt<T>(v: Option<&T>, f: impl Fn(&T) -> Value) -> Value {
    v.map(f).unwrap_or(Value::Null)
}

fn decision_json(d: &wire::ShareDecision) -> Value {
    json!({
        "outcome": d.outcome,
        "passed": d.passed,
        "stripped": d.stripped,
        "articles": d.articles,
        "emergency": d.emergency,
        "notify": d.notify.iter().map(|n| json!({
            "kind": n.kind, "oin": n.oin, "article": n.article,
        })).collect::<Vec<_>>(),
        "covenant_version": d.covenant_version,
    })
}

/// One log entry as JSON, with the proto's field names.
pub fn entry_json(e: &wire::LogEntry) -> Value {
    json!({
        "leaf_index": e.leaf_index,
        "leaf_hash": hex(&e.leaf_hash),
        "logged_at": ts(e.logged_at.as_ref()),
        "kind": e.kind,
        "covenant_version": e.covenant_version,
        "case_id": e.case_id,
        "share_decision": opt(e.share_decision.as_ref(), |d| json!({
            "decided_at": ts(d.decided_at.as_ref()),
            "requester": opt(d.requester.as_ref(), person),
            "source": opt(d.source.as_ref(), party),
            "recipient": opt(d.recipient.as_ref(), person),
            "subject": d.subject.as_ref().map(|s| s.hex.clone()),
            "subject_role": d.subject_role,
            "category": d.category,
            "purpose": d.purpose,
            "fields_offered": d.fields_offered,
            "decision": opt(d.decision.as_ref(), decision_json),
            "decided_by": d.decided_by,
        })),
        "case_change": opt(e.case_change.as_ref(), |c| json!({
            "actor": opt(c.actor.as_ref(), person),
            "change": c.change,
            "from_phase": c.from_phase,
            "to_phase": c.to_phase,
            "subject": c.subject.as_ref().map(|s| s.hex.clone()),
            "subject_role": c.subject_role,
            "category": c.category,
            "party": opt(c.party.as_ref(), party),
        })),
        "retention_deletion": opt(e.retention_deletion.as_ref(), |r| json!({
            "article": r.article,
            "final_phase": r.final_phase,
            "phase_entered_at": ts(r.phase_entered_at.as_ref()),
        })),
        "covenant_approval": opt(e.covenant_approval.as_ref(), |a| json!({
            "version": a.version,
            "text_sha256": hex(&a.text_sha256),
            "action": a.action,
            "actor": opt(a.actor.as_ref(), person),
        })),
        // The canonical entry is JSON text; shown as logged, when asked for.
        "entry": if e.entry.is_empty() {
            Value::Null
        } else {
            Value::String(String::from_utf8_lossy(&e.entry).into_owned())
        },
    })
}

/// Every entry as one JSON array (`--json`).
pub fn entries_json(entries: &[wire::LogEntry]) -> Value {
    Value::Array(entries.iter().map(entry_json).collect())
}

/// What an entry says, in one line.
fn what(e: &wire::LogEntry) -> String {
    if let Some(d) = &e.share_decision {
        let recipient = d.recipient.as_ref();
        let role = recipient
            .and_then(|r| r.roles.first())
            .map(String::as_str)
            .unwrap_or("");
        let decision = d.decision.clone().unwrap_or_default();
        let mut s = format!(
            "{} → {} ({role}), {} for {}, about {}: {}",
            party_name(d.source.as_ref()),
            party_name(recipient.and_then(|r| r.party.as_ref())),
            d.category,
            d.purpose,
            // A privacy officer sees no labels (art. 5.2): the role and the pseudonym.
            crate::report::subject_words(
                d.subject.as_ref().map(|s| s.hex.as_str()).unwrap_or(""),
                &d.subject_role,
                ""
            ),
            decision.outcome
        );
        if decision.emergency {
            s.push_str(" (emergency share)");
        }
        // Field names are free names a partner's agent offered (article 8.1).
        let names = |list: &[String]| {
            list.iter()
                .map(|n| esc(n).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !decision.passed.is_empty() {
            let _ = write!(s, "; passed {}", names(&decision.passed));
        }
        if !decision.stripped.is_empty() {
            let _ = write!(s, "; stripped {}", names(&decision.stripped));
        }
        if decision.outcome != "permit" && !d.fields_offered.is_empty() {
            let _ = write!(s, "; offered {}", names(&d.fields_offered));
        }
        if !decision.articles.is_empty() {
            let _ = write!(s, "; art. {}", decision.articles.join(", "));
        }
        s
    } else if let Some(c) = &e.case_change {
        let mut s = format!("{} by {}", c.change, person_words(c.actor.as_ref()));
        if !c.to_phase.is_empty() {
            let _ = write!(s, "; to {}", c.to_phase);
        }
        if let Some(p) = &c.party {
            let _ = write!(s, "; party {}", party_name(Some(p)));
        }
        s
    } else if let Some(r) = &e.retention_deletion {
        format!(
            "case data deleted under art. {} ({})",
            r.article, r.final_phase
        )
    } else if let Some(a) = &e.covenant_approval {
        format!(
            "covenant version {} {} by {}",
            a.version,
            a.action,
            person_words(a.actor.as_ref())
        )
    } else {
        String::new()
    }
}

/// The entries as a readable table.
pub fn entries_table(entries: &[wire::LogEntry]) -> String {
    if entries.is_empty() {
        return "no log entries of your party match\n".to_owned();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>6}  {:<24}  {:<15}  {:<12}  WHAT",
        "LEAF", "LOGGED", "KIND", "CASE"
    );
    for e in entries {
        let _ = writeln!(
            out,
            "{:>6}  {:<24}  {:<15}  {:<12}  {}",
            e.leaf_index,
            show_ts(e.logged_at.as_ref()),
            e.kind,
            if e.case_id.is_empty() {
                "-"
            } else {
                &e.case_id
            },
            what(e)
        );
    }
    let _ = writeln!(out, "{} entries", entries.len());
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The entries as CSV, one line per entry after a header; lists joined with `;`.
pub fn entries_csv(entries: &[wire::LogEntry]) -> String {
    let mut out = String::from(
        "leaf_index,logged_at,kind,case_id,covenant_version,source_oin,source_name,recipient_oin,recipient_name,recipient_role,recipient_person,subject,category,purpose,outcome,fields_offered,fields_passed,fields_stripped,articles,emergency,change,leaf_hash\n",
    );
    for e in entries {
        let d = e.share_decision.clone().unwrap_or_default();
        let decision = d.decision.clone().unwrap_or_default();
        let source = d.source.clone().unwrap_or_default();
        let recipient = d.recipient.clone().unwrap_or_default();
        let recipient_party = recipient.party.clone().unwrap_or_default();
        let change = e
            .case_change
            .as_ref()
            .map(|c| c.change.clone())
            .or_else(|| e.covenant_approval.as_ref().map(|a| a.action.clone()))
            .or_else(|| e.retention_deletion.as_ref().map(|r| r.article.clone()))
            .unwrap_or_default();
        let row = [
            e.leaf_index.to_string(),
            e.logged_at
                .as_ref()
                .and_then(when::rfc3339)
                .unwrap_or_default(),
            e.kind.clone(),
            e.case_id.clone(),
            e.covenant_version.to_string(),
            source.oin,
            source.name,
            recipient_party.oin,
            recipient_party.name,
            recipient.roles.join(";"),
            recipient.id,
            d.subject.map(|s| s.hex).unwrap_or_default(),
            d.category,
            d.purpose,
            decision.outcome,
            d.fields_offered.join(";"),
            decision.passed.join(";"),
            decision.stripped.join(";"),
            decision.articles.join(";"),
            if e.share_decision.is_some() {
                decision.emergency.to_string()
            } else {
                String::new()
            },
            change,
            hex(&e.leaf_hash),
        ];
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// An inzage report as JSON: its own facts plus the hub's JSON document.
pub fn inzage_json(r: &wire::InzageReport) -> Value {
    json!({
        "id": r.id,
        "subject": r.subject.as_ref().map(|s| s.hex.clone()),
        "received_on": r.received_on,
        "due_on": r.due_on,
        "reference": r.reference,
        "produced_at": ts(r.produced_at.as_ref()),
        "produced_by": opt(r.produced_by.as_ref(), person),
        "tree_size": r.tree_size,
        "items": r.items.len(),
        "document": serde_json::from_str::<Value>(&r.json).unwrap_or(Value::Null),
    })
}

/// `inzage list`.
pub fn inzage_list(reports: &[wire::InzageReport], now: OffsetDateTime) -> String {
    if reports.is_empty() {
        return "no inzage requests of your party\n".to_owned();
    }
    let today = treiter_proto::calendar::today(now);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12}  {:<10}  {:<10}  {:<14}  {:<20}  PRODUCED BY",
        "ID", "RECEIVED", "DUE", "SUBJECT", "REFERENCE"
    );
    for r in reports {
        let overdue = treiter_proto::calendar::parse_date(&r.due_on).is_some_and(|due| due < today);
        let _ = writeln!(
            out,
            "{:<12}  {:<10}  {:<10}  {:<14}  {:<20}  {}{}",
            r.id,
            r.received_on,
            r.due_on,
            short(r.subject.as_ref().map(|s| s.hex.as_str()).unwrap_or("")),
            esc(&r.reference),
            person_words(r.produced_by.as_ref()),
            if overdue { "  (due date passed)" } else { "" }
        );
    }
    out
}

fn notification_json(n: &wire::PrivacyNotification) -> Value {
    json!({
        "id": n.id,
        "kind": n.kind,
        "article": n.notification.as_ref().map(|x| x.article.clone()),
        "covenant_version": (n.covenant_version > 0).then_some(n.covenant_version),
        "raised_at": ts(n.raised_at.as_ref()),
        "status": n.status,
        "overdue": n.overdue,
        "review_due_at": ts(n.review_due_at.as_ref()),
        "acknowledged_at": ts(n.acknowledged_at.as_ref()),
        "acknowledged_by": opt(n.acknowledged_by.as_ref(), person),
        "entry": opt(n.entry.as_ref(), entry_json),
        "emergency": opt(n.emergency.as_ref(), |e| json!({
            "declared_by": opt(e.declared_by.as_ref(), person),
            "declared_at": ts(e.declared_at.as_ref()),
            "expires_at": ts(e.expires_at.as_ref()),
            "active": e.active,
            "reason": e.reason,
        })),
        "review": opt(n.review.as_ref(), |r| json!({
            "verdict": r.verdict,
            "note": r.note,
            "reviewed_at": ts(r.reviewed_at.as_ref()),
            "reviewed_by": opt(r.reviewed_by.as_ref(), person),
            "late": r.late,
        })),
    })
}

/// Notifications as JSON, with the counts.
pub fn notifications_json(ns: &[wire::PrivacyNotification], open: u32, overdue: u32) -> Value {
    json!({
        "notifications": ns.iter().map(notification_json).collect::<Vec<_>>(),
        "open": open,
        "overdue": overdue,
    })
}

/// Notifications, one block each.
pub fn notifications(
    ns: &[wire::PrivacyNotification],
    open: u32,
    overdue: u32,
    now: OffsetDateTime,
) -> String {
    let mut out = String::new();
    if ns.is_empty() {
        out.push_str("no notifications match\n");
    }
    for n in ns {
        let article = n
            .notification
            .as_ref()
            .map(|x| x.article.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "{}  {} (art. {article}), raised {}  [{}]",
            n.id,
            n.kind,
            show_ts(n.raised_at.as_ref()),
            n.status
        );
        if n.covenant_version > 0 {
            let v = n.covenant_version;
            let _ = writeln!(
                out,
                "    covenant version {v} awaits your party's approval{}: read it with `hubctl covenant diff {v}`, approve it with `hubctl covenant approve {v}`",
                n.entry
                    .as_ref()
                    .map(|e| format!(" (log entry {})", e.leaf_index))
                    .unwrap_or_default()
            );
        } else if let Some(e) = &n.entry {
            let _ = writeln!(
                out,
                "    case {}, log entry {}: {}",
                e.case_id,
                e.leaf_index,
                what(e)
            );
        }
        if let Some(em) = &n.emergency {
            let _ = writeln!(
                out,
                "    emergency declared by {} at {}; reason: {}",
                person_words(em.declared_by.as_ref()),
                show_ts(em.declared_at.as_ref()),
                esc(&em.reason)
            );
        }
        if let Some(due) = n.review_due_at.as_ref().and_then(from_timestamp)
            && n.review.is_none()
        {
            let _ = writeln!(
                out,
                "    review due {} ({}){}",
                when::show(due),
                when::relative(due, now),
                if n.overdue { " — OVERDUE" } else { "" }
            );
        }
        if let Some(r) = &n.review {
            let _ = writeln!(
                out,
                "    reviewed {} by {}: {}{}",
                show_ts(r.reviewed_at.as_ref()),
                person_words(r.reviewed_by.as_ref()),
                r.verdict,
                if r.late { " (late)" } else { "" }
            );
        } else if n.acknowledged_at.is_some() {
            let _ = writeln!(
                out,
                "    seen {} by {}",
                show_ts(n.acknowledged_at.as_ref()),
                person_words(n.acknowledged_by.as_ref())
            );
        }
    }
    if open > 0 || overdue > 0 {
        let _ = writeln!(out, "{open} open, {overdue} emergency review(s) overdue");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(source: &str, outcome: &str) -> wire::LogEntry {
        let party = |name: &str| wire::Party {
            oin: "00000002000000000002".into(),
            name: name.into(),
            kind: String::new(),
        };
        wire::LogEntry {
            leaf_index: 7,
            leaf_hash: vec![0xab; 32],
            kind: "share-decision".into(),
            case_id: "C-2026-0001".into(),
            share_decision: Some(wire::ShareDecisionLog {
                source: Some(party(source)),
                recipient: Some(wire::Person {
                    name: String::new(),
                    id: "p-gemeente-004".into(),
                    party: Some(party("Gemeente Amsterdam")),
                    roles: vec!["stadsdeelregisseur".into()],
                    stadsdeel: "oost".into(),
                }),
                category: "zorgbetrokkenheid".into(),
                purpose: "aanpak".into(),
                fields_offered: vec!["diagnose".into(), "zorg_betrokken".into()],
                decision: Some(wire::ShareDecision {
                    outcome: outcome.into(),
                    articles: vec!["7.1".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_keeps_one_line_per_entry() {
        let text = entries_csv(&[share("Openbaar Ministerie, Amsterdam", "reject")]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].contains("\"Openbaar Ministerie, Amsterdam\""),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("diagnose;zorg_betrokken"));
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn the_table_names_parties_and_offered_fields_of_a_refused_share() {
        let text = entries_table(&[share("GGD Amsterdam", "reject")]);
        assert!(
            text.contains("GGD Amsterdam → Gemeente Amsterdam (stadsdeelregisseur)"),
            "{text}"
        );
        assert!(text.contains("offered diagnose, zorg_betrokken"), "{text}");
        assert!(text.contains("art. 7.1"), "{text}");
        assert_eq!(entries_table(&[]), "no log entries of your party match\n");
    }
}
