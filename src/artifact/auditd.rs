//! `host/auditd.conf`: with `host profile=cis-l2` and an `audit` section, auditd's own
//! configuration at CIS Level 2 (stdlib/audit/auditd.toml): every log kept, root mailed when
//! space runs low, single-user mode, then a halt, as the logs' disk fills. Its back half, as
//! the registry's [`super::Behaviour`] names it: the emitter, the consumer's check (auditd
//! itself reads the file), the line rule and the host play's steps.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Command as Cmd, Handler, HandlerTask, Module, Registered, Step, words};
use crate::emit::deploy::{Steps, copy, permissions};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::stdlib;
use crate::verify::{Status, brief, need, need_root};

/// How the file takes effect: auditd rereads its configuration on SIGHUP (its unit has no reload).
const RELOAD: &str = "kill -HUP \"$(cat /run/auditd.pid)\"";

/// The artifact, when the host is hardened to Level 2 and has its audit rules.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(host) = cx.spec.host.as_ref() else { return Ok(None) };
    if !host.profile.level2() || host.audit.is_none() {
        return Ok(None);
    }
    Ok(Some(Artifact {
        kind: Kind::Auditd,
        instance: None,
        install: Kind::Auditd.install(cx.spec),
        apply: RELOAD.into(),
        env: vec![],
        content: render(env, cx, Kind::Auditd, "auditd", &stdlib::auditd_conf().setting, &[])?,
    }))
}

/// What auditd says once its configuration is read and it goes on to start: it cannot raise
/// its priority or open the kernel's audit socket in the check's namespaces.
const STARTED: &[&str] = &["Cannot change priority", "netlink"];

/// auditd reads the file as its configuration, as an unprivileged user in user, network and
/// mount namespaces (the file copied in from stdin, so it is root's there; a tmpfs on /var/log for the
/// log directory it checks): every key and value through its own parser and sanity checks.
/// It stops where it would start (no priority, no audit socket): a file it rejects stops it
/// before, with the line it could not read.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["auditd", "setpriv", "unshare"]).and_then(|()| need_root()) {
        return s;
    }
    let Ok(text) = std::fs::File::open(file) else { return Status::Fail("cannot read the file".into()) };
    // The file comes on stdin: it may be root's alone (0640), and the checker is not root.
    let script = "d=$(mktemp -d) && cat > \"$d/auditd.conf\" && chmod 0640 \"$d/auditd.conf\" && \
                  mount -t tmpfs tmpfs /var/log && mkdir /var/log/audit || exit 3; \
                  auditd -f -n -c \"$d\"; rm -rf \"$d\"";
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "unshare", "--user", "--map-root-user"])
        .args(["--net", "--mount", "sh", "-c", script, "pynoc-auditd"])
        .stdin(text)
        .output();
    match o {
        Ok(o) => judge(&crate::verify::sandbox::text(&o)),
        Err(e) => Status::Fail(format!("cannot run auditd: {e}")),
    }
}

/// auditd's account of reading the file.
fn judge(log: &str) -> Status {
    let said: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains("parser called with") && !l.ends_with("opened for parsing"))
        .collect();
    let started = said.iter().position(|l| STARTED.iter().any(|s| l.contains(s)));
    // Before it starts, the one acceptable remark: no MTA on the checking machine.
    let before = &said[..started.unwrap_or(said.len())];
    let complaints: Vec<&str> =
        before.iter().copied().filter(|l| !l.starts_with("Email option is specified but")).collect();
    match (started, complaints.is_empty()) {
        (Some(_), true) => Status::Pass,
        (_, false) => Status::Fail(format!("auditd: {}", brief(&complaints.join("\n")))),
        (None, true) => Status::Fail(format!("auditd did not get past its configuration: {}", brief(log))),
    }
}

/// A line of the file: one of the keys of stdlib/audit/auditd.toml with its value.
pub(super) fn line(l: &str) -> bool {
    stdlib::auditd_conf().setting.iter().any(|s| l == format!("{} = {}", s.key, s.value))
}

/// The file (auditd rereads it on SIGHUP: its unit has no reload), then the modes of the log
/// directory, the log and the audit tools.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(
        Step::new("auditd: every log kept, the host stopped before a record is lost", Module::Copy(copy(a, None)))
            .notify(Handler::ReloadAuditd)
            .task(),
    );
    p.tasks.push(permissions("the audit logs' and tools'", &stdlib::auditd_conf().path, Registered::AuditPermissions));
    p.handlers.push(HandlerTask::new(
        Handler::ReloadAuditd.topic(),
        Handler::ReloadAuditd,
        Cmd::argv(words(&["sh", "-c", RELOAD])),
    ));
}

#[cfg(test)]
mod tests {
    use super::{Kind, judge};
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    #[test]
    fn auditd_must_get_past_its_configuration() {
        let opened = "Config file /tmp/x/auditd.conf opened for parsing\nlog_file_parser called with: /var/log/audit/audit.log\n";
        assert!(matches!(judge(&format!("{opened}Cannot change priority (Operation not permitted)\n")), Status::Pass));
        let mta = "Email option is specified but /usr/lib/sendmail doesn't seem executable.\n";
        assert!(matches!(judge(&format!("{opened}{mta}Cannot change priority (x)\n")), Status::Pass));
        assert!(matches!(
            judge(&format!("{opened}Option BOGUS not found - line 17\nThe audit daemon is exiting.\n")),
            Status::Fail(_)
        ));
        assert!(matches!(judge(&format!("{opened}The audit daemon is exiting.\n")), Status::Fail(_)));
    }

    #[test]
    fn only_its_keys_with_their_values() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        assert!(check_one(Kind::Auditd, &format!("{h}max_log_file_action = keep_logs\n")).is_empty());
        for bad in ["max_log_file_action = ROTATE", "disk_full_action = ignore", "space_left_action = exec /bin/sh"] {
            assert!(!check_one(Kind::Auditd, &format!("{h}{bad}\n")).is_empty(), "{bad}");
        }
    }
}
