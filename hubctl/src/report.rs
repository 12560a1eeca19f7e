//! What a person reads: cases, case lists, bevragingen and case files as plain text.
//!
//! Every function returns the text (so tests can read it too). Parties appear by the
//! name the covenant lists; subjects by the start of their pseudonym, their role and the
//! coordinator's label. Nothing here prints identifying data: hubctl never has it after
//! `subject add` has pseudonymised it, and the hub never sends it back.

use std::fmt::Write as _;

use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::when::{self, from_timestamp, show_ts};

/// A value from outside (a label, a reason, a name, a record's value) as it may stand
/// in a row: every control or invisible character escaped, a line break too, so that
/// it can neither act on the terminal nor start a row of its own.
pub(crate) use treiter_proto::text::escape_control as esc;

/// The first characters of a pseudonym, enough to tell the subjects of a case apart.
pub fn short(hex: &str) -> String {
    match hex.get(..12) {
        Some(start) if hex.len() > 12 => format!("{start}…"),
        _ => hex.to_owned(),
    }
}

fn hex_of(p: Option<&wire::SubjectPseudonym>) -> &str {
    p.map(|p| p.hex.as_str()).unwrap_or("")
}

/// A subject as the case team knows it: `"buurman 3-hoog" (dader)` by the
/// coordinator's label; without a label (or for a caller who may not see labels), the
/// role and the start of its pseudonym: `dader 3f2a9c1b0d4e…`.
pub fn subject_words(hex: &str, role: &str, label: &str) -> String {
    match (label.trim().is_empty(), role.is_empty()) {
        (false, false) => format!("\"{}\" ({role})", esc(label.trim())),
        (false, true) => format!("\"{}\"", esc(label.trim())),
        (true, false) => format!("{role} {}", short(hex)),
        (true, true) => format!("subject {}", short(hex)),
    }
}

/// What to type after `--subject` for this subject: its label, else the start of its
/// pseudonym (enough for hubctl to find it in the case).
fn subject_arg(hex: &str, label: &str) -> String {
    let label = label.trim();
    if label.is_empty() {
        hex.get(..12).unwrap_or(hex).to_owned()
    } else if label.contains(char::is_whitespace) {
        format!("\"{label}\"")
    } else {
        label.to_owned()
    }
}

/// The subject with pseudonym `hex` among `subjects` (a case's or a case file's), in
/// [`subject_words`]; a subject no longer among them by the start of its pseudonym.
pub fn subject_named(hex: &str, subjects: &[wire::Subject]) -> String {
    match subjects.iter().find(|s| hex_of(s.subject.as_ref()) == hex) {
        Some(s) => subject_words(hex, &s.role, &s.label),
        None => format!("subject {}", short(hex)),
    }
}

/// A party by name (its OIN only when the hub sent no name).
pub fn party_name(p: Option<&wire::Party>) -> String {
    match p {
        Some(p) if !p.name.is_empty() => esc(&p.name).into_owned(),
        Some(p) => format!("party {}", esc(&p.oin)),
        None => "(unknown party)".to_owned(),
    }
}

/// A person as people know them: the name the hub's person registry gives, else
/// "person p-gemeente-001" (a registry without names).
pub fn person_name(p: &wire::Person) -> String {
    if p.name.trim().is_empty() {
        format!("person {}", esc(&p.id))
    } else {
        esc(p.name.trim()).into_owned()
    }
}

/// [`person_name`] of a person the hub may leave out; `absent` when it did.
pub fn person_name_or(p: Option<&wire::Person>, absent: &str) -> String {
    p.map(person_name).unwrap_or_else(|| absent.to_owned())
}

/// `Anna Testpersoon (informatiemakelaar oost, Gemeente Amsterdam)`.
pub fn person_words(p: Option<&wire::Person>) -> String {
    let Some(p) = p else {
        return "the hub".to_owned();
    };
    let mut role = p.roles.join(", ");
    if !p.stadsdeel.is_empty() {
        let _ = write!(role, " {}", p.stadsdeel);
    }
    let party = party_name(p.party.as_ref());
    let (who, role) = (person_name(p), esc(&role));
    if role.is_empty() {
        format!("{who} ({party})")
    } else {
        format!("{who} ({role}, {party})")
    }
}

/// The person a certificate names: "Anna Testpersoon (person p-gemeente-001)", the id
/// too because it is what the certificate carries.
fn certificate_person(p: &wire::Person) -> String {
    if p.name.trim().is_empty() {
        format!("person {}", esc(&p.id))
    } else {
        format!("{} (person {})", esc(p.name.trim()), esc(&p.id))
    }
}

/// Who the certificate names, without the roles (for a refusal that gave them).
pub fn certificate_is_for(p: &wire::Person) -> String {
    format!(
        "your certificate is for {} of {}",
        certificate_person(p),
        party_name(p.party.as_ref())
    )
}

/// The sentence hubctl adds to a refusal: who the certificate says you are.
pub fn you_are(p: &wire::Person) -> String {
    let roles = if p.roles.is_empty() {
        "no role".to_owned()
    } else {
        p.roles.join(" and ")
    };
    let mut s = format!(
        "your certificate is for {} of {}, role {roles}",
        certificate_person(p),
        party_name(p.party.as_ref())
    );
    if !p.stadsdeel.is_empty() {
        let _ = write!(s, ", stadsdeel {}", p.stadsdeel);
    }
    s
}

/// `hubctl whoami`.
pub fn whoami(p: &wire::Person, hub_url: &str) -> String {
    let mut out = String::new();
    let party = p.party.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "You are {} of {} ({}, OIN {})",
        if p.name.trim().is_empty() {
            esc(&p.id).into_owned()
        } else {
            format!("{} ({})", esc(p.name.trim()), esc(&p.id))
        },
        party_name(p.party.as_ref()),
        party.kind,
        party.oin
    );
    let roles = if p.roles.is_empty() {
        "none".to_owned()
    } else {
        p.roles.join(", ")
    };
    let _ = writeln!(
        out,
        "  roles:     {roles}   (from the hub's person registry, art. 5.2)"
    );
    if !p.stadsdeel.is_empty() {
        let _ = writeln!(out, "  stadsdeel: {}", p.stadsdeel);
    }
    let _ = writeln!(out, "  hub:       {hub_url}");
    out
}

fn contact_words(c: Option<&wire::ContactDeadline>, now: OffsetDateTime) -> String {
    let Some(c) = c else {
        return "-".to_owned();
    };
    let due = c.due_at.as_ref().and_then(from_timestamp);
    let due_text = due
        .map(|d| format!("{} ({})", when::show(d), when::relative(d, now)))
        .unwrap_or_else(|| "-".to_owned());
    match c.status.as_str() {
        "open" => format!("open — contact the melder by {due_text}"),
        "overdue" => format!("OVERDUE — was due {due_text}"),
        "met" => format!("met — contacted {}", show_ts(c.contacted_at.as_ref())),
        "late" => format!(
            "late — contacted {}, due was {}",
            show_ts(c.contacted_at.as_ref()),
            show_ts(c.due_at.as_ref())
        ),
        other => format!("{other} (due {due_text})"),
    }
}

