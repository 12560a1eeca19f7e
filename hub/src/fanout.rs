//! Asking many parties at once: one deadline for all, each party's outcome as it
//! settles, and partial answers when the deadline passes.
//!
//! Every question runs as its own task, so a slow or offline partner never blocks the
//! others: each `ask` ends by the shared deadline at the latest (a queued question adds
//! one durable store write). [`FanOut::next`] yields outcomes in the order they settle
//! (for a streamed case file); [`FanOut::collect`] waits for all of them and returns
//! them in the order asked.

use std::collections::HashMap;
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

/// How one question of a fan-out ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    /// Its position in the asks given to [`FanOut::start`].
    pub index: usize,
    pub party: Oin,
    pub outcome: AskOutcome,
}

/// Questions on their way to many parties.
#[derive(Debug)]
pub struct FanOut {
    tasks: JoinSet<Settled>,
    /// What each task asked, to report a task that failed (panicked) by its party.
    asked: HashMap<Id, (usize, Oin)>,
    len: usize,
}

impl FanOut {
    /// Sends every question now, concurrently, all with the same deadline `deadline`
    /// from now. Must be called within a Tokio runtime. Dropping the fan-out abandons
    /// the questions still waiting (queued ones stay queued).
    pub fn start(
        questions: &Questions,
        asks: impl IntoIterator<Item = Ask>,
        deadline: Duration,
        queue_if_offline: bool,
    ) -> FanOut {
        let deadline = Deadline::after(deadline);
        let mut tasks = JoinSet::new();
        let mut asked = HashMap::new();
        let mut len = 0;
        for (index, ask) in asks.into_iter().enumerate() {
            let questions = questions.clone();
            let party = ask.party.clone();
            let handle = tasks.spawn(async move {
                let outcome = questions
                    .ask_until(&ask.party, ask.question, deadline, queue_if_offline)
                    .await;
                Settled {
                    index,
                    party: ask.party,
                    outcome,
                }
            });
            asked.insert(handle.id(), (index, party));
            len += 1;
        }
        FanOut { tasks, asked, len }
    }

    /// The number of questions asked.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next question to settle; `None` when all have.
    pub async fn next(&mut self) -> Option<Settled> {
        loop {
            match self.tasks.join_next_with_id().await? {
                Ok((id, settled)) => {
                    self.asked.remove(&id);
                    return Some(settled);
                }
                Err(error) => {
                    // Every task was recorded at spawn, so the look-up finds it.
                    let Some((index, party)) = self.asked.remove(&error.id()) else {
                        tracing::error!(%error, "an unknown question task failed");
                        continue;
                    };
                    // A bug in the hub, not the partner's doing; the party still gets an
                    // outcome rather than a hole.
                    tracing::error!(oin = %party, %error, "a question task failed; reported as no answer");
                    return Some(Settled {
                        index,
                        party,
                        outcome: AskOutcome::NoAnswer {
                            why: NoAnswerWhy::DeadlineExceeded,
                            queued: None,
                        },
                    });
                }
            }
        }
    }

    /// Every outcome, in the order asked, once all have settled.
    pub async fn collect(mut self) -> Vec<Settled> {
        let mut all = Vec::with_capacity(self.len);
        while let Some(settled) = self.next().await {
            all.push(settled);
        }
        all.sort_by_key(|s| s.index);
        all
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
