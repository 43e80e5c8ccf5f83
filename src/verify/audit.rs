//! audit: every rule line through auditctl's own parser, as an unprivileged user in a user
//! and network namespace, so the kernel never receives a rule. The only acceptable
//! complaint is that the audit system is disabled (the namespace has none).

use std::process::Command;

use camino::Utf8Path;

use super::{Status, need, need_root};

const DISABLED: &str = "The audit system is disabled";

pub(crate) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["auditctl", "setpriv", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return Status::Fail("cannot read the file".into());
    };
    let mut rules = 0;
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(args) = shlex::split(line) else {
            return Status::Fail(format!("line {}: unbalanced quotes", no + 1));
        };
        let o = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "unshare",
                "--user",
                "--map-root-user",
                "--net",
                "auditctl",
            ])
            .args(&args)
            .output();
        let o = match o {
            Ok(o) => o,
            Err(e) => return Status::Fail(format!("cannot run auditctl: {e}")),
        };
        let err = String::from_utf8_lossy(&o.stderr);
        let complaints: Vec<&str> = err.lines().map(str::trim).filter(|l| !l.is_empty() && *l != DISABLED).collect();
        if !complaints.is_empty() {
            return Status::Fail(format!("line {}: auditctl: {}", no + 1, complaints.join(" | ")));
        }
        rules += 1;
    }
    if rules == 0 { Status::Fail("no rules".into()) } else { Status::Pass }
}
