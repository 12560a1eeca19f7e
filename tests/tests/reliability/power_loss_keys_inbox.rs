//! Power loss at the file layer for the hub's key store and the agent's inbox (issue
//! 22), as `power_loss` does for the decision log: their syncs (file `fsync`,
//! directory `fsync`) go through a switch that keeps a LazyFS-style ledger of what they
//! made durable (`treiter_hub::log::faults` for the key store's single directory,
//! `treiter_node_agent::inbox::syncs` for the inbox's tree), writers run concurrently,
//! the power is cut at a random moment, and the directory is put back as only the
//! syncs left it.
//!
//! Then everything acknowledged must be there — each case key handed out (the same
//! key: its wrapped bytes unchanged), each shred reported done (still shredded), each
//! delivery the agent acknowledged to the hub (every share, opening), each retention
//! notice acknowledged (its term applied to a delivery of the case that comes after
//! the restart) — and nothing unacknowledged is believed: every key file opens, every
//! share opens, and no share belongs to a delivery that was never received.
//!
//! The controls show the check can fail: with the directory syncs skipped (the renames
//! never made durable) acknowledged keys and deliveries are lost at the cut, and seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::TestRunner;
use treiter_hub::seal::{KeyStore, MasterKey};
use treiter_node_agent::inbox::{Inbox, InboxKey, SyncSwitch};
use treiter_proto::v1::{DeliveredShare, Delivery, Field, RetentionNotice, SubjectPseudonym};

use super::{Kind, config, tally};

/// What one power cut showed.
#[derive(Debug, Default)]
struct Round {
    acknowledged: usize,
    /// Acknowledged things missing or changed after the restart.
    lost: Vec<String>,
    /// Things after the restart that are believed but were never acknowledged or
    /// never written whole.
    invented: Vec<String>,
}

impl Round {
    fn failed(&self) -> bool {
        !self.lost.is_empty() || !self.invented.is_empty()
    }

    /// The counts and the first few of each, for a failure message that stays
    /// readable when a cut loses much.
    fn summary(&self) -> String {
        let first = |list: &[String]| list.iter().take(3).cloned().collect::<Vec<_>>();
        format!(
            "{} acknowledged; {} lost {:?}; {} invented {:?}",
            self.acknowledged,
            self.lost.len(),
            first(&self.lost),
            self.invented.len(),
            first(&self.invented),
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn master() -> MasterKey {
    MasterKey::from_bytes(&[0x42; 32])
}

// --- the key store -------------------------------------------------------------------

#[derive(Debug, Default)]
struct KeysAcked {
    /// Case → its wrapped key file's bytes when the key was handed out.
    keys: BTreeMap<String, Vec<u8>>,
    /// Cases whose shred returned.
    shredded: BTreeSet<String>,
}

/// Writers create case keys (and shred some) against a fresh key store, the power is
/// cut after `cut_after`, the directory restored as synced, reopened and checked.
fn keys_cut(cut_after: Duration, seed: u64, skip_dir_syncs: bool) -> Round {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys_dir = dir.path().join("keys");
    let keys = Arc::new(KeyStore::open(&keys_dir, master()).expect("open the key store"));
    let faults = keys.faults().clone();
    faults.record_power_loss(&keys_dir).expect("ledger");
    if skip_dir_syncs {
        faults.skip_dir_syncs();
    }
    let acked: Arc<Mutex<KeysAcked>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..4u64 {
        let (keys, acked, stop, keys_dir) =
            (keys.clone(), acked.clone(), stop.clone(), keys_dir.clone());
        writers.push(std::thread::spawn(move || {
            for n in 0u64.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let case = format!("C-2026-{seed:03}{writer}{n:05}");
                if keys.get_or_create(&case).is_err() {
                    return;
                }
                // Handed out: the bytes on disk now are the key.
                let Ok(wrapped) = std::fs::read(keys_dir.join(format!("{case}.key"))) else {
                    return;
                };
                lock(&acked).keys.insert(case.clone(), wrapped);
                if n % 5 == 2 {
                    // From here the key is no longer promised (a shred in flight at
                    // the cut may or may not have happened); the shred is, once it
                    // returns.
                    lock(&acked).keys.remove(&case);
                    if keys.shred(&case).is_err() {
                        return;
                    }
                    lock(&acked).shredded.insert(case);
                }
            }
        }));
    }
    std::thread::sleep(cut_after);
    let before_cut = {
        let acked = lock(&acked);
        KeysAcked {
            keys: acked.keys.clone(),
            shredded: acked.shredded.clone(),
        }
    };
    faults.power_cut();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        let _ = writer.join();
    }
    drop(keys);
    faults.restore_after_power_cut().expect("restore");

    let mut round = Round {
        acknowledged: before_cut.keys.len() + before_cut.shredded.len(),
        ..Round::default()
    };
    let keys = match KeyStore::open(&keys_dir, master()) {
        Ok(keys) => keys,
        Err(e) => {
            round.lost.push(format!("the key store does not open: {e}"));
            return round;
        }
    };
    for (case, wrapped) in &before_cut.keys {
        match (
            keys.get(case),
            std::fs::read(keys_dir.join(format!("{case}.key"))),
        ) {
            (Ok(Some(_)), Ok(now)) if &now == wrapped => {}
            (Ok(Some(_)), Ok(_)) => round.lost.push(format!("the key of {case} changed")),
            (Ok(_), _) | (_, Err(_)) => round.lost.push(format!("the key of {case} is gone")),
            (Err(e), _) => round.lost.push(format!("the key of {case}: {e}")),
        }
    }
    for case in &before_cut.shredded {
        if !matches!(keys.get(case), Ok(None)) || !matches!(keys.is_shredded(case), Ok(true)) {
            round
                .lost
                .push(format!("the shred of {case} was undone by the cut"));
        }
    }
    // Every key file there now opens: none is half written (a rename made durable
    // before its file's data).
    for entry in std::fs::read_dir(&keys_dir).expect("read the key dir") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if let Some(case) = name.strip_suffix(".key")
            && !matches!(keys.get(case), Ok(Some(_)))
        {
            round
                .invented
                .push(format!("{name} is there but does not open"));
        }
    }
    round
}

