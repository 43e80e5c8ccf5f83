//! Claims of the headers every nginx site sends (stdlib/nginx/hardening.toml): an item is
//! met when every site sends pynoc's value.

use super::Claim;
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::nginx_hardening();
    let mut out = Vec::new();
    for h in data.header.iter().filter(|h| !h.satisfies.is_empty()) {
        let mut outcomes: Vec<(String, Result<String, String>)> = Vec::new();
        match &spec.nginx {
            None => outcomes.push((String::new(), Err("the spec has no `nginx` section".into()))),
            Some(n) if n.sites.is_empty() => outcomes.push((String::new(), Err("the spec has no `site`".into()))),
            Some(n) => {
                for site in &n.sites {
                    let name = &site.names[0];
                    let sent = site.headers.iter().find(|x| x.name.eq_ignore_ascii_case(&h.name));
                    let reason = site.header_reasons.iter().find(|r| r.key == h.name).map(|r| r.reason.as_str());
                    let reason = reason.or(site.hsts_reason.as_deref().filter(|_| h.computed));
                    let outcome = match sent {
                        Some(x) if x.value == h.value => {
                            Ok(format!("nginx/nginx.conf, {name}: {}: {}", x.name, x.value))
                        }
                        Some(x) => {
                            let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                            Err(format!("{name} sends `{}: {}`{why}", x.name, x.value))
                        }
                        None => match &h.opt_in {
                            Some(node) => Err(format!("{name} does not say `{node}`, so `{}` is not sent", h.name)),
                            None => Err(format!("{name} does not send `{}`", h.name)),
                        },
                    };
                    outcomes.push((name.clone(), outcome));
                }
            }
        }
        for (site, outcome) in outcomes {
            for item in &h.satisfies {
                out.push(Claim {
                    item: item.clone(),
                    setting: format!("nginx {} {site}", h.name),
                    outcome: outcome.clone(),
                });
            }
        }
    }
    out
}
