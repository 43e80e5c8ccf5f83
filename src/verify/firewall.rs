//! Firewall artifacts: ufw.sh through `sh -n` and shellcheck, then run for real in a
//! sandbox (overlays of /etc, /var, /run; its own network namespace), where it must exit 0,
//! print no `ERROR:` and leave log_martians as the sysctl drop-in set it. The restore files
//! are loaded into a fresh network namespace; nftables.conf is checked and loaded there.

use std::process::Command;

use camino::Utf8Path;

use super::sandbox::{self, quote};
use super::{Status, brief, need, need_root};

pub(crate) fn ufw(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sh", "shellcheck", "ufw", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let syntax = Command::new("sh").arg("-n").arg(file.as_str()).output();
    match syntax {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Status::Fail(format!("sh -n: {}", brief(&sandbox::text(&o)))),
        Err(e) => return Status::Fail(format!("cannot run sh: {e}")),
    }
    match Command::new("shellcheck").args(["-s", "sh", "-f", "gcc"]).arg(file.as_str()).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Status::Fail(format!("shellcheck: {}", brief(&sandbox::text(&o)))),
        Err(e) => return Status::Fail(format!("cannot run shellcheck: {e}")),
    }
    let Ok(tmp) = tempfile::tempdir() else {
        return Status::Fail("cannot make a temp dir".into());
    };
    let scratch = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir");
    let script = format!(
        "sysctl -q -w net.ipv4.conf.all.log_martians=1\nsh {} > /dev/null 2> {s}/err; rc=$?\ncat {s}/err\necho \"rc=$rc\"\necho \"martians=$(sysctl -n net.ipv4.conf.all.log_martians)\"\n",
        quote(file.as_str()),
        s = "/run"
    );
    let o = match sandbox::run(&script, &["/etc", "/var", "/run"], scratch) {
        Ok(o) => o,
        Err(e) => return Status::Fail(format!("cannot start the sandbox: {e}")),
    };
    let out = sandbox::text(&o);
    if !out.contains("rc=0") {
        return Status::Fail(format!("exit status in the sandbox: {}", brief(&out)));
    }
    if let Some(l) = out.lines().find(|l| l.contains("ERROR:")) {
        return Status::Fail(format!("ufw: {l}"));
    }
    if !out.contains("martians=1") {
        return Status::Fail("ufw reset net.ipv4.conf.all.log_martians: it undoes the sysctl hardening".into());
    }
    Status::Pass
}

pub(crate) fn restore(file: &Utf8Path, tool: &str) -> Status {
    if let Err(s) = need(&[tool, "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    match Command::new("unshare").args(["--net", tool]).arg(file.as_str()).output() {
        Ok(o) if o.status.success() && o.stderr.is_empty() => Status::Pass,
        Ok(o) => Status::Fail(format!("{tool}: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run {tool}: {e}")),
    }
}

pub(crate) fn nft(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["nft", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let f = quote(file.as_str());
    let script = format!("nft -c -f {f} && nft -f {f} && nft -f {f} && nft list table inet pynoc > /dev/null");
    match Command::new("unshare").args(["--net", "sh", "-c", &script]).output() {
        Ok(o) if o.status.success() && o.stderr.is_empty() => Status::Pass,
        Ok(o) => Status::Fail(format!("nft: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run nft: {e}")),
    }
}
