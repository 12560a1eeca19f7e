//! The decision log as it opens from disk: the segment scanner and the head record.
//! The input is a log directory in one file: a 4-byte big-endian length, that many
//! bytes of the segment `00000000000000000000.seg`, and the rest as `HEAD` (absent
//! when empty). The log key is fixed, so a seed written with it (`log_segment
//! --write-seed FILE`) opens, and mutations explore past the records' MACs.
use std::path::Path;

use treiter_hub::log::entry::{CaseId, Entry, Event, LogTime, RetentionDeletion};
use treiter_hub::log::{Log, LogKey, LogOptions};

const ORIGIN: &str = "hub.treiter.test/log";
const SEGMENT: &str = "00000000000000000000.seg";

/// An Ed25519 PKCS#8 v1 document of the seed `[7; 32]`.
fn key() -> LogKey {
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend([7u8; 32]);
    LogKey::from_pkcs8(ORIGIN, &pkcs8).expect("a fixed valid key")
}

/// A retention deletion of case `C-2026-000n`: an entry of fixed size and content.
fn deletion(n: u64) -> Entry {
    let at = time::OffsetDateTime::from_unix_timestamp(1_790_000_000 + n as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let time = LogTime::from_datetime(at).expect("log time");
    Entry {
        time,
        covenant_version: 1,
        event: Event::RetentionDeletion(RetentionDeletion {
            case: CaseId::parse(&format!("C-2026-{n:04}")).expect("case id"),
            case_ended: time,
            article: "9.1".parse().expect("article"),
        }),
    }
}

/// Writes a log of a few entries and checkpoints with the fixed key, as one seed file.
fn write_seed(out: &Path) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (log, _) = Log::open(dir.path(), key(), LogOptions::default()).expect("open");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for n in 0..6u64 {
            let _ = log.append(deletion(n)).await;
            if n % 3 == 2 {
                let _ = log.checkpoint().await;
            }
        }
    });
    drop(log);
    let segment = std::fs::read(dir.path().join(SEGMENT)).unwrap_or_default();
    let head = std::fs::read(dir.path().join("HEAD")).unwrap_or_default();
    let mut seed = u32::try_from(segment.len()).unwrap_or(0).to_be_bytes().to_vec();
    seed.extend(segment);
    seed.extend(head);
    std::fs::write(out, seed).expect("write the seed");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--write-seed" {
        write_seed(Path::new(&args[2]));
        return;
    }
    let data = treiter_fuzz::input();
    if data.len() < 4 {
        return;
    }
    let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    let rest = &data[4..];
    let (segment, head) = rest.split_at(len.min(rest.len()));
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    if std::fs::write(dir.path().join(SEGMENT), segment).is_err() {
        return;
    }
    if !head.is_empty() && std::fs::write(dir.path().join("HEAD"), head).is_err() {
        return;
    }
    if let Ok((log, _)) = Log::open(dir.path(), key(), LogOptions::default()) {
        // What opened must read back: every entry it claims to hold.
        for index in 0..log.tree_size() {
            let _ = log.entry(index);
        }
    }
}
