//! Stage 3: checks that span sections of the lowered spec. Each pushes a diagnostic with a
//! stable code and goes on, so one run reports every problem.

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{Policy, Spec};
use crate::lower::Origins;

pub fn check(spec: &Spec, o: &Origins, d: &Diags) {
    ssh_reachable(spec, o, d);
    web_reachable(spec, o, d);
    upstreams_published(spec, o, d);
    database_reachable(spec, o, d);
    docker_bypass(spec, o, d);
    duplicate_rules(spec, o, d);
}

/// A firewall that drops incoming traffic must let SSH in, or applying it locks the
/// operator out of the host.
fn ssh_reachable(spec: &Spec, o: &Origins, d: &Diags) {
    let Some(host) = &spec.host else { return };
    let (Some(ssh), Some(fw)) = (&host.ssh, &host.firewall) else {
        return;
    };
    if fw.incoming == Policy::Allow {
        return;
    }
    let open = fw
        .rules
        .iter()
        .find(|r| r.direction == "in" && r.proto == "tcp" && r.port <= ssh.port && ssh.port <= r.port_end);
    if open.is_some_and(|r| r.action == Policy::Allow) {
        return;
    }
    let mut diag = Diagnostic::error(Kind::Lockout, format!("the firewall does not let SSH in on port {}", ssh.port))
        .at(o.firewall_incoming.or(o.firewall).unwrap_or_default(), "incoming connections are dropped")
        .help("add `allow ssh limit=#true` (it follows the ssh port), or the host is unreachable once the firewall is applied");
    if let Some(span) = o.ssh_port.or(o.ssh) {
        diag = diag.also(span, "sshd listens here");
    }
    if let Some(i) = open.and_then(|r| fw.rules.iter().position(|x| std::ptr::eq(x, r))) {
        diag = diag.also(o.firewall_rules[i], "this rule matches SSH first and does not allow it");
    }
    d.push(diag);
}

/// nginx listens on 80 (ACME, redirects) and 443: a firewall that drops incoming traffic
/// must open both, or certificates stop renewing and the site is unreachable.
fn web_reachable(spec: &Spec, o: &Origins, d: &Diags) {
    let (Some(_), Some(fw)) = (&spec.nginx, spec.host.as_ref().and_then(|h| h.firewall.as_ref())) else { return };
    if fw.incoming == Policy::Allow {
        return;
    }
    for port in [80u16, 443] {
        let rule =
            fw.rules.iter().find(|r| r.direction == "in" && r.proto == "tcp" && r.port <= port && port <= r.port_end);
        if rule.is_some_and(|r| r.action == Policy::Allow && r.peers.is_empty()) {
            continue;
        }
        let mut diag = Diagnostic::error(
            Kind::ClosedPort,
            format!("nginx listens on port {port}, but the firewall does not let the world in"),
        )
        .at(o.firewall_incoming.or(o.firewall).unwrap_or_default(), "incoming connections are dropped")
        .help(format!("add `allow {}` to the firewall", if port == 80 { "http" } else { "https" }));
        if let Some(span) = o.nginx {
            diag = diag.also(span, "nginx is defined here");
        }
        if let Some(i) = rule.and_then(|r| fw.rules.iter().position(|x| std::ptr::eq(x, r))) {
            diag = diag.also(o.firewall_rules[i], "this rule matches the port first");
        }
        d.push(diag);
    }
}

/// nginx on the host proxies to loopback ports: some container must publish each of them
/// there, on the port its image listens on.
fn upstreams_published(spec: &Spec, o: &Origins, d: &Diags) {
    let (Some(nginx), Some(stack)) = (&spec.nginx, spec.container.as_ref().and_then(|c| c.compose.as_ref())) else {
        return;
    };
    for u in &nginx.upstreams {
        for server in &u.servers {
            let Ok(addr) = server.parse::<std::net::SocketAddr>() else { continue };
            if !addr.ip().is_loopback() {
                continue;
            }
            let published = stack.services.iter().flat_map(|s| s.ports.iter()).any(|p| {
                p.published == addr.port()
                    && p.host_ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
            });
            if !published {
                let mut diag = Diagnostic::error(
                    Kind::DanglingUpstream,
                    format!("nginx proxies to `{server}`, but no container publishes port {} there", addr.port()),
                )
                .at(o.nginx.unwrap_or_default(), "upstream defined in this section")
                .help(format!("add `publish {} host-ip=\"127.0.0.1\"` to the application's service", addr.port()));
                if let Some(span) = o.container {
                    diag = diag.also(span, "the containers");
                }
                d.push(diag);
            }
        }
    }
}

