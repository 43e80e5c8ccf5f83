//! The firewall against sshd, nginx and the containers' published ports.

use std::collections::HashMap;

use ipnet::IpNet;

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{Direction, Firewall, FirewallRule, Policy, Proto, Section, Spec};

/// The first incoming TCP rule that matches `port`: the one that decides.
fn first_match(fw: &Firewall, port: u16) -> Option<&FirewallRule> {
    fw.rules
        .iter()
        .find(|r| r.direction == Direction::In && r.proto == Proto::Tcp && r.port <= port && port <= r.port_end)
}

/// A firewall that drops incoming traffic must let SSH in, or applying it locks the
/// operator out of the host.
pub(super) fn ssh_reachable(spec: &Spec, d: &Diags) {
    let Some(host) = &spec.host else { return };
    let (Some(ssh), Some(fw)) = (&host.ssh, &host.firewall) else { return };
    if fw.incoming == Policy::Allow || !spec.complete(&[Section::Firewall, Section::Ssh]) {
        return;
    }
    let open = first_match(fw, ssh.port);
    if open.is_some_and(|r| r.action == Policy::Allow) {
        return;
    }
    let mut diag = Diagnostic::new(Kind::Lockout, format!("the firewall does not let SSH in on port {}", ssh.port))
        .at(fw.incoming_span, "incoming connections are dropped")
        .also(ssh.port_span, "sshd listens here")
        .help("add `allow ssh limit=#true` (it follows the ssh port), or the host is unreachable once the firewall is applied");
    if let Some(r) = open {
        diag = diag.also(r.span, "this rule matches SSH first and does not allow it");
    }
    d.push(diag);
}

/// nginx listens on 80 (ACME, redirects; unless every site is HTTPS only) and 443: a firewall that drops incoming traffic
/// must open both to everyone, or certificates stop renewing and the site is unreachable.
pub(super) fn web_reachable(spec: &Spec, d: &Diags) {
    let (Some(nginx), Some(fw)) = (&spec.nginx, spec.host.as_ref().and_then(|h| h.firewall.as_ref())) else {
        return;
    };
    if fw.incoming == Policy::Allow || !spec.complete(&[Section::Firewall]) {
        return;
    }
    // An HTTPS-only nginx (every site `http listen=#false`) has no port 80 to open.
    let ports: &[u16] = if nginx.listens_http { &[80, 443] } else { &[443] };
    for &port in ports {
        let rule = first_match(fw, port);
        if rule.is_some_and(|r| r.action == Policy::Allow && r.peers.is_empty()) {
            continue;
        }
        let mut diag = Diagnostic::new(
            Kind::ClosedPort,
            format!("nginx listens on port {port}, but the firewall does not let the world in"),
        )
        .at(fw.incoming_span, "incoming connections are dropped")
        .also(nginx.span, "nginx is defined here")
        .help(format!("add `allow {}` to the firewall", if port == 80 { "http" } else { "https" }));
        if let Some(r) = rule {
            diag = diag.also(r.span, "this rule matches the port first");
        }
        d.push(diag);
    }
}

/// Docker publishes container ports with its own iptables rules, ahead of ufw's and the
/// host firewall's: a port published on a public address is open whatever the firewall says.
pub(super) fn docker_bypass(spec: &Spec, d: &Diags) {
    let Some(fw) = spec.host.as_ref().and_then(|h| h.firewall.as_ref()) else { return };
    let Some(stack) = spec.container.as_ref().and_then(|c| c.compose.as_ref()) else { return };
    for s in &stack.services {
        for p in s.ports.iter().filter(|p| !p.host_ip.is_loopback()) {
            d.push(
                Diagnostic::new(
                    Kind::FirewallBypass,
                    format!("`{}` publishes port {} on {}, past the host firewall", s.name, p.published, p.host_ip),
                )
                .at(s.span, "published here")
                .also(fw.span, "this firewall does not apply to it")
                .help("Docker's own iptables rules accept published ports before ufw or the firewall sees them: publish on `127.0.0.1` and let nginx (or the firewall's rules on the host) expose it"),
            );
        }
    }
}

/// Two rules that match the same traffic: the second never applies.
///
/// Earlier rules are indexed by direction and protocol, single ports by port: a rule is
/// compared only with the earlier rules on its own port and the earlier port ranges, so a
/// firewall of N single-port rules is checked in O(N), not O(N²).
pub(super) fn duplicate_rules(spec: &Spec, d: &Diags) {
    let Some(fw) = spec.host.as_ref().and_then(|h| h.firewall.as_ref()) else { return };
    #[derive(Default)]
    struct Earlier {
        ports: HashMap<u16, Vec<usize>>,
        ranges: Vec<usize>,
    }
    let mut index: HashMap<(Direction, Proto), Earlier> = HashMap::new();
    for (i, r) in fw.rules.iter().enumerate() {
        let group = index.entry((r.direction, r.proto)).or_default();
        let same_port = if r.port == r.port_end { group.ports.get(&r.port).map(Vec::as_slice) } else { None };
        let earlier = same_port
            .unwrap_or(&[])
            .iter()
            .chain(group.ranges.iter())
            .copied()
            .filter(|&j| {
                let e = &fw.rules[j];
                e.port <= r.port && r.port_end <= e.port_end && covers(&e.peers, &r.peers)
            })
            .min();
        if let Some(e) = earlier.map(|j| &fw.rules[j]) {
            d.push(
                Diagnostic::new(Kind::Shadowed, "this firewall rule never applies")
                    .at(r.span, "shadowed")
                    .also(e.span, "every packet it matches is matched here first")
                    .help("remove it, or move it above the broader rule"),
            );
        }
        if r.port == r.port_end {
            group.ports.entry(r.port).or_default().push(i);
        } else {
            group.ranges.push(i);
        }
    }
}

/// Every network of `inner` lies within one of `outer` (empty means any address).
fn covers(outer: &[IpNet], inner: &[IpNet]) -> bool {
    if outer.is_empty() {
        return true;
    }
    !inner.is_empty() && inner.iter().all(|n| outer.iter().any(|o| o.contains(n)))
}
