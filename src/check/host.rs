//! sshd's `AllowUsers` against the host's accounts, and the audit rules against what pynoc
//! installs.

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{AuditRule, RootLogin, Section, Spec};

/// `AllowUsers` must name accounts the host has: the spec declares them in `accounts` (the
/// playbook checks they exist), and `root` only when root may log in.
pub(super) fn accounts_declared(spec: &Spec, d: &Diags) {
    let Some(host) = &spec.host else { return };
    let Some(ssh) = &host.ssh else { return };
    if !spec.complete(&[Section::Accounts, Section::Ssh]) {
        return;
    }
    for u in &ssh.allow_users {
        if u.name == "root" {
            if ssh.permit_root_login == RootLogin::No {
                d.push(
                    Diagnostic::new(Kind::AccountUnknown, "`allow-users` names `root`, but root logins are off")
                        .at(u.span, "can never log in")
                        .help("remove `root` from `allow-users`: log in as a named account and use sudo"),
                );
            }
            continue;
        }
        if host.accounts.iter().any(|a| a.name == u.name) {
            continue;
        }
        let mut diag = Diagnostic::new(
            Kind::AccountUnknown,
            format!("`allow-users` names `{}`, which the host does not declare", u.name),
        )
        .at(u.span, "not in `accounts`")
        .help(format!(
            "declare it with `accounts \"{}\"` in `host` (the playbook checks the account exists before sshd is restricted to it)",
            u.name
        ));
        if let Some(a) = host.accounts.first() {
            diag = diag.also(a.span, "the declared accounts");
        }
        d.push(diag);
    }
}

/// Every security configuration file pynoc installs on the host is watched by the audit
/// rules (a watch on the file or on a directory above it).
pub(super) fn audit_covers_installed(spec: &Spec, d: &Diags) {
    let Some(audit) = spec.host.as_ref().and_then(|h| h.audit.as_ref()) else { return };
    if !spec.complete(&[Section::Audit]) {
        return;
    }
    let watches: Vec<&str> = audit
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter_map(|r| match r {
            AuditRule::Watch { path, perms, .. } if perms.contains('w') => Some(path.as_str()),
            _ => None,
        })
        .collect();
    let covered = |file: &str| {
        watches
            .iter()
            .any(|w| *w == file || (w.ends_with('/') && file.starts_with(w)) || file.starts_with(&format!("{w}/")))
    };
    let missing: Vec<&str> =
        crate::emit::installed(spec).into_iter().map(|(_, path)| path).filter(|p| !covered(p)).collect();
    if missing.is_empty() {
        return;
    }
    let lines: Vec<String> = missing.iter().map(|p| format!("`watch \"{p}\" perms=wa key=pynoc-config`")).collect();
    d.push(
        Diagnostic::new(
            Kind::UnwatchedFile,
            format!(
                "the audit rules do not watch {} file{} pynoc installs: {}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        )
        .at(audit.span, "changes to them leave no audit record")
        .help(format!("add to `audit`: {}", lines.join("; "))),
    );
}
