//! The decision log as it opens from disk: the segment scanner and the head record
//! (input format: `treiter_fuzz::targets::log_segment`). `log_segment --write-seed
//! FILE` writes a valid log with the fixed key as one seed file, so that mutations
//! explore past the records' MACs. AFL++ runs the body in persistent mode.
use std::path::Path;

use treiter_fuzz::targets::{SEGMENT, log_key};
use treiter_hub::log::entry::{CaseId, Entry, Event, LogTime, RetentionDeletion};
use treiter_hub::log::{Log, LogOptions};

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
    let (log, _) = Log::open(dir.path(), log_key(), LogOptions::default()).expect("open");
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
    let mut seed = u32::try_from(segment.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
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
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::log_segment(data));
}
