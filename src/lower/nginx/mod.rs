//! `nginx version=… client-max-body-size=… { logs …; module …; zone …; upstream …; site … }`

use crate::ast::{Node, Spanned};
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;
use crate::stdlib::Release;

use super::node::{Reader, Seen, children, one_of};
use super::validate;

mod site;

use site::site;

const NODES: &[&str] = &["logs", "module", "zone", "upstream", "site"];
const MODULES: &[&str] = &["headers-more"];
/// The first nginx version that has `http2 on;` (and deprecates `listen … http2`).
const HTTP2_DIRECTIVE: (u32, u32, u32) = (1, 25, 1);

pub(crate) fn lower(
    n: &Node,
    d: &Diags,
    o: &super::Scope,
    domain: Option<&str>,
    release: &'static Release,
) -> Option<ir::Nginx> {
    let mut nginx = http(n, d, release);
    let mut zone_spans = Seen::new("zone");
    let mut upstream_spans = Seen::new("upstream");
    let cs = children(n, NODES, &["logs"], d);
    for c in cs.iter().filter(|c| c.name() != "site") {
        let cr = Reader::new(c, d);
        match c.name() {
            "logs" => logs(&cr, &mut nginx),
            "module" => {
                for m in cr.str_args(0, "a module name", "`module headers-more`") {
                    if let Some(m) = one_of(d, "`module`", &m, MODULES)
                        && !nginx.modules.contains(&m)
                    {
                        nginx.modules.push(m);
                    }
                }
            }
            "zone" => nginx.zones.extend(zone(&cr, c, &mut zone_spans)),
            "upstream" => nginx.upstreams.extend(upstream(&cr, c, &mut upstream_spans)),
            _ => {}
        }
        if c.name() == "upstream" {
            cr.block_done();
        } else {
            cr.leaf_done();
        }
    }
    let scope = Scope { zones: zone_spans.all(), upstreams: upstream_spans.all(), project: o };
    let mut names_seen = Seen::new("site");
    for c in cs.iter().filter(|c| c.name() == "site") {
        if let Some(site) = site(c, d, &scope, domain, &mut names_seen, release) {
            nginx.sites.push(site);
        }
    }
    if nginx.sites.is_empty() && !cs.iter().any(|c| c.name() == "site") {
        d.push(
            Diagnostic::new(Kind::Missing, "`nginx` has no `site`")
                .at(n.name.span, "nothing to serve")
                .help("add `site \"api.example.com\" { tls …; location \"/\" proxy=backend }`"),
        );
    }
    nginx.listens_http = nginx.sites.iter().any(|s| s.http);
    let mut protocols: Vec<String> = nginx.sites.iter().flat_map(|s| s.tls.protocols.iter().cloned()).collect();
    protocols.sort();
    protocols.dedup();
    nginx.default_protocols = protocols;
    Some(nginx)
}

/// The `nginx` node's own properties: the version it writes for, the body size, the
/// connections per address.
fn http(n: &Node, d: &Diags, release: &'static Release) -> ir::Nginx {
    let r = Reader::new(n, d);
    // Without `version`, the release's nginx.
    let said = r.str_prop("version", "\"1.22\"");
    let ships = crate::grammar::nginx_version(&release.nginx);
    if let Some(v) = &said
        && let (Some(want), Some(ships)) = (crate::grammar::nginx_version(&v.value), ships)
        && (want.0, want.1) != (ships.0, ships.1)
    {
        d.push(
            Diagnostic::new(
                Kind::ReleaseVersion,
                format!("nginx `{}` is not the nginx {} ships ({})", v.value, release.title, release.nginx),
            )
            .at(v.span, "another version than the host's")
            .help(format!(
                "remove `version`: pynoc then writes for the release's nginx {}; keep it, with a waiver, only when nginx comes from elsewhere (nginx.org's packages)",
                release.nginx
            )),
        );
    }
    let version = said
        .and_then(|v| version(d, &v))
        .or_else(|| version(d, &Spanned { value: release.nginx.clone(), span: n.name.span }))
        .unwrap_or(("1.22".into(), (1, 22, 0)));
    // `size` refuses `0`: to nginx it means "no limit on request bodies".
    let client_max_body_size =
        r.str_prop("client-max-body-size", "\"100m\"").and_then(|v| size(d, &v)).unwrap_or_else(|| "1m".into());
    let limit_conn = r
        .int_prop("limit-conn", 1, 100_000)
        .map(|v| v.value as u32)
        .unwrap_or(crate::stdlib::nginx_hardening().limit_conn.per_address);
    r.block_done();
    ir::Nginx {
        span: n.name.span,
        version: version.0,
        http2_directive: version.1 >= HTTP2_DIRECTIVE,
        listens_http: true,
        access_log: "/var/log/nginx/access.log".into(),
        error_log: "/var/log/nginx/error.log".into(),
        client_max_body_size,
        limit_conn,
        modules: Vec::new(),
        zones: Vec::new(),
        upstreams: Vec::new(),
        sites: Vec::new(),
        default_protocols: Vec::new(),
    }
}

/// `logs access=… error=…`: where nginx writes, inside its allow-list.
fn logs(cr: &Reader, nginx: &mut ir::Nginx) {
    let d = cr.d;
    let place = |v: Spanned<String>| validate::placed(d, &v, crate::syspaths::Place::NginxLog, "");
    if let Some(p) = cr.str_prop("access", "\"/var/log/nginx/access.log\"").and_then(place) {
        nginx.access_log = p;
    }
    if let Some(p) = cr.str_prop("error", "\"/var/log/nginx/error.log\"").and_then(place) {
        nginx.error_log = p;
    }
}

