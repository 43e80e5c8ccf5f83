//! The container stack against nginx and pg_hba.conf, and against itself.

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{HbaMethod, Reach, Section, ServiceKind, Spec};

/// nginx on the host proxies to upstreams, each taken for what it reaches ([`Reach`]: every
/// spelling of this host, `localhost`, `0.0.0.0`, `[::ffff:127.0.0.1]`, `127.1`): on this
/// host, never the SSH or the database port (the web would reach them), and, when the spec
/// has a container stack, a port some container publishes there (E025); never a link-local
/// or metadata address (E045). Other hosts and Unix sockets are not the spec's to check.
pub(super) fn upstreams_published(spec: &Spec, d: &Diags) {
    let Some(nginx) = &spec.nginx else { return };
    let stack = spec
        .container
        .as_ref()
        .and_then(|c| Some((c, c.compose.as_ref()?)))
        .filter(|_| spec.complete(&[Section::Container]));
    let ssh = spec.host.as_ref().and_then(|h| h.ssh.as_ref()).map(|s| s.port);
    let pg = spec.postgres.as_ref().map(|pg| {
        pg.settings.iter().find(|s| s.name == "port").and_then(|s| s.value.parse::<u16>().ok()).unwrap_or(5432)
    });
    for u in &nginx.upstreams {
        for server in &u.servers {
            let port = match server.reach() {
                Reach::Elsewhere => continue,
                Reach::Metadata => {
                    d.push(
                        Diagnostic::new(
                            Kind::MetadataAddress,
                            format!("nginx proxies to `{server}`, a link-local or cloud metadata address"),
                        )
                        .at(u.span, "upstream defined here")
                        .help("every client of the site would read the instance's credentials; proxy to the application's own address"),
                    );
                    continue;
                }
                Reach::Local(port) => port,
            };
            let service = [(ssh, "sshd"), (pg, "PostgreSQL")].into_iter().find(|(p, _)| *p == Some(port));
            if let Some((_, name)) = service {
                d.push(
                    Diagnostic::new(
                        Kind::DanglingUpstream,
                        format!(
                            "nginx proxies to `{server}`, which is {name}'s port on this host, not an application's"
                        ),
                    )
                    .at(u.span, "upstream defined here")
                    .help(format!("the site would put {name} on the web; proxy to the application's port")),
                );
                continue;
            }
            let Some((container, stack)) = stack else { continue };
            let published = stack
                .services
                .iter()
                .flat_map(|s| s.ports.iter())
                .any(|p| p.published == port && (p.host_ip.is_loopback() || p.host_ip.is_unspecified()));
            if !published {
                d.push(
                    Diagnostic::new(
                        Kind::DanglingUpstream,
                        format!("nginx proxies to `{server}`, but no container publishes port {port} there"),
                    )
                    .at(u.span, "upstream defined here")
                    .also(container.span, "the containers")
                    .help(format!("add `publish {port} host-ip=\"127.0.0.1\"` to the application's service")),
                );
            }
        }
    }
}

/// An ACME webroot, which the playbook makes 0755, must not lie on a volume's host
/// directory or hold one (E044). A host tmpfs cannot cover a volume's directory: their two
/// allow-lists share no directory (`crate::syspaths`, tested there).
pub(super) fn paths_apart(spec: &Spec, d: &Diags) {
    let Some(stack) = spec.container.as_ref().and_then(|c| c.compose.as_ref()) else { return };
    let devices: Vec<(&str, crate::ast::Span, &str)> =
        stack.volumes.iter().filter_map(|v| Some((v.device.as_deref()?, v.device_span, v.name.as_str()))).collect();
    for site in spec.nginx.iter().flat_map(|n| n.sites.iter()) {
        let Some(root) = &site.acme_webroot else { continue };
        for (dev, at, name) in devices.iter().filter(|(dev, _, _)| crate::syspaths::overlap(root, dev)) {
            d.push(
                Diagnostic::new(
                    Kind::PathOverlap,
                    format!("the ACME webroot `{root}` and volume `{name}`'s directory `{dev}` overlap"),
                )
                .at(site.span, "its webroot is made 0755 by the playbook")
                .also(*at, "the volume's host directory")
                .help("give the webroot a directory of its own, e.g. `/var/www/letsencrypt`"),
            );
        }
    }
}

