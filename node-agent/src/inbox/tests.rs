use time::macros::datetime;
use treiter_proto::v1::{DeliveredShare, Field, Obligation, SubjectPseudonym};

use super::*;
use crate::receipts;

/// A synthetic value that must never appear in a file of the inbox.
const SECRET: &str = "Synthetisch-Waarde-7731";

fn delivery(id: &str, case: &str, purpose: &str, delete_at: Option<i64>) -> Delivery {
    Delivery {
        delivery_id: id.into(),
        case_id: case.into(),
        case_file_id: "CF-1".into(),
        purpose: purpose.into(),
        shares: vec![DeliveredShare {
            source_oin: "00000001000000000001".into(),
            category: "huurgegevens".into(),
            subject: Some(SubjectPseudonym {
                hex: "ab".repeat(32),
            }),
            fields: vec![Field {
                name: "huurachterstand".into(),
                value: SECRET.into(),
            }],
            obligations: vec![Obligation {
                kind: "purpose-binding".into(),
                article: "3.2".into(),
                purpose: purpose.into(),
            }],
            log_leaf_index: 7,
        }],
        delete_at: delete_at.map(|seconds| prost_types::Timestamp { seconds, nanos: 0 }),
    }
}

/// A RetentionNotice `id` for `case` with the delete moment `seconds` (Unix).
fn notice(id: &str, case: &str, seconds: i64) -> RetentionNotice {
    RetentionNotice {
        notice_id: id.into(),
        case_id: case.into(),
        delete_at: Some(prost_types::Timestamp { seconds, nanos: 0 }),
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    inbox: Inbox,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let receipts = Arc::new(ReceiptLog::open(&dir.path().join("receipts.jsonl")).unwrap());
    let inbox = Inbox::open(&dir.path().join("inbox"), &dir.path().join("inbox.key"))
        .unwrap()
        .with_receipts(receipts)
        .with_metrics(Arc::new(Metrics::new()));
    Fixture { dir, inbox }
}

const T0: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

fn delivery_file(f: &Fixture, delivery: &str) -> PathBuf {
    f.dir
        .path()
        .join("inbox")
        .join(SHARES)
        .join(format!("{delivery}{SUFFIX}"))
}

/// The names in the shares folder, sorted.
fn names_in_shares(f: &Fixture) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(f.dir.path().join("inbox").join(SHARES))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn events(f: &Fixture) -> Vec<Event> {
    let (lines, torn) = receipts::read(&f.dir.path().join("receipts.jsonl")).unwrap();
    assert_eq!(torn, 0);
    lines.into_iter().map(|r| r.event).collect()
}

#[test]
fn a_share_round_trips_sealed_and_its_value_is_not_on_disk() {
    let f = fixture();
    let stored = f
        .inbox
        .receive(&delivery("D-1", "C-2026-0001", "aanpak", None), T0)
        .unwrap();
    assert_eq!(stored, ["D-1.0"]);
    let raw = std::fs::read(delivery_file(&f, "D-1")).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains(SECRET));
    assert!(!String::from_utf8_lossy(&raw).contains("huurachterstand"));
    let share = f.inbox.read("D-1.0").unwrap();
    assert_eq!(share.fields[0].value, SECRET);
    assert_eq!(share.purpose, "aanpak");
    assert_eq!(share.case, "C-2026-0001");
    assert_eq!(share.log_leaf_index, 7);
    assert_eq!(share.delete_at, None);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(f.dir.path().join("inbox.key")).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn a_repeated_delivery_is_stored_once() {
    let f = fixture();
    let d = delivery("D-1", "C-1", "aanpak", None);
    assert_eq!(f.inbox.receive(&d, T0).unwrap().len(), 1);
    assert!(f.inbox.receive(&d, T0).unwrap().is_empty());
    assert_eq!(f.inbox.len().unwrap(), 1);
    let received = events(&f)
        .iter()
        .filter(|e| matches!(e, Event::ShareReceived { .. }))
        .count();
    assert_eq!(received, 1);
}

/// An agent killed after it stored a delivery's shares and before it wrote their
/// receipts gets the delivery again (it was not acknowledged): the receipts are written
/// then, once (found by the crash points, tests/tests/reliability/crash_agents.rs).
#[test]
fn shares_stored_before_a_crash_get_their_receipts_when_the_delivery_comes_again() {
    let f = fixture();
    let d = delivery("D-1", "C-1", "aanpak", None);
    // The crash: the shares are stored, no receipt is written.
    let without_receipts =
        Inbox::open(&f.dir.path().join("inbox"), &f.dir.path().join("inbox.key")).unwrap();
    assert_eq!(without_receipts.receive(&d, T0).unwrap().len(), 1);
    drop(without_receipts);
    assert!(events(&f).is_empty());
    // The hub sends it again: nothing new is stored, the receipt is written.
    assert!(f.inbox.receive(&d, T0).unwrap().is_empty());
    let received = |f: &Fixture| {
        events(f)
            .into_iter()
            .filter_map(|e| match e {
                Event::ShareReceived { id, .. } => Some(id),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(received(&f), ["D-1.0"]);
    // And once: again is nothing more.
    assert!(f.inbox.receive(&d, T0).unwrap().is_empty());
    assert_eq!(received(&f), ["D-1.0"]);
}

/// The count of shares held is kept as deliveries arrive (not by listing the folder
/// each time): new shares count once, a repeated delivery not at all, and a sweep
/// counts what is left.
#[test]
fn the_shares_held_are_counted_as_they_arrive() {
    let f = fixture();
    let metrics = f.inbox.metrics.as_ref().unwrap();
    assert_eq!(metrics.inbox_shares.get(), 0);
    let mut d = delivery("D-1", "C-1", "aanpak", None);
    d.shares.push(d.shares[0].clone());
    d.shares.push(d.shares[0].clone());
    assert_eq!(f.inbox.receive(&d, T0).unwrap().len(), 3);
    assert_eq!(metrics.inbox_shares.get(), 3);
    assert!(f.inbox.receive(&d, T0).unwrap().is_empty());
    assert_eq!(metrics.inbox_shares.get(), 3);
    let past = (T0 - time::Duration::days(1)).unix_timestamp();
    f.inbox
        .receive(&delivery("D-2", "C-2", "aanpak", Some(past)), T0)
        .unwrap();
    assert_eq!(metrics.inbox_shares.get(), 4);
    assert_eq!(f.inbox.sweep(T0).unwrap().deleted, ["D-2.0"]);
    assert_eq!(metrics.inbox_shares.get(), 3);
    assert_eq!(f.inbox.len().unwrap(), 3);
    for n in 0..3 {
        f.inbox.read(&format!("D-1.{n}")).unwrap();
    }
    assert_eq!(names_in_shares(&f), ["D-1.delivery"]);
}

#[test]
fn a_tampered_share_is_refused() {
    let f = fixture();
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    let path = delivery_file(&f, "D-1");
    let mut raw = std::fs::read(&path).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    std::fs::write(&path, raw).unwrap();
    match f.inbox.read("D-1.0") {
        Err(InboxError::Seal(SealError::Open { what, id })) => {
            assert_eq!((what, id.as_str()), ("delivery", "D-1"));
        }
        other => panic!("expected Open, got {other:?}"),
    }
    f.inbox.list().unwrap_err(); // a listing does not hide it
    // After a restart (the index is built from the files), a sweep never deletes what
    // it cannot read, and reports it; it is counted as one.
    let restarted =
        Inbox::open(&f.dir.path().join("inbox"), &f.dir.path().join("inbox.key")).unwrap();
    assert_eq!(restarted.len().unwrap(), 1);
    let report = restarted.sweep(T0 + time::Duration::days(10_000)).unwrap();
    assert_eq!(report.unreadable, 1);
    assert!(path.exists());
    // The delivery sent again is acknowledged (held), the file left as it is.
    let raw = std::fs::read(&path).unwrap();
    assert!(
        restarted
            .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
            .unwrap()
            .is_empty()
    );
    assert_eq!(std::fs::read(&path).unwrap(), raw);
}

#[test]
fn a_share_renamed_to_another_id_is_refused() {
    let f = fixture();
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    std::fs::rename(delivery_file(&f, "D-1"), delivery_file(&f, "D-2")).unwrap();
    match f.inbox.read("D-2.0") {
        Err(InboxError::Seal(SealError::Open { what, id })) => {
            assert_eq!((what, id.as_str()), ("delivery", "D-2"));
        }
        other => panic!("expected Open, got {other:?}"),
    }
    // Nor does a share file of the format before renamed to a delivery's name.
    let key = InboxKey::load(&f.dir.path().join("inbox.key")).unwrap();
    let old = key.seal("D-3.0", b"{}").unwrap();
    std::fs::write(delivery_file(&f, "D-3"), old).unwrap();
    match f.inbox.read("D-3.0") {
        Err(InboxError::Seal(SealError::Format { what, .. })) => assert_eq!(what, "delivery"),
        other => panic!("expected Format, got {other:?}"),
    }
}

#[test]
fn another_key_is_refused_clearly() {
    let f = fixture();
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    let other =
        Inbox::with_key(&f.dir.path().join("inbox"), InboxKey::from_bytes(&[9; 32])).unwrap();
    let error = other.read("D-1.0").unwrap_err();
    assert!(matches!(error, InboxError::Seal(SealError::Open { .. })));
    assert!(error.to_string().contains("another inbox key"), "{error}");
}

#[test]
fn a_key_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("inbox.key");
    InboxKey::load_or_create(&key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        match InboxKey::load(&key) {
            Err(SealError::KeyFile(treiter_proto::keyfile::KeyFileError::Permissions {
                mode,
                ..
            })) => assert_eq!(mode, 0o644),
            other => panic!("expected a refused mode, got {other:?}"),
        }
    }
    std::fs::write(&key, [1u8; 5]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    match InboxKey::load(&key) {
        Err(SealError::KeyLength { len, .. }) => assert_eq!(len, 5),
        other => panic!("expected KeyLength, got {other:?}"),
    }
}

#[test]
fn the_sweep_deletes_on_time_with_an_explicit_clock() {
    let f = fixture();
    let delete_at = T0 + time::Duration::days(90);
    f.inbox
        .receive(
            &delivery("D-1", "C-1", "aanpak", Some(delete_at.unix_timestamp())),
            T0,
        )
        .unwrap();
    let before = f
        .inbox
        .sweep(delete_at - time::Duration::seconds(1))
        .unwrap();
    assert!(before.deleted.is_empty());
    assert_eq!(f.inbox.len().unwrap(), 1);
    let at = f.inbox.sweep(delete_at).unwrap();
    assert_eq!(at.deleted, ["D-1.0"]);
    assert!(f.inbox.is_empty().unwrap());
    assert!(!delivery_file(&f, "D-1").exists());
    let log = events(&f);
    assert!(
        matches!(&log[0], Event::ShareReceived { id, purpose, .. } if id == "D-1.0" && purpose == "aanpak")
    );
    assert_eq!(
        log[1],
        Event::ShareDeleted {
            id: "D-1.0".into(),
            reason: "retention".into()
        }
    );
    let metrics = f.inbox.metrics.as_ref().unwrap();
    assert_eq!(metrics.inbox_deleted.get(), 1);
    assert_eq!(metrics.inbox_shares.get(), 0);
}

#[test]
fn a_share_without_a_term_is_kept_until_a_retention_notice_sets_one() {
    let f = fixture();
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    f.inbox
        .receive(&delivery("D-2", "C-2", "aanpak", None), T0)
        .unwrap();
    let far = T0 + time::Duration::days(10_000);
    assert!(f.inbox.sweep(far).unwrap().deleted.is_empty());
    let delete_at = T0 + time::Duration::days(730);
    let notice = notice("N-1", "C-1", delete_at.unix_timestamp());
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 1);
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 0, "idempotent");
    assert_eq!(
        f.inbox.read("D-1.0").unwrap().delete_at.as_deref(),
        Some("2028-11-22T10:00:00Z")
    );
    assert!(
        f.inbox
            .sweep(delete_at - time::Duration::seconds(1))
            .unwrap()
            .deleted
            .is_empty()
    );
    assert_eq!(f.inbox.sweep(delete_at).unwrap().deleted, ["D-1.0"]);
    assert_eq!(f.inbox.len().unwrap(), 1, "case C-2 has no term yet");
}

#[test]
fn export_requires_the_purpose_the_shares_were_received_for() {
    let f = fixture();
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    let shares = f.inbox.export("C-1", "aanpak").unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].fields[0].value, SECRET);
    match f.inbox.export("C-1", "duiding") {
        Err(e @ InboxError::PurposeRefused { .. }) => {
            assert!(e.to_string().contains("article 3.2"), "{e}");
        }
        other => panic!("expected PurposeRefused, got {other:?}"),
    }
    assert!(f.inbox.export("C-9", "aanpak").unwrap().is_empty());
    let listed = f.inbox.list().unwrap();
    assert_eq!(listed[0].fields, ["huurachterstand"]);
    assert_eq!(listed[0].purpose, "aanpak");
    assert!(!serde_json::to_string(&listed).unwrap().contains(SECRET));
}

