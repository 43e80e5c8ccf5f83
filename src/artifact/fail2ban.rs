//! fail2ban: a copy of /etc/fail2ban with the jail.local in it, `fail2ban-client -t`, and
//! from its config dump: every jail on the systemd backend has no log path (it would be
//! ignored), every other jail reads at least one.
//!
//! The artifact's back half, as the registry's [`super::Behaviour`] names it: its emitter,
//! its consumer's check, its shape rules and the host play's steps that install it.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Handler, HandlerTask, Module, Step, UnitState};
use crate::emit::deploy::{Steps, copy, one_line, service};
use crate::emit::{Artifact, Context, render};
use crate::ir::{Fail2ban, Host};
use crate::verify::sandbox::{self, quote};
use crate::verify::{Status, brief, need, need_root};

/// The script the host play runs for it (shellchecked by tests/harness_lint.rs).
const FAIL2BAN_CHECK: &str = include_str!("../../stdlib/deploy/fail2ban-check.sh");

/// The artifact, when the spec has its section.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.fail2ban.as_ref()).map(|s| artifact(env, cx, s)).transpose()
}

fn artifact(env: &Environment, cx: &Context, f: &Fail2ban) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Fail2ban,
        instance: None,
        install: Kind::Fail2ban.install(cx.spec),
        // Stock Debian 12's fail2ban is failed until a jail.local exists (no auth.log for its
        // default sshd jail): `reload` of a failed unit fails, `restart` starts it.
        apply: "fail2ban-client -t && systemctl enable fail2ban && systemctl restart fail2ban".into(),
        env: vec![],
        content: render(env, cx, Kind::Fail2ban, "f2b", f, &[])?,
    })
}

pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["fail2ban-client", "cp", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    if !Utf8Path::new("/etc/fail2ban/jail.conf").exists() {
        return Status::Skip("/etc/fail2ban/jail.conf is missing: fail2ban is not installed completely".into());
    }
    match run(file) {
        Ok(s) => s,
        Err(e) => Status::Fail(format!("cannot set up the sandbox: {e}")),
    }
}

fn run(file: &Utf8Path) -> std::io::Result<Status> {
    let tmp = tempfile::tempdir()?;
    let dir = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir");
    let conf = dir.join("fail2ban");
    let cp = Command::new("cp").args(["-a", "/etc/fail2ban"]).arg(conf.as_str()).output()?;
    if !cp.status.success() {
        return Ok(Status::Fail(format!("cp: {}", brief(&sandbox::text(&cp)))));
    }
    let text = fs::read_to_string(file)?;
    fs::write(conf.join("jail.local"), &text)?;
    fs::create_dir_all(dir.join("scratch"))?;
    // The log files the jails read must exist: create them inside the overlay of /var/log.
    let mut script = String::new();
    for l in text.lines() {
        if let Some(p) = l.strip_prefix("logpath = ") {
            let p = quote(p.trim());
            script.push_str(&format!("mkdir -p \"$(dirname {p})\" && touch {p}\n"));
        }
    }
    let c = quote(conf.as_str());
    script.push_str(&format!("fail2ban-client -c {c} -t || exit 10\necho ---dump---\nfail2ban-client -c {c} -d\n"));
    let o = sandbox::run(&script, &["/var/log"], &dir.join("scratch"))?;
    let out = sandbox::text(&o);
    if !o.status.success() {
        return Ok(Status::Fail(format!("fail2ban-client -t: {}", brief(&out))));
    }
    let (test, dump) = out.split_once("---dump---").unwrap_or((&out, ""));
    if !test.contains("OK: configuration test is successful") {
        return Ok(Status::Fail(format!("fail2ban-client -t: {}", brief(test))));
    }
    Ok(jails_read_logs(dump, &logpath_sections(&text)))
}

