//! Decision-log appends per second: group commit against one fdatasync per entry, in the
//! same run, on the same disk.
//!
//! Run with `cargo bench -p treiter-hub --bench log_append` (prints a table). The log is
//! written under `target/tmp` (a real disk, not tmpfs), or under `$LOG_BENCH_DIR`.
//! Under `cargo test --benches` (no `--bench` argument) it runs a tiny smoke version.
//!
//! Rows:
//! - *fsync per entry, sequential*: one caller appends and waits for each entry: the
//!   plain baseline, one fdatasync per decision.
//! - *fsync per entry, N callers*: N concurrent callers, but the log limited to one entry
//!   per sync (`max_batch_entries = 1`): what concurrency alone gives.
//! - *group commit, N callers*: the log as the hub runs it.
//! - *no fsync, N callers*: no sync at all (`SyncMode::NoSyncBenchmarkOnly`), which is
//!   not durable: the ceiling that syncing costs against.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use treiter_hub::log::entry::{
    CaseId, Entry, Event, FieldNames, LogTime, PersonId, Pseudonym, Requester, ShareDecision,
};
use treiter_hub::log::{Log, LogKey, LogOptions, SyncMode, key};
use treiter_policies::request::{Oin, Outcome};
use treiter_policies::vocab::{Category, Purpose, Role};

const ORIGIN: &str = "bench.treiteraanpak.example/decision-log";

fn entry(n: u64) -> Entry {
    let oin = |s: &str| Oin::parse(s).unwrap_or(Oin(0));
    Entry {
        time: LogTime::from_datetime(OffsetDateTime::now_utc()).unwrap(),
        covenant_version: 3,
        event: Event::ShareDecision(ShareDecision {
            requester: Requester {
                party: oin("00000001000000000001"),
                role: Role::Stadsdeelregisseur,
                person: PersonId::parse(&format!("p-gemeente-{:04}", n % 10_000)).unwrap(),
            },
            source: oin("00000002000000000002"),
            recipient: oin("00000001000000000001"),
            case: CaseId::parse(&format!("C-2026-{:04}", n % 1000)).unwrap(),
            subject: Pseudonym::parse(&format!("{:064x}", n)).unwrap(),
            category: Category::PolitieIncidenten,
            purpose: Purpose::Duiding,
            fields_offered: FieldNames::parse_all([
                "datum",
                "incidentsoort",
                "locatie",
                "rol_betrokkene",
                "samenvatting",
            ])
            .unwrap(),
            fields_stripped: FieldNames::parse_all(["samenvatting"]).unwrap(),
            withheld_field_names: 0,
            outcome: Outcome::Permit,
            articles: ["6.3", "6.3a", "8.1"]
                .iter()
                .map(|a| a.parse().unwrap())
                .collect(),
            emergency: false,
            notifications: BTreeSet::new(),
        }),
    }
}