fn consent_words(s: &wire::Subject) -> String {
    if s.consent.is_empty() {
        "none".to_owned()
    } else {
        s.consent.join(", ")
    }
}

/// One history event in words, parties by name, subjects by label among `subjects`
/// (the case's).
pub fn event_words(e: &wire::CaseEvent, subjects: &[wire::Subject]) -> String {
    let subject = subject_named(hex_of(e.subject.as_ref()), subjects);
    match e.kind.as_str() {
        "phase-moved" => format!("phase {} → {}", e.from_phase, e.to_phase),
        "case-created" => "case registered, phase melding".to_owned(),
        "escalated" => "escalated to city level (art. 4.5)".to_owned(),
        "contact-recorded" => "contact with the melder recorded (art. 4.3)".to_owned(),
        "subject-added" | "subject-updated" | "subject-removed" => {
            format!("{} — {subject}", esc(&e.summary))
        }
        "consent-recorded" => format!("consent for {} recorded — {subject}", e.category),
        "consent-withdrawn" => format!("consent for {} withdrawn — {subject}", e.category),
        "participant-added" => format!(
            "participant {} added (plan van aanpak)",
            party_name(e.party.as_ref())
        ),
        "participant-removed" => {
            format!("participant {} removed", party_name(e.party.as_ref()))
        }
        "emergency-declared" => "emergency declared (art. 15.1)".to_owned(),
        _ => esc(&e.summary).into_owned(),
    }
}

/// `hubctl case show`.
pub fn case(c: &wire::Case, now: OffsetDateTime) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Case {} · stadsdeel {} · phase {} (since {})",
        c.id,
        c.stadsdeel,
        c.phase,
        show_ts(c.phase_since.as_ref())
    );
    let next = if c.allowed_next_phases.is_empty() {
        "none (the case is closed)".to_owned()
    } else {
        c.allowed_next_phases.join(", ")
    };
    let _ = writeln!(out, "  next phases:  {next}   (art. 4.1)");
    let _ = writeln!(
        out,
        "  melding:      {} · registered {} by {}",
        show_ts(c.melding_at.as_ref()),
        show_ts(c.registered_at.as_ref()),
        person_words(c.registered_by.as_ref())
    );
    if !c.external_reference.is_empty() {
        let _ = writeln!(out, "  reference:    {}", esc(&c.external_reference));
    }
    let _ = writeln!(
        out,
        "  contact:      {}   (art. 4.3)",
        contact_words(c.contact.as_ref(), now)
    );
    match &c.escalation {
        Some(e) => {
            let _ = write!(
                out,
                "  escalated:    {} by {}",
                show_ts(e.escalated_at.as_ref()),
                person_words(e.escalated_by.as_ref())
            );
            if !e.reason.is_empty() {
                let _ = write!(out, " — \"{}\"", esc(&e.reason));
            }
            out.push('\n');
        }
        None => out.push_str("  escalated:    no\n"),
    }
    match &c.emergency {
        Some(e) => {
            let _ = write!(
                out,
                "  EMERGENCY:    declared {} by {}, active until {} (art. 15.1, 15.3)",
                show_ts(e.declared_at.as_ref()),
                person_words(e.declared_by.as_ref()),
                show_ts(e.expires_at.as_ref())
            );
            if !e.reason.is_empty() {
                let _ = write!(out, " — \"{}\"", esc(&e.reason));
            }
            out.push('\n');
        }
        None => out.push_str("  emergency:    none active\n"),
    }
    for e in &c.past_emergencies {
        let _ = writeln!(
            out,
            "  past emergency: {} by {}, expired {}",
            show_ts(e.declared_at.as_ref()),
            person_words(e.declared_by.as_ref()),
            show_ts(e.expires_at.as_ref())
        );
    }
    if c.retention_until.is_some() {
        let _ = writeln!(
            out,
            "  retention:    case data deleted {} (art. 9)",
            show_ts(c.retention_until.as_ref())
        );
    }
    let _ = writeln!(
        out,
        "  you:          {} as {}",
        c.caller_access, c.caller_role
    );

    let _ = writeln!(out, "\nSubjects ({})", c.subjects.len());
    if c.subjects.is_empty() {
        out.push_str("  none yet: add them with `hubctl subject add`\n");
    }
    for s in &c.subjects {
        let hex = hex_of(s.subject.as_ref());
        if s.label.trim().is_empty() {
            let _ = writeln!(out, "  {:<12} (no label)  pseudonym {hex}", s.role);
        } else {
            let _ = writeln!(
                out,
                "  {:<12} \"{}\"  pseudonym {hex}",
                s.role,
                esc(s.label.trim())
            );
        }
        let _ = writeln!(
            out,
            "               added {} by {} · consent: {}",
            show_ts(s.added_at.as_ref()),
            person_name_or(s.added_by.as_ref(), "-"),
            consent_words(s)
        );
        for r in &s.consent_history {
            let _ = writeln!(
                out,
                "               consent {} for {} (dated {}, recorded {} by {})",
                r.action,
                r.category,
                r.date,
                show_ts(r.recorded_at.as_ref()),
                person_name_or(r.recorded_by.as_ref(), "-")
            );
        }
    }

    let _ = writeln!(
        out,
        "\nParticipants, plan van aanpak ({})   (art. 5.4)",
        c.participants.len()
    );
    if c.participants.is_empty() {
        out.push_str("  none\n");
    }
    for p in &c.participants {
        let kind = p.party.as_ref().map(|p| p.kind.as_str()).unwrap_or("");
        let _ = writeln!(
            out,
            "  {} ({kind}) since {}, added by {}",
            party_name(p.party.as_ref()),
            show_ts(p.added_at.as_ref()),
            person_name_or(p.added_by.as_ref(), "-")
        );
    }

    let _ = writeln!(out, "\nHistory");
    for e in &c.history {
        let actor = person_name_or(e.actor.as_ref(), "the hub");
        let _ = write!(
            out,
            "  {:>3}  {}  {:<16} {}",
            e.sequence,
            show_ts(e.at.as_ref()),
            actor,
            event_words(e, &c.subjects)
        );
        if !e.reason.is_empty() {
            let _ = write!(out, " — \"{}\"", esc(&e.reason));
        }
        out.push('\n');
    }
    out
}