#[test]
fn ids_that_cannot_name_a_file_are_refused() {
    let f = fixture();
    for bad in ["", "../x", "a/b", "a.b"] {
        match f.inbox.receive(&delivery(bad, "C-1", "aanpak", None), T0) {
            Err(InboxError::BadId { what }) => assert_eq!(what, "delivery"),
            other => panic!("expected BadId for {bad:?}, got {other:?}"),
        }
    }
}

#[test]
fn a_delivery_arriving_after_its_cases_notice_gets_the_term() {
    let f = fixture();
    let delete_at = T0 + time::Duration::days(90);
    let notice = notice("N-1", "C-1", delete_at.unix_timestamp());
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 0);
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    f.inbox
        .receive(&delivery("D-2", "C-2", "aanpak", None), T0)
        .unwrap();
    assert_eq!(
        f.inbox.read("D-1.0").unwrap().delete_at.as_deref(),
        Some("2027-02-21T10:00:00Z")
    );
    assert_eq!(f.inbox.read("D-2.0").unwrap().delete_at, None);
    assert_eq!(f.inbox.sweep(delete_at).unwrap().deleted, ["D-1.0"]);
}

/// A delivery of several shares is one file: one created, one file fsync, one rename
/// and one fsync of the shares folder, however many shares it holds (issue 20: the
/// recipient created, synced and renamed a file per share); a RetentionNotice rewrites
/// it once, and syncs the folder once.
#[test]
fn a_delivery_syncs_the_shares_folder_once() {
    let f = fixture();
    let (dirs, files) = (f.inbox.dir_syncs(), f.inbox.syncs.file_syncs());
    let mut d = delivery("D-1", "C-1", "aanpak", None);
    d.shares = std::iter::repeat_n(d.shares[0].clone(), 9).collect();
    assert_eq!(f.inbox.receive(&d, T0).unwrap().len(), 9);
    assert_eq!(f.inbox.dir_syncs() - dirs, 1);
    assert_eq!(f.inbox.syncs.file_syncs() - files, 1, "one file synced");
    assert_eq!(names_in_shares(&f), ["D-1.delivery"], "one file created");
    assert_eq!(f.inbox.len().unwrap(), 9, "shares counted, not files");
    let notice = notice("N-1", "C-1", T0.unix_timestamp() + 86_400);
    let files = f.inbox.syncs.file_syncs();
    let terms = 1;
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 9);
    assert_eq!(f.inbox.dir_syncs() - dirs, 2);
    assert_eq!(f.inbox.syncs.file_syncs() - files, terms + 1);
    assert_eq!(names_in_shares(&f), ["D-1.delivery"]);
}

