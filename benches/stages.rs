//! Where the time of one run goes, stage by stage: `cargo bench --bench stages -- --bench
//! [N…]` times parse, waivers, lower, check, rendering the diagnostics and emit on the
//! reference spec grown by N rules, N watches and N/10 locations (benches/scale.py gen N).
//! A measurement, not a test: without `--bench` it runs once at a small size.

use std::process::Command;

fn spec(n: usize) -> String {
    let out = Command::new("python3")
        .args([concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scale.py"), "gen", &n.to_string()])
        .output()
        .expect("python3 runs benches/scale.py");
    assert!(out.status.success(), "scale.py gen {n}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("the generated spec is UTF-8")
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = match (bench, sizes.is_empty()) {
        (false, _) => vec![100],
        (true, true) => vec![0, 1_000, 10_000, 100_000],
        (true, false) => sizes,
    };
    for n in sizes {
        let text = spec(n);
        // The best of three runs of each stage.
        let mut best: Vec<(&str, f64)> = Vec::new();
        for _ in 0..if bench { 3 } else { 1 } {
            let times = pynoc::stage_times(&text, "spec.kdl");
            assert!(times.iter().any(|(s, _)| *s == "emit"), "the size-{n} spec did not compile");
            for (i, (stage, t)) in times.into_iter().enumerate() {
                let ms = t.as_secs_f64() * 1e3;
                match best.get_mut(i) {
                    Some(b) => b.1 = b.1.min(ms),
                    None => best.push((stage, ms)),
                }
            }
        }
        let total: f64 = best.iter().map(|b| b.1).sum();
        println!("size {n} ({:.2} MB):", text.len() as f64 / 1e6);
        for (stage, ms) in &best {
            println!("  {stage:<26} {ms:>9.1} ms");
        }
        let parse = best[0].1 / 1e3;
        println!("  {:<26} {total:>9.1} ms   (parse {:.0} MB/s)\n", "total", text.len() as f64 / 1e6 / parse);
    }
}