/// `zone NAME rate=… [size=…]`, each name once.
fn zone(cr: &Reader, c: &Node, seen: &mut Seen) -> Option<ir::Zone> {
    let d = cr.d;
    let name = cr
        .str_arg(0, "a name", "`zone api rate=\"100r/m\"`")
        .and_then(|v| validate::ident(d, &v, "zone name", 32).map(|n| (n, v.span)));
    let rate = cr.str_prop("rate", "\"100r/m\"").and_then(|v| rate(d, &v));
    if rate.is_none() && !cr.has_prop("rate") {
        d.push(
            Diagnostic::new(Kind::Missing, "`zone` needs a `rate`")
                .at(c.name.span, "no rate")
                .help("for example: `zone api rate=\"100r/m\"`"),
        );
    }
    let size = cr.str_prop("size", "\"10m\"").and_then(|v| size(d, &v)).unwrap_or_else(|| "10m".into());
    let ((name, span), rate) = (name?, rate?);
    seen.first(d, &name, span).then_some(ir::Zone { name, rate, size })
}

/// `upstream NAME [keepalive=…] { server ADDRESS… }`, each name once.
fn upstream(cr: &Reader, c: &Node, seen: &mut Seen) -> Option<ir::Upstream> {
    let d = cr.d;
    let name = cr
        .str_arg(0, "a name", "`upstream backend { server \"127.0.0.1:8000\" }`")
        .and_then(|v| validate::ident(d, &v, "upstream name", 32).map(|n| (n, v.span)));
    let keepalive = cr.int_prop("keepalive", 0, 1024).map(|v| v.value as u32).unwrap_or(16);
    let mut servers = Vec::new();
    for s in children(c, &["server"], &[], d) {
        let sr = Reader::new(s, d);
        if let Some(a) = sr.str_arg(0, "an address", "`server \"127.0.0.1:8000\"`").and_then(|v| address(d, &v)) {
            servers.push(a);
        }
        sr.leaf_done();
    }
    if servers.is_empty() && c.children().is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, "`upstream` has no server")
                .at(c.name.span, "no server")
                .help("add `server \"127.0.0.1:8000\"` inside its block"),
        );
    }
    let (name, span) = name?;
    seen.first(d, &name, span).then_some(ir::Upstream { span: c.name.span, name, servers, keepalive })
}

pub(super) struct Scope<'a> {
    pub(super) zones: &'a [(String, crate::ast::Span)],
    pub(super) upstreams: &'a [(String, crate::ast::Span)],
    /// The project's networks, for `allow from=…`.
    pub(super) project: &'a super::Scope,
}

/// `"1.22"` or `"1.25.1"`.
fn version(d: &Diags, v: &Spanned<String>) -> Option<(String, (u32, u32, u32))> {
    match crate::grammar::nginx_version(&v.value) {
        Some(version) => Some((v.value.clone(), version)),
        None => {
            d.push(
                Diagnostic::new(
                    Kind::InvalidValue,
                    format!("`{}` is not an nginx version pynoc supports", v.value.escape_debug()),
                )
                .at(v.span, "not a supported version")
                .help("write the version the host runs, 1.18 or later: `\"1.22\"` (Debian 12), `\"1.26.3\"`"),
            );
            None
        }
    }
}

fn size(d: &Diags, v: &Spanned<String>) -> Option<String> {
    if validate::zero_limit(d, v, "size") {
        return None;
    }
    let s = v.value.to_ascii_lowercase();
    let ok = crate::grammar::nginx_size(&s);
    let message = format!("`{}` is not a size", v.value.escape_debug());
    validate::accept(
        d,
        v,
        ok,
        Kind::InvalidValue,
        message,
        "not a size",
        "write a number with an optional unit `k`, `m` or `g`, e.g. `\"10m\"`",
    )
    .map(|_| s)
}

fn rate(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = crate::grammar::rate(&v.value);
    let message = format!("`{}` is not a request rate", v.value.escape_debug());
    validate::accept(
        d,
        v,
        ok,
        Kind::InvalidValue,
        message,
        "not a rate",
        "write requests per second or minute: `\"10r/s\"`, `\"100r/m\"`",
    )
}

/// `127.0.0.1:8000`, `[::1]:8000`, `app.internal:8000` or `unix:/run/app.sock`.
fn address(d: &Diags, v: &Spanned<String>) -> Option<ir::UpstreamServer> {
    let s = &v.value;
    let server = if let Some(path) = s.strip_prefix("unix:") {
        (path.starts_with('/') && path.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)))
            .then(|| ir::UpstreamServer::Unix(path.to_string()))
    } else if let Ok(sock) = s.parse::<std::net::SocketAddr>() {
        (sock.port() != 0).then_some(ir::UpstreamServer::Socket(sock))
    } else {
        s.rsplit_once(':').and_then(|(host, port)| {
            let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
            crate::grammar::upstream_host(host).then(|| ir::UpstreamServer::Host { host: host.to_string(), port })
        })
    };
    let message = format!("`{}` is not an upstream address", s.escape_debug());
    let help = "write `127.0.0.1:8000`, `[::1]:8000`, `app.internal:8000` or `unix:/run/app.sock`";
    validate::accept(d, v, server.is_some(), Kind::InvalidValue, message, "not ADDRESS:PORT", help)?;
    server
}
