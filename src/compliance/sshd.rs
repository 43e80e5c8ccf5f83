//! Claims of the sshd drop-in's defaults (stdlib/sshd/defaults.toml): its lines, its file
//! mode and the playbook's steps.

use super::{Claim, Claims};
use crate::ir::{Spec, Ssh};
use crate::stdlib::{self, SshdSetting};

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let d = stdlib::sshd_defaults();
    let ssh = spec.host.as_ref().and_then(|h| h.ssh.as_ref());
    let none = || Err("the spec has no `ssh` section".to_string());
    let mut out = Claims::default();
    for x in &d.setting {
        let outcome = ssh.map_or_else(none, |s| line(s, x, &stdlib::targets().get(&spec.release).openssh));
        out.add(&x.satisfies, format!("sshd {}", x.keyword), outcome);
    }
    let mode = ssh.map_or_else(none, |_| Ok(format!("host/sshd_config is installed with mode {}", d.file.mode)));
    out.add(&d.file.satisfies, "sshd file mode".into(), mode);
    for step in &d.step {
        let outcome = ssh.map_or_else(none, |s| {
            if s.steps.contains(&step.name) {
                Ok(format!("the playbook: {}", step.what))
            } else {
                Err(reason(s, &step.name).map_or_else(
                    || format!("step `{}` is off", step.name),
                    |r| format!("the spec unsets step `{}`: {r}", step.name),
                ))
            }
        });
        out.add(&step.satisfies, format!("sshd step {}", step.name), outcome);
    }
    out.0
}

fn line(s: &Ssh, x: &SshdSetting, openssh: &str) -> Result<String, String> {
    let k = x.keyword.as_str();
    let Some(l) = s.lines.iter().find(|l| l.keyword == k) else {
        return Err(match k {
            "AllowUsers" => "no `allow-users` in the spec: every account with a key may log in".to_string(),
            "Banner" => "the host has no `banner`: sshd shows no notice before authentication".to_string(),
            "AuthenticationMethods" => {
                let on = ["PasswordAuthentication", "KbdInteractiveAuthentication"];
                format!("left out: a password method is on{}", because(s, &on))
            }
            "DisableForwarding" => {
                let on = ["X11Forwarding", "AllowAgentForwarding", "AllowTcpForwarding"];
                format!("left out: a forwarding is on{}", because(s, &on))
            }
            _ => {
                reason(s, k).map_or_else(|| format!("`{k}` is not written"), |r| format!("the spec unsets `{k}`: {r}"))
            }
        });
    };
    let value = stdlib::sshd_defaults().value_for(x, openssh);
    let smaller = || x.at_most && matches!((l.value.parse::<u64>(), value.parse::<u64>()), (Ok(a), Ok(b)) if a <= b);
    if l.value == value || value.is_empty() || smaller() {
        return Ok(format!("host/sshd_config: {} {}", l.keyword, l.value));
    }
    let why = reason(s, k).map(|r| format!(": {r}")).unwrap_or_default();
    Err(format!("the spec sets `{k} {}`{why}", l.value))
}

/// The spec's reason for weakening or unsetting `key`.
fn reason<'a>(s: &'a Ssh, key: &str) -> Option<&'a str> {
    s.reasons.iter().find(|r| r.key == key).map(|r| r.reason.as_str())
}

/// ` (KEY: reason; …)` for those of `keys` the spec turned on with a reason.
fn because(s: &Ssh, keys: &[&str]) -> String {
    let r: Vec<String> = s
        .reasons
        .iter()
        .filter(|r| keys.contains(&r.key.as_str()))
        .map(|r| format!("{}: {}", r.key, r.reason))
        .collect();
    if r.is_empty() { String::new() } else { format!(" ({})", r.join("; ")) }
}