/// The confirmation of a change: what was recorded, and where the case stands now.
pub fn update(u: &wire::CaseUpdate, now: OffsetDateTime) -> String {
    let mut out = String::new();
    let Some(c) = &u.case else {
        return "done (the hub returned no case)\n".to_owned();
    };
    if let Some(e) = &u.event {
        let _ = writeln!(out, "{}: {}", c.id, event_words(e, &c.subjects));
    }
    let next = if c.allowed_next_phases.is_empty() {
        "closed".to_owned()
    } else {
        format!("next {}", c.allowed_next_phases.join(" or "))
    };
    let _ = writeln!(
        out,
        "  now: phase {} ({next}) · {} subject(s) · {} participant(s){}",
        c.phase,
        c.subjects.len(),
        c.participants.len(),
        if c.escalation.is_some() {
            " · escalated"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "  contact: {}", contact_words(c.contact.as_ref(), now));
    if let Some(e) = &c.emergency {
        let _ = writeln!(
            out,
            "  emergency active until {} — only {} receives under it (art. 15.1, 15.3)",
            show_ts(e.expires_at.as_ref()),
            person_name_or(e.declared_by.as_ref(), "the declarer")
        );
    }
    if c.retention_until.is_some() {
        let _ = writeln!(
            out,
            "  case data deleted {} (art. 9)",
            show_ts(c.retention_until.as_ref())
        );
    }
    out
}

/// `hubctl case list`.
pub fn case_list(cases: &[wire::CaseSummary], now: OffsetDateTime) -> String {
    if cases.is_empty() {
        return "No cases you have access to match.\n".to_owned();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<10} {:<14} {:<24} CONTACT WITH THE MELDER (art. 4.3, 2 working days)",
        "CASE", "STADSDEEL", "PHASE", "SUBJECTS"
    );
    for c in cases {
        let mut subjects = Vec::new();
        if c.subjects.iter().any(|s| !s.label.trim().is_empty()) {
            // The case team sees labels: the subjects as it named them.
            for s in &c.subjects {
                subjects.push(subject_words(hex_of(s.subject.as_ref()), &s.role, &s.label));
            }
        } else {
            for (n, role) in [
                (c.daders, "dader"),
                (c.slachtoffers, "slachtoffer"),
                (c.melders, "melder"),
            ] {
                if n > 0 {
                    subjects.push(format!("{n} {role}"));
                }
            }
        }
        let subjects = if subjects.is_empty() {
            "-".to_owned()
        } else {
            subjects.join(", ")
        };
        let _ = write!(
            out,
            "{:<14} {:<10} {:<14} {:<24} {}",
            c.id,
            c.stadsdeel,
            c.phase,
            subjects,
            contact_words(c.contact.as_ref(), now)
        );
        let mut flags = Vec::new();
        if c.escalated {
            flags.push("escalated".to_owned());
        }
        if c.emergency_expires_at.is_some() {
            flags.push(format!(
                "EMERGENCY until {}",
                show_ts(c.emergency_expires_at.as_ref())
            ));
        }
        if c.participants > 0 {
            flags.push(format!("{} participant(s)", c.participants));
        }
        if c.caller_access != "case-team" && !c.caller_access.is_empty() {
            flags.push(format!("you: {}", c.caller_access));
        }
        if !flags.is_empty() {
            let _ = write!(out, "  [{}]", flags.join("; "));
        }
        out.push('\n');
    }
    out
}

fn no_answer_words(reason: &str, detail: &str) -> String {
    let mut s = match reason {
        "deadline" | "" => "no answer in time".to_owned(),
        "offline" => "no answer — offline".to_owned(),
        "queue-expired" => "no answer — offline, its queued questions expired".to_owned(),
        // The agent's own reasons (Unanswerable in agent_link.proto).
        "source-unavailable" => "no answer — its source system was unavailable".to_owned(),
        "expired" => "no answer — the question expired before it could answer".to_owned(),
        "unsupported-category" => {
            "no answer — it does not provide the category asked".to_owned()
        }
        "covenant-version-mismatch" => {
            "no answer — its agent works under another covenant version than the hub (its operator must update it)".to_owned()
        }
        other => format!("could not answer ({})", esc(other)),
    };
    if !detail.is_empty() {
        let _ = write!(s, ": {}", esc(detail));
    }
    s
}

fn articles(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!(" — art. {}", list.join(", "))
    }
}

/// `hubctl bevraag`; `subjects` are the case's, to name the subject by its label.
pub fn bevraging(b: &wire::BevragingResult, subjects: &[wire::Subject]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Bevraging on case {} about {} · purpose {} · {}",
        b.case_id,
        subject_named(hex_of(b.subject.as_ref()), subjects),
        b.purpose,
        show_ts(b.asked_at.as_ref())
    );
    out.push_str("  Partners were asked only whether they know the subject (art. 8.4).\n");
    let width = b
        .partners
        .iter()
        .map(|p| party_name(p.party.as_ref()).chars().count())
        .max()
        .unwrap_or(0);
    for p in &b.partners {
        let result = match p.result.as_str() {
            "hit" => "HIT — knows the subject".to_owned(),
            "no-hit" => "no hit".to_owned(),
            "not-asked" => format!("not asked{}", articles(&p.articles)),
            "no-answer" => no_answer_words(&p.no_answer_reason, ""),
            other => other.to_owned(),
        };
        let _ = writeln!(out, "  {:<width$}  {result}", party_name(p.party.as_ref()));
        if p.result == "not-asked" && !p.articles.is_empty() {
            let hex = hex_of(b.subject.as_ref());
            let label = subjects
                .iter()
                .find(|s| hex_of(s.subject.as_ref()) == hex)
                .map(|s| s.label.as_str())
                .unwrap_or("");
            let (named, arg) = (subject_named(hex, subjects), subject_arg(hex, label));
            let concern = crate::reasons::Concern {
                case_id: &b.case_id,
                category: None,
                subject: Some(&named),
                subject_arg: Some(&arg),
            };
            let _ = writeln!(
                out,
                "  {:<width$}    why: {}",
                "",
                crate::reasons::reasons(&p.articles, &concern)
            );
        }
    }
    let hits = b.partners.iter().filter(|p| p.result == "hit").count();
    let _ = writeln!(out, "  {hits} partner(s) know the subject.");
    out
}

/// The article that withheld a stripped field, as the covenant's outcome rules say
/// (6.1a, 6.3a, 6.5a or 8.3 when the decision cites it for that field; 8.1 otherwise).
pub fn strip_article(category: &str, field: &str, cited: &[String]) -> &'static str {
    let cites = |a: &str| cited.iter().any(|c| c == a);
    match (category, field) {
        ("identificatie", "bsn") if cites("6.1a") => "6.1a",
        ("politie-incidenten", "samenvatting") if cites("6.3a") => "6.3a",
        ("huurgegevens", f) if f != "huurstatus" && cites("6.5a") => "6.5a",
        (_, "melder_identiteit") if cites("8.3") => "8.3",
        _ => "8.1",
    }
}

