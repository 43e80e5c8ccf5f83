//! The spec language's JSON Schema (`pynoc schema`, `schema/spec.schema.json`): equal to what
//! the lowerer accepts, traced over every spec of the suite; a description for every node;
//! every example's JSON form valid against it (check-jsonschema), and every generated
//! variant with an unknown property, an unknown child or a refused secret invalid.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::{pynoc, root, strict};
use serde_json::{Value, json};

const CHECK_JSONSCHEMA: &str = "/opt/pynoc-validators/bin/check-jsonschema";

/// Every spec of the suite: the examples, the bad and warning specs, and the specs of
/// tests/language/ that use what no example does.
fn corpus() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in fs::read_dir(root().join("examples")).unwrap() {
        let p = e.unwrap().path().join("spec.kdl");
        out.push((p.clone(), fs::read_to_string(&p).unwrap()));
    }
    for dir in ["tests/bad", "tests/warn", "tests/language"] {
        for e in fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "kdl") {
                out.push((p.clone(), fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn traced() -> pynoc::lower::trace::Language {
    let texts: Vec<String> = corpus().into_iter().map(|(_, t)| t).collect();
    pynoc::trace_language(&texts)
}

#[test]
fn schema_file_is_the_lowerers_language() {
    let lang = traced();
    let want = pynoc::language_schema_of(&lang);
    let file = root().join("schema/spec.schema.json");
    if std::env::var("PYNOC_BLESS").is_ok_and(|v| v == "1") {
        fs::write(&file, &want).unwrap();
    }
    let have = fs::read_to_string(&file).unwrap();
    assert!(
        have == want,
        "schema/spec.schema.json differs from what the lowerer accepts: run `PYNOC_BLESS=1 cargo test --test language` \
         and review the diff"
    );
    let r = pynoc().arg("schema").run().expect(0);
    assert!(r.stdout() == have, "`pynoc schema` prints the file");
}

#[test]
fn every_node_is_traced_and_described() {
    let lang = traced();
    let text = fs::read_to_string(root().join("stdlib/language.toml")).unwrap();
    let toml: toml::Value = toml::from_str(&text).unwrap();
    let described: BTreeSet<String> = toml["node"].as_table().unwrap().keys().cloned().collect();
    let mut paths = BTreeSet::new();
    let mut missing = Vec::new();
    for (path, n) in &lang {
        paths.insert(if path.is_empty() { "spec".to_string() } else { path.clone() });
        for c in &n.children {
            let child = if path.is_empty() { c.clone() } else { format!("{path}/{c}") };
            // A child the lowerer allows but no spec of the suite uses: its content is unknown.
            if !lang.contains_key(&child) {
                missing.push(child);
            }
        }
    }
    assert!(missing.is_empty(), "nodes no spec of the suite uses (add them to tests/language/): {missing:?}");
    let undescribed: Vec<_> = paths.difference(&described).collect();
    let stale: Vec<_> = described.difference(&paths).collect();
    assert!(undescribed.is_empty(), "nodes without a description in stdlib/language.toml: {undescribed:?}");
    assert!(stale.is_empty(), "descriptions of nodes the language does not have: {stale:?}");
    // A property's description names a property some node takes (`name`, or `path.name`).
    let props: BTreeSet<String> = lang
        .iter()
        .flat_map(|(path, n)| n.props.keys().flat_map(move |p| [p.clone(), format!("{path}.{p}")]))
        .collect();
    for k in toml["prop"].as_table().unwrap().keys() {
        assert!(props.contains(k), "stdlib/language.toml describes a property no node takes: `{k}`");
    }
    // The schema is specific: a closed set of words where the lowerer has one.
    let schema: Value = serde_json::from_str(pynoc::language_schema_json()).unwrap();
    let tls = &schema["$defs"]["nginx.site.tls"]["properties"]["props"]["properties"]["profile"];
    assert_eq!(tls["enum"], json!(["intermediate", "modern"]));
    let pw = &schema["$defs"]["postgres.role"]["properties"]["props"]["properties"]["password"];
    assert_eq!(pw["not"], json!({}), "a password in the spec is refused by the schema too");
    let port = &schema["$defs"]["host.ssh.port"]["properties"]["args"]["prefixItems"][0];
    assert_eq!(port["type"], "integer");
}

/// Every node object of a spec's JSON form, by a pointer.
fn nodes(v: &Value, at: String, out: &mut Vec<(String, bool)>) {
    let leaf = v.get("children").is_none();
    out.push((at.clone(), leaf));
    if let Some(children) = v.get("children").and_then(Value::as_object) {
        for (name, list) in children {
            for (i, n) in list.as_array().unwrap().iter().enumerate() {
                nodes(n, format!("{at}/children/{name}/{i}"), out);
            }
        }
    }
}

#[test]
fn specs_as_json_are_valid_and_variants_are_not() {
    if !std::path::Path::new(CHECK_JSONSCHEMA).exists() {
        assert!(!strict(), "check-jsonschema is missing: run .ci/install-validators");
        eprintln!("SKIP the spec schema against specs: {CHECK_JSONSCHEMA} is missing");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("spec.schema.json");
    fs::write(&schema, pynoc::language_schema_json()).unwrap();
    // Valid: every spec that `pynoc check` accepts.
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, (path, text)) in corpus().iter().enumerate() {
        if pynoc::analyze(text, "spec.kdl").is_err() {
            continue;
        }
        let json: Value = serde_json::from_str(&pynoc::language::spec_as_json(text, "spec.kdl").unwrap()).unwrap();
        let file = tmp.path().join(format!("good-{i}.json"));
        fs::write(&file, serde_json::to_string(&json).unwrap()).unwrap();
        good.push((file, path.clone()));
        // Invalid: an unknown property on each node, an unknown child in each block.
        let mut at = Vec::new();
        nodes(&json, String::new(), &mut at);
        for (k, (ptr, leaf)) in at.iter().enumerate() {
            let mut v = json.clone();
            let n = v.pointer_mut(ptr).unwrap();
            if *leaf || k % 2 == 0 {
                n["props"]["no-such-property"] = json!(1);
            } else {
                n["children"]["no-such-node"] = json!([{"args": [], "props": {}}]);
            }
            let file = tmp.path().join(format!("bad-{i}-{k}.json"));
            fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
            bad.push(file);
        }
    }
    assert!(good.len() >= 4, "the examples and tests/language/ are valid specs");
    // A secret written in the spec: refused by the schema as by `pynoc check`.
    let text = fs::read_to_string(root().join("examples/pynomaly/spec.kdl")).unwrap();
    let with_password =
        text.replace("role pynomaly_monitor login=#true", "role pynomaly_monitor password=\"hunter2\" login=#true");
    assert!(pynoc::analyze(&with_password, "spec.kdl").is_err());
    let file = tmp.path().join("bad-password.json");
    fs::write(&file, pynoc::language::spec_as_json(&with_password, "spec.kdl").unwrap()).unwrap();
    bad.push(file);

    let run = |files: &[PathBuf]| {
        let o = Command::new(CHECK_JSONSCHEMA).arg("--schemafile").arg(&schema).args(files).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
    };
    let files: Vec<PathBuf> = good.iter().map(|(f, _)| f.clone()).collect();
    let (ok, out) = run(&files);
    assert!(ok, "valid specs rejected by the schema ({good:?}):\n{out}");
    let (ok, out) = run(&bad);
    assert!(!ok);
    let unflagged: Vec<_> = bad.iter().filter(|f| !out.contains(&*f.file_name().unwrap().to_string_lossy())).collect();
    assert!(
        unflagged.is_empty(),
        "{} of {} variants passed the schema: {unflagged:?}\n{out}",
        unflagged.len(),
        bad.len()
    );
}

#[test]
fn schema_of_prints_a_spec_as_json_or_its_syntax_error() {
    let r = pynoc().args(["schema", "--of"]).arg(root().join("examples/ledger/spec.kdl")).run().expect(0);
    let v: Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(v["children"]["project"][0]["args"][0], "ledger");
    assert_eq!(v["children"]["host"][0]["props"]["release"], "debian-12");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.kdl");
    fs::write(&bad, "pynoc 1\nproject x {\n").unwrap();
    let r = pynoc().args(["schema", "--of"]).arg(&bad).run().expect(1);
    assert!(r.stdout().is_empty() && r.stderr().contains("E001"), "{}", r.stderr());
    assert!(!r.stderr().contains("written"), "{}", r.stderr());
}
