//! Exponential backoff with full jitter for reconnecting to the hub.
//!
//! After the n-th consecutive failure the agent waits a uniformly random time in
//! `[0, min(max, initial * 2^n)]` ("full jitter"): when the hub restarts, the agents of
//! all partners do not all knock at the same moment, and no wait ever exceeds `max` —
//! the bound within which every agent is back after the hub returns.

use std::time::Duration;

use rand::Rng;

/// Backoff state for one agent.
#[derive(Debug)]
pub struct Backoff<R> {
    initial: Duration,
    max: Duration,
    failures: u32,
    rng: R,
}

impl<R: Rng> Backoff<R> {
    /// A backoff starting at `initial` and never exceeding `max`; the RNG is a parameter
    /// so tests can make it deterministic.
    pub fn new(initial: Duration, max: Duration, rng: R) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            failures: 0,
            rng,
        }
    }

    /// The ceiling of the next wait, before jitter.
    pub fn ceiling(&self) -> Duration {
        // 2^20 * initial is far beyond any sane max; cap the exponent to avoid overflow.
        let factor = 1u32 << self.failures.min(20);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The next wait, and one more failure counted.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.rng.random_range(0..=nanos))
    }

    /// A link was established: start from `initial` again next time.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The upper bound of any wait.
    pub fn max(&self) -> Duration {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn ceilings_double_up_to_the_max_and_reset() {
        let mut b = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(1),
            StdRng::seed_from_u64(7),
        );
        let mut ceilings = Vec::new();
        for _ in 0..6 {
            ceilings.push(b.ceiling().as_millis());
            b.next_delay();
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
    }

    #[test]
    fn delays_are_jittered_and_never_exceed_the_ceiling() {
        let mut b = Backoff::new(
            Duration::from_millis(100),
            Duration::from_millis(800),
            StdRng::seed_from_u64(42),
        );
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let ceiling = b.ceiling();
            let delay = b.next_delay();
            assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
            assert!(delay <= Duration::from_millis(800));
            seen.insert(delay);
        }
        assert!(seen.len() > 150, "full jitter should rarely repeat a delay");
    }
}
