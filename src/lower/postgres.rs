//! `postgres database=… version=15 owner=… { ssl …; set NAME VALUE; role …; row-security …; hba { … } }`

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use crate::stdlib::{self, PgParam};

use super::node::{Reader, children, duplicate, one_of};
use super::{Origins, need_reason, validate};

const NODES: &[&str] = &["ssl", "set", "role", "row-security", "hba"];
const PRIVILEGES: &[&str] = &["select", "insert", "update", "delete", "truncate", "references", "trigger"];
const BUILTIN: &[&str] =
    &["pg_monitor", "pg_read_all_stats", "pg_stat_scan_tables", "pg_read_all_settings", "pg_signal_backend"];

/// A PostgreSQL identifier pynoc accepts: lowercase, so it never needs case-folding rules.
fn ident(d: &Diags, v: &Spanned<String>, what: &str) -> Option<String> {
    let s = &v.value;
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Some(s.clone())
    } else {
        d.push(
            Diagnostic::error(
                Kind::InvalidValue,
                format!("{what} `{}` is not a plain PostgreSQL identifier", s.escape_debug()),
            )
            .at(v.span, "not a plain identifier")
            .help("use lowercase letters, digits and `_`, starting with a letter or `_`, at most 63 bytes"),
        );
        None
    }
}