/// Runs power cuts at random moments (0–60 ms into the writes) through `cut_at`,
/// counts them under `name`, and fails on anything lost or believed wrongly, or when
/// nothing was acknowledged at all (`nothing` says so).
fn random_cuts(name: &str, cut_at: fn(Duration, u64, bool) -> Round, nothing: &str) {
    let cuts = config(30).cases;
    let mut runner = TestRunner::new(config(cuts));
    let (mut acknowledged, mut failures) = (0u64, Vec::new());
    for cut in 0..cuts {
        let millis = (0u64..60).new_tree(&mut runner).expect("draw").current();
        let after = Duration::from_millis(millis);
        let round = cut_at(after, u64::from(cut), false);
        acknowledged += round.acknowledged as u64;
        if round.failed() {
            failures.push(format!("cut {cut} after {after:?}: {}", round.summary()));
        }
    }
    tally(
        name,
        Kind::PowerCuts,
        u64::from(cuts),
        failures.len() as u64,
        0,
    );
    tally(
        &format!("{name}-acknowledged"),
        Kind::AcknowledgedChecked,
        acknowledged,
        failures.len() as u64,
        0,
    );
    assert!(acknowledged > 0, "{nothing}");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A cut of `cut_at` late enough that something was acknowledged before it: 30 ms
/// first, longer on a machine too busy to acknowledge anything that soon (the "can it
/// fail" tests need something to lose).
fn until_acknowledged(cut_at: impl Fn(Duration) -> Round) -> Round {
    let mut round = Round::default();
    for millis in [30, 100, 300, 1000, 3000] {
        round = cut_at(Duration::from_millis(millis));
        if round.acknowledged > 0 {
            break;
        }
    }
    round
}

/// Every case key handed out and every shred reported survives a power cut at a random
/// moment under concurrent writers; every key file there afterwards opens.
#[test]
fn acknowledged_case_keys_and_shreds_survive_power_cuts_at_random_moments() {
    random_cuts(
        "power-cuts-keys",
        keys_cut,
        "no key was handed out before the cuts",
    );
}

/// The check can fail: a key store whose renames are never made durable (directory
/// syncs skipped) loses keys it handed out, and the check sees it at every cut.
#[test]
fn a_key_store_without_directory_syncs_loses_keys_at_a_power_cut() {
    for cut in 0..3 {
        let round = until_acknowledged(|after| keys_cut(after, 900 + cut, true));
        assert!(round.acknowledged > 0, "cut {cut}: nothing handed out");
        assert!(
            !round.lost.is_empty(),
            "cut {cut}: a key store without directory syncs lost nothing: {}",
            round.summary()
        );
    }
}

// --- the agent's inbox ---------------------------------------------------------------

const SECRET: &str = "Synthetisch-Waarde-4410";
/// 2027-01-01T00:00:00Z, the moment each notice sets.
const NOTICE_MOMENT: i64 = 1_798_761_600;

fn delivery(id: &str, case: &str, shares: usize) -> Delivery {
    Delivery {
        delivery_id: id.into(),
        case_id: case.into(),
        case_file_id: "CF-1".into(),
        purpose: "hulpverlening".into(),
        shares: (0..shares)
            .map(|n| DeliveredShare {
                source_oin: "00000001000000000001".into(),
                category: "huurgegevens".into(),
                subject: Some(SubjectPseudonym {
                    hex: "cd".repeat(32),
                }),
                fields: vec![Field {
                    name: "huurachterstand".into(),
                    value: format!("{SECRET}-{n}"),
                }],
                obligations: vec![],
                log_leaf_index: n as u64,
            })
            .collect(),
        delete_at: None,
    }
}

fn notice(case: &str) -> RetentionNotice {
    RetentionNotice {
        notice_id: format!("N-{case}"),
        case_id: case.into(),
        delete_at: Some(prost_types::Timestamp {
            seconds: NOTICE_MOMENT,
            nanos: 0,
        }),
    }
}

#[derive(Debug, Default)]
struct InboxAcked {
    /// Delivery id → its number of shares: receive returned (the agent acks).
    deliveries: BTreeMap<String, usize>,
    /// Cases whose notice was applied (the agent acks).
    notices: BTreeSet<String>,
}

fn inbox_key() -> InboxKey {
    InboxKey::from_bytes(&[0x17; 32])
}

/// Writers store deliveries (and apply some notices) into a fresh inbox under `root`
/// (the ledger starts at `root`, before the inbox exists, so the inbox's own folders
/// must be made durable too); the power is cut, the tree restored as synced, the inbox
/// reopened and checked.
fn inbox_cut(cut_after: Duration, seed: u64, skip_dir_syncs: bool) -> Round {
    let root = tempfile::tempdir().expect("temp dir");
    let syncs = SyncSwitch::new();
    syncs.record_power_loss(root.path()).expect("ledger");
    if skip_dir_syncs {
        syncs.skip_dir_syncs();
    }
    let inbox_dir = root.path().join("inbox");
    let inbox = Arc::new(Inbox::with_syncs(&inbox_dir, inbox_key(), syncs.clone()).expect("open"));
    let acked: Arc<Mutex<InboxAcked>> = Arc::default();
    let tried: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..4u64 {
        let (inbox, acked, tried, stop) =
            (inbox.clone(), acked.clone(), tried.clone(), stop.clone());
        writers.push(std::thread::spawn(move || {
            for n in 0u64.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let case = format!("C-2026-{seed:03}{writer}{n:05}");
                if n % 4 == 1 {
                    // The notice comes before any delivery of its case: only the
                    // term's file keeps it.
                    if inbox.apply_notice(&notice(&case)).is_err() {
                        return;
                    }
                    lock(&acked).notices.insert(case.clone());
                    continue;
                }
                let id = format!("D-{seed:03}-{writer}-{n}");
                let shares = 1 + (n % 3) as usize;
                lock(&tried).insert(id.clone());
                if inbox
                    .receive(
                        &delivery(&id, &case, shares),
                        time::OffsetDateTime::now_utc(),
                    )
                    .is_err()
                {
                    return;
                }
                lock(&acked).deliveries.insert(id, shares);
            }
        }));
    }
    std::thread::sleep(cut_after);
    let before_cut = {
        let acked = lock(&acked);
        InboxAcked {
            deliveries: acked.deliveries.clone(),
            notices: acked.notices.clone(),
        }
    };
    syncs.power_cut();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        let _ = writer.join();
    }
    drop(inbox);
    syncs.restore_after_power_cut().expect("restore");

    let mut round = Round {
        acknowledged: before_cut.deliveries.len() + before_cut.notices.len(),
        ..Round::default()
    };
    let inbox = match Inbox::with_key(&inbox_dir, inbox_key()) {
        Ok(inbox) => inbox,
        Err(e) => {
            round.lost.push(format!("the inbox does not open: {e}"));
            return round;
        }
    };
    for (id, shares) in &before_cut.deliveries {
        for n in 0..*shares {
            match inbox.read(&format!("{id}.{n}")) {
                Ok(share)
                    if share.fields.len() == 1
                        && share.fields[0].value == format!("{SECRET}-{n}") => {}
                Ok(_) => round.lost.push(format!("share {id}.{n} changed")),
                Err(e) => round.lost.push(format!("share {id}.{n}: {e}")),
            }
        }
    }
    let tried = lock(&tried).clone();
    match inbox.list() {
        Ok(list) => {
            for share in list {
                match inbox.read(&share.id) {
                    Ok(stored) if tried.contains(&stored.delivery) => {}
                    Ok(_) => round
                        .invented
                        .push(format!("share {} of no delivery received", share.id)),
                    Err(e) => round
                        .invented
                        .push(format!("share {} listed but does not open: {e}", share.id)),
                }
            }
        }
        Err(e) => round.invented.push(format!("the inbox does not list: {e}")),
    }
    // A notice acknowledged before the cut still gives its moment to a delivery of
    // its case that arrives after the restart (the hub does not send it again).
    for (n, case) in before_cut.notices.iter().enumerate() {
        let id = format!("D-after-{n}");
        let moment = inbox
            .receive(&delivery(&id, case, 1), time::OffsetDateTime::now_utc())
            .ok()
            .and_then(|_| inbox.read(&format!("{id}.0")).ok())
            .and_then(|share| share.delete_at);
        if moment.as_deref() != Some("2027-01-01T00:00:00Z") {
            round.lost.push(format!(
                "the retention notice of {case} was lost: a later delivery gets {moment:?}"
            ));
        }
    }
    round
}

