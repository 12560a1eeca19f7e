//! Criterion benchmark: one share decision on the real encoding
//! (`treiteraanpak.covenant`), and in the same run the same decision on Cedar
//! (cedar-policy 4.x, `bench-cedar/treiteraanpak.cedar`) as the baseline.
//!
//! For each of four shares — a permit with a field stripped, a deny, a reject and an
//! emergency share — three functions are timed:
//! - `engine-decide`: the whole `Covenant::decide` (resolve the request, evaluate,
//!   render the JSON-ready `Decision`);
//! - `engine-evaluate`: the decision proper on a resolved request (bit operations, no
//!   allocation, no string comparison);
//! - `cedar`: one Cedar authorisation for the share plus one per offered field;
//! - `cedar-one-call`: only the share's own authorisation (one `is_authorized` call:
//!   permit or refuse, no field stripped), the cheapest Cedar can be.
//!
//! Before timing, both engines decide the whole covenant-test suite and each share, and
//! must agree on outcome, passed and stripped fields. After timing, the medians of this
//! run are printed as a Markdown table with the ratios against Cedar.
//!
//! This file is a bench target of the `bench-cedar` crate, which is outside the
//! workspace (`policies/Cargo.toml` sets `autobenches = false`), so Cedar and criterion
//! never enter the default build, `cargo test` or `cargo clippy --workspace`. Run:
//!
//! ```sh
//! cargo bench --manifest-path policies/bench-cedar/Cargo.toml --bench decide
//! ```

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use treiter_policies::decide::{NoTrace, evaluate, resolve};
use treiter_policies_bench_cedar::{Cedar, SCENARIOS, covenant, engine_verdict, suite_agreement};

const FUNCTIONS: [&str; 4] = ["engine-evaluate", "engine-decide", "cedar", "cedar-one-call"];

fn benches(c: &mut Criterion) {
    let covenant = covenant().expect("the encoding parses");
    let cedar = Cedar::new(&covenant).expect("the Cedar policies load");
    let (total, differ) = suite_agreement(&covenant, &cedar).expect("the covenant tests run");
    assert!(
        differ.is_empty(),
        "the engines differ on {} of {total} covenant tests:\n{}",
        differ.len(),
        differ.join("\n")
    );
    println!("Same rules: the engine and Cedar agree on all {total} covenant tests.");

    let compiled = covenant.compiled();
    for s in SCENARIOS {
        let r = s.request().expect("the scenario parses");
        let ours = engine_verdict(&covenant, &r);
        let theirs = cedar.decide(&r).expect("Cedar decides");
        assert_eq!(ours, theirs, "{}: the engines disagree", s.name);
        let q = resolve(compiled, &r);

        let mut group = c.benchmark_group(s.id);
        group.bench_function(FUNCTIONS[0], |b| {
            b.iter(|| evaluate(compiled, black_box(&q), &mut NoTrace));
        });
        group.bench_function(FUNCTIONS[1], |b| {
            b.iter(|| covenant.decide(black_box(&r)));
        });
        group.bench_function(FUNCTIONS[2], |b| {
            b.iter(|| cedar.decide(black_box(&r)).ok());
        });
        group.bench_function(FUNCTIONS[3], |b| {
            b.iter(|| cedar.authorize_share(black_box(&r)).ok());
        });
        group.finish();
    }
}

/// Where criterion writes its estimates: as criterion decides it (`CRITERION_HOME`,
/// else `CARGO_TARGET_DIR/criterion`, else the target directory this bench runs from).
fn criterion_home() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(h));
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(t).join("criterion"));
    }
    // <target>/release/deps/decide-<hash>
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// The median (ns per call) and its 95% confidence interval, if this run measured it.
fn median(home: &std::path::Path, id: &str, f: &str, since: SystemTime) -> Option<[f64; 3]> {
    let path = home.join(id).join(f).join("new/estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None; // from an earlier run: not comparable
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let m = &v["median"];
    Some([
        m["point_estimate"].as_f64()?,
        m["confidence_interval"]["lower_bound"].as_f64()?,
        m["confidence_interval"]["upper_bound"].as_f64()?,
    ])
}

fn fmt_ns([point, low, high]: [f64; 3]) -> String {
    let p = |x: f64| {
        if x >= 10_000.0 {
            format!("{:.1} µs", x / 1000.0)
        } else {
            format!("{x:.0} ns")
        }
    };
    format!("{} [{} – {}]", p(point), p(low), p(high))
}

fn report(since: SystemTime) {
    let Some(home) = criterion_home() else {
        return;
    };
    println!();
    println!(
        "Medians of this run (95% confidence interval), and Cedar's median divided by the engine's:"
    );
    println!();
    println!(
        "| share | engine: evaluate | engine: decide | Cedar, 1 call per share | Cedar, + 1 per field | 1 call / engine decide | per field / engine decide | per field / engine evaluate |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in SCENARIOS {
        let [Some(eval), Some(decide), Some(cedar), Some(one)] =
            FUNCTIONS.map(|f| median(&home, s.id, f, since))
        else {
            continue; // filtered out of this run
        };
        println!(
            "| {} | {} | {} | {} | {} | {:.0}x | {:.0}x | {:.0}x |",
            s.name,
            fmt_ns(eval),
            fmt_ns(decide),
            fmt_ns(one),
            fmt_ns(cedar),
            one[0] / decide[0],
            cedar[0] / decide[0],
            cedar[0] / eval[0],
        );
    }
}

fn main() {
    // Whole seconds: file times may be coarser than the clock.
    let since = SystemTime::now() - Duration::from_secs(1);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
    report(since);
}
