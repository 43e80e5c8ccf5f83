//! `container { image NAME base=… user=… uid=… gid=… port=… { … }; compose { … } }`

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;

use super::node::{Reader, children, duplicate};
use super::validate;

pub fn lower(n: &Node, d: &Diags, o: &mut super::Origins, pg: Option<&ir::Postgres>) -> Option<ir::Container> {
    Reader::new(n, d).finish(false);
    o.container = Some(n.name.span);
    let cs = children(n, &["image", "compose"], &["image", "compose"], d);
    let image = cs.iter().find(|c| c.name() == "image").and_then(|c| image(c, d));
    let compose = cs.iter().find(|c| c.name() == "compose").and_then(|c| compose(c, d, image.as_ref(), pg));
    Some(ir::Container { image, compose })
}

/// A word that is safe in a Dockerfile, YAML and a shell: package names, image references.
fn word(d: &Diags, v: &Spanned<String>, what: &str, extra: &str) -> Option<String> {
    let ok = !v.value.is_empty()
        && v.value.len() <= 128
        && v.value.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c) || extra.contains(c));
    if ok {
        Some(v.value.clone())
    } else {
        d.push(
            Diagnostic::error(Kind::UnsafeValue, format!("{what} `{}` is not valid", v.value.escape_debug()))
                .at(v.span, format!("not a {what}"))
                .help(format!("a {what} is letters, digits and `._-+{extra}`")),
        );
        None
    }
}

fn duration(r: &Reader, name: &'static str, default: &str) -> String {
    r.duration_prop(name, 1, 3600).map(|v| format!("{}s", v.value)).unwrap_or_else(|| default.into())
}

fn env_value(d: &Diags, v: &Spanned<String>) -> Option<String> {
    if v.value.len() > 1024 || v.value.chars().any(|c| c.is_control()) {
        d.push(
            Diagnostic::error(Kind::UnsafeValue, "this environment value is not safe to write")
                .at(v.span, "unsafe value")
                .help("one line of text; it is written as quoted data, never as a secret: put secrets in a `secret`"),
        );
        return None;
    }
    let lower = v.value.to_lowercase();
    if lower.contains("password=") || lower.contains("://") && lower.contains('@') {
        d.push(
            Diagnostic::error(Kind::UnsafeValue, "this value looks like it holds a secret")
                .at(v.span, "a secret in plain text")
                .help("secrets never appear in a spec: use a `secret` file (`*_FILE` variables)"),
        );
        return None;
    }
    Some(v.value.clone())
}

fn env_name(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = !v.value.is_empty()
        && v.value.len() <= 64
        && v.value.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && v.value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Some(v.value.clone())
    } else {
        d.push(
            Diagnostic::error(
                Kind::InvalidValue,
                format!("`{}` is not an environment variable name", v.value.escape_debug()),
            )
            .at(v.span, "not a variable name")
            .help("use uppercase letters, digits and `_`"),
        );
        None
    }
}

