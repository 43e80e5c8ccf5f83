//! The postgres section of the IR.

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;

use crate::ast::Span;

/// PostgreSQL security SQL and pg_hba.conf.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Postgres {
    #[serde(skip)]
    pub span: Span,
    /// Major version the output targets (13–17).
    pub version: u32,
    pub database: String,
    /// The role that owns the tables (migrations run as it); default privileges are set for
    /// the tables and sequences it creates. Never an application role.
    pub owner: Option<String>,
    /// `ALTER SYSTEM` settings that differ from the version's default.
    pub settings: Vec<PgSetting>,
    /// Settings of the spec that are already the default: noted, not repeated.
    pub defaults: Vec<PgSetting>,
    /// Certificate and key the server reads when `ssl` is on: preconditions of the file.
    pub ssl: Option<PgSsl>,
    pub roles: Vec<Role>,
    pub row_security: Vec<RowSecurity>,
    pub hba: Vec<HbaLine>,
    /// Every table the file names, with its tenant column where it has one.
    pub tables: Vec<PgTable>,
    /// pgAudit, when the spec declares it (`pgaudit`).
    pub pgaudit: Option<PgAudit>,
}

/// pgAudit: loaded by `shared_preload_libraries`, its event triggers created once loaded.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PgAudit {
    #[serde(skip)]
    pub span: Span,
    /// Statement classes logged (`pgaudit.log`), lowercase.
    pub log: Vec<String>,
    /// The Debian package that provides it for the target version.
    pub package: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PgSetting {
    pub name: String,
    /// The value as PostgreSQL reads it, unquoted.
    pub value: String,
    /// pg_settings.context, e.g. `sighup`, `postmaster`.
    pub context: String,
    /// `reload` or `restart`.
    pub apply: String,
    /// Why a setting that needs one (stdlib/postgres/dangerous.toml) is set.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PgSsl {
    pub cert: String,
    pub key: String,
    /// The CA that signs client certificates (`ssl_ca_file`), for `method=cert` lines.
    pub ca: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Role {
    pub name: String,
    pub login: bool,
    /// The environment variable the password is read from at apply time.
    pub password_env: Option<String>,
    /// `-1` for no limit.
    pub connection_limit: i64,
    /// The limit is pynoc's default (the spec has no `connection-limit`).
    pub connection_limit_default: bool,
    /// Built-in roles it is granted, e.g. `pg_monitor`.
    pub member_of: Vec<String>,
    pub grants: Vec<Grant>,
    /// USAGE and SELECT on the schema's sequences (now and, with an owner, future ones).
    pub sequences: bool,
    /// Privileges on tables the owner creates later.
    pub future_tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Grant {
    /// Upper-case privilege names, e.g. `SELECT`.
    pub privileges: Vec<String>,
    pub tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RowSecurity {
    pub table: String,
    /// The tenant column; none for a deny-all table.
    pub column: Option<String>,
    /// The column's SQL type the setting is cast to, e.g. `uuid`.
    pub column_type: String,
    /// The custom setting that holds the current tenant, e.g. `app.current_user_id`.
    pub setting: String,
    /// Roles the policy applies to.
    pub roles: Vec<String>,
    /// No policy on purpose: nobody but superusers sees a row.
    pub deny_all: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HbaLine {
    #[serde(skip)]
    pub span: Span,
    pub kind: HbaKind,
    pub database: String,
    pub user: String,
    /// The client network; none for `local` lines.
    pub address: Option<IpNet>,
    pub method: HbaMethod,
    /// Why a line weaker than the default (`host`, which admits connections without TLS) is
    /// there: repeated in pg_hba.conf.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HbaKind {
    Local,
    Host,
    Hostssl,
    Hostnossl,
}

impl HbaKind {
    /// A TCP line (every kind but `local`).
    pub fn is_network(self) -> bool {
        self != HbaKind::Local
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HbaKind::Local => "local",
            HbaKind::Host => "host",
            HbaKind::Hostssl => "hostssl",
            HbaKind::Hostnossl => "hostnossl",
        }
    }
}

impl HbaLine {
    /// Whether the line lets the superuser (`postgres`, by name or as `all`) or a
    /// replication connection in over the network.
    pub fn admits_administrator_remotely(&self) -> bool {
        admits_administrator_remotely(self.kind, &self.database, &self.user, self.method == HbaMethod::Reject)
    }
}

/// A pg_hba line of `kind` for `database` and `user` that does not reject: whether it lets
/// the superuser (`postgres`, by name or as `all`) or a replication connection in over the
/// network. Lowering asks before the line exists, the report after.
pub fn admits_administrator_remotely(kind: HbaKind, database: &str, user: &str, rejects: bool) -> bool {
    kind.is_network() && !rejects && (database == "replication" || user == "postgres" || user == "all")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum HbaMethod {
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    #[serde(rename = "peer")]
    Peer,
    #[serde(rename = "cert")]
    Cert,
    #[serde(rename = "reject")]
    Reject,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PgTable {
    pub name: String,
    pub column: Option<String>,
    pub column_type: Option<String>,
}
