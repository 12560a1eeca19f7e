//! Telling privacy officers that a proposal awaits their party's approval (article
//! 13.1), with the notifications they already read for refused shares and emergency
//! reviews ([`crate::officer::notices`], [`crate::tables::notifications`]).
//!
//! A proposal raises one notification for each party of the covenant in force other
//! than the proposer's, in the same store batch that stores the proposal. It is kind
//! `covenant-proposal`, article 13.1, and points to the proposal's log entry. It stays
//! open until an officer of the party acknowledges it or approves the version, or the
//! version can no longer be approved (it took effect or was superseded); the listing
//! works that out ([`awaits_approval`]).

use time::OffsetDateTime;

use super::record::{VersionRecord, VersionStatus};
use crate::casefile::notices::Notice;
use crate::parties::PartyDirectory;
use crate::store::Batch;

/// The article a proposal notification cites.
pub const ARTICLE: &str = "13.1";
/// Its kind, as `PrivacyNotification.kind` says it.
pub const KIND: &str = "covenant-proposal";

/// The `file_id` a proposal notification carries: the version, in a form that no case
/// file id takes.
fn file_id(version: u32) -> String {
    format!("covenant-{version}")
}

/// The version a proposal notification is about; `None` for any other notice.
pub fn version_of(notice: &Notice) -> Option<u32> {
    if notice.article != ARTICLE {
        return None;
    }
    notice.file_id.strip_prefix("covenant-")?.parse().ok()
}

/// Adds to `batch` a notification of `record`'s proposal for every party in `parties`
/// except `proposer` (an OIN); returns how many.
pub fn on_proposed(
    batch: &mut Batch,
    parties: &PartyDirectory,
    proposer: &str,
    record: &VersionRecord,
    leaf_index: u64,
    at: OffsetDateTime,
) -> usize {
    let notice = Notice {
        article: ARTICLE.to_owned(),
        case_id: String::new(),
        file_id: file_id(record.version),
        category: String::new(),
        recipient_person: String::new(),
        at,
        log_leaf_index: Some(leaf_index),
        entry_position: None,
    };
    let mut raised = 0;
    for party in parties.iter().filter(|p| p.oin.as_str() != proposer) {
        // It names no case: the table seals it under the hub-wide key (and its state
        // too, see `notices::save`).
        crate::tables::notifications::put_notice(batch, party.oin.as_str(), &notice, 0);
        raised += 1;
    }
    raised
}

/// Whether `party` (an OIN) still has to decide on `record`: it is proposed and no
/// officer of the party approved it.
pub fn awaits_approval(record: &VersionRecord, party: &str) -> bool {
    record.status == VersionStatus::Proposed
        && !record.approvals.iter().any(|a| a.by.party == party)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covenants::record::{ActorRecord, ApprovalRecord};
    use crate::identity::Oin;
    use crate::parties::Party;
    use treiter_policies::PartyKind;

    fn record() -> VersionRecord {
        VersionRecord {
            version: 2,
            status: VersionStatus::Proposed,
            text: String::new(),
            sha256: String::new(),
            description: String::new(),
            proposed_at_ms: None,
            proposed_by: None,
            approvals: Vec::new(),
            in_force_from_ms: None,
            superseded_at_ms: None,
            superseded_by: 0,
        }
    }

    #[test]
    fn every_other_party_is_notified_once() {
        let party = |oin: &str, kind| Party {
            oin: Oin::parse(oin).unwrap(),
            name: oin.into(),
            kind,
        };
        let parties = PartyDirectory::new([
            party("00000001000000000001", PartyKind::Gemeente),
            party("00000002000000000002", PartyKind::Politie),
            party("00000005000000000006", PartyKind::Zorgpartner),
        ]);
        let mut batch = Batch::new();
        let raised = on_proposed(
            &mut batch,
            &parties,
            "00000002000000000002",
            &record(),
            7,
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(raised, 2, "all but the proposer's party");
        let notice = Notice {
            article: ARTICLE.into(),
            case_id: String::new(),
            file_id: file_id(2),
            category: String::new(),
            recipient_person: String::new(),
            at: OffsetDateTime::UNIX_EPOCH,
            log_leaf_index: Some(7),
            entry_position: None,
        };
        assert_eq!(version_of(&notice), Some(2));
        let reject = Notice {
            article: "7.1".into(),
            ..notice
        };
        assert_eq!(version_of(&reject), None);
    }

    #[test]
    fn a_party_that_approved_or_a_version_that_took_effect_awaits_nothing() {
        let mut r = record();
        assert!(awaits_approval(&r, "00000001000000000001"));
        r.approvals.push(ApprovalRecord {
            by: ActorRecord {
                party: "00000001000000000001".into(),
                person: "p-gemeente-090".into(),
            },
            at_ms: 0,
            sha256: String::new(),
        });
        assert!(!awaits_approval(&r, "00000001000000000001"));
        assert!(awaits_approval(&r, "00000005000000000006"));
        r.status = VersionStatus::InForce;
        assert!(!awaits_approval(&r, "00000005000000000006"));
    }
}
