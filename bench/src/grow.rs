//! `--pre-grown`: grows the stored data of a stopped system, fast, through the crates'
//! own libraries rather than through real case files (100,000 of those would take
//! longer than the benchmark):
//! - the decision log: copies of the last share decision, each with its own salt,
//!   appended through [`Log::append`] (group commit, as the hub appends);
//! - the recipient agent's inbox (the gemeente's: the stadsdeelregisseur's party):
//!   deliveries of about nine shares (as a case file's are) in the inbox's own on-disk
//!   format, one sealed delivery file each ([`sealed_delivery`]), of cases other than
//!   the benchmark's. They are written without an fsync each: a crash during the
//!   growing would only lose growth.

use std::path::Path;

use anyhow::Context as _;
use treiter_hub::config::HubConfig;
use treiter_hub::log::{EntryKind, Log, LogKey, LogOptions};
use treiter_hub::state::{LOG_ORIGIN, log_dir};
use treiter_node_agent::inbox::{
    InboxKey, SUFFIX, StoredField, StoredObligation, StoredShare, sealed_delivery,
};

/// Shares per grown delivery: about what a case file of the demo delivers.
const PER_DELIVERY: u64 = 9;

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
/// [`PER_DELIVERY`] per delivery file (the last one fewer), of 1,000 cases that are not
/// the benchmark's.
pub fn inbox(inbox_dir: &Path, key_file: &Path, n: u64) -> anyhow::Result<()> {
    let key = InboxKey::load_or_create(key_file)?;
    let shares = inbox_dir.join("shares");
    std::fs::create_dir_all(&shares)?;
    let mut first = 0;
    while first < n {
        let d = first / PER_DELIVERY;
        let delivery = format!("grown-{d}");
        let case = d % 1000;
        let held: Vec<StoredShare> = (first..n.min(first + PER_DELIVERY))
            .map(|i| StoredShare {
                id: format!("{delivery}.{}", i - first),
                delivery: delivery.clone(),
                case: format!("C-2026-9{case:04}"),
                case_file: format!("CF-2026-9{case:04}-0001"),
                source: "00000001003214345000".into(),
                category: "politie-incidenten".into(),
                subject: format!("{case:064x}"),
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
            })
            .collect();
        let sealed = sealed_delivery(&key, &delivery, &held)?;
        std::fs::write(shares.join(format!("{delivery}{SUFFIX}")), sealed)?;
        first += PER_DELIVERY;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use treiter_node_agent::inbox::Inbox;

    /// The grown inbox is in the format the agent reads: one delivery file per nine
    /// shares, every share counted and opening.
    #[test]
    fn the_grown_inbox_opens_as_the_agent_opens_it() {
        let dir = tempfile::tempdir().unwrap();
        let (inbox_dir, key) = (dir.path().join("inbox"), dir.path().join("inbox.key"));
        super::inbox(&inbox_dir, &key, 20).unwrap();
        assert_eq!(
            std::fs::read_dir(inbox_dir.join("shares")).unwrap().count(),
            3
        );
        let inbox = Inbox::open(&inbox_dir, &key).unwrap();
        assert_eq!(inbox.len().unwrap(), 20);
        assert_eq!(inbox.read("grown-2.1").unwrap().log_leaf_index, 19);
        assert_eq!(inbox.list().unwrap().len(), 20);
    }
}
