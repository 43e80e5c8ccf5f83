//! Claims of the host's other parts: the tmpfs mounts (stdlib/fstab/claims.toml), the
//! critical files' modes the host play sets (stdlib/permissions/files.toml), and automatic
//! security updates (stdlib/updates/claims.toml), file integrity monitoring
//! (stdlib/aide/claims.toml).

use super::Claims;
use crate::ir::Spec;
use crate::stdlib;

pub(crate) fn claims(spec: &Spec) -> Vec<super::Claim> {
    let mut c = Claims::default();
    let host = spec.host.as_ref();
    for m in &stdlib::fstab_claims().mount {
        let mount = host.and_then(|h| h.fstab.as_ref()).and_then(|f| f.mounts.iter().find(|x| x.target == m.target));
        let setting = |what: &str| format!("fstab {} {what}", m.target);
        let Some(mount) = mount else {
            let why = format!("the spec's `fstab` has no tmpfs on {}", m.target);
            for items in [&m.separate, &m.nodev, &m.nosuid, &m.noexec] {
                c.add(items, setting("mount"), Err(why.clone()));
            }
            continue;
        };
        c.add(&m.separate, setting("mount"), Ok(format!("host/fstab: a tmpfs on {}", m.target)));
        for (option, items) in [("nodev", &m.nodev), ("nosuid", &m.nosuid), ("noexec", &m.noexec)] {
            let has = mount.options.split(',').any(|o| o == option);
            let outcome = if has {
                Ok(format!("host/fstab: {} mounted {option}", m.target))
            } else {
                Err(format!(
                    "the spec turns `{option}` off on {}: {}",
                    m.target,
                    mount.comment.as_deref().unwrap_or("")
                ))
            };
            c.add(items, setting(option), outcome);
        }
    }
    for f in &stdlib::critical_files().file {
        let outcome = match host {
            Some(_) => Ok(format!("deploy/site.yml: {} {}:{} {} or stricter", f.path, f.owner, f.group, f.mode)),
            None => Err("the spec has no `host` section: no host play".to_string()),
        };
        c.add(&f.satisfies, format!("mode of {}", f.path), outcome);
    }
    let updates = match host.and_then(|h| h.updates.as_ref()) {
        Some(_) => Ok("host/unattended-upgrades.conf: security updates install themselves daily".to_string()),
        None => Err("the spec has no `updates` node: updates are the operator's".to_string()),
    };
    c.add(&stdlib::updates_claims().satisfies, "unattended-upgrades".into(), updates);
    let aide = stdlib::aide_claims();
    let (installed, checked) = match host.and_then(|h| h.aide.as_ref()) {
        Some(_) => (
            Ok("deploy/site.yml: AIDE installed, its database initialised".to_string()),
            Ok("deploy/site.yml: dailyaidecheck.timer on".to_string()),
        ),
        None => {
            let why = "the spec has no `aide` node".to_string();
            (Err(why.clone()), Err(why))
        }
    };
    c.add(&aide.installed, "aide".into(), installed);
    c.add(&aide.checked, "aide check".into(), checked);
    let modules = host.and_then(|h| h.modules.as_ref());
    for m in &stdlib::modules().module {
        let outcome = match modules {
            None => Err("the spec has no `modules` node".to_string()),
            Some(x) => match x.allowed.iter().find(|a| a.key == m.name) {
                Some(a) => Err(format!("the spec keeps `{}` loadable: {}", m.name, a.reason)),
                None => Ok(format!("host/modprobe.conf: install {} /bin/false", m.name)),
            },
        };
        c.add(&m.satisfies, format!("module {}", m.name), outcome);
    }
    c.0
}
