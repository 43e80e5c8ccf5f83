//! The benchmark's own tools are correct: a spec grown by `benches/scale.py gen N` compiles
//! and its output carries N more rules, watches and N/10 locations; the jinja2 baseline
//! (`benches/baseline/render.py`) renders its 14 files from the same data. The timings are
//! `benches/scale.py run`'s job, not a test's.

use std::path::Path;
use std::process::Command;

const N: usize = 300;

fn python(args: &[&str]) -> std::process::Output {
    let out = Command::new("python3").args(args).output().expect("python3 runs");
    assert!(out.status.success(), "python3 {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn a_scaled_spec_compiles_to_its_size() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.kdl");
    let generated = python(&[&format!("{root}/benches/scale.py"), "gen", &N.to_string()]);
    std::fs::write(&spec, &generated.stdout).unwrap();
    let out = tmp.path().join("out");
    let build = Command::new(env!("CARGO_BIN_EXE_pynoc")).arg("build").arg(&spec).arg("-o").arg(&out).output().unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    let nft = read("host/nftables.conf");
    let audit = read("host/audit.rules");
    let nginx = read("nginx/nginx.conf");
    for i in [0, N / 2, N - 1] {
        assert!(nft.contains(&format!("\"svc{i}\"")), "rule {i} missing from nftables.conf");
        assert!(audit.contains(&format!("/etc/app/conf{i}.yml")), "watch {i} missing from audit.rules");
    }
    assert!(!nft.contains(&format!("\"svc{N}\"")));
    assert_eq!(audit.matches("/etc/app/conf").count(), N, "one watch line per generated watch");
    assert_eq!(nginx.matches("location = /api/v").count(), N / 10, "one exact location per generated location");
}

#[test]
fn the_jinja2_baseline_renders_the_same_files() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data.json");
    let out = python(&[&format!("{root}/benches/scale.py"), "data", &N.to_string()]);
    std::fs::write(&data, &out.stdout).unwrap();
    let dir = tmp.path().join("jinja");
    python(&[&format!("{root}/benches/baseline/render.py"), data.to_str().unwrap(), dir.to_str().unwrap()]);
    let mut files = Vec::new();
    for sub in std::fs::read_dir(&dir).unwrap() {
        for f in std::fs::read_dir(sub.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    assert_eq!(files.len(), 14, "{files:?}");
    let ipt = std::fs::read_to_string(Path::new(&dir).join("host/iptables.rules")).unwrap();
    assert_eq!(ipt.matches(" -j ACCEPT").count(), N + 5, "the reference's five rules and N more");
}
