//! Every keyspace has one table that names its records' owner, and every sealed record
//! kind written through its table is shredded with its case.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use time::macros::datetime;
use treiter_policies::vocab::{Role, Stadsdeel};
use treiter_proto::v1 as wire;

use super::{ALL, Ownership, case_events, cases, deliveries, idempotency, inzages};
use super::{notifications, witness_keys};
use crate::casefile::notices::Notice;
use crate::cases::model::{ActorRef, Case};
use crate::identity::Oin;
use crate::questions::outbox::{Outbox, OutboxEntry};
use crate::seal::sealed_store::recorded_owner;
use crate::seal::{KeyStore, MasterKey, SealedStore};
use crate::store::{Batch, SledStore, Space, Store, StoreError, TRANSIT};
use treiter_policies::vocab::Phase;

const SHREDDED: &str = "C-2026-0001";
const KEPT: &str = "C-2026-0002";
const PARTY: &str = "00000002000000000002";

fn sealed(dir: &std::path::Path) -> Arc<SealedStore> {
    let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.join("state")).unwrap());
    let keys = KeyStore::open(&dir.join("keys"), MasterKey::from_bytes(&[5; 32])).unwrap();
    Arc::new(SealedStore::new(inner, Arc::new(keys)))
}

/// The index of `space` in [`Space::ALL`]. The match has no wildcard: a new space does
/// not compile until it is listed here, and the tests below then demand its table.
fn position(space: Space) -> usize {
    let wanted = match space {
        Space::Cases
        | Space::CaseEvents
        | Space::Meta
        | Space::Idempotency
        | Space::Outbox
        | Space::CaseFiles
        | Space::Notifications
        | Space::LateAnswers
        | Space::CovenantVersions
        | Space::Inzages
        | Space::Deliveries
        | Space::DeliveryHolders
        | Space::WitnessKeys
        | Space::AgentLinks
        | Space::Relay => space,
    };
    Space::ALL
        .iter()
        .position(|s| *s == wanted)
        .unwrap_or_else(|| panic!("{wanted} is not in Space::ALL"))
}

#[test]
fn every_space_has_exactly_one_table_that_names_its_owner() {
    for space in Space::ALL {
        assert_eq!(Space::ALL[position(space)], space);
        let tables: Vec<_> = ALL.iter().filter(|t| t.space == space).collect();
        let [table] = tables.as_slice() else {
            panic!("{space} has {} tables, not one", tables.len());
        };
        match table.ownership {
            Ownership::Sealed(rule) => {
                assert!(space.is_sealed(), "{space}: table seals, space does not");
                assert!(!rule.is_empty(), "{space}: the owner rule is unstated");
            }
            Ownership::Plain => assert!(!space.is_sealed(), "{space} is sealed: name its owner"),
        }
    }
    assert_eq!(ALL.len(), Space::ALL.len());
}

#[test]
fn a_sealed_write_that_names_no_owner_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = sealed(dir.path());
    for space in Space::ALL.into_iter().filter(|s| s.is_sealed()) {
        let mut batch = Batch::new();
        batch.put(space, format!("{SHREDDED}/x").into_bytes(), b"{}".to_vec());
        let err = store.apply(batch).unwrap_err();
        assert!(
            matches!(err, StoreError::Unseal { space: s, .. } if s == space),
            "{space}: {err}"
        );
        assert!(store.raw().scan(space, b"").unwrap().is_empty(), "{space}");
    }
}

fn case(id: &str) -> Case {
    Case {
        id: id.into(),
        stadsdeel: Stadsdeel::Oost,
        phase: Phase::Melding,
        phase_since: datetime!(2026-01-05 09:00 UTC),
        melding_at: datetime!(2026-01-05 09:00 UTC),
        registered_at: datetime!(2026-01-05 09:00 UTC),
        registered_by: ActorRef {
            person: "synthetic-person-1".into(),
            party: PARTY.into(),
            role: Role::Stadsdeelregisseur,
        },
        external_reference: String::new(),
        contact_due: datetime!(2026-01-07 09:00 UTC),
        contact: None,
        escalation: None,
        subjects: Vec::new(),
        participants: Vec::new(),
        emergencies: Vec::new(),
        history: Vec::new(),
    }
}

fn notice(case_id: &str) -> Notice {
    Notice {
        article: "7.1".into(),
        case_id: case_id.into(),
        file_id: case_id.replacen("C-", "CF-", 1) + "-0001",
        category: "synthetic-category".into(),
        recipient_person: "synthetic-person-2".into(),
        at: datetime!(2026-02-01 10:00 UTC),
        log_leaf_index: Some(3),
        entry_position: None,
    }
}