fn image(n: &Node, d: &Diags) -> Option<ir::Image> {
    let r = Reader::new(n, d);
    let name = r
        .str_arg(0, "a name", "`image pynomaly-api base=\"python:3.11-slim-bookworm\" …`")
        .and_then(|v| validate::ident(d, &v, "image name", 63));
    let base = r.str_prop("base", "\"python:3.11-slim-bookworm\"").and_then(|v| {
        let w = word(d, &v, "image reference", ":/@")?;
        if !w.contains(':') || w.ends_with(":latest") {
            d.push(Diagnostic::error(Kind::InvalidValue, format!("`{w}` is not pinned")).at(v.span, "unpinned base").help("name a tag that pins the release, e.g. `python:3.11-slim-bookworm`"));
            return None;
        }
        if !w.starts_with("python:") || !w.contains("-slim-") && !w.ends_with("-slim") {
            d.push(Diagnostic::error(Kind::Unsupported, format!("`{w}` is not a Debian slim Python image")).at(v.span, "unsupported base").help("pynoc's Dockerfile targets the official `python:X.Y-slim-DEBIAN` images (apt, /usr/local/bin/python)"));
            return None;
        }
        Some(w)
    });
    let user = r.str_prop("user", "pynomaly").and_then(|v| validate::user(d, &v));
    let uid = r.int_prop("uid", 1000, 60_000).map(|v| v.value as u32);
    let gid = r.int_prop("gid", 1000, 60_000).map(|v| v.value as u32);
    let port = r.int_prop("port", 1024, 65535).map(|v| v.value as u16).unwrap_or(8000);
    for (p, ex) in [("base", "base=\"python:3.11-slim-bookworm\""), ("user", "user=pynomaly"), ("uid", "uid=1001")] {
        if !r.has_prop(match p {
            "base" => "base",
            "user" => "user",
            _ => "uid",
        }) {
            d.push(
                Diagnostic::error(Kind::Missing, format!("`image` needs `{p}`"))
                    .at(n.name.span, format!("no `{p}`"))
                    .help(format!("for example: `{ex}`: a fixed uid is what compose runs the service as")),
            );
        }
    }
    r.finish(false);
    let mut img = ir::Image {
        name: name.clone().unwrap_or_default(),
        base: base.clone().unwrap_or_default(),
        user: user.clone().unwrap_or_default(),
        uid: uid.unwrap_or(1001),
        gid: gid.or(uid).unwrap_or(1001),
        port,
        build_packages: Vec::new(),
        packages: Vec::new(),
        requirements: "requirements.txt".into(),
        writable: Vec::new(),
        healthcheck: None,
        env: vec![
            ir::EnvVar { name: "PYTHONDONTWRITEBYTECODE".into(), value: "1".into() },
            ir::EnvVar { name: "PYTHONUNBUFFERED".into(), value: "1".into() },
        ],
        cmd: Vec::new(),
        ignore: [
            ".git",
            ".env",
            ".env.*",
            "**/__pycache__",
            "**/*.pyc",
            "tests/",
            "docs/",
            "*.md",
            "secrets/",
            "Dockerfile",
            ".dockerignore",
            "docker-compose*.yml",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    };
    let node_names = ["build-packages", "packages", "requirements", "writable", "env", "healthcheck", "cmd", "ignore"];
    for c in children(n, &node_names, &["build-packages", "packages", "requirements", "healthcheck", "cmd"], d) {
        let cr = Reader::new(c, d);
        match c.name() {
            "build-packages" | "packages" => {
                let list: Vec<String> = cr
                    .str_args(0, "a package", "`packages libpq5`")
                    .iter()
                    .filter_map(|p| word(d, p, "package name", ""))
                    .collect();
                if c.name() == "packages" { img.packages = list } else { img.build_packages = list }
            }
            "requirements" => {
                if let Some(v) = cr
                    .str_arg(0, "a file", "`requirements \"requirements.txt\"`")
                    .and_then(|v| word(d, &v, "file name", "/"))
                {
                    img.requirements = v;
                }
            }
            "writable" => {
                for p in cr.str_args(0, "a directory", "`writable \"/app/logs\"`") {
                    if let Some(p) = validate::path(d, &p, "directory", false) {
                        img.writable.push(p);
                    }
                }
            }
            "env" => {
                let name = cr.str_arg(0, "a name", "`env APP_ENV \"production\"`").and_then(|v| env_name(d, &v));
                let value = cr.str_arg(1, "a value", "`env APP_ENV \"production\"`").and_then(|v| env_value(d, &v));
                if let (Some(name), Some(value)) = (name, value) {
                    img.env.retain(|e| e.name != name);
                    img.env.push(ir::EnvVar { name, value });
                }
            }
            "healthcheck" => {
                let path = cr.str_arg(0, "a path", "`healthcheck \"/health\"`").and_then(|p| {
                    let ok = p.value.starts_with('/')
                        && p.value.len() <= 200
                        && p.value.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
                    if !ok {
                        d.push(
                            Diagnostic::error(
                                Kind::UnsafeValue,
                                format!("`{}` is not a plain URL path", p.value.escape_debug()),
                            )
                            .at(p.span, "not a path")
                            .help("write a path such as `/health`"),
                        );
                    }
                    ok.then_some(p.value)
                });
                let retries = cr.int_prop("retries", 1, 100).map(|v| v.value as u32).unwrap_or(3);
                img.healthcheck = path.map(|path| ir::Healthcheck {
                    path,
                    interval: duration(&cr, "interval", "30s"),
                    timeout: duration(&cr, "timeout", "10s"),
                    start_period: duration(&cr, "start-period", "5s"),
                    retries,
                });
            }
            "cmd" => {
                for i in 0..c.args.len() {
                    let v = cr.arg(i).expect("in range");
                    let s = match &v.value {
                        Value::String(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        other => {
                            d.push(
                                Diagnostic::error(
                                    Kind::WrongType,
                                    format!("`cmd` takes strings, found {}", other.type_name()),
                                )
                                .at(v.span, "not a word")
                                .help("quote it: `\"…\"`"),
                            );
                            continue;
                        }
                    };
                    if s.chars().any(|c| c.is_control()) {
                        d.push(
                            Diagnostic::error(Kind::UnsafeValue, "a `cmd` word holds a control character")
                                .at(v.span, "unsafe")
                                .help("one line per word"),
                        );
                        continue;
                    }
                    img.cmd.push(s);
                }
                if c.args.is_empty() {
                    d.push(
                        Diagnostic::error(Kind::Missing, "`cmd` needs the command")
                            .at(c.name.span, "empty")
                            .help("for example: `cmd python -m uvicorn \"app.main:app\"`"),
                    );
                }
            }
            _ => {
                for p in cr.str_args(0, "a pattern", "`ignore \"notebooks/\"`") {
                    if let Some(p) = word(d, &p, ".dockerignore pattern", "/*?!") {
                        img.ignore.push(p);
                    }
                }
            }
        }
        cr.finish(true);
    }
    if img.cmd.is_empty() && !n.children().iter().any(|c| c.name() == "cmd") {
        d.push(
            Diagnostic::error(Kind::Missing, "`image` needs a `cmd`")
                .at(n.name.span, "no command")
                .help("add `cmd python -m uvicorn \"app.main:app\" \"--host\" \"0.0.0.0\"` inside its block"),
        );
    }
    name?;
    base?;
    user?;
    uid?;
    Some(img)
}

struct Facts {
    user: &'static str,
    data: &'static str,
    runtime: &'static [&'static str],
}

/// The facts of a known image, from `stdlib/container/images.toml`.
fn facts(image: &str) -> Option<(String, Facts)> {
    let cat = crate::stdlib::images();
    let (repo, tag) = image.split_once(':')?;
    let flavour = if tag.contains("alpine") { "alpine" } else { "debian" };
    let key = format!("{repo}-{flavour}");
    let f = cat.image.get(&key)?;
    Some((
        repo.to_string(),
        Facts {
            user: leak(&f.user),
            data: leak(&f.data),
            runtime: Box::leak(f.runtime_dirs.iter().map(|s| leak(s)).collect::<Vec<_>>().into_boxed_slice()),
        },
    ))
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn compose(n: &Node, d: &Diags, img: Option<&ir::Image>, pg: Option<&ir::Postgres>) -> Option<ir::Stack> {
    Reader::new(n, d).finish(false);
    let mut stack = ir::Stack { networks: Vec::new(), services: Vec::new(), secrets: Vec::new(), volumes: Vec::new() };
    let mut spans: std::collections::BTreeMap<(String, String), Span> = Default::default();
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
                let subnet = r
                    .str_prop("subnet", "\"172.20.0.0/16\"")
                    .and_then(|v| validate::cidr(d, &v))
                    .map(|n| n.to_string());
                stack.networks.push(ir::StackNetwork { name: name.0, internal, subnet });
            }
            "secret" => {
                let file = r.str_prop("file", "\"./secrets/db_password.txt\"").and_then(|v| {
                    let ok = v.value.starts_with("./")
                        && !v.value.contains("..")
                        && v.value.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
                    if !ok {
                        d.push(
                            Diagnostic::error(
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
                    d.push(Diagnostic::error(Kind::Missing, "`secret` needs a `file`").at(c.name.span, "no file").help("for example: `secret db_password file=\"./secrets/db_password.txt\"`; the file holds the secret, the spec only its name"));
                }
                if r.has_prop("value") {
                    d.push(
                        Diagnostic::error(Kind::UnsafeValue, "secrets never appear in a spec")
                            .at(r.prop("value").unwrap().span, "a secret in plain text")
                            .help("put it in the `file` instead"),
                    );
                }
                if let Some(file) = file {
                    stack.secrets.push(ir::Secret { name: name.0, file });
                }
            }
            _ => {
                let device = r
                    .str_prop("device", "\"/opt/pynomaly/data/postgres\"")
                    .and_then(|v| validate::path(d, &v, "device", false));
                stack.volumes.push(ir::StackVolume { name: name.0, device });
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
    Some(stack)
}

fn refer(
    d: &Diags,
    spans: &std::collections::BTreeMap<(String, String), Span>,
    kind: &str,
    v: &Spanned<String>,
) -> Option<String> {
    if spans.contains_key(&(kind.to_string(), v.value.clone())) {
        return Some(v.value.clone());
    }
    let names: Vec<&str> = spans.keys().filter(|(k, _)| k == kind).map(|(_, n)| n.as_str()).collect();
    d.push(
        Diagnostic::error(Kind::UnknownReference, format!("no {kind} named `{}`", v.value))
            .at(v.span, format!("not defined in `compose`"))
            .help(if names.is_empty() {
                format!("define it: `{kind} {} …` in `compose`", v.value)
            } else {
                unknown_help(&v.value, &names)
            }),
    );
    None
}

#[allow(clippy::too_many_arguments)]
fn service(
    n: &Node,
    d: &Diags,
    stack: &ir::Stack,
    spans: &std::collections::BTreeMap<(String, String), Span>,
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
            Diagnostic::error(Kind::Missing, "`service` needs an `image`")
                .at(n.name.span, "no image")
                .help("for example: `image=\"postgres:15-bookworm\"`, or the name of the `image` node"),
        );
        return None;
    };
    let app = img.filter(|i| i.name == image_v.value);
    let (kind, image, user, f) = if let Some(i) = app {
        ("app", i.name.clone(), format!("{}:{}", i.uid, i.gid), None)
    } else {
        let image = word(d, &image_v, "image reference", ":/@")?;
        if !image.contains(':') || image.ends_with(":latest") {
            d.push(
                Diagnostic::error(Kind::InvalidValue, format!("`{image}` is not pinned"))
                    .at(image_v.span, "unpinned image")
                    .help("name a tag, e.g. `postgres:15-bookworm`"),
            );
            return None;
        }
        match facts(&image) {
            Some((repo, f)) if repo == "postgres" || repo == "redis" => {
                (if repo == "postgres" { "postgres" } else { "redis" }, image, f.user.to_string(), Some(f))
            }
            _ => {
                let Some(u) = &user_v else {
                    d.push(Diagnostic::error(Kind::Missing, format!("pynoc knows no uid for `{image}`")).at(image_v.span, "unknown image").help("add `user=\"UID:GID\"` with the uid the image really runs as (known: postgres, redis, and the spec's own `image`)"));
                    return None;
                };
                ("other", image, u.value.clone(), None)
            }
        }
    };
    // The uid compose runs the service as must be the one the image really has.
    if let Some(u) = &user_v
        && u.value != user
        && kind != "other"
    {
        let source = if kind == "app" { "the Dockerfile creates" } else { "the image runs as" };
        d.push(
            Diagnostic::error(
                Kind::Conflict,
                format!("`{}` would run as {}, but {source} {user}", name_v.value, u.value),
            )
            .at(u.span, "not the image's uid")
            .help(format!("remove `user`: pynoc sets `{user}`, the uid of `{image}`")),
        );
    }
    if !user.split_once(':').is_some_and(|(a, b)| a.parse::<u32>().is_ok_and(|a| a > 0) && b.parse::<u32>().is_ok()) {
        d.push(
            Diagnostic::error(Kind::InvalidValue, format!("`{user}` is not a non-root UID:GID"))
                .at(user_v.as_ref().map(|u| u.span).unwrap_or(image_v.span), "not UID:GID")
                .help("write numbers, e.g. `\"1001:1001\"`; uid 0 is root"),
        );
    }
    let mut svc = ir::Service {
        name: name.clone().unwrap_or_default(),
        kind: kind.into(),
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
                    let ok = v.value.parse::<std::net::IpAddr>().is_ok();
                    if !ok {
                        d.push(
                            Diagnostic::error(
                                Kind::InvalidValue,
                                format!("`{}` is not an IP address", v.value.escape_debug()),
                            )
                            .at(v.span, "not an address")
                            .help("write `\"127.0.0.1\"` to publish to the host's nginx only"),
                        );
                    }
                    ok.then_some(v.value)
                });
                let target = cr.int_prop("target", 1, 65535).map(|v| v.value as u16);
                if kind == "postgres" || kind == "redis" {
                    d.push(Diagnostic::error(Kind::Conflict, format!("`{}` must not publish ports", name_v.value)).at(c.name.span, "published database or cache").help("the database and the cache stay on an internal network; the application reaches them there"));
                }
                if let Some(p) = port {
                    let host_ip = host_ip.unwrap_or_else(|| "127.0.0.1".into());
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
                    svc.volumes.push(ir::VolumeMount { volume, target, read_only });
                }
            }
            "tmpfs" => {
                let target = cr
                    .str_arg(0, "a path", "`tmpfs \"/tmp\" size=\"100m\"`")
                    .and_then(|v| validate::path(d, &v, "tmpfs path", false));
                let size = cr.str_prop("size", "\"100m\"").and_then(|v| {
                    let digits = v.value.trim_end_matches(['k', 'm', 'g']);
                    let ok = !digits.is_empty()
                        && digits.chars().all(|c| c.is_ascii_digit())
                        && v.value.len() - digits.len() <= 1;
                    if !ok {
                        d.push(
                            Diagnostic::error(
                                Kind::InvalidValue,
                                format!("`{}` is not a size", v.value.escape_debug()),
                            )
                            .at(v.span, "not a size")
                            .help("write `\"100m\"`"),
                        );
                    }
                    ok.then_some(v.value)
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
                    if k == "DATABASE_USER" && (v == "postgres" || pg.and_then(|p| p.owner.as_ref()) == Some(&v)) {
                        d.push(
                            Diagnostic::error(
                                Kind::Conflict,
                                format!("the application would connect as `{v}`, which bypasses row-level security"),
                            )
                            .at(span, "superuser or owner")
                            .help("connect as the application role of the `postgres` section, e.g. `pynomaly_app`"),
                        );
                    }
                    svc.env.push(ir::EnvVar { name: k, value: v });
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
                            Diagnostic::error(Kind::UnknownReference, format!("no other service named `{}`", v.value))
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
        "app" => {
            let i = app.expect("app");
            if let Some(h) = &i.healthcheck {
                svc.healthcheck = vec!["CMD".into(), "python".into(), "-c".into(), health_probe(i.port, &h.path)];
            }
        }
        "postgres" => {
            let f = f.expect("facts");
            svc.tmpfs = f.runtime.iter().map(|t| format!("{t}:size=64m,noexec,nosuid,nodev")).collect();
            let db = database
                .map(|v| v.value)
                .or_else(|| pg.map(|p| p.database.clone()))
                .unwrap_or_else(|| "postgres".into());
            if svc.secrets.len() != 1 {
                d.push(
                    Diagnostic::error(
                        Kind::Missing,
                        format!("`{}` needs exactly one `secret`: the superuser's password", name_v.value),
                    )
                    .at(n.name.span, "password secret")
                    .help("add `secret db_password`; the image reads it through POSTGRES_PASSWORD_FILE"),
                );
            }
            svc.env = vec![
                ir::EnvVar { name: "POSTGRES_DB".into(), value: db.clone() },
                ir::EnvVar { name: "POSTGRES_USER".into(), value: "postgres".into() },
                ir::EnvVar {
                    name: "POSTGRES_PASSWORD_FILE".into(),
                    value: format!("/run/secrets/{}", svc.secrets.first().cloned().unwrap_or_default()),
                },
                ir::EnvVar { name: "PGDATA".into(), value: f.data.to_string() },
            ];
            svc.healthcheck = vec!["CMD".into(), "pg_isready".into(), "-U".into(), "postgres".into(), "-d".into(), db];
        }
        "redis" => {
            let f = f.expect("facts");
            svc.tmpfs = f.runtime.iter().map(|t| format!("{t}:size=16m,noexec,nosuid,nodev")).collect();
            let Some(secret) = svc.secrets.first().cloned() else {
                d.push(
                    Diagnostic::error(Kind::Missing, format!("`{}` needs a `secret`: its password", name_v.value))
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
                            Diagnostic::error(
                                Kind::InvalidValue,
                                format!("`{}` is not a redis memory size", v.value.escape_debug()),
                            )
                            .at(v.span, "not a size")
                            .help("write `\"512mb\"`"),
                        );
                    }
                    ok.then_some(v.value)
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
            Diagnostic::error(Kind::Missing, format!("`{}` is on no network", name_v.value))
                .at(n.name.span, "no network")
                .help("add `networks backend` (define networks in `compose`)"),
        );
    }
    if kind == "postgres" || kind == "redis" {
        for net in &svc.networks {
            if stack.networks.iter().any(|x| x.name == *net && !x.internal) {
                d.push(
                    Diagnostic::error(
                        Kind::Conflict,
                        format!("`{}` is on `{net}`, which is not internal", name_v.value),
                    )
                    .at(n.name.span, "reachable from outside")
                    .help(format!("put databases and caches on an `internal=#true` network only")),
                );
            }
        }
    }
    name?;
    Some(svc)
}

/// A health probe that needs no curl: the image's own Python asks the application.
fn health_probe(port: u16, path: &str) -> String {
    format!(
        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=5).status == 200 else 1)"
    )
}

fn cpus(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = v.value.parse::<f64>().is_ok_and(|f| f > 0.0 && f <= 256.0);
    if !ok {
        d.push(
            Diagnostic::error(Kind::InvalidValue, format!("`{}` is not a CPU count", v.value.escape_debug()))
                .at(v.span, "not CPUs")
                .help("write a number of CPUs, e.g. `\"2.0\"`"),
        );
    }
    ok.then(|| v.value.clone())
}

fn mem(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let digits = v.value.trim_end_matches(['K', 'M', 'G']);
    let ok = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && v.value.len() - digits.len() == 1;
    if !ok {
        d.push(
            Diagnostic::error(Kind::InvalidValue, format!("`{}` is not a memory size", v.value.escape_debug()))
                .at(v.span, "not a size")
                .help("write a number with `K`, `M` or `G`, e.g. `\"512M\"`"),
        );
    }
    ok.then(|| v.value.clone())
}
