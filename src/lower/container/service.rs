//! One compose `service`: its image, uid and limits, one function per child node, and what
//! each kind of service needs to run read-only, healthy and without root.

use std::collections::BTreeMap;

use crate::ast::{Node, Span, Spanned};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;

use super::super::node::{Reader, children};
use super::super::validate;
use super::compose::{cpus, facts, health_probe, mem, refer};
use super::{env_name, env_value, word};

/// What the children of one `service` node are lowered against.
#[derive(Clone, Copy)]
struct Cx<'a> {
    d: &'a Diags,
    n: &'a Node,
    name_v: &'a Spanned<String>,
    kind: ir::ServiceKind,
    app: Option<&'a ir::Image>,
    stack: &'a ir::Stack,
    spans: &'a BTreeMap<(String, String), Span>,
    all: &'a [String],
    pg: Option<&'a ir::Postgres>,
}

/// `service NAME image=… { networks …; publish …; volume …; tmpfs …; env …; secret …; depends-on … }`:
/// the service's own settings, one function per child node, then what its kind needs.
pub(super) fn service(
    n: &Node,
    d: &Diags,
    stack: &ir::Stack,
    spans: &BTreeMap<(String, String), Span>,
    images: &[ir::Image],
    pg: Option<&ir::Postgres>,
    all: &[String],
) -> Option<ir::Service> {
    let r = Reader::new(n, d);
    let name_v = r.str_arg(0, "a name", "`service postgres image=\"postgres:15-bookworm\"`")?;
    let name = validate::ident(d, &name_v, "service name", 63);
    let image_v = r.str_prop("image", "\"postgres:15-bookworm\"");
    let cpu_limit = r.str_prop("cpus", "\"1.0\"").and_then(|v| cpus(d, &v)).unwrap_or_else(|| "1.0".into());
    let memory = r.str_prop("memory", "\"512M\"").and_then(|v| mem(d, &v)).unwrap_or_else(|| "512M".into());
    let reservation_cpus = r.str_prop("reserve-cpus", "\"0.5\"").and_then(|v| cpus(d, &v));
    let reservation_memory = r.str_prop("reserve-memory", "\"256M\"").and_then(|v| mem(d, &v));
    let pids = r
        .int_prop("pids", 16, 65536)
        .map(|v| v.value as u32)
        .unwrap_or(crate::stdlib::container_hardening().service.pids);
    let user_v = r.str_prop("user", "\"999:999\"");
    let maxmemory = r.str_prop("maxmemory", "\"512mb\"");
    let database = r.str_prop("database", "pynomaly");
    let base_v = r.str_prop("base", "\"postgres:15-bookworm\"");
    r.block_done();
    let image_v = need_image(n, d, image_v)?;
    let app = images.iter().find(|i| i.name == image_v.value);
    let said = Said { image: &image_v, user: user_v.as_ref(), database: database.as_ref(), base: base_v.as_ref() };
    let (kind, image, user, f, build) = resolve(d, &name_v, said, app)?;
    check_user(d, &name_v, &image_v, user_v.as_ref(), (kind, &image, &user, f.is_some() || build.is_some()));
    let mut svc = ir::Service {
        name: name.clone().unwrap_or_default(),
        span: n.name.span,
        kind,
        image,
        build,
        user,
        cpus: cpu_limit,
        memory,
        reservation_cpus,
        reservation_memory,
        pids,
        tmpfs: vec!["/tmp:size=64m,noexec,nosuid,nodev".into()],
        volumes: Vec::new(),
        secrets: Vec::new(),
        env: Vec::new(),
        db_role: None,
        networks: Vec::new(),
        ports: Vec::new(),
        depends_on: Vec::new(),
        healthcheck: Vec::new(),
        command: Vec::new(),
        cap_add: Vec::new(),
    };
    let cx = Cx { d, n, name_v: &name_v, kind, app, stack, spans, all, pg };
    let mut tmpfs_set = false;
    for c in children(
        n,
        &["networks", "publish", "volume", "tmpfs", "env", "secret", "depends-on", "command"],
        &["networks", "depends-on", "command"],
        d,
    ) {
        let cr = Reader::new(c, d);
        match c.name() {
            "command" => command(&cx, c, &cr, &mut svc),
            "networks" => networks(&cx, &cr, &mut svc),
            "publish" => publish(&cx, c, &cr, &mut svc),
            "volume" => volume(&cx, &cr, &mut svc),
            "tmpfs" => tmpfs(&cx, &cr, &mut svc, &mut tmpfs_set),
            "env" => env(&cx, c, &cr, &mut svc),
            "secret" => secret(&cx, &cr, &mut svc),
            _ => depends_on(&cx, &cr, &mut svc),
        }
        cr.leaf_done();
    }
    // What each kind of service needs to run read-only, healthy and without root.
    match kind {
        ir::ServiceKind::App => app_needs(&cx, &mut svc),
        ir::ServiceKind::Postgres => postgres_needs(&cx, f.expect("facts"), database, &mut svc),
        ir::ServiceKind::Redis => redis_needs(&cx, f.expect("facts"), maxmemory, &mut svc)?,
        ir::ServiceKind::Other => {}
    }
    placement(&cx, &svc);
    name?;
    Some(svc)
}

