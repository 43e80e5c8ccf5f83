//! The container stack against nginx and pg_hba.conf, and against itself.

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{HbaMethod, Section, ServiceKind, Spec, UpstreamServer};

/// nginx on the host proxies to loopback ports: some container must publish each of them
/// there. Upstreams on other hosts or sockets are not the stack's, and are not checked.
pub(super) fn upstreams_published(spec: &Spec, d: &Diags) {
    let (Some(nginx), Some(container)) = (&spec.nginx, &spec.container) else { return };
    let Some(stack) = &container.compose else { return };
    if !spec.complete(&[Section::Container]) {
        return;
    }
    for u in &nginx.upstreams {
        for server in &u.servers {
            let UpstreamServer::Socket(addr) = server else { continue };
            if !addr.ip().is_loopback() {
                continue;
            }
            let published = stack
                .services
                .iter()
                .flat_map(|s| s.ports.iter())
                .any(|p| p.published == addr.port() && (p.host_ip.is_loopback() || p.host_ip.is_unspecified()));
            if !published {
                d.push(
                    Diagnostic::new(
                        Kind::DanglingUpstream,
                        format!("nginx proxies to `{server}`, but no container publishes port {} there", addr.port()),
                    )
                    .at(u.span, "upstream defined here")
                    .also(container.span, "the containers")
                    .help(format!("add `publish {} host-ip=\"127.0.0.1\"` to the application's service", addr.port())),
                );
            }
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
        let Some(user) = app.env.iter().find(|e| e.name == "DATABASE_USER") else { continue };
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
                        net.name, pg.database, user.value
                    )),
                );
                continue;
            };
            let allowed = pg.hba.iter().any(|l| {
                l.kind.is_network()
                    && l.method != HbaMethod::Reject
                    && (l.user == user.value || l.user == "all")
                    && (l.database == pg.database || l.database == "all")
                    && l.address.is_some_and(|a| a.contains(&subnet))
            });
            if !allowed {
                d.push(
                    Diagnostic::new(
                        Kind::HbaGap,
                        format!(
                            "`{}` connects as `{}` from {subnet}, but pg_hba.conf has no line for it there",
                            app.name, user.value
                        ),
                    )
                    .at(pg.span, "pg_hba.conf comes from this section")
                    .also(app.span, "the application, on that network")
                    .help(format!("add `hostssl {} {} \"{subnet}\"` to `hba`", pg.database, user.value)),
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
            let at = if e.span == Default::default() { s.span } else { e.span };
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

/// pgAudit in the `postgres` section and the stack's database on the official image, which
/// lacks it: the SQL's guard would stop `postgres-apply.sh` there.
pub(super) fn pgaudit_in_image(spec: &Spec, d: &Diags) {
    let (Some(audit), Some(stack)) = (
        spec.postgres.as_ref().and_then(|p| p.pgaudit.as_ref()),
        spec.container.as_ref().and_then(|c| c.compose.as_ref()),
    ) else {
        return;
    };
    for s in stack.services.iter().filter(|s| s.kind == ServiceKind::Postgres) {
        let repo = s.image.split(['@', ':']).next().unwrap_or("");
        if matches!(repo, "postgres" | "library/postgres" | "docker.io/library/postgres") {
            d.push(
                Diagnostic::new(
                    Kind::PgauditImage,
                    format!("`{}` runs `{}`, which has no pgAudit, and the spec loads it", s.name, s.image),
                )
                .at(s.span, "the official image")
                .also(audit.span, "pgAudit declared here")
                .help(format!(
                    "build an image `FROM {}` that installs `{}` and name it in `image=`, or waive W005 if `{}` has it",
                    s.image, audit.package, s.image
                )),
            );
        }
    }
}
