//! `hba { local|host|hostssl|hostnossl DATABASE USER [CIDR] [method=…] }`: pg_hba.conf lines.

use crate::ast::{Node, Span, Spanned};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;

use super::super::node::{Reader, children, one_of};
use super::super::{need_reason, validate};

pub(super) const METHODS: &[&str] = &["scram-sha-256", "peer", "cert", "reject"];

pub(super) fn hba(
    n: &Node,
    d: &Diags,
    o: &crate::lower::Scope,
    pg: &ir::Postgres,
    roles: &[(String, Span)],
) -> Vec<ir::HbaLine> {
    Reader::new(n, d).block_done();
    let mut lines: Vec<ir::HbaLine> = Vec::new();
    let mut whole = true;
    // A project network's name stands for one line per network in it.
    let each = children(n, &["local", "host", "hostssl", "hostnossl"], &[], d)
        .into_iter()
        .map(|c| (c, line(c, d, o, pg, roles)))
        .flat_map(|(c, ls)| match ls {
            Some(ls) => ls.into_iter().map(|l| (c, Some(l))).collect::<Vec<_>>(),
            None => vec![(c, None)],
        })
        .collect::<Vec<_>>();
    for (c, line) in each {
        let Some(line) = line else {
            whole = false;
            continue;
        };
        if let Some(first) = lines.iter().find(|l| covers(l, &line)) {
            d.push(
                Diagnostic::new(Kind::Shadowed, "this pg_hba line never applies")
                    .at(c.name.span, "shadowed")
                    .also(first.span, "every connection it matches is matched here first")
                    .help("move it above the broader line, or remove it"),
            );
            whole = false;
            continue;
        }
        lines.push(line);
    }
    // Judged on the whole list only: a line that failed to lower may be the one it needs.
    if whole {
        apply_path(d, &pg.database, &lines, n.name.span);
    }
    lines
}

/// The invariant of pynoc's own way in (E047): for each database it opens, the first line
/// that matches `postgres` on the local socket is `peer`. `at` is where to point when no line
/// matches (the `hba` block, or the section when it has none).
pub(super) fn apply_path(d: &Diags, database: &str, lines: &[ir::HbaLine], at: Span) {
    let help = "put `local all postgres method=peer` first in `hba`: the playbook, the image's first start and `postgres-apply.sh` connect as `postgres` on the socket, without a password";
    let mut reported = Vec::new();
    // The databases pynoc's own connections as `postgres` open: the playbook's `psql -d
    // postgres`, createdb's fallback `template1`, and the spec's database (its SQL).
    for db in ["postgres", "template1", database] {
        let first = lines.iter().find(|l| {
            l.kind == ir::HbaKind::Local
                && (l.database == "all" || l.database == db)
                && (l.user == "all" || l.user == "postgres")
        });
        let diag = match first {
            Some(l) if l.method == ir::HbaMethod::Peer => continue,
            Some(l) if reported.contains(&l.span) => continue,
            Some(l) => {
                reported.push(l.span);
                Diagnostic::new(
                    Kind::ApplyPath,
                    format!(
                        "the first pg_hba line for `postgres` on the local socket says `{}`, not `peer`",
                        l.method.as_str()
                    ),
                )
                .at(l.span, format!("pynoc's own connections to `{db}` stop here"))
            }
            None if reported.contains(&at) => continue,
            None => {
                reported.push(at);
                Diagnostic::new(
                    Kind::ApplyPath,
                    format!("no pg_hba line lets `postgres` in on the local socket to `{db}`"),
                )
                .at(at, "pynoc's own connections are refused")
            }
        };
        d.push(diag.help(help));
    }
}

/// `KIND DATABASE USER [CIDR|NETWORK] [method=…] [reason=…]`: the line (one per network of a
/// project network's name), when all of it is valid.
fn line(
    c: &Node,
    d: &Diags,
    o: &crate::lower::Scope,
    pg: &ir::Postgres,
    roles: &[(String, Span)],
) -> Option<Vec<ir::HbaLine>> {
    let r = Reader::new(c, d);
    let kind = match c.name() {
        "local" => ir::HbaKind::Local,
        "host" => ir::HbaKind::Host,
        "hostssl" => ir::HbaKind::Hostssl,
        _ => ir::HbaKind::Hostnossl,
    };
    let example = "`hostssl pynomaly pynomaly_app \"10.0.0.0/8\"`";
    let db = r.str_arg(0, "a database", example);
    let user = r.str_arg(1, "a user", example);
    let address = if kind == ir::HbaKind::Local { None } else { r.str_arg(2, "an address", example) };
    let method = r.str_prop("method", "scram-sha-256");
    let rejects = method.as_ref().is_some_and(|m| m.value == "reject");
    let admin = match (&db, &user) {
        (Some(db), Some(user)) => ir::admits_administrator_remotely(kind, &db.value, &user.value, rejects),
        _ => false,
    };
    let reason = if admin {
        let who = match (db.as_ref().map(|v| v.value.as_str()), user.as_ref().map(|v| v.value.as_str())) {
            (Some("replication"), _) => "replication connections (a copy of every table)",
            (_, Some("all")) => "every role, the superuser `postgres` included,",
            _ => "the superuser `postgres`",
        };
        need_reason(
            &r,
            &format!("a network line for {who}"),
            c.name.span,
            "the administrator logs in locally by peer; name the application's roles and database",
        )
    } else {
        weakened(&r, c, kind, rejects)
    };
    r.leaf_done();
    let (db, user) = (db?, user?);
    let mut ok = known_names(d, &db, &user, pg, roles);
    let method_value = match method.as_ref().map(|m| m.value.as_str()) {
        Some("peer") => ir::HbaMethod::Peer,
        Some("cert") => ir::HbaMethod::Cert,
        Some("reject") => ir::HbaMethod::Reject,
        _ => ir::HbaMethod::ScramSha256,
    };
    if let Some(m) = &method {
        ok &= method_allowed(d, m, kind);
    }
    let addresses = addresses(d, o, address, method_value);
    ok &= addresses.is_some();
    if kind == ir::HbaKind::Hostssl && pg.ssl.is_none() {
        d.push(
            Diagnostic::new(Kind::TlsRequired, "a `hostssl` line needs TLS on the server")
                .at(c.name.span, "never matches without ssl")
                .help("add `ssl cert=\"…\" key=\"…\"` to `postgres`"),
        );
        ok = false;
    }
    ok.then(|| {
        addresses
            .unwrap_or_default()
            .into_iter()
            .map(|address| ir::HbaLine {
                span: c.name.span,
                kind,
                database: db.value.clone(),
                user: user.value.clone(),
                address,
                method: method_value,
                reason: reason.clone(),
            })
            .collect()
    })
}

