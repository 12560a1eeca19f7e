//! Notifications to privacy officers (articles 7.1, 7.2), emergency reviews (15.2) and
//! covenant proposals awaiting their party's approval (13.1).
//!
//! The notifications themselves are stored by the case-file code when a share is decided
//! ([`crate::casefile::notices`], in [`crate::tables::notifications`], keyed `<OIN>/<time>/<file>/<n>`),
//! and by the covenant code when a version is proposed ([`crate::covenants::notify`]);
//! a notification's id is that key without the OIN. What the officer does with one (seen,
//! reviewed) is stored beside it under `state/<OIN>/<id>`, so the notification record
//! written with the decision is never rewritten.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use treiter_proto::calendar;
use treiter_proto::v1 as wire;

use super::{Officer, idempotency, render};
use crate::casefile::notices::Notice;
use crate::clock::timestamp;
use crate::covenants::notify;
use crate::error::HubError;
use crate::state::Hub;
use crate::store::Batch;
use crate::tables::notifications;

/// The longest review note (RecordReviewRequest.note).
const MAX_NOTE_CHARS: usize = 2000;
/// The default and largest page (ListNotificationsRequest.page_size).
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// What the officer did with a notification.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct NoticeState {
    #[serde(default, with = "time::serde::rfc3339::option")]
    acknowledged_at: Option<OffsetDateTime>,
    #[serde(default)]
    acknowledged_by: String,
    #[serde(default)]
    review: Option<Review>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Review {
    verdict: String,
    /// The reviewer's note. Never logged; the encryption of the store at rest covers it
    /// (article 12.2) once that lands.
    note: String,
    #[serde(with = "time::serde::rfc3339")]
    reviewed_at: OffsetDateTime,
    reviewed_by: String,
    late: bool,
}

/// The kinds of notification, as `ListNotificationsRequest.kinds` names them.
const KINDS: [&str; 3] = ["reject", "emergency-review", notify::KIND];

/// One stored notification with its id and state.
struct Stored {
    id: String,
    notice: Notice,
    state: NoticeState,
    /// For a covenant proposal: the version, and whether it still awaits the party's
    /// approval (see [`notify::awaits_approval`]).
    proposal: Option<(u32, bool)>,
}

impl Stored {
    fn new(
        hub: &Hub,
        party: &str,
        id: String,
        notice: Notice,
        state: NoticeState,
    ) -> Result<Self, HubError> {
        let proposal = match notify::version_of(&notice) {
            Some(version) => {
                let awaiting = crate::covenants::record::get(hub.store.as_ref(), version)
                    .map_err(HubError::Store)?
                    .is_some_and(|record| notify::awaits_approval(&record, party));
                Some((version, awaiting))
            }
            None => None,
        };
        Ok(Stored {
            id,
            notice,
            state,
            proposal,
        })
    }

    fn is_review(&self) -> bool {
        self.notice.article == "15.2"
    }

    fn kind(&self) -> &'static str {
        if self.is_review() {
            "emergency-review"
        } else if self.proposal.is_some() {
            notify::KIND
        } else {
            "reject"
        }
    }

    /// A proposal the party approved, or that can no longer be approved.
    fn is_settled(&self) -> bool {
        self.proposal.is_some_and(|(_, awaiting)| !awaiting)
    }

    fn review_due(&self) -> Option<OffsetDateTime> {
        self.is_review()
            .then(|| calendar::add_working_days(self.notice.at, 1))
    }

    fn is_open(&self) -> bool {
        if self.is_review() {
            self.state.review.is_none()
        } else {
            self.state.acknowledged_at.is_none() && !self.is_settled()
        }
    }

    fn overdue(&self, now: OffsetDateTime) -> bool {
        self.state.review.is_none() && self.review_due().is_some_and(|due| now > due)
    }
}

fn load_state(hub: &Hub, party: &str, id: &str) -> Result<NoticeState, HubError> {
    Ok(notifications::state(hub.store.as_ref(), party, id)
        .map_err(HubError::Store)?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default())
}

/// Every notification to `party`, oldest first.
fn all(hub: &Hub, party: &str) -> Result<Vec<Stored>, HubError> {
    let mut out = Vec::new();
    for (id, notice) in
        notifications::notices(hub.store.as_ref(), party).map_err(HubError::Store)?
    {
        let Ok(notice) = notice else {
            continue;
        };
        let state = load_state(hub, party, &id)?;
        out.push(Stored::new(hub, party, id, notice, state)?);
    }
    Ok(out)
}

/// The named notifications of `party`; NOT_FOUND naming the first unknown id.
fn named(hub: &Hub, party: &str, ids: &[String]) -> Result<Vec<Stored>, HubError> {
    if ids.is_empty() {
        return Err(HubError::invalid_argument(
            "notification_ids: name one or more notifications",
        ));
    }
    let mut out = Vec::new();
    for id in ids {
        let notice = notifications::notice(hub.store.as_ref(), party, id)
            .map_err(HubError::Store)?
            .and_then(Result::ok)
            .ok_or_else(|| {
                HubError::not_found(format!(
                    "notification {id} is not a notification to your party; nothing was changed"
                ))
            })?;
        let state = load_state(hub, party, id)?;
        out.push(Stored::new(hub, party, id.clone(), notice, state)?);
    }
    Ok(out)
}

