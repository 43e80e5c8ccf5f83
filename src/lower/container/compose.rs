//! `compose { network …; secret …; volume …; service … }`: the stack.

use std::collections::BTreeMap;

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;

use super::super::node::{Reader, children, duplicate};
use super::super::trace::Ty;
use super::super::validate;

/// An image reference's name and tag (`registry:5000/acme/pg:15@sha256:…` → `registry:5000/
/// acme/pg`, `15`): the digest dropped, a registry's port not taken for a tag.
pub(super) fn name_and_tag(image: &str) -> Option<(&str, &str)> {
    image.split('@').next()?.rsplit_once(':').filter(|(_, tag)| !tag.contains('/'))
}

/// The facts of a known image, from `stdlib/container/images.toml`: its repository and
/// the catalog entry (which lives as long as the program). The official image `image` is, by
/// meaning: Docker Hub's aliases of a library image (`docker.io/library/postgres`,
/// `library/postgres`, `index.docker.io/…`) are that image.
pub(super) fn facts(image: &str) -> Option<(String, &'static crate::stdlib::ImageFacts)> {
    let (name, tag) = name_and_tag(image)?;
    let repo = ["docker.io/", "index.docker.io/", "registry-1.docker.io/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    let repo = repo.strip_prefix("library/").unwrap_or(repo);
    let flavour = if tag.contains("alpine") { "alpine" } else { "debian" };
    let f = crate::stdlib::images().image.get(&format!("{repo}-{flavour}"))?;
    Some((repo.to_string(), f))
}

pub(super) fn compose(
    n: &Node,
    d: &Diags,
    images: &[ir::Image],
    pg: Option<&ir::Postgres>,
    pg_failed: bool,
    project: &str,
) -> Option<ir::Stack> {
    Reader::new(n, d).block_done();
    let mut stack = ir::Stack {
        networks: Vec::new(),
        services: Vec::new(),
        secrets: Vec::new(),
        volumes: Vec::new(),
        database: None,
    };
    let mut spans: BTreeMap<(String, String), Span> = Default::default();
    let cs = children(n, &["network", "secret", "volume", "service"], &[], d);
    let mut devices: Vec<(String, Span)> = Vec::new();
    for c in cs.iter().filter(|c| c.name() != "service") {
        let r = Reader::new(c, d);
        let Some(name) = r
            .str_arg(0, "a name", "`network backend internal=#true`")
            .and_then(|v| validate::ident(d, &v, c.name(), 63).map(|x| (x, v.span)))
        else {
            r.leaf_done();
            continue;
        };
        let key = (c.name().to_string(), name.0.clone());
        if let Some(first) = spans.get(&key) {
            d.push(duplicate(&format!("{} {}", c.name(), name.0), name.1, *first));
            r.leaf_done();
            continue;
        }
        spans.insert(key, name.1);
        match c.name() {
            "network" => {
                let internal = r.bool_prop("internal").map(|v| v.value).unwrap_or(false);
                let subnet = r.str_prop("subnet", "\"172.20.0.0/16\"").and_then(|v| validate::cidr(d, &v));
                stack.networks.push(ir::StackNetwork { span: name.1, name: name.0, internal, subnet });
            }
            "secret" => stack.secrets.extend(secret(&r, c, name.0)),
            _ => stack.volumes.push(volume(&r, name, project, &mut devices)),
        }
        r.leaf_done();
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
        if let Some(svc) = super::service::service(c, d, &stack, &spans, images, pg, &service_names) {
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

/// `secret NAME file="./secrets/FILE"`: a file of `./secrets/`, never the secret itself.
fn secret(r: &Reader, c: &Node, name: String) -> Option<ir::Secret> {
    let d = r.d;
    let file = r.str_prop("file", "\"./secrets/db_password.txt\"").and_then(|v| {
        let safe = v.value.starts_with("./")
            && !v.value.split('/').any(|c| c == "..")
            && v.value.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
        if !safe {
            d.push(
                Diagnostic::new(
                    Kind::InvalidValue,
                    format!("`{}` is not a relative file path", v.value.escape_debug()),
                )
                .at(v.span, "not ./PATH")
                .help("secret files live next to the compose file: `\"./secrets/NAME.txt\"`"),
            );
            return None;
        }
        // By meaning: prepare.sh (root) gives the file to the service's user, so it
        // must be a file of secrets/ (root's, 0700) and nothing else next to the
        // compose file: `./prepare.sh` or `./docker-compose.yml` would be handed to
        // a container's user, and root runs or reads them next.
        let parts: Vec<&str> = v.value.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
        match parts.as_slice() {
            ["secrets", name] if !name.starts_with('.') => Some(format!("./secrets/{name}")),
            _ => {
                d.push(
                    Diagnostic::new(
                        Kind::SystemPath,
                        format!(
                            "`{}` is not a file of `./secrets/`: prepare.sh (root) gives a secret file to the service's user",
                            v.value.escape_debug()
                        ),
                    )
                    .at(v.span, "outside ./secrets/")
                    .help("name a file directly in `./secrets/`, e.g. `\"./secrets/NAME.txt\"`"),
                );
                None
            }
        }
    });
    if !r.has_prop("file") {
        d.push(Diagnostic::new(Kind::Missing, "`secret` needs a `file`").at(c.name.span, "no file").help("for example: `secret db_password file=\"./secrets/db_password.txt\"`; the file holds the secret, the spec only its name"));
    }
    if let Some(v) = r.refused_prop("value", Ty::Refused) {
        d.push(
            Diagnostic::new(Kind::PlaintextSecret, "secrets never appear in a spec")
                .at(v.span, "a secret in plain text")
                .help("put it in the `file` instead"),
        );
    }
    Some(ir::Secret { name, file: file?, source: ir::SecretSource::Random, owner: String::new(), mode: String::new() })
}

/// `volume NAME device="/srv/PROJECT/…"`: a directory of its own, inside the volumes'
/// allow-list and not inside another volume's.
fn volume(r: &Reader, name: (String, Span), project: &str, devices: &mut Vec<(String, Span)>) -> ir::StackVolume {
    let d = r.d;
    let device = r.str_prop("device", "\"/opt/pynomaly/data/postgres\"").and_then(|v| {
        let p = validate::placed(d, &v, crate::syspaths::Place::VolumeDevice, project)?;
        // One device inside another: the outer one's owner (a container user)
        // could replace the inner directory that root chowns and binds.
        if let Some((other, at)) = devices.iter().find(|(o, _)| crate::syspaths::overlap(o, &p)) {
            d.push(
                Diagnostic::new(
                    Kind::PathOverlap,
                    format!("volume directories `{p}` and `{other}` lie one inside the other"),
                )
                .at(v.span, "nested volume directory")
                .also(*at, "the other volume's directory")
                .help("give each volume a directory of its own, side by side, e.g. `/srv/NAME/data/db` and `/srv/NAME/data/cache`"),
            );
            return None;
        }
        devices.push((p.clone(), v.span));
        Some(p)
    });
    let device_span = r.prop("device").map(|v| v.span).unwrap_or(name.1);
    ir::StackVolume { name: name.0, device, device_span, owner: String::new(), mode: String::new() }
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

/// A health probe that needs no curl: the image's own Python asks the application.
pub(super) fn health_probe(port: u16, path: &str) -> String {
    format!(
        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=5).status == 200 else 1)"
    )
}

pub(super) fn cpus(d: &Diags, v: &Spanned<String>) -> Option<String> {
    // `0` is "no limit" to compose, so it is out of range like any other non-positive count.
    let ok = crate::grammar::cpus(&v.value);
    let message = format!("`{}` is not a CPU count", v.value.escape_debug());
    validate::accept(d, v, ok, Kind::InvalidValue, message, "not CPUs", "write a number of CPUs, e.g. `\"2.0\"`")
}

pub(super) fn mem(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = crate::grammar::mem(&v.value);
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