/// Every delivery the agent acknowledged (every share of it) and every retention
/// notice it acknowledged survives a power cut at a random moment under concurrent
/// writers; nothing is believed that was not received whole.
#[test]
fn acknowledged_deliveries_and_notices_survive_power_cuts_at_random_moments() {
    random_cuts(
        "power-cuts-inbox",
        inbox_cut,
        "nothing was acknowledged before the cuts",
    );
}

/// The check can fail: an inbox whose renames are never made durable loses deliveries
/// it acknowledged, and the check sees it at every cut.
#[test]
fn an_inbox_without_directory_syncs_loses_acknowledged_deliveries_at_a_power_cut() {
    for cut in 0..3 {
        let round = until_acknowledged(|after| inbox_cut(after, 900 + cut, true));
        assert!(round.acknowledged > 0, "cut {cut}: nothing acknowledged");
        assert!(
            !round.lost.is_empty(),
            "cut {cut}: an inbox without directory syncs lost nothing: {}",
            round.summary()
        );
    }
}

/// Regression (issue 22): a retention notice's term was renamed into `terms/` without
/// a sync of that directory, and `terms/` itself (made by the first notice) without a
/// sync of the inbox folder; the agent acknowledged the notice, a power cut took the
/// term, and a delivery of the case arriving later was kept with no delete moment.
#[test]
fn an_acknowledged_retention_notice_survives_a_power_cut_before_any_delivery() {
    let root = tempfile::tempdir().expect("temp dir");
    let inbox_dir = root.path().join("inbox");
    drop(Inbox::with_key(&inbox_dir, inbox_key()).expect("create"));
    let syncs = SyncSwitch::new();
    syncs.record_power_loss(root.path()).expect("ledger");
    let inbox = Inbox::with_syncs(&inbox_dir, inbox_key(), syncs.clone()).expect("open");
    inbox
        .apply_notice(&notice("C-2026-77001"))
        .expect("apply the notice");
    syncs.power_cut();
    drop(inbox);
    syncs.restore_after_power_cut().expect("restore");
    let inbox = Inbox::with_key(&inbox_dir, inbox_key()).expect("reopen");
    inbox
        .receive(
            &delivery("D-1", "C-2026-77001", 1),
            time::OffsetDateTime::now_utc(),
        )
        .expect("receive");
    let share = inbox.read("D-1.0").expect("read");
    assert_eq!(
        share.delete_at.as_deref(),
        Some("2027-01-01T00:00:00Z"),
        "the acknowledged notice's term survived the cut"
    );
}