fn wire_person_of(hub: &Hub, officer_party: &Officer, person: &str) -> wire::Person {
    // The person who acknowledged or reviewed is a privacy officer of this party.
    render::person(
        hub,
        render::engine_oin(&officer_party.party.oin),
        treiter_policies::vocab::Role::PrivacyOfficer,
        person,
    )
}

fn wire_notice(
    hub: &Hub,
    officer: &Officer,
    s: &Stored,
    now: OffsetDateTime,
) -> wire::PrivacyNotification {
    let entry = s
        .notice
        .log_leaf_index
        .and_then(|i| hub.log.entry(i).ok())
        .map(|stored| render::log_entry(hub, &stored, false));
    let emergency = if s.is_review() {
        hub.cases
            .load(&s.notice.case_id)
            .ok()
            .flatten()
            .and_then(|case| {
                case.emergencies
                    .iter()
                    .rev()
                    .find(|e| {
                        e.declared_by.person == s.notice.recipient_person
                            && e.declared_at <= s.notice.at
                    })
                    .cloned()
            })
            .map(|e| wire::CaseEmergency {
                declared_by: treiter_policies::request::Oin::parse(&e.declared_by.party)
                    .map(|oin| render::person(hub, oin, e.declared_by.role, &e.declared_by.person)),
                declared_at: Some(timestamp(e.declared_at)),
                expires_at: Some(timestamp(e.expires_at)),
                active: e.active_at(now),
                // The reviewing privacy officer reads the written reason (article 15.2).
                reason: e.reason,
            })
    } else {
        None
    };
    let status = if s.state.review.is_some() {
        "reviewed"
    } else if s.state.acknowledged_at.is_some() {
        "acknowledged"
    } else if s.is_settled() {
        "settled"
    } else {
        "open"
    };
    wire::PrivacyNotification {
        id: s.id.clone(),
        kind: s.kind().into(),
        notification: Some(wire::Notification {
            kind: "privacy-officer".into(),
            oin: officer.party.oin.to_string(),
            article: s.notice.article.clone(),
        }),
        raised_at: Some(timestamp(s.notice.at)),
        entry,
        emergency,
        review_due_at: s.review_due().map(timestamp),
        status: status.into(),
        overdue: s.overdue(now),
        acknowledged_at: s.state.acknowledged_at.map(timestamp),
        acknowledged_by: (!s.state.acknowledged_by.is_empty())
            .then(|| wire_person_of(hub, officer, &s.state.acknowledged_by)),
        review: s.state.review.as_ref().map(|r| wire::EmergencyReview {
            verdict: r.verdict.clone(),
            note: r.note.clone(),
            reviewed_at: Some(timestamp(r.reviewed_at)),
            reviewed_by: Some(wire_person_of(hub, officer, &r.reviewed_by)),
            late: r.late,
        }),
        covenant_version: s.proposal.map(|(version, _)| version).unwrap_or(0),
    }
}

fn page(size: u32, token: &str) -> Result<(usize, usize), HubError> {
    let size = match size {
        0 => DEFAULT_PAGE,
        n => usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
    };
    let offset = if token.is_empty() {
        0
    } else {
        token
            .parse::<usize>()
            .map_err(|_| HubError::invalid_argument("page_token: not a token this hub gave out"))?
    };
    Ok((size, offset))
}

pub async fn list_notifications(
    hub: &Hub,
    officer: &Officer,
    request: wire::ListNotificationsRequest,
) -> Result<wire::ListNotificationsResponse, HubError> {
    for k in &request.kinds {
        if !KINDS.contains(&k.as_str()) {
            return Err(HubError::invalid_argument(format!(
                "kinds: unknown kind {k:?}; expected \"reject\", \"emergency-review\" or \"{}\"",
                notify::KIND
            )));
        }
    }
    let (from, until) = super::log_access::period("period", request.period.as_ref())?;
    let (size, offset) = page(request.page_size, &request.page_token)?;
    let now = hub.clock.now();
    let party = officer.party.oin.to_string();
    let mut every = all(hub, &party)?;
    every.reverse(); // newest first
    // The counts are over every notification to the party, whatever the filters.
    let open = every.iter().filter(|s| s.is_open()).count();
    let overdue = every.iter().filter(|s| s.overdue(now)).count();
    let matching: Vec<&Stored> = every
        .iter()
        .filter(|s| request.kinds.is_empty() || request.kinds.iter().any(|k| k == s.kind()))
        .filter(|s| !request.open_only || s.is_open())
        .filter(|s| from.is_none_or(|f| s.notice.at >= f) && until.is_none_or(|u| s.notice.at <= u))
        .filter(|s| request.case_id.is_empty() || s.notice.case_id == request.case_id)
        .collect();
    let next = offset.saturating_add(size);
    Ok(wire::ListNotificationsResponse {
        notifications: matching
            .iter()
            .skip(offset)
            .take(size)
            .map(|s| wire_notice(hub, officer, s, now))
            .collect(),
        next_page_token: if next < matching.len() {
            next.to_string()
        } else {
            String::new()
        },
        open: u32::try_from(open).unwrap_or(u32::MAX),
        overdue: u32::try_from(overdue).unwrap_or(u32::MAX),
    })
}