fn need_image(n: &Node, d: &Diags, image_v: Option<Spanned<String>>) -> Option<Spanned<String>> {
    if image_v.is_none() {
        d.push(
            Diagnostic::new(Kind::Missing, "`service` needs an `image`")
                .at(n.name.span, "no image")
                .help("for example: `image=\"postgres:15-bookworm\"`, or the name of the `image` node"),
        );
    }
    image_v
}

/// What the spec says of a service's image.
#[derive(Clone, Copy)]
struct Said<'a> {
    image: &'a Spanned<String>,
    user: Option<&'a Spanned<String>>,
    database: Option<&'a Spanned<String>>,
    base: Option<&'a Spanned<String>>,
}

/// The service's image and what pynoc knows of it: its kind, its uid, the facts of the
/// official image it is (or is built from), and the base pynoc builds it from.
///
/// The stack's database is the service that says `database=`, whatever its image is called
/// (one documented rule, never the image's name): the official image, an image built `FROM`
/// it (`user=` gives its uid), or the image pynoc writes a Dockerfile for (`base=`).
#[allow(clippy::type_complexity, reason = "one tuple, unpacked at the one caller")]
fn resolve(
    d: &Diags,
    name_v: &Spanned<String>,
    said: Said,
    app: Option<&ir::Image>,
) -> Option<(ir::ServiceKind, String, String, Option<&'static crate::stdlib::ImageFacts>, Option<String>)> {
    let image_v = said.image;
    if let Some(i) = app {
        if let Some(db) = said.database {
            d.push(
                Diagnostic::new(
                    Kind::StackWiring,
                    format!("`{}` runs the application image, not a database", name_v.value),
                )
                .at(db.span, "not PostgreSQL")
                .help("`database=` marks the service that runs the spec's `postgres` section: put it on that service"),
            );
        }
        not_built(d, said.base);
        return Some((ir::ServiceKind::App, i.name.clone(), format!("{}:{}", i.uid, i.gid), None, None));
    }
    let image = pinned(d, image_v)?;
    let official = facts(&image);
    if said.database.is_some() {
        let (f, build) = match (said.base, official) {
            (Some(b), _) => {
                let base = pinned(d, b)?;
                match facts(&base) {
                    Some((repo, f)) if repo == "postgres" => (f, Some(base)),
                    _ => {
                        d.push(
                            Diagnostic::new(Kind::StackWiring, format!("`{base}` is not the official PostgreSQL image"))
                                .at(b.span, "not `postgres:…`")
                                .help("pynoc builds the database's image `FROM` the official image, e.g. `base=\"postgres:15-bookworm\"`"),
                        );
                        return None;
                    }
                }
            }
            (None, Some((repo, f))) if repo == "postgres" => (f, None),
            (None, Some((repo, _))) => {
                d.push(
                    Diagnostic::new(Kind::StackWiring, format!("`{image}` is {repo}, not PostgreSQL"))
                        .at(image_v.span, "not a PostgreSQL image")
                        .help("`database=` marks the service that runs the spec's `postgres` section"),
                );
                return None;
            }
            // An image of the operator's own, built FROM the official one: its uid is the
            // spec's, its layout the official Debian image's.
            (None, None) => {
                let Some(u) = said.user else {
                    d.push(
                        Diagnostic::new(Kind::Missing, format!("pynoc knows no uid for `{image}`"))
                            .at(image_v.span, "unknown image")
                            .help("add `user=\"UID:GID\"` (999:999 in an image built FROM postgres:…-bookworm), or name the official image in `base=` and pynoc builds one"),
                    );
                    return None;
                };
                let f = crate::stdlib::images().image.get("postgres-debian").expect("the stdlib knows postgres");
                return Some((ir::ServiceKind::Postgres, image, u.value.clone(), Some(f), None));
            }
        };
        return Some((ir::ServiceKind::Postgres, image, f.user.clone(), Some(f), build));
    }
    not_built(d, said.base);
    match official {
        Some((repo, _)) if repo == "postgres" => {
            d.push(
                Diagnostic::new(Kind::StackWiring, format!("`{}` runs PostgreSQL but is not the stack's database", name_v.value))
                    .at(image_v.span, "PostgreSQL's image")
                    .help("add `database=NAME` (the `postgres` section's database): the service then runs that section's pg_hba.conf, settings, TLS and roles"),
            );
            None
        }
        Some((_, f)) => Some((ir::ServiceKind::Redis, image, f.user.clone(), Some(f), None)),
        None => {
            let Some(u) = said.user else {
                d.push(Diagnostic::new(Kind::Missing, format!("pynoc knows no uid for `{image}`")).at(image_v.span, "unknown image").help("add `user=\"UID:GID\"` with the uid the image really runs as (known: postgres, redis, and the spec's own `image`)"));
                return None;
            };
            Some((ir::ServiceKind::Other, image, u.value.clone(), None, None))
        }
    }
}

