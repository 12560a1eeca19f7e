//! One log batch for the decisions of a case file's partners that settle about the
//! same time (issue 20).
//!
//! Every partner asked for a file settles on its own and its records may pass only
//! once their decisions are durably logged (article 10.1). The partners of one file
//! are asked at once and mostly answer within milliseconds of each other; logged one
//! partner at a time, a file cost the decision log's committer a write, an `fdatasync`
//! and a round of wake-ups per partner with records, and the file's checkpoint was
//! signed in the last one's. Here a settled partner hands its entries in
//! ([`FileLog::log`]), and they are sent to the committer together:
//! - when the last partner of the file settles, with everything handed in and not yet
//!   sent, and a checkpoint over it all in the same batch (the one the file needs,
//!   article 10.2; a file whose decisions all went earlier signs its own once stored,
//!   as before);
//! - or [`GATHER_WINDOW`] after the first of them was handed in, so that a slow
//!   partner (one that answers at the deadline) does not hold the others' records
//!   back: they are shown when the window closes.
//!
//! Nothing passes sooner than before: each partner still waits for its own entries to
//! be durable. The file is not held up either: its last partner's entries go at once.
//! A partner's records may be shown (GetCaseFile, WatchCaseFile) up to the window later
//! than their own batch would have allowed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::log::{Entry, Log, LogError, PreparedAppends, SignedCheckpoint};

/// How long the first partner's entries wait for the other partners' before they go
/// on their own.
pub(super) const GATHER_WINDOW: Duration = Duration::from_millis(20);

/// The decision log of one case file's partners (see the module doc).
#[derive(Debug)]
pub(super) struct FileLog {
    gathered: Mutex<Gathered>,
    /// [`GATHER_WINDOW`], but in tests.
    window: Duration,
}

#[derive(Debug)]
struct Gathered {
    /// The partners that have not handed in yet.
    unsettled: usize,
    /// Handed in and not sent yet.
    pending: PreparedAppends,
}

/// What a partner handing in has to do next.
enum Turn {
    /// Send everything handed in, with the file's checkpoint: it was the last.
    SendAll(PreparedAppends),
    /// Its entries were the first waiting: send what has gathered when the window
    /// closes.
    OpenWindow,
    /// Nothing: its entries go with the others'.
    Wait,
}

impl FileLog {
    /// The log of a file with `partners` partners asked.
    pub(super) fn new(partners: usize) -> Arc<FileLog> {
        Self::with_window(partners, GATHER_WINDOW)
    }

    fn with_window(partners: usize, window: Duration) -> Arc<FileLog> {
        Arc::new(FileLog {
            gathered: Mutex::new(Gathered {
                unsettled: partners,
                pending: PreparedAppends::default(),
            }),
            window,
        })
    }

