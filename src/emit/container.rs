//! `container/Dockerfile` and `container/.dockerignore` from `stdlib/container/`, and
//! `container/docker-compose.yml` from typed structs serialized by serde (never a template).

use std::collections::BTreeMap;

use minijinja::{Environment, Error, ErrorKind, Value};
use serde::Serialize;

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::{Container, Stack};

pub(crate) fn emit(env: &Environment, cx: &Context, c: &Container, pg: &[Artifact]) -> Result<Vec<Artifact>, Error> {
    let mut out = Vec::new();
    for (i, image) in c.images.iter().enumerate() {
        // The first image's files are `Dockerfile` and `.dockerignore`; every other's are
        // named by it (BuildKit reads `NAME.Dockerfile.dockerignore` for `NAME.Dockerfile`).
        let instance = (i > 0).then(|| image.name.clone());
        let apply = match &instance {
            None => format!("docker build -t {} .", image.name),
            Some(_) => format!("docker build -f {} -t {} .", image.dockerfile, image.name),
        };
        out.push(Artifact {
            kind: Kind::Dockerfile,
            instance: instance.clone(),
            install: Kind::Dockerfile.install(cx.spec),
            apply: apply.clone(),
            env: vec![],
            content: render(env, cx, Kind::Dockerfile, "image", image, &[])?,
        });
        out.push(Artifact {
            kind: Kind::Dockerignore,
            instance,
            install: Kind::Dockerignore.install(cx.spec),
            apply,
            env: vec![],
            content: render(env, cx, Kind::Dockerignore, "image", image, &[])?,
        });
    }
    if let Some(stack) = &c.compose {
        let yaml = serde_norway::to_string(&compose(stack, &c.images, &cx.spec.project.name))
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        out.push(Artifact {
            kind: Kind::Compose,
            instance: None,
            install: Kind::Compose.install(cx.spec),
            apply: "docker compose up -d".into(),
            env: vec![],
            content: format!("{}\n{yaml}", cx.header(Kind::Compose)),
        });
        out.push(Artifact {
            kind: Kind::Prepare,
            instance: None,
            install: Kind::Prepare.install(cx.spec),
            apply: "sh prepare.sh".into(),
            env: vec![],
            content: render(env, cx, Kind::Prepare, "stack", stack, &[("conf", embedded(pg)?)])?,
        });
        out.push(Artifact {
            kind: Kind::Gitignore,
            instance: None,
            install: Kind::Gitignore.install(cx.spec),
            apply: "-".into(),
            env: vec![],
            content: render(env, cx, Kind::Gitignore, "stack", stack, &[])?,
        });
        if let Some(build) = stack.database.as_ref().and_then(|db| db.build.as_ref()) {
            out.push(Artifact {
                kind: Kind::PostgresDockerfile,
                instance: None,
                install: Kind::PostgresDockerfile.install(cx.spec),
                apply: format!("docker build -f postgres.Dockerfile -t {} .", build.image),
                env: vec![],
                content: render(env, cx, Kind::PostgresDockerfile, "build", build, &[])?,
            });
        }
        if let Some(db) = &stack.database {
            out.push(Artifact {
                kind: Kind::PostgresApply,
                instance: None,
                install: Kind::PostgresApply.install(cx.spec),
                apply: format!("docker compose exec {} sh /etc/pynoc/postgres-apply.sh", db.service),
                env: vec![],
                content: render(env, cx, Kind::PostgresApply, "db", db, &[])?,
            });
        }
    }
    Ok(out)
}

/// The database's files (postgres/) prepare.sh writes from its own text (quoted here-documents), so that
/// `container/` needs nothing else of pynoc's output. Each delimiter is named after its
/// body's digest and is refused if a line of the body equals it.
fn embedded(pg: &[Artifact]) -> Result<Value, Error> {
    let mut out = Vec::new();
    for a in pg {
        let delim = format!("PYNOC_{}", &crate::sha256_hex(a.content.as_bytes())[..16].to_ascii_uppercase());
        if !a.content.ends_with('\n') || a.content.lines().any(|l| l == delim) {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("{} cannot be embedded in prepare.sh", a.path()),
            ));
        }
        let path = a.path();
        let name = path.rsplit('/').next().unwrap_or_default();
        out.push(BTreeMap::from([("name", name.to_string()), ("delim", delim), ("content", a.content.clone())]));
    }
    Ok(Value::from(minijinja::value::Serde(out)))
}