struct Row {
    name: String,
    appends: u64,
    elapsed: Duration,
    batches: u64,
    p50: Duration,
    p99: Duration,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.appends as f64 / self.elapsed.as_secs_f64()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(
    base: &std::path::Path,
    pkcs8: &[u8],
    name: &str,
    callers: u64,
    per_caller: u64,
    options: LogOptions,
) -> Row {
    let dir = tempfile::tempdir_in(base).unwrap();
    let key = LogKey::from_pkcs8(ORIGIN, pkcs8).unwrap();
    let (log, _) = Log::open(dir.path(), key, options).unwrap();
    // Warm up: create the segment, fault in the code paths.
    for i in 0..10 {
        log.append(entry(i)).await.unwrap();
    }
    let before = log.stats();
    let entries: Arc<Vec<Entry>> = Arc::new((0..callers * per_caller).map(entry).collect());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..callers {
        let log = log.clone();
        let entries = Arc::clone(&entries);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_caller as usize);
            for j in 0..per_caller {
                let e = entries[(c * per_caller + j) as usize].clone();
                let t = Instant::now();
                log.append(e).await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    let after = log.stats();
    latencies.sort();
    let row = Row {
        name: name.to_owned(),
        appends: callers * per_caller,
        elapsed,
        batches: after.batches - before.batches,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    };
    assert_eq!(log.tree_size(), 10 + callers * per_caller);
    row
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let base = std::env::var_os("LOG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&base).unwrap();
    let pkcs8 = key::generate_pkcs8().unwrap();
    // Appends per row: enough for a few seconds of the slowest mode.
    let total: u64 = if full { 4096 } else { 64 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let per_entry = LogOptions {
        max_batch_entries: 1,
        ..LogOptions::default()
    };
    let no_sync = LogOptions {
        sync: SyncMode::NoSyncBenchmarkOnly,
        ..LogOptions::default()
    };
    let rows = rt.block_on(async {
        let mut rows = Vec::new();
        rows.push(
            run(
                &base,
                &pkcs8,
                "fsync per entry, sequential",
                1,
                total / 2,
                LogOptions::default(),
            )
            .await,
        );
        for callers in [16u64, 64, 256] {
            rows.push(
                run(
                    &base,
                    &pkcs8,
                    &format!("fsync per entry, {callers} callers"),
                    callers,
                    total / callers,
                    per_entry.clone(),
                )
                .await,
            );
            rows.push(
                run(
                    &base,
                    &pkcs8,
                    &format!("group commit, {callers} callers"),
                    callers,
                    (4 * total) / callers,
                    LogOptions::default(),
                )
                .await,
            );
        }
        rows.push(
            run(
                &base,
                &pkcs8,
                "no fsync (not durable), 64 callers",
                64,
                (4 * total) / 64,
                no_sync,
            )
            .await,
        );
        rows
    });
    let baseline = rows[0].per_second();
    println!(
        "decision log appends, log directory under {}",
        base.display()
    );
    println!(
        "| mode | appends | seconds | appends/s | × baseline | syncs | entries/sync | p50 latency | p99 latency |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.1} | {} | {:.1} | {:.2} ms | {:.2} ms |",
            r.name,
            r.appends,
            r.elapsed.as_secs_f64(),
            r.per_second(),
            r.per_second() / baseline,
            r.batches,
            r.appends as f64 / r.batches.max(1) as f64,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
        );
    }
    if let Some(g) = rows.iter().find(|r| r.name == "group commit, 64 callers") {
        println!(
            "\ngroup commit (64 callers) vs fsync per entry (sequential): {:.1}x",
            g.per_second() / baseline
        );
    }

    // Opening reads, authenticates and hashes every record: time it.
    let n: u64 = if full { 200_000 } else { 500 };
    let dir = tempfile::tempdir_in(&base).unwrap();
    rt.block_on(async {
        let key = LogKey::from_pkcs8(ORIGIN, &pkcs8).unwrap();
        let (log, _) = Log::open(
            dir.path(),
            key,
            LogOptions {
                sync: SyncMode::NoSyncBenchmarkOnly,
                ..LogOptions::default()
            },
        )
        .unwrap();
        let mut tasks = Vec::new();
        for c in 0..64 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for j in 0..n / 64 {
                    log.append(entry(c * n + j)).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        log.checkpoint().await.unwrap();
    });
    let bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let start = Instant::now();
    let key = LogKey::from_pkcs8(ORIGIN, &pkcs8).unwrap();
    let (log, report) = Log::open(dir.path(), key, LogOptions::default()).unwrap();
    let open = start.elapsed();
    let start = Instant::now();
    let verified = log.verify().unwrap();
    let verify = start.elapsed();
    println!(
        "open: {} entries ({:.0} MB) in {:.2} s ({:.1} µs/entry); verify (decodes every entry too): {:.2} s; {} checked",
        report.entries,
        bytes as f64 / 1e6,
        open.as_secs_f64(),
        open.as_secs_f64() * 1e6 / report.entries.max(1) as f64,
        verify.as_secs_f64(),
        verified.entries,
    );
}
