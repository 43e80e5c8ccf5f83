//! Claims of the headers every nginx site sends (stdlib/nginx/hardening.toml): an item is
//! met when every site sends pynoc's value.

use super::{Claim, Claims};
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::nginx_hardening();
    let mut out = Claims(guideline(spec));
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
            out.add(&h.satisfies, format!("nginx {} {site}", h.name), outcome);
        }
    }
    out.0
}

/// Every site follows the newest Server Side TLS guideline.
fn guideline(spec: &Spec) -> Vec<Claim> {
    let tls = stdlib::tls();
    type Outcome = Result<String, String>;
    let outcomes: Vec<(String, Outcome, Outcome)> = match &spec.nginx {
        None => {
            let none = Err("the spec has no `nginx` section".to_string());
            vec![(String::new(), none.clone(), none)]
        }
        Some(n) => n
            .sites
            .iter()
            .map(|s| {
                let name = s.names[0].clone();
                let outcome = if s.tls.version == tls.default {
                    Ok(format!("nginx/nginx.conf, {name}: {}, {} profile", s.tls.guideline, s.tls.profile.as_str()))
                } else {
                    Err(format!("{name} follows {} (`guideline=\"{}\"`)", s.tls.guideline, s.tls.version))
                };
                let hsts = s.headers.iter().find(|h| h.name == "Strict-Transport-Security");
                let age = hsts
                    .and_then(|h| h.value.strip_prefix("max-age="))
                    .and_then(|v| v.split(';').next()?.trim().parse::<u64>().ok());
                let hsts = match age {
                    Some(a) if a >= s.tls.hsts_max_age => Ok(format!("nginx/nginx.conf, {name}: HSTS max-age={a}")),
                    Some(a) => Err(format!(
                        "{name}: HSTS max-age={a}, under {}{}",
                        s.tls.hsts_max_age,
                        s.hsts_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                    )),
                    None => Err(format!("{name} sends no HSTS max-age")),
                };
                (name, outcome, hsts)
            })
            .collect(),
    };
    let mut out = Claims::default();
    for (site, outcome, hsts) in outcomes {
        out.add(&tls.satisfies, format!("nginx tls {site}"), outcome);
        out.add(&tls.hsts_satisfies, format!("nginx hsts {site}"), hsts);
    }
    out.0
}
