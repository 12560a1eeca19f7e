//! The engine against Cedar, in one run, on the same requests, timed by hand (no
//! criterion): a quick check. The criterion benchmark is `policies/benches/decide.rs`.
//!
//! First the covenant-test suite is decided by both, to show that the Cedar policies
//! are the same rules; then the four shares of [`SCENARIOS`] are timed: the engine's
//! whole decision, and Cedar both ways: one `is_authorized` call per share (what Cedar
//! needs to permit or refuse, without stripping a field) and one per share plus one per
//! offered field (what it needs to strip fields as the covenant does).
//!
//! Run: `cargo run --release --manifest-path policies/bench-cedar/Cargo.toml`

use std::hint::black_box;

use treiter_policies::timing::median_ns;
use treiter_policies::decide::{NoTrace, evaluate, resolve};
use treiter_policies_bench_cedar::{Cedar, SCENARIOS, covenant, engine_verdict, suite_agreement};

fn main() -> anyhow::Result<()> {
    let covenant = covenant()?;
    let cedar = Cedar::new(&covenant)?;

    // Same rules: the covenant-test suite, decided by both.
    let (total, differ) = suite_agreement(&covenant, &cedar)?;
    for d in &differ {
        println!("{d}");
    }
    println!(
        "Same rules: the engine and Cedar agree on outcome, passed and stripped fields for {} of {total} covenant tests.",
        total - differ.len()
    );
    println!();
    println!(
        "| share | engine: evaluate (ns) | engine: decide (ns) | Cedar, 1 call per share (ns) | Cedar, 1 call per share + 1 per field (ns) | Cedar 1 call / engine decide | Cedar per field / engine decide |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let compiled = covenant.compiled();
    for s in SCENARIOS {
        let r = s.request()?;
        let ours = engine_verdict(&covenant, &r);
        let theirs = cedar.decide(&r)?;
        anyhow::ensure!(
            ours == theirs,
            "{}: the engines disagree: {ours:?} vs {theirs:?}",
            s.name
        );
        let q = resolve(compiled, &r);
        let eval = median_ns(|| {
            black_box(evaluate(compiled, black_box(&q), &mut NoTrace));
        });
        let engine = median_ns(|| {
            black_box(covenant.decide(black_box(&r)));
        });
        let cedar_one = median_ns(|| {
            black_box(cedar.authorize_share(black_box(&r)).ok());
        });
        let cedar_ns = median_ns(|| {
            black_box(cedar.decide(black_box(&r)).ok());
        });
        println!(
            "| {} | {eval:.0} | {engine:.0} | {cedar_one:.0} | {cedar_ns:.0} | {:.1}x | {:.1}x |",
            s.name,
            cedar_one / engine,
            cedar_ns / engine
        );
    }
    Ok(())
}