/// A valid image reference with a tag that is not `latest`.
fn pinned(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let image = word(d, v, "image reference", ":/@")?;
    if !image.contains(':') || image.ends_with(":latest") {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{image}` is not pinned"))
                .at(v.span, "unpinned image")
                .help("name a tag, e.g. `postgres:15-bookworm`"),
        );
        return None;
    }
    Some(image)
}

/// `base=` belongs to the stack's database only.
fn not_built(d: &Diags, base: Option<&Spanned<String>>) {
    if let Some(b) = base {
        d.push(
            Diagnostic::new(Kind::StackWiring, "`base=` builds the stack's database only")
                .at(b.span, "not the database")
                .help(
                    "the application's image is built from its `image` node; other services run their image as it is",
                ),
        );
    }
}

/// The uid compose runs the service as must be the one the image really has, and not root.
fn check_user(
    d: &Diags,
    name_v: &Spanned<String>,
    image_v: &Spanned<String>,
    user_v: Option<&Spanned<String>>,
    (kind, image, user, known): (ir::ServiceKind, &str, &str, bool),
) {
    if let Some(u) = &user_v
        && u.value != user
        && (kind == ir::ServiceKind::App || known)
    {
        let source = if kind == ir::ServiceKind::App { "the Dockerfile creates" } else { "the image runs as" };
        d.push(
            Diagnostic::new(
                Kind::UserMismatch,
                format!("`{}` would run as {}, but {source} {user}", name_v.value, u.value),
            )
            .at(u.span, "not the image's uid")
            .help(format!("remove `user`: pynoc sets `{user}`, the uid of `{image}`")),
        );
    }
    if !user
        .split_once(':')
        .is_some_and(|(a, b)| a.parse::<u32>().is_ok_and(|a| a > 0) && b.parse::<u32>().is_ok_and(|b| b > 0))
    {
        d.push(
            Diagnostic::new(Kind::RootUser, format!("`{user}` is not a non-root UID:GID"))
                .at(user_v.as_ref().map(|u| u.span).unwrap_or(image_v.span), "not UID:GID")
                .help(
                    "write numbers, e.g. `\"1001:1001\"`; uid 0 is root and gid 0 its group, which owns system files",
                ),
        );
    }
}

/// `networks backend …`
fn networks(cx: &Cx, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, spans, .. } = *cx;
    svc.networks = cr
        .str_args(0, "a network", "`networks backend`")
        .iter()
        .filter_map(|v| refer(d, spans, "network", v))
        .collect();
}

