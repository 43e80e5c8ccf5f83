//! `hba { local|host|hostssl|hostnossl DATABASE USER [CIDR] [method=…] }`: pg_hba.conf lines.

use crate::ast::{Node, Span};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;

use super::super::node::{Reader, children, one_of};
use super::super::validate;

pub(super) const METHODS: &[&str] = &["scram-sha-256", "peer", "cert", "reject"];

pub(super) fn hba(n: &Node, d: &Diags, pg: &ir::Postgres, roles: &[(String, Span)]) -> Vec<ir::HbaLine> {
    Reader::new(n, d).finish(false);
    let mut lines: Vec<(ir::HbaLine, Span)> = Vec::new();
    for c in children(n, &["local", "host", "hostssl", "hostnossl"], &[], d) {
        let r = Reader::new(c, d);
        let kind = c.name().to_string();
        let db = r.str_arg(0, "a database", "`hostssl pynomaly pynomaly_app \"10.0.0.0/8\"`");
        let user = r.str_arg(1, "a user", "`hostssl pynomaly pynomaly_app \"10.0.0.0/8\"`");
        let address = if kind == "local" {
            None
        } else {
            r.str_arg(2, "an address", "`hostssl pynomaly pynomaly_app \"10.0.0.0/8\"`")
        };
        let method = r.str_prop("method", "scram-sha-256");
        r.finish(true);
        let (Some(db), Some(user)) = (db, user) else { continue };
        let mut ok = true;
        if !(db.value == "all" || db.value == pg.database || db.value == "replication") {
            d.push(
                Diagnostic::error(Kind::UnknownReference, format!("database `{}` is not this spec's", db.value))
                    .at(db.span, "unknown database")
                    .help(format!("write `{}` or `all`", pg.database)),
            );
            ok = false;
        }
        let known_user = user.value == "all"
            || user.value == "postgres"
            || roles.iter().any(|(r, _)| *r == user.value)
            || pg.owner.as_deref() == Some(user.value.as_str());
        if !known_user {
            let names: Vec<&str> = roles.iter().map(|(r, _)| r.as_str()).collect();
            d.push(
                Diagnostic::error(Kind::UnknownReference, format!("role `{}` is not defined in the spec", user.value))
                    .at(user.span, "no such role")
                    .help(format!("{} (or `all`, `postgres`)", unknown_help(&user.value, &names))),
            );
            ok = false;
        }
        let method_value = method.as_ref().map(|m| m.value.clone()).unwrap_or_else(|| "scram-sha-256".into());
        if let Some(m) = &method {
            let why = match m.value.as_str() {
                "trust" => Some("`trust` lets anyone in without a password"),
                "password" => Some("`password` sends the password in clear text"),
                "md5" => Some(
                    "`md5` is deprecated and weaker than SCRAM; PostgreSQL 15 stores scram-sha-256 verifiers, which md5 cannot use",
                ),
                "ident" => Some("`ident` trusts the client host's ident server"),
                _ => None,
            };
            if let Some(why) = why {
                d.push(
                    Diagnostic::error(Kind::InvalidValue, format!("method `{}` is not allowed", m.value))
                        .at(m.span, "insecure method")
                        .help(format!("{why}: use `scram-sha-256`")),
                );
                ok = false;
            } else if !METHODS.contains(&m.value.as_str()) {
                one_of(d, "`method`", m, METHODS);
                ok = false;
            } else if m.value == "peer" && kind != "local" {
                d.push(
                    Diagnostic::error(Kind::InvalidValue, "`peer` works only on `local` lines")
                        .at(m.span, "not local")
                        .help("use `scram-sha-256` or `cert` for network lines"),
                );
                ok = false;
            } else if m.value == "cert" && kind != "hostssl" {
                d.push(
                    Diagnostic::error(Kind::InvalidValue, "`cert` needs a `hostssl` line")
                        .at(m.span, "no TLS")
                        .help("write the line as `hostssl`"),
                );
                ok = false;
            }
        }
        let address = match address {
            Some(a) => match validate::cidr(d, &a) {
                Some(net) if method_value == "reject" => Some(net.to_string()),
                Some(net) => match validate::narrow(
                    d,
                    &a,
                    net,
                    "nearly the whole Internet could try to log in",
                    "name the networks that need the database, e.g. `\"10.0.0.0/8\"`",
                ) {
                    Some(net) => Some(net.to_string()),
                    None => {
                        ok = false;
                        None
                    }
                },
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        if kind == "hostssl" && pg.ssl.is_none() {
            d.push(
                Diagnostic::error(Kind::TlsRequired, "a `hostssl` line needs TLS on the server")
                    .at(c.name.span, "never matches without ssl")
                    .help("add `ssl cert=\"…\" key=\"…\"` to `postgres`"),
            );
            ok = false;
        }
        if !ok {
            continue;
        }
        let line = ir::HbaLine { kind, database: db.value, user: user.value, address, method: method_value };
        if let Some((_, first)) = lines.iter().find(|(l, _)| covers(l, &line)) {
            d.push(
                Diagnostic::error(Kind::Shadowed, "this pg_hba line never applies")
                    .at(c.name.span, "shadowed")
                    .also(*first, "every connection it matches is matched here first")
                    .help("move it above the broader line, or remove it"),
            );
            continue;
        }
        lines.push((line, c.name.span));
    }
    lines.into_iter().map(|(l, _)| l).collect()
}

/// `earlier` matches every connection `later` matches (so `later` never applies).
pub(super) fn covers(earlier: &ir::HbaLine, later: &ir::HbaLine) -> bool {
    let kind = earlier.kind == later.kind
        || (earlier.kind == "host" && (later.kind == "hostssl" || later.kind == "hostnossl"));
    let db = earlier.database == "all" || earlier.database == later.database;
    let user = earlier.user == "all" || earlier.user == later.user;
    let addr = match (&earlier.address, &later.address) {
        (None, None) => true,
        (Some(a), Some(b)) => match (a.parse::<ipnet::IpNet>(), b.parse::<ipnet::IpNet>()) {
            (Ok(a), Ok(b)) => a.contains(&b),
            _ => false,
        },
        _ => false,
    };
    kind && db && user && addr
}