/// A RetentionNotice rewrites each of its case's delivery files once, not each share;
/// the other cases' files are left alone.
#[test]
fn a_notice_rewrites_one_file_per_delivery() {
    let f = fixture();
    for n in 0..3 {
        let mut d = delivery(&format!("D-{n}"), "C-1", "aanpak", None);
        d.shares = std::iter::repeat_n(d.shares[0].clone(), 4).collect();
        f.inbox.receive(&d, T0).unwrap();
    }
    f.inbox
        .receive(&delivery("D-other", "C-2", "aanpak", None), T0)
        .unwrap();
    let other = std::fs::read(delivery_file(&f, "D-other")).unwrap();
    let (opened, files) = (f.inbox.files_opened(), f.inbox.syncs.file_syncs());
    let notice = notice("N-1", "C-1", T0.unix_timestamp() + 60);
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 12);
    // The term's file, and each of the case's three delivery files once.
    assert_eq!(f.inbox.syncs.file_syncs() - files, 1 + 3);
    assert_eq!(f.inbox.files_opened() - opened, 3);
    assert_eq!(std::fs::read(delivery_file(&f, "D-other")).unwrap(), other);
    for n in 0..3 {
        for m in 0..4 {
            let share = f.inbox.read(&format!("D-{n}.{m}")).unwrap();
            assert_eq!(share.delete_at.as_deref(), Some("2026-11-23T10:01:00Z"));
        }
    }
    // All of a delivery's shares due: its file is removed, a receipt per share.
    let report = f.inbox.sweep(T0 + time::Duration::seconds(60)).unwrap();
    assert_eq!(report.deleted.len(), 12);
    assert_eq!(names_in_shares(&f), ["D-other.delivery"]);
    let deleted = events(&f)
        .into_iter()
        .filter(|e| matches!(e, Event::ShareDeleted { .. }))
        .count();
    assert_eq!(deleted, 12);
    assert_eq!(f.inbox.len().unwrap(), 1);
}