fn save(
    hub: &Hub,
    party: &str,
    changed: &[Stored],
    idem: Option<crate::tables::idempotency::Record>,
) -> Result<(), HubError> {
    let mut batch = Batch::new();
    for s in changed {
        let bytes = serde_json::to_vec(&s.state).map_err(|e| {
            HubError::internal(format!("cannot encode a notification's state: {e}"))
        })?;
        // Sealed as its notice is: under the notice's case, or the hub-wide key for a
        // covenant proposal, which belongs to no case (crate::covenants::notify).
        notifications::put_state(&mut batch, party, &s.id, &s.notice, bytes);
    }
    if let Some(record) = idem {
        record.put(&mut batch);
    }
    hub.store.apply(batch).map_err(HubError::Store)
}

pub async fn acknowledge_notification(
    hub: &Hub,
    officer: &Officer,
    request: wire::AcknowledgeNotificationRequest,
) -> Result<wire::NotificationsUpdate, HubError> {
    let _writing = super::writing(hub).await?;
    let fingerprint = format!("ack:{:?}", request.notification_ids);
    let party = officer.party.oin.to_string();
    let replayed = idempotency::replay(hub, officer, &request.client_request_id, &fingerprint)?;
    let mut named = named(hub, &party, &request.notification_ids)?;
    let now = hub.clock.now();
    if replayed.is_none() {
        for s in &mut named {
            // The first acknowledgement counts; a later one changes nothing.
            if s.state.acknowledged_at.is_none() {
                s.state.acknowledged_at = Some(now);
                s.state.acknowledged_by = officer.person.id.clone();
            }
        }
        let record = idempotency::record(officer, &request.client_request_id, &fingerprint, "")?;
        save(hub, &party, &named, Some(record))?;
    }
    Ok(wire::NotificationsUpdate {
        notifications: named
            .iter()
            .map(|s| wire_notice(hub, officer, s, now))
            .collect(),
    })
}

pub async fn record_review(
    hub: &Hub,
    officer: &Officer,
    request: wire::RecordReviewRequest,
) -> Result<wire::NotificationsUpdate, HubError> {
    if request.verdict != "justified" && request.verdict != "not-justified" {
        return Err(HubError::invalid_argument(format!(
            "verdict: unknown verdict {:?}; expected \"justified\" or \"not-justified\"",
            request.verdict
        )));
    }
    // Kept with the review and shown to the party's privacy officers.
    treiter_proto::text::check_text("note", &request.note, MAX_NOTE_CHARS)
        .map_err(|e| HubError::invalid_argument(e.to_string()))?;
    let _writing = super::writing(hub).await?;
    let fingerprint = format!(
        "review:{:?}:{}:{}",
        request.notification_ids, request.verdict, request.note
    );
    let party = officer.party.oin.to_string();
    let replayed = idempotency::replay(hub, officer, &request.client_request_id, &fingerprint)?;
    let mut named = named(hub, &party, &request.notification_ids)?;
    let now = hub.clock.now();
    if replayed.is_none() {
        if let Some(s) = named.iter().find(|s| !s.is_review()) {
            return Err(HubError::failed_precondition(format!(
                "notification {} is a {} (art. {}), not an emergency share to review \
                 (art. 15.2); acknowledge it instead; nothing was changed",
                s.id,
                if s.proposal.is_some() {
                    "covenant proposal"
                } else {
                    "rejected share"
                },
                s.notice.article
            )));
        }
        if let Some(s) = named.iter().find(|s| s.state.review.is_some()) {
            return Err(HubError::already_exists(format!(
                "notification {} was reviewed already; nothing was changed",
                s.id
            )));
        }
        for s in &mut named {
            let late = s.review_due().is_some_and(|due| now > due);
            if s.state.acknowledged_at.is_none() {
                s.state.acknowledged_at = Some(now);
                s.state.acknowledged_by = officer.person.id.clone();
            }
            s.state.review = Some(Review {
                verdict: request.verdict.clone(),
                note: request.note.clone(),
                reviewed_at: now,
                reviewed_by: officer.person.id.clone(),
                late,
            });
        }
        let record = idempotency::record(officer, &request.client_request_id, &fingerprint, "")?;
        save(hub, &party, &named, Some(record))?;
    }
    tracing::info!(
        party = %officer.party.oin,
        person = %officer.person.id,
        reviews = named.len(),
        verdict = %request.verdict,
        "emergency shares reviewed"
    );
    Ok(wire::NotificationsUpdate {
        notifications: named
            .iter()
            .map(|s| wire_notice(hub, officer, s, now))
            .collect(),
    })
}
