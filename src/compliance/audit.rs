//! Claims of the audit rules (stdlib/audit/sets.toml): each named set in the output, the
//! rules locked, the file's mode, auditd installed and running.

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
            if a.groups.iter().any(|g| g.name == *name) {
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
    out.0
}
