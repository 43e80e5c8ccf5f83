//! The code catalog is the one source of the codes: every code has an explanation, an
//! example spec that triggers it, a row in docs/diagnostics.md and a bad spec in tests/bad/ that triggers it.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{pynoc, root};
use pynoc::codes::CATALOG;

fn error_codes(text: &str, name: &str) -> BTreeSet<&'static str> {
    match pynoc::analyze(text, name) {
        Ok(a) => a.warnings.iter().map(|d| d.kind.code()).collect(),
        Err(diags) => diags.iter().map(|d| d.kind.code()).collect(),
    }
}

#[test]
fn every_rule_is_explained_once() {
    let mut codes = BTreeSet::new();
    let mut slugs = BTreeSet::new();
    for r in CATALOG {
        assert!(codes.insert(r.code), "{} twice", r.code);
        assert!(slugs.insert(r.slug), "{} twice", r.slug);
        assert_eq!(r.kind.code(), r.code);
        assert!(r.code.len() == 4 && r.code[1..].chars().all(|c| c.is_ascii_digit()));
        // `E` codes are errors, `W` codes warnings.
        let level = match &r.code[..1] {
            "E" => pynoc::codes::Level::Error,
            "W" => pynoc::codes::Level::Warning,
            other => panic!("{}: a code starts with E or W, not {other}", r.code),
        };
        assert_eq!(r.level, level, "{}", r.code);
        // A waivable rule names the artifacts that repeat a waived finding.
        if let Some(artifacts) = r.waive {
            assert!(!artifacts.is_empty(), "{}: waivable, but repeated in no artifact", r.code);
        }
        for (field, text) in [("summary", r.summary), ("why", r.why), ("fix", r.fix)] {
            assert!(text.len() > 20, "{}: {field} is too short: {text:?}", r.code);
        }
        assert!(!r.summary.starts_with(char::is_uppercase), "{}: the summary is not lowercase", r.code);
    }
    let sorted: Vec<_> = CATALOG.iter().map(|r| r.code).collect();
    let mut want = sorted.clone();
    want.sort();
    assert_eq!(sorted, want, "the catalog is in code order");
}

/// Each example `explain` prints is a spec that really triggers its code, and every example
/// file belongs to a code.
#[test]
fn every_example_triggers_its_code() {
    for r in CATALOG {
        let Some(example) = r.example else {
            assert_eq!(r.code, "E100", "only the internal error has no example");
            continue;
        };
        let got = error_codes(example, &format!("{}.kdl", r.code));
        assert!(got.contains(r.code), "stdlib/codes/{}.kdl triggers {got:?}, not {}", r.code, r.code);
    }
    for f in fs::read_dir(root().join("stdlib/codes")).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        let code = name.trim_end_matches(".kdl");
        assert!(CATALOG.iter().any(|r| r.code == code && r.example.is_some()), "stdlib/codes/{name} has no rule");
    }
}

#[test]
fn every_code_has_a_bad_spec_in_tests_bad() {
    let mut seen = BTreeSet::new();
    let files = fs::read_dir(root().join("tests/bad")).unwrap().chain(fs::read_dir(root().join("tests/warn")).unwrap());
    for f in files {
        let path = f.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        seen.extend(error_codes(&text, path.file_name().unwrap().to_str().unwrap()));
    }
    let missing: Vec<_> = CATALOG.iter().map(|r| r.code).filter(|c| *c != "E100" && !seen.contains(c)).collect();
    assert!(missing.is_empty(), "no spec in tests/bad or tests/warn triggers {missing:?}");
}

#[test]
fn the_readme_table_is_the_catalog() {
    let readme = fs::read_to_string(root().join("docs/diagnostics.md")).unwrap();
    let table = pynoc::codes::markdown_table();
    assert!(
        readme.contains(&table),
        "docs/diagnostics.md's table of codes differs from the catalog; paste `pynoc explain --list --markdown`:\n{table}"
    );
    for r in CATALOG {
        assert!(
            readme.contains(&format!("| {} | {} |", r.code, r.slug)),
            "docs/diagnostics.md has no row for {}",
            r.code
        );
    }
}

#[test]
fn explain_prints_a_code_and_the_list() {
    let r = pynoc().args(["explain", "E016"]).run();
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let out = r.stdout();
    let rule = pynoc::codes::find("E016").unwrap();
    assert!(out.starts_with("E016 shadowed (error): "), "{out}");
    for part in ["Why it matters", "Example that triggers it", "How to fix it", "allow \"5000:5999\""] {
        assert!(out.contains(part), "no `{part}` in:\n{out}");
    }
    assert!(out.contains(rule.summary));
    // By slug and lowercase too.
    assert_eq!(pynoc().args(["explain", "shadowed"]).run().stdout(), out);
    assert_eq!(pynoc().args(["explain", "e016"]).run().stdout(), out);

    let list = pynoc().args(["explain", "--list"]).run();
    assert_eq!(list.code(), 0);
    let lines: Vec<String> = list.stdout().lines().map(String::from).collect();
    assert_eq!(lines.len(), CATALOG.len());
    for (line, r) in lines.iter().zip(CATALOG) {
        assert!(line.starts_with(r.code) && line.contains(r.slug) && line.ends_with(r.summary), "{line}");
    }

    let bad = pynoc().args(["explain", "E999"]).run();
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("neither a diagnostic code"), "{}", bad.stderr());
}
