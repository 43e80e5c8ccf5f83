//! `sandbox { off nginx reason="…" }` in `host`, and the sandbox drop-ins themselves: one per
//! service the spec configures, from stdlib/systemd/sandbox.toml with the spec's paths and
//! networks.

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{self, Daemon, Sandbox, Unsandboxed};

use super::node::Reader;
use super::{Exceptions, exceptions};

/// The services the spec leaves unsandboxed, each with its reason.
pub(crate) fn lower(n: &Node, d: &Diags) -> Vec<Unsandboxed> {
    Reader::new(n, d).block_done();
    let names: Vec<&str> = Daemon::ALL.iter().map(|s| s.name()).collect();
    let off = exceptions(
        n,
        d,
        &Exceptions {
            verb: "off",
            noun: "service",
            missing: "a service",
            seen_as: "service",
            example: "`off nginx reason=\"…\"`",
            weakens: "a service without its sandbox",
            instead: "keep the sandbox",
            names: &names,
        },
    );
    let out: Vec<Unsandboxed> = off
        .into_iter()
        .filter_map(|o| {
            let service = Daemon::ALL.into_iter().find(|s| s.name() == o.key)?;
            Some(Unsandboxed { service, reason: o.reason })
        })
        .collect();
    if out.is_empty() && n.children().is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, "`sandbox` says nothing")
                .at(n.name.span, "empty")
                .help("every service is sandboxed without it; `off nginx reason=\"…\"` leaves one out"),
        );
    }
    out
}

/// The drop-in of each service the spec configures and does not leave out.
pub(crate) fn drop_ins(spec: &ir::Spec) -> Vec<Sandbox> {
    let host = spec.host.as_ref();
    let off = |s: Daemon| host.is_some_and(|h| h.unsandboxed.iter().any(|u| u.service == s));
    let mut out = Vec::new();
    for service in Daemon::ALL {
        let configured = match service {
            Daemon::Nginx => spec.nginx.is_some(),
            Daemon::Postgresql => spec.postgres.as_ref().is_some_and(ir::Postgres::on_host),
            Daemon::Fail2ban => host.is_some_and(|h| h.fail2ban.is_some()),
        };
        if configured && !off(service) {
            out.extend(drop_in(spec, service));
        }
    }
    out
}

fn drop_in(spec: &ir::Spec, service: Daemon) -> Option<Sandbox> {
    let cat = crate::stdlib::sandbox();
    let unit = cat.unit(service)?;
    let mut read_write = unit.read_write.clone();
    let mut ip_allow = Vec::new();
    match service {
        // Where the spec puts nginx's logs (inside /var/log/nginx: lowering checked it).
        Daemon::Nginx => {
            if let Some(n) = &spec.nginx {
                for log in [&n.access_log, &n.error_log] {
                    if let Some((dir, _)) = log.rsplit_once('/')
                        && !dir.is_empty()
                    {
                        read_write.push(dir.to_string());
                    }
                }
            }
        }
        // The database exchanges packets with loopback and the networks its pg_hba.conf
        // admits, nothing else: a client elsewhere is dropped before PostgreSQL sees it.
        Daemon::Postgresql => {
            ip_allow.push("localhost".to_string());
            if let Some(p) = &spec.postgres {
                ip_allow.extend(p.hba.iter().filter_map(|h| h.address).map(|a| a.trunc().to_string()));
            }
        }
        // ufw, as fail2ban's ban action, rewrites its own rule files.
        Daemon::Fail2ban => {
            let f2b = spec.host.as_ref().and_then(|h| h.fail2ban.as_ref());
            if f2b.and_then(|f| f.banaction.as_deref()) == Some("ufw") {
                read_write.push("/etc/ufw".to_string());
            }
        }
    }
    sorted(&mut read_write);
    sorted(&mut ip_allow);
    let mut settings = cat.common.clone();
    settings.extend(unit.settings.iter().cloned());
    Some(Sandbox { service, unit: unit.unit.clone(), threshold: unit.threshold, settings, read_write, ip_allow })
}

fn sorted(v: &mut Vec<String>) {
    v.sort_by(|a, b| a.trim_start_matches('-').cmp(b.trim_start_matches('-')));
    v.dedup();
}
