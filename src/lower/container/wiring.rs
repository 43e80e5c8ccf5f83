//! The stack's database runs the spec's `postgres` section: the compose `postgres` service
//! gets pg_hba.conf and the server settings on its command line, the TLS certificate and key
//! and every login role's password as secrets; each application that names its role
//! (`env DATABASE_USER "…"`) gets that role's password as a secret and the address of the
//! database. A stack that could not work this way is an error.

use std::collections::BTreeMap;

use crate::ast::Span;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

/// Where `prepare.sh` puts pynoc's files for the database, next to the compose file, and
/// where the database service sees them.
pub(crate) const CONF_DIR: &str = "./postgres-conf";
pub(crate) const CONF_TARGET: &str = "/etc/pynoc";

/// Names of the secrets pynoc adds; a spec's own secret may not take one.
pub(crate) const PREFIX: &str = "pynoc_";

fn secret(stack: &mut ir::Stack, name: &str, file_ext: &str, source: ir::SecretSource) -> String {
    stack.secrets.push(ir::Secret {
        name: name.to_string(),
        file: format!("./secrets/{name}.{file_ext}"),
        source,
        owner: String::new(),
        mode: String::new(),
    });
    name.to_string()
}

pub(super) fn wire(
    stack: &mut ir::Stack,
    pg: Option<&ir::Postgres>,
    pg_failed: bool,
    d: &Diags,
    spans: &BTreeMap<(String, String), Span>,
) {
    let at = |name: &str| spans.get(&("service".to_string(), name.to_string())).copied().unwrap_or_default();
    for s in stack.secrets.iter().filter(|s| s.name.starts_with(PREFIX)) {
        d.push(
            Diagnostic::new(Kind::StackWiring, format!("`{}` is a name pynoc keeps for its own secrets", s.name))
                .at(spans.get(&("secret".to_string(), s.name.clone())).copied().unwrap_or_default(), "reserved prefix")
                .help(format!("name the secret without the `{PREFIX}` prefix")),
        );
    }
    let Some((i, pg)) = database_service(stack, pg, pg_failed, d, &at) else { return };
    let name = stack.services[i].name.clone();
    let mut db_secrets = Vec::new();
    if let Some(ssl) = &pg.ssl {
        let copy = |from: &str| ir::SecretSource::Copy { from: from.to_string() };
        db_secrets.push(secret(stack, &format!("{PREFIX}pg_tls_cert"), "pem", copy(&ssl.cert)));
        db_secrets.push(secret(stack, &format!("{PREFIX}pg_tls_key"), "pem", copy(&ssl.key)));
        if let Some(ca) = &ssl.ca {
            db_secrets.push(secret(stack, &format!("{PREFIX}pg_tls_ca"), "pem", copy(ca)));
        }
    }
    let mut roles = Vec::new();
    for r in pg.roles.iter().filter(|r| r.login) {
        if let Some(env) = &r.password_env {
            let s = secret(stack, &format!("{PREFIX}pg_{}_password", r.name), "txt", ir::SecretSource::Random);
            db_secrets.push(s.clone());
            roles.push(ir::StackRole { role: r.name.clone(), password_env: env.clone(), secret: s });
        }
    }
    connect(stack, pg, &roles, i, d, &at);
    let db = &mut stack.services[i];
    db.command = command(pg);
    db.secrets.extend(db_secrets);
    db.volumes.push(ir::VolumeMount {
        volume: CONF_DIR.into(),
        target: CONF_TARGET.into(),
        read_only: true,
        bind: true,
    });
    let build = db.build.as_ref().map(|base| ir::DatabaseBuild {
        image: db.image.clone(),
        base: base.clone(),
        packages: pg.pgaudit.iter().map(|a| a.package.clone()).collect(),
        user: db.user.clone(),
    });
    stack.database = Some(ir::StackDatabase {
        service: name,
        user: db.user.clone(),
        database: pg.database.clone(),
        roles,
        tls: pg.ssl.is_some(),
        build,
    });
}