// The compose file's model: only what pynoc writes, in the compose specification's names.

#[derive(Serialize)]
struct File {
    /// The compose project: the spec's, so that two stacks on one host never share names.
    name: String,
    services: BTreeMap<String, Service>,
    networks: BTreeMap<String, Network>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    volumes: BTreeMap<String, Volume>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    secrets: BTreeMap<String, SecretFile>,
}

#[derive(Serialize)]
struct Service {
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<Build>,
    image: String,
    user: String,
    read_only: bool,
    security_opt: Vec<String>,
    cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cap_add: Vec<String>,
    tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volumes: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secrets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    command: Vec<String>,
    networks: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<PortMapping>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    depends_on: BTreeMap<String, Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthcheck: Option<Health>,
    restart: String,
    deploy: Deploy,
}

#[derive(Serialize)]
struct Build {
    context: String,
    dockerfile: String,
}

#[derive(Serialize)]
struct VolumeMount {
    #[serde(rename = "type")]
    kind: String,
    source: String,
    target: String,
    read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume: Option<VolumeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bind: Option<BindOptions>,
}

#[derive(Serialize)]
struct BindOptions {
    create_host_path: bool,
}

#[derive(Serialize)]
struct VolumeOptions {
    nocopy: bool,
}

#[derive(Serialize)]
struct PortMapping {
    target: u16,
    published: String,
    host_ip: String,
    protocol: String,
}

#[derive(Serialize)]
struct Condition {
    condition: String,
}

#[derive(Serialize)]
struct Health {
    test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_period: Option<String>,
}

/// A service with no health check of its own (`NONE` turns off its image's): the services
/// that depend on it wait for it started, not healthy.
fn unchecked(s: &crate::ir::Service) -> bool {
    s.healthcheck.is_empty() || s.healthcheck == ["NONE"]
}

#[derive(Serialize)]
struct Deploy {
    resources: Resources,
}

#[derive(Serialize)]
struct Resources {
    limits: Limits,
    #[serde(skip_serializing_if = "Option::is_none")]
    reservations: Option<Reservations>,
}

#[derive(Serialize)]
struct Limits {
    cpus: String,
    memory: String,
    pids: u32,
}

#[derive(Serialize)]
struct Reservations {
    #[serde(skip_serializing_if = "Option::is_none")]
    cpus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<String>,
}

#[derive(Serialize)]
struct Network {
    driver: String,
    internal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ipam: Option<Ipam>,
}

#[derive(Serialize)]
struct Ipam {
    config: Vec<Subnet>,
}

#[derive(Serialize)]
struct Subnet {
    subnet: String,
}

