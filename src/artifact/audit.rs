//! audit: every rule line through auditctl's own parser, as an unprivileged user in a user
//! and network namespace, so the kernel never receives a rule. The only acceptable
//! complaint is that the audit system is disabled (the namespace has none).
//!
//! The artifact's back half, as the registry's [`super::Behaviour`] names it: its emitter,
//! its consumer's check, its shape rules and the host play's steps that install it.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Command as Cmd, Registered, Step, UnitState, plain, words};
use crate::emit::deploy::{Steps, guarded, one_line, service};
use crate::emit::{Artifact, Context, render};
use crate::ir::{Audit, Host};
use crate::verify::shape::first_word;
use crate::verify::{Status, need, need_root};

/// The play's check that the rules loaded are the files of rules.d, merged.
const CHECK: &str = "out=$(augenrules --check) || exit 1; echo \"$out\"; case $out in *'No change'*) exit 0;; esac; \
                     auditctl -s | grep -qx 'enabled 2' || exit 1";

/// The script the host play runs for it (shellchecked by tests/harness_lint.rs).
const AUDIT_LOAD: &str = include_str!("../../stdlib/deploy/audit-load.sh");

/// The artifact, when the spec has its section.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.audit.as_ref()).map(|s| artifact(env, cx, s)).transpose()
}

fn artifact(env: &Environment, cx: &Context, a: &Audit) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Audit,
        instance: None,
        install: Kind::Audit.install(cx.spec),
        apply: "augenrules --load".into(),
        env: vec![],
        content: render(env, cx, Kind::Audit, "audit", a, &[])?,
    })
}

const DISABLED: &str = "The audit system is disabled";

pub(super) fn check(file: &Utf8Path) -> Status {
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

pub(super) fn line(l: &str) -> bool {
    ["-D", "-b", "-f", "-e", "-a", "-w", "--backlog_wait_time", "-i", "-r"].contains(&first_word(l))
}

/// The audit rules, loaded now or at the next boot when locked; auditd running.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    // Rules locked by `-e 2` cannot change until reboot: then the new file waits for the
    // next boot (augenrules loads it there) instead of failing the run.
    let load = || vec![plain("sh"), plain("-c"), plain(one_line(AUDIT_LOAD))];
    p.tasks.push(guarded("audit rules", a, Registered::Audit, load(), load()));
    p.tasks.push(service("auditd enabled and running", "auditd", Some(UnitState::Started)));
    // CIS 6.2.3.21: the rules on disk (/etc/audit/audit.rules, what the kernel was given) are
    // rules.d's, merged; only locked rules may wait for the next boot.
    p.tasks.push(
        Step::new(
            "audit rules: the loaded file is rules.d's (augenrules --check)",
            Cmd::argv(words(&["sh", "-c", CHECK])),
        )
        .read_only()
        .task(),
    );
}
