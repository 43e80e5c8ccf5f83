//! Claims of the audit rules (stdlib/audit/sets.toml): each named set in the output, the
//! rules locked, the file's mode, auditd installed and running; at CIS Level 2, auditd.conf's
//! retention and the modes of the logs and tools (stdlib/audit/auditd.toml), and auditing from
//! boot on the kernel's command line (host/apparmor-grub.cfg).

use super::{Claim, Claims};
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::audit_sets();
    let audit = spec.host.as_ref().and_then(|h| h.audit.as_ref());
    let none = || Err("the spec has no `audit` section".to_string());
    let mut out = Claims::default();
    for (name, set) in &data.set {
        let outcome = audit.map_or_else(none, |a| {
            let sudo = spec.host.as_ref().is_some_and(|h| h.sudo.is_some());
            if set.needs_sudo && !sudo {
                Err(format!("the `{name}` rules watch the log host/sudoers names: the spec has no `sudo` node"))
            } else if a.groups.iter().any(|g| g.name == *name) {
                Ok(format!("host/audit.rules: the `{name}` rules ({})", set.comment))
            } else {
                Err(format!("the rule set `{name}` is not in the spec's `rules` line"))
            }
        });
        out.add(&set.satisfies, format!("audit set {name}"), outcome);
    }
    let locked = audit.map_or_else(none, |a| match (&a.immutable, &a.immutable_reason) {
        (true, _) => Ok("host/audit.rules: -e 2".to_string()),
        (false, Some(r)) => Err(format!("the spec leaves the rules unlocked (`immutable=#false`): {r}")),
        (false, None) => Err("the rules are not locked".to_string()),
    });
    out.add(&data.immutable.satisfies, "audit immutable".into(), locked);
    let mode = audit.map_or_else(none, |_| Ok(format!("host/audit.rules is installed with mode {}", data.file.mode)));
    out.add(&data.file.satisfies, "audit file mode".into(), mode);
    let service =
        audit.map_or_else(none, |_| Ok("the playbook installs auditd and keeps it enabled and running".to_string()));
    out.add(&data.service.satisfies, "audit service".into(), service);
    let loaded = audit.map_or_else(none, |_| Ok("the host play checks `augenrules --check` after loading".to_string()));
    out.add(&data.loaded.satisfies, "audit rules loaded".into(), loaded);
    level2(&mut out, spec);
    out.0
}

/// What `host profile=cis-l2` adds to the audit section.
fn level2(out: &mut Claims, spec: &Spec) {
    let host = spec.host.as_ref();
    let audit = host.and_then(|h| h.audit.as_ref());
    let needs = |what: &str| -> Result<(), String> {
        match host {
            None => Err("the spec has no `host` section".into()),
            Some(h) if !h.profile.level2() => Err(format!("{what} is CIS Level 2's (`host profile=cis-l2`)")),
            Some(_) if audit.is_none() => Err("the spec has no `audit` section".into()),
            Some(_) => Ok(()),
        }
    };
    let conf = stdlib::auditd_conf();
    for s in conf.setting.iter().filter(|s| !s.satisfies.is_empty()) {
        let outcome = needs("auditd.conf").map(|()| format!("host/auditd.conf: {} = {}", s.key, s.value));
        out.add(&s.satisfies, format!("auditd.conf {}", s.key), outcome);
    }
    for f in &conf.path {
        let outcome = needs("the audit files' modes")
            .map(|()| format!("deploy/site.yml: {} {}:{} {} or stricter", f.path, f.owner, f.group, f.mode));
        out.add(&f.satisfies, format!("audit file {}", f.path), outcome);
    }
    let boot = needs("auditing from boot").and_then(|()| {
        if host.is_some_and(|h| h.apparmor.is_none()) {
            return Err("the kernel's command line is written by `apparmor`'s GRUB drop-in: the spec has none".into());
        }
        let b = audit.map_or(0, |a| a.buffer);
        if b < 8192 {
            Err(format!("audit_backlog_limit={b} is below CIS's 8192 (the spec's `buffer`)"))
        } else {
            Ok(format!("host/apparmor-grub.cfg: audit=1 audit_backlog_limit={b}"))
        }
    });
    let items = &stdlib::audit_sets().boot;
    out.add(&items.audit, "kernel audit=1".into(), boot.clone().map(|_| "host/apparmor-grub.cfg: audit=1".into()));
    out.add(&items.backlog, "kernel audit_backlog_limit".into(), boot);
}
