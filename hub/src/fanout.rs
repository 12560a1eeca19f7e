//! Asking many parties at once: one deadline for all, each party's outcome as it
//! settles, and partial answers when the deadline passes.
//!
//! Every party's work runs as its own task, so a slow or offline partner never blocks
//! the others: each ends by the shared deadline at the latest (a queued question adds
//! one durable store write). [`FanOut::next`] yields outcomes in the order they settle
//! (for a streamed case file); [`FanOut::collect`] waits for all of them and returns
//! them in the order started.
//!
//! A fan-out runs any work per party ([`FanOut::spawn`]): one question
//! ([`FanOut::start`]), or a case file's bevraging and share request per subject. A
//! task that fails (a panic: a bug in the hub, not the partner's doing) still settles,
//! with the outcome its spawner named for that case, so a party never leaves a hole.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::task::{Id, JoinSet};
use treiter_proto::v1::question;

use crate::identity::Oin;
use crate::questions::{AskOutcome, Deadline, NoAnswerWhy, Questions};

/// One question for one party.
#[derive(Clone, Debug)]
pub struct Ask {
    pub party: Oin,
    pub question: question::Kind,
}

/// How one party's task of a fan-out ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled<T = AskOutcome> {
    /// Its position in the order the tasks were started.
    pub index: usize,
    pub party: Oin,
    pub outcome: T,
}

/// What a task settles as when it failed, by its party.
type IfFailed<T> = Box<dyn FnOnce() -> T + Send>;

/// Work on its way to many parties.
pub struct FanOut<T = AskOutcome> {
    tasks: JoinSet<Settled<T>>,
    /// What each task is for, to report a task that failed by its party.
    started: HashMap<Id, (usize, Oin, IfFailed<T>)>,
    len: usize,
}

impl<T> std::fmt::Debug for FanOut<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FanOut")
            .field("len", &self.len)
            .field("running", &self.tasks.len())
            .finish()
    }
}

impl<T: Send + 'static> Default for FanOut<T> {
    fn default() -> Self {
        FanOut {
            tasks: JoinSet::new(),
            started: HashMap::new(),
            len: 0,
        }
    }
}

impl<T: Send + 'static> FanOut<T> {
    /// No tasks yet.
    pub fn new() -> FanOut<T> {
        FanOut::default()
    }

    /// Starts `work` for `party` now, as its own task; it settles as `if_failed()` if
    /// the task fails. Must be called within a Tokio runtime. Dropping the fan-out
    /// abandons the work still running (queued questions stay queued).
    pub fn spawn(
        &mut self,
        party: Oin,
        work: impl Future<Output = T> + Send + 'static,
        if_failed: impl FnOnce() -> T + Send + 'static,
    ) {
        let index = self.len;
        let for_task = party.clone();
        // A partner's work in a case file is a large future (some 7.5 KiB: every step
        // from the bevraging to the logged decisions). Unboxed, Tokio copies it several
        // times on its way into the task and once more when the task finishes (the
        // task's slot is as large as the future); boxed here it is copied once, for
        // every partner of every file (issue 20).
        let work = Box::pin(work);
        let handle = self.tasks.spawn(async move {
            Settled {
                index,
                party: for_task,
                outcome: work.await,
            }
        });
        self.started
            .insert(handle.id(), (index, party, Box::new(if_failed)));
        self.len += 1;
    }

    /// The number of tasks started.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next task to settle; `None` when all have.
    pub async fn next(&mut self) -> Option<Settled<T>> {
        loop {
            match self.tasks.join_next_with_id().await? {
                Ok((id, settled)) => {
                    self.started.remove(&id);
                    return Some(settled);
                }
                Err(error) => {
                    // Every task was recorded at spawn, so the look-up finds it.
                    let Some((index, party, if_failed)) = self.started.remove(&error.id()) else {
                        tracing::error!(%error, "an unknown fan-out task failed");
                        continue;
                    };
                    // A bug in the hub, not the partner's doing; the party still gets an
                    // outcome rather than a hole.
                    tracing::error!(oin = %party, %error, "a fan-out task failed; reported as no answer");
                    return Some(Settled {
                        index,
                        party,
                        outcome: if_failed(),
                    });
                }
            }
        }
    }

    /// Every outcome, in the order started, once all have settled.
    pub async fn collect(mut self) -> Vec<Settled<T>> {
        let mut all = Vec::with_capacity(self.len);
        while let Some(settled) = self.next().await {
            all.push(settled);
        }
        all.sort_by_key(|s| s.index);
        all
    }
}

impl FanOut<AskOutcome> {
    /// Sends every question now, concurrently, all with the same deadline `deadline`
    /// from now. Must be called within a Tokio runtime.
    pub fn start(
        questions: &Questions,
        asks: impl IntoIterator<Item = Ask>,
        deadline: Duration,
        queue_if_offline: bool,
    ) -> FanOut {
        let deadline = Deadline::after(deadline);
        let mut fan_out = FanOut::new();
        for ask in asks {
            let questions = questions.clone();
            let party = ask.party.clone();
            fan_out.spawn(
                party,
                async move {
                    questions
                        .ask_until(&ask.party, ask.question, deadline, queue_if_offline)
                        .await
                },
                failed_question,
            );
        }
        fan_out
    }
}

/// The outcome of a question whose task failed: the deadline passed without an answer.
pub fn failed_question() -> AskOutcome {
    AskOutcome::NoAnswer {
        why: NoAnswerWhy::DeadlineExceeded,
        queued: None,
    }
}

/// Asks every party its question concurrently with one deadline; the outcomes in the
/// order asked.
pub async fn fan_out(
    questions: &Questions,
    asks: impl IntoIterator<Item = Ask>,
    deadline: Duration,
    queue_if_offline: bool,
) -> Vec<Settled> {
    FanOut::start(questions, asks, deadline, queue_if_offline)
        .collect()
        .await
}
