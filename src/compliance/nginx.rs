//! Claims of the headers every nginx site sends (stdlib/nginx/hardening.toml): an item is
//! met when every site sends pynoc's value.

use super::{Claim, Claims};
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::nginx_hardening();
    let mut out = Claims(guideline(spec));
    let present = |evidence: String| match &spec.nginx {
        Some(_) => Ok(evidence),
        None => Err("the spec has no `nginx` section".to_string()),
    };
    for (what, items) in &data.template_claims {
        out.add(items, format!("nginx template {what}"), present(format!("nginx/nginx.conf: {what}")));
    }
    out.add(
        &data.file.satisfies,
        "nginx file mode".into(),
        present(format!("nginx.conf is installed with mode {}", data.file.mode)),
    );
    let limit = spec.nginx.as_ref().map(|n| n.limit_conn);
    out.add(
        &data.limit_conn.satisfies,
        "nginx limit_conn".into(),
        present(format!("nginx/nginx.conf: limit_conn {} per client address", limit.unwrap_or_default())),
    );
    header_checks(spec, &mut out);
    pynoc_headers(spec, &mut out);
    out.0
}

/// The baselines' header checks: each site sends a value they accept.
fn header_checks(spec: &Spec, out: &mut Claims) {
    let data = stdlib::nginx_hardening();
    for c in &data.header_check {
        match &spec.nginx {
            None => {
                out.add(&c.satisfies, format!("nginx sends {}", c.name), Err("the spec has no `nginx` section".into()))
            }
            Some(n) => {
                for site in &n.sites {
                    let name = &site.names[0];
                    let sent = site.headers.iter().find(|x| x.name.eq_ignore_ascii_case(&c.name));
                    let outcome = match sent {
                        None => Err(format!("{name} does not send `{}`", c.name)),
                        Some(x) => {
                            let age = max_age(&x.value);
                            let value_ok =
                                c.values.is_empty() || c.values.iter().any(|v| v.eq_ignore_ascii_case(&x.value));
                            let age_ok = c.min_max_age.is_none_or(|min| age.is_some_and(|a| a >= min));
                            if value_ok && age_ok {
                                Ok(format!("nginx/nginx.conf, {name}: {}: {}", x.name, x.value))
                            } else {
                                Err(format!("{name} sends `{}: {}`", x.name, x.value))
                            }
                        }
                    };
                    out.add(&c.satisfies, format!("nginx sends {} {name}", c.name), outcome);
                }
            }
        }
    }
}

/// pynoc's own headers (stdlib/nginx/hardening.toml): each site sends pynoc's value, or says
/// why not.
fn pynoc_headers(spec: &Spec, out: &mut Claims) {
    let data = stdlib::nginx_hardening();
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
}

/// Every site follows the newest Server Side TLS guideline.
fn guideline(spec: &Spec) -> Vec<Claim> {
    let tls = stdlib::tls();
    type Outcome = Result<String, String>;
    let outcomes: Vec<(String, Outcome, Outcome, Outcome)> = match &spec.nginx {
        None => {
            let none = Err("the spec has no `nginx` section".to_string());
            vec![(String::new(), none.clone(), none.clone(), none)]
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
                let age = hsts.and_then(|h| max_age(&h.value));
                let hsts = match age {
                    Some(a) if a >= s.tls.hsts_max_age => Ok(format!("nginx/nginx.conf, {name}: HSTS max-age={a}")),
                    Some(a) => Err(format!(
                        "{name}: HSTS max-age={a}, under {}{}",
                        s.tls.hsts_max_age,
                        s.hsts_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                    )),
                    None => Err(format!("{name} sends no HSTS max-age")),
                };
                let old: Vec<&str> = s
                    .tls
                    .protocols
                    .iter()
                    .map(String::as_str)
                    .filter(|p| !["TLSv1.2", "TLSv1.3"].contains(p))
                    .collect();
                let protocols = if old.is_empty() {
                    Ok(format!("nginx/nginx.conf, {name}: ssl_protocols {}", s.tls.protocols.join(" ")))
                } else {
                    Err(format!("{name} also accepts {}", old.join(", ")))
                };
                (name, outcome, hsts, protocols)
            })
            .collect(),
    };
    let mut out = Claims::default();
    for (site, outcome, hsts, protocols) in outcomes {
        out.add(&tls.satisfies, format!("nginx tls {site}"), outcome);
        out.add(&tls.hsts_satisfies, format!("nginx hsts {site}"), hsts);
        out.add(&tls.protocols_satisfies, format!("nginx protocols {site}"), protocols);
    }
    // The post-quantum group first, where the target's OpenSSL has it (lowering leaves it
    // out of `ssl_ecdh_curve` elsewhere).
    for s in spec.nginx.iter().flat_map(|n| &n.sites) {
        let name = &s.names[0];
        let outcome = match s.tls.curves.first() {
            Some(c) if c == "X25519MLKEM768" => {
                Ok(format!("nginx/nginx.conf, {name}: ssl_ecdh_curve {}", s.tls.curves.join(":")))
            }
            _ => {
                Err(format!("{name} does not offer X25519MLKEM768 first (`ssl_ecdh_curve {}`)", s.tls.curves.join(":")))
            }
        };
        out.add(&tls.mlkem_satisfies, format!("nginx mlkem {name}"), outcome);
    }
    let redirect = &stdlib::nginx_hardening().redirect.satisfies;
    match &spec.nginx {
        None => out.add(redirect, "nginx redirect".into(), Err("the spec has no `nginx` section".into())),
        Some(n) => {
            for s in &n.sites {
                let name = &s.names[0];
                let outcome = if !s.http {
                    Ok(format!("nginx/nginx.conf, {name}: HTTPS only, no plain-HTTP server at all"))
                } else if s.redirect {
                    Ok(format!("nginx/nginx.conf, {name}: port 80 answers 301 to https://{name}"))
                } else {
                    Err(format!("{name}: the plain-HTTP server serves the site (`http redirect=#false`)"))
                };
                out.add(redirect, format!("nginx redirect {name}"), outcome);
            }
        }
    }
    out.0
}

/// The `max-age` of a Strict-Transport-Security value (`max-age=N; includeSubDomains`).
fn max_age(value: &str) -> Option<u64> {
    value.strip_prefix("max-age=")?.split(';').next()?.trim().parse().ok()
}
