//! The privacy officers' questions to the hub (the `PrivacyOfficer` service) as data:
//! the decision log (article 10.3), notifications and emergency reviews (articles 7 and
//! 15.2), and inzage (article 11). `hubctl log`, `notifications` and `inzage`
//! ([`crate::officer`]) print what these return; the console's officer pages
//! ([`crate::console::pages::officer`]) render it. Each call is made exactly as the
//! command line made it before the two shared it: the same request, one retry with the
//! same `client_request_id`, every page of a paged answer.

use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, OfficerClient, Retry};
use crate::when::to_timestamp;

/// Which log entries to read (`hubctl log entries`' options; the console's filter
/// form). Filters left empty match everything the caller's party may see; they combine
/// with AND.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only entries about this case.
    pub case_id: Option<String>,
    /// Only entries logged at or after this moment.
    pub from: Option<OffsetDateTime>,
    /// Only entries logged before this moment (the wire's period is half-open).
    pub until: Option<OffsetDateTime>,
    /// Only entries of these kinds (`LOG_KINDS`).
    pub kinds: Vec<String>,
    /// Only share decisions with these outcomes (`OUTCOMES`).
    pub outcomes: Vec<String>,
    /// Only entries about these categories (article 6).
    pub categories: Vec<String>,
    /// Only share decisions for these purposes (article 3.1).
    pub purposes: Vec<String>,
    /// Only entries about this subject (its pseudonym in hex).
    pub subject: Option<String>,
    /// `provided` or `received`; `None` for both.
    pub direction: Option<String>,
    /// Only emergency shares (article 15.5).
    pub emergency_only: bool,
}

impl LogFilter {
    /// The QueryLog request for this filter, from leaf `from_leaf` on, at most `max`
    /// entries (0: no limit), with each entry's bytes when `include_entry`.
    pub fn request(&self, from_leaf: u64, max: u32, include_entry: bool) -> wire::QueryLogRequest {
        wire::QueryLogRequest {
            case_id: self.case_id.clone().unwrap_or_default(),
            period: period(self.from, self.until),
            kinds: self.kinds.clone(),
            outcomes: self.outcomes.clone(),
            categories: self.categories.clone(),
            purposes: self.purposes.clone(),
            subject: self
                .subject
                .clone()
                .map(|hex| wire::SubjectPseudonym { hex }),
            direction: self.direction.clone().unwrap_or_default(),
            emergency_only: self.emergency_only,
            from_leaf_index: from_leaf,
            max_entries: max,
            include_entry,
        }
    }
}

/// A period for the wire; `None` when neither end is given.
pub fn period(from: Option<OffsetDateTime>, until: Option<OffsetDateTime>) -> Option<wire::Period> {
    if from.is_none() && until.is_none() {
        return None;
    }
    Some(wire::Period {
        from: from.map(to_timestamp),
        until: until.map(to_timestamp),
    })
}

/// Reads every entry of a QueryLog stream.
pub async fn query_log(
    hub: &mut Hub,
    req: wire::QueryLogRequest,
) -> Result<Vec<wire::LogEntry>, Error> {
    hub.call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
        let r = req.clone();
        async move {
            let mut stream = c.query_log(r).await?.into_inner();
            let mut entries = Vec::new();
            while let Some(entry) = stream.message().await? {
                entries.push(entry);
            }
            Ok(tonic::Response::new(entries))
        }
    })
    .await
}

/// Log entry `index` with its bytes as logged, if the caller's party may see it
/// (article 10.3); `None` when there is no such entry or it is another party's (the
/// hub skips entries a party may not see, so the first one it sends from `index` on
/// is then another).
pub async fn log_entry(hub: &mut Hub, index: u64) -> Result<Option<wire::LogEntry>, Error> {
    let entries = query_log(
        hub,
        wire::QueryLogRequest {
            from_leaf_index: index,
            max_entries: 1,
            include_entry: true,
            ..Default::default()
        },
    )
    .await?;
    Ok(entries.into_iter().find(|e| e.leaf_index == index))
}

/// The latest signed checkpoint of the log, with the witnesses' cosignatures the hub
/// received for it.
pub async fn latest_checkpoint(hub: &mut Hub) -> Result<wire::LogCheckpoint, Error> {
    hub.call_as(
        Retry::Once,
        CALL_TIMEOUT,
        |mut c: OfficerClient| async move {
            c.get_checkpoint(wire::GetCheckpointRequest { tree_size: 0 })
                .await
        },
    )
    .await
}

/// Which notifications to list (`hubctl notifications list`'s options; the console's
/// filter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    /// Only these kinds (`reject`, `emergency-review`); empty for both.
    pub kinds: Vec<String>,
    /// Only notifications not yet done.
    pub open_only: bool,
    /// Only notifications about this case.
    pub case_id: Option<String>,
    /// Only notifications raised at or after this moment.
    pub from: Option<OffsetDateTime>,
    /// Only notifications raised before this moment.
    pub until: Option<OffsetDateTime>,
}