/// Reads `['add', 'JAIL', 'BACKEND']`, `['set', 'JAIL', 'addlogpath', …]` and
/// `['set', 'JAIL', 'addjournalmatch', …]` from fail2ban's own config dump. A journal jail
/// with no journal match reads nothing of its daemon (the guide's nginx jails); a file jail
/// with no log path reads nothing at all.
fn jails_read_logs(dump: &str, sets_logpath: &[String]) -> Status {
    let mut backend: BTreeMap<String, String> = BTreeMap::new();
    let mut logs: BTreeMap<String, usize> = BTreeMap::new();
    let mut matches: BTreeMap<String, usize> = BTreeMap::new();
    for l in dump.lines() {
        let f: Vec<&str> =
            l.trim().trim_start_matches('[').trim_end_matches(']').split(", ").map(|s| s.trim_matches('\'')).collect();
        match f.as_slice() {
            ["add", jail, b] => {
                backend.insert(jail.to_string(), b.to_string());
            }
            ["set", jail, "addlogpath", ..] => *logs.entry(jail.to_string()).or_default() += 1,
            ["set", jail, "addjournalmatch", ..] => *matches.entry(jail.to_string()).or_default() += 1,
            _ => {}
        }
    }
    if backend.is_empty() {
        return Status::Fail("fail2ban's config dump lists no jail".into());
    }
    for (jail, b) in &backend {
        if b.starts_with("systemd") {
            if sets_logpath.contains(jail) {
                return Status::Fail(format!(
                    "jail `{jail}` sets logpath but its backend is systemd: fail2ban ignores logpath and reads the journal"
                ));
            }
            if matches.get(jail).copied().unwrap_or(0) == 0 {
                return Status::Fail(format!(
                    "jail `{jail}` reads the systemd journal, but its filter has no journal match: it never sees its daemon's log lines (and logpath is ignored)"
                ));
            }
        } else if logs.get(jail).copied().unwrap_or(0) == 0 {
            return Status::Fail(format!("jail `{jail}` reads no log: backend `{b}` with no logpath"));
        }
    }
    Status::Pass
}

/// The jails whose section in jail.local sets `logpath` (fail2ban's dump drops the ones a
/// systemd backend ignores, so they are read from the file itself).
fn logpath_sections(ini: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut section = String::new();
    for l in ini.lines().map(str::trim) {
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim().to_string();
        } else if l.split_once('=').is_some_and(|(k, _)| k.trim() == "logpath")
            && section != "DEFAULT"
            && !out.contains(&section)
        {
            out.push(section.clone());
        }
    }
    out
}

pub(super) fn line(l: &str) -> bool {
    if let Some(section) = l.strip_prefix('[') {
        section
            .strip_suffix(']')
            .is_some_and(|s| s == "DEFAULT" || s.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
    } else {
        l.split_once(" = ").is_some_and(|(k, _)| FAIL2BAN.contains(&k))
    }
}

const FAIL2BAN: &[&str] = &[
    "enabled",
    "filter",
    "port",
    "backend",
    "logpath",
    "maxretry",
    "bantime",
    "findtime",
    "ignoreip",
    "banaction",
    "banaction_allports",
    "action",
    "journalmatch",
    "destemail",
    "sender",
    "mta",
    "protocol",
    "chain",
    "bantime.increment",
    "bantime.factor",
    "bantime.maxtime",
    "bantime.rndtime",
    "usedns",
    "mode",
];

/// Jail.local (checked by fail2ban), fail2ban running.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    let validate = format!("sh -c '{}' fail2ban %s", one_line(FAIL2BAN_CHECK));
    p.tasks.push(
        Step::new("fail2ban jail.local", Module::Copy(copy(a, Some(validate)))).notify(Handler::RestartFail2ban).task(),
    );
    // Stock Debian 12 fail2ban is failed until jail.local exists: started now, with it.
    p.tasks.push(service("fail2ban enabled and running", "fail2ban", Some(UnitState::Started)));
    p.handlers.push(HandlerTask::unit(Handler::RestartFail2ban, "fail2ban", UnitState::Restarted));
}
