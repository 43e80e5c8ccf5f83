//! `postgres database=… version=15 owner=… { ssl …; pgaudit …; set NAME VALUE; role …; row-security …; hba { … } }`

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use crate::stdlib::{self};

use super::node::{Reader, Seen, children, one_of};
use super::trace::Ty;
use super::{need_reason, validate};

mod hba;
mod settings;

use hba::hba;
use settings::{push_setting, setting};

const NODES: &[&str] = &["ssl", "pgaudit", "set", "role", "row-security", "hba"];
/// pgAudit's statement classes (`pgaudit.log`).
const AUDIT_CLASSES: &[&str] = &["read", "write", "function", "role", "ddl", "misc", "misc_set", "all"];
const PRIVILEGES: &[&str] = &["select", "insert", "update", "delete", "truncate", "references", "trigger"];
const BUILTIN: &[&str] =
    &["pg_monitor", "pg_read_all_stats", "pg_stat_scan_tables", "pg_read_all_settings", "pg_signal_backend"];

/// A PostgreSQL identifier pynoc accepts: lowercase, so it never needs case-folding rules.
fn ident(d: &Diags, v: &Spanned<String>, what: &str) -> Option<String> {
    let s = &v.value;
    if crate::grammar::pg_ident(s) {
        Some(s.clone())
    } else {
        d.push(
            Diagnostic::new(
                Kind::InvalidValue,
                format!("{what} `{}` is not a plain PostgreSQL identifier", s.escape_debug()),
            )
            .at(v.span, "not a plain identifier")
            .help("use lowercase letters, digits and `_`, starting with a letter or `_`, at most 63 bytes"),
        );
        None
    }
}

pub(crate) fn lower(
    n: &Node,
    d: &Diags,
    o: &crate::lower::Scope,
    release: &'static stdlib::Release,
) -> Option<ir::Postgres> {
    let (mut pg, database, owner) = server(n, d, release);
    let params = stdlib::pg_params(pg.version).expect("versions 13..=17 are in the stdlib");
    let mut set_spans = Seen::new("set");
    let mut role_spans = Seen::new("role");
    let mut hba_node = None;
    let cs = children(n, NODES, &["ssl", "pgaudit", "hba"], d);
    for c in cs.iter().filter(|c| c.name() != "row-security") {
        let cr = Reader::new(c, d);
        match c.name() {
            "ssl" => ssl(&cr, c, &mut pg, params),
            "set" => set(&cr, &mut pg, params, &mut set_spans),
            "role" => {
                if let Some((role, span)) = role(&cr, c)
                    && role_spans.first(d, &role.name, span)
                {
                    not_the_owner(d, &role.name, span, owner.as_ref());
                    if role.migrations && owner.is_none() {
                        d.push(
                            Diagnostic::new(Kind::Missing, format!("migrations role `{}` has no owner to act as", role.name))
                                .at(span, "runs the migrations")
                                .also(n.name.span, "no `owner=` here")
                                .help("add `owner=ROLE` to `postgres`: the role that owns the tables, whose rights the migrations get"),
                        );
                    }
                    pg.roles.push(role);
                }
            }
            "pgaudit" => pg.pgaudit = Some(pgaudit(&cr, c, pg.version)),
            "hba" => hba_node = Some(*c),
            _ => {}
        }
        if matches!(c.name(), "role" | "hba") {
            cr.block_done();
        } else {
            cr.leaf_done();
        }
    }
    // Row-level security, after the roles it refers to.
    let mut rls_spans = Seen::new("row-security");
    for c in cs.iter().filter(|c| c.name() == "row-security") {
        let cr = Reader::new(c, d);
        if let Some((rls, span)) = row_security(&cr, &pg, role_spans.all(), owner.as_ref())
            && rls_spans.first(d, &rls.table, span)
        {
            pg.row_security.push(rls);
        }
        cr.leaf_done();
    }
    // pynoc's parameters, where the spec sets none of its own.
    for p in &stdlib::pg_hardening().parameter {
        if (!p.with_ssl || pg.ssl.is_some()) && !set_spans.contains(&p.name) {
            push_setting(&mut pg, params, &p.name, &p.value, None);
        }
    }
    if pg.pgaudit.is_some() {
        preload_pgaudit(&mut pg, params);
    }
    default_connection_limits(&mut pg, params);
    match hba_node {
        Some(h) => pg.hba = hba(h, d, o, &pg, role_spans.all()),
        None => hba::apply_path(d, &pg.database, &[], n.name.span),
    }
    pg.tables = tables(&pg);
    database?;
    Some(pg)
}

