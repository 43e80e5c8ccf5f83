//! `host/apparmor-grub.cfg`: with `host { apparmor }`, AppArmor on at every boot (a drop-in
//! update-grub reads after /etc/default/grub), and at CIS Level 2 with `audit`, auditing from
//! boot with the rules' backlog; its service on; the host play stops on a
//! process that has a profile but runs unconfined. Its back half, as the registry's
//! [`super::Behaviour`] names it: the emitter, the consumer's check (the shell that
//! grub-mkconfig sources the drop-in with), the line rule and the host play's steps.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{
    Apt, Changed, Command as Cmd, Handler, HandlerTask, Module, Registered, Step, UnitState, plain, words,
};
use crate::emit::deploy::{Steps, copy, root_dir, service, unsafe_str};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::{Status, brief, need};

/// The host play's script that enforces every profile, at Level 2.
const ENFORCE: &str = include_str!("../../stdlib/deploy/apparmor-enforce.sh");

pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(host) = cx.spec.host.as_ref() else { return Ok(None) };
    let Some(a) = host.apparmor.as_ref() else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::AppArmorGrub,
        instance: None,
        install: Kind::AppArmorGrub.install(cx.spec),
        // A host booted without GRUB (a cloud's direct kernel boot) has no update-grub.
        apply: "if command -v update-grub >/dev/null; then update-grub; fi".into(),
        env: vec![],
        content: render(env, cx, Kind::AppArmorGrub, "apparmor", a, &[("audit_backlog", audit_backlog(host).into())])?,
    }))
}

/// The audit backlog the kernel's command line sets from boot: the rules' (`-b`), at CIS
/// Level 2 with an `audit` section; none otherwise.
fn audit_backlog(host: &Host) -> Option<u32> {
    host.audit.as_ref().filter(|_| host.profile.level2()).map(|a| a.buffer)
}

/// The kernel parameters after Debian's: AppArmor's, then (Level 2) the audit ones.
fn added(rest: &str) -> bool {
    let Some(audit) = rest.strip_prefix("apparmor=1 security=apparmor") else { return false };
    audit.is_empty()
        || audit.strip_prefix(" audit=1 audit_backlog_limit=").is_some_and(|n| {
            !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0')
        })
}

/// grub-mkconfig sources /etc/default/grub, then each /etc/default/grub.d/*.cfg, with
/// /bin/sh (`set -e` in effect): the drop-in, sourced the same way after a command line of
/// Debian's, must keep that line and add AppArmor's two parameters (and at Level 2 the two
/// of auditing from boot), and nothing else.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sh"]) {
        return s;
    }
    let script = "set -e; GRUB_CMDLINE_LINUX='quiet console=ttyS0'; . \"$1\"; printf '%s' \"$GRUB_CMDLINE_LINUX\"";
    match Command::new("sh").args(["-c", script, "grub-mkconfig", file.as_str()]).env_clear().output() {
        Ok(o) if o.status.success() => {
            let got = String::from_utf8_lossy(&o.stdout);
            if got.strip_prefix("quiet console=ttyS0 ").is_some_and(added) {
                Status::Pass
            } else {
                Status::Fail(format!("the kernel's command line would be {got:?}"))
            }
        }
        Ok(o) => Status::Fail(format!("sh: {}", brief(&String::from_utf8_lossy(&o.stderr)))),
        Err(e) => Status::Fail(format!("cannot run sh: {e}")),
    }
}

/// The one line the drop-in holds.
pub(super) fn line(l: &str) -> bool {
    l.strip_prefix("GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX ").and_then(|r| r.strip_suffix('"')).is_some_and(added)
}

/// The drop-in (update-grub runs when it changes, where GRUB is installed), AppArmor's
/// service on, and no process that has a profile running without it.
pub(super) fn steps(p: &mut Steps, a: &Artifact, host: &Host) {
    p.tasks.push(root_dir("GRUB's drop-in directory", "/etc/default/grub.d"));
    p.tasks.push(
        Step::new("AppArmor on at every boot (the kernel's command line)", Module::Copy(copy(a, None)))
            .notify(Handler::UpdateGrub)
            .task(),
    );
    p.tasks.push(service("AppArmor's profiles loaded at boot", "apparmor", Some(UnitState::Started)));
    // CIS 1.3.1.3: every profile loaded in enforce or complain mode, and no process that has
    // one running unconfined (it started before its profile was loaded: restart it).
    let confined = "s=$(aa-status) || { echo 'AppArmor is off in the running kernel'; exit 1; }; \
                    echo \"$s\" | grep -q '^0 processes are unconfined but have a profile defined' || \
                    { echo \"$s\"; exit 1; }";
    p.tasks.push(
        Step::new("AppArmor: no process with a profile runs unconfined", Cmd::argv(words(&["sh", "-c", confined])))
            .read_only()
            .task(),
    );
    // CIS 1.3.1.4, at Level 2: every profile enforcing (stdlib/deploy/apparmor-enforce.sh).
    if host.profile.level2() {
        let utils = Apt { name: vec!["apparmor-utils".into()], state: "present" };
        p.tasks.push(Step::new("AppArmor's aa-enforce (apparmor-utils, CIS Level 2)", Module::Apt(utils)).task());
        let argv = vec![plain("sh"), plain("-c"), unsafe_str(ENFORCE), plain("pynoc-apparmor-enforce")];
        let mut step = Step::new("AppArmor: every profile in enforce mode (CIS Level 2)", Cmd::argv(argv))
            .register(Registered::AppArmorEnforce);
        step.changed_when = Some(Changed::When(Registered::AppArmorEnforce.cond("{var}.stdout == 'changed'")));
        p.tasks.push(step.task());
    }
    let update = "command -v update-grub >/dev/null || exit 0; update-grub";
    p.handlers.push(HandlerTask::new(
        Handler::UpdateGrub.topic(),
        Handler::UpdateGrub,
        Cmd::argv(words(&["sh", "-c", update])),
    ));
}

#[cfg(test)]
mod tests {
    use super::Kind;

    /// The line the drop-in adds at Level 1: the kernel's command line as before, and AppArmor on.
    const LINE: &str = "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor\"";
    use crate::verify::shape::check_one;

    #[test]
    fn only_apparmors_line() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        assert!(check_one(Kind::AppArmorGrub, &format!("{h}{LINE}\n")).is_empty());
        let l2 =
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor audit=1 audit_backlog_limit=8192\"";
        assert!(check_one(Kind::AppArmorGrub, &format!("{h}{l2}\n")).is_empty());
        for bad in [
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor audit=1 audit_backlog_limit=8192 init=/bin/sh\"",
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor audit=1 audit_backlog_limit=$(id)\"",
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor audit=0\"",
            "GRUB_CMDLINE_LINUX=\"apparmor=1 security=apparmor\"",
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor\"; rm -rf /",
            "GRUB_DISABLE_RECOVERY=true",
        ] {
            assert!(!check_one(Kind::AppArmorGrub, &format!("{h}{bad}\n")).is_empty(), "{bad}");
        }
    }
}
