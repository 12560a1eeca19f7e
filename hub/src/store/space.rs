//! The keyspaces of the store. The module is private: [`Space`] is `pub` only so that
//! the public [`Store`](super::Store) trait can take it; no code outside the crate can
//! name it, and inside the crate only the store, the sealing layer and the table
//! modules do (`crate::tables::tests` checks).

use std::fmt;

/// A keyspace of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    /// Case records, by case id.
    Cases,
    /// Case events (the case's own history), by case id, `/`, sequence: the key must
    /// begin with the case id and a `/` (the sealing layer takes the case from it).
    CaseEvents,
    /// Counters and other small hub-wide values.
    Meta,
    /// Idempotency records of change requests, by person + client request id.
    Idempotency,
    /// Questions queued for agents (store-and-forward), by party OIN + request id.
    Outbox,
    /// Case files, by case-file id, with their owner and queued-request indexes.
    CaseFiles,
    /// Notifications for privacy officers (articles 7, 15.2), by party OIN + sequence.
    Notifications,
    /// Answers to queued questions, kept from the moment the question leaves the outbox
    /// until their reader has stored what it made of them, by request id.
    LateAnswers,
    /// Versions of the encoded covenant (article 13) and the idempotency records of
    /// proposals and approvals; see [`crate::covenants::record`].
    CovenantVersions,
    /// Inzage requests and their overviews (article 11), by inzage id.
    Inzages,
    /// Case-file records queued for the recipient party's agent until it acknowledges
    /// them, by party OIN + case id + delivery id ([`crate::deliveries`]).
    Deliveries,
    /// Which parties hold delivered data of a case and the retention notice sent to
    /// them, by case id + party OIN; ids and a time only.
    DeliveryHolders,
    /// The witness key each party's agent presented (article 10.2), by party OIN.
    WitnessKeys,
    /// Which hub replica each party's agent is linked to now, by party OIN
    /// ([`crate::relay`]); a replica id and times only.
    AgentLinks,
    /// Questions, answers and nudges one hub replica hands another through the shared
    /// store, by target replica + sender replica + sequence ([`crate::relay`]).
    Relay,
}

impl Space {
    /// The one-byte prefix of the space's keys. Never renumber: stored data uses these.
    pub(crate) const fn prefix(self) -> u8 {
        match self {
            Space::Cases => 1,
            Space::CaseEvents => 2,
            Space::Meta => 3,
            Space::Idempotency => 4,
            Space::Outbox => 5,
            Space::CaseFiles => 6,
            Space::Notifications => 7,
            Space::LateAnswers => 8,
            Space::CovenantVersions => 10,
            Space::Inzages => 9,
            Space::Deliveries => 14,
            Space::DeliveryHolders => 15,
            Space::WitnessKeys => 12,
            Space::AgentLinks => 16,
            Space::Relay => 17,
        }
    }

    pub(super) fn key(self, key: &[u8]) -> Vec<u8> {
        let mut full = Vec::with_capacity(key.len() + 1);
        full.push(self.prefix());
        full.extend_from_slice(key);
        full
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Space::Cases => "cases",
            Space::CaseEvents => "case-events",
            Space::Meta => "meta",
            Space::Idempotency => "idempotency",
            Space::Outbox => "outbox",
            Space::CaseFiles => "case-files",
            Space::Notifications => "notifications",
            Space::LateAnswers => "late-answers",
            Space::CovenantVersions => "covenant-versions",
            Space::Inzages => "inzages",
            Space::Deliveries => "deliveries",
            Space::DeliveryHolders => "delivery-holders",
            Space::WitnessKeys => "witness-keys",
            Space::AgentLinks => "agent-links",
            Space::Relay => "relay",
        };
        f.write_str(name)
    }
}

impl Space {
    /// Whether the space's records may hold personal data and are therefore sealed
    /// under their case's key ([`crate::seal::SealedStore`]). A new space must decide
    /// here, and be added to [`Space::ALL`] (retention scans the sealed spaces in it).
    pub const fn is_sealed(self) -> bool {
        match self {
            Space::Cases
            | Space::CaseEvents
            | Space::Idempotency
            | Space::Outbox
            | Space::CaseFiles
            | Space::LateAnswers
            | Space::Inzages
            | Space::Notifications
            | Space::Deliveries
            // Questions carry pseudonyms, answers field values: sealed under the
            // hub-wide transit key for the moment they are in the store.
            | Space::Relay => true,
            // Counters; covenant texts and approvals, which hold no personal data;
            // delivery holders: a case id, an OIN, a notice id and a time; witness keys:
            // public keys named after an organisation.
            // Agent links: an OIN, a replica id and times.
            Space::Meta
            | Space::CovenantVersions
            | Space::DeliveryHolders
            | Space::WitnessKeys
            | Space::AgentLinks => false,
        }
    }

    /// Every space, for scans over the whole store.
    pub const ALL: [Space; 15] = [
        Space::Cases,
        Space::CaseEvents,
        Space::Meta,
        Space::Idempotency,
        Space::Outbox,
        Space::CaseFiles,
        Space::Notifications,
        Space::LateAnswers,
        Space::Inzages,
        Space::CovenantVersions,
        Space::Deliveries,
        Space::DeliveryHolders,
        Space::WitnessKeys,
        Space::AgentLinks,
        Space::Relay,
    ];
}
