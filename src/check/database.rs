//! pg_hba.conf against the server's settings.

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{HbaMethod, Postgres, Section, Spec};

fn setting<'a>(pg: &'a Postgres, name: &str) -> Option<&'a str> {
    pg.settings.iter().chain(&pg.defaults).find(|s| s.name == name).map(|s| s.value.as_str())
}

/// `method=cert` checks the client's certificate against `ssl_ca_file`: without one the
/// server asks for no certificate and every such login fails.
pub(super) fn cert_needs_ca(spec: &Spec, d: &Diags) {
    let Some(pg) = &spec.postgres else { return };
    if !spec.complete(&[Section::Postgres]) {
        return;
    }
    if setting(pg, "ssl_ca_file").is_some_and(|v| !v.is_empty()) {
        return;
    }
    for l in pg.hba.iter().filter(|l| l.method == HbaMethod::Cert) {
        d.push(
            Diagnostic::new(Kind::CertWithoutCa, "a `cert` line on a server without a CA for client certificates")
                .at(l.span, "every login on this line fails")
                .also(pg.span, "no `ssl_ca_file` in this section")
                .help("add `ca=\"/etc/postgresql/root.crt\"` to `ssl` (the CA that signs client certificates)"),
        );
    }
}

/// The addresses `listen_addresses` names: loopback only, or more.
fn listens_beyond_loopback(value: &str) -> bool {
    value.split(',').map(str::trim).any(|a| !matches!(a, "" | "localhost" | "127.0.0.1" | "::1"))
}

/// Network lines for other hosts need the server to listen beyond localhost; a server
/// that listens on the network while pg_hba.conf admits only local clients exposes its
/// authentication for nothing.
pub(super) fn listen_matches_hba(spec: &Spec, d: &Diags) {
    let Some(pg) = &spec.postgres else { return };
    if !spec.complete(&[Section::Postgres, Section::Container]) {
        return;
    }
    // In the container stack the server listens inside its network namespace, where the
    // image's entrypoint sets `listen_addresses='*'`: only a host server is checked.
    if !pg.on_host() {
        return;
    }
    let listen = setting(pg, "listen_addresses").unwrap_or("localhost");
    let remote: Vec<_> = pg
        .hba
        .iter()
        .filter(|l| l.method != HbaMethod::Reject && l.address.is_some_and(|a| !a.addr().is_loopback()))
        .collect();
    let wide = listens_beyond_loopback(listen);
    match (wide, remote.first()) {
        (false, Some(first)) => {
            let mut diag = Diagnostic::new(
                Kind::ListenMismatch,
                format!("pg_hba.conf admits other hosts, but the server listens only on `{listen}`"),
            )
            .at(first.span, "no connection from there reaches the server")
            .also(pg.span, "`listen_addresses` comes from this section")
            .help("add `set listen_addresses \"*\"` (or the address the clients reach), or remove the network lines");
            for l in &remote[1..] {
                diag = diag.also(l.span, "also unreachable");
            }
            d.push(diag);
        }
        (true, None) => d.push(
            Diagnostic::new(
                Kind::WideListener,
                format!("the server listens on `{listen}`, but pg_hba.conf admits only local clients"),
            )
            .at(pg.span, "listens on the network for nobody")
            .help("keep `listen_addresses` at `localhost`, or add the `hostssl` lines the clients need"),
        ),
        _ => {}
    }
}

/// Docker's default address pools, from which a network without `subnet` gets its own:
/// 172.17.0.0/16 to 172.31.0.0/16, and 192.168.0.0/16 in /20s.
const DOCKER_POOLS: [&str; 2] = ["172.16.0.0/12", "192.168.0.0/16"];

/// A compose database is never published: only the containers on its service's networks
/// reach it, so a pg_hba line for an address outside all of them never matches.
pub(super) fn hba_reaches_compose(spec: &Spec, d: &Diags) {
    let Some(pg) = &spec.postgres else { return };
    let crate::ir::Place::Compose { service } = &pg.place else { return };
    if !spec.complete(&[Section::Postgres, Section::Container]) {
        return;
    }
    let Some(stack) = spec.container.as_ref().and_then(|c| c.compose.as_ref()) else { return };
    let Some(svc) = stack.services.iter().find(|s| &s.name == service) else { return };
    let mut reach: Vec<ipnet::IpNet> = Vec::new();
    for name in &svc.networks {
        match stack.networks.iter().find(|n| &n.name == name).and_then(|n| n.subnet) {
            Some(subnet) => reach.push(subnet),
            None => reach.extend(DOCKER_POOLS.iter().filter_map(|p| p.parse::<ipnet::IpNet>().ok())),
        }
    }
    let overlaps = |a: &ipnet::IpNet, b: &ipnet::IpNet| a.contains(&b.network()) || b.contains(&a.network());
    for l in pg.hba.iter().filter(|l| l.method != HbaMethod::Reject) {
        let Some(addr) = l.address else { continue };
        if reach.iter().any(|r| overlaps(r, &addr)) {
            continue;
        }
        let on =
            if svc.networks.is_empty() { "no network".to_string() } else { format!("`{}`", svc.networks.join("`, `")) };
        d.push(
            Diagnostic::new(Kind::HbaNeverMatches, format!("no client of the stack's database can come from `{addr}`"))
                .at(l.span, "this line never matches")
                .also(svc.span, format!("the database runs here, reached only from {on}"))
                .help("remove the line, or write a network the database's service is on (a compose database is never published)"),
        );
    }
}