/// The application container reaches PostgreSQL from its network's subnet: pg_hba.conf must
/// have a line for its database user from there (the guide allowed only 10.0.0.0/8 while
/// its containers had 172.20.0.0/16).
pub(super) fn database_reachable(spec: &Spec, d: &Diags) {
    let (Some(pg), Some(stack)) = (&spec.postgres, spec.container.as_ref().and_then(|c| c.compose.as_ref())) else {
        return;
    };
    let db_nets: Vec<&str> = stack
        .services
        .iter()
        .filter(|s| s.kind == ServiceKind::Postgres)
        .flat_map(|s| s.networks.iter().map(String::as_str))
        .collect();
    if pg.hba.is_empty() || db_nets.is_empty() || !spec.complete(&[Section::Postgres, Section::Container]) {
        return;
    }
    for app in stack.services.iter().filter(|s| s.kind == ServiceKind::App) {
        let Some((user, _)) = &app.db_role else { continue };
        for net in
            stack.networks.iter().filter(|n| app.networks.contains(&n.name) && db_nets.contains(&n.name.as_str()))
        {
            let Some(subnet) = net.subnet else {
                d.push(
                    Diagnostic::new(
                        Kind::UncheckedNetwork,
                        format!(
                            "`{}` reaches the database on `{}`, which has no `subnet`: pg_hba.conf cannot be checked against it",
                            app.name, net.name
                        ),
                    )
                    .at(net.span, "Docker picks its addresses")
                    .also(app.span, "the application")
                    .help(format!(
                        "give `{}` a `subnet=\"…\"` (Docker then uses it) and add a `hostssl {} {} \"SUBNET\"` line to `hba`",
                        net.name, pg.database, user
                    )),
                );
                continue;
            };
            let allowed = pg.hba.iter().any(|l| {
                l.kind.is_network()
                    && l.method != HbaMethod::Reject
                    && (l.user == *user || l.user == "all")
                    && (l.database == pg.database || l.database == "all")
                    && l.address.is_some_and(|a| a.contains(&subnet))
            });
            if !allowed {
                d.push(
                    Diagnostic::new(
                        Kind::HbaGap,
                        format!(
                            "`{}` connects as `{}` from {subnet}, but pg_hba.conf has no line for it there",
                            app.name, user
                        ),
                    )
                    .at(pg.span, "pg_hba.conf comes from this section")
                    .also(app.span, "the application, on that network")
                    .help(format!("add `hostssl {} {} \"{subnet}\"` to `hba`", pg.database, user)),
                );
            }
        }
    }
}

/// A service that reads `/run/secrets/NAME` (a `*_FILE` variable) must have that secret:
/// compose mounts only the secrets a service lists.
pub(super) fn secrets_mounted(spec: &Spec, d: &Diags) {
    let Some(stack) = spec.container.as_ref().and_then(|c| c.compose.as_ref()) else { return };
    if !spec.complete(&[Section::Container]) {
        return;
    }
    for s in &stack.services {
        for e in &s.env {
            let Some(name) = e.value.strip_prefix("/run/secrets/") else { continue };
            if s.secrets.iter().any(|x| x == name) {
                continue;
            }
            let defined = stack.secrets.iter().any(|x| x.name == name);
            let at = e.span.unwrap_or(s.span);
            d.push(
                Diagnostic::new(
                    Kind::UnmountedSecret,
                    format!("`{}` reads `{}`, but no secret of `{}` provides that file", e.name, e.value, s.name),
                )
                .at(at, "read here")
                .also(s.span, "the service's secrets")
                .help(if defined {
                    format!("add `secret {name}` to `{}`", s.name)
                } else {
                    format!("define `secret {name} file=\"./secrets/{name}.txt\"` in `compose` and add `secret {name}` to `{}`", s.name)
                }),
            );
        }
    }
}