/// Bookkeeping does not grow with the inbox: after the index is built (once, at the
/// first count, sweep or notice), a RetentionNotice opens only its own case's delivery
/// files and a sweep only the files of deliveries with a share due (and only when some
/// of their shares are not: a delivery all due is removed unopened), however many other
/// shares are held. The counts are of files opened (a delivery file, all its shares).
#[test]
fn a_notice_and_a_sweep_open_only_the_shares_they_concern() {
    let f = fixture();
    for n in 0..40 {
        f.inbox
            .receive(&delivery(&format!("D-{n}"), "C-2", "aanpak", None), T0)
            .unwrap();
    }
    let past = (T0 - time::Duration::days(1)).unix_timestamp();
    f.inbox
        .receive(&delivery("D-x", "C-3", "aanpak", Some(past)), T0)
        .unwrap();
    f.inbox
        .receive(&delivery("D-y", "C-1", "aanpak", None), T0)
        .unwrap();
    // The index was built at start (the fixture has metrics) and kept as the
    // deliveries came; the sweep removes D-x's file, all of it due, without opening it.
    assert_eq!(f.inbox.sweep(T0).unwrap().deleted, ["D-x.0"]);
    let built = f.inbox.files_opened();
    assert_eq!(built, 0);

    let notice = notice("N-1", "C-1", T0.unix_timestamp() + 60);
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 1);
    assert_eq!(
        f.inbox.files_opened() - built,
        1,
        "only C-1's delivery file"
    );
    assert!(f.inbox.sweep(T0).unwrap().deleted.is_empty());
    assert_eq!(
        f.inbox.files_opened() - built,
        1,
        "nothing due: nothing opened"
    );
    // Shares that arrive after the index was built are in it (with the case's term,
    // which the notice set).
    f.inbox
        .receive(&delivery("D-z", "C-1", "aanpak", None), T0)
        .unwrap();
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 0);
    let later = T0 + time::Duration::seconds(60);
    assert_eq!(f.inbox.sweep(later).unwrap().deleted, ["D-y.0", "D-z.0"]);
    assert_eq!(f.inbox.len().unwrap(), 40);
}