fn obligation_words(o: &wire::Obligation) -> String {
    match (o.kind.as_str(), o.article.as_str()) {
        ("purpose-binding", a) => format!("use for {} only (art. {a})", o.purpose),
        ("retention", "9.1") => "delete 24 months after the case is closed (art. 9.1)".to_owned(),
        ("retention", "9.2") => {
            "delete 3 months after a buiten-aanpak decision (art. 9.2)".to_owned()
        }
        ("retention", a) => format!("retention period applies (art. {a})"),
        ("review", a) => format!(
            "reported to the source's privacy officer for review within 1 working day (art. {a})"
        ),
        (kind, a) => format!("{kind} (art. {a})"),
    }
}

/// Names of the parties in a case file, by OIN, for notifications.
fn name_of_oin(file_parties: &[&wire::Party], oin: &str) -> String {
    file_parties
        .iter()
        .find(|p| p.oin == oin)
        .map(|p| esc(&p.name).into_owned())
        .unwrap_or_else(|| format!("party {}", esc(oin)))
}

/// Where the hub's decision on an entry is logged (article 10.1): " · log entry N".
fn log_words(e: &wire::CaseFileEntry) -> String {
    match &e.provenance {
        Some(p) if e.decided_by == "hub" => format!(" · log entry {}", p.log_leaf_index),
        _ => String::new(),
    }
}

fn entry_text(
    e: &wire::CaseFileEntry,
    case_id: &str,
    parties: &[&wire::Party],
    subjects: &[wire::Subject],
    out: &mut String,
) {
    // The entry carries the subject's role and label itself; a withheld line may not,
    // and then the file's subjects name it.
    let hex = hex_of(e.subject.as_ref());
    let (subject, arg) = if e.subject_label.trim().is_empty() {
        match subjects.iter().find(|s| hex_of(s.subject.as_ref()) == hex) {
            Some(s) => (
                subject_words(hex, &s.role, &s.label),
                subject_arg(hex, &s.label),
            ),
            None => (
                subject_words(hex, &e.subject_role, ""),
                subject_arg(hex, ""),
            ),
        }
    } else {
        (
            subject_words(hex, &e.subject_role, &e.subject_label),
            subject_arg(hex, &e.subject_label),
        )
    };
    let d = e.decision.clone().unwrap_or_default();
    let late = if e.late {
        " (arrived later, through the queue)"
    } else {
        ""
    };
    if d.outcome != "permit" {
        let why = match d.outcome.as_str() {
            "reject" => {
                let notified: Vec<String> = d
                    .notify
                    .iter()
                    .map(|n| name_of_oin(parties, &n.oin))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut s = "prohibited content, refused as a whole".to_owned();
                if !notified.is_empty() {
                    let _ = write!(
                        s,
                        "; the privacy officer of {} is notified",
                        notified.join(", ")
                    );
                }
                s
            }
            _ => "not permitted for you".to_owned(),
        };
        let by = if e.decided_by == "source" {
            "the partner's own check"
        } else {
            "the hub"
        };
        let _ = writeln!(
            out,
            "  ✗ {} · {subject}: WITHHELD{} ({why}; decided by {by}){}{late}",
            e.category,
            articles(&d.articles),
            log_words(e)
        );
        if d.outcome != "reject" && !d.articles.is_empty() {
            let concern = crate::reasons::Concern {
                case_id,
                category: Some(&e.category),
                subject: Some(&subject),
                subject_arg: Some(&arg),
            };
            let _ = writeln!(
                out,
                "      why: {}",
                crate::reasons::reasons(&d.articles, &concern)
            );
        }
        return;
    }
    let mut head = format!("  ✓ {} · {subject}", e.category);
    if d.emergency {
        head.push_str(" · EMERGENCY SHARE (art. 15.1)");
    }
    let _ = writeln!(out, "{head}{late}");
    let width = e
        .fields
        .iter()
        .map(|f| esc(&f.name).chars().count())
        .max()
        .unwrap_or(0);
    for f in &e.fields {
        // A partner's record value may hold line breaks (a description): shown on
        // its own row, escaped, like every other value from outside.
        let _ = writeln!(out, "      {:<width$}  {}", esc(&f.name), esc(&f.value));
    }
    if e.fields.is_empty() {
        out.push_str("      (every field was withheld: an empty record passed)\n");
    }
    if !d.stripped.is_empty() {
        let stripped: Vec<String> = d
            .stripped
            .iter()
            .map(|f| {
                format!(
                    "{} (art. {})",
                    esc(f),
                    strip_article(&e.category, f, &d.articles)
                )
            })
            .collect();
        let _ = writeln!(out, "    withheld fields: {}", stripped.join(", "));
    }
    if !d.obligations.is_empty() {
        let words: Vec<String> = d.obligations.iter().map(obligation_words).collect();
        let _ = writeln!(out, "    obligations: {}", words.join("; "));
    }
    let p = e.provenance.clone().unwrap_or_default();
    let mut source = String::new();
    if !p.source_reference.is_empty() {
        let _ = write!(source, "reference {}", esc(&p.source_reference));
    }
    if p.recorded_at.is_some() {
        let _ = write!(source, ", recorded {}", show_ts(p.recorded_at.as_ref()));
    }
    let _ = writeln!(
        out,
        "    source: {}{} · decided by {} under art. {} (covenant v{}){}",
        source.trim_start_matches(", "),
        if source.is_empty() { "-" } else { "" },
        if e.decided_by == "source" {
            "the partner"
        } else {
            "the hub"
        },
        d.articles.join(", "),
        d.covenant_version,
        log_words(e)
    );
}

/// One partner's status in words: "answered", "no hit", "withheld — art. 7.1", ...
pub fn partner_status(p: &wire::PartnerResult) -> String {
    match p.status.as_str() {
        "answered" => "answered".to_owned(),
        "no-hit" => "no hit".to_owned(),
        "withheld" => format!("withheld{}", articles(&p.articles)),
        "no-answer" => no_answer_words(&p.no_answer_reason, &p.no_answer_detail),
        "offline-queued" => format!(
            "offline — queued until {}; its answers will join this file",
            show_ts(p.queued_until.as_ref())
        ),
        "not-asked" => format!("not asked{}", articles(&p.articles)),
        "no-records" => "knows a subject, no records of the categories asked".to_owned(),
        // Only while the hub still assembles the file (`casefile show` meanwhile).
        "pending" => "asked, waiting for its answer".to_owned(),
        other => other.to_owned(),
    }
}

fn subject_status_words(s: &wire::PartnerSubjectResult) -> String {
    match s.status.as_str() {
        "no-hit" => "no hit".to_owned(),
        "not-asked" => format!("not asked{}", articles(&s.articles)),
        "no-answer" => no_answer_words(&s.no_answer_reason, ""),
        "offline-queued" => "offline, queued".to_owned(),
        "no-records" => "hit, no records".to_owned(),
        "answered" => "hit, answered".to_owned(),
        other => other.to_owned(),
    }
}

