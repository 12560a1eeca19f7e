//! Request ids: chosen by the hub, unique, and the idempotency key of a question.
//!
//! An id is 32 lowercase hex digits: 48 bits of Unix milliseconds, 48 bits of a
//! per-process nonce and a 32-bit counter. The time prefix makes ids sort in the order
//! they were made, so a party's queued questions come out of the outbox (keyed by OIN +
//! id) oldest first. The nonce keeps two hub processes (a restart within one
//! millisecond, or a test running two hubs) from making the same id; the counter keeps
//! ids of one process apart. Ids are not secrets: an answer is accepted only from the
//! party that was asked, over its own authenticated link.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A question's request id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    /// An id as it came over the wire or out of the store; not checked, because it is
    /// only ever compared with ids the hub made itself.
    pub fn from_wire(id: impl Into<String>) -> RequestId {
        RequestId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

/// Makes request ids for one hub process.
#[derive(Debug)]
pub struct RequestIds {
    nonce: u64,
    counter: AtomicU32,
}

const NONCE_BITS: u32 = 48;
const MILLIS_MASK: u128 = (1 << 48) - 1;

impl RequestIds {
    /// A generator with this nonce (only its low 48 bits are used).
    pub fn with_nonce(nonce: u64) -> RequestIds {
        RequestIds {
            nonce: nonce & ((1 << NONCE_BITS) - 1),
            counter: AtomicU32::new(0),
        }
    }

    /// A generator with a nonce from the operating system's random source.
    pub fn random() -> RequestIds {
        let mut bytes = [0u8; 8];
        let nonce = match rustls::crypto::ring::default_provider()
            .secure_random
            .fill(&mut bytes)
        {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => {
                // The nonce only keeps processes apart; std's hasher seed comes from
                // the OS as well and is good enough for that.
                tracing::warn!("the random source failed; request-id nonce from the hasher seed");
                std::hash::RandomState::new().hash_one(std::process::id())
            }
        };
        Self::with_nonce(nonce)
    }

    /// A new id, time-ordered by `now`.
    pub fn next(&self, now: SystemTime) -> RequestId {
        let millis = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
            & MILLIS_MASK;
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        RequestId(format!("{millis:012x}{:012x}{count:08x}", self.nonce))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn ids_are_unique_time_ordered_hex() {
        let ids = RequestIds::with_nonce(0xabcdef);
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
        let a = ids.next(t);
        let b = ids.next(t);
        let c = ids.next(t + Duration::from_millis(1));
        assert_ne!(a, b);
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(a.as_str().len(), 32);
        assert!(
            a.as_str()
                .chars()
                .all(|ch| ch.is_ascii_digit() || ('a'..='f').contains(&ch))
        );
        let other = RequestIds::with_nonce(0x123456);
        assert_ne!(other.next(t), a, "another process makes other ids");
    }
}
