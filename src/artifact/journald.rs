//! `host/journald.conf`: journald as the host's one logger (`host { journal }`), its journal
//! on disk, compressed and bounded, from `stdlib/journald/journald.conf.j2`. Its back half,
//! as the registry's [`super::Behaviour`] names it: the emitter, the consumer's check
//! (systemd-journald itself, started in a sandbox on the drop-in), the line rule and the host
//! play's step.

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Command as Cmd, Handler, HandlerTask, Module, Step, UnitState, words};

use crate::emit::deploy::{Steps, copy, root_dir};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::sandbox::{self, quote};
use crate::verify::{Status, brief, need_root};

const JOURNALD: &str = "/lib/systemd/systemd-journald";

/// The artifact, when the host has a `journal`.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(j) = cx.spec.host.as_ref().and_then(|h| h.journal.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Journald,
        instance: None,
        install: Kind::Journald.install(cx.spec),
        apply: "systemctl restart systemd-journald && journalctl --flush".into(),
        env: vec![],
        content: render(env, cx, Kind::Journald, "journal", j, &[])?,
    }))
}

/// systemd-journald runs on the drop-in in a sandbox (its own /run, /var/log and
/// /etc/systemd): it reports no line of the file it could not read, flushes to a persistent
/// journal under /var/log/journal when asked (`Storage=persistent`), compressed, with the
/// file's `SystemMaxUse` as its limit.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need_root() {
        return s;
    }
    if !Utf8Path::new(JOURNALD).is_file() {
        return Status::Skip(format!("no {JOURNALD} (systemd is not installed)"));
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let Some(max_use) = text.lines().find_map(|l| l.strip_prefix("SystemMaxUse=")) else {
        return Status::Fail("no `SystemMaxUse=` line".into());
    };
    let script = format!(
        "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log || exit 3\n\
         mkdir -p /run/systemd/journal /etc/systemd/journald.conf.d\n\
         rm -f /etc/systemd/journald.conf.d/*\n\
         cp {file} /etc/systemd/journald.conf.d/50-pynoc.conf || exit 3\n\
         SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug {JOURNALD} >/run/journald.log 2>&1 &\n\
         pid=$!\n\
         for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done\n\
         kill -USR1 $pid\n\
         for i in $(seq 100); do ls /var/log/journal/*/system.journal >/dev/null 2>&1 && break; sleep 0.05; done\n\
         sleep 0.2; kill $pid; wait $pid\n\
         cat /run/journald.log\n\
         ls /var/log/journal/*/system.journal 2>/dev/null | sed 's/^/persistent: /'\n",
        file = quote(file.as_str())
    );
    match sandbox::run_scratch(&script, &["/etc/systemd"]) {
        Ok(o) => judge(&sandbox::text(&o), max_use),
        Err(e) => Status::Fail(e),
    }
}

/// journald's log of its start on the drop-in against what the drop-in says.
fn judge(log: &str, max_use: &str) -> Status {
    if let Some(l) = log.lines().find(|l| l.contains("50-pynoc.conf:")) {
        return Status::Fail(format!("journald: {}", brief(l)));
    }
    if !log.lines().any(|l| l.starts_with("persistent: /var/log/journal/")) {
        return Status::Fail(format!("no persistent journal after a flush: {}", brief(log)));
    }
    if !log.contains("compress=yes") {
        return Status::Fail("journald does not compress".into());
    }
    // The system journal's limits are the last journald fixes (the runtime one's come first).
    let fixed = log.lines().filter_map(|l| l.split("max_use=").nth(1)).next_back().unwrap_or("");
    let got = fixed.split_whitespace().next().unwrap_or("");
    match crate::grammar::journal_size(max_use) {
        Some(bytes) if got == format_bytes(bytes) => Status::Pass,
        _ => Status::Fail(format!("journald's system journal may use {got:?}, the file says {max_use}")),
    }
}

/// A size as systemd prints it: one decimal of the largest unit it reaches (`1.5G`).
fn format_bytes(b: u64) -> String {
    for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        let f = 1u64 << shift;
        if b >= f {
            return format!("{}.{}{unit}", b / f, b / (f / 10) % 10);
        }
    }
    format!("{b}B")
}

/// A line of the drop-in: its section and the keys pynoc writes, with plain values.
pub(super) fn line(l: &str) -> bool {
    const KEYS: &[&str] = &[
        "Storage",
        "Compress",
        "ForwardToSyslog",
        "SystemMaxUse",
        "SystemKeepFree",
        "RuntimeMaxUse",
        "RuntimeKeepFree",
        "MaxFileSec",
        "MaxRetentionSec",
    ];
    l == "[Journal]"
        || l.split_once('=').is_some_and(|(k, v)| {
            KEYS.contains(&k) && !v.is_empty() && v.len() <= 16 && v.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// The drop-in, then journald restarted on it (journald reads its configuration at start).
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    // One logger (CIS 6.1.1.4): a host that also runs rsyslog stops the play here, named.
    p.tasks.push(
        Step::new(
            "journald is the one logger: rsyslog is not running",
            Cmd::argv(words(&["sh", "-c", "! systemctl is-active --quiet rsyslog.service"])),
        )
        .read_only()
        .task(),
    );
    p.tasks.push(root_dir("journald's drop-in directory", "/etc/systemd/journald.conf.d"));
    p.tasks.push(
        Step::new("journald: the one logger, on disk, compressed, bounded", Module::Copy(copy(a, None)))
            .notify(Handler::RestartJournald)
            .task(),
    );
    p.handlers.push(HandlerTask::unit(Handler::RestartJournald, "systemd-journald", UnitState::Restarted));
}

#[cfg(test)]
mod tests {
    use super::{Kind, format_bytes, judge};
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    #[test]
    fn sizes_read_as_systemd_prints_them() {
        assert_eq!(format_bytes(1 << 30), "1.0G");
        assert_eq!(format_bytes(1536 << 20), "1.5G");
        assert_eq!(format_bytes(300 << 20), "300.0M");
    }

    #[test]
    fn a_line_journald_could_not_read_fails() {
        let ok = "Fixed min_use=1M max_use=1.0G\ncompress=yes\npersistent: /var/log/journal/x/system.journal\n";
        assert!(matches!(judge(ok, "1G"), Status::Pass));
        assert!(matches!(judge(ok, "2G"), Status::Fail(_)));
        let bad = format!("/etc/systemd/journald.conf.d/50-pynoc.conf:4: Unknown key 'X'\n{ok}");
        assert!(matches!(judge(&bad, "1G"), Status::Fail(_)));
        assert!(matches!(judge("Fixed max_use=1.0G compress=yes\n", "1G"), Status::Fail(_)));
    }

    #[test]
    fn only_its_keys_with_plain_values() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        assert!(check_one(Kind::Journald, &format!("{h}[Journal]\nStorage=persistent\n")).is_empty());
        assert!(!check_one(Kind::Journald, &format!("{h}[Journal]\nForwardToSyslog=yes; rm\n")).is_empty());
        assert!(!check_one(Kind::Journald, &format!("{h}[Journal]\nForwardToWall=yes\n")).is_empty());
    }
}
