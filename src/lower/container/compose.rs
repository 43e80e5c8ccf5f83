//! `compose { network …; secret …; volume …; service … }`: the stack.

use std::collections::BTreeMap;

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;

use super::super::node::{Reader, children, duplicate};
use super::super::validate;
use super::{env_name, env_value, word};

/// The facts of a known image, from `stdlib/container/images.toml`: its repository and
/// the catalog entry (which lives as long as the program).
pub(super) fn facts(image: &str) -> Option<(String, &'static crate::stdlib::ImageFacts)> {
    let (repo, tag) = image.split_once(':')?;
    let flavour = if tag.contains("alpine") { "alpine" } else { "debian" };
    let f = crate::stdlib::images().image.get(&format!("{repo}-{flavour}"))?;
    Some((repo.to_string(), f))
}

pub(super) fn compose(
    n: &Node,
    d: &Diags,
    img: Option<&ir::Image>,
    pg: Option<&ir::Postgres>,
    pg_failed: bool,
) -> Option<ir::Stack> {
    Reader::new(n, d).finish(false);
    let mut stack = ir::Stack {
        networks: Vec::new(),
        services: Vec::new(),
        secrets: Vec::new(),
        volumes: Vec::new(),
        database: None,
    };
    let mut spans: BTreeMap<(String, String), Span> = Default::default();
    let cs = children(n, &["network", "secret", "volume", "service"], &[], d);
    for c in cs.iter().filter(|c| c.name() != "service") {
        let r = Reader::new(c, d);
        let Some(name) = r
            .str_arg(0, "a name", "`network backend internal=#true`")
            .and_then(|v| validate::ident(d, &v, c.name(), 63).map(|x| (x, v.span)))
        else {
            r.finish(true);
            continue;
        };
        let key = (c.name().to_string(), name.0.clone());
        if let Some(first) = spans.get(&key) {
            d.push(duplicate(&format!("{} {}", c.name(), name.0), name.1, *first));
            r.finish(true);
            continue;
        }
        spans.insert(key, name.1);
        match c.name() {
            "network" => {
                let internal = r.bool_prop("internal").map(|v| v.value).unwrap_or(false);
                let subnet = r.str_prop("subnet", "\"172.20.0.0/16\"").and_then(|v| validate::cidr(d, &v));
                stack.networks.push(ir::StackNetwork { name: name.0, internal, subnet });
            }
            "secret" => {
                let file = r.str_prop("file", "\"./secrets/db_password.txt\"").and_then(|v| {
                    let ok = v.value.starts_with("./")
                        && !v.value.contains("..")
                        && v.value.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
                    if !ok {
                        d.push(
                            Diagnostic::new(
                                Kind::InvalidValue,
                                format!("`{}` is not a relative file path", v.value.escape_debug()),
                            )
                            .at(v.span, "not ./PATH")
                            .help("secret files live next to the compose file: `\"./secrets/NAME.txt\"`"),
                        );
                    }
                    ok.then_some(v.value)
                });
                if !r.has_prop("file") {
                    d.push(Diagnostic::new(Kind::Missing, "`secret` needs a `file`").at(c.name.span, "no file").help("for example: `secret db_password file=\"./secrets/db_password.txt\"`; the file holds the secret, the spec only its name"));
                }
                if r.has_prop("value") {
                    d.push(
                        Diagnostic::new(Kind::PlaintextSecret, "secrets never appear in a spec")
                            .at(r.prop("value").unwrap().span, "a secret in plain text")
                            .help("put it in the `file` instead"),
                    );
                }
                if let Some(file) = file {
                    stack.secrets.push(ir::Secret {
                        name: name.0,
                        file,
                        source: ir::SecretSource::Random,
                        owner: String::new(),
                        mode: String::new(),
                    });
                }
            }
            _ => {
                let device = r.str_prop("device", "\"/opt/pynomaly/data/postgres\"").and_then(|v| {
                    validate::path(d, &v, "device", false)?;
                    validate::handed_path(
                        d,
                        &v,
                        &[],
                        "it would be bound read-write into a container, which could then change the host",
                    )
                });
                stack.volumes.push(ir::StackVolume { name: name.0, device, owner: String::new(), mode: String::new() });
            }
        }
        r.finish(true);
    }
    let service_names: Vec<String> = cs
        .iter()
        .filter(|c| c.name() == "service")
        .filter_map(|c| match c.args.first().map(|a| &a.value) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    for c in cs.iter().filter(|c| c.name() == "service") {
        if let Some(svc) = service(c, d, &stack, &spans, img, pg, &service_names) {
            if let Some(first) = spans.get(&("service".to_string(), svc.name.clone())) {
                d.push(duplicate(
                    &format!("service {}", svc.name),
                    c.args.first().map(|a| a.span).unwrap_or(c.name.span),
                    *first,
                ));
                continue;
            }
            spans.insert(("service".into(), svc.name.clone()), c.args.first().map(|a| a.span).unwrap_or(c.name.span));
            stack.services.push(svc);
        }
    }
    super::wiring::wire(&mut stack, pg, pg_failed, d, &spans);
    super::wiring::owners(&mut stack, d, &spans);
    Some(stack)
}

pub(super) fn refer(
    d: &Diags,
    spans: &BTreeMap<(String, String), Span>,
    kind: &str,
    v: &Spanned<String>,
) -> Option<String> {
    if spans.contains_key(&(kind.to_string(), v.value.clone())) {
        return Some(v.value.clone());
    }
    let names: Vec<&str> = spans.keys().filter(|(k, _)| k == kind).map(|(_, n)| n.as_str()).collect();
    d.push(
        Diagnostic::new(Kind::UnknownReference, format!("no {kind} named `{}`", v.value))
            .at(v.span, "not defined in `compose`".to_string())
            .help(if names.is_empty() {
                format!("define it: `{kind} {} …` in `compose`", v.value)
            } else {
                unknown_help(&v.value, &names)
            }),
    );
    None
}

#[allow(clippy::too_many_arguments)]
pub(super) fn service(
    n: &Node,
    d: &Diags,
    stack: &ir::Stack,
    spans: &BTreeMap<(String, String), Span>,
    img: Option<&ir::Image>,
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
    let pids = r.int_prop("pids", 16, 65536).map(|v| v.value as u32).unwrap_or(256);
    let user_v = r.str_prop("user", "\"999:999\"");
    let maxmemory = r.str_prop("maxmemory", "\"512mb\"");
    let database = r.str_prop("database", "pynomaly");
    r.finish(false);
    let Some(image_v) = image_v else {
        d.push(
            Diagnostic::new(Kind::Missing, "`service` needs an `image`")
                .at(n.name.span, "no image")
                .help("for example: `image=\"postgres:15-bookworm\"`, or the name of the `image` node"),
        );
        return None;
    };
    let app = img.filter(|i| i.name == image_v.value);
    let (kind, image, user, f) = if let Some(i) = app {
        (ir::ServiceKind::App, i.name.clone(), format!("{}:{}", i.uid, i.gid), None)
    } else {
        let image = word(d, &image_v, "image reference", ":/@")?;
        if !image.contains(':') || image.ends_with(":latest") {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("`{image}` is not pinned"))
                    .at(image_v.span, "unpinned image")
                    .help("name a tag, e.g. `postgres:15-bookworm`"),
            );
            return None;
        }
        match facts(&image) {
            Some((repo, f)) if repo == "postgres" || repo == "redis" => {
                let kind = if repo == "postgres" { ir::ServiceKind::Postgres } else { ir::ServiceKind::Redis };
                (kind, image, f.user.clone(), Some(f))
            }
            _ => {
                let Some(u) = &user_v else {
                    d.push(Diagnostic::new(Kind::Missing, format!("pynoc knows no uid for `{image}`")).at(image_v.span, "unknown image").help("add `user=\"UID:GID\"` with the uid the image really runs as (known: postgres, redis, and the spec's own `image`)"));
                    return None;
                };
                (ir::ServiceKind::Other, image, u.value.clone(), None)
            }
        }
    };
    // The uid compose runs the service as must be the one the image really has.
    if let Some(u) = &user_v
        && u.value != user
        && kind != ir::ServiceKind::Other
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
    let mut svc = ir::Service {
        name: name.clone().unwrap_or_default(),
        span: n.name.span,
        kind,
        image,
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
        networks: Vec::new(),
        ports: Vec::new(),
        depends_on: Vec::new(),
        healthcheck: Vec::new(),
        command: Vec::new(),
        cap_add: Vec::new(),
    };
    let mut tmpfs_set = false;
    for c in children(
        n,
        &["networks", "publish", "volume", "tmpfs", "env", "secret", "depends-on"],
        &["networks", "depends-on"],
        d,
    ) {
        let cr = Reader::new(c, d);
        match c.name() {
            "networks" => {
                svc.networks = cr
                    .str_args(0, "a network", "`networks backend`")
                    .iter()
                    .filter_map(|v| refer(d, spans, "network", v))
                    .collect()
            }
            "publish" => {
                let port = cr.int_arg(1, 65535, "`publish 8000 host-ip=\"127.0.0.1\"`");
                let host_ip = cr.str_prop("host-ip", "\"127.0.0.1\"").and_then(|v| {
                    let ip = v.value.parse::<std::net::IpAddr>().ok();
                    if ip.is_none() {
                        d.push(
                            Diagnostic::new(
                                Kind::InvalidValue,
                                format!("`{}` is not an IP address", v.value.escape_debug()),
                            )
                            .at(v.span, "not an address")
                            .help("write `\"127.0.0.1\"` to publish to the host's nginx only"),
                        );
                    }
                    ip
                });
                let target = cr.int_prop("target", 1, 65535).map(|v| v.value as u16);
                if kind.is_backend() {
                    d.push(Diagnostic::new(Kind::ExposedService, format!("`{}` must not publish ports", name_v.value)).at(c.name.span, "published database or cache").help("the database and the cache stay on an internal network; the application reaches them there"));
                }
                if let Some(p) = port {
                    let host_ip = host_ip.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
                    svc.ports.push(ir::Port {
                        host_ip,
                        published: p.value as u16,
                        target: target.unwrap_or(app.map(|i| i.port).unwrap_or(p.value as u16)),
                    });
                }
            }
            "volume" => {
                let vol = cr
                    .str_arg(0, "a volume", "`volume postgres_data \"/var/lib/postgresql/data\"`")
                    .and_then(|v| refer(d, spans, "volume", &v));
                let target = cr
                    .str_arg(1, "a target path", "`volume postgres_data \"/var/lib/postgresql/data\"`")
                    .and_then(|v| validate::path(d, &v, "target", false));
                let read_only = cr.bool_prop("read-only").map(|v| v.value).unwrap_or(false);
                if let (Some(volume), Some(target)) = (vol, target) {
                    svc.volumes.push(ir::VolumeMount { volume, target, read_only, bind: false });
                }
            }
            "tmpfs" => {
                let target = cr
                    .str_arg(0, "a path", "`tmpfs \"/tmp\" size=\"100m\"`")
                    .and_then(|v| validate::tmpfs_target(d, &v));
                let size = cr.str_prop("size", "\"100m\"").and_then(|v| {
                    let digits = v.value.trim_end_matches(['k', 'm', 'g']);
                    let ok = !digits.is_empty()
                        && digits.chars().all(|c| c.is_ascii_digit())
                        && v.value.len() - digits.len() <= 1;
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
                    if !tmpfs_set {
                        svc.tmpfs.clear();
                        tmpfs_set = true;
                    }
                    svc.tmpfs.push(format!("{t}:size={},noexec,nosuid,nodev", size.unwrap_or_else(|| "64m".into())));
                }
            }
            "env" => {
                let k = cr
                    .str_arg(0, "a name", "`env APP_ENV \"production\"`")
                    .and_then(|v| env_name(d, &v).map(|n| (n, v.span)));
                let v = cr.str_arg(1, "a value", "`env APP_ENV \"production\"`").and_then(|v| env_value(d, &v));
                if let (Some((k, span)), Some(v)) = (k, v) {
                    if let Some(why) = validate::secret_like(&k, &v) {
                        d.push(
                            Diagnostic::new(Kind::PlaintextSecret, format!("`{k}` looks like a secret: {why}"))
                                .at(cr.arg(1).map(|a| a.span).unwrap_or(span), "a secret in plain text")
                                .help("secrets never appear in a spec: add a `secret` and read its file (a `*_FILE` variable)"),
                        );
                    }
                    if k == "DATABASE_USER" && (v == "postgres" || pg.and_then(|p| p.owner.as_ref()) == Some(&v)) {
                        d.push(
                            Diagnostic::new(
                                Kind::RlsBypass,
                                format!("the application would connect as `{v}`, which bypasses row-level security"),
                            )
                            .at(span, "superuser or owner")
                            .help("connect as the application role of the `postgres` section, e.g. `pynomaly_app`"),
                        );
                    }
                    svc.env.push(ir::EnvVar { span: c.span, name: k, value: v });
                }
            }
            "secret" => {
                if let Some(s) =
                    cr.str_arg(0, "a secret", "`secret db_password`").and_then(|v| refer(d, spans, "secret", &v))
                {
                    svc.secrets.push(s);
                }
            }
            _ => {
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
        }
        cr.finish(true);
    }
    // What each kind of service needs to run read-only, healthy and without root.
    match kind {
        ir::ServiceKind::App => {
            let i = app.expect("app");
            if let Some(h) = &i.healthcheck {
                svc.healthcheck = vec!["CMD".into(), "python".into(), "-c".into(), health_probe(i.port, &h.path)];
            }
        }
        ir::ServiceKind::Postgres => {
            let f = f.expect("facts");
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
                ir::EnvVar { span: crate::ast::Span::default(), name: "POSTGRES_DB".into(), value: db.clone() },
                ir::EnvVar {
                    span: crate::ast::Span::default(),
                    name: "POSTGRES_USER".into(),
                    value: "postgres".into(),
                },
                ir::EnvVar {
                    span: crate::ast::Span::default(),
                    name: "POSTGRES_PASSWORD_FILE".into(),
                    value: format!("/run/secrets/{}", svc.secrets.first().cloned().unwrap_or_default()),
                },
                ir::EnvVar { span: crate::ast::Span::default(), name: "PGDATA".into(), value: f.data.clone() },
            ];
            svc.healthcheck = vec!["CMD".into(), "pg_isready".into(), "-U".into(), "postgres".into(), "-d".into(), db];
        }
        ir::ServiceKind::Redis => {
            let f = f.expect("facts");
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
        }
        _ => {}
    }
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
    name?;
    Some(svc)
}

/// A health probe that needs no curl: the image's own Python asks the application.
pub(super) fn health_probe(port: u16, path: &str) -> String {
    format!(
        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=5).status == 200 else 1)"
    )
}

pub(super) fn cpus(d: &Diags, v: &Spanned<String>) -> Option<String> {
    // `0` is "no limit" to compose, so it is out of range like any other non-positive count.
    let ok = v.value.parse::<f64>().is_ok_and(|f| f > 0.0 && f <= 256.0);
    let message = format!("`{}` is not a CPU count", v.value.escape_debug());
    validate::accept(d, v, ok, Kind::InvalidValue, message, "not CPUs", "write a number of CPUs, e.g. `\"2.0\"`")
}

pub(super) fn mem(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let digits = v.value.trim_end_matches(['K', 'M', 'G']);
    let ok = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && v.value.len() - digits.len() == 1;
    if ok && validate::zero_limit(d, v, "memory limit") {
        return None;
    }
    let message = format!("`{}` is not a memory size", v.value.escape_debug());
    validate::accept(
        d,
        v,
        ok,
        Kind::InvalidValue,
        message,
        "not a size",
        "write a number with `K`, `M` or `G`, e.g. `\"512M\"`",
    )
}