/// The notifications of [`list_notifications`], with the hub's counts over all of the
/// party's notifications.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NotificationList {
    /// Newest first.
    pub notifications: Vec<wire::PrivacyNotification>,
    /// How many are open (a reject not acknowledged, a review not recorded).
    pub open: u32,
    /// How many emergency reviews are past their due time unreviewed.
    pub overdue: u32,
}

/// Every notification to the caller's party's privacy officer that `filter` admits
/// (all pages of ListNotifications).
pub async fn list_notifications(
    hub: &mut Hub,
    filter: &NotificationFilter,
) -> Result<NotificationList, Error> {
    let mut req = wire::ListNotificationsRequest {
        kinds: filter.kinds.clone(),
        open_only: filter.open_only,
        period: period(filter.from, filter.until),
        case_id: filter.case_id.clone().unwrap_or_default(),
        page_size: 1000,
        page_token: String::new(),
    };
    let mut all = Vec::new();
    loop {
        let page = hub
            .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                let r = req.clone();
                async move { c.list_notifications(r).await }
            })
            .await?;
        all.extend(page.notifications);
        if page.next_page_token.is_empty() {
            return Ok(NotificationList {
                notifications: all,
                open: page.open,
                overdue: page.overdue,
            });
        }
        req.page_token = page.next_page_token;
    }
}

/// Marks notifications `ids` as seen; returns them as they are now. `request_id` is the
/// idempotency key (the same one on a retry, so the hub does it once).
pub async fn acknowledge_notifications(
    hub: &mut Hub,
    request_id: &str,
    ids: &[String],
) -> Result<Vec<wire::PrivacyNotification>, Error> {
    let req = wire::AcknowledgeNotificationRequest {
        client_request_id: request_id.to_owned(),
        notification_ids: ids.to_vec(),
    };
    let update = hub
        .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
            let r = req.clone();
            async move { c.acknowledge_notification(r).await }
        })
        .await?;
    Ok(update.notifications)
}

/// Records the review of emergency shares `ids` (article 15.2): `verdict` is
/// `justified` or `not-justified`, `note` optional. Returns them as they are now.
pub async fn record_review(
    hub: &mut Hub,
    request_id: &str,
    ids: &[String],
    verdict: &str,
    note: &str,
) -> Result<Vec<wire::PrivacyNotification>, Error> {
    let req = wire::RecordReviewRequest {
        client_request_id: request_id.to_owned(),
        notification_ids: ids.to_vec(),
        verdict: verdict.to_owned(),
        note: note.to_owned(),
    };
    let update = hub
        .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
            let r = req.clone();
            async move { c.record_review(r).await }
        })
        .await?;
    Ok(update.notifications)
}

/// Produces the inzage overview for the subject with pseudonym `subject` (article
/// 11.1), received on `received_on` (`YYYY-MM-DD`), with the gemeente's own
/// `reference` (may be empty).
pub async fn request_inzage(
    hub: &mut Hub,
    request_id: &str,
    subject: &str,
    received_on: &str,
    reference: &str,
) -> Result<wire::InzageReport, Error> {
    let req = wire::InzageRequest {
        client_request_id: request_id.to_owned(),
        subject: Some(wire::SubjectPseudonym {
            hex: subject.to_owned(),
        }),
        received_on: received_on.to_owned(),
        reference: reference.to_owned(),
    };
    hub.call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
        let r = req.clone();
        async move { c.request_inzage(r).await }
    })
    .await
}

/// Every inzage request of the caller's party, newest first, without items and
/// documents (all pages of ListInzages).
pub async fn list_inzages(hub: &mut Hub) -> Result<Vec<wire::InzageReport>, Error> {
    let mut req = wire::ListInzagesRequest {
        page_size: 1000,
        page_token: String::new(),
    };
    let mut all = Vec::new();
    loop {
        let page = hub
            .call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
                let r = req.clone();
                async move { c.list_inzages(r).await }
            })
            .await?;
        all.extend(page.inzages);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        req.page_token = page.next_page_token;
    }
}

/// One inzage overview produced earlier by the caller's party, with its items and
/// documents.
pub async fn get_inzage(hub: &mut Hub, id: &str) -> Result<wire::InzageReport, Error> {
    let req = wire::GetInzageRequest {
        inzage_id: id.to_owned(),
    };
    hub.call_as(Retry::Once, CALL_TIMEOUT, |mut c: OfficerClient| {
        let r = req.clone();
        async move { c.get_inzage(r).await }
    })
    .await
}