/// The index grows per delivery, not per share: a recipient holding hundreds of
/// thousands of shares over the retention term keeps a ninth of the entries when a
/// delivery carries nine (issue 20: an agent under 64 MB over 50,000 case files).
#[test]
fn the_index_keeps_one_entry_per_delivery() {
    let f = fixture();
    for n in 0..5 {
        let mut nine = delivery(&format!("D-CF-2026-{n}-1"), "C-1", "aanpak", None);
        nine.shares = std::iter::repeat_n(nine.shares[0].clone(), 9).collect();
        f.inbox.receive(&nine, T0).unwrap();
    }
    f.inbox.sweep(T0).unwrap();
    f.inbox
        .receive(&delivery("D-CF-2026-9-1", "C-2", "aanpak", None), T0)
        .unwrap();
    assert_eq!(f.inbox.len().unwrap(), 46);
    assert_eq!(f.inbox.index_entries(), 6);
    let notice = notice("N-1", "C-1", T0.unix_timestamp() + 60);
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 45);
    let later = T0 + time::Duration::seconds(60);
    assert_eq!(f.inbox.sweep(later).unwrap().deleted.len(), 45);
    assert_eq!(f.inbox.index_entries(), 1);
    assert_eq!(f.inbox.len().unwrap(), 1);
}

/// A delivery sent again (its Ack was lost) looks for its shares' receipts from the
/// end of the receipt log backward and stops once it found them: it reads the last
/// lines, not a log grown by months of receipts (issue 20: the recipient agent read
/// its whole receipt log into memory for every delivery sent again).
#[test]
fn a_delivery_sent_again_reads_only_the_end_of_the_receipt_log() {
    let f = fixture();
    let old: Vec<Event> = (0..20_000)
        .map(|n| Event::ShareDeleted {
            id: format!("D-OLD-{n}.0"),
            reason: "retention".into(),
        })
        .collect();
    f.inbox.receipts.as_ref().unwrap().append(T0, old).unwrap();
    let log = std::fs::metadata(f.dir.path().join("receipts.jsonl"))
        .unwrap()
        .len();
    assert!(log > 1 << 20, "{log}");
    let d = delivery("D-1", "C-1", "aanpak", None);
    f.inbox.receive(&d, T0).unwrap();
    assert!(f.inbox.receive(&d, T0).unwrap().is_empty());
    let read = f.inbox.receipt_bytes_read();
    assert!(read > 0 && read <= 64 << 10, "read {read} of {log} bytes");
    // Its receipt was found: none written again.
    let received = events(&f)
        .iter()
        .filter(|e| matches!(e, Event::ShareReceived { .. }))
        .count();
    assert_eq!(received, 1);
}

// --- the inbox of the format before: one file per share ----------------------------