/// The database is this spec's (or `all`, `replication`), the user one of its roles (or
/// `all`, `postgres`, the owner).
fn known_names(
    d: &Diags,
    db: &Spanned<String>,
    user: &Spanned<String>,
    pg: &ir::Postgres,
    roles: &[(String, Span)],
) -> bool {
    let mut ok = true;
    if !(db.value == "all" || db.value == pg.database || db.value == "replication") {
        d.push(
            Diagnostic::new(Kind::UnknownReference, format!("database `{}` is not this spec's", db.value))
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
            Diagnostic::new(Kind::UnknownReference, format!("role `{}` is not defined in the spec", user.value))
                .at(user.span, "no such role")
                .help(format!("{} (or `all`, `postgres`)", unknown_help(&user.value, &names))),
        );
        ok = false;
    }
    ok
}

/// `method=`: never an insecure one, and one that works on this kind of line.
fn method_allowed(d: &Diags, m: &Spanned<String>, kind: ir::HbaKind) -> bool {
    let why = match m.value.as_str() {
        "trust" => Some("`trust` lets anyone in without a password"),
        "password" => Some("`password` sends the password in clear text"),
        "md5" => Some(
            "`md5` is deprecated and weaker than SCRAM; PostgreSQL 15 stores scram-sha-256 verifiers, which md5 cannot use",
        ),
        "ident" => Some("`ident` trusts the client host's ident server"),
        _ => None,
    };
    let refused = if let Some(why) = why {
        Diagnostic::new(Kind::InvalidValue, format!("method `{}` is not allowed", m.value))
            .at(m.span, "insecure method")
            .help(format!("{why}: use `scram-sha-256`"))
    } else if !METHODS.contains(&m.value.as_str()) {
        one_of(d, "`method`", m, METHODS);
        return false;
    } else if m.value == "peer" && kind != ir::HbaKind::Local {
        Diagnostic::new(Kind::InvalidValue, "`peer` works only on `local` lines")
            .at(m.span, "not local")
            .help("use `scram-sha-256` or `cert` for network lines")
    } else if m.value == "cert" && kind != ir::HbaKind::Hostssl {
        Diagnostic::new(Kind::InvalidValue, "`cert` needs a `hostssl` line")
            .at(m.span, "no TLS")
            .help("write the line as `hostssl`")
    } else {
        return true;
    };
    d.push(refused);
    false
}

/// A network line that admits clients without TLS (`host`, `hostnossl`) is weaker than the
/// default `hostssl`, unless it rejects: it needs a reason, repeated in pg_hba.conf.
fn weakened(r: &Reader, c: &Node, kind: ir::HbaKind, rejects: bool) -> Option<String> {
    if rejects || !matches!(kind, ir::HbaKind::Host | ir::HbaKind::Hostnossl) {
        return r.str_prop("reason", "\"why\"").and_then(|v| validate::reason(r.d, &v));
    }
    need_reason(
        r,
        &format!("a `{}` line (passwords and data cross the network without TLS)", c.name()),
        c.name.span,
        "use `hostssl`",
    )
}

/// A line's address: none for `local`, a CIDR (narrow unless the line rejects), or a project
/// network's networks (checked where the project defines them); `None` when invalid.
fn addresses(
    d: &Diags,
    o: &crate::lower::Scope,
    address: Option<Spanned<String>>,
    method: ir::HbaMethod,
) -> Option<Vec<Option<ipnet::IpNet>>> {
    let Some(a) = address else { return Some(vec![None]) };
    if !crate::lower::is_literal_network(&a.value) {
        return crate::lower::networks(d, o, &a, None).map(|nets| nets.into_iter().map(Some).collect());
    }
    let net = validate::cidr(d, &a)?;
    if method == ir::HbaMethod::Reject {
        return Some(vec![Some(net)]);
    }
    validate::narrow(
        d,
        &a,
        net,
        "nearly the whole Internet could try to log in",
        "name the networks that need the database, e.g. `\"10.0.0.0/8\"`",
    )
    .map(|n| vec![Some(n)])
}

/// `earlier` matches every connection `later` matches (so `later` never applies).
pub(super) fn covers(earlier: &ir::HbaLine, later: &ir::HbaLine) -> bool {
    use ir::HbaKind::*;
    let kind = earlier.kind == later.kind || (earlier.kind == Host && matches!(later.kind, Hostssl | Hostnossl));
    let db = earlier.database == "all" || earlier.database == later.database;
    let user = earlier.user == "all" || earlier.user == later.user;
    let addr = match (&earlier.address, &later.address) {
        (None, None) => true,
        (Some(a), Some(b)) => a.contains(b),
        _ => false,
    };
    kind && db && user && addr
}
