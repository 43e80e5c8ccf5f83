//! The plain IR: the spec model after lowering, with stdlib profiles merged and defaults
//! applied. Only these types derive `Serialize` and `JsonSchema`, and only they reach the
//! templates. `pynoc schema` prints the JSON Schema of [`Spec`].

mod container;
mod host;
mod nginx;
mod postgres;

pub use container::*;
pub use host::*;
pub use nginx::*;
pub use postgres::*;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;

/// A pynoc security spec.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Spec {
    /// Sections that reported errors: their IR holds what lowered. Checks that reason from
    /// an absence skip them. Empty for a spec that compiles.
    #[serde(skip)]
    pub incomplete: std::collections::BTreeSet<Section>,
    /// The spec format version (`pynoc 1`).
    pub version: u32,
    /// The distribution release the output is for (`host release=…`, a key of
    /// stdlib/targets.toml): the daemons' versions, and so their settings, follow it.
    pub release: String,
    pub project: Project,
    /// Hardening of the host itself: kernel, SSH, fail2ban, audit, firewall, mounts.
    pub host: Option<Host>,
    /// The nginx reverse proxy in front of the application.
    pub nginx: Option<Nginx>,
    /// PostgreSQL: server settings, roles, privileges, row-level security, pg_hba.conf.
    pub postgres: Option<Postgres>,
    /// The application image and the container stack.
    pub container: Option<Container>,
}

/// A section of the spec, as a check names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Accounts,
    Sysctl,
    Ssh,
    Fail2ban,
    Audit,
    Firewall,
    Fstab,
    Nginx,
    Postgres,
    Container,
}

impl Spec {
    /// Every one of `sections` lowered without error.
    pub fn complete(&self, sections: &[Section]) -> bool {
        sections.iter().all(|s| !self.incomplete.contains(s))
    }
}

/// What the whole stack shares: its name, domain, contact and named networks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Project {
    /// The project's name, e.g. `pynomaly`.
    pub name: String,
    /// The public domain name.
    pub domain: Option<String>,
    /// Who receives security mail.
    pub admin_email: Option<String>,
    /// Named networks that rules refer to by name (`from=internal`).
    pub networks: Vec<Network>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Network {
    pub name: String,
    /// IPv4 and IPv6 networks in CIDR notation.
    pub cidrs: Vec<IpNet>,
}
