//! `--format json|sarif` on `check` and `build`: SARIF 2.1.0 validated by check-jsonschema
//! against the OASIS schema (tests/support/sarif-schema-2.1.0.json, from
//! oasis-tcs/sarif-spec), each location pointing at the line and column of its label.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{example, pynoc, root, strict};
use serde_json::Value;

const CHECK_JSONSCHEMA: &str = "/opt/pynoc-validators/bin/check-jsonschema";

/// Copies bad specs into `dir/specs/` so that their paths are relative to `dir`.
fn specs(dir: &Path, names: &[&str]) -> Vec<String> {
    fs::create_dir_all(dir.join("specs")).unwrap();
    names
        .iter()
        .map(|n| {
            fs::copy(root().join("tests/bad").join(n), dir.join("specs").join(n)).unwrap();
            format!("specs/{n}")
        })
        .collect()
}

/// The byte offset of 1-based (line, column in code points) in `text`.
fn offset(text: &str, line: u64, column: u64) -> usize {
    let start: usize = text.split_inclusive('\n').take(line as usize - 1).map(str::len).sum();
    start + text[start..].chars().take(column as usize - 1).map(char::len_utf8).sum::<usize>()
}

#[test]
fn sarif_is_valid_and_points_at_the_right_places() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["shadowed-rule.kdl", "postgres-roles.kdl", "nginx-injection.kdl"];
    let paths = specs(dir.path(), &names);
    let r = pynoc().arg("check").args(&paths).args(["--format", "sarif"]).cwd(dir.path()).run();
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let sarif: Value = serde_json::from_str(&r.stdout()).expect("stdout is one JSON document");

    // The OASIS schema, by check-jsonschema.
    let file = dir.path().join("out.sarif");
    fs::write(&file, r.stdout()).unwrap();
    if Path::new(CHECK_JSONSCHEMA).exists() {
        let o = Command::new(CHECK_JSONSCHEMA)
            .arg("--schemafile")
            .arg(root().join("tests/support/sarif-schema-2.1.0.json"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    } else {
        assert!(!strict(), "check-jsonschema is missing: run .ci/install-validators");
        eprintln!("SKIP SARIF schema validation: {CHECK_JSONSCHEMA} is missing");
    }

    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), pynoc::codes::CATALOG.len());
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 10, "{results:?}");
    let mut seen_files = std::collections::BTreeSet::new();
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        assert_eq!(rules[res["ruleIndex"].as_u64().unwrap() as usize]["id"], id);
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        seen_files.insert(uri.to_string());
        let text = fs::read_to_string(dir.path().join(uri)).unwrap();
        let region = &loc["region"];
        let at = offset(&text, region["startLine"].as_u64().unwrap(), region["startColumn"].as_u64().unwrap());
        let end = offset(&text, region["endLine"].as_u64().unwrap(), region["endColumn"].as_u64().unwrap());
        assert!(at < end && end <= text.len(), "{uri}: {region}");
        // The same diagnostic in the library points at the same bytes.
        let diags = pynoc::analyze(&text, "x").err().unwrap();
        assert!(
            diags.iter().any(|d| d.kind.code() == id
                && d.primary.as_ref().is_some_and(|l| l.span.offset == at && l.span.offset + l.span.len == end)),
            "{uri}: no {id} at {at}..{end} ({:?})",
            &text[at..end]
        );
    }
    assert_eq!(seen_files, paths.iter().cloned().collect());

    // A known place: the shadowed rule of shadowed-rule.kdl, line 9, column 9.
    let shadowed = results
        .iter()
        .find(|r| {
            r["ruleId"] == "E016"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "specs/shadowed-rule.kdl"
        })
        .expect("E016 in shadowed-rule.kdl");
    let region = &shadowed["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(9), Some(9)), "{region}");
    let related = &shadowed["relatedLocations"][0]["physicalLocation"]["region"];
    assert_eq!(related["startLine"].as_u64(), Some(8), "the earlier rule that shadows it: {related}");
}

#[test]
fn json_lists_every_file_and_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = specs(dir.path(), &["lockout.kdl"]);
    fs::copy(example(), dir.path().join("good.kdl")).unwrap();
    paths.push("good.kdl".into());
    let r = pynoc().arg("check").args(&paths).args(["--format", "json"]).cwd(dir.path()).run();
    assert_eq!(r.code(), 1, "the worst exit of the two: {}", r.stderr());
    let doc: Value = serde_json::from_str(&r.stdout()).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], "specs/lockout.kdl");
    assert_eq!(files[0]["ok"], false);
    let d = &files[0]["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["name"].as_str(), d["severity"].as_str()),
        (Some("E015"), Some("lockout"), Some("error"))
    );
    assert_eq!(d["primary"]["line"], 7, "{d}");
    assert!(d["help"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(files[1]["path"], "good.kdl");
    assert_eq!(files[1]["ok"], true);
    assert_eq!(doc["errors"], 1);
}

#[test]
fn build_with_a_machine_format_keeps_stdout_for_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = pynoc().arg("build").arg(example()).arg("-o").arg(&out).args(["--format", "json"]).run();
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let doc: Value = serde_json::from_str(&r.stdout()).expect("stdout is only the document");
    assert_eq!(doc["files"][0]["ok"], true);
    assert!(r.stderr().contains("wrote "), "the written files are listed on stderr");
    assert!(out.join("manifest.json").is_file());

    // A bad spec: a SARIF log, exit 1, nothing written.
    let bad = dir.path().join("bad");
    let r = pynoc()
        .arg("build")
        .arg(root().join("tests/bad/lockout.kdl"))
        .arg("-o")
        .arg(&bad)
        .args(["--format", "sarif"])
        .run();
    assert_eq!(r.code(), 1);
    let sarif: Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "E015");
    assert!(!bad.exists(), "nothing is written for a bad spec");
}