    /// Logs a settled partner's `entries` (none: it only says that it settled) with
    /// the other partners' (see the module doc); returns their leaf indices once they
    /// are durable. Called once per partner. An error means none of them may pass.
    /// `signed` gets the file's checkpoint when this partner's batch holds it (the
    /// hub sends it to the witnesses).
    pub(super) async fn log(
        self: &Arc<Self>,
        log: &Log,
        entries: Vec<Entry>,
        signed: impl FnOnce(&SignedCheckpoint),
    ) -> Result<Vec<u64>, LogError> {
        // Made ready before the lock: encoding and salting take the most time here.
        let prepared = log.prepare(entries);
        let (turn, durable) = {
            let mut gathered = self.gathered.lock().unwrap_or_else(PoisonError::into_inner);
            gathered.unsettled = gathered.unsettled.saturating_sub(1);
            let (first, durable) = match prepared {
                Ok((prepared, durable)) => {
                    let first = gathered.pending.is_empty() && !prepared.is_empty();
                    gathered.pending.append(prepared);
                    (first, Ok(durable))
                }
                Err(error) => (false, Err(error)),
            };
            let turn = if gathered.unsettled == 0 {
                Turn::SendAll(std::mem::take(&mut gathered.pending))
            } else if first {
                Turn::OpenWindow
            } else {
                Turn::Wait
            };
            (turn, durable)
        };
        match turn {
            Turn::SendAll(all) if !all.is_empty() => match log.send_prepared(all, true) {
                Ok(Some(checkpoint)) => match checkpoint.signed().await {
                    Ok(checkpoint) => signed(&checkpoint),
                    // Only reported: the file signs its own once stored.
                    Err(error) => {
                        tracing::error!(%error, "cannot sign a log checkpoint with the decisions")
                    }
                },
                Ok(None) => {}
                // Every partner whose entries it held hears of it below.
                Err(error) => tracing::error!(%error, "cannot hand decisions to the log"),
            },
            Turn::SendAll(_) | Turn::Wait => {}
            Turn::OpenWindow => {
                // A task of its own, so that the entries go even if the partner that
                // opened the window is dropped meanwhile (its deadline passed).
                let (file_log, log) = (Arc::clone(self), log.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(file_log.window).await;
                    file_log.send_gathered(&log);
                });
            }
        }
        durable?.indices().await
    }

    /// Sends what has been handed in and not sent yet, without a checkpoint.
    fn send_gathered(&self, log: &Log) {
        let pending = std::mem::take(
            &mut self
                .gathered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pending,
        );
        if pending.is_empty() {
            return;
        }
        if let Err(error) = log.send_prepared(pending, false) {
            // Every partner whose entries it held hears of it.
            tracing::error!(%error, "cannot hand decisions to the log");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::log::entry::tests::sample;
    use crate::log::{LogKey, LogOptions, key};

    fn open_log(dir: &std::path::Path) -> Log {
        let key = LogKey::from_pkcs8("hub.example/decision-log", &key::generate_pkcs8().unwrap())
            .unwrap();
        Log::open(dir, key, LogOptions::default()).unwrap().0
    }

    /// The size of the checkpoint handed to `signed`, 0 for none.
    fn signed_size(seen: &AtomicU64) -> impl FnOnce(&SignedCheckpoint) + '_ {
        move |cp| seen.store(cp.checkpoint().size, Ordering::SeqCst)
    }

    /// The first partner's entries wait for the others' (a tenth of a second later,
    /// well within the window here), and the last partner's go at once with all.
    #[tokio::test]
    async fn partners_that_settle_together_are_logged_in_one_batch_with_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let before = log.stats().batches;
        let file_log = FileLog::with_window(3, Duration::from_secs(20));
        let seen = AtomicU64::new(0);
        let started = std::time::Instant::now();
        let (first, (nothing, last)) = tokio::join!(
            file_log.log(&log, vec![sample(0), sample(1)], signed_size(&seen)),
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                tokio::join!(
                    file_log.log(&log, Vec::new(), signed_size(&seen)),
                    file_log.log(&log, vec![sample(2)], signed_size(&seen)),
                )
            },
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "held for the window"
        );
        assert_eq!(first.unwrap(), [0, 1]);
        assert_eq!(nothing.unwrap(), Vec::<u64>::new());
        assert_eq!(last.unwrap(), [2]);
        assert_eq!(log.stats().batches - before, 1, "one batch for the file");
        assert_eq!(seen.load(Ordering::SeqCst), 3, "its checkpoint covers all");
        assert_eq!(log.latest_checkpoint().unwrap().checkpoint().size, 3);
    }

    #[tokio::test]
    async fn a_partner_settled_first_is_logged_when_the_window_closes() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let window = Duration::from_millis(50);
        let file_log = FileLog::with_window(3, window);
        let seen = AtomicU64::new(0);
        // The others have not settled: the first's entry goes alone, by the window,
        // without a checkpoint.
        let started = std::time::Instant::now();
        let alone = tokio::time::timeout(
            Duration::from_secs(10),
            file_log.log(&log, vec![sample(0)], signed_size(&seen)),
        )
        .await
        .expect("sent when the window closes, not held for the others");
        assert_eq!(alone.unwrap(), [0]);
        assert!(started.elapsed() >= window);
        assert!(log.latest_checkpoint().is_none());
        // One settles without decisions: nothing is written.
        let batches = log.stats().batches;
        assert!(
            file_log
                .log(&log, Vec::new(), signed_size(&seen))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(log.stats().batches, batches);
        // The last goes at once, with the checkpoint over the file's decisions.
        let started = std::time::Instant::now();
        assert_eq!(
            file_log
                .log(&log, vec![sample(1)], signed_size(&seen))
                .await
                .unwrap(),
            [1]
        );
        assert!(started.elapsed() < window * 20, "not held for a window");
        assert_eq!(seen.load(Ordering::SeqCst), 2);
        assert_eq!(log.stats().batches, batches + 1);
    }

    /// A batch the log refuses fails every partner whose entries it held (article 10.1).
    #[tokio::test]
    async fn a_refused_batch_fails_every_partner_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        log.faults().fail_writes();
        let file_log = FileLog::new(2);
        let seen = AtomicU64::new(0);
        let (first, last) = tokio::join!(
            file_log.log(&log, vec![sample(0)], signed_size(&seen)),
            file_log.log(&log, vec![sample(1)], signed_size(&seen)),
        );
        assert!(first.is_err() && last.is_err(), "{first:?} {last:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 0);
    }
}