/// `publish PORT host-ip=… target=…`
fn publish(cx: &Cx, c: &Node, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, name_v, kind, app, .. } = *cx;
    let port = cr.int_arg(1, 65535, "`publish 8000 host-ip=\"127.0.0.1\"`");
    let host_ip = cr.str_prop("host-ip", "\"127.0.0.1\"").and_then(|v| {
        // By meaning: `::ffff:127.0.0.1` is `127.0.0.1` to every check and in the output.
        let ip = v.value.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_canonical());
        if ip.is_none() {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("`{}` is not an IP address", v.value.escape_debug()))
                    .at(v.span, "not an address")
                    .help("write `\"127.0.0.1\"` to publish to the host's nginx only"),
            );
        }
        ip
    });
    let target = cr.int_prop("target", 1, 65535).map(|v| v.value as u16);
    if kind.is_backend() {
        d.push(
            Diagnostic::new(Kind::ExposedService, format!("`{}` must not publish ports", name_v.value))
                .at(c.name.span, "published database or cache")
                .help("the database and the cache stay on an internal network; the application reaches them there"),
        );
    }
    if let Some(p) = port {
        let host_ip = host_ip.unwrap_or(crate::stdlib::container_hardening().service.host_ip);
        svc.ports.push(ir::Port {
            host_ip,
            published: p.value as u16,
            target: target.unwrap_or(app.map(|i| i.port).unwrap_or(p.value as u16)),
        });
    }
}

/// `volume NAME TARGET read-only=…`
fn volume(cx: &Cx, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, spans, .. } = *cx;
    let vol = cr
        .str_arg(0, "a volume", "`volume postgres_data \"/var/lib/postgresql/data\"`")
        .and_then(|v| refer(d, spans, "volume", &v));
    let target = cr
        .str_arg(1, "a target path", "`volume postgres_data \"/var/lib/postgresql/data\"`")
        .and_then(|v| code_free(cx, &v, validate::path(d, &v, "target", false)?));
    let read_only = cr.bool_prop("read-only").map(|v| v.value).unwrap_or(false);
    if let (Some(volume), Some(target)) = (vol, target) {
        svc.volumes.push(ir::VolumeMount { volume, target, read_only, bind: false });
    }
}

/// A volume target of the application's own image must be one of its `writable`
/// directories (or inside one): a volume anywhere else, over `/app`, the Python environment
/// or a system directory, makes code writable from outside the image (E046).
fn code_free(cx: &Cx, v: &Spanned<String>, target: String) -> Option<String> {
    let Some(img) = cx.app.filter(|_| cx.kind == ir::ServiceKind::App) else { return Some(target) };
    if img.writable.iter().any(|w| crate::syspaths::within(&target, w)) {
        return Some(target);
    }
    let what = ["/app", "/opt/venv"]
        .into_iter()
        .find(|c| crate::syspaths::overlap(&target, c))
        .map(|c| format!("the image's code (`{c}`)"))
        .unwrap_or_else(|| "a directory the image does not declare `writable`".into());
    cx.d.push(
        Diagnostic::new(Kind::CodePath, format!("a volume on `{target}` in `{}` would cover {what}", cx.name_v.value))
            .at(v.span, "not a writable directory of the image")
            .help(format!(
                "mount volumes on the image's `writable` directories ({})",
                if img.writable.is_empty() {
                    "it has none".to_string()
                } else {
                    img.writable.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
                }
            )),
    );
    None
}

/// `tmpfs PATH size=…`: the first one replaces the default `/tmp`.
fn tmpfs(cx: &Cx, cr: &Reader, svc: &mut ir::Service, tmpfs_set: &mut bool) {
    let d = cx.d;
    let target = cr.str_arg(0, "a path", "`tmpfs \"/tmp\" size=\"100m\"`").and_then(|v| validate::tmpfs_target(d, &v));
    let size = cr.str_prop("size", "\"100m\"").and_then(|v| {
        let digits = v.value.trim_end_matches(['k', 'm', 'g']);
        let ok = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && v.value.len() - digits.len() <= 1;
        if !ok {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a size", v.value.escape_debug()))
                    .at(v.span, "not a size")
                    .help("write `\"100m\"`"),
            );
        }
        (ok && !validate::zero_limit(d, &v, "tmpfs size")).then_some(v.value)
    });
    if let Some(t) = target {
        if !*tmpfs_set {
            svc.tmpfs.clear();
            *tmpfs_set = true;
        }
        svc.tmpfs.push(format!("{t}:size={},noexec,nosuid,nodev", size.unwrap_or_else(|| "64m".into())));
    }
}

