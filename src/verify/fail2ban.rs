//! fail2ban: a copy of /etc/fail2ban with the jail.local in it, `fail2ban-client -t`, and
//! from its config dump: every jail on the systemd backend has no log path (it would be
//! ignored), every other jail reads at least one.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use camino::Utf8Path;

use super::sandbox::{self, quote};
use super::{Status, brief, need, need_root};

pub(crate) fn check(file: &Utf8Path) -> Status {
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