type Params = std::collections::BTreeMap<String, stdlib::PgParam>;

/// The `postgres` node's own properties: the database (never one of the server's own), the
/// version, the tables' owner; a password there is a secret in the spec.
fn server(
    n: &Node,
    d: &Diags,
    release: &'static stdlib::Release,
) -> (ir::Postgres, Option<String>, Option<(String, Span)>) {
    let r = Reader::new(n, d);
    let database = match r.str_prop("database", "pynomaly") {
        Some(v) => ident(d, &v, "database").and_then(|name| {
            if ["postgres", "template0", "template1"].contains(&name.as_str()) {
                d.push(
                    Diagnostic::new(Kind::ReservedName, format!("`{name}` is one of the server's own databases"))
                        .at(v.span, "a system database")
                        .help(
                            "name the application's database, e.g. `pynomaly`: pynoc revokes `PUBLIC`'s rights on it",
                        ),
                );
                return None;
            }
            Some(name)
        }),
        None => {
            d.push(
                Diagnostic::new(Kind::Missing, "`postgres` needs a `database`")
                    .at(n.name.span, "no database")
                    .help("for example: `postgres database=pynomaly version=15 { … }`"),
            );
            None
        }
    };
    // Without `version`, the release's PostgreSQL.
    let version = r.int_prop("version", 13, 17).map(|v| v.value as u32).unwrap_or(release.postgresql);
    let owner = r.str_prop("owner", "pynomaly_owner").and_then(|v| role_name(d, &v, "owner").map(|n| (n, v.span)));
    if let Some(v) = r.refused_prop("password", Ty::Refused) {
        secret_in_spec(d, v.span);
    }
    r.block_done();
    let pg = ir::Postgres {
        span: n.name.span,
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
        pgaudit: None,
        place: ir::Place::Host,
    };
    (pg, database, owner)
}

/// `ssl cert=… key=… [ca=…]`: the TLS switch and files, inside the TLS allow-list.
fn ssl(cr: &Reader, c: &Node, pg: &mut ir::Postgres, params: &Params) {
    let d = cr.d;
    let file = |name: &'static str, example: &str| {
        cr.str_prop(name, example).and_then(|v| validate::placed(d, &v, crate::syspaths::Place::TlsMaterial, ""))
    };
    let cert = file("cert", "\"/etc/ssl/certs/postgresql.crt\"");
    let key = file("key", "\"/etc/ssl/private/postgresql.key\"");
    let ca = file("ca", "\"/etc/ssl/certs/root.crt\"");
    let server_ca = file("server-ca", "\"/etc/ssl/certs/pynomaly-db-ca.crt\"");
    if !cr.has_prop("cert") || !cr.has_prop("key") {
        d.push(
            Diagnostic::new(Kind::Missing, "`ssl` needs `cert` and `key`").at(c.name.span, "incomplete").help(
                "for example: `ssl cert=\"/etc/ssl/certs/postgresql.crt\" key=\"/etc/ssl/private/postgresql.key\"`",
            ),
        );
    }
    if let (Some(cert), Some(key)) = (cert, key) {
        push_setting(pg, params, "ssl", "on", None);
        push_setting(pg, params, "ssl_cert_file", &cert, None);
        push_setting(pg, params, "ssl_key_file", &key, None);
        if let Some(ca) = &ca {
            push_setting(pg, params, "ssl_ca_file", ca, None);
        }
        pg.ssl = Some(ir::PgSsl { cert, key, ca, server_ca });
    }
}

