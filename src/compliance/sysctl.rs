//! Claims of the `hardened` sysctl profile (stdlib/sysctl/hardened.toml).

use super::Claim;
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let Some(profile) = stdlib::sysctl_profile("hardened") else { return Vec::new() };
    let section = spec.host.as_ref().and_then(|h| h.sysctl.as_ref());
    let mut out = Vec::new();
    for p in &profile.setting {
        let outcome = match section {
            None => Err("the spec has no `sysctl` section".to_string()),
            Some(sc) if sc.profile.is_none() => Err("the `sysctl` section uses no profile".to_string()),
            Some(sc) => {
                let written = sc.settings.iter().find(|s| s.key == p.key);
                let option_off = p.option.as_ref().filter(|o| !sc.options.iter().any(|x| x.name == **o));
                let alias = sc.settings.iter().find(|s| s.acts_as.as_deref() == Some(p.key.as_str()));
                if let Some(a) = alias {
                    let why = a.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
                    Err(format!("the spec sets `{} = {}`, which acts as `{}`{why}", a.key, a.value, p.key))
                } else if let Some(w) = written.filter(|w| w.value.trim() == p.value) {
                    Ok(format!("host/sysctl.conf: {} = {}", w.key, w.value))
                } else if let Some(o) = option_off {
                    let tradeoff = profile.option(o).map(|x| x.tradeoff.as_str()).unwrap_or_default();
                    Err(format!(
                        "`{} = {}` needs the option `{o}` (`sysctl {{ enable \"{o}\" }}`), off: {tradeoff}",
                        p.key, p.value
                    ))
                } else if let Some(r) = sc.removed.iter().find(|r| r.key == p.key) {
                    Err(format!("the spec unsets `{}`: {}", p.key, r.reason))
                } else if let Some(w) = written {
                    let why = w.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
                    Err(format!("the spec sets `{} = {}`{why}", w.key, w.value))
                } else {
                    Err(format!("`{}` is not written", p.key))
                }
            }
        };
        for item in &p.satisfies {
            out.push(Claim { item: item.clone(), setting: format!("sysctl {}", p.key), outcome: outcome.clone() });
        }
    }
    out
}
