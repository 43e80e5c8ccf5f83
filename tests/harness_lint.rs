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
    let r = root().join("tests/vm/stack/app");
    for f in ["uvicorn.py", "pynomaly/main.py"] {
        let o = Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])"])
            .arg(r.join(f))
            .output()
            .unwrap();
        assert!(o.status.success(), "{f}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
