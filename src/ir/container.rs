//! The container section of the IR.

use schemars::JsonSchema;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::ast::Span;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Container {
    #[serde(skip)]
    pub(crate) span: Span,
    /// The application images, each with its Dockerfile and ignore file (the first's are
    /// `Dockerfile` and `.dockerignore`, every other's named by it).
    pub(crate) images: Vec<Image>,
    /// The stack: docker-compose.yml.
    pub(crate) compose: Option<Stack>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Image {
    pub(crate) name: String,
    /// Its Dockerfile beside the compose file: `Dockerfile` for the first image,
    /// `NAME.Dockerfile` for every other (`artifact::Kind::instance_path`).
    pub(crate) dockerfile: String,
    /// Pinned base image, e.g. `python:3.11-slim-bookworm`.
    pub(crate) base: String,
    pub(crate) user: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) port: u16,
    /// Debian packages for the builder stage only (compilers, -dev packages).
    pub(crate) build_packages: Vec<String>,
    /// Debian packages the application needs at run time.
    pub(crate) packages: Vec<String>,
    /// The pip requirements file in the build context.
    pub(crate) requirements: String,
    /// Directories the application may write, owned by its user.
    pub(crate) writable: Vec<String>,
    pub(crate) healthcheck: Option<Healthcheck>,
    pub(crate) env: Vec<EnvVar>,
    pub(crate) cmd: Vec<String>,
    /// The spec's own .dockerignore patterns (negations allowed).
    pub(crate) ignore: Vec<String>,
    /// Patterns always excluded (secrets, VCS data, the build files), written after the
    /// spec's: the last matching pattern wins, so no `!pattern` can bring them back.
    pub(crate) ignore_always: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Healthcheck {
    /// HTTP path probed on the image's port.
    pub(crate) path: String,
    pub(crate) interval: Seconds,
    pub(crate) timeout: Seconds,
    pub(crate) start_period: Seconds,
    pub(crate) retries: u32,
}

/// A duration in whole seconds, written as Docker reads it (`30s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(with = "String")]
pub(crate) struct Seconds(pub u64);

impl Serialize for Seconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}s", self.0))
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct EnvVar {
    /// Where the spec sets it; `None` for a variable pynoc sets.
    #[serde(skip)]
    pub(crate) span: Option<Span>,
    pub(crate) name: String,
    pub(crate) value: String,
}

impl EnvVar {
    /// A variable the spec sets with `env NAME VALUE` at `span`.
    pub(crate) fn spec(span: Span, name: String, value: String) -> EnvVar {
        EnvVar { span: Some(span), name, value }
    }

    /// A variable pynoc sets (the wiring to the database, the image's defaults).
    pub(crate) fn pynoc(name: &str, value: String) -> EnvVar {
        EnvVar { span: None, name: name.into(), value }
    }
}

/// The variable through which an application names the database role it connects as: the
/// one contract between a spec's `env` and pynoc's wiring, read once, in lowering, into
/// [`Service::db_role`].
pub(crate) const DB_ROLE_ENV: &str = "DATABASE_USER";

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Stack {
    pub(crate) networks: Vec<StackNetwork>,
    pub(crate) services: Vec<Service>,
    pub(crate) secrets: Vec<Secret>,
    pub(crate) volumes: Vec<StackVolume>,
    /// The `postgres` section, run by the stack's database service.
    pub(crate) database: Option<StackDatabase>,
}

/// How the stack's database service runs the spec's `postgres` section: pg_hba.conf and
/// the settings on its command line, TLS and role passwords as secrets, the security SQL
/// applied inside it by `postgres-apply.sh`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct StackDatabase {
    /// The compose service.
    pub(crate) service: String,
    /// `UID:GID` of the server.
    pub(crate) user: String,
    pub(crate) database: String,
    /// Login roles with their password's environment variable and secret.
    pub(crate) roles: Vec<StackRole>,
    pub(crate) tls: bool,
    /// The image pynoc's Dockerfile builds for it, when the official one lacks what the
    /// section needs (pgAudit).
    pub(crate) build: Option<DatabaseBuild>,
}