#[derive(Serialize)]
struct Volume {
    driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    driver_opts: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct SecretFile {
    file: String,
}

/// Compose interpolates `$VAR` in every string; `$$` keeps a `$` as data.
fn lit(s: &str) -> String {
    s.replace('$', "$$")
}

fn lits(v: &[String]) -> Vec<String> {
    v.iter().map(|s| lit(s)).collect()
}

fn compose(stack: &Stack, images: &[crate::ir::Image], project: &str) -> File {
    let services = stack.services.iter().map(|s| (s.name.clone(), service(stack, images, s))).collect();
    let networks = stack
        .networks
        .iter()
        .map(|n| {
            (
                n.name.clone(),
                Network {
                    driver: "bridge".into(),
                    internal: n.internal,
                    ipam: n.subnet.as_ref().map(|s| Ipam { config: vec![Subnet { subnet: s.to_string() }] }),
                },
            )
        })
        .collect();
    let volumes = stack
        .volumes
        .iter()
        .map(|v| {
            let driver_opts = match &v.device {
                Some(dev) => [("type", "none"), ("o", "bind,noexec,nosuid,nodev"), ("device", dev.as_str())]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                None => BTreeMap::new(),
            };
            (v.name.clone(), Volume { driver: "local".into(), driver_opts })
        })
        .collect();
    let secrets = stack.secrets.iter().map(|s| (s.name.clone(), SecretFile { file: s.file.clone() })).collect();
    // The project's name is already a lowercase name (grammar::name), as compose wants.
    File { name: project.to_string(), services, networks, volumes, secrets }
}

/// One service with the stdlib's hardening (stdlib/container/hardening.toml).
fn service(stack: &Stack, images: &[crate::ir::Image], s: &crate::ir::Service) -> Service {
    let defaults = &crate::stdlib::container_hardening().service;
    // Each application image is built once, by the first service that runs it.
    let first = stack.services.iter().find(|o| o.kind == crate::ir::ServiceKind::App && o.image == s.image);
    let app = (s.kind == crate::ir::ServiceKind::App && first.is_some_and(|o| o.name == s.name))
        .then(|| images.iter().find(|i| i.name == s.image))
        .flatten();
    Service {
        build: if let Some(image) = app {
            Some(Build { context: ".".into(), dockerfile: image.dockerfile.clone() })
        } else {
            s.build.as_ref().map(|_| Build { context: ".".into(), dockerfile: "postgres.Dockerfile".into() })
        },
        image: s.image.clone(),
        user: s.user.clone(),
        read_only: defaults.read_only,
        security_opt: defaults.security_opt.clone(),
        cap_drop: defaults.cap_drop.clone(),
        cap_add: s.cap_add.clone(),
        tmpfs: s.tmpfs.clone(),
        volumes: s.volumes.iter().map(|v| mount(stack, v)).collect(),
        environment: s.env.iter().map(|e| (e.name.clone(), lit(&e.value))).collect(),
        secrets: s.secrets.clone(),
        command: lits(&s.command),
        networks: s.networks.clone(),
        ports: s
            .ports
            .iter()
            .map(|p| PortMapping {
                target: p.target,
                published: p.published.to_string(),
                host_ip: p.host_ip.to_string(),
                protocol: "tcp".into(),
            })
            .collect(),
        depends_on: s
            .depends_on
            .iter()
            .map(|dep| {
                let started = stack.services.iter().find(|o| &o.name == dep).is_some_and(unchecked);
                let condition = if started { "service_started" } else { "service_healthy" };
                (dep.clone(), Condition { condition: condition.into() })
            })
            .collect(),
        healthcheck: (!s.healthcheck.is_empty()).then(|| {
            let checked = !unchecked(s);
            Health {
                test: lits(&s.healthcheck),
                interval: checked.then(|| defaults.healthcheck_interval.clone()),
                timeout: checked.then(|| defaults.healthcheck_timeout.clone()),
                retries: checked.then_some(defaults.healthcheck_retries),
                start_period: checked
                    .then(|| if s.kind == crate::ir::ServiceKind::Postgres { "30s".into() } else { "10s".into() }),
            }
        }),
        restart: defaults.restart.clone(),
        deploy: Deploy {
            resources: Resources {
                limits: Limits { cpus: s.cpus.clone(), memory: s.memory.clone(), pids: s.pids },
                reservations: (s.reservation_cpus.is_some() || s.reservation_memory.is_some())
                    .then(|| Reservations { cpus: s.reservation_cpus.clone(), memory: s.reservation_memory.clone() }),
            },
        },
    }
}

/// A service's mount of a volume or a bind.
fn mount(stack: &Stack, v: &crate::ir::VolumeMount) -> VolumeMount {
    VolumeMount {
        kind: if v.bind { "bind" } else { "volume" }.into(),
        source: v.volume.clone(),
        target: v.target.clone(),
        read_only: v.read_only,
        // A volume bound to a host directory keeps the owner and mode prepare.sh
        // gave it: Docker's copy of the image's directory into an empty volume
        // would replace them with the image's. A Docker-managed volume gets that
        // copy, as the image's user needs it.
        volume: (!v.bind).then(|| VolumeOptions {
            nocopy: stack.volumes.iter().any(|sv| sv.name == v.volume && sv.device.is_some()),
        }),
        // A bind whose directory is missing fails instead of mounting an empty one.
        bind: v.bind.then_some(BindOptions { create_host_path: false }),
    }
}
