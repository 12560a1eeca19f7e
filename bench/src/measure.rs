//! What the benchmark reads and computes: a process's CPU time and resident memory
//! from /proc, the load driver (a fixed number of calls in flight on one connection),
//! and latency percentiles.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

/// User + system CPU time of a process so far, in clock ticks (0 if it is gone).
pub fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name (field 2) may hold spaces; the fields after its ')' do not.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0);
    let stime: u64 = fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    utime + stime
}

/// Resident memory of a process in MiB (VmRSS), 0 if it is gone.
pub fn rss_mib(pid: u32) -> f64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0.0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

/// CPU time of a set of processes over a stretch of load.
pub struct CpuMeter {
    pids: Vec<u32>,
    start: Vec<u64>,
}

impl CpuMeter {
    pub fn start(pids: &[u32]) -> CpuMeter {
        CpuMeter {
            pids: pids.to_vec(),
            start: pids.iter().map(|p| cpu_ticks(*p)).collect(),
        }
    }

    /// Milliseconds of CPU used since `start`, all processes together.
    pub fn used_ms(&self, ticks_per_second: u64) -> f64 {
        let ticks: u64 = self
            .pids
            .iter()
            .zip(&self.start)
            .map(|(p, s)| cpu_ticks(*p).saturating_sub(*s))
            .sum();
        ticks as f64 * 1000.0 / ticks_per_second as f64
    }
}

/// The outcome of one stretch of load.
pub struct Run {
    pub in_flight: usize,
    pub completed: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-th percentile latency in milliseconds (nearest rank).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
    }
}

/// When a stretch of load stops.
#[derive(Clone, Copy)]
pub enum Until {
    Elapsed(Duration),
    Calls(usize),
}

/// Keeps `in_flight` calls going until `until`; `call` makes one call.
pub async fn drive<F, Fut>(in_flight: usize, until: Until, call: F) -> Run
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let results = Arc::new(Mutex::new((Vec::new(), 0usize, None::<String>)));
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let call = call.clone();
        let stop = stop.clone();
        let issued = issued.clone();
        let results = results.clone();
        workers.push(tokio::spawn(async move {
            loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match until {
                    Until::Elapsed(d) if started.elapsed() >= d => break,
                    Until::Calls(n) if issued.fetch_add(1, Ordering::Relaxed) >= n => break,
                    _ => {}
                }
                let t = Instant::now();
                let outcome = call().await;
                let took = t.elapsed();
                let mut r = results.lock().await;
                match outcome {
                    Ok(()) => r.0.push(took),
                    Err(e) => {
                        r.1 += 1;
                        if r.2.is_none() {
                            r.2 = Some(format!("{e:#}"));
                        }
                        // A failing system fails fast; stop instead of spinning.
                        if r.1 > 100 {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed();
    let (latencies, failed, first_error) = std::mem::take(&mut *results.lock().await);
    Run {
        in_flight,
        completed: latencies.len(),
        failed,
        first_error,
        elapsed,
        latencies,
    }
}