pub fn lower(n: &Node, d: &Diags, o: &mut Origins) -> Option<ir::Postgres> {
    let r = Reader::new(n, d);
    o.postgres = Some(n.name.span);
    let database = match r.str_prop("database", "pynomaly") {
        Some(v) => ident(d, &v, "database"),
        None => {
            d.push(
                Diagnostic::error(Kind::Missing, "`postgres` needs a `database`")
                    .at(n.name.span, "no database")
                    .help("for example: `postgres database=pynomaly version=15 { … }`"),
            );
            None
        }
    };
    let version = r.int_prop("version", 13, 17).map(|v| v.value as u32).unwrap_or(15);
    let owner = r.str_prop("owner", "pynomaly_owner").and_then(|v| ident(d, &v, "owner").map(|n| (n, v.span)));
    if r.has_prop("password") {
        secret_in_spec(d, r.prop("password").map(|v| v.span).unwrap_or(n.name.span));
    }
    r.finish(false);
    let params = stdlib::pg_params(version).expect("versions 13..=17 are in the stdlib");

    let mut pg = ir::Postgres {
        version,
        database: database.clone().unwrap_or_default(),
        owner: owner.as_ref().map(|(n, _)| n.clone()),
        settings: Vec::new(),
        defaults: Vec::new(),
        ssl: None,
        roles: Vec::new(),
        row_security: Vec::new(),
        hba: Vec::new(),
        tables: Vec::new(),
    };
    let mut set_spans: Vec<(String, Span)> = Vec::new();
    let mut role_spans: Vec<(String, Span)> = Vec::new();
    let mut hba_node = None;
    let cs = children(n, NODES, &["ssl", "hba"], d);
    for c in cs.iter().filter(|c| c.name() != "row-security") {
        let cr = Reader::new(c, d);
        match c.name() {
            "ssl" => {
                let cert = cr
                    .str_prop("cert", "\"/etc/ssl/certs/postgresql.crt\"")
                    .and_then(|v| validate::path(d, &v, "certificate path", false));
                let key = cr
                    .str_prop("key", "\"/etc/ssl/private/postgresql.key\"")
                    .and_then(|v| validate::path(d, &v, "key path", false));
                if !cr.has_prop("cert") || !cr.has_prop("key") {
                    d.push(Diagnostic::error(Kind::Missing, "`ssl` needs `cert` and `key`").at(c.name.span, "incomplete").help("for example: `ssl cert=\"/etc/ssl/certs/postgresql.crt\" key=\"/etc/ssl/private/postgresql.key\"`"));
                }
                if let (Some(cert), Some(key)) = (cert, key) {
                    push_setting(&mut pg, &params, "ssl", "on");
                    push_setting(&mut pg, &params, "ssl_cert_file", &cert);
                    push_setting(&mut pg, &params, "ssl_key_file", &key);
                    pg.ssl = Some(ir::PgSsl { cert, key });
                }
            }
            "set" => {
                if let Some((name, value)) = setting(&cr, &params, version) {
                    if let Some((_, first)) = set_spans.iter().find(|(s, _)| *s == name.0) {
                        d.push(duplicate(&format!("set {}", name.0), name.1, *first));
                    } else if name.0.starts_with("ssl") {
                        d.push(
                            Diagnostic::error(Kind::Conflict, format!("`{}` is set by the `ssl` node", name.0))
                                .at(name.1, "set with `ssl`")
                                .help("write `ssl cert=\"…\" key=\"…\"`: pynoc states the files as preconditions"),
                        );
                    } else {
                        set_spans.push(name.clone());
                        push_setting(&mut pg, &params, &name.0, &value);
                    }
                }
            }
            "role" => {
                if let Some((role, span)) = role(&cr, c) {
                    if let Some((_, first)) = role_spans.iter().find(|(s, _)| *s == role.name) {
                        d.push(duplicate(&format!("role {}", role.name), span, *first));
                    } else {
                        if owner.as_ref().is_some_and(|(o, _)| *o == role.name) {
                            d.push(
                                Diagnostic::error(
                                    Kind::Conflict,
                                    format!("`{}` is the table owner and cannot also be a role here", role.name),
                                )
                                .at(span, "the owner")
                                .also(owner.as_ref().unwrap().1, "owner named here")
                                .help("the owner bypasses grants; give the application its own role"),
                            );
                        }
                        role_spans.push((role.name.clone(), span));
                        pg.roles.push(role);
                    }
                }
            }
            "hba" => hba_node = Some(*c),
            _ => {}
        }
        cr.finish(!matches!(c.name(), "role" | "hba"));
    }

    // Row-level security, after the roles it refers to.
    let mut rls_spans: Vec<(String, Span)> = Vec::new();
    for c in cs.iter().filter(|c| c.name() == "row-security") {
        let cr = Reader::new(c, d);
        if let Some((rls, span)) = row_security(&cr, &pg, &role_spans, owner.as_ref()) {
            if let Some((_, first)) = rls_spans.iter().find(|(t, _)| *t == rls.table) {
                d.push(duplicate(&format!("row-security {}", rls.table), span, *first));
            } else {
                rls_spans.push((rls.table.clone(), span));
                pg.row_security.push(rls);
            }
        }
        cr.finish(true);
    }
    if let Some(h) = hba_node {
        pg.hba = hba(h, d, &pg, &role_spans);
    }
    // Every table the file names, for the preconditions and the verify fixture.
    let mut tables: Vec<ir::PgTable> = Vec::new();
    for t in pg.roles.iter().flat_map(|r| r.grants.iter().flat_map(|g| g.tables.iter())) {
        if !tables.iter().any(|x| x.name == *t) {
            tables.push(ir::PgTable { name: t.clone(), column: None, column_type: None });
        }
    }
    for rls in &pg.row_security {
        match tables.iter_mut().find(|x| x.name == rls.table) {
            Some(t) => {
                t.column = rls.column.clone();
                t.column_type = rls.column.as_ref().map(|_| rls.column_type.clone());
            }
            None => tables.push(ir::PgTable {
                name: rls.table.clone(),
                column: rls.column.clone(),
                column_type: rls.column.as_ref().map(|_| rls.column_type.clone()),
            }),
        }
    }
    pg.tables = tables;
    database?;
    Some(pg)
}

fn secret_in_spec(d: &Diags, span: Span) {
    d.push(
        Diagnostic::error(Kind::UnsafeValue, "passwords never appear in a spec")
            .at(span, "a secret in plain text")
            .help(
                "use `password-env=NAME`: the password is read from that environment variable when the SQL is applied",
            ),
    );
}

