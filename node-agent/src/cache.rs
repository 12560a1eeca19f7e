//! The answers the agent gave recently, by request id, so that a question delivered
//! again (after a reconnect or a crash of the hub) gets the very same answer.
//!
//! Bounded by count and by encoded size: answers carry records, and a hub that
//! re-delivers a burst must not make the agent hold gigabytes of personal data.
//! The oldest answers go first; a question re-delivered after its answer was evicted
//! is answered afresh (the hub stops re-delivering once it has the answer).

use std::collections::{HashMap, VecDeque};

use prost::Message;
use treiter_proto::v1::Answer;

/// Default number of answers kept.
pub const DEFAULT_ENTRIES: usize = 4096;
/// Default total encoded size of the answers kept, in bytes.
pub const DEFAULT_BYTES: usize = 64 << 20;

/// Recent answers, by request id.
#[derive(Debug)]
pub struct AnswerCache {
    max_entries: usize,
    max_bytes: usize,
    bytes: usize,
    /// Request ids, oldest first.
    order: VecDeque<String>,
    /// The answer and its encoded size.
    answers: HashMap<String, (Answer, usize)>,
}

impl AnswerCache {
    /// A cache holding at most `max_entries` answers and `max_bytes` of them.
    pub fn new(max_entries: usize, max_bytes: usize) -> AnswerCache {
        AnswerCache {
            max_entries,
            max_bytes,
            bytes: 0,
            order: VecDeque::new(),
            answers: HashMap::new(),
        }
    }

    /// The answer given to `request_id`, if it is still kept.
    pub fn get(&self, request_id: &str) -> Option<&Answer> {
        self.answers.get(request_id).map(|(a, _)| a)
    }

    /// Keeps `answer` for `request_id` unless an answer is already kept, and returns the
    /// kept one: when two deliveries of one question are answered at once, both get
    /// the answer that was stored first.
    pub fn insert_or_get(&mut self, request_id: &str, answer: Answer) -> Answer {
        if let Some((kept, _)) = self.answers.get(request_id) {
            return kept.clone();
        }
        let size = answer.encoded_len();
        if self.max_entries == 0 || size > self.max_bytes {
            // Too big to keep: answered, but a re-delivery is answered afresh.
            return answer;
        }
        while self.order.len() >= self.max_entries || self.bytes + size > self.max_bytes {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some((_, s)) = self.answers.remove(&oldest) {
                self.bytes -= s;
            }
        }
        self.order.push_back(request_id.to_owned());
        self.answers
            .insert(request_id.to_owned(), (answer.clone(), size));
        self.bytes += size;
        answer
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_proto::v1::{BevragingAnswer, Unanswerable, answer};

    fn hit(id: &str, hit: bool) -> Answer {
        Answer {
            request_id: id.into(),
            kind: Some(answer::Kind::Bevraging(BevragingAnswer {
                hit,
                more_hits: Vec::new(),
            })),
        }
    }

    #[test]
    fn the_first_answer_stays() {
        let mut cache = AnswerCache::new(10, 1 << 20);
        assert_eq!(cache.insert_or_get("q1", hit("q1", true)), hit("q1", true));
        assert_eq!(cache.insert_or_get("q1", hit("q1", false)), hit("q1", true));
        assert_eq!(cache.get("q1"), Some(&hit("q1", true)));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn evicts_the_oldest_by_count() {
        let mut cache = AnswerCache::new(3, 1 << 20);
        for i in 0..5 {
            cache.insert_or_get(&format!("q{i}"), hit(&format!("q{i}"), true));
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get("q0").is_none());
        assert!(cache.get("q1").is_none());
        assert!(cache.get("q4").is_some());
    }

    #[test]
    fn evicts_the_oldest_by_size_and_skips_what_never_fits() {
        let big = |id: &str| Answer {
            request_id: id.into(),
            kind: Some(answer::Kind::Unanswerable(Unanswerable {
                reason: "x".into(),
                detail: "y".repeat(100),
            })),
        };
        let size = big("a").encoded_len();
        let mut cache = AnswerCache::new(100, size * 2);
        cache.insert_or_get("a", big("a"));
        cache.insert_or_get("b", big("b"));
        cache.insert_or_get("c", big("c"));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a").is_none());
        let huge = Answer {
            request_id: "h".into(),
            kind: Some(answer::Kind::Unanswerable(Unanswerable {
                reason: "x".into(),
                detail: "y".repeat(size * 3),
            })),
        };
        assert_eq!(cache.insert_or_get("h", huge.clone()), huge);
        assert!(cache.get("h").is_none());
        assert_eq!(cache.len(), 2);
    }
}
