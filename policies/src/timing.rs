//! The timing loop of the bench binaries (`covenant-bench` here, `bench-cedar` beside
//! it), so both measure alike. Not used by the engine.

use std::time::{Duration, Instant};

/// Median nanoseconds per call of `f`, over 21 timed batches. A batch is sized to
/// about 5 ms first, so that timer resolution does not matter.
pub fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut batch: u32 = 1;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        if t.elapsed() >= Duration::from_millis(5) || batch >= 1 << 24 {
            break;
        }
        batch *= 2;
    }
    let mut samples: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}