fn push_setting(pg: &mut ir::Postgres, params: &std::collections::BTreeMap<String, PgParam>, name: &str, value: &str) {
    let p = &params[name];
    let s = ir::PgSetting {
        name: name.into(),
        value: value.into(),
        context: p.context.clone(),
        apply: if p.context == "postmaster" { "restart".into() } else { "reload".into() },
    };
    if normalize(p, value) == normalize(p, &p.default) {
        pg.defaults.push(s);
    } else {
        pg.settings.push(s);
    }
}

fn normalize(p: &PgParam, v: &str) -> String {
    match p.kind.as_str() {
        "bool" => match v {
            "on" | "true" | "yes" | "1" => "on".into(),
            _ => "off".into(),
        },
        "integer" | "real" => v.parse::<f64>().map(|f| f.to_string()).unwrap_or_else(|_| v.to_string()),
        _ => v.to_string(),
    }
}

/// `set NAME VALUE`: a parameter of the target version, with a value of its type.
fn setting(
    r: &Reader,
    params: &std::collections::BTreeMap<String, PgParam>,
    version: u32,
) -> Option<((String, Span), String)> {
    let d = r.d;
    let name = r.str_arg(0, "a parameter name", "`set log_connections #true`")?;
    let value = r.arg(1);
    let Some(p) = params.get(&name.value) else {
        let known: Vec<&str> = params.keys().map(String::as_str).collect();
        let help = match name.value.as_str() {
            "log_failed_login_attempts" => "PostgreSQL has no such parameter: failed logins are logged anyway (`FATAL: password authentication failed`); `log_connections` logs every attempt".to_string(),
            "session_timeout" => "PostgreSQL has no such parameter: use `idle_session_timeout` (14+) or `idle_in_transaction_session_timeout`".to_string(),
            other => unknown_help(other, &known),
        };
        d.push(
            Diagnostic::error(Kind::UnknownReference, format!("no parameter `{}` in PostgreSQL {version}", name.value))
                .at(name.span, "no such parameter")
                .help(help),
        );
        return None;
    };
    if p.context == "internal" {
        d.push(
            Diagnostic::error(Kind::InvalidValue, format!("`{}` is read-only", p.name))
                .at(name.span, "cannot be set")
                .help("internal parameters are fixed when PostgreSQL is built or initialized"),
        );
        return None;
    }
    let Some(value) = value else {
        d.push(
            Diagnostic::error(Kind::Missing, format!("`set {}` needs a value", p.name))
                .at(name.span, "no value")
                .help(format!("for example: `set {} {}`", p.name, example(p))),
        );
        return None;
    };
    let text = match (&value.value, p.kind.as_str()) {
        (Value::Bool(b), "bool") => Some(if *b { "on" } else { "off" }.to_string()),
        (Value::Int(i), "integer") => {
            let f = *i as f64;
            if p.min.is_some_and(|m| f < m) || p.max.is_some_and(|m| f > m) {
                d.push(
                    Diagnostic::error(
                        Kind::OutOfRange,
                        format!(
                            "`{}` is out of range: {i} is not within {}..={}",
                            p.name,
                            p.min.unwrap_or(f),
                            p.max.unwrap_or(f)
                        ),
                    )
                    .at(value.span, "out of range")
                    .help(format!(
                        "use a value from {} to {}{}",
                        p.min.unwrap_or(f),
                        p.max.unwrap_or(f),
                        if p.unit.is_empty() { String::new() } else { format!(" (unit: {})", p.unit) }
                    )),
                );
                None
            } else {
                Some(i.to_string())
            }
        }
        (Value::String(s), "integer")
            if !p.unit.is_empty()
                && s.len() <= 16
                && s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse::<i64>().is_ok()
                && ["B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d"]
                    .contains(&s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')) =>
        {
            Some(s.clone())
        }
        (Value::Int(i), "real") => Some(i.to_string()),
        (Value::Float(f), "real") => Some(f.to_string()),
        (Value::String(s), "enum") if p.values.contains(s) => Some(s.clone()),
        (Value::String(s), "enum") => {
            d.push(
                Diagnostic::error(Kind::InvalidValue, format!("`{}` cannot be `{s}`", p.name))
                    .at(value.span, "not a valid choice")
                    .help(format!(
                        "expected one of: {}",
                        p.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                    )),
            );
            None
        }
        (Value::String(s), "string") => {
            if s.chars().any(|c| c.is_control() || c == '\\') || s.len() > 1024 {
                d.push(
                    Diagnostic::error(Kind::UnsafeValue, "this setting value is not safe to write")
                        .at(value.span, "unsafe value")
                        .help("one line, no backslash"),
                );
                None
            } else {
                Some(s.clone())
            }
        }
        (other, kind) => {
            d.push(
                Diagnostic::error(
                    Kind::WrongType,
                    format!("`{}` is {}, found {}", p.name, type_name(kind), other.type_name()),
                )
                .at(value.span, "wrong type")
                .help(format!("for example: `set {} {}`", p.name, example(p))),
            );
            None
        }
    }?;
    Some(((name.value.clone(), name.span), text))
}

fn type_name(kind: &str) -> &'static str {
    match kind {
        "bool" => "a boolean",
        "integer" => "an integer",
        "real" => "a number",
        "enum" => "one of a set of words",
        _ => "a string",
    }
}