/// One partner's block of a case file; `subjects` are the file's, to name subjects by
/// their labels.
pub fn partner(
    p: &wire::PartnerResult,
    case_id: &str,
    parties: &[&wire::Party],
    subjects: &[wire::Subject],
    categories: &[String],
    out: &mut String,
) {
    let mut head = format!("{} — {}", party_name(p.party.as_ref()), partner_status(p));
    if p.latency_ms > 0 {
        let _ = write!(head, " ({} ms)", p.latency_ms);
    }
    if p.late {
        head.push_str(" (late, through the queue)");
    }
    let _ = writeln!(out, "{head}");
    if matches!(p.status.as_str(), "not-asked" | "withheld") && !p.articles.is_empty() {
        // Name the subject and the category when the file leaves no doubt which: the
        // one subject (of the file, or the one not asked about), the one category asked
        // that needs consent.
        let not_asked: Vec<&str> = p
            .subjects
            .iter()
            .filter(|s| s.status == "not-asked")
            .map(|s| hex_of(s.subject.as_ref()))
            .collect();
        let one = match (not_asked.as_slice(), subjects) {
            ([hex], _) => Some(*hex),
            ([], [only]) => Some(hex_of(only.subject.as_ref())),
            _ => None,
        };
        let named = one.map(|hex| {
            let label = subjects
                .iter()
                .find(|f| hex_of(f.subject.as_ref()) == hex)
                .map(|f| f.label.as_str())
                .unwrap_or("");
            (subject_named(hex, subjects), subject_arg(hex, label))
        });
        let consent: Vec<&str> = categories
            .iter()
            .map(String::as_str)
            .filter(|c| crate::reasons::NEEDS_CONSENT.contains(c))
            .collect();
        let concern = crate::reasons::Concern {
            case_id,
            category: match consent.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
            subject: named.as_ref().map(|(n, _)| n.as_str()),
            subject_arg: named.as_ref().map(|(_, a)| a.as_str()),
        };
        let _ = writeln!(
            out,
            "  why: {}",
            crate::reasons::reasons(&p.articles, &concern)
        );
    }
    let asked = p.subjects.iter().any(|s| s.status != "not-asked");
    if p.subjects.len() > 1 && asked {
        let per: Vec<String> = p
            .subjects
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    subject_named(hex_of(s.subject.as_ref()), subjects),
                    subject_status_words(s)
                )
            })
            .collect();
        let _ = writeln!(out, "  per subject: {}", per.join(" · "));
        // A subject the partner was not asked about: why, in words.
        for s in p.subjects.iter().filter(|s| s.status == "not-asked") {
            let hex = hex_of(s.subject.as_ref());
            let label = subjects
                .iter()
                .find(|f| hex_of(f.subject.as_ref()) == hex)
                .map(|f| f.label.as_str())
                .unwrap_or("");
            let (named, arg) = (subject_named(hex, subjects), subject_arg(hex, label));
            let concern = crate::reasons::Concern {
                case_id,
                category: None,
                subject: Some(&named),
                subject_arg: Some(&arg),
            };
            let _ = writeln!(
                out,
                "  why not asked about {named}: {}",
                crate::reasons::reasons(&s.articles, &concern)
            );
        }
    }
    for e in &p.entries {
        entry_text(e, case_id, parties, subjects, out);
    }
}

/// The header of a case file: what was asked, by whom, and the counts.
fn header(f: &wire::CaseFile, out: &mut String) {
    let _ = writeln!(
        out,
        "CASE FILE {} · case {} · purpose {} (phase {}) · covenant v{}",
        f.id, f.case_id, f.purpose, f.phase, f.covenant_version
    );
    let _ = writeln!(
        out,
        "  for {} · requested {}",
        person_words(f.requester.as_ref()),
        show_ts(f.requested_at.as_ref())
    );
    if f.under_emergency {
        out.push_str("  under your emergency (art. 15.1): emergency shares are reported for review (art. 15.2)\n");
    }
    let subjects: Vec<String> = f
        .subjects
        .iter()
        .map(|s| subject_words(hex_of(s.subject.as_ref()), &s.role, &s.label))
        .collect();
    let _ = writeln!(out, "  subjects: {}", subjects.join("; "));
    if !f.categories.is_empty() {
        let _ = writeln!(out, "  categories asked: {}", f.categories.join(", "));
    }
    if let Some(s) = &f.summary {
        let _ = writeln!(
            out,
            "  {}: {} answered, {} withheld, {} no answer, {} offline, {} no records, {} no hit, {} not asked{}",
            if s.complete {
                "complete"
            } else {
                "NOT COMPLETE (queued questions may add records)"
            },
            s.answered,
            s.withheld,
            s.no_answer,
            s.offline_queued,
            s.no_records,
            s.no_hit,
            s.not_asked,
            if s.duration_ms > 0 {
                format!(" · assembled in {} ms", s.duration_ms)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "  records: {} passed ({} field(s) withheld), {} withheld entirely, {} emergency share(s)",
            s.entries_passed, s.fields_stripped, s.entries_withheld, s.emergency_entries
        );
    }
}

/// `hubctl casefile request` / `casefile show`: the case file as a report.
pub fn case_file(f: &wire::CaseFile) -> String {
    let mut out = String::new();
    header(f, &mut out);
    let parties: Vec<&wire::Party> = f.partners.iter().filter_map(|p| p.party.as_ref()).collect();
    for p in &f.partners {
        out.push('\n');
        partner(
            p,
            &f.case_id,
            &parties,
            &f.subjects,
            &f.categories,
            &mut out,
        );
    }
    out
}

/// `hubctl casefile list`.
pub fn case_file_list(files: &[wire::CaseFile]) -> String {
    if files.is_empty() {
        return "You have requested no case file of this case yet (`hubctl casefile request`).\n"
            .to_owned();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:<12} {:<30} SUMMARY",
        "CASE FILE", "PURPOSE", "REQUESTED"
    );
    for f in files {
        let summary = f
            .summary
            .as_ref()
            .map(|s| {
                format!(
                    "{} passed, {} withheld; {} answered, {} no hit{}",
                    s.entries_passed,
                    s.entries_withheld,
                    s.answered,
                    s.no_hit,
                    if s.complete { "" } else { "; not complete" }
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<22} {:<12} {:<30} {summary}",
            f.id,
            f.purpose,
            show_ts(f.requested_at.as_ref())
        );
    }
    out
}

/// `--watch`: the start of a streamed case file.
pub fn watch_started(s: &wire::CaseFileStarted) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "CASE FILE {} · case {} · purpose {} · for {}",
        s.case_file_id,
        s.case_id,
        s.purpose,
        person_words(s.requester.as_ref())
    );
    let asked: Vec<String> = s.asked.iter().map(|p| party_name(Some(p))).collect();
    let _ = writeln!(
        out,
        "  asking {} partner(s) until {}: {}",
        asked.len(),
        show_ts(s.deadline.as_ref()),
        asked.join("; ")
    );
    for p in &s.not_asked {
        let _ = writeln!(
            out,
            "  not asked: {}{}",
            party_name(p.party.as_ref()),
            articles(&p.articles)
        );
    }
    out
}