/// `env NAME VALUE`: never a secret, never a role that bypasses row-level security.
fn env(cx: &Cx, c: &Node, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, pg, .. } = *cx;
    let k = cr.str_arg(0, "a name", "`env APP_ENV \"production\"`").and_then(|v| env_name(d, &v).map(|n| (n, v.span)));
    let v = cr.str_arg(1, "a value", "`env APP_ENV \"production\"`").and_then(|v| env_value(d, &v));
    if let (Some((k, span)), Some(v)) = (k, v) {
        if let Some(why) = validate::secret_like(&k, &v) {
            d.push(
                Diagnostic::new(Kind::PlaintextSecret, format!("`{k}` looks like a secret: {why}"))
                    .at(cr.arg(1).map(|a| a.span).unwrap_or(span), "a secret in plain text")
                    .help("secrets never appear in a spec: add a `secret` and read its file (a `*_FILE` variable)"),
            );
        }
        if k == ir::DB_ROLE_ENV && (v == "postgres" || pg.and_then(|p| p.owner.as_ref()) == Some(&v)) {
            d.push(
                Diagnostic::new(
                    Kind::RlsBypass,
                    format!("the application would connect as `{v}`, which bypasses row-level security"),
                )
                .at(span, "superuser or owner")
                .help("connect as the application role of the `postgres` section, e.g. `pynomaly_app`"),
            );
        }
        if k == ir::DB_ROLE_ENV {
            svc.db_role = Some((v.clone(), span));
        }
        svc.env.push(ir::EnvVar::spec(c.span, k, v));
    }
}

/// `secret NAME`
fn secret(cx: &Cx, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, spans, .. } = *cx;
    if let Some(s) = cr.str_arg(0, "a secret", "`secret db_password`").and_then(|v| refer(d, spans, "secret", &v)) {
        svc.secrets.push(s);
    }
}

/// `depends-on SERVICE…`
fn depends_on(cx: &Cx, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, name_v, all, .. } = *cx;
    for v in cr.str_args(0, "a service", "`depends-on postgres`") {
        if all.contains(&v.value) && v.value != name_v.value {
            svc.depends_on.push(v.value);
        } else {
            let names: Vec<&str> = all.iter().map(String::as_str).collect();
            d.push(
                Diagnostic::new(Kind::UnknownReference, format!("no other service named `{}`", v.value))
                    .at(v.span, "unknown service")
                    .help(unknown_help(&v.value, &names)),
            );
        }
    }
}

/// `command ARG…`: what a service of the application's image (a worker beside the web
/// process) or of another image runs instead of its image's command. The database's and the
/// cache's command lines are pynoc's. Words reach compose as YAML strings, `$` escaped.
fn command(cx: &Cx, c: &Node, cr: &Reader, svc: &mut ir::Service) {
    let Cx { d, name_v, kind, app, .. } = *cx;
    if kind.is_backend() {
        d.push(
            Diagnostic::new(Kind::ExclusiveOptions, format!("pynoc writes `{}`'s command line", name_v.value))
                .at(c.name.span, "a command of its own")
                .help("remove it: the database's and the cache's command lines carry their hardening (set their settings in `postgres` or with the service's properties)"),
        );
        return;
    }
    let words = super::words(d, c, cr, "command");
    if c.args.is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, "`command` needs the command")
                .at(c.name.span, "empty")
                .help("for example: `command python -m pynomaly.worker`"),
        );
    }
    if let Some(i) = app {
        super::runs_nothing_writable(d, "command", &c.args, &i.writable);
    }
    svc.command = words;
}

/// The application built from the Dockerfile: its health check, probed by its own Python.
/// A service of that image with a `command` of its own (a worker) serves no HTTP: the
/// image's health check is turned off for it (`NONE`), and services wait for it started.
fn app_needs(cx: &Cx, svc: &mut ir::Service) {
    let Some(i) = cx.app else { return };
    if !svc.command.is_empty() {
        svc.healthcheck = vec!["NONE".into()];
    } else if let Some(h) = &i.healthcheck {
        svc.healthcheck = vec!["CMD".into(), "python".into(), "-c".into(), health_probe(i.port, &h.path)];
    }
}

