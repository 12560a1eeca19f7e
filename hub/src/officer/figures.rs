//! Evaluation figures (article 3.3): counts only, computed by the hub itself, with small
//! counts suppressed so that no figure points to a person.
//!
//! Sources: the case registry ([`crate::tables::cases`]: registrations, phases and their history,
//! escalations, contact deadlines, emergencies), the stored case files
//! ([`crate::casefile::record`]: requests and partners that did not answer) and the decision log
//! (share decisions and stripped fields). Nothing but counts leaves this module.
//!
//! A stored case or case file that does not decode is not skipped in silence: it is
//! counted in `unreadable-cases` / `unreadable-case-files` (see [`count_stored`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::cases::model::{Case, ContactStatus, EventKind};
use crate::clock::timestamp;
use crate::error::HubError;
use crate::log::Event;
use crate::state::Hub;

/// Counts from 1 to this minus one are suppressed (a common threshold for published
/// statistics about people; the covenant names none).
pub const MIN_CELL_SIZE: u32 = 5;

/// One cell: measure, stadsdeel, phase, category, outcome.
type Cell = (&'static str, String, String, String, String);

#[derive(Default)]
struct Counts(BTreeMap<Cell, u64>);

impl Counts {
    fn add(
        &mut self,
        measure: &'static str,
        stadsdeel: &str,
        phase: &str,
        category: &str,
        outcome: &str,
        n: u64,
    ) {
        *self
            .0
            .entry((
                measure,
                stadsdeel.to_owned(),
                phase.to_owned(),
                category.to_owned(),
                outcome.to_owned(),
            ))
            .or_default() += n;
    }

    fn per_stadsdeel(&mut self, measure: &'static str, stadsdeel: &str) {
        self.add(measure, stadsdeel, "", "", "", 1);
    }
}

/// The phase a case was in at `at` (its registration phase, melding, until it moved).
fn phase_at(case: &Case, at: OffsetDateTime) -> Option<&'static str> {
    if case.registered_at > at {
        return None;
    }
    let mut phase = treiter_policies::vocab::Phase::Melding;
    for e in case.history.iter().filter(|e| e.at <= at) {
        if let EventKind::PhaseMoved { to, .. } = e.kind {
            phase = to;
        }
    }
    Some(phase.as_str())
}

fn count_cases(counts: &mut Counts, case: &Case, from: OffsetDateTime, until: OffsetDateTime) {
    let within = |t: OffsetDateTime| from <= t && t <= until;
    let sd = case.stadsdeel.as_str();
    if within(case.registered_at) {
        counts.per_stadsdeel("cases-registered", sd);
    }
    if let Some(phase) = phase_at(case, until) {
        counts.add("cases-by-phase", sd, phase, "", "", 1);
    }
    for e in case.history.iter().filter(|e| within(e.at)) {
        match e.kind {
            EventKind::PhaseMoved {
                to: treiter_policies::vocab::Phase::BuitenAanpak,
                ..
            } => {
                counts.per_stadsdeel("cases-buiten-aanpak", sd);
            }
            EventKind::Escalated => counts.per_stadsdeel("cases-escalated", sd),
            _ => {}
        }
    }
    if within(case.contact_due) {
        match case.contact_status(until) {
            ContactStatus::Met => counts.per_stadsdeel("contact-met", sd),
            ContactStatus::Late => counts.per_stadsdeel("contact-late", sd),
            ContactStatus::Overdue => counts.per_stadsdeel("contact-overdue", sd),
            ContactStatus::Open => {}
        }
    }
    let declared = case
        .emergencies
        .iter()
        .filter(|e| within(e.declared_at))
        .count();
    counts.add("emergencies-declared", sd, "", "", "", declared as u64);
}

/// The cells as figures: zero cells left out, counts from 1 to [`MIN_CELL_SIZE`] - 1
/// shown as suppressed.
fn suppressed(counts: Counts) -> Vec<wire::EvaluationFigure> {
    counts
        .0
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((measure, stadsdeel, phase, category, outcome), n)| {
            let suppressed = n < u64::from(MIN_CELL_SIZE);
            wire::EvaluationFigure {
                measure: measure.to_owned(),
                stadsdeel,
                phase,
                category,
                outcome,
                count: if suppressed { 0 } else { n },
                suppressed,
            }
        })
        .collect()
}

pub async fn get_evaluation_figures(
    hub: &Arc<Hub>,
    _reader: &crate::state::Reader,
    request: wire::EvaluationFiguresRequest,
) -> Result<wire::EvaluationFigures, HubError> {
    let (from, until) = super::log_access::period("period", request.period.as_ref())?;
    let (Some(from), Some(until)) = (from, until) else {
        return Err(HubError::invalid_argument(
            "period: required, with both `from` and `until`",
        ));
    };
    // Reading every case, case file and log entry is blocking I/O: off the async
    // threads.
    let counting = Arc::clone(hub);
    let counts = tokio::task::spawn_blocking(move || count(&counting, from, until))
        .await
        .map_err(|e| HubError::internal(format!("counting failed: {e}")))??;
    Ok(wire::EvaluationFigures {
        period: request.period,
        computed_at: Some(timestamp(hub.clock.now())),
        min_cell_size: MIN_CELL_SIZE,
        figures: suppressed(counts),
    })
}

/// Stored records the figures could not include: they do not decode.
#[derive(Debug, Default, PartialEq, Eq)]
struct Unreadable {
    cases: u64,
    case_files: u64,
}