/// `set NAME VALUE [reason=…]`: a server parameter, each once; the TLS switch and files are
/// the `ssl` node's.
fn set(cr: &Reader, pg: &mut ir::Postgres, params: &Params, seen: &mut Seen) {
    let d = cr.d;
    let Some((name, value, reason)) = setting(cr, params, pg.version) else { return };
    if seen.again(d, &name.0, name.1) {
        return;
    }
    if name.0 == "ssl" || name.0.starts_with("ssl_") && (name.0.ends_with("_file") || name.0.ends_with("_dir")) {
        // The TLS switch and files come from the `ssl` node; the protocol and cipher
        // settings may be set here.
        d.push(
            Diagnostic::new(Kind::ExclusiveOptions, format!("`{}` is set by the `ssl` node", name.0))
                .at(name.1, "set with `ssl`")
                .help("write `ssl cert=\"…\" key=\"…\" [ca=\"…\"]`: pynoc states the files as preconditions"),
        );
        return;
    }
    seen.add(&name.0, name.1);
    push_setting(pg, params, &name.0, &value, reason);
}

/// A role may not be the tables' owner: the owner bypasses grants and row security.
fn not_the_owner(d: &Diags, role: &str, span: Span, owner: Option<&(String, Span)>) {
    if let Some((_, at)) = owner.filter(|(o, _)| o == role) {
        d.push(
            Diagnostic::new(Kind::RlsBypass, format!("`{role}` is the table owner and cannot also be a role here"))
                .at(span, "the owner")
                .also(*at, "owner named here")
                .help("the owner bypasses grants; give the application its own role"),
        );
    }
}

/// `pgaudit [CLASS…]`: the classes pgAudit logs, each once (the stdlib's without any).
fn pgaudit(cr: &Reader, c: &Node, version: u32) -> ir::PgAudit {
    let mut log = Vec::new();
    for a in (0..c.args.len()).filter_map(|i| cr.arg(i)) {
        let Some(v) = cr.as_str("`pgaudit`", a, "`pgaudit ddl role write`") else { continue };
        if let Some(class) = one_of(cr.d, "a pgAudit class", &v, AUDIT_CLASSES)
            && !log.contains(&class)
        {
            log.push(class);
        }
    }
    if c.args.is_empty() {
        log = stdlib::pg_hardening().pgaudit.log.clone();
    }
    ir::PgAudit { span: c.name.span, log, package: format!("postgresql-{version}-pgaudit") }
}

/// Every table the file names, for the preconditions and the verify fixture.
fn tables(pg: &ir::Postgres) -> Vec<ir::PgTable> {
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
    tables
}

/// pgAudit in `shared_preload_libraries`, after the libraries the spec loads itself.
fn preload_pgaudit(pg: &mut ir::Postgres, params: &std::collections::BTreeMap<String, stdlib::PgParam>) {
    const NAME: &str = "shared_preload_libraries";
    match pg.settings.iter_mut().chain(pg.defaults.iter_mut()).find(|s| s.name == NAME) {
        Some(s) => {
            let listed = s.value.split(',').any(|l| l.trim().trim_matches('"') == "pgaudit");
            if !listed {
                s.value = if s.value.trim().is_empty() { "pgaudit".into() } else { format!("{}, pgaudit", s.value) };
            }
        }
        None => push_setting(pg, params, NAME, "pgaudit", None),
    }
    // A spec's empty list was "already the default": now it is a setting.
    if let Some(i) = pg.defaults.iter().position(|s| s.name == NAME) {
        let s = pg.defaults.remove(i);
        pg.settings.push(s);
    }
}

