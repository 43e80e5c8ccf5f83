//! fail2ban: a copy of /etc/fail2ban with the jail.local in it, `fail2ban-client -t`, and
//! from its config dump: every jail on the systemd backend has no log path (it would be
//! ignored), every other jail reads at least one.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use camino::Utf8Path;

use super::sandbox::{self, quote};
use super::{Status, brief, need, need_root};

pub fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["fail2ban-client", "cp", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    if !Utf8Path::new("/etc/fail2ban/jail.conf").exists() {
        return Status::Skip(
            "/etc/fail2ban/jail.conf is missing: fail2ban is not installed completely".into(),
        );
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
    let cp = Command::new("cp")
        .args(["-a", "/etc/fail2ban"])
        .arg(conf.as_str())
        .output()?;
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
    script.push_str(&format!(
        "fail2ban-client -c {c} -t || exit 10\necho ---dump---\nfail2ban-client -c {c} -d\n"
    ));
    let o = sandbox::run(&script, &["/var/log"], &dir.join("scratch"))?;
    let out = sandbox::text(&o);
    if !o.status.success() {
        return Ok(Status::Fail(format!("fail2ban-client -t: {}", brief(&out))));
    }
    let (test, dump) = out.split_once("---dump---").unwrap_or((&out, ""));
    if !test.contains("OK: configuration test is successful") {
        return Ok(Status::Fail(format!("fail2ban-client -t: {}", brief(test))));
    }
    Ok(jails_read_logs(dump))
}

/// Reads `['add', 'JAIL', 'BACKEND']` and `['set', 'JAIL', 'addlogpath', …]` from the dump.
fn jails_read_logs(dump: &str) -> Status {
    let mut backend: BTreeMap<String, String> = BTreeMap::new();
    let mut logs: BTreeMap<String, usize> = BTreeMap::new();
    for l in dump.lines() {
        let f: Vec<String> = l
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(", ")
            .map(|s| s.trim_matches('\'').to_string())
            .collect();
        match f.as_slice() {
            [op, jail, b] if op == "add" => {
                backend.insert(jail.clone(), b.clone());
            }
            [op, jail, what, ..] if op == "set" && what == "addlogpath" => {
                *logs.entry(jail.clone()).or_default() += 1
            }
            _ => {}
        }
    }
    if backend.is_empty() {
        return Status::Fail("fail2ban's config dump lists no jail".into());
    }
    for (jail, b) in &backend {
        let n = logs.get(jail).copied().unwrap_or(0);
        if b.starts_with("systemd") && n > 0 {
            return Status::Fail(format!(
                "jail `{jail}` sets a logpath but its backend is systemd: fail2ban ignores logpath"
            ));
        }
        if !b.starts_with("systemd") && n == 0 {
            return Status::Fail(format!(
                "jail `{jail}` reads no log: backend `{b}` with no logpath"
            ));
        }
    }
    Status::Pass
}
