//! The scripts that install, run and probe everything else (CI's, the fuzz run's, the VM
//! proof's, the container stand-ins') pass shellcheck at warning level, and the stand-in application
//! parses as Python: a typo in a probe would otherwise surface only in a 30-minute VM run.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{root, strict};

fn scripts() -> Vec<PathBuf> {
    let r = root();
    let mut all = Vec::new();
    for dir in [
        "tests/vm",
        "tests/vm/stack",
        "tests/vm/atelier",
        "tests/vm/stack/standins/postgres",
        "tests/vm/stack/standins/redis",
        ".ci",
        "fuzz",
    ] {
        for e in std::fs::read_dir(r.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if p.is_file()
                && (p.extension().is_some_and(|x| x == "sh")
                    || text.starts_with("#!/usr/bin/env bash")
                    || text.starts_with("#!/bin/sh"))
            {
                all.push(p);
            }
        }
    }
    all.sort();
    all
}

#[test]
fn harness_scripts_pass_shellcheck() {
    let found = scripts();
    assert!(found.len() >= 12, "{found:?}");
    let Ok(o) = Command::new("shellcheck").args(["-S", "warning", "-x"]).args(&found).output() else {
        assert!(!strict(), "shellcheck is missing (installed by .ci/install-validators)");
        eprintln!("SKIP harness lint: no shellcheck");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

/// The scripts the playbook runs on a host (stdlib/deploy/, POSIX sh): every one of them, at
/// style level.
#[test]
fn playbook_scripts_pass_shellcheck() {
    let dir = root().join("stdlib/deploy");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    found.sort();
    assert!(found.len() >= 5 && found.iter().all(|p| p.extension().is_some_and(|x| x == "sh")), "{found:?}");
    let Ok(o) = Command::new("shellcheck").args(["-s", "sh", "-S", "style"]).args(&found).output() else {
        assert!(!strict(), "shellcheck is missing (installed by .ci/install-validators)");
        eprintln!("SKIP playbook script lint: no shellcheck");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn stand_in_application_parses() {
    let r = root().join("tests/vm");
    for f in [
        "stack/app/uvicorn.py",
        "stack/app/pynomaly/main.py",
        "stack/app/pq.py",
        "atelier/app/gunicorn.py",
        "atelier/app/atelier/__init__.py",
        "atelier/app/atelier/db.py",
        "atelier/app/atelier/web.py",
        "atelier/app/atelier/api.py",
        "atelier/app/atelier/console.py",
        "atelier/app/atelier/worker.py",
    ] {
        let o = Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])"])
            .arg(r.join(f))
            .output()
            .unwrap();
        assert!(o.status.success(), "{f}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Every `sh -c SCRIPT` the generated playbooks run, as they are written (the SQL-apply script
/// is built in Rust, with a line per password): each passes shellcheck at style level.
#[test]
fn the_scripts_inside_the_generated_playbooks_pass_shellcheck() {
    fn scripts(v: &serde_norway::Value, out: &mut Vec<String>) {
        use serde_norway::Value;
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Tagged(t) => t.value.as_str().map(str::to_string),
            _ => None,
        };
        match v {
            Value::Sequence(items) => {
                let words: Vec<Option<String>> = items.iter().take(3).map(text).collect();
                if let [Some(sh), Some(c), Some(script)] = words.as_slice()
                    && sh == "sh"
                    && c == "-c"
                {
                    out.push(script.clone());
                }
                items.iter().for_each(|i| scripts(i, out));
            }
            Value::Mapping(m) => m.values().for_each(|i| scripts(i, out)),
            Value::Tagged(t) => scripts(&t.value, out),
            _ => {}
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for example in ["pynomaly", "everything"] {
        let text = std::fs::read_to_string(root().join(format!("golden/{example}/deploy/site.yml"))).unwrap();
        let playbook: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        let mut found = Vec::new();
        scripts(&playbook, &mut found);
        assert!(found.iter().any(|s| s.contains("psql")), "{example}: no SQL-apply script among {found:?}");
        for (i, s) in found.iter().enumerate() {
            let f = dir.path().join(format!("{example}-{i}.sh"));
            std::fs::write(&f, s).unwrap();
            files.push(f);
        }
    }
    assert!(files.len() >= 4, "{files:?}");
    let Ok(o) = Command::new("shellcheck").args(["-s", "sh", "-S", "style"]).args(&files).output() else {
        assert!(!strict(), "shellcheck is missing (installed by .ci/install-validators)");
        eprintln!("SKIP generated playbook script lint: no shellcheck");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
