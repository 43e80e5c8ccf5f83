//! `pynoc fmt`: idempotent and meaning-preserving over every example, every bad spec, every
//! code's example and the starter: the formatted spec compiles to the same artifacts, or
//! fails with the same diagnostics; formatting it again changes nothing.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{example, pynoc, root};

fn specs() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["tests/bad", "stdlib/codes"] {
        for f in fs::read_dir(root().join(dir)).unwrap() {
            all.push(f.unwrap().path());
        }
    }
    for f in fs::read_dir(root().join("examples")).unwrap() {
        all.push(f.unwrap().path().join("spec.kdl"));
    }
    all.push(root().join("stdlib/init/spec.kdl"));
    all.sort();
    all
}

/// What a compile says, spans aside: the artifacts, or each diagnostic's code, message and
/// labels' texts.
fn meaning(text: &str) -> Result<Vec<(String, String)>, Vec<String>> {
    match pynoc::compile(text, "spec.kdl") {
        Ok(c) => Ok(c.artifacts.iter().map(|a| (a.path().to_string(), a.content.clone())).collect()),
        Err(diags) => Err(diags
            .iter()
            .map(|d| {
                let labels: Vec<&str> = d.primary.iter().chain(&d.secondary).map(|l| l.text.as_str()).collect();
                format!("{} {} {labels:?} {:?}", d.kind.code(), d.message, d.help)
            })
            .collect()),
    }
}

#[test]
fn formatting_is_idempotent_and_keeps_the_meaning() {
    let (mut formatted, mut syntax) = (0, 0);
    for path in specs() {
        let text = fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        match pynoc::fmt::format(&text, "spec.kdl") {
            Ok(once) => {
                assert_eq!(pynoc::fmt::format(&once, "spec.kdl").unwrap(), once, "{name}: not idempotent");
                assert_eq!(meaning(&once), meaning(&text), "{name}: formatting changed what it compiles to");
                // Comments are kept, and one layout: no tabs, no trailing blanks, 4-space steps.
                assert_eq!(once.matches("//").count(), text.matches("//").count(), "{name}: a comment was lost");
                for l in once.lines() {
                    let indent = l.len() - l.trim_start_matches(' ').len();
                    assert!(indent % 4 == 0 && !l.starts_with('\t') && !l.ends_with(' '), "{name}: `{l}`");
                }
                formatted += 1;
            }
            Err(diags) => {
                assert!(diags.iter().all(|d| d.kind.code() == "E001"), "{name}: only a syntax error stops fmt");
                assert!(meaning(&text).is_err(), "{name}");
                syntax += 1;
            }
        }
    }
    assert!(formatted > 40 && syntax >= 1, "{formatted} formatted, {syntax} refused");
}

/// What `pynoc init` writes passes `pynoc fmt --check` as it is.
#[test]
fn the_starter_is_formatted() {
    let starter = pynoc::stdlib::STARTER;
    assert_eq!(pynoc::fmt::format(starter, "spec.kdl").unwrap(), starter);
}

#[test]
fn fmt_rewrites_and_check_fails_until_formatted() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.kdl");
    // The example is in the layout; quoting a value that needs no quotes takes it out.
    let formatted = fs::read_to_string(example()).unwrap();
    let original = formatted.replace("\n    domain api.pynomaly.com\n", "\n    domain \"api.pynomaly.com\"\n");
    assert_ne!(original, formatted);
    fs::write(&spec, &original).unwrap();

    let r = pynoc().args(["fmt", "--check"]).arg(&spec).run().expect(1);
    let diff = r.stdout();
    assert!(
        diff.contains("\n-    domain \"api.pynomaly.com\"\n") && diff.contains("\n+    domain api.pynomaly.com\n"),
        "{diff}"
    );
    assert!(r.stderr().contains("is not formatted"), "{}", r.stderr());
    assert_eq!(fs::read_to_string(&spec).unwrap(), original, "--check writes nothing");

    let r = pynoc().arg("fmt").arg(&spec).run().expect(0);
    assert!(r.stdout().contains("formatted"), "{}", r.stdout());
    let once = fs::read_to_string(&spec).unwrap();
    assert_ne!(once, original);
    pynoc().args(["fmt", "--check"]).arg(&spec).run().expect(0);
    let r = pynoc().arg("fmt").arg(&spec).run().expect(0);
    assert!(r.stdout().is_empty(), "a formatted spec is left alone: {}", r.stdout());
    // The build of the formatted spec is the build of the original.
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    pynoc().arg("build").arg(example()).arg("-o").arg(&a).run().expect(0);
    pynoc().arg("build").arg(&spec).arg("-o").arg(&b).run().expect(0);
    for f in ["nginx/nginx.conf", "host/sshd_config", "postgres/pg_hba.conf", "container/docker-compose.yml"] {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f}");
    }
}

#[test]
fn fmt_refuses_what_it_cannot_do_safely_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A syntax error.
    let bad = dir.path().join("bad.kdl");
    fs::write(&bad, "pynoc 1\nhost {\n").unwrap();
    let r = pynoc().arg("fmt").arg(&bad).run().expect(1);
    assert!(r.stderr().contains("pynoc::E001::syntax") && r.stderr().contains("left as it is"), "{}", r.stderr());
    assert_eq!(fs::read_to_string(&bad).unwrap(), "pynoc 1\nhost {\n");
    // A comment inside a node, which the layout cannot keep in place.
    let inner = dir.path().join("inner.kdl");
    let text = "pynoc 1\nproject demo\nhost {\n    ssh {\n        port /* the usual */ 22\n    }\n}\n";
    fs::write(&inner, text).unwrap();
    let r = pynoc().arg("fmt").arg(&inner).run().expect(1);
    assert!(r.stderr().contains("cannot keep this comment") && r.stderr().contains("inner.kdl:5:14"), "{}", r.stderr());
    assert_eq!(fs::read_to_string(&inner).unwrap(), text);
    // A symbolic link: renaming over it would replace the link.
    let link = dir.path().join("link.kdl");
    let target = dir.path().join("target.kdl");
    fs::write(&target, "pynoc  1\n").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = pynoc().arg("fmt").arg(&link).run().expect(2);
    assert!(r.stderr().contains("symbolic link"), "{}", r.stderr());
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "pynoc  1\n");
    // Many files: the worst exit, and the good one is still formatted.
    let good = dir.path().join("good.kdl");
    fs::write(&good, "pynoc   1\n").unwrap();
    pynoc().arg("fmt").arg(&bad).arg(&good).run().expect(1);
    assert_eq!(fs::read_to_string(&good).unwrap(), "pynoc 1\n");
}