/// PostgreSQL: its runtime directories on tmpfs, the password from its one secret, the
/// database's name, and pg_isready.
fn postgres_needs(cx: &Cx, f: &crate::stdlib::ImageFacts, database: Option<Spanned<String>>, svc: &mut ir::Service) {
    let Cx { d, n, name_v, pg, .. } = *cx;
    svc.tmpfs = f.runtime_dirs.iter().map(|t| format!("{t}:size=64m,noexec,nosuid,nodev")).collect();
    // A name compose writes into the container's environment: a plain identifier (the
    // fuzzer found this one unchecked, line separators and all).
    let db = database
        .and_then(|v| validate::ident(d, &v, "database name", 63))
        .or_else(|| pg.map(|p| p.database.clone()))
        .unwrap_or_else(|| "postgres".into());
    if svc.secrets.len() != 1 {
        d.push(
            Diagnostic::new(
                Kind::Missing,
                format!("`{}` needs exactly one `secret`: the superuser's password", name_v.value),
            )
            .at(n.name.span, "password secret")
            .help("add `secret db_password`; the image reads it through POSTGRES_PASSWORD_FILE"),
        );
    }
    svc.env = vec![
        ir::EnvVar::pynoc("POSTGRES_DB", db.clone()),
        ir::EnvVar::pynoc("POSTGRES_USER", "postgres".into()),
        ir::EnvVar::pynoc(
            "POSTGRES_PASSWORD_FILE",
            format!("/run/secrets/{}", svc.secrets.first().cloned().unwrap_or_default()),
        ),
        ir::EnvVar::pynoc("PGDATA", f.data.clone()),
    ];
    svc.healthcheck = vec!["CMD".into(), "pg_isready".into(), "-U".into(), "postgres".into(), "-d".into(), db];
}

/// redis: the password from its secret into a config file on a tmpfs, never on a command
/// line; a memory limit; an authenticated ping.
fn redis_needs(
    cx: &Cx,
    f: &crate::stdlib::ImageFacts,
    maxmemory: Option<Spanned<String>>,
    svc: &mut ir::Service,
) -> Option<()> {
    let Cx { d, n, name_v, .. } = *cx;
    svc.tmpfs = f.runtime_dirs.iter().map(|t| format!("{t}:size=16m,noexec,nosuid,nodev")).collect();
    let Some(secret) = svc.secrets.first().cloned() else {
        d.push(
            Diagnostic::new(Kind::Missing, format!("`{}` needs a `secret`: its password", name_v.value))
                .at(n.name.span, "no password")
                .help("add `secret redis_password`: redis reads it from the file, never from its command line"),
        );
        return None;
    };
    let maxmemory = maxmemory
        .and_then(|v| {
            let digits = v.value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let ok = !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && ["", "kb", "mb", "gb"].contains(&&v.value[digits.len()..]);
            if !ok {
                d.push(
                    Diagnostic::new(
                        Kind::InvalidValue,
                        format!("`{}` is not a redis memory size", v.value.escape_debug()),
                    )
                    .at(v.span, "not a size")
                    .help("write `\"512mb\"`"),
                );
            }
            (ok && !validate::zero_limit(d, &v, "redis maxmemory")).then_some(v.value)
        })
        .unwrap_or_else(|| "256mb".into());
    // The password goes from the secret file into a config file on a tmpfs: never on
    // a command line, and redis does not start without it.
    let script = format!(
        "set -eu; pw=/run/secrets/{secret}; [ -s \"$pw\" ] || {{ echo 'redis: the password secret is missing or empty' >&2; exit 1; }}; umask 077; {{ printf 'requirepass '; cat \"$pw\"; printf '\\n'; }} > /tmp/redis.conf; exec redis-server /tmp/redis.conf --appendonly yes --appendfsync everysec --maxmemory {maxmemory} --maxmemory-policy allkeys-lru"
    );
    svc.command = vec!["sh".into(), "-c".into(), script];
    svc.healthcheck = vec![
        "CMD".into(),
        "sh".into(),
        "-c".into(),
        format!("REDISCLI_AUTH=\"$(cat /run/secrets/{secret})\" redis-cli ping | grep -q PONG"),
    ];
    Some(())
}

/// Every service is on a network; the database and the cache only on internal ones.
fn placement(cx: &Cx, svc: &ir::Service) {
    let Cx { d, n, name_v, kind, stack, .. } = *cx;
    if svc.networks.is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, format!("`{}` is on no network", name_v.value))
                .at(n.name.span, "no network")
                .help("add `networks backend` (define networks in `compose`)"),
        );
    }
    if kind.is_backend() {
        for net in &svc.networks {
            if stack.networks.iter().any(|x| x.name == *net && !x.internal) {
                d.push(
                    Diagnostic::new(
                        Kind::ExposedService,
                        format!("`{}` is on `{net}`, which is not internal", name_v.value),
                    )
                    .at(n.name.span, "reachable from outside")
                    .help("put databases and caches on an `internal=#true` network only".to_string()),
                );
            }
        }
    }
}
