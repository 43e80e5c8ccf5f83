//! `container { image NAME base=… user=… uid=… gid=… port=… { … }; compose { … } }`

use crate::ast::{Node, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::{Reader, children};
use super::validate;

mod compose;
mod service;
pub(crate) mod wiring;

use compose::compose;

/// `pg_failed`: the spec has a `postgres` section that did not lower (its errors are
/// reported); the stack is then not checked against it.
pub(crate) fn lower(
    n: &Node,
    d: &Diags,
    pg: Option<&ir::Postgres>,
    pg_failed: bool,
    project: &str,
) -> Option<ir::Container> {
    Reader::new(n, d).block_done();
    let cs = children(n, &["image", "compose"], &["compose"], d);
    let mut images: Vec<ir::Image> = Vec::new();
    let mut seen = super::node::Seen::new("image");
    for c in cs.iter().filter(|c| c.name() == "image") {
        let Some(mut img) = image(c, d) else { continue };
        let at = c.args.first().map_or(c.name.span, |a| a.span);
        if !seen.first(d, &img.name, at) {
            continue;
        }
        // Every image after the first has files named by it, beside the database's.
        if !images.is_empty() {
            if !crate::artifact::Kind::instance_name(&img.name) {
                d.push(
                    Diagnostic::new(Kind::ReservedName, format!("a second image cannot be called `{}`", img.name))
                        .at(at, "its Dockerfile would be the database's")
                        .help(
                            "pynoc writes `postgres.Dockerfile` for the database's image: give this image another name",
                        ),
                );
                continue;
            }
            img.dockerfile = format!("{}.Dockerfile", img.name);
        }
        images.push(img);
    }
    let compose =
        cs.iter().find(|c| c.name() == "compose").and_then(|c| compose(c, d, &images, pg, pg_failed, project));
    Some(ir::Container { span: n.name.span, images, compose })
}

/// A word that is safe in a Dockerfile, YAML and a shell: package names, image references.
pub(super) fn word(d: &Diags, v: &Spanned<String>, what: &str, extra: &str) -> Option<String> {
    let ok = crate::grammar::word(&v.value, extra);
    let message = format!("{what} `{}` is not valid", v.value.escape_debug());
    validate::accept(
        d,
        v,
        ok,
        Kind::UnsafeValue,
        message,
        &format!("not a {what}"),
        &format!("a {what} is letters, digits and `._-+{extra}`"),
    )
}

/// A Debian package name as policy defines it (lowercase letters, digits, `+`, `-`, `.`; at
/// least two characters, starting with a letter or digit): it reaches `apt-get install` as
/// a word, so a leading `-` would be an option (`--allow-unauthenticated`).
fn package(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    validate::accept(
        d,
        v,
        crate::grammar::package(s),
        Kind::UnsafeValue,
        format!("package name `{}` is not valid", s.escape_debug()),
        "not a Debian package name",
        "a package name is lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit; \
         options for apt-get are never taken from the spec",
    )
}

pub(super) fn duration(r: &Reader, name: &'static str, default: u64) -> ir::Seconds {
    ir::Seconds(r.duration_prop(name, 1, 3600).map(|v| v.value).unwrap_or(default))
}

pub(super) fn env_value(d: &Diags, v: &Spanned<String>) -> Option<String> {
    if !crate::grammar::env_value(&v.value) {
        d.push(
            Diagnostic::new(Kind::UnsafeValue, "this environment value is not safe to write")
                .at(v.span, "unsafe value")
                .help("one line of text; it is written as quoted data, never as a secret: put secrets in a `secret`"),
        );
        return None;
    }
    let lower = v.value.to_lowercase();
    if lower.contains("password=") || lower.contains("://") && lower.contains('@') {
        d.push(
            Diagnostic::new(Kind::PlaintextSecret, "this value looks like it holds a secret")
                .at(v.span, "a secret in plain text")
                .help("secrets never appear in a spec: use a `secret` file (`*_FILE` variables)"),
        );
        return None;
    }
    Some(v.value.clone())
}

/// Variables that make the loader or an interpreter read code from another place: set to a
/// writable directory, they run what the application (or an attacker in it) wrote there.
pub const LOADER_VARIABLES: &[&str] = &[
    "BASH_ENV",
    "ENV",
    "GCONV_PATH",
    "LD_AUDIT",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PATH",
    "PERL5LIB",
    "PERL5OPT",
    "PERLLIB",
    "PYTHONBREAKPOINT",
    "PYTHONEXECUTABLE",
    "PYTHONHOME",
    "PYTHONINSPECT",
    "PYTHONPATH",
    "PYTHONPLATLIBDIR",
    "PYTHONPYCACHEPREFIX",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "PYTHONWARNINGS",
    "RUBYLIB",
    "RUBYOPT",
];

pub(super) fn env_name(d: &Diags, v: &Spanned<String>) -> Option<String> {
    if LOADER_VARIABLES.contains(&v.value.as_str()) || v.value.starts_with("LD_") {
        d.push(
            Diagnostic::new(
                Kind::CodePath,
                format!("`{}` changes where the loader or the interpreter finds code", v.value),
            )
            .at(v.span, "a code search path")
            .help("leave it as the image sets it: the code stays root-owned and read-only only if nothing points the process elsewhere"),
        );
        return None;
    }
    let ok = crate::grammar::env_name(&v.value);
    let message = format!("`{}` is not an environment variable name", v.value.escape_debug());
    validate::accept(
        d,
        v,
        ok,
        Kind::InvalidValue,
        message,
        "not a variable name",
        "use uppercase letters, digits and `_`",
    )
}

fn image(n: &Node, d: &Diags) -> Option<ir::Image> {
    let r = Reader::new(n, d);
    let name = r
        .str_arg(0, "a name", "`image pynomaly-api base=\"python:3.11-slim-bookworm\" …`")
        .and_then(|v| validate::ident(d, &v, "image name", 63));
    let base = r.str_prop("base", "\"python:3.11-slim-bookworm\"").and_then(|v| {
        let w = word(d, &v, "image reference", ":/@")?;
        if !w.contains(':') || w.ends_with(":latest") {
            d.push(Diagnostic::new(Kind::InvalidValue, format!("`{w}` is not pinned")).at(v.span, "unpinned base").help("name a tag that pins the release, e.g. `python:3.11-slim-bookworm`"));
            return None;
        }
        if !w.starts_with("python:") || !w.contains("-slim-") && !w.ends_with("-slim") {
            d.push(Diagnostic::new(Kind::Unsupported, format!("`{w}` is not a Debian slim Python image")).at(v.span, "unsupported base").help("pynoc's Dockerfile targets the official `python:X.Y-slim-DEBIAN` images (apt, /usr/local/bin/python)"));
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
                Diagnostic::new(Kind::Missing, format!("`image` needs `{p}`"))
                    .at(n.name.span, format!("no `{p}`"))
                    .help(format!("for example: `{ex}`: a fixed uid is what compose runs the service as")),
            );
        }
    }
    r.block_done();
    let mut img = ir::Image {
        name: name.clone().unwrap_or_default(),
        dockerfile: "Dockerfile".into(),
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
            ir::EnvVar::pynoc("PYTHONDONTWRITEBYTECODE", "1".into()),
            ir::EnvVar::pynoc("PYTHONUNBUFFERED", "1".into()),
        ],
        cmd: Vec::new(),
        ignore: Vec::new(),
        ignore_always: [
            ".git",
            ".env",
            ".env.*",
            "**/__pycache__",
            "**/*.pyc",
            "tests/",
            "docs/",
            "*.md",
            "secrets/",
            // pynoc's files next to the compose file, which prepare.sh copies for the database.
            "postgres-conf/",
            "prepare.sh",
            "postgres-apply.sh",
            "Dockerfile",
            ".dockerignore",
            "*.Dockerfile",
            "*.Dockerfile.dockerignore",
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
            "build-packages" | "packages" => packages(d, c, &cr, &mut img),
            "requirements" => requirements(d, &cr, &mut img),
            "writable" => writable(d, &cr, &mut img),
            "env" => env(d, c, &cr, &mut img),
            "healthcheck" => healthcheck(d, &cr, &mut img),
            "cmd" => cmd(d, c, &cr, &mut img),
            _ => ignore(d, &cr, &mut img),
        }
        cr.leaf_done();
    }
    image_runs_nothing_writable(d, n, &img);
    if img.cmd.is_empty() && !n.children().iter().any(|c| c.name() == "cmd") {
        d.push(
            Diagnostic::new(Kind::Missing, "`image` needs a `cmd`")
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

/// The command runs nothing from a `writable` directory: a word of `cmd` that is a path
/// (alone or after `=`) inside one would run what the application wrote there (E046).
fn image_runs_nothing_writable(d: &Diags, n: &Node, img: &ir::Image) {
    for c in n.children().iter().filter(|c| c.name() == "cmd") {
        runs_nothing_writable(d, "cmd", &c.args, &img.writable);
    }
}

/// A command's words (`cmd` of the image, `command` of a service) name no path inside a
/// writable directory of the image.
pub(super) fn runs_nothing_writable(d: &Diags, what: &str, args: &[Spanned<Value>], writable: &[String]) {
    for a in args {
        let Value::String(word) = &a.value else { continue };
        let path = word.rsplit_once('=').map_or(word.as_str(), |(_, p)| p);
        let Some(p) = crate::syspaths::canonical(path) else { continue };
        if let Some(w) = writable.iter().find(|w| crate::syspaths::within(&p, w)) {
            d.push(
                Diagnostic::new(Kind::CodePath, format!("`{what}` runs `{p}`, inside the writable directory `{w}`"))
                    .at(a.span, "code the application can rewrite")
                    .help(
                        "run code from the image (`/app`, a module with `-m`); keep data in the writable directories",
                    ),
            );
        }
    }
}

/// `packages …` and `build-packages …`: Debian package names.
fn packages(d: &Diags, c: &Node, cr: &Reader, img: &mut ir::Image) {
    let list: Vec<String> =
        cr.str_args(0, "a package", "`packages libpq5`").iter().filter_map(|p| package(d, p)).collect();
    if c.name() == "packages" { img.packages = list } else { img.build_packages = list }
}

/// `requirements FILE`: the pip requirements in the build context.
fn requirements(d: &Diags, cr: &Reader, img: &mut ir::Image) {
    if let Some(v) =
        cr.str_arg(0, "a file", "`requirements \"requirements.txt\"`").and_then(|v| word(d, &v, "file name", "/"))
    {
        img.requirements = v;
    }
}

/// `writable DIR…`: directories the application may write.
fn writable(d: &Diags, cr: &Reader, img: &mut ir::Image) {
    for p in cr.str_args(0, "a directory", "`writable \"/app/logs\"`") {
        let owned = validate::path(d, &p, "directory", false).and_then(|canonical| {
            validate::handed_path(
                d,
                &p,
                &canonical,
                &[("/app", false, "the application's code"), ("/opt/venv", true, "the Python environment")],
                "the app user would own it, and could rewrite what runs",
            )
        });
        // A folder inside the code (`/app/logs`) is the app's own to write.
        if let Some(p) = owned {
            img.writable.push(p);
        }
    }
}

/// `env NAME VALUE`: never a secret, which would be in every layer.
fn env(d: &Diags, c: &Node, cr: &Reader, img: &mut ir::Image) {
    let name = cr.str_arg(0, "a name", "`env APP_ENV \"production\"`").and_then(|v| env_name(d, &v));
    let value = cr.str_arg(1, "a value", "`env APP_ENV \"production\"`").and_then(|v| env_value(d, &v));
    if let (Some(name), Some(value)) = (name, value) {
        if let Some(why) = validate::secret_like(&name, &value) {
            let at = cr.arg(1).map(|a| a.span).unwrap_or(c.name.span);
            d.push(
                    Diagnostic::new(Kind::PlaintextSecret, format!("`{name}` looks like a secret: {why}"))
                        .at(at, "baked into the image")
                        .help("an image `env` is in every layer and `docker inspect`: pass secrets at run time as a compose `secret` (a `*_FILE` variable)"),
                );
        } else {
            img.env.retain(|e| e.name != name);
            img.env.push(ir::EnvVar::spec(c.span, name, value));
        }
    }
}

/// `healthcheck PATH interval=… timeout=… start-period=… retries=…`.
fn healthcheck(d: &Diags, cr: &Reader, img: &mut ir::Image) {
    let path = cr.str_arg(0, "a path", "`healthcheck \"/health\"`").and_then(|p| {
        let ok = p.value.starts_with('/')
            && p.value.len() <= 200
            && p.value.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
        if !ok {
            d.push(
                Diagnostic::new(Kind::UnsafeValue, format!("`{}` is not a plain URL path", p.value.escape_debug()))
                    .at(p.span, "not a path")
                    .help("write a path such as `/health`"),
            );
        }
        ok.then_some(p.value)
    });
    let retries = cr.int_prop("retries", 1, 100).map(|v| v.value as u32).unwrap_or(3);
    img.healthcheck = path.map(|path| ir::Healthcheck {
        path,
        interval: duration(cr, "interval", 30),
        timeout: duration(cr, "timeout", 10),
        start_period: duration(cr, "start-period", 5),
        retries,
    });
}

/// The words of a command line (`cmd`, `command`): strings or integers, one line each.
pub(super) fn words(d: &Diags, c: &Node, cr: &Reader, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    crate::lower::trace::arg(c.name.span, 0, crate::lower::trace::Ty::Any, true);
    for i in 0..c.args.len() {
        let v = cr.arg(i).expect("in range");
        let s = match &v.value {
            Value::String(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            other => {
                d.push(
                    Diagnostic::new(Kind::WrongType, format!("`{what}` takes strings, found {}", other.type_name()))
                        .at(v.span, "not a word")
                        .help("quote it: `\"…\"`"),
                );
                continue;
            }
        };
        if s.chars().any(validate::hidden_char) {
            d.push(
                Diagnostic::new(Kind::UnsafeValue, format!("a `{what}` word holds a control character"))
                    .at(v.span, "unsafe")
                    .help("one line per word"),
            );
            continue;
        }
        out.push(s);
    }
    out
}

/// `cmd WORD…`: the exec-form command.
fn cmd(d: &Diags, c: &Node, cr: &Reader, img: &mut ir::Image) {
    img.cmd.extend(words(d, c, cr, "cmd"));
    if c.args.is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, "`cmd` needs the command")
                .at(c.name.span, "empty")
                .help("for example: `cmd python -m uvicorn \"app.main:app\"`"),
        );
    }
}

/// `ignore PATTERN…`: the spec's own .dockerignore patterns.
fn ignore(d: &Diags, cr: &Reader, img: &mut ir::Image) {
    for p in cr.str_args(0, "a pattern", "`ignore \"notebooks/\"`") {
        if let Some(p) = word(d, &p, ".dockerignore pattern", "/*?!") {
            img.ignore.push(p);
        }
    }
}