/// A login role without `connection-limit` may open every connection the server has for
/// non-superusers but one per other login role: one application's pool cannot lock the
/// others (the monitor, say) out (CIS PostgreSQL 5.5).
fn default_connection_limits(pg: &mut ir::Postgres, params: &std::collections::BTreeMap<String, stdlib::PgParam>) {
    let value = |name: &str| -> i64 {
        pg.settings
            .iter()
            .chain(&pg.defaults)
            .find(|s| s.name == name)
            .map(|s| s.value.as_str())
            .or_else(|| params.get(name).map(|p| p.default.as_str()))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let slots = value("max_connections") - value("superuser_reserved_connections") - value("reserved_connections");
    let logins = pg.roles.iter().filter(|r| r.login).count() as i64;
    let limit = (slots - (logins - 1)).max(1);
    for r in pg.roles.iter_mut().filter(|r| r.login && r.connection_limit_default) {
        r.connection_limit = limit;
    }
}

fn secret_in_spec(d: &Diags, span: Span) {
    d.push(
        Diagnostic::new(Kind::PlaintextSecret, "passwords never appear in a spec")
            .at(span, "a secret in plain text")
            .help(
                "use `password-env=NAME`: the password is read from that environment variable when the SQL is applied",
            ),
    );
}

/// Roles PostgreSQL creates itself or reserves, and words pg_hba.conf reads as keywords: a
/// spec naming one would have pynoc's SQL alter it (`ALTER ROLE "postgres" NOLOGIN` demotes
/// the bootstrap superuser).
const RESERVED_ROLES: &[&str] = &[
    "postgres",
    "public",
    "none",
    "all",
    "current_user",
    "current_role",
    "session_user",
    "user",
    "replication",
    "sameuser",
    "samerole",
    "samegroup",
    "root",
];

/// A role name of the application's own: a name, not built in, not reserved.
fn role_name(d: &Diags, v: &Spanned<String>, what: &str) -> Option<String> {
    let name = ident(d, v, what)?;
    if name.starts_with("pg_") || RESERVED_ROLES.contains(&name.as_str()) {
        d.push(
            Diagnostic::new(Kind::ReservedName, format!("`{name}` is a built-in or reserved role"))
                .at(v.span, "reserved name")
                .help(
                    "`pg_*` roles are built in, `postgres` is the bootstrap superuser and `public`, `all` and the \
                     like are keywords: name the application's own role, e.g. `pynomaly_app`",
                ),
        );
        return None;
    }
    Some(name)
}

/// Why `name` is an environment variable that holds something other than a secret (its
/// value is well known, so a password read from it is too), if it is one.
fn well_known_variable(name: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "PWD",
        "OLDPWD",
        "TERM",
        "LANG",
        "LANGUAGE",
        "HOSTNAME",
        "TMPDIR",
        "TZ",
        "MAIL",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "DISPLAY",
        "SHLVL",
        "UID",
        "EUID",
        "PPID",
        "IFS",
        "PS1",
        "PS2",
        "PS4",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_REPOSITORY",
        "GITHUB_WORKSPACE",
        "RUNNER_OS",
        "SUDO_USER",
        "SUDO_UID",
        "SUDO_GID",
        "SUDO_COMMAND",
        "SSH_CONNECTION",
        "SSH_CLIENT",
        "SSH_TTY",
        "PGUSER",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGDATA",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "MANPATH",
        "INVOCATION_ID",
        "JOURNAL_STREAM",
        "SYSTEMD_EXEC_PID",
        "NOTIFY_SOCKET",
    ];
    const PREFIXES: &[&str] = &["LC_", "XDG_", "ANSIBLE_", "GITHUB_", "RUNNER_", "CARGO_", "RUST", "DBUS_", "SSH_"];
    if KNOWN.contains(&name) {
        Some("a well-known environment variable")
    } else if PREFIXES.iter().any(|p| name.starts_with(p)) {
        Some("in a family of variables the system or the CI sets")
    } else {
        None
    }
}