fn example(p: &PgParam) -> String {
    match p.kind.as_str() {
        "bool" => "#true".into(),
        "integer" | "real" => p.default.clone(),
        "enum" => format!("\"{}\"", p.values.first().cloned().unwrap_or_default()),
        _ => format!("\"{}\"", p.default),
    }
}

fn role(r: &Reader, c: &Node) -> Option<(ir::Role, Span)> {
    let d = r.d;
    let name = r.str_arg(0, "a name", "`role pynomaly_app login=#true password-env=PYNOMALY_APP_PASSWORD`")?;
    let span = name.span;
    let name = ident(d, &name, "role")?;
    if name.starts_with("pg_") || name == "postgres" || name == "public" {
        d.push(
            Diagnostic::error(Kind::InvalidValue, format!("`{name}` is reserved"))
                .at(span, "reserved name")
                .help("`pg_*` roles are built in and `postgres` is the superuser: name the application's own role"),
        );
        return None;
    }
    let login = r.bool_prop("login").map(|v| v.value).unwrap_or(false);
    let password_env = r.str_prop("password-env", "PYNOMALY_APP_PASSWORD").and_then(|v| {
        let ok = !v.value.is_empty()
            && v.value.len() <= 64
            && v.value.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && v.value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            d.push(
                Diagnostic::error(
                    Kind::InvalidValue,
                    format!("`{}` is not an environment variable name", v.value.escape_debug()),
                )
                .at(v.span, "not a variable name")
                .help("use uppercase letters, digits and `_`, e.g. `PYNOMALY_APP_PASSWORD`"),
            );
        }
        ok.then_some(v.value)
    });
    if let Some(v) = r.prop("password") {
        secret_in_spec(d, v.span);
    }
    for bad in ["superuser", "bypassrls", "createrole", "createdb", "replication"] {
        if let Some(v) = r.prop(bad)
            && v.value == Value::Bool(true)
        {
            d.push(Diagnostic::error(Kind::Conflict, format!("`{bad}=#true` is not allowed for `{name}`")).at(v.span, "too much privilege").help("pynoc's roles are least-privilege: superuser and BYPASSRLS ignore row-level security; administer with the `postgres` role"));
        }
    }
    if login && !r.has_prop("password-env") {
        d.push(Diagnostic::error(Kind::Missing, format!("login role `{name}` has no `password-env`")).at(span, "no password source").help("add `password-env=NAME`: the password is read from that environment variable when the SQL is applied"));
    }
    let connection_limit = r.int_prop("connection-limit", -1, 10_000).map(|v| v.value as i64).unwrap_or(-1);
    let monitor = r.bool_prop("monitor").map(|v| v.value).unwrap_or(false);
    let sequences = r.bool_prop("sequences").map(|v| v.value).unwrap_or(false);
    let mut member_of = Vec::new();
    if monitor {
        member_of.push("pg_monitor".to_string());
    }
    let mut grants = Vec::new();
    let mut future_tables = Vec::new();
    for g in children(c, &["grant", "member-of", "future-tables"], &["future-tables"], d) {
        let gr = Reader::new(g, d);
        match g.name() {
            "grant" => {
                let privileges: Vec<String> = gr
                    .str_args(0, "privileges", "`grant select insert on=\"detectors,datasets\"`")
                    .iter()
                    .filter_map(|p| one_of(d, "a table privilege", p, PRIVILEGES))
                    .map(|p| p.to_uppercase())
                    .collect();
                let tables: Vec<String> = match gr.str_prop("on", "\"detectors,datasets\"") {
                    Some(v) => v
                        .value
                        .split(',')
                        .map(|t| Spanned { value: t.trim().to_string(), span: v.span })
                        .filter_map(|t| ident(d, &t, "table"))
                        .collect(),
                    None => {
                        d.push(
                            Diagnostic::error(Kind::Missing, "`grant` needs `on`")
                                .at(g.name.span, "no tables")
                                .help("for example: `grant select insert on=\"detectors,datasets\"`"),
                        );
                        Vec::new()
                    }
                };
                if !privileges.is_empty() && !tables.is_empty() {
                    grants.push(ir::Grant { privileges, tables });
                }
            }
            "member-of" => {
                for m in gr.str_args(0, "a built-in role", "`member-of pg_read_all_stats`") {
                    if let Some(m) = one_of(d, "`member-of`", &m, BUILTIN)
                        && !member_of.contains(&m)
                    {
                        member_of.push(m);
                    }
                }
            }
            _ => {
                future_tables = gr
                    .str_args(0, "privileges", "`future-tables select insert update delete`")
                    .iter()
                    .filter_map(|p| one_of(d, "a table privilege", p, PRIVILEGES))
                    .map(|p| p.to_uppercase())
                    .collect();
            }
        }
        gr.finish(true);
    }
    Some((ir::Role { name, login, password_env, connection_limit, member_of, grants, sequences, future_tables }, span))
}

