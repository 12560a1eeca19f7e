//! Questions sent to a linked agent whose answer an `ask` is waiting for.
//!
//! A waiter is registered before its question is sent (so an answer that overtakes the
//! send's completion is not missed) and removed when the `ask` ends, however it ends:
//! [`Waiting`] removes it on drop, so an `ask` that is cancelled (a fan-out dropped by
//! its caller) leaves nothing behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use treiter_proto::v1::Answer;

use crate::identity::Oin;

#[derive(Debug)]
struct Waiter {
    party: Oin,
    reply: oneshot::Sender<Answer>,
    acked: bool,
}

/// The waiters, by request id.
#[derive(Debug, Default, Clone)]
pub struct Pending {
    waiters: Arc<Mutex<HashMap<String, Waiter>>>,
}

/// What became of an answer offered to the waiters.
#[derive(Debug)]
pub enum Offered {
    /// The waiting `ask` has it.
    Taken,
    /// Another party's question has this id: the answer is not used.
    WrongParty { asked: Oin },
    /// Nobody waits for this id (not asked, or the `ask` already ended); the answer is
    /// handed back.
    NotWaiting(Answer),
}

/// What became of an agent's Ack of a question.
#[derive(Debug, PartialEq, Eq)]
pub enum Acked {
    Recorded,
    WrongParty,
    NotWaiting,
}

impl Pending {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Waiter>> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the answer of `party` to `request_id`.
    pub fn register(&self, party: &Oin, request_id: &str) -> Waiting {
        let (reply, answer) = oneshot::channel();
        self.lock().insert(
            request_id.to_owned(),
            Waiter {
                party: party.clone(),
                reply,
                acked: false,
            },
        );
        Waiting {
            pending: self.clone(),
            request_id: request_id.to_owned(),
            answer,
        }
    }

    /// Hands an answer that arrived on `from`'s link to the `ask` waiting for it. Only
    /// the party that was asked can answer (a party must never answer for another).
    pub fn offer(&self, from: &Oin, answer: Answer) -> Offered {
        let mut waiters = self.lock();
        match waiters.get(&answer.request_id) {
            None => return Offered::NotWaiting(answer),
            Some(waiter) if &waiter.party != from => {
                return Offered::WrongParty {
                    asked: waiter.party.clone(),
                };
            }
            Some(_) => {}
        }
        match waiters.remove(&answer.request_id) {
            // The `ask` may have just given up; then the answer is simply not used.
            Some(waiter) => match waiter.reply.send(answer) {
                Ok(()) => Offered::Taken,
                Err(answer) => Offered::NotWaiting(answer),
            },
            None => Offered::NotWaiting(answer),
        }
    }

    /// Records that `from`'s agent acknowledged receipt of `request_id`.
    pub fn ack(&self, from: &Oin, request_id: &str) -> Acked {
        match self.lock().get_mut(request_id) {
            None => Acked::NotWaiting,
            Some(waiter) if &waiter.party != from => Acked::WrongParty,
            Some(waiter) => {
                waiter.acked = true;
                Acked::Recorded
            }
        }
    }

    /// The number of `ask`s waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One registered waiter; deregisters on drop.
#[derive(Debug)]
pub struct Waiting {
    pending: Pending,
    request_id: String,
    pub answer: oneshot::Receiver<Answer>,
}

impl Waiting {
    /// Whether the agent acknowledged receipt of the question so far.
    pub fn acked(&self) -> bool {
        self.pending
            .lock()
            .get(&self.request_id)
            .is_some_and(|w| w.acked)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.pending.lock().remove(&self.request_id);
    }
}

#[cfg(test)]
mod tests {
    use treiter_proto::v1::{BevragingAnswer, answer};

    use super::*;

    fn oin(n: u8) -> Oin {
        Oin::parse(&format!("0000000{n}00000000000{n}")).unwrap()
    }

    fn answer(id: &str) -> Answer {
        Answer {
            request_id: id.into(),
            kind: Some(answer::Kind::Bevraging(BevragingAnswer {
                hit: true,
                more_hits: Vec::new(),
            })),
        }
    }

    #[tokio::test]
    async fn only_the_asked_party_can_answer() {
        let pending = Pending::default();
        let mut waiting = pending.register(&oin(2), "q1");
        assert!(matches!(
            pending.offer(&oin(3), answer("q1")),
            Offered::WrongParty { asked } if asked == oin(2)
        ));
        assert_eq!(pending.ack(&oin(3), "q1"), Acked::WrongParty);
        assert!(!waiting.acked());
        assert_eq!(pending.ack(&oin(2), "q1"), Acked::Recorded);
        assert!(waiting.acked());
        assert!(matches!(
            pending.offer(&oin(2), answer("q1")),
            Offered::Taken
        ));
        assert_eq!((&mut waiting.answer).await.unwrap().request_id, "q1");
        assert!(matches!(
            pending.offer(&oin(2), answer("q1")),
            Offered::NotWaiting(_)
        ));
    }

    #[test]
    fn a_dropped_wait_leaves_nothing_behind() {
        let pending = Pending::default();
        let waiting = pending.register(&oin(2), "q1");
        assert_eq!(pending.len(), 1);
        drop(waiting);
        assert!(pending.is_empty());
        assert!(matches!(
            pending.offer(&oin(2), answer("q1")),
            Offered::NotWaiting(_)
        ));
    }
}