/// `role NAME [login=…] [password-env=…] [connection-limit=…] [monitor=…] [sequences=…]
/// [migrations=…] { grant …; member-of …; future-tables … }`: a least-privilege role, or the
/// one the application's migrations connect as (a member of the owner, no grants of its own).
fn role(r: &Reader, c: &Node) -> Option<(ir::Role, Span)> {
    let d = r.d;
    let name = r.str_arg(0, "a name", "`role pynomaly_app login=#true password-env=PYNOMALY_APP_PASSWORD`")?;
    let span = name.span;
    let name = role_name(d, &name, "role")?;
    let login = r.bool_prop("login").map(|v| v.value).unwrap_or(false);
    let password_env = r.str_prop("password-env", "PYNOMALY_APP_PASSWORD").and_then(|v| password_env(d, v));
    if let Some(v) = r.refused_prop("password", Ty::Refused) {
        secret_in_spec(d, v.span);
    }
    least_privilege(r, &name);
    if login && !r.has_prop("password-env") {
        d.push(Diagnostic::new(Kind::Missing, format!("login role `{name}` has no `password-env`")).at(span, "no password source").help("add `password-env=NAME`: the password is read from that environment variable when the SQL is applied"));
    }
    let connection_limit = r.int_prop("connection-limit", -1, 10_000).map(|v| v.value as i64);
    let connection_limit_default = connection_limit.is_none() && !r.has_prop("connection-limit");
    let connection_limit = connection_limit.unwrap_or(-1);
    let monitor = r.bool_prop("monitor").map(|v| v.value).unwrap_or(false);
    let sequences = r.bool_prop("sequences").map(|v| v.value).unwrap_or(false);
    let migrations = r.bool_prop("migrations").filter(|v| v.value);
    if let Some(m) = &migrations
        && !login
    {
        d.push(
            Diagnostic::new(Kind::Missing, format!("migrations role `{name}` cannot log in"))
                .at(m.span, "runs the migrations")
                .help("add `login=#true password-env=NAME`: the migrations connect as this role"),
        );
    }
    let mut member_of = Vec::new();
    if monitor {
        member_of.push("pg_monitor".to_string());
    }
    let mut grants = Vec::new();
    let mut future_tables = Vec::new();
    for g in children(c, &["grant", "member-of", "future-tables"], &["future-tables"], d) {
        let gr = Reader::new(g, d);
        if let Some(m) = &migrations {
            d.push(
                Diagnostic::new(Kind::ExclusiveOptions, format!("migrations role `{name}` takes no `{}`", g.name()))
                    .at(g.name.span, "a grant of its own")
                    .also(m.span, "it has the owner's rights")
                    .help("remove it: the migrations role has the owner's rights on every table, and a grant would put it under the tenants' policy"),
            );
        }
        match g.name() {
            "grant" => grants.extend(grant(&gr, g)),
            "member-of" => {
                for m in gr.str_args(0, "a built-in role", "`member-of pg_read_all_stats`") {
                    if let Some(m) = one_of(d, "`member-of`", &m, BUILTIN)
                        && !member_of.contains(&m)
                    {
                        member_of.push(m);
                    }
                }
            }
            _ => future_tables = privileges(&gr, "`future-tables select insert update delete`"),
        }
        gr.leaf_done();
    }
    let role = ir::Role {
        name,
        login,
        password_env,
        connection_limit,
        connection_limit_default,
        member_of,
        grants,
        sequences,
        future_tables,
        migrations: migrations.is_some(),
    };
    Some((role, span))
}

/// `password-env=NAME`: a variable name, and not one whose value is well known.
fn password_env(d: &Diags, v: Spanned<String>) -> Option<String> {
    if !crate::grammar::env_name(&v.value) {
        d.push(
            Diagnostic::new(
                Kind::InvalidValue,
                format!("`{}` is not an environment variable name", v.value.escape_debug()),
            )
            .at(v.span, "not a variable name")
            .help("use uppercase letters, digits and `_`, e.g. `PYNOMALY_APP_PASSWORD`"),
        );
        return None;
    }
    if let Some(why) = well_known_variable(&v.value) {
        d.push(
            Diagnostic::new(Kind::PlaintextSecret, format!("`{}` is {why}, not a password", v.value))
                .at(v.span, "a well-known variable")
                .help("name a variable that holds only this role's password, e.g. `PYNOMALY_APP_PASSWORD`"),
        );
        return None;
    }
    Some(v.value)
}

/// No role attribute that escapes grants or row security, or administers the server.
fn least_privilege(r: &Reader, name: &str) {
    for bad in ["superuser", "bypassrls", "createrole", "createdb", "replication"] {
        if let Some(v) = r.refused_prop(bad, Ty::False)
            && v.value == Value::Bool(true)
        {
            r.d.push(Diagnostic::new(Kind::ExcessPrivilege, format!("`{bad}=#true` is not allowed for `{name}`")).at(v.span, "too much privilege").help("pynoc's roles are least-privilege: superuser and BYPASSRLS ignore row-level security; administer with the `postgres` role"));
        }
    }
}

/// Table privileges as SQL writes them (`SELECT`), each a known one.
fn privileges(gr: &Reader, example: &str) -> Vec<String> {
    gr.str_args(0, "privileges", example)
        .iter()
        .filter_map(|p| one_of(gr.d, "a table privilege", p, PRIVILEGES))
        .map(|p| p.to_uppercase())
        .collect()
}