/// The application container reaches PostgreSQL from its network's subnet: pg_hba.conf must
/// have a line for its database user from there (the guide allowed only 10.0.0.0/8 while
/// its containers had 172.20.0.0/16).
fn database_reachable(spec: &Spec, o: &Origins, d: &Diags) {
    let (Some(pg), Some(stack)) = (&spec.postgres, spec.container.as_ref().and_then(|c| c.compose.as_ref())) else {
        return;
    };
    if pg.hba.is_empty() || !stack.services.iter().any(|s| s.kind == "postgres") {
        return;
    }
    for app in stack.services.iter().filter(|s| s.kind == "app") {
        let Some(user) = app.env.iter().find(|e| e.name == "DATABASE_USER").map(|e| e.value.as_str()) else { continue };
        let db_nets: Vec<&str> = stack
            .services
            .iter()
            .filter(|s| s.kind == "postgres")
            .flat_map(|s| s.networks.iter().map(String::as_str))
            .collect();
        for net in
            stack.networks.iter().filter(|n| app.networks.contains(&n.name) && db_nets.contains(&n.name.as_str()))
        {
            let Some(subnet) = net.subnet.as_ref().and_then(|s| s.parse::<ipnet::IpNet>().ok()) else { continue };
            let allowed = pg.hba.iter().any(|l| {
                l.kind.starts_with("host")
                    && l.method != "reject"
                    && (l.user == user || l.user == "all")
                    && (l.database == pg.database || l.database == "all")
                    && l.address
                        .as_ref()
                        .and_then(|a| a.parse::<ipnet::IpNet>().ok())
                        .is_some_and(|a| a.contains(&subnet))
            });
            if !allowed {
                let mut diag = Diagnostic::error(
                    Kind::HbaGap,
                    format!(
                        "`{}` connects as `{user}` from {subnet}, but pg_hba.conf has no line for it there",
                        app.name
                    ),
                )
                .at(o.postgres.unwrap_or_default(), "pg_hba.conf comes from this section")
                .help(format!("add `hostssl {} {user} \"{subnet}\"` to `hba`", pg.database));
                if let Some(span) = o.container {
                    diag = diag.also(span, "the application's network");
                }
                d.push(diag);
            }
        }
    }
}

/// Docker publishes container ports with its own iptables rules, ahead of ufw's and the
/// host firewall's: a port published on a public address is open whatever the firewall says.
fn docker_bypass(spec: &Spec, o: &Origins, d: &Diags) {
    let (Some(_), Some(stack)) = (
        spec.host.as_ref().and_then(|h| h.firewall.as_ref()),
        spec.container.as_ref().and_then(|c| c.compose.as_ref()),
    ) else {
        return;
    };
    for s in &stack.services {
        for p in s.ports.iter().filter(|p| p.host_ip.parse::<std::net::IpAddr>().is_ok_and(|ip| !ip.is_loopback())) {
            let mut diag = Diagnostic::error(Kind::FirewallBypass, format!("`{}` publishes port {} on {}, past the host firewall", s.name, p.published, p.host_ip))
                .at(o.container.unwrap_or_default(), "published here")
                .help("Docker's own iptables rules accept published ports before ufw or the firewall sees them: publish on `127.0.0.1` and let nginx (or the firewall's rules on the host) expose it");
            if let Some(span) = o.firewall {
                diag = diag.also(span, "this firewall does not apply to it");
            }
            d.push(diag);
        }
    }
}

/// Two rules that match the same traffic: the second never applies.
fn duplicate_rules(spec: &Spec, o: &Origins, d: &Diags) {
    let Some(fw) = spec.host.as_ref().and_then(|h| h.firewall.as_ref()) else {
        return;
    };
    for (i, r) in fw.rules.iter().enumerate() {
        let earlier = fw.rules[..i].iter().position(|e| {
            e.direction == r.direction
                && e.proto == r.proto
                && e.port <= r.port
                && r.port_end <= e.port_end
                && covers(&e.peers, &r.peers)
        });
        if let Some(j) = earlier {
            d.push(
                Diagnostic::error(Kind::Shadowed, "this firewall rule never applies")
                    .at(o.firewall_rules[i], "shadowed")
                    .also(o.firewall_rules[j], "every packet it matches is matched here first")
                    .help("remove it, or move it above the broader rule"),
            );
        }
    }
}

/// Every network of `inner` lies within one of `outer` (empty means any address).
fn covers(outer: &[ipnet::IpNet], inner: &[ipnet::IpNet]) -> bool {
    if outer.is_empty() {
        return true;
    }
    !inner.is_empty() && inner.iter().all(|n| outer.iter().any(|o| o.contains(n)))
}
