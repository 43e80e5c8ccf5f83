//! `firewall incoming=deny outgoing=allow routed=deny { allow PORT|SERVICE proto=… from=… limit=… comment=…; deny …; reject … }`

use ipnet::IpNet;

use crate::ast::{Node, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir::{self, Policy};
use crate::stdlib;

use super::node::{Reader, children, one_of};
use super::{Scope, need_reason, networks, validate};

const POLICIES: &[&str] = &["allow", "deny", "reject"];

fn policy(s: &str) -> Policy {
    match s {
        "allow" => Policy::Allow,
        "reject" => Policy::Reject,
        _ => Policy::Deny,
    }
}

pub(crate) fn lower(n: &Node, d: &Diags, o: &Scope, ssh_port: u16) -> Option<ir::Firewall> {
    let r = Reader::new(n, d);
    let mut incoming_span = n.name.span;
    let mut get = |name: &'static str, default: Policy| -> Policy {
        let Some(v) = r.str_prop(name, "deny") else {
            return default;
        };
        let Some(p) = one_of(d, &format!("`{name}`"), &v, POLICIES).map(|s| policy(&s)) else {
            return default;
        };
        if name == "incoming" {
            incoming_span = v.span;
        }
        if p == Policy::Allow && name != "outgoing" {
            need_reason(&r, &format!("`{name}=allow`"), v.span, &format!("use `{name}=deny`"));
        }
        p
    };
    let incoming = get("incoming", Policy::Deny);
    let outgoing = get("outgoing", Policy::Allow);
    let routed = get("routed", Policy::Deny);
    r.block_done();

    let mut rules = Vec::new();
    for c in children(n, POLICIES, &[], d) {
        let cr = Reader::new(c, d);
        if let Some(rule) = rule(&cr, c, o, ssh_port) {
            rules.push(rule);
        }
        cr.leaf_done();
    }
    Some(ir::Firewall { span: n.name.span, incoming_span, incoming, outgoing, routed, rules })
}

fn rule(r: &Reader, c: &Node, o: &Scope, ssh_port: u16) -> Option<ir::FirewallRule> {
    let d = r.d;
    let proto_prop =
        r.str_prop("proto", "tcp").and_then(|v| one_of(d, "`proto`", &v, &["tcp", "udp"])).map(|p| proto(&p));
    let (direction, peer) = side(r);
    let limit = r.bool_prop("limit");
    let comment = r.str_prop("comment", "\"API\"").and_then(|v| validate::comment(d, &v));
    let (port, port_end, default_proto, port_comment) = ports(d, c, r.arg(0), ssh_port)?;
    let proto = proto_prop.unwrap_or(default_proto);
    let peers: Vec<IpNet> = match &peer {
        Some(v) if v.value == "any" => Vec::new(),
        Some(v) => {
            let grants = (c.name() == "allow")
                .then_some("the rule would allow nearly every address; write `any` if that is meant");
            networks(d, o, v, grants)?
        }
        None => Vec::new(),
    };
    let limit = match limit {
        Some(l) if l.value && (direction != ir::Direction::In || c.name() != "allow") => {
            d.push(
                Diagnostic::new(Kind::ExclusiveOptions, "`limit` applies to incoming `allow` rules only")
                    .at(l.span, "cannot limit this rule")
                    .help("remove `limit`, or make this an incoming `allow` rule"),
            );
            false
        }
        Some(l) => l.value,
        None => false,
    };
    let ipv4 = peers.is_empty() || peers.iter().any(|p| matches!(p, IpNet::V4(_)));
    let ipv6 = peers.is_empty() || peers.iter().any(|p| matches!(p, IpNet::V6(_)));
    Some(ir::FirewallRule {
        span: c.span,
        action: policy(c.name()),
        direction,
        proto,
        port,
        port_end,
        peers,
        ipv4,
        ipv6,
        limit,
        comment: comment.or(port_comment),
    })
}