/// `--watch`: one partner's bevraging answers; `subjects` as the start event listed
/// them.
pub fn watch_bevraging(b: &wire::BevragingProgress, subjects: &[wire::Subject]) -> String {
    let per: Vec<String> = b
        .subjects
        .iter()
        .map(|s| {
            let status = match s.status.as_str() {
                "hit" => "hit".to_owned(),
                other => subject_status_words(&wire::PartnerSubjectResult {
                    status: other.to_owned(),
                    ..s.clone()
                }),
            };
            format!(
                "{} {status}",
                subject_named(hex_of(s.subject.as_ref()), subjects)
            )
        })
        .collect();
    format!(
        "  … {}: {}\n",
        party_name(b.party.as_ref()),
        per.join(" · ")
    )
}

/// `--watch`: the closing counts.
pub fn watch_summary(s: &wire::CaseFileSummary) -> String {
    format!(
        "\n{} {}: {} answered, {} withheld, {} no answer, {} offline, {} no records, {} no hit, {} not asked · {} record(s) passed, {} withheld · {} ms\n",
        s.case_file_id,
        if s.complete {
            "complete"
        } else {
            "not complete"
        },
        s.answered,
        s.withheld,
        s.no_answer,
        s.offline_queued,
        s.no_records,
        s.no_hit,
        s.not_asked,
        s.entries_passed,
        s.entries_withheld,
        s.duration_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(oin: &str, name: &str, kind: &str) -> Option<wire::Party> {
        Some(wire::Party {
            oin: oin.into(),
            name: name.into(),
            kind: kind.into(),
        })
    }

    fn politie() -> Option<wire::Party> {
        party(
            "00000002000000000002",
            "Politie Eenheid Amsterdam",
            "politie",
        )
    }

    fn ggd() -> Option<wire::Party> {
        party("00000005000000000006", "GGD Amsterdam", "zorgpartner")
    }

    fn om() -> Option<wire::Party> {
        party(
            "00000003000000000003",
            "Openbaar Ministerie, Arrondissementsparket Amsterdam",
            "om",
        )
    }

    fn pseudonym(c: &str) -> Option<wire::SubjectPseudonym> {
        Some(wire::SubjectPseudonym { hex: c.repeat(32) })
    }

    fn sample_file() -> wire::CaseFile {
        let incident = wire::CaseFileEntry {
            source: politie(),
            category: "politie-incidenten".into(),
            subject: pseudonym("d0"),
            subject_role: "dader".into(),
            subject_label: "buurman".into(),
            decision: Some(wire::ShareDecision {
                outcome: "permit".into(),
                passed: vec!["datum".into(), "incidentsoort".into()],
                stripped: vec!["samenvatting".into()],
                articles: vec!["6.3".into(), "6.3a".into()],
                obligations: vec![
                    wire::Obligation {
                        kind: "purpose-binding".into(),
                        article: "3.2".into(),
                        purpose: "duiding".into(),
                    },
                    wire::Obligation {
                        kind: "retention".into(),
                        article: "9.1".into(),
                        purpose: String::new(),
                    },
                ],
                covenant_version: 1,
                ..Default::default()
            }),
            fields: vec![
                wire::Field {
                    name: "datum".into(),
                    value: "2026-10-30".into(),
                },
                wire::Field {
                    name: "incidentsoort".into(),
                    value: "bedreiging".into(),
                },
            ],
            decided_by: "hub".into(),
            provenance: Some(wire::Provenance {
                source_reference: "BVH-2026-0001".into(),
                log_leaf_index: 41,
                ..Default::default()
            }),
            late: false,
        };
        let care = wire::CaseFileEntry {
            source: ggd(),
            category: "zorgbetrokkenheid".into(),
            subject: pseudonym("d0"),
            subject_role: "dader".into(),
            decision: Some(wire::ShareDecision {
                outcome: "reject".into(),
                articles: vec!["7.1".into()],
                notify: vec![wire::Notification {
                    kind: "privacy-officer".into(),
                    oin: "00000005000000000006".into(),
                    article: "7.1".into(),
                }],
                ..Default::default()
            }),
            decided_by: "source".into(),
            ..Default::default()
        };
        wire::CaseFile {
            id: "CF-2026-0001-0001".into(),
            case_id: "C-2026-0001".into(),
            purpose: "duiding".into(),
            phase: "duiding".into(),
            requester: Some(wire::Person {
                name: String::new(),
                id: "p-gemeente-001".into(),
                party: party("00000001000000000001", "Gemeente Amsterdam", "gemeente"),
                roles: vec!["informatiemakelaar".into()],
                stadsdeel: "oost".into(),
            }),
            subjects: vec![wire::Subject {
                subject: pseudonym("d0"),
                role: "dader".into(),
                label: "buurman".into(),
                ..Default::default()
            }],
            complete: true,
            covenant_version: 1,
            partners: vec![
                wire::PartnerResult {
                    party: politie(),
                    status: "answered".into(),
                    entries: vec![incident],
                    latency_ms: 12,
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: om(),
                    status: "not-asked".into(),
                    articles: vec!["6.4".into()],
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: ggd(),
                    status: "withheld".into(),
                    articles: vec!["7.1".into()],
                    entries: vec![care],
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party(
                        "00000004000000000005",
                        "Stichting Lieflijk Wonen",
                        "woningcorporatie",
                    ),
                    status: "offline-queued".into(),
                    queued_until: Some(crate::when::to_timestamp(
                        time::macros::datetime!(2026-11-23 11:00 UTC),
                    )),
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party(
                        "00000005000000000007",
                        "Zorgcollectief Amstel",
                        "zorgpartner",
                    ),
                    status: "no-answer".into(),
                    no_answer_reason: "deadline".into(),
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party(
                        "00000004000000000004",
                        "Woonstichting De Gracht",
                        "woningcorporatie",
                    ),
                    status: "no-hit".into(),
                    ..Default::default()
                },
            ],
            summary: Some(wire::CaseFileSummary {
                answered: 1,
                withheld: 1,
                entries_passed: 1,
                entries_withheld: 1,
                fields_stripped: 1,
                complete: true,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_case_file_report_reads_per_partner_by_name() {
        let text = case_file(&sample_file());
        // Parties by name, never by OIN.
        assert!(!text.contains("00000002000000000002"), "{text}");
        assert!(!text.contains("00000005000000000006"), "{text}");
        assert!(
            text.contains("Politie Eenheid Amsterdam — answered"),
            "{text}"
        );
        assert!(
            text.contains(
                "Openbaar Ministerie, Arrondissementsparket Amsterdam — not asked — art. 6.4"
            ),
            "{text}"
        );
        assert!(
            text.contains("GGD Amsterdam — withheld — art. 7.1"),
            "{text}"
        );
        assert!(
            text.contains(
                "Stichting Lieflijk Wonen — offline — queued until Mon 2026-11-23 12:00 CET"
            ),
            "{text}"
        );
        assert!(
            text.contains("Zorgcollectief Amstel — no answer in time"),
            "{text}"
        );
        assert!(text.contains("Woonstichting De Gracht — no hit"), "{text}");
        // Fields with values, stripped fields with their article, obligations, source.
        assert!(text.contains("incidentsoort  bedreiging"), "{text}");
        assert!(
            text.contains("withheld fields: samenvatting (art. 6.3a)"),
            "{text}"
        );
        assert!(text.contains("use for duiding only (art. 3.2)"), "{text}");
        assert!(
            text.contains("24 months after the case is closed (art. 9.1)"),
            "{text}"
        );
        assert!(text.contains("reference BVH-2026-0001"), "{text}");
        assert!(text.contains("(covenant v1) · log entry 41"), "{text}");
        // The rejected care record: no data, the article, who is notified, by name.
        assert!(
            text.contains("zorgbetrokkenheid · \"buurman\" (dader): WITHHELD — art. 7.1"),
            "{text}"
        );
        assert!(
            text.contains("the privacy officer of GGD Amsterdam is notified"),
            "{text}"
        );
        assert!(
            text.contains("decided by the partner's own check"),
            "{text}"
        );
        assert!(
            text.contains("politie-incidenten · \"buurman\" (dader)"),
            "{text}"
        );
        assert!(!text.contains("d0d0d0"), "subjects by label: {text}");
    }

    /// Text that shows as itself: no control or invisible character but line breaks.
    fn shows_as_itself(text: &str) -> bool {
        !text
            .chars()
            .any(|c| c != '\n' && treiter_proto::text::is_hidden(c))
    }

    #[test]
    fn what_a_partner_sent_cannot_add_rows_to_a_case_file() {
        let plain = case_file(&sample_file());
        let mut file = sample_file();
        file.subjects[0].label = "buurman\n  ✓ fake · row".into();
        let entry = &mut file.partners[0].entries[0];
        entry.subject_label = "buurman\u{1b}[2K".into();
        entry.fields[1].value = "bedreiging\n      bsn  123456782".into();
        entry.fields[1].name = "incident\rsoort".into();
        entry.provenance.as_mut().unwrap().source_reference = "BVH\u{1b}]0;title\u{7}".into();
        file.partners[4].no_answer_reason = "source-error".into();
        file.partners[4].no_answer_detail = "database down\nPolitie — answered".into();
        file.partners[0].party.as_mut().unwrap().name = "Politie \u{202e}madretsmA".into();
        let text = case_file(&file);
        // The same number of rows as the plain report: every value stayed on its row.
        assert_eq!(text.lines().count(), plain.lines().count(), "{text}");
        // Only the line breaks of the report itself; every other character escaped.
        assert!(
            text.chars().all(|c| c == '\n' || !c.is_control()),
            "{text:?}"
        );
        assert!(shows_as_itself(&text), "{text:?}");
        assert!(
            text.contains("incident\\rsoort  bedreiging\\n      bsn  123456782"),
            "{text}"
        );
        assert!(
            text.contains("reference BVH\\u{1b}]0;title\\u{7}"),
            "{text}"
        );
        assert!(
            text.contains("could not answer (source-error): database down\\nPolitie — answered"),
            "{text}"
        );
        assert!(text.contains("Politie \\u{202e}madretsmA"), "{text}");
    }

    #[test]
    fn what_other_people_wrote_cannot_add_rows_to_a_case() {
        let hostile = wire::Case {
            id: "C-2026-0001".into(),
            external_reference: "REF\nSubjects (9)".into(),
            subjects: vec![wire::Subject {
                subject: pseudonym("d0"),
                role: "dader".into(),
                label: "buurman\u{1b}[31m".into(),
                ..Default::default()
            }],
            history: vec![wire::CaseEvent {
                sequence: 1,
                kind: "phase-moved".into(),
                from_phase: "melding".into(),
                to_phase: "registratie".into(),
                reason: "eerste reden\n    2  fake event".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let text = case(&hostile, time::macros::datetime!(2026-11-23 10:00 UTC));
        assert!(shows_as_itself(&text), "{text:?}");
        assert!(text.contains("reference:    REF\\nSubjects (9)"), "{text}");
        assert!(text.contains("\"buurman\\u{1b}[31m\""), "{text}");
        assert!(
            text.contains("— \"eerste reden\\n    2  fake event\""),
            "{text}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("Subjects (9)")),
            "{text}"
        );
    }

    #[test]
    fn emergency_shares_and_review_are_marked() {
        let mut file = sample_file();
        file.under_emergency = true;
        let entry = &mut file.partners[0].entries[0];
        let decision = entry.decision.as_mut().unwrap();
        decision.emergency = true;
        decision.obligations.push(wire::Obligation {
            kind: "review".into(),
            article: "15.2".into(),
            purpose: String::new(),
        });
        let text = case_file(&file);
        assert!(text.contains("EMERGENCY SHARE (art. 15.1)"), "{text}");
        assert!(text.contains("within 1 working day (art. 15.2)"), "{text}");
        assert!(text.contains("under your emergency"), "{text}");
    }

    #[test]
    fn stripped_fields_get_the_article_that_withheld_them() {
        let cited = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            strip_article("identificatie", "bsn", &cited(&["6.1", "6.1a"])),
            "6.1a"
        );
        assert_eq!(
            strip_article("huurgegevens", "overlastdossier", &cited(&["6.5a"])),
            "6.5a"
        );
        assert_eq!(
            strip_article(
                "overlastmeldingen",
                "melder_identiteit",
                &cited(&["6.2", "8.3"])
            ),
            "8.3"
        );
        assert_eq!(
            strip_article("huurgegevens", "telefoonnummer", &cited(&["6.5", "8.1"])),
            "8.1"
        );
    }

    #[test]
    fn a_file_still_being_assembled_says_who_is_still_asked() {
        let mut file = sample_file();
        file.partners[4].status = "pending".into();
        file.partners[4].subjects = vec![
            wire::PartnerSubjectResult {
                subject: pseudonym("d0"),
                status: "hit".into(),
                ..Default::default()
            },
            wire::PartnerSubjectResult {
                subject: pseudonym("5a"),
                status: "asked".into(),
                ..Default::default()
            },
        ];
        let text = case_file(&file);
        assert!(
            text.contains("Zorgcollectief Amstel — asked, waiting for its answer"),
            "{text}"
        );
        assert!(
            text.contains("per subject: \"buurman\" (dader) hit · subject 5a5a5a5a5a5a… asked"),
            "{text}"
        );
    }

    #[test]
    fn a_case_list_shows_the_contact_deadline() {
        let now = time::macros::datetime!(2026-11-20 12:00 UTC);
        let due = crate::when::to_timestamp(time::macros::datetime!(2026-11-24 12:00 UTC));
        let text = case_list(
            &[wire::CaseSummary {
                id: "C-2026-0001".into(),
                stadsdeel: "oost".into(),
                phase: "melding".into(),
                contact: Some(wire::ContactDeadline {
                    due_at: Some(due),
                    status: "open".into(),
                    ..Default::default()
                }),
                daders: 1,
                slachtoffers: 1,
                caller_access: "case-team".into(),
                escalated: true,
                ..Default::default()
            }],
            now,
        );
        assert!(
            text.contains("open — contact the melder by Tue 2026-11-24 13:00 CET (in 4 d)"),
            "{text}"
        );
        assert!(text.contains("1 dader, 1 slachtoffer"), "{text}");
        assert!(text.contains("[escalated]"), "{text}");
    }

    #[test]
    fn a_bevraging_lists_every_partner() {
        let subjects = [wire::Subject {
            subject: pseudonym("d0"),
            role: "dader".into(),
            label: "buurman".into(),
            ..Default::default()
        }];
        let text = bevraging(
            &wire::BevragingResult {
                case_id: "C-2026-0001".into(),
                subject: pseudonym("d0"),
                purpose: "registratie".into(),
                partners: vec![
                    wire::PartnerHit {
                        party: politie(),
                        result: "hit".into(),
                        ..Default::default()
                    },
                    wire::PartnerHit {
                        party: om(),
                        result: "not-asked".into(),
                        articles: vec!["6.4".into()],
                        ..Default::default()
                    },
                    wire::PartnerHit {
                        party: ggd(),
                        result: "no-answer".into(),
                        no_answer_reason: "offline".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
            &subjects,
        );
        assert!(
            text.contains("Bevraging on case C-2026-0001 about \"buurman\" (dader)"),
            "{text}"
        );
        assert!(
            !text.contains("d0d0d0"),
            "subject by label, not pseudonym: {text}"
        );
        assert!(text.contains("HIT"), "{text}");
        assert!(text.contains("not asked — art. 6.4"), "{text}");
        assert!(text.contains("no answer — offline"), "{text}");
        assert!(text.contains("1 partner(s) know the subject"), "{text}");
    }

    #[test]
    fn a_refusal_says_who_you_are() {
        let me = wire::Person {
            name: String::new(),
            id: "p-gemeente-001".into(),
            party: party("00000001000000000001", "Gemeente Amsterdam", "gemeente"),
            roles: vec!["informatiemakelaar".into()],
            stadsdeel: "oost".into(),
        };
        assert_eq!(
            you_are(&me),
            "your certificate is for person p-gemeente-001 of Gemeente Amsterdam, role informatiemakelaar, stadsdeel oost"
        );
    }

    #[test]
    fn people_appear_by_their_registered_name() {
        let mut me = wire::Person {
            id: "p-gemeente-001".into(),
            name: "Anna Testpersoon".into(),
            party: Some(wire::Party {
                oin: "00000001000000000001".into(),
                name: "Gemeente Amsterdam".into(),
                kind: "gemeente".into(),
            }),
            roles: vec!["informatiemakelaar".into()],
            stadsdeel: "oost".into(),
        };
        assert_eq!(
            person_words(Some(&me)),
            "Anna Testpersoon (informatiemakelaar oost, Gemeente Amsterdam)"
        );
        assert_eq!(person_name(&me), "Anna Testpersoon");
        assert_eq!(
            you_are(&me),
            "your certificate is for Anna Testpersoon (person p-gemeente-001) of Gemeente Amsterdam, role informatiemakelaar, stadsdeel oost"
        );
        assert!(
            whoami(&me, "https://127.0.0.1:1")
                .starts_with("You are Anna Testpersoon (p-gemeente-001) of Gemeente Amsterdam")
        );
        // A registry without names: the id, said to be a person's.
        me.name.clear();
        assert_eq!(person_name(&me), "person p-gemeente-001");
        // A name from the registry is text from outside: escaped.
        me.name = "Anna\u{1b}[31m".into();
        assert!(!person_name(&me).contains('\u{1b}'));
    }

    #[test]
    fn withheld_and_not_asked_lines_give_the_reason_and_the_fix() {
        let victim = wire::Subject {
            subject: pseudonym("5a"),
            role: "slachtoffer".into(),
            label: "melder".into(),
            ..Default::default()
        };
        let file = wire::CaseFile {
            id: "CF-2026-0002-0001".into(),
            case_id: "C-2026-0002".into(),
            subjects: vec![victim],
            partners: vec![
                wire::PartnerResult {
                    party: party("00000001000000000001", "Gemeente Amsterdam", "gemeente"),
                    status: "withheld".into(),
                    articles: vec!["11.3".into(), "6.9".into()],
                    entries: vec![wire::CaseFileEntry {
                        source: party("00000001000000000001", "Gemeente Amsterdam", "gemeente"),
                        category: "slachtofferinformatie".into(),
                        subject: pseudonym("5a"),
                        subject_role: "slachtoffer".into(),
                        decision: Some(wire::ShareDecision {
                            outcome: "deny".into(),
                            articles: vec!["11.3".into()],
                            ..Default::default()
                        }),
                        decided_by: "hub".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                wire::PartnerResult {
                    party: party("00000003000000000003", "Openbaar Ministerie", "om"),
                    status: "not-asked".into(),
                    articles: vec!["6.4".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let text = case_file(&file);
        assert!(
            text.contains("why: no consent recorded for slachtofferinformatie of subject \"melder\" (slachtoffer) (art. 11.3): record it with `hubctl consent record C-2026-0002 --subject melder --category slachtofferinformatie`"),
            "{text}"
        );
        assert!(
            text.contains("Openbaar Ministerie — not asked — art. 6.4\n  why: justitiele-gegevens only for the stadsdeelregisseur, in aanpak, and only about a dader (art. 6.4)"),
            "{text}"
        );
    }

    #[test]
    fn every_reason_an_agent_gives_for_no_answer_is_in_words() {
        for reason in [
            "deadline",
            "offline",
            "queue-expired",
            "source-unavailable",
            "expired",
            "unsupported-category",
            "covenant-version-mismatch",
        ] {
            let text = no_answer_words(reason, "");
            // A sentence, not the machine word in parentheses.
            assert!(text.starts_with("no answer"), "{reason}: {text}");
            assert!(!text.contains(&format!("({reason})")), "{reason}: {text}");
        }
    }
}
