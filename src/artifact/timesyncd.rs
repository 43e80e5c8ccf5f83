//! `host/timesyncd.conf`: systemd-timesyncd as the host's one time synchronisation daemon
//! (`host { time }`), asking the spec's servers and no other, from
//! `stdlib/timesyncd/timesyncd.conf.j2`. Its back half, as the registry's
//! [`super::Behaviour`] names it: the emitter, the consumer's check (systemd-timesyncd
//! itself, started in a sandbox without a network on the drop-in), the line rule and the
//! host play's step.

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Handler, HandlerTask, Module, Step, UnitState};
use crate::emit::deploy::{Steps, copy, root_dir, service};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::sandbox::{self, quote};
use crate::verify::{Status, brief, need_root};

const TIMESYNCD: &str = "/lib/systemd/systemd-timesyncd";

/// The artifact, when the host has a `time`.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(t) = cx.spec.host.as_ref().and_then(|h| h.time.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Timesyncd,
        instance: None,
        install: Kind::Timesyncd.install(cx.spec),
        apply: "systemctl restart systemd-timesyncd".into(),
        env: vec![],
        content: render(env, cx, Kind::Timesyncd, "time", t, &[])?,
    }))
}

/// systemd-timesyncd runs on the drop-in in a sandbox without a network (its own /run,
/// /etc/systemd and state directory): it reports no line of the file it could not read, and
/// the servers it takes, as system servers and as fallback ones, are the file's, in order.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need_root() {
        return s;
    }
    if !Utf8Path::new(TIMESYNCD).is_file() {
        return Status::Skip(format!("no {TIMESYNCD} (the systemd-timesyncd package is not installed)"));
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let script = format!(
        "mount -t tmpfs tmpfs /run || exit 3\n\
         mkdir -p /var/lib/systemd/timesync && mount -t tmpfs tmpfs /var/lib/systemd/timesync || exit 3\n\
         mkdir -p /etc/systemd/timesyncd.conf.d\n\
         rm -f /etc/systemd/timesyncd.conf /etc/systemd/timesyncd.conf.d/*\n\
         cp {file} /etc/systemd/timesyncd.conf.d/50-pynoc.conf || exit 3\n\
         SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug {TIMESYNCD} >/run/timesyncd.log 2>&1 &\n\
         pid=$!\n\
         for i in $(seq 100); do grep -q 'running as pid' /run/timesyncd.log && break; sleep 0.05; done\n\
         kill $pid; wait $pid\n\
         cat /run/timesyncd.log\n",
        file = quote(file.as_str())
    );
    match sandbox::run_scratch(&script, &["/etc/systemd"]) {
        Ok(o) => judge(&sandbox::text(&o), &text),
        Err(e) => Status::Fail(e),
    }
}

/// timesyncd's log of its start on the drop-in against the servers the drop-in names.
fn judge(log: &str, file: &str) -> Status {
    if let Some(l) = log.lines().find(|l| l.contains("50-pynoc.conf:")) {
        return Status::Fail(format!("timesyncd: {}", brief(l)));
    }
    if !log.contains("running as pid") {
        return Status::Fail(format!("timesyncd did not start: {}", brief(log)));
    }
    for (key, kind) in [("NTP=", "system"), ("FallbackNTP=", "fallback")] {
        let want: Vec<&str> =
            file.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.split_whitespace().collect()).unwrap_or_default();
        let prefix = format!("Added new {kind} server ");
        let got: Vec<&str> = log
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|s| s.strip_suffix('.').unwrap_or(s))
            .collect();
        if want.is_empty() || got != want {
            return Status::Fail(format!("timesyncd's {kind} servers are {got:?}, the file says {want:?}"));
        }
    }
    Status::Pass
}

/// A line of the drop-in: its section, and the server lists of names and addresses.
pub(super) fn line(l: &str) -> bool {
    l == "[Time]"
        || ["NTP=", "FallbackNTP="].iter().any(|k| {
            l.strip_prefix(k).is_some_and(|v| {
                !v.is_empty()
                    && v.split(' ').all(|s| {
                        !s.is_empty()
                            && s.len() <= 253
                            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".:-".contains(&b))
                    })
            })
        })
}

/// The drop-in, timesyncd restarted on it, enabled and running. Its package conflicts with
/// every other time daemon (chrony, ntp, openntpd): installing it removes them.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(root_dir("timesyncd's drop-in directory", "/etc/systemd/timesyncd.conf.d"));
    p.tasks.push(
        Step::new("timesyncd: the one time daemon, the spec's servers only", Module::Copy(copy(a, None)))
            .notify(Handler::RestartTimesyncd)
            .task(),
    );
    p.tasks.push(service("timesyncd enabled and running", "systemd-timesyncd", Some(UnitState::Started)));
    p.handlers.push(HandlerTask::unit(Handler::RestartTimesyncd, "systemd-timesyncd", UnitState::Restarted));
}

#[cfg(test)]
mod tests {
    use super::{Kind, judge};
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    const FILE: &str = "[Time]\nNTP=ntp.example.com 192.0.2.1\nFallbackNTP=ntp.example.com 192.0.2.1\n";

    #[test]
    fn the_servers_timesyncd_takes_are_the_files() {
        let ok = "Added new system server ntp.example.com.\nAdded new system server 192.0.2.1.\n\
                  Added new fallback server ntp.example.com.\nAdded new fallback server 192.0.2.1.\n\
                  systemd-timesyncd running as pid 3\n";
        assert!(matches!(judge(ok, FILE), Status::Pass), "{:?}", judge(ok, FILE));
        let one = ok.replace("Added new system server 192.0.2.1.\n", "");
        assert!(matches!(judge(&one, FILE), Status::Fail(_)));
        let unknown = format!("/etc/systemd/timesyncd.conf.d/50-pynoc.conf:4: Unknown key 'X'\n{ok}");
        assert!(matches!(judge(&unknown, FILE), Status::Fail(_)));
        assert!(matches!(judge(&ok.replace("running as pid", "failed"), FILE), Status::Fail(_)));
    }

    #[test]
    fn only_server_lists_of_names_and_addresses() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        assert!(check_one(Kind::Timesyncd, &format!("{h}{FILE}")).is_empty());
        assert!(check_one(Kind::Timesyncd, &format!("{h}[Time]\nNTP=2001:db8::1\n")).is_empty());
        for bad in ["NTP=", "NTP=a  b", "NTP=a;b", "NTP=A.example", "RootDistanceMaxSec=5", "NTP=a\tb"] {
            assert!(!check_one(Kind::Timesyncd, &format!("{h}[Time]\n{bad}\n")).is_empty(), "{bad}");
        }
    }
}
