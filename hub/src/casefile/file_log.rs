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
//! - or [`GATHER_WINDOW`] after the first of them was handed in (at the file's
//!   deadline at the latest), so that a slow partner (one that answers at the
//!   deadline) does not hold the others' records back: they are shown when the window
//!   closes.
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
    /// Held while entries are taken and handed to the log's committer (a channel
    /// send, no waiting), so that they reach it in the order taken: the last
    /// partner's checkpoint comes after every entry handed in before it.
    gathered: Mutex<Gathered>,
    /// [`GATHER_WINDOW`], but in tests.
    window: Duration,
    /// The file's deadline: a window closes by it, so that no partner settles later
    /// for waiting on the others.
    deadline: tokio::time::Instant,
}

#[derive(Debug)]
struct Gathered {
    /// The partners that have not handed in yet.
    unsettled: usize,
    /// Handed in and not sent yet.
    pending: PreparedAppends,
}

impl FileLog {
    /// The log of a file with `partners` partners asked, all by `deadline`.
    pub(super) fn new(partners: usize, deadline: tokio::time::Instant) -> Arc<FileLog> {
        Self::with_window(partners, deadline, GATHER_WINDOW)
    }

    fn with_window(
        partners: usize,
        deadline: tokio::time::Instant,
        window: Duration,
    ) -> Arc<FileLog> {
        Arc::new(FileLog {
            gathered: Mutex::new(Gathered {
                unsettled: partners,
                pending: PreparedAppends::default(),
            }),
            window,
            deadline,
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
        let (checkpoint, durable) = {
            let mut gathered = self.gathered.lock().unwrap_or_else(PoisonError::into_inner);
            debug_assert!(gathered.unsettled > 0, "a partner handed in twice");
            gathered.unsettled = gathered.unsettled.saturating_sub(1);
            let (first, durable) = match prepared {
                Ok((prepared, durable)) => {
                    let first = gathered.pending.is_empty() && !prepared.is_empty();
                    gathered.pending.append(prepared);
                    (first, Ok(durable))
                }
                Err(error) => (false, Err(error)),
            };
            let mut checkpoint = None;
            if gathered.unsettled == 0 {
                // The last: everything handed in goes now, with the file's checkpoint.
                let all = std::mem::take(&mut gathered.pending);
                if !all.is_empty() {
                    match log.send_prepared_with_checkpoint(all) {
                        Ok(signed) => checkpoint = Some(signed),
                        // Every partner whose entries it held hears of it.
                        Err(error) => tracing::error!(%error, "cannot hand decisions to the log"),
                    }
                }
            } else if first {
                // A task of its own, so that the entries go even if the partner that
                // opened the window is dropped meanwhile.
                let (file_log, log) = (Arc::clone(self), log.clone());
                let closes = (tokio::time::Instant::now() + self.window).min(self.deadline);
                tokio::spawn(async move {
                    tokio::time::sleep_until(closes).await;
                    file_log.send_gathered(&log);
                });
            }
            (checkpoint, durable)
        };
        if let Some(checkpoint) = checkpoint {
            match checkpoint.signed().await {
                Ok(checkpoint) => signed(&checkpoint),
                // Only reported (a failed batch is its partners' error below too): the
                // file signs its own once stored when this one does not cover it.
                Err(error) => {
                    tracing::error!(%error, "cannot sign a log checkpoint with the decisions")
                }
            }
        }
        durable?.indices().await
    }

    /// Sends what has been handed in and not sent yet, without a checkpoint.
    fn send_gathered(&self, log: &Log) {
        let mut gathered = self.gathered.lock().unwrap_or_else(PoisonError::into_inner);
        let pending = std::mem::take(&mut gathered.pending);
        if pending.is_empty() {
            return;
        }
        if let Err(error) = log.send_prepared(pending) {
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

    /// A file log whose window is `window`, its deadline far off.
    fn file_log(partners: usize, window: Duration) -> Arc<FileLog> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
        FileLog::with_window(partners, deadline, window)
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
        let file_log = file_log(3, Duration::from_secs(20));
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

    /// The last partner has nothing to log: the others' entries go when it settles,
    /// with the checkpoint.
    #[tokio::test]
    async fn a_last_partner_without_decisions_sends_the_others_with_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let file_log = file_log(2, Duration::from_secs(20));
        let seen = AtomicU64::new(0);
        let started = std::time::Instant::now();
        let (first, last) = tokio::join!(
            file_log.log(&log, vec![sample(0)], signed_size(&seen)),
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                file_log.log(&log, Vec::new(), signed_size(&seen)).await
            },
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "held for the window"
        );
        assert_eq!(first.unwrap(), [0]);
        assert!(last.unwrap().is_empty());
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_partner_settled_first_is_logged_when_the_window_closes() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let window = Duration::from_millis(50);
        let file_log = file_log(3, window);
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
        assert_eq!(
            file_log
                .log(&log, vec![sample(1)], signed_size(&seen))
                .await
                .unwrap(),
            [1]
        );
        assert_eq!(seen.load(Ordering::SeqCst), 2);
        assert_eq!(log.stats().batches, batches + 1);
    }

    /// The window closes by the file's deadline: a partner settled just before it is
    /// not held past it.
    #[tokio::test]
    async fn a_window_closes_by_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let deadline = tokio::time::Instant::now() + Duration::from_millis(50);
        let file_log = FileLog::with_window(2, deadline, Duration::from_secs(3600));
        let seen = AtomicU64::new(0);
        let alone = tokio::time::timeout(
            Duration::from_secs(10),
            file_log.log(&log, vec![sample(0)], signed_size(&seen)),
        )
        .await
        .expect("sent at the deadline, not an hour later");
        assert_eq!(alone.unwrap(), [0]);
    }

    /// A batch the log refuses fails every partner whose entries it held (article 10.1),
    /// whether the last partner sent it or the window did.
    #[tokio::test]
    async fn a_refused_batch_fails_every_partner_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        log.faults().fail_writes();
        let refused = |r: &Result<Vec<u64>, LogError>| matches!(r, Err(LogError::Write { .. }));
        let seen = AtomicU64::new(0);
        let together = file_log(2, Duration::from_secs(20));
        let (first, last) = tokio::join!(
            together.log(&log, vec![sample(0)], signed_size(&seen)),
            together.log(&log, vec![sample(1)], signed_size(&seen)),
        );
        assert!(refused(&first) && refused(&last), "{first:?} {last:?}");
        let by_window = file_log(2, Duration::from_millis(20));
        let alone = tokio::time::timeout(
            Duration::from_secs(10),
            by_window.log(&log, vec![sample(2)], signed_size(&seen)),
        )
        .await
        .expect("sent when the window closes");
        assert!(refused(&alone), "{alone:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 0);
    }
}
