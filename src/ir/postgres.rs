//! The postgres section of the IR.

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;

use crate::ast::Span;

/// PostgreSQL security SQL and pg_hba.conf.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Postgres {
    #[serde(skip)]
    pub(crate) span: Span,
    /// Major version the output targets (13–17).
    pub(crate) version: u32,
    pub(crate) database: String,
    /// The role that owns the tables (migrations run as it); default privileges are set for
    /// the tables and sequences it creates. Never an application role.
    pub(crate) owner: Option<String>,
    /// `ALTER SYSTEM` settings that differ from the version's default.
    pub(crate) settings: Vec<PgSetting>,
    /// Settings of the spec that are already the default: noted, not repeated.
    pub(crate) defaults: Vec<PgSetting>,
    /// Certificate and key the server reads when `ssl` is on: preconditions of the file.
    pub(crate) ssl: Option<PgSsl>,
    pub(crate) roles: Vec<Role>,
    pub(crate) row_security: Vec<RowSecurity>,
    pub(crate) hba: Vec<HbaLine>,
    /// Every table the file names, with its tenant column where it has one.
    pub(crate) tables: Vec<PgTable>,
    /// pgAudit, when the spec declares it (`pgaudit`).
    pub(crate) pgaudit: Option<PgAudit>,
    /// Where the server runs: said once (a compose service's `database=`), followed by every
    /// consumer (the playbook, the install paths, the audit watches).
    pub(crate) place: Place,
}

impl Postgres {
    /// The server is Debian's PostgreSQL on the host (not the compose stack's).
    pub(crate) fn on_host(&self) -> bool {
        self.place == Place::Host
    }
}

/// Where the spec's PostgreSQL runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(tag = "runs", rename_all = "kebab-case")]
pub(crate) enum Place {
    /// Debian's PostgreSQL on the host, installed and configured by the playbook.
    Host,
    /// The compose service that says `database=`, brought up by the playbook's stack play.
    Compose { service: String },
}

/// pgAudit: loaded by `shared_preload_libraries`, its event triggers created once loaded.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PgAudit {
    #[serde(skip)]
    pub(crate) span: Span,
    /// Statement classes logged (`pgaudit.log`), lowercase.
    pub(crate) log: Vec<String>,
    /// The Debian package that provides it for the target version.
    pub(crate) package: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PgSetting {
    pub(crate) name: String,
    /// The value as PostgreSQL reads it, unquoted.
    pub(crate) value: String,
    /// pg_settings.context, e.g. `sighup`, `postmaster`.
    pub(crate) context: String,
    /// `reload` or `restart`.
    pub(crate) apply: String,
    /// Why a setting that needs one (stdlib/postgres/dangerous.toml) is set.
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PgSsl {
    pub(crate) cert: String,
    pub(crate) key: String,
    /// The CA that signs client certificates (`ssl_ca_file`), for `method=cert` lines.
    pub(crate) ca: Option<String>,
    /// The CA that signed the server's certificate: the stack's applications get it and
    /// verify the server (`PGSSLMODE=verify-full`) instead of only encrypting (`require`).
    pub(crate) server_ca: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) login: bool,
    /// The environment variable the password is read from at apply time.
    pub(crate) password_env: Option<String>,
    /// `-1` for no limit.
    pub(crate) connection_limit: i64,
    /// The limit is pynoc's default (the spec has no `connection-limit`).
    pub(crate) connection_limit_default: bool,
    /// Built-in roles it is granted, e.g. `pg_monitor`.
    pub(crate) member_of: Vec<String>,
    pub(crate) grants: Vec<Grant>,
    /// USAGE and SELECT on the schema's sequences (now and, with an owner, future ones).
    pub(crate) sequences: bool,
    /// Privileges on tables the owner creates later.
    pub(crate) future_tables: Vec<String>,
    /// Runs the application's migrations: a member of the owner (DDL as `SET ROLE OWNER`),
    /// and every table under forced row-level security gets a policy that lets the owner
    /// see and change all rows, so data migrations do not silently change nothing.
    pub(crate) migrations: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Grant {
    /// Upper-case privilege names, e.g. `SELECT`.
    pub(crate) privileges: Vec<String>,
    pub(crate) tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct RowSecurity {
    pub(crate) table: String,
    /// The tenant column; none for a deny-all table.
    pub(crate) column: Option<String>,
    /// The column's SQL type the setting is cast to, e.g. `uuid`.
    pub(crate) column_type: String,
    /// The custom setting that holds the current tenant, e.g. `app.current_user_id`.
    pub(crate) setting: String,
    /// Roles the policy applies to.
    pub(crate) roles: Vec<String>,
    /// No policy on purpose: nobody but superusers sees a row.
    pub(crate) deny_all: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct HbaLine {
    #[serde(skip)]
    pub(crate) span: Span,
    pub(crate) kind: HbaKind,
    pub(crate) database: String,
    pub(crate) user: String,
    /// The client network; none for `local` lines.
    pub(crate) address: Option<IpNet>,
    pub(crate) method: HbaMethod,
    /// Why a line weaker than the default (`host`, which admits connections without TLS) is
    /// there: repeated in pg_hba.conf.
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum HbaKind {
    Local,
    Host,
    Hostssl,
    Hostnossl,
}

impl HbaKind {
    /// A TCP line (every kind but `local`).
    pub(crate) fn is_network(self) -> bool {
        self != HbaKind::Local
    }

    pub(crate) fn as_str(self) -> &'static str {
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
    pub(crate) fn admits_administrator_remotely(&self) -> bool {
        admits_administrator_remotely(self.kind, &self.database, &self.user, self.method == HbaMethod::Reject)
    }
}

/// A pg_hba line of `kind` for `database` and `user` that does not reject: whether it lets
/// the superuser (`postgres`, by name or as `all`) or a replication connection in over the
/// network. Lowering asks before the line exists, the report after.
pub(crate) fn admits_administrator_remotely(kind: HbaKind, database: &str, user: &str, rejects: bool) -> bool {
    kind.is_network() && !rejects && (database == "replication" || user == "postgres" || user == "all")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) enum HbaMethod {
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    #[serde(rename = "peer")]
    Peer,
    #[serde(rename = "cert")]
    Cert,
    #[serde(rename = "reject")]
    Reject,
}

impl HbaMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HbaMethod::ScramSha256 => "scram-sha-256",
            HbaMethod::Peer => "peer",
            HbaMethod::Cert => "cert",
            HbaMethod::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PgTable {
    pub(crate) name: String,
    pub(crate) column: Option<String>,
    pub(crate) column_type: Option<String>,
}
