//! The container section of the IR.

use schemars::JsonSchema;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::ast::Span;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Container {
    #[serde(skip)]
    pub span: Span,
    /// The application image: Dockerfile and .dockerignore.
    pub image: Option<Image>,
    /// The stack: docker-compose.yml.
    pub compose: Option<Stack>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Image {
    pub name: String,
    /// Pinned base image, e.g. `python:3.11-slim-bookworm`.
    pub base: String,
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    pub port: u16,
    /// Debian packages for the builder stage only (compilers, -dev packages).
    pub build_packages: Vec<String>,
    /// Debian packages the application needs at run time.
    pub packages: Vec<String>,
    /// The pip requirements file in the build context.
    pub requirements: String,
    /// Directories the application may write, owned by its user.
    pub writable: Vec<String>,
    pub healthcheck: Option<Healthcheck>,
    pub env: Vec<EnvVar>,
    pub cmd: Vec<String>,
    /// The spec's own .dockerignore patterns (negations allowed).
    pub ignore: Vec<String>,
    /// Patterns always excluded (secrets, VCS data, the build files), written after the
    /// spec's: the last matching pattern wins, so no `!pattern` can bring them back.
    pub ignore_always: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Healthcheck {
    /// HTTP path probed on the image's port.
    pub path: String,
    pub interval: Seconds,
    pub timeout: Seconds,
    pub start_period: Seconds,
    pub retries: u32,
}

/// A duration in whole seconds, written as Docker reads it (`30s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(with = "String")]
pub struct Seconds(pub u64);

impl Serialize for Seconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}s", self.0))
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvVar {
    /// Where the spec sets it; `None` for a variable pynoc sets.
    #[serde(skip)]
    pub span: Option<Span>,
    pub name: String,
    pub value: String,
}

impl EnvVar {
    /// A variable the spec sets with `env NAME VALUE` at `span`.
    pub fn spec(span: Span, name: String, value: String) -> EnvVar {
        EnvVar { span: Some(span), name, value }
    }

    /// A variable pynoc sets (the wiring to the database, the image's defaults).
    pub fn pynoc(name: &str, value: String) -> EnvVar {
        EnvVar { span: None, name: name.into(), value }
    }
}

/// The variable through which an application names the database role it connects as: the
/// one contract between a spec's `env` and pynoc's wiring, read once, in lowering, into
/// [`Service::db_role`].
pub const DB_ROLE_ENV: &str = "DATABASE_USER";

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stack {
    pub networks: Vec<StackNetwork>,
    pub services: Vec<Service>,
    pub secrets: Vec<Secret>,
    pub volumes: Vec<StackVolume>,
    /// The `postgres` section, run by the stack's database service.
    pub database: Option<StackDatabase>,
}

/// How the stack's database service runs the spec's `postgres` section: pg_hba.conf and
/// the settings on its command line, TLS and role passwords as secrets, the security SQL
/// applied inside it by `postgres-apply.sh`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackDatabase {
    /// The compose service.
    pub service: String,
    /// `UID:GID` of the server.
    pub user: String,
    pub database: String,
    /// Login roles with their password's environment variable and secret.
    pub roles: Vec<StackRole>,
    pub tls: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackRole {
    pub role: String,
    /// The variable the security SQL reads the password from.
    pub password_env: String,
    /// The compose secret that holds it.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackNetwork {
    #[serde(skip)]
    pub span: Span,
    pub name: String,
    /// No route outside: for the database and the cache.
    pub internal: bool,
    pub subnet: Option<IpNet>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Secret {
    pub name: String,
    /// The file that holds it, next to the compose file; never its content.
    pub file: String,
    /// Where `prepare.sh` gets it when the file is missing.
    pub source: SecretSource,
    /// `UID:GID` the file belongs to: the user of the service that reads it (the owner) and,
    /// when a second service reads it, that one's group.
    pub owner: String,
    /// `0400`, or `0440` for two readers.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum SecretSource {
    /// A random password, made once and never printed.
    Random,
    /// A copy of a host file (a TLS certificate or key), refreshed on every run.
    Copy { from: String },
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackVolume {
    pub name: String,
    /// A host directory bound with noexec,nosuid,nodev.
    pub device: Option<String>,
    #[serde(skip)]
    pub device_span: Span,
    /// `UID:GID` of that directory: the user of the service that mounts it (the owner) and,
    /// when a second service mounts it, that one's group; `prepare.sh` creates it so.
    pub owner: String,
    /// `0700`, or `0770` for two users.
    pub mode: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Service {
    #[serde(skip)]
    pub span: Span,
    pub name: String,
    pub kind: ServiceKind,
    pub image: String,
    /// `UID:GID` the service runs as: the uid the image really has.
    pub user: String,
    pub cpus: String,
    pub memory: String,
    pub reservation_cpus: Option<String>,
    pub reservation_memory: Option<String>,
    pub pids: u32,
    /// tmpfs mounts with their options, e.g. `/tmp:size=100m,noexec,nosuid,nodev`.
    pub tmpfs: Vec<String>,
    pub volumes: Vec<VolumeMount>,
    pub secrets: Vec<String>,
    pub env: Vec<EnvVar>,
    /// The database role the service connects as (its `env DATABASE_USER`), with where the
    /// spec says so.
    #[serde(skip)]
    #[schemars(skip)]
    pub db_role: Option<(String, Span)>,
    pub networks: Vec<String>,
    pub ports: Vec<Port>,
    pub depends_on: Vec<String>,
    /// Exec-form health check command.
    pub healthcheck: Vec<String>,
    pub command: Vec<String>,
    pub cap_add: Vec<String>,
}

/// What a service runs, which decides what pynoc knows about it (its uid, its health check,
/// what it may publish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// Built from the spec's Dockerfile.
    App,
    Postgres,
    Redis,
    /// Another pinned image, with the uid the spec gives.
    Other,
}

impl ServiceKind {
    /// The database and the cache: never published, only on internal networks.
    pub fn is_backend(self) -> bool {
        matches!(self, ServiceKind::Postgres | ServiceKind::Redis)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VolumeMount {
    /// A named volume, or with `bind` a path relative to the compose file.
    pub volume: String,
    pub target: String,
    pub read_only: bool,
    pub bind: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Port {
    pub host_ip: IpAddr,
    pub published: u16,
    pub target: u16,
}