/// Counts the stored cases and case files of the period into `counts`.
///
/// A record that does not decode cannot be counted, and leaving it out silently would
/// make every figure it belongs to too low without anyone knowing. Refusing all figures
/// for one damaged record would leave the privacy officers nothing to report under
/// article 3.3. So the figures are given, and the records left out are figures of
/// their own, `unreadable-cases` and `unreadable-case-files`: a report built on them
/// says it is incomplete, and by how much. They follow the same small-cell rule as every
/// other figure (1 to [`MIN_CELL_SIZE`] - 1 shows as suppressed, which still says
/// "some").
fn count_stored<'a>(
    counts: &mut Counts,
    cases: impl Iterator<Item = Option<&'a Case>>,
    files: impl Iterator<Item = Option<&'a wire::CaseFile>>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Unreadable {
    let mut unreadable = Unreadable::default();
    let mut stadsdeel_of = BTreeMap::new();
    for case in cases {
        let Some(case) = case else {
            unreadable.cases += 1;
            continue;
        };
        count_cases(counts, case, from, until);
        stadsdeel_of.insert(case.id.clone(), case.stadsdeel.as_str());
    }
    for file in files {
        let Some(file) = file else {
            unreadable.case_files += 1;
            continue;
        };
        let requested = file
            .requested_at
            .as_ref()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok());
        if !requested.is_some_and(|t| from <= t && t <= until) {
            continue;
        }
        let sd = stadsdeel_of.get(&file.case_id).copied().unwrap_or_default();
        counts.per_stadsdeel("case-files", sd);
        let silent = file
            .partners
            .iter()
            .filter(|p| p.status == "no-answer")
            .count();
        counts.add("partner-no-answer", "", "", "", "", silent as u64);
    }
    counts.add("unreadable-cases", "", "", "", "", unreadable.cases);
    counts.add(
        "unreadable-case-files",
        "",
        "",
        "",
        "",
        unreadable.case_files,
    );
    unreadable
}

/// Every count of the period.
fn count(hub: &Hub, from: OffsetDateTime, until: OffsetDateTime) -> Result<Counts, HubError> {
    let cases = crate::tables::cases::all(hub.store.as_ref()).map_err(HubError::Store)?;
    let files = crate::casefile::record::all(hub.store.as_ref()).map_err(HubError::Store)?;
    let mut counts = Counts::default();
    let unreadable = count_stored(
        &mut counts,
        cases.iter().map(|(_, case)| case.as_ref().ok()),
        files.iter().map(Option::as_ref),
        from,
        until,
    );
    if unreadable.cases + unreadable.case_files > 0 {
        // For the operator, who must repair the store: how many, never which.
        tracing::warn!(
            cases = unreadable.cases,
            case_files = unreadable.case_files,
            "evaluation figures: stored records that cannot be decoded were left out and \
             counted as unreadable"
        );
    }
    for index in 0..hub.log.tree_size() {
        let stored = hub.log.entry(index).map_err(|e| {
            HubError::unavailable(format!("the decision log could not be read: {e}; retry"))
        })?;
        let Event::ShareDecision(d) = &stored.entry.event else {
            continue;
        };
        if !stored
            .entry
            .time
            .to_datetime()
            .is_some_and(|t| from <= t && t <= until)
        {
            continue;
        }
        let category = d.category.as_str();
        counts.add("share-decisions", "", "", category, d.outcome.as_str(), 1);
        counts.add(
            "fields-stripped",
            "",
            "",
            category,
            "",
            d.fields_stripped.len() as u64,
        );
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_suppressed_and_zero_cells_left_out() {
        let mut counts = Counts::default();
        counts.add("share-decisions", "", "", "huurgegevens", "permit", 7);
        counts.add("share-decisions", "", "", "huurgegevens", "deny", 2);
        counts.add("fields-stripped", "", "", "huurgegevens", "", 0);
        let shown: Vec<(String, u64, bool)> = suppressed(counts)
            .into_iter()
            .map(|f| (f.outcome, f.count, f.suppressed))
            .collect();
        assert_eq!(
            shown,
            [
                ("deny".to_owned(), 0, true),
                ("permit".to_owned(), 7, false)
            ]
        );
    }

    #[test]
    fn records_that_do_not_decode_are_counted_as_unreadable_not_skipped() {
        let mut counts = Counts::default();
        let now = OffsetDateTime::now_utc();
        let unreadable = count_stored(
            &mut counts,
            std::iter::repeat_n(None, 6),
            std::iter::once(None),
            now - time::Duration::days(1),
            now,
        );
        assert_eq!(
            unreadable,
            Unreadable {
                cases: 6,
                case_files: 1
            }
        );
        let shown: Vec<(String, u64, bool)> = suppressed(counts)
            .into_iter()
            .map(|f| (f.measure, f.count, f.suppressed))
            .collect();
        assert_eq!(
            shown,
            [
                ("unreadable-case-files".to_owned(), 0, true),
                ("unreadable-cases".to_owned(), 6, false)
            ]
        );
    }

    #[test]
    fn readable_stores_have_no_unreadable_figures() {
        let mut counts = Counts::default();
        let now = OffsetDateTime::now_utc();
        let unreadable = count_stored(
            &mut counts,
            std::iter::empty(),
            std::iter::empty(),
            now - time::Duration::days(1),
            now,
        );
        assert_eq!(unreadable, Unreadable::default());
        assert!(suppressed(counts).is_empty());
    }
}
