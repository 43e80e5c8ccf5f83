//! The container section of the IR.

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Container {
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
    pub interval: String,
    pub timeout: String,
    pub start_period: String,
    pub retries: u32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stack {
    pub networks: Vec<StackNetwork>,
    pub services: Vec<Service>,
    pub secrets: Vec<Secret>,
    pub volumes: Vec<StackVolume>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackNetwork {
    pub name: String,
    /// No route outside: for the database and the cache.
    pub internal: bool,
    pub subnet: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Secret {
    pub name: String,
    /// The file that holds it, next to the compose file; never its content.
    pub file: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackVolume {
    pub name: String,
    /// A host directory bound with noexec,nosuid,nodev.
    pub device: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Service {
    pub name: String,
    /// `app` (built from the Dockerfile), `postgres`, `redis` or `other`.
    pub kind: String,
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
    pub networks: Vec<String>,
    pub ports: Vec<Port>,
    pub depends_on: Vec<String>,
    /// Exec-form health check command.
    pub healthcheck: Vec<String>,
    pub command: Vec<String>,
    pub cap_add: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VolumeMount {
    pub volume: String,
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Port {
    pub host_ip: String,
    pub published: u16,
    pub target: u16,
}