fn question(request_id: &str, kind: wire::question::Kind) -> OutboxEntry {
    OutboxEntry {
        party: Oin::parse(PARTY).unwrap(),
        question: wire::Question {
            request_id: request_id.into(),
            deadline: None,
            kind: Some(kind),
        },
        queued_at: UNIX_EPOCH + Duration::from_secs(1),
        expires_at: UNIX_EPOCH + Duration::from_secs(1_000_000_000_000),
    }
}

fn bevraging() -> wire::question::Kind {
    wire::question::Kind::Bevraging(wire::Bevraging {
        subject: Some(wire::SubjectPseudonym {
            hex: "d0".repeat(32),
        }),
        more_subjects: Vec::new(),
    })
}

fn share_request(case: &str) -> wire::question::Kind {
    wire::question::Kind::ShareRequest(wire::ShareRequest {
        case: Some(wire::CaseContext {
            id: case.into(),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// Writes one record of every sealed kind of `case` through its table.
fn write_every_kind(store: &Arc<SealedStore>, case_id: &str) {
    let mut batch = Batch::new();
    cases::put(&mut batch, &case(case_id)).unwrap();
    case_events::put(&mut batch, case_id, 1, b"synthetic-event".to_vec());
    idempotency::Record::case_change("synthetic-person-1", case_id, case_id, b"{}".to_vec())
        .put(&mut batch);
    let notice = notice(case_id);
    notifications::put_notice(&mut batch, PARTY, &notice, 0);
    let id = format!("1.{}.0", notice.file_id);
    notifications::put_state(&mut batch, PARTY, &id, &notice, b"{}".to_vec());
    crate::casefile::record::put_file(
        &mut batch,
        case_id,
        &wire::CaseFile {
            id: notice.file_id.clone(),
            case_id: case_id.into(),
            ..Default::default()
        },
        "synthetic-person-1",
    );
    crate::casefile::late_record::put(
        &mut batch,
        crate::store::Owner::case(case_id),
        &Oin::parse(PARTY).unwrap(),
        &format!("late-{case_id}"),
        &wire::Answer::default(),
    );
    deliveries::put(
        &mut batch,
        PARTY,
        &wire::Delivery {
            delivery_id: format!("D-{case_id}"),
            case_id: case_id.into(),
            ..Default::default()
        },
    );
    store.apply(batch).unwrap();
    let outbox = Outbox::new(store.clone());
    outbox
        .put_for_case(
            &question(&format!("bevraging-{case_id}"), bevraging()),
            case_id,
        )
        .unwrap();
    outbox
        .put(&question(
            &format!("share-{case_id}"),
            share_request(case_id),
        ))
        .unwrap();
}

/// The records [`write_every_kind`] writes: one of every sealed kind (two for a case
/// file: the file and its requester index), late answers included; the test below
/// checks that no sealed space with a table is missed.
const RECORDS_PER_CASE: usize = 11;

#[test]
fn every_sealed_record_kind_is_shredded_with_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let store = sealed(dir.path());
    write_every_kind(&store, SHREDDED);
    write_every_kind(&store, KEPT);

    // Every sealed space with a table now holds records of both cases, each sealed
    // under its own case's key.
    let mut spaces = Vec::new();
    for table in ALL {
        // Inzage overviews and relay messages are sealed under the transit key only
        // (an overview outlives any one case; a relay message lives until its
        // question's deadline, and expired ones are swept).
        if !matches!(table.ownership, Ownership::Sealed(_))
            || table.space == Space::Inzages
            || table.space == Space::Relay
        {
            continue;
        }
        let raw = store.raw().scan(table.space, b"").unwrap();
        let owners: Vec<_> = raw
            .iter()
            .map(|(_, v)| recorded_owner(v).unwrap().0.to_owned())
            .collect();
        assert!(
            owners.iter().any(|o| o == SHREDDED),
            "{}: {owners:?}",
            table.space
        );
        assert!(
            owners.iter().all(|o| o == SHREDDED || o == KEPT),
            "{}: {owners:?}",
            table.space
        );
        spaces.push(table.space);
    }

    store.keys().shred(SHREDDED).unwrap();
    // Unreadable at once: a read names the shredding, a scan passes over the record.
    let err = cases::get(store.as_ref(), SHREDDED).unwrap_err();
    assert!(matches!(err, StoreError::Shredded { .. }), "{err}");
    // Then gone: the sweep deletes every record of the case, in every space.
    let deleted = store.delete_shredded().unwrap();
    assert_eq!(deleted.get(SHREDDED), Some(&RECORDS_PER_CASE));
    for space in spaces {
        for (_, value) in store.raw().scan(space, b"").unwrap() {
            assert_eq!(recorded_owner(&value).unwrap().0, KEPT, "{space}");
        }
        assert!(!store.scan(space, b"").unwrap().is_empty(), "{space}");
    }
    assert_eq!(
        cases::get(store.as_ref(), KEPT)
            .unwrap()
            .unwrap()
            .unwrap()
            .id,
        KEPT
    );
    assert!(cases::get(store.as_ref(), SHREDDED).unwrap().is_none());
}

#[test]
fn records_of_no_case_are_sealed_under_the_transit_key_and_outlive_cases() {
    let dir = tempfile::tempdir().unwrap();
    let store = sealed(dir.path());
    let mut batch = Batch::new();
    let report = wire::InzageReport {
        id: "I-2026-0001".into(),
        ..Default::default()
    };
    inzages::put(&mut batch, "I-2026-0001", &report);
    idempotency::Record::officer("synthetic-person-3", "r1", b"{}".to_vec()).put(&mut batch);
    // A covenant proposal's notice names no case.
    let proposal = notice("");
    notifications::put_notice(&mut batch, PARTY, &proposal, 0);
    notifications::put_state(
        &mut batch,
        PARTY,
        "1.covenant-2.0",
        &proposal,
        b"{}".to_vec(),
    );
    witness_keys::put(&mut batch, PARTY, "synthetic-witness-key");
    store.apply(batch).unwrap();
    Outbox::new(store.clone())
        .put(&question("bevraging-of-no-case", bevraging()))
        .unwrap();
    for space in [
        Space::Inzages,
        Space::Idempotency,
        Space::Notifications,
        Space::Outbox,
    ] {
        let raw = store.raw().scan(space, b"").unwrap();
        assert!(!raw.is_empty(), "{space}");
        for (_, value) in raw {
            assert_eq!(recorded_owner(&value).unwrap().0, TRANSIT, "{space}");
        }
    }
    // A plain space stays plain.
    assert_eq!(
        store
            .raw()
            .get(Space::WitnessKeys, PARTY.as_bytes())
            .unwrap()
            .unwrap(),
        b"synthetic-witness-key"
    );
    store.keys().shred(SHREDDED).unwrap();
    assert!(store.delete_shredded().unwrap().is_empty());
    assert_eq!(
        inzages::get(store.as_ref(), "I-2026-0001")
            .unwrap()
            .unwrap(),
        report
    );
}

/// Where a keyspace may be named: the store, the sealing layer, the table modules, and
/// the tables that live with their domain.
const MAY_NAME_A_SPACE: &[&str] = &[
    "store/",
    "seal/",
    "tables/",
    "covenants/record.rs",
    "questions/outbox.rs",
    // A store wrapper: it passes every space through to the store it counts.
    "metrics.rs",
    // The case files' and late answers' tables live with their domain.
    "casefile/record.rs",
    "casefile/late_record.rs",
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_store_the_sealing_layer_and_the_tables_name_a_keyspace() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "the hub's sources are not where they were"
    );
    let mut offenders = Vec::new();
    for path in files {
        let relative = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if MAY_NAME_A_SPACE
            .iter()
            .any(|allowed| relative.starts_with(allowed))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("Space::") || line.contains("store::Space") || line.contains(" Space,")
            {
                offenders.push(format!("{relative}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a keyspace is named outside the store and its tables; go through the record kind's table:\n{}",
        offenders.join("\n")
    );
}

/// As before the tables: a share request that names a case without its id cannot say
/// whose it is, so it is refused rather than sealed under a guessed key.
#[test]
fn a_share_request_naming_a_case_without_id_is_not_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = sealed(dir.path());
    let outbox = Outbox::new(store.clone());
    let err = outbox
        .put(&question("share-of-no-id", share_request("")))
        .unwrap_err();
    assert!(
        matches!(
            err,
            crate::questions::outbox::OutboxError::Store(StoreError::Unseal {
                space: Space::Outbox,
                ..
            })
        ),
        "{err}"
    );
    assert!(store.raw().scan(Space::Outbox, b"").unwrap().is_empty());
}
