//! Notifications to privacy officers (articles 7.1, 7.2), emergency reviews (15.2) and
//! covenant proposals awaiting their party's approval (13.1).
//!
//! The notifications themselves are stored by the case-file code when a share is decided
//! ([`crate::casefile::notices`], `Space::Notifications`, keyed `<OIN>/<time>/<file>/<n>`),
//! and by the covenant code when a version is proposed ([`crate::covenants::notify`]);
//! a notification's id is that key without the OIN. What the officer does with one (seen,
//! reviewed) is stored beside it under `state/<OIN>/<id>`, so the notification record
//! written with the decision is never rewritten.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tonic::Status;
use treiter_proto::calendar;
use treiter_proto::v1 as wire;

use super::{Officer, idempotency, render};
use crate::casefile::notices::Notice;
use crate::covenants::notify;
use crate::service::coordinator::timestamp;
use crate::state::Hub;
use crate::store::{Batch, Space};

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
    ) -> Result<Self, Status> {
        let proposal = match notify::version_of(&notice) {
            Some(version) => {
                let awaiting = crate::covenants::record::get(hub.store.as_ref(), version)
                    .map_err(store_error)?
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

/// The id of the notification stored under `key` (without the party's OIN and `/`):
/// `<time, 24 digits>/<file>/<n, 4 digits>` becomes `<time>.<file>.<n>` without the
/// leading zeros (one word on a command line).
fn id_of(key_rest: &str) -> String {
    let mut parts = key_rest.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(time), Some(file), Some(n)) => {
            let trim = |s: &str| {
                let t = s.trim_start_matches('0');
                if t.is_empty() {
                    "0".to_owned()
                } else {
                    t.to_owned()
                }
            };
            format!("{}.{file}.{}", trim(time), trim(n))
        }
        _ => key_rest.replace('/', "."),
    }
}

/// The store key of a notification id; `None` for text that is not one.
fn key_of(party: &str, id: &str) -> Option<Vec<u8>> {
    let (time, rest) = id.split_once('.')?;
    let (file, n) = rest.rsplit_once('.')?;
    let time: u128 = time.parse().ok()?;
    let n: u32 = n.parse().ok()?;
    if file.is_empty() || file.contains('/') {
        return None;
    }
    Some(format!("{party}/{time:024}/{file}/{n:04}").into_bytes())
}

fn state_key(party: &str, id: &str) -> Vec<u8> {
    format!("state/{party}/{id}").into_bytes()
}

fn store_error(e: impl std::fmt::Display) -> Status {
    Status::unavailable(format!("the hub's store failed: {e}; retry"))
}

fn load_state(hub: &Hub, party: &str, id: &str) -> Result<NoticeState, Status> {
    Ok(hub
        .store
        .get(Space::Notifications, &state_key(party, id))
        .map_err(store_error)?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default())
}

/// Every notification to `party`, oldest first.
fn all(hub: &Hub, party: &str) -> Result<Vec<Stored>, Status> {
    let prefix = format!("{party}/");
    let mut out = Vec::new();
    for (key, value) in hub
        .store
        .scan(Space::Notifications, prefix.as_bytes())
        .map_err(store_error)?
    {
        let Some(rest) = std::str::from_utf8(&key)
            .ok()
            .and_then(|k| k.strip_prefix(&prefix))
        else {
            continue;
        };
        let Ok(notice) = serde_json::from_slice::<Notice>(&value) else {
            continue;
        };
        let id = id_of(rest);
        let state = load_state(hub, party, &id)?;
        out.push(Stored::new(hub, party, id, notice, state)?);
    }
    Ok(out)
}

/// The named notifications of `party`; NOT_FOUND naming the first unknown id.
fn named(hub: &Hub, party: &str, ids: &[String]) -> Result<Vec<Stored>, Status> {
    if ids.is_empty() {
        return Err(Status::invalid_argument(
            "notification_ids: name one or more notifications",
        ));
    }
    let mut out = Vec::new();
    for id in ids {
        let stored = match key_of(party, id) {
            Some(key) => hub
                .store
                .get(Space::Notifications, &key)
                .map_err(store_error)?,
            None => None,
        };
        let notice = stored
            .and_then(|b| serde_json::from_slice::<Notice>(&b).ok())
            .ok_or_else(|| {
                Status::not_found(format!(
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

fn page(size: u32, token: &str) -> Result<(usize, usize), Status> {
    let size = match size {
        0 => DEFAULT_PAGE,
        n => usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
    };
    let offset = if token.is_empty() {
        0
    } else {
        token
            .parse::<usize>()
            .map_err(|_| Status::invalid_argument("page_token: not a token this hub gave out"))?
    };
    Ok((size, offset))
}

pub async fn list_notifications(
    hub: &Hub,
    officer: &Officer,
    request: wire::ListNotificationsRequest,
) -> Result<wire::ListNotificationsResponse, Status> {
    for k in &request.kinds {
        if !KINDS.contains(&k.as_str()) {
            return Err(Status::invalid_argument(format!(
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
    idem: Option<(Vec<u8>, Vec<u8>)>,
) -> Result<(), Status> {
    let mut batch = Batch::new();
    for s in changed {
        let bytes = serde_json::to_vec(&s.state).map_err(store_error)?;
        let key = state_key(party, &s.id);
        if s.proposal.is_some() {
            // A covenant proposal belongs to no case: the hub-wide key seals its state,
            // as it sealed the notice (crate::covenants::notify).
            batch.put_for_case(
                crate::seal::sealed_store::TRANSIT,
                Space::Notifications,
                key,
                bytes,
            );
        } else {
            batch.put(Space::Notifications, key, bytes);
        }
    }
    if let Some((key, value)) = idem {
        batch.put(Space::Idempotency, key, value);
    }
    hub.store.apply(batch).map_err(store_error)
}

pub async fn acknowledge_notification(
    hub: &Hub,
    officer: &Officer,
    request: wire::AcknowledgeNotificationRequest,
) -> Result<wire::NotificationsUpdate, Status> {
    let _writing = super::WRITES.lock().await;
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
) -> Result<wire::NotificationsUpdate, Status> {
    if request.verdict != "justified" && request.verdict != "not-justified" {
        return Err(Status::invalid_argument(format!(
            "verdict: unknown verdict {:?}; expected \"justified\" or \"not-justified\"",
            request.verdict
        )));
    }
    // Kept with the review and shown to the party's privacy officers.
    treiter_proto::text::check_text("note", &request.note, MAX_NOTE_CHARS)
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
    let _writing = super::WRITES.lock().await;
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
            return Err(Status::failed_precondition(format!(
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
            return Err(Status::already_exists(format!(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_lead_back_to_their_key() {
        let rest = "000001795000000000000000/CF-2026-0001-0002/0003";
        let id = id_of(rest);
        assert_eq!(id, "1795000000000000000.CF-2026-0001-0002.3");
        assert_eq!(
            key_of("00000005000000000006", &id),
            Some(format!("00000005000000000006/{rest}").into_bytes())
        );
        for bad in ["", "x", "1.2", "a.CF.1", "1./.1", "1.CF.x"] {
            assert_eq!(key_of("p", bad), None, "{bad}");
        }
    }
}