/// A share as the format before stored it, one file `<id>.share`.
fn old_share(id: &str, case: &str, delete_at: Option<&str>) -> StoredShare {
    let (delivery, _) = index::split(id).unwrap();
    StoredShare {
        id: id.into(),
        delivery: delivery.into(),
        case: case.into(),
        case_file: "CF-1".into(),
        source: "00000001000000000001".into(),
        category: "huurgegevens".into(),
        subject: "ab".repeat(32),
        purpose: "aanpak".into(),
        obligations: vec![],
        fields: vec![StoredField {
            name: "huurachterstand".into(),
            value: format!("{SECRET}-{id}"),
        }],
        log_leaf_index: 3,
        received_at: "2026-11-01T10:00:00Z".into(),
        delete_at: delete_at.map(str::to_owned),
    }
}

/// An agent's directory whose inbox holds `shares` in the format before (and a key).
fn old_inbox(shares: &[StoredShare]) -> (tempfile::TempDir, InboxKey) {
    let dir = tempfile::tempdir().unwrap();
    let key = InboxKey::load_or_create(&dir.path().join("inbox.key")).unwrap();
    let folder = dir.path().join("inbox").join(SHARES);
    std::fs::create_dir_all(&folder).unwrap();
    for share in shares {
        let sealed = key
            .seal(&share.id, &serde_json::to_vec(share).unwrap())
            .unwrap();
        std::fs::write(folder.join(format!("{}.share", share.id)), sealed).unwrap();
    }
    (dir, key)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("inbox").join(SHARES))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn reopen(dir: &Path) -> Inbox {
    Inbox::open(&dir.join("inbox"), &dir.join("inbox.key")).unwrap()
}

/// Agents in the field hold one file per share: opening their inbox moves them into
/// one file per delivery, durably (the delivery files synced, and their folder, before
/// any share file goes), and opening it again changes nothing.
#[test]
fn an_inbox_of_share_files_is_migrated_into_delivery_files() {
    let past = "2026-11-22T10:00:00Z";
    let shares = [
        old_share("D-1.0", "C-1", None),
        old_share("D-1.1", "C-1", None),
        old_share("D-1.2", "C-1", None),
        old_share("D-2.0", "C-2", Some(past)),
    ];
    let (dir, key) = old_inbox(&shares);
    let syncs = SyncSwitch::new();
    let inbox = Inbox::with_syncs(&dir.path().join("inbox"), key, syncs.clone()).unwrap();
    assert_eq!(names_in(dir.path()), ["D-1.delivery", "D-2.delivery"]);
    assert_eq!(syncs.file_syncs(), 2, "one file sync per delivery");
    assert_eq!(
        inbox.dir_syncs(),
        2,
        "after the writes, and after the removals"
    );
    for share in &shares {
        assert_eq!(&inbox.read(&share.id).unwrap(), share);
    }
    assert_eq!(inbox.len().unwrap(), 4);
    assert_eq!(inbox.list().unwrap().len(), 4);
    drop(inbox);
    let bytes = std::fs::read(dir.path().join("inbox/shares/D-1.delivery")).unwrap();
    let inbox = reopen(dir.path());
    assert_eq!(
        std::fs::read(dir.path().join("inbox/shares/D-1.delivery")).unwrap(),
        bytes,
        "opened again: nothing rewritten"
    );
    assert_eq!(inbox.sweep(T0).unwrap().deleted, ["D-2.0"]);
    assert_eq!(inbox.len().unwrap(), 3);
}

/// A migration cut short by a crash leaves both formats (the delivery file written,
/// the share files not yet removed) or a temporary file: the next open loses and
/// duplicates nothing. The delivery file wins over the share files it holds (they are
/// removed), and gets any share it lacks.
#[test]
fn a_migration_cut_short_loses_and_duplicates_nothing() {
    let moved = "2027-01-01T00:00:00Z";
    let (dir, key) = old_inbox(&[
        old_share("D-1.0", "C-1", None),
        old_share("D-1.1", "C-1", None),
        old_share("D-2.0", "C-2", None),
        old_share("D-2.1", "C-2", None),
        old_share("D-3.0", "C-3", None),
    ]);
    let folder = dir.path().join("inbox").join(SHARES);
    // D-1: written (with a term the share files lack: the delivery file wins).
    let written = [
        old_share("D-1.0", "C-1", Some(moved)),
        old_share("D-1.1", "C-1", Some(moved)),
    ];
    std::fs::write(
        folder.join("D-1.delivery"),
        sealed_delivery(&key, "D-1", &written).unwrap(),
    )
    .unwrap();
    // D-2: a delivery file holding only part of the share files.
    std::fs::write(
        folder.join("D-2.delivery"),
        sealed_delivery(&key, "D-2", &[old_share("D-2.0", "C-2", None)]).unwrap(),
    )
    .unwrap();
    // D-3: cut before the rename, a torn temporary file.
    std::fs::write(folder.join(".D-3.tmp"), b"TID1 torn").unwrap();

    let inbox = reopen(dir.path());
    assert_eq!(
        names_in(dir.path()),
        ["D-1.delivery", "D-2.delivery", "D-3.delivery"]
    );
    assert_eq!(inbox.len().unwrap(), 5, "nothing lost, nothing twice");
    for id in ["D-1.0", "D-1.1"] {
        assert_eq!(inbox.read(id).unwrap().delete_at.as_deref(), Some(moved));
    }
    for id in ["D-2.0", "D-2.1", "D-3.0"] {
        assert_eq!(
            inbox.read(id).unwrap().fields[0].value,
            format!("{SECRET}-{id}")
        );
    }
    drop(inbox);
    let inbox = reopen(dir.path());
    assert_eq!(inbox.len().unwrap(), 5);
    assert_eq!(inbox.list().unwrap().len(), 5);
}