/// `grant PRIVILEGE… on="TABLE,…"`.
fn grant(gr: &Reader, g: &Node) -> Option<ir::Grant> {
    let d = gr.d;
    let privileges = privileges(gr, "`grant select insert on=\"detectors,datasets\"`");
    let tables: Vec<String> = match gr.str_prop("on", "\"detectors,datasets\"") {
        Some(v) => v
            .value
            .split(',')
            .map(|t| Spanned { value: t.trim().to_string(), span: v.span })
            .filter_map(|t| ident(d, &t, "table"))
            .collect(),
        None => {
            d.push(
                Diagnostic::new(Kind::Missing, "`grant` needs `on`")
                    .at(g.name.span, "no tables")
                    .help("for example: `grant select insert on=\"detectors,datasets\"`"),
            );
            Vec::new()
        }
    };
    (!privileges.is_empty() && !tables.is_empty()).then_some(ir::Grant { privileges, tables })
}

/// `row-security TABLE column=… [type=…] [setting=…] [roles=…]` or `deny-all=#true`: a
/// per-tenant policy, never one that an owner bypasses or that applies to nobody.
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
            let message = format!("`{}` is not a custom setting name", v.value.escape_debug());
            let help = "custom settings have a prefix: `app.current_user_id`";
            validate::accept(
                d,
                &v,
                crate::grammar::pg_setting(&v.value),
                Kind::InvalidValue,
                message,
                "not PREFIX.NAME",
                help,
            )
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
                    Diagnostic::new(Kind::ExclusiveOptions, "`deny-all` and `column` exclude each other")
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
            Diagnostic::new(Kind::Missing, format!("`{table}` would have row-level security and no policy"))
                .at(span, "no policy")
                .help("add `column=TENANT_COLUMN` for a per-tenant policy, or `deny-all=#true reason=\"…\"` if no role should see its rows"),
        );
        return None;
    }
    // The policy applies to the named roles, or to every role granted on the table.
    let policy_roles = match explicit_roles {
        Some(v) => named_roles(d, &v, roles),
        None => pg
            .roles
            .iter()
            .filter(|ro| ro.grants.iter().any(|g| g.tables.contains(&table)))
            .map(|ro| ro.name.clone())
            .collect(),
    };
    policy_bypass(d, pg, span, &policy_roles, owner);
    if column.is_some() && policy_roles.is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, format!("no role is granted on `{table}`, so its policy applies to nobody"))
                .at(span, "no role")
                .help("grant a role on the table, or name it: `roles=\"pynomaly_app\"`"),
        );
    }
    Some((ir::RowSecurity { table, column, column_type, setting, roles: policy_roles, deny_all }, span))
}

/// No role of a table's policy may act as the owner: the owner itself (it bypasses
/// row-level security) or the migrations role (the owner's rights), either of which the
/// SQL's own check would refuse when it is applied.
fn policy_bypass(d: &Diags, pg: &ir::Postgres, span: Span, policy_roles: &[String], owner: Option<&(String, Span)>) {
    // The migrations role has the owner's rights: under the tenants' policy it would be
    // refused by the SQL's own check (a role of the policy that may act as the owner).
    for m in pg.roles.iter().filter(|ro| ro.migrations && policy_roles.contains(&ro.name)) {
        d.push(
            Diagnostic::new(Kind::RlsBypass, format!("`{}` runs the migrations with the owner's rights", m.name))
                .at(span, "protected table")
                .help("leave it out of `roles=`: the tenants' policy is for the application's roles"),
        );
    }
    if let Some((o, ospan)) = owner
        && policy_roles.contains(o)
    {
        d.push(
            Diagnostic::new(
                Kind::RlsBypass,
                format!("`{o}` owns the tables, and an owner bypasses row-level security"),
            )
            .at(span, "protected table")
            .also(*ospan, "owner")
            .help("apply the policy to an application role that does not own the tables"),
        );
    }
}

/// `roles="A,B"`: roles the `postgres` section defines.
fn named_roles(d: &Diags, v: &Spanned<String>, roles: &[(String, Span)]) -> Vec<String> {
    let mut out = Vec::new();
    for name in v.value.split(',').map(str::trim) {
        if roles.iter().any(|(r, _)| r == name) {
            out.push(name.to_string());
        } else {
            let names: Vec<&str> = roles.iter().map(|(r, _)| r.as_str()).collect();
            d.push(
                Diagnostic::new(Kind::UnknownReference, format!("no role named `{name}`"))
                    .at(v.span, "not defined in `postgres`")
                    .help(unknown_help(name, &names)),
            );
        }
    }
    out
}
