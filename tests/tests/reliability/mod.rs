//! The reliability suite (issue 22): what the hub promises under faults and hostile
//! input, tested on every run and bounded in time. `RELIABILITY.md` at the root lists
//! each promise with the test that proves it.
//!
//! # Layout
//! - `fail_closed`: every place that must refuse while the decision log cannot write,
//!   tested with the log failing (and what the operator sees meanwhile).
//! - `identity_claims`: a role, party, person or stadsdeel claimed by the client in a
//!   request (fields, unknown protobuf fields, gRPC metadata) changes nothing.
//! - `fuzz_parsers`: bounded randomized runs of the parsers of outside input that need
//!   no running hub: log segments and the head record, checkpoint notes, certificates
//!   (identity extraction), hub and agent config files.
//! - `fuzz_rpc`: mutated and random protobuf bytes to every RPC the hub serves, and
//!   mutated agent messages on the agent link, decoded and handled by a running hub.
//! - `crash_points`: a real hub process killed with SIGKILL at random moments under a
//!   mixed load (case changes, case files answered by agent processes, deliveries,
//!   covenant steps, retention sweeps at a moved clock), restarted, and checked (200
//!   kills in CI).
//! - `certificates`: a generated corpus of hostile client certificates, each refused
//!   by the hub under its counted reason and by the agent's own checks where it can
//!   know.
//! - `power_loss`: the decision log through simulated power cuts at the file layer
//!   (only what was synced survives).
//! - `disk_faults`: a real full disk (a small tmpfs the test mounts) and read-only
//!   directories (bind mounts remounted read-only) under the hub and an agent's inbox.
//! - `power_loss_keys_inbox`: the hub's key store and the agent's inbox through
//!   simulated power cuts (their file and directory syncs kept in a ledger), with
//!   controls that drop the directory syncs.
//! - `raw`: a pass-through gRPC codec, to send bytes no typed client would.
//! - `fault_proxy`: a loopback TCP relay between agents and the hub, switched while
//!   it runs to latency, a bandwidth limit, cuts, resets, a black hole or a half-open
//!   link.
//! - `network`: agents linked through the fault proxy: store-and-forward exactly
//!   once under cuts and resets, a black-holed partner reported honestly, a silent
//!   link given up with much in flight, no stream stuck after any fault.
//! - `bounds` (resource bounds): calls per HTTP/2 connection, header size, each
//!   service's message size limit and streaming calls per person, on a running hub.
//! - `fuzz_files`: bounded randomized runs of the hub's person registry and the
//!   agent's JSON record exports (no value quoted in an error).
//! - `flood` (resource bounds): a real hub process flooded with half-open TLS
//!   connections from many loopback addresses and with idle HTTP/2 connections; its
//!   sockets and memory (`/proc/<pid>/status`) stay within their bounds and come back.
//! - `crash_agents`: the gemeente's agent process killed with SIGKILL at random moments
//!   while it answers and while the hub delivers to it: every delivery in its inbox
//!   once, every question answered or reported late, nothing acknowledged lost.
//! - `delivery_with_file`: a complete case file is never stored without its delivery
//!   queued (a store refusing the delivery's write, on PostgreSQL).
//! - `power_cuts_store`: the sled state store, and a running hub's whole data
//!   directory, through simulated power cuts under an `LD_PRELOAD` shim
//!   (`tests/powercut`) that journals every write and directory change and undoes the
//!   ones no sync made durable.
//! - `fuzz_regressions`: every input AFL++ found (`fuzz/regressions/<target>/`) fed
//!   again to its target's body (`fuzz/src/targets.rs`).
//!
//! # Counts
//! Each test adds what it tried to a tally under `target/reliability/` ([`tally`]);
//! `scripts/reliability-summary.sh` prints them as the table `.ci/run` ends with.
//!
//! # Longer runs
//! `RELIABILITY_SCALE=N` multiplies every randomized budget by N (default 1, sized so
//! that the suite stays within its CI budget on two cores).

mod certificates;
mod crash_points;
mod fail_closed;
mod fault_proxy;
mod fuzz_parsers;
mod fuzz_rpc;
mod identity_claims;
mod network;
mod power_loss;
// Disk faults and power cuts of the key store and the inbox (issue 22, diskfaults).
mod disk_faults;
mod power_loss_keys_inbox;
mod raw;
// Resource bounds (issue 22).
mod bounds;
mod flood;
// Fuzzing gaps (issue 22): the person registry, the agent's JSON exports.
mod fuzz_files;
// Crash points under a mixed load, and agents killed (issue 22, crash points).
mod crash_agents;
mod delivery_with_file;
// Power cuts of the sled state store and a running hub, under the LD_PRELOAD shim
// `tests/powercut` (issue 22, sledcut).
mod power_cuts_store;
// Coverage-guided fuzzing (issue 22, AFL++): the inputs it found, kept as files.
mod fuzz_regressions;

use std::io::Write;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::sample::Index;