/// A share file that does not open is never deleted by the migration: it is left in
/// place (its delivery's other shares are migrated), counted, reported by the sweep,
/// and stays so at every later open.
#[test]
fn a_share_file_that_does_not_open_is_left_in_place_and_reported() {
    let (dir, _key) = old_inbox(&[
        old_share("D-1.0", "C-1", Some("2026-11-22T10:00:00Z")),
        old_share("D-1.1", "C-1", None),
    ]);
    let bad = dir.path().join("inbox/shares/D-1.1.share");
    let mut raw = std::fs::read(&bad).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    std::fs::write(&bad, &raw).unwrap();
    for swept in 0..2 {
        let inbox = reopen(dir.path());
        assert!(bad.exists());
        assert_eq!(std::fs::read(&bad).unwrap(), raw);
        assert_eq!(
            inbox.len().unwrap(),
            2 - swept,
            "D-1.0 until swept, and D-1.1"
        );
        inbox.list().unwrap_err();
        let report = inbox.sweep(T0).unwrap();
        assert_eq!(report.unreadable, 1);
    }
    assert_eq!(names_in(dir.path()), ["D-1.1.share"], "D-1.0 swept");
}

/// The format before stored a delivery share by share, so a crash could leave part of
/// an unacknowledged delivery; migrated, it is a delivery file holding that part, and
/// when the hub sends the delivery again the shares it lacks are stored and every share
/// without a receipt gets one.
#[test]
fn a_delivery_migrated_in_part_is_completed_when_sent_again() {
    let (dir, _key) = old_inbox(&[old_share("D-1.0", "C-1", None)]);
    let receipts = Arc::new(ReceiptLog::open(&dir.path().join("receipts.jsonl")).unwrap());
    let inbox = reopen(dir.path()).with_receipts(receipts);
    let mut d = delivery("D-1", "C-1", "aanpak", None);
    d.shares.push(d.shares[0].clone());
    assert_eq!(inbox.receive(&d, T0).unwrap(), ["D-1.1"]);
    assert_eq!(inbox.len().unwrap(), 2);
    assert_eq!(names_in(dir.path()), ["D-1.delivery"]);
    assert_eq!(
        inbox.read("D-1.0").unwrap().fields[0].value,
        format!("{SECRET}-D-1.0"),
        "the share held is kept as it was"
    );
    let (lines, _) = receipts::read(&dir.path().join("receipts.jsonl")).unwrap();
    let mut received: Vec<String> = lines
        .into_iter()
        .filter_map(|r| match r.event {
            Event::ShareReceived { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    received.sort();
    assert_eq!(received, ["D-1.0", "D-1.1"]);
    assert!(inbox.receive(&d, T0).unwrap().is_empty());
}

/// Shares of one delivery with different moments (older data, migrated): the sweep
/// rewrites the delivery's file without the ones due.
#[test]
fn a_sweep_rewrites_a_delivery_with_only_some_shares_due() {
    let (dir, _key) = old_inbox(&[
        old_share("D-1.0", "C-1", Some("2026-11-22T10:00:00Z")),
        old_share("D-1.1", "C-1", None),
        old_share("D-1.2", "C-1", Some("2026-11-22T11:00:00Z")),
    ]);
    let inbox = reopen(dir.path());
    let dirs = inbox.dir_syncs();
    assert_eq!(inbox.sweep(T0).unwrap().deleted, ["D-1.0", "D-1.2"]);
    assert_eq!(inbox.dir_syncs() - dirs, 1);
    assert_eq!(names_in(dir.path()), ["D-1.delivery"]);
    assert!(matches!(
        inbox.read("D-1.0"),
        Err(InboxError::NoShare { .. })
    ));
    inbox.read("D-1.1").unwrap();
    assert_eq!(inbox.len().unwrap(), 1);
    drop(inbox);
    assert_eq!(reopen(dir.path()).len().unwrap(), 1);
}

/// `node-agent inbox sweep` beside the running agent deletes files the agent's index
/// still holds: the agent's own sweep and notices then find them gone, without an
/// error and without a second receipt.
#[test]
fn files_deleted_beside_the_agent_are_handled() {
    let f = fixture();
    let past = (T0 - time::Duration::days(1)).unix_timestamp();
    let mut due = delivery("D-1", "C-1", "aanpak", Some(past));
    due.shares.push(due.shares[0].clone());
    f.inbox.receive(&due, T0).unwrap();
    f.inbox
        .receive(&delivery("D-2", "C-2", "aanpak", None), T0)
        .unwrap();
    f.inbox
        .receive(&delivery("D-3", "C-3", "aanpak", None), T0)
        .unwrap();
    let beside = Inbox::open(&f.dir.path().join("inbox"), &f.dir.path().join("inbox.key"))
        .unwrap()
        .with_receipts(f.inbox.receipts.clone().unwrap());
    assert_eq!(beside.sweep(T0).unwrap().deleted, ["D-1.0", "D-1.1"]);
    let report = f.inbox.sweep(T0).unwrap();
    assert!(report.deleted.is_empty(), "{report:?}");
    let deleted = events(&f)
        .into_iter()
        .filter(|e| matches!(e, Event::ShareDeleted { .. }))
        .count();
    assert_eq!(deleted, 2, "one receipt per share");
    assert_eq!(f.inbox.len().unwrap(), 2);
    std::fs::remove_file(delivery_file(&f, "D-3")).unwrap();
    let notice = notice("N-3", "C-3", T0.unix_timestamp());
    assert_eq!(f.inbox.apply_notice(&notice).unwrap(), 0);
    assert_eq!(f.inbox.len().unwrap(), 1);
}

/// Writers of two processes (the agent, and `node-agent inbox …` beside it) take
/// turns: one waits while the other holds the inbox's `LOCK` file. A process whose
/// index was built before the other's turn builds it again, so a delete moment the
/// other wrote is swept on time.
#[test]
fn writers_beside_the_agent_take_turns_and_their_changes_are_seen() {
    let f = fixture();
    f.inbox
        .receive(&delivery("D-1", "C-1", "aanpak", None), T0)
        .unwrap();
    let beside = Inbox::open(&f.dir.path().join("inbox"), &f.dir.path().join("inbox.key"))
        .unwrap()
        .with_receipts(f.inbox.receipts.clone().unwrap());
    let past = (T0 - time::Duration::days(1)).unix_timestamp();
    let held = f.inbox.write_guard().unwrap();
    let (done, applied) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            let changed = beside.apply_notice(&notice("N-1", "C-1", past)).unwrap();
            done.send(changed).unwrap();
        });
        assert!(
            applied
                .recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the inbox beside the agent did not wait for the agent's turn"
        );
        drop(held);
        let changed = applied
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("its turn came");
        assert_eq!(changed, 1);
    });
    // The agent's index, built before, is built again: the share is due.
    assert_eq!(f.inbox.sweep(T0).unwrap().deleted, ["D-1.0"]);
}

/// An agent that starts with shares held builds its index once, at start, under the
/// writers' lock: its first store keeps it (dropping it would open every delivery
/// file a second time at the next count or sweep).
#[test]
fn the_index_built_at_start_is_kept_by_the_first_store() {
    let f = fixture();
    for n in 0..5 {
        f.inbox
            .receive(&delivery(&format!("D-{n}"), "C-1", "aanpak", None), T0)
            .unwrap();
    }
    let restarted = Inbox::open(&f.dir.path().join("inbox"), &f.dir.path().join("inbox.key"))
        .unwrap()
        .with_receipts(f.inbox.receipts.clone().unwrap())
        .with_metrics(Arc::new(Metrics::new()));
    assert_eq!(restarted.files_opened(), 5, "the index is built at start");
    restarted
        .receive(&delivery("D-5", "C-1", "aanpak", None), T0)
        .unwrap();
    assert_eq!(restarted.len().unwrap(), 6);
    assert!(restarted.sweep(T0).unwrap().deleted.is_empty());
    assert_eq!(
        restarted.files_opened(),
        5,
        "the index is kept: not built again"
    );
}