/// `direction=in|out` and the peer it names: `from=` for incoming rules, `to=` for outgoing
/// ones; the other side is an error.
fn side(r: &Reader) -> (ir::Direction, Option<Spanned<String>>) {
    let d = r.d;
    let direction = match r.str_prop("direction", "in").and_then(|v| one_of(d, "`direction`", &v, &["in", "out"])) {
        Some(s) if s == "out" => ir::Direction::Out,
        _ => ir::Direction::In,
    };
    let (peer_prop, other) = if direction == ir::Direction::In { ("from", "to") } else { ("to", "from") };
    let peer = r.str_prop(peer_prop, "internal");
    if let Some(v) = r.prop(other) {
        d.push(
            Diagnostic::new(
                Kind::ExclusiveOptions,
                format!(
                    "an `{}` rule names its peer with `{peer_prop}`, not `{other}`",
                    if direction == ir::Direction::In { "in" } else { "out" }
                ),
            )
            .at(v.span, "wrong side")
            .help(format!("write `{peer_prop}=…`")),
        );
    }
    (direction, peer)
}

/// The rule's first argument: a port, a range `"6000:6007"` or a service of the catalog, as
/// (first port, last port, default protocol, the service's name).
fn ports(
    d: &Diags,
    c: &Node,
    target: Option<&Spanned<Value>>,
    ssh_port: u16,
) -> Option<(u16, u16, ir::Proto, Option<String>)> {
    let services = &stdlib::services().service;
    let ports = match target.map(|t| &t.value) {
        None => {
            d.push(
                Diagnostic::new(Kind::Missing, format!("`{}` needs a port or a service", c.name()))
                    .at(c.name.span, "nothing to match")
                    .help("for example: `allow 8000` or `allow https`"),
            );
            return None;
        }
        Some(Value::Int(p)) if (1..=65535).contains(p) => (*p as u16, *p as u16, ir::Proto::Tcp, None),
        Some(Value::Int(_)) => {
            d.push(
                Diagnostic::new(Kind::OutOfRange, "a port must be within 1..=65535")
                    .at(target?.span, "not a port")
                    .help("use a port from 1 to 65535"),
            );
            return None;
        }
        Some(Value::String(s)) if s.contains(':') || s.chars().all(|c| c.is_ascii_digit()) => {
            let t = Spanned { value: s.clone(), span: target?.span };
            let (a, b) = port_range(d, &t)?;
            (a, b, ir::Proto::Tcp, None)
        }
        Some(Value::String(s)) => match services.get(s) {
            Some(svc) => {
                let port = if s == "ssh" { ssh_port } else { svc.port };
                (port, port, proto(&svc.proto), Some(s.clone()))
            }
            None => {
                let names: Vec<&str> = services.keys().map(String::as_str).collect();
                d.push(
                    Diagnostic::new(Kind::UnknownReference, format!("no service named `{s}`"))
                        .at(target?.span, "unknown service")
                        .help(format!("{} (a port number works too)", unknown_help(s, &names))),
                );
                return None;
            }
        },
        Some(other) => {
            d.push(
                Diagnostic::new(
                    Kind::WrongType,
                    format!("`{}` expects a port or a service name, found {}", c.name(), other.type_name()),
                )
                .at(target?.span, "not a port")
                .help("for example: `allow 8000`, `allow \"6000:6007\"` or `allow https`"),
            );
            return None;
        }
    };
    Some(ports)
}

fn proto(s: &str) -> ir::Proto {
    if s == "udp" { ir::Proto::Udp } else { ir::Proto::Tcp }
}

/// `"8000"` or `"6000:6007"`.
fn port_range(d: &Diags, v: &Spanned<String>) -> Option<(u16, u16)> {
    let range = crate::grammar::port_range(&v.value);
    if range.is_none() {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a port or a port range", v.value.escape_debug()))
                .at(v.span, "not a port")
                .help("write a port from 1 to 65535, or a range `FIRST:LAST` with FIRST below LAST"),
        );
    }
    range
}
