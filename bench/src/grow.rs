//! `--pre-grown`: grows the stored data of a stopped system, fast, through the crates'
//! own libraries rather than through real case files (100,000 of those would take
//! longer than the benchmark):
//! - the decision log: copies of the last share decision, each with its own salt,
//!   appended through [`Log::append`] (group commit, as the hub appends);
//! - the recipient agent's inbox (the gemeente's: the stadsdeelregisseur's party):
//!   shares in the inbox's own on-disk format, sealed under its key, of cases other
//!   than the benchmark's. They are written without an fsync each: a crash during the
//!   growing would only lose growth.

use std::path::Path;

use anyhow::Context as _;
use treiter_hub::config::HubConfig;
use treiter_hub::log::{EntryKind, Log, LogKey, LogOptions};
use treiter_hub::state::{LOG_ORIGIN, log_dir};
use treiter_node_agent::inbox::{InboxKey, StoredField, StoredObligation, StoredShare};

/// Appends `n` share decisions to the decision log of the hub configured in `dir`.
pub async fn log(dir: &Path, n: u64) -> anyhow::Result<()> {
    let config = HubConfig::load(&dir.join("hub.toml"))?;
    let key = LogKey::load(&config.log_key, LOG_ORIGIN)?;
    let (log, _) = Log::open(&log_dir(&config), key, LogOptions::default())?;
    let size = log.tree_size();
    let mut template = None;
    for index in (0..size).rev() {
        let stored = log.entry(index)?;
        if stored.entry.kind() == EntryKind::ShareDecision {
            template = Some(stored.entry);
            break;
        }
    }
    let template = template.context("the log holds no share decision to copy")?;
    let log = std::sync::Arc::new(log);
    // Many appends in flight, so the committer writes them in batches.
    let mut done = 0;
    while done < n {
        let chunk = (n - done).min(4096);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..chunk {
            let log = log.clone();
            let entry = template.clone();
            tasks.spawn(async move { log.append(entry).await });
        }
        while let Some(result) = tasks.join_next().await {
            result??;
        }
        done += chunk;
    }
    Ok(())
}

/// Writes `n` shares into the inbox in `inbox_dir` sealed with the key in `key_file`,
/// 10 per delivery, of 1,000 cases that are not the benchmark's.
pub fn inbox(inbox_dir: &Path, key_file: &Path, n: u64) -> anyhow::Result<()> {
    let key = InboxKey::load_or_create(key_file)?;
    let shares = inbox_dir.join("shares");
    std::fs::create_dir_all(&shares)?;
    for i in 0..n {
        let delivery = format!("grown-{}", i / 10);
        let id = format!("{delivery}.{}", i % 10);
        let share = StoredShare {
            id: id.clone(),
            delivery,
            case: format!("C-2026-9{:04}", i % 1000),
            case_file: format!("CF-2026-9{:04}-0001", i % 1000),
            source: "00000001003214345000".into(),
            category: "politie-incidenten".into(),
            subject: format!("{:064x}", i % 1000),
            purpose: "aanpak".into(),
            obligations: vec![StoredObligation {
                kind: "purpose-binding".into(),
                article: "3.2".into(),
                purpose: "aanpak".into(),
            }],
            fields: vec![
                StoredField {
                    name: "datum".into(),
                    value: "2026-10-01".into(),
                },
                StoredField {
                    name: "soort".into(),
                    value: "synthetisch incident".into(),
                },
            ],
            log_leaf_index: i,
            received_at: "2026-11-01T10:00:00Z".into(),
            delete_at: None,
        };
        let plain = serde_json::to_vec(&share)?;
        let sealed = key.seal(&id, &plain)?;
        std::fs::write(shares.join(format!("{id}.share")), sealed)?;
    }
    Ok(())
}
