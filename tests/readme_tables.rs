//! The tables of docs/diagnostics.md of cross-artifact rules and of the guide's faults: each row names a
//! spec (and a line) that must report the row's code there.

use std::path::Path;

fn rows(readme: &str, marker: &str) -> Vec<(String, String)> {
    let start = readme
        .find(&format!("<!-- {marker}:"))
        .unwrap_or_else(|| panic!("docs/diagnostics.md has no `{marker}` table"));
    let end = readme.find(&format!("<!-- /{marker} -->")).expect("the table ends");
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| rule") && !l.starts_with("| the guide's"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            let n = cells.len();
            (cells[n - 2].to_string(), cells[n - 1].to_string())
        })
        .collect()
}

/// The codes reported by the spec at `path`, each with the line of its primary label.
fn findings(path: &Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let diags = match pynoc::analyze(&text, "spec.kdl") {
        Ok(a) => a.warnings,
        Err(d) => d,
    };
    diags
        .iter()
        .map(|d| {
            let line = d.primary.as_ref().map(|l| text[..l.span.offset].matches('\n').count() + 1).unwrap_or(0);
            (d.kind.code().to_string(), line)
        })
        .collect()
}

fn check(marker: &str, least: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    let rows = rows(&readme, marker);
    assert!(rows.len() >= least, "the `{marker}` table has {} rows, fewer than {least}", rows.len());
    let mut failures = Vec::new();
    for (code, spec) in &rows {
        let (file, line) = match spec.rsplit_once(':') {
            Some((f, l)) => (f, Some(l.parse::<usize>().expect("a line number"))),
            None => (spec.as_str(), None),
        };
        let found = findings(&root.join(file));
        let ok = found.iter().any(|(c, l)| c == code && line.is_none_or(|want| *l == want));
        if !ok {
            failures.push(format!("{spec}: expected {code}, found {found:?}"));
        }
    }
    assert!(failures.is_empty(), "docs/diagnostics.md `{marker}` rows not reported:\n{}", failures.join("\n"));
}

#[test]
fn cross_artifact_rules_each_fail_their_spec() {
    check("cross-artifact", 15);
}

#[test]
fn every_guide_fault_is_caught_at_its_line() {
    check("guide-faults", 30);
}

/// The cross-artifact table names each rule once, and every code it names is in the catalog.
#[test]
fn cross_artifact_codes_are_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    for (code, _) in rows(&readme, "cross-artifact") {
        assert!(pynoc::codes::find(&code).is_some(), "{code} is not in the catalog");
    }
}
