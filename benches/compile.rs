//! Measures the pipeline on the reference example: `pynoc check` (parse, lower, check) and
//! a whole compile (plus rendering every artifact and the manifest). Run: `cargo bench`.
//! A measurement, not a test: nothing here fails on a slow machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn measure(name: &str, mut f: impl FnMut()) {
    // `cargo test --all-targets` runs this without `--bench`: one pass as a smoke test.
    if !std::env::args().any(|a| a == "--bench") {
        f();
        return;
    }
    for _ in 0..20 {
        f();
    }
    let mut runs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && runs.len() < 5000 {
        let t = Instant::now();
        f();
        runs.push(t.elapsed());
    }
    runs.sort();
    let median = runs[runs.len() / 2];
    let p95 = runs[runs.len() * 95 / 100];
    println!(
        "{name:<32} median {:>9.1} µs   p95 {:>9.1} µs   ({} runs)",
        median.as_secs_f64() * 1e6,
        p95.as_secs_f64() * 1e6,
        runs.len()
    );
}

fn main() {
    let text = include_str!("../examples/pynomaly/spec.kdl");
    let everything = include_str!("../examples/everything/spec.kdl");
    measure("check examples/pynomaly", || {
        black_box(pynoc::analyze(black_box(text), "spec.kdl").is_ok());
    });
    measure("compile examples/pynomaly", || {
        black_box(pynoc::compile(black_box(text), "spec.kdl").is_ok());
    });
    measure("compile examples/everything", || {
        black_box(pynoc::compile(black_box(everything), "spec.kdl").is_ok());
    });
    // Hostile sizes (issue 9): a spec of N unknown nodes, checked and its diagnostics
    // rendered as `pynoc check` does. Time per node should stay flat as N grows tenfold.
    for n in [1_000, 10_000, 100_000] {
        let flood: String =
            std::iter::once("pynoc 1\n".to_string()).chain((0..n).map(|i| format!("bogus{i} 1\n"))).collect();
        measure(&format!("check+render {n} unknown nodes"), || {
            let diags = pynoc::analyze(black_box(&flood), "spec.kdl").unwrap_err();
            black_box(pynoc::diag::render_all(&diags, false).len());
        });
    }
}