fn row_security(
    r: &Reader,
    pg: &ir::Postgres,
    roles: &[(String, Span)],
    owner: Option<&(String, Span)>,
) -> Option<(ir::RowSecurity, Span)> {
    let d = r.d;
    let table = r.str_arg(0, "a table", "`row-security detectors column=user_id`")?;
    let span = table.span;
    let table = ident(d, &table, "table")?;
    let column = r.str_prop("column", "user_id").and_then(|v| ident(d, &v, "column"));
    let column_type = r
        .str_prop("type", "uuid")
        .and_then(|v| one_of(d, "`type`", &v, &["uuid", "bigint", "integer", "text"]))
        .unwrap_or_else(|| "uuid".into());
    let setting = r
        .str_prop("setting", "\"app.current_user_id\"")
        .and_then(|v| {
            let ok = v.value.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && v.value.len() <= 63
                && v.value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
            if !ok {
                d.push(
                    Diagnostic::error(
                        Kind::InvalidValue,
                        format!("`{}` is not a custom setting name", v.value.escape_debug()),
                    )
                    .at(v.span, "not PREFIX.NAME")
                    .help("custom settings have a prefix: `app.current_user_id`"),
                );
            }
            ok.then_some(v.value)
        })
        .unwrap_or_else(|| "app.current_user_id".into());
    let deny_all = r.bool_prop("deny-all");
    let explicit_roles = r.str_prop("roles", "pynomaly_app");
    let deny_all = match deny_all {
        Some(v) if v.value => {
            let reason =
                need_reason(r, "`deny-all=#true`", v.span, "give the table a `column` so its rows have a tenant");
            if column.is_some() {
                d.push(
                    Diagnostic::error(Kind::Conflict, "`deny-all` and `column` exclude each other")
                        .at(v.span, "deny-all")
                        .help("a deny-all table has no policy; remove one of the two"),
                );
            }
            reason
        }
        _ => None,
    };
    if column.is_none() && deny_all.is_none() && !r.has_prop("deny-all") && !r.has_prop("column") {
        d.push(
            Diagnostic::error(Kind::Missing, format!("`{table}` would have row-level security and no policy"))
                .at(span, "no policy")
                .help("add `column=TENANT_COLUMN` for a per-tenant policy, or `deny-all=#true reason=\"…\"` if no role should see its rows"),
        );
        return None;
    }
    // The policy applies to the named roles, or to every role granted on the table.
    let policy_roles: Vec<String> = match explicit_roles {
        Some(v) => v
            .value
            .split(',')
            .map(str::trim)
            .filter_map(|name| {
                if roles.iter().any(|(r, _)| r == name) {
                    Some(name.to_string())
                } else {
                    let names: Vec<&str> = roles.iter().map(|(r, _)| r.as_str()).collect();
                    d.push(
                        Diagnostic::error(Kind::UnknownReference, format!("no role named `{name}`"))
                            .at(v.span, "not defined in `postgres`")
                            .help(unknown_help(name, &names)),
                    );
                    None
                }
            })
            .collect(),
        None => pg
            .roles
            .iter()
            .filter(|ro| ro.grants.iter().any(|g| g.tables.contains(&table)))
            .map(|ro| ro.name.clone())
            .collect(),
    };
    if let Some((o, ospan)) = owner
        && policy_roles.contains(o)
    {
        d.push(
            Diagnostic::error(
                Kind::Conflict,
                format!("`{o}` owns the tables, and an owner bypasses row-level security"),
            )
            .at(span, "protected table")
            .also(*ospan, "owner")
            .help("apply the policy to an application role that does not own the tables"),
        );
    }
    if column.is_some() && policy_roles.is_empty() {
        d.push(
            Diagnostic::error(
                Kind::Missing,
                format!("no role is granted on `{table}`, so its policy applies to nobody"),
            )
            .at(span, "no role")
            .help("grant a role on the table, or name it: `roles=\"pynomaly_app\"`"),
        );
    }
    Some((ir::RowSecurity { table, column, column_type, setting, roles: policy_roles, deny_all }, span))
}

const METHODS: &[&str] = &["scram-sha-256", "peer", "cert", "reject"];

fn hba(n: &Node, d: &Diags, pg: &ir::Postgres, roles: &[(String, Span)]) -> Vec<ir::HbaLine> {
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
                Some(net) if net.prefix_len() == 0 && method_value != "reject" => {
                    d.push(
                        Diagnostic::error(
                            Kind::InvalidValue,
                            format!("`{}` lets the whole Internet try to log in", a.value),
                        )
                        .at(a.span, "any address")
                        .help("name the networks that need the database, e.g. `\"10.0.0.0/8\"`"),
                    );
                    ok = false;
                    None
                }
                Some(net) => Some(net.to_string()),
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        if kind == "hostssl" && pg.ssl.is_none() {
            d.push(
                Diagnostic::error(Kind::Conflict, "a `hostssl` line needs TLS on the server")
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
                Diagnostic::error(Kind::Conflict, "this pg_hba line never applies")
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
fn covers(earlier: &ir::HbaLine, later: &ir::HbaLine) -> bool {
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