/// The stack's PostgreSQL service (its index) and the section that hardens it, when there is one and a `postgres` section
/// to harden it: one service, of the section's version.
fn database_service<'a>(
    stack: &ir::Stack,
    pg: Option<&'a ir::Postgres>,
    pg_failed: bool,
    d: &Diags,
    at: &dyn Fn(&str) -> Span,
) -> Option<(usize, &'a ir::Postgres)> {
    let dbs: Vec<usize> =
        (0..stack.services.len()).filter(|i| stack.services[*i].kind == ir::ServiceKind::Postgres).collect();
    let &i = dbs.first()?;
    let name = stack.services[i].name.clone();
    for j in &dbs[1..] {
        let other = &stack.services[*j].name;
        d.push(
            Diagnostic::new(Kind::StackWiring, format!("`{other}` is a second PostgreSQL service"))
                .at(at(other), "a second database")
                .also(at(&name), "the stack's database")
                .help("the spec's `postgres` section describes one server: keep one `postgres` service"),
        );
    }
    let Some(pg) = pg else {
        if pg_failed {
            return None;
        }
        d.push(
            Diagnostic::new(Kind::StackWiring, format!("`{name}` would run PostgreSQL without the spec's hardening"))
                .at(at(&name), "no `postgres` section")
                .help(
                    "add a `postgres` section: the stack's database then runs its pg_hba.conf, settings, TLS and roles",
                ),
        );
        return None;
    };
    // The image pynoc builds is its base's version.
    let image = stack.services[i].build.clone().unwrap_or_else(|| stack.services[i].image.clone());
    let major = super::compose::name_and_tag(&image)
        .map(|(_, tag)| tag.chars().take_while(char::is_ascii_digit).collect::<String>())
        .and_then(|v| v.parse::<u32>().ok());
    if major != Some(pg.version) {
        d.push(
            Diagnostic::new(
                Kind::StackWiring,
                format!("`{image}` is not PostgreSQL {}, the version of the `postgres` section", pg.version),
            )
            .at(at(&name), "another version")
            .help(format!("use `postgres:{}-bookworm`, or set the section's `version`", pg.version)),
        );
    }
    pgaudit_in_image(&stack.services[i], pg, d, at);
    Some((i, pg))
}

/// pgAudit needs an image that has it: the official image lacks it (the SQL's guard would
/// stop `postgres-apply.sh`, and the preload stops the server), pynoc's own build (`base=`)
/// installs it, and an image of the operator's own is taken at its word.
fn pgaudit_in_image(s: &ir::Service, pg: &ir::Postgres, d: &Diags, at: &dyn Fn(&str) -> Span) {
    match (&pg.pgaudit, &s.build) {
        (Some(audit), None) if super::compose::facts(&s.image).is_some_and(|(repo, _)| repo == "postgres") => d.push(
            Diagnostic::new(
                Kind::PgauditImage,
                format!("`{}` runs `{}`, which has no pgAudit, and the spec loads it", s.name, s.image),
            )
            .at(at(&s.name), "the official image")
            .also(audit.span, "pgAudit declared here")
            .help(format!(
                "write `image=\"{}-postgres:{}\" base=\"{}\"`: pynoc writes container/postgres.Dockerfile, which builds it `FROM {}` with `{}`",
                s.name, pg.version, s.image, s.image, audit.package
            )),
        ),
        (None, Some(base)) => d.push(
            Diagnostic::new(Kind::StackWiring, format!("`{}` would be built from `{base}` with nothing added", s.name))
                .at(at(&s.name), "`base=` without `pgaudit`")
                .help(format!("name the official image itself, `image=\"{base}\"`; pynoc builds one only to add pgAudit")),
        ),
        _ => {}
    }
}

/// Each application that names its role connects as it, over TLS, on a network it shares
/// with the database.
fn connect(
    stack: &mut ir::Stack,
    pg: &ir::Postgres,
    roles: &[ir::StackRole],
    i: usize,
    d: &Diags,
    at: &dyn Fn(&str) -> Span,
) {
    let name = stack.services[i].name.clone();
    let db_networks = stack.services[i].networks.clone();
    // With the CA that signed the server's certificate, each application verifies the
    // server it reaches is the database (its name, `DATABASE_HOST`, in the certificate).
    let server_ca = pg
        .ssl
        .as_ref()
        .and_then(|t| t.server_ca.as_ref())
        .filter(|_| stack.services.iter().any(|s| s.kind != ir::ServiceKind::Postgres && s.db_role.is_some()));
    let server_ca = server_ca
        .map(|ca| secret(stack, &format!("{PREFIX}pg_server_ca"), "pem", ir::SecretSource::Copy { from: ca.clone() }));
    for s in stack.services.iter_mut().filter(|s| s.kind != ir::ServiceKind::Postgres) {
        let Some(user) = s.db_role.as_ref().map(|(r, _)| r.clone()) else {
            continue;
        };
        let Some(role) = roles.iter().find(|r| r.role == user) else {
            let why = if pg.roles.iter().any(|r| r.name == user) {
                "which cannot log in with a password"
            } else {
                "which is not a role of the `postgres` section"
            };
            d.push(
                Diagnostic::new(Kind::StackWiring, format!("`{}` connects as `{user}`, {why}", s.name))
                    .at(at(&s.name), "no password for its role")
                    .help(format!(
                        "give `role {user}` `login=#true` and `password-env=NAME` in the `postgres` section"
                    )),
            );
            continue;
        };
        if !s.networks.iter().any(|n| db_networks.contains(n)) {
            d.push(
                Diagnostic::new(Kind::StackWiring, format!("`{}` shares no network with `{name}`", s.name))
                    .at(at(&s.name), "cannot reach the database")
                    .also(at(&name), "the database")
                    .help(format!("add one of `{name}`'s networks to `networks`")),
            );
        }
        s.secrets.push(role.secret.clone());
        let mut env = vec![
            ("DATABASE_HOST", name.clone()),
            ("DATABASE_NAME", pg.database.clone()),
            ("DATABASE_PASSWORD_FILE", format!("/run/secrets/{}", role.secret)),
        ];
        match &server_ca {
            Some(ca) => {
                s.secrets.push(ca.clone());
                env.push(("PGSSLMODE", "verify-full".into()));
                env.push(("PGSSLROOTCERT", format!("/run/secrets/{ca}")));
            }
            None if pg.ssl.is_some() => env.push(("PGSSLMODE", "require".into())),
            None => {}
        }
        for (k, v) in env {
            s.env.retain(|e| e.name != k);
            s.env.push(ir::EnvVar::pynoc(k, v));
        }
    }
}