/// What a tally line counts; the summary table has one row per kind.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Inputs given to a parser or handler; "wrong" counts inputs accepted that must
    /// not be.
    FuzzInputs,
    /// Faults injected (a failing log, a refused write, a network fault); "wrong"
    /// counts anything that passed without its log entry, and questions, deliveries or
    /// records lost or duplicated, partners misreported or links left stuck.
    FaultsInjected,
    /// Requests carrying a claimed identity; "wrong" counts claims the hub believed.
    IdentityClaims,
    /// Client certificates presented; "wrong" counts any the hub (or the agent's own
    /// checks) judged otherwise than the corpus says, an acceptance above all.
    Certificates,
    /// `kill -9`s of a real hub process under load; "wrong" counts acknowledged
    /// changes missing afterwards, or a log that did not verify.
    CrashPoints,
    /// Simulated power cuts; "wrong" counts cuts after which an acknowledged entry was
    /// lost or the log did not open.
    PowerCuts,
    /// Acknowledged operations checked after a crash or power cut; "wrong" counts
    /// rounds that lost one.
    AcknowledgedChecked,
    // Resource bounds (issue 22):
    /// Requests and streams sent at or over a bound (streams per connection, header
    /// size, message size, streaming calls per person); "wrong" counts a bound that
    /// did not hold or a request within it that was refused.
    ResourceBounds,
    /// Connections of a flood (half-open TLS, idle HTTP/2); "wrong" counts sockets or
    /// memory of the hub over their bound, or not given back after the flood.
    ConnectionsFlooded,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::FuzzInputs => "fuzz inputs run",
            Kind::FaultsInjected => "faults injected",
            Kind::IdentityClaims => "identity claims ignored",
            Kind::Certificates => "certificates tried",
            Kind::CrashPoints => "crash points (kill -9) run",
            Kind::PowerCuts => "power cuts simulated",
            Kind::AcknowledgedChecked => "acknowledged ops checked",
            // Resource bounds (issue 22):
            Kind::ResourceBounds => "resource bounds probed",
            Kind::ConnectionsFlooded => "connections flooded",
        }
    }
}

/// Where the tallies go: `target/reliability/` of the workspace (or of
/// `CARGO_TARGET_DIR`).
fn tally_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("reliability"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("reliability"),
    }
}

/// Records that the test `test` tried `tried` things of `kind`, of which `wrong` went
/// wrong (lost, accepted wrongly) and `panics` panicked. One file per test, rewritten
/// on each run, so a second run of the same binary does not count twice. A test
/// records before it asserts, so the table shows a failure too.
pub fn tally(test: &str, kind: Kind, tried: u64, wrong: u64, panics: u64) {
    let dir = tally_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join(format!("{test}.{}.tsv", kind.name().replace(' ', "-")));
    if let Ok(mut file) = std::fs::File::create(path) {
        let _ = writeln!(file, "{}\t{tried}\t{wrong}\t{panics}", kind.name());
    }
}

/// How many times longer than in CI the randomized runs go (`RELIABILITY_SCALE`).
pub fn scale() -> u32 {
    std::env::var("RELIABILITY_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// A proptest configuration of `cases` cases (times [`scale`]), without shrinking
/// time limits that would make a run's length depend on the machine's speed, and
/// without a regressions file (the cases found are kept as named tests instead).
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases.saturating_mul(scale()),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

/// One edit of a byte string, as a mutating fuzzer makes them.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Sets the byte at the position.
    Set(Index, u8),
    /// Flips one bit of the byte at the position.
    Flip(Index, u8),
    /// Inserts bytes at the position.
    Insert(Index, Vec<u8>),
    /// Removes up to `n` bytes from the position.
    Remove(Index, usize),
    /// Cuts the string at the position.
    Truncate(Index),
    /// Repeats a stretch of the string at its end.
    Repeat(Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        4 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Edit::Flip(i, b)),
        2 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Edit::Remove(i, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Edit::Repeat(i, n)),
    ]
}

/// Applies `edits` to `seed`, in order.
pub fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for edit in edits {
        let len = out.len();
        match edit {
            Edit::Set(i, b) if len > 0 => out[i.index(len)] = *b,
            Edit::Flip(i, bit) if len > 0 => out[i.index(len)] ^= 1 << bit,
            Edit::Insert(i, bytes) => {
                let at = i.index(len + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            Edit::Remove(i, n) if len > 0 => {
                let at = i.index(len);
                let end = (at + n).min(len);
                out.drain(at..end);
            }
            Edit::Truncate(i) => out.truncate(i.index(len + 1)),
            Edit::Repeat(i, n) if len > 0 => {
                let at = i.index(len);
                let end = (at + n).min(len);
                let stretch = out[at..end].to_vec();
                out.extend(stretch);
            }
            _ => {}
        }
    }
    out
}

/// A byte string fuzzed from one of `seeds`: a few edits of a seed (mostly), or random
/// bytes.
pub fn fuzzed(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = seeds.len().max(1);
    prop_oneof![
        8 => (0..count, proptest::collection::vec(edit(), 1..6)).prop_map(move |(which, edits)| {
            apply(seeds.get(which).map(Vec::as_slice).unwrap_or(&[]), &edits)
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
}