/// Regression (issue 22): the inbox folder and its `shares/` were made without a sync
/// of their parents, so a power cut after the first delivery's Ack could take the
/// whole folder, the acknowledged delivery with it.
#[test]
fn the_first_acknowledged_delivery_survives_a_power_cut_of_a_new_inbox() {
    let root = tempfile::tempdir().expect("temp dir");
    let parent = root.path().join("agent");
    std::fs::create_dir(&parent).expect("parent");
    let syncs = SyncSwitch::new();
    syncs.record_power_loss(root.path()).expect("ledger");
    let inbox_dir = parent.join("inbox");
    let inbox = Inbox::with_syncs(&inbox_dir, inbox_key(), syncs.clone()).expect("open");
    inbox
        .receive(
            &delivery("D-first", "C-2026-77002", 2),
            time::OffsetDateTime::now_utc(),
        )
        .expect("receive");
    syncs.power_cut();
    drop(inbox);
    syncs.restore_after_power_cut().expect("restore");
    assert!(
        Path::new(&inbox_dir).is_dir(),
        "the inbox folder survived the cut"
    );
    let inbox = Inbox::with_key(&inbox_dir, inbox_key()).expect("reopen");
    for n in 0..2 {
        inbox
            .read(&format!("D-first.{n}"))
            .expect("the acknowledged share survived the cut");
    }
}