/// The database's command line: pynoc's pg_hba.conf, the section's settings, and the TLS
/// files as the container's secrets.
fn command(pg: &ir::Postgres) -> Vec<String> {
    let mut command = vec!["postgres".to_string(), "-c".into(), format!("hba_file={CONF_TARGET}/pg_hba.conf")];
    // The `ssl` node's settings name the host's files; the container's are its secrets.
    let by_tls = ["ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file", "hba_file"];
    for s in pg.settings.iter().filter(|s| !by_tls.contains(&s.name.as_str())) {
        command.extend(["-c".to_string(), format!("{}={}", s.name, s.value)]);
    }
    if let Some(ssl) = &pg.ssl {
        let mut files = vec![
            ("ssl", "on".to_string()),
            ("ssl_cert_file", format!("/run/secrets/{PREFIX}pg_tls_cert")),
            ("ssl_key_file", format!("/run/secrets/{PREFIX}pg_tls_key")),
        ];
        if ssl.ca.is_some() {
            files.push(("ssl_ca_file", format!("/run/secrets/{PREFIX}pg_tls_ca")));
        }
        for (k, v) in files {
            command.extend(["-c".to_string(), format!("{k}={v}")]);
        }
    }
    command
}

/// Gives each secret file the owner and mode its readers need: a bind-mounted file keeps
/// the host's owner and mode, so a file only root can read is unreadable by a service that
/// runs as 999 or 1001. One reader owns it (0400); a second reads it through its group (0440).
pub(super) fn owners(stack: &mut ir::Stack, d: &Diags, spans: &BTreeMap<(String, String), Span>) {
    for secret in &mut stack.secrets {
        let readers = users_of(&stack.services, |s| s.secrets.contains(&secret.name));
        let (owner, shared) = ownership(&readers, "secret", &secret.name, "read", "readers", d, spans);
        secret.owner = owner;
        secret.mode = if shared { "0440" } else { "0400" }.into();
    }
    for volume in &mut stack.volumes {
        let users = users_of(&stack.services, |s| s.volumes.iter().any(|m| !m.bind && m.volume == volume.name));
        let (owner, shared) = ownership(&users, "volume", &volume.name, "mounted", "users", d, spans);
        volume.owner = owner;
        volume.mode = if shared { "0770" } else { "0700" }.into();
    }
}

/// The services that use something, one per `UID:GID`, in the spec's order.
fn users_of(services: &[ir::Service], uses: impl Fn(&ir::Service) -> bool) -> Vec<(&str, &str)> {
    let mut users: Vec<(&str, &str)> = Vec::new();
    for s in services.iter().filter(|s| uses(s)) {
        if !users.iter().any(|(_, u)| *u == s.user) {
            users.push((&s.name, &s.user));
        }
    }
    users
}

/// The owner of a file or directory its users share: the first user, with the second's
/// group when there is one (and then group access). A third user is an error: a file has
/// one owner and one group.
fn ownership(
    users: &[(&str, &str)],
    what: &str,
    name: &str,
    verb: &str,
    users_are: &str,
    d: &Diags,
    spans: &BTreeMap<(String, String), Span>,
) -> (String, bool) {
    let ids = |u: &str| u.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or_default();
    match users {
        [] => ("0:0".into(), false),
        [(_, one)] => (one.to_string(), false),
        [(_, a), (_, b)] if ids(a).1 == ids(b).1 => (a.to_string(), true),
        [(_, a), (_, b)] => (format!("{}:{}", ids(a).0, ids(b).1), true),
        [_, _, (third, _), ..] => {
            let at = spans.get(&(what.to_string(), name.to_string())).copied().unwrap_or_default();
            d.push(
                Diagnostic::new(
                    Kind::StackWiring,
                    format!(
                        "`{name}` is {verb} by services of three users; a {} has one owner and one group",
                        if what == "secret" { "file" } else { "directory" }
                    ),
                )
                .at(at, format!("{verb} by too many users"))
                .also(spans.get(&("service".to_string(), third.to_string())).copied().unwrap_or_default(), "the third")
                .help(format!("give each service its own {what}, or run the {users_are} as one UID:GID")),
            );
            ("0:0".into(), false)
        }
    }
}