/// `container/postgres.Dockerfile`: the official image plus Debian packages.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct DatabaseBuild {
    /// The image compose runs, which the Dockerfile builds.
    pub(crate) image: String,
    /// The official image it is built `FROM`.
    pub(crate) base: String,
    pub(crate) packages: Vec<String>,
    /// `UID:GID` of the base image's server.
    pub(crate) user: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct StackRole {
    pub(crate) role: String,
    /// The variable the security SQL reads the password from.
    pub(crate) password_env: String,
    /// The compose secret that holds it.
    pub(crate) secret: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct StackNetwork {
    #[serde(skip)]
    pub(crate) span: Span,
    pub(crate) name: String,
    /// No route outside: for the database and the cache.
    pub(crate) internal: bool,
    pub(crate) subnet: Option<IpNet>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Secret {
    pub(crate) name: String,
    /// The file that holds it, next to the compose file; never its content.
    pub(crate) file: String,
    /// Where `prepare.sh` gets it when the file is missing.
    pub(crate) source: SecretSource,
    /// `UID:GID` the file belongs to: the user of the service that reads it (the owner) and,
    /// when a second service reads it, that one's group.
    pub(crate) owner: String,
    /// `0400`, or `0440` for two readers.
    pub(crate) mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub(crate) enum SecretSource {
    /// A random password, made once and never printed.
    Random,
    /// A copy of a host file (a TLS certificate or key), refreshed on every run.
    Copy { from: String },
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct StackVolume {
    pub(crate) name: String,
    /// A host directory bound with noexec,nosuid,nodev.
    pub(crate) device: Option<String>,
    #[serde(skip)]
    pub(crate) device_span: Span,
    /// `UID:GID` of that directory: the user of the service that mounts it (the owner) and,
    /// when a second service mounts it, that one's group; `prepare.sh` creates it so.
    pub(crate) owner: String,
    /// `0700`, or `0770` for two users.
    pub(crate) mode: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Service {
    #[serde(skip)]
    pub(crate) span: Span,
    pub(crate) name: String,
    pub(crate) kind: ServiceKind,
    pub(crate) image: String,
    /// The official image pynoc's Dockerfile builds this one from (`base=`): the stack's
    /// database, with what its `postgres` section needs that the official image lacks.
    pub(crate) build: Option<String>,
    /// `UID:GID` the service runs as: the uid the image really has.
    pub(crate) user: String,
    pub(crate) cpus: String,
    pub(crate) memory: String,
    pub(crate) reservation_cpus: Option<String>,
    pub(crate) reservation_memory: Option<String>,
    pub(crate) pids: u32,
    /// tmpfs mounts with their options, e.g. `/tmp:size=100m,noexec,nosuid,nodev`.
    pub(crate) tmpfs: Vec<String>,
    pub(crate) volumes: Vec<VolumeMount>,
    pub(crate) secrets: Vec<String>,
    pub(crate) env: Vec<EnvVar>,
    /// The database role the service connects as (its `env DATABASE_USER`), with where the
    /// spec says so.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) db_role: Option<(String, Span)>,
    pub(crate) networks: Vec<String>,
    pub(crate) ports: Vec<Port>,
    pub(crate) depends_on: Vec<String>,
    /// Exec-form health check command.
    pub(crate) healthcheck: Vec<String>,
    pub(crate) command: Vec<String>,
    pub(crate) cap_add: Vec<String>,
}

/// What a service runs, which decides what pynoc knows about it (its uid, its health check,
/// what it may publish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ServiceKind {
    /// Built from the spec's Dockerfile.
    App,
    Postgres,
    Redis,
    /// Another pinned image, with the uid the spec gives.
    Other,
}

impl ServiceKind {
    /// The database and the cache: never published, only on internal networks.
    pub(crate) fn is_backend(self) -> bool {
        matches!(self, ServiceKind::Postgres | ServiceKind::Redis)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct VolumeMount {
    /// A named volume, or with `bind` a path relative to the compose file.
    pub(crate) volume: String,
    pub(crate) target: String,
    pub(crate) read_only: bool,
    pub(crate) bind: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Port {
    pub(crate) host_ip: IpAddr,
    pub(crate) published: u16,
    pub(crate) target: u16,
}
