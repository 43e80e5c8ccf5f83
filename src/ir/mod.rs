//! The plain IR: the spec model after lowering, with stdlib profiles merged and defaults
//! applied. Only these types derive `Serialize` and `JsonSchema`, and only they reach the
//! templates. `pynoc schema` prints the JSON Schema of [`Spec`].

mod container;
mod host;
mod nginx;
mod postgres;

pub(crate) use container::*;
pub(crate) use host::*;
pub(crate) use nginx::*;
pub(crate) use postgres::*;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;

/// A pynoc security spec.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Spec {
    /// Sections that reported errors: their IR holds what lowered. Checks that reason from
    /// an absence skip them. Empty for a spec that compiles.
    #[serde(skip)]
    pub(crate) incomplete: std::collections::BTreeSet<Section>,
    /// The spec format version (`pynoc 1`).
    pub(crate) version: u32,
    /// The distribution release the output is for (`host release=…`, a key of
    /// stdlib/targets.toml): the daemons' versions, and so their settings, follow it.
    pub(crate) release: String,
    pub(crate) project: Project,
    /// Hardening of the host itself: kernel, SSH, fail2ban, audit, firewall, mounts.
    pub host: Option<Host>,
    /// The nginx reverse proxy in front of the application.
    pub(crate) nginx: Option<Nginx>,
    /// PostgreSQL: server settings, roles, privileges, row-level security, pg_hba.conf.
    pub(crate) postgres: Option<Postgres>,
    /// The application image and the container stack.
    pub(crate) container: Option<Container>,
    /// The systemd sandbox drop-in of each service the spec configures (nginx, a host
    /// PostgreSQL, fail2ban), unless `host { sandbox { off … } }` leaves it out.
    pub(crate) sandboxes: Vec<Sandbox>,
}

/// A section of the spec, as a check names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Section {
    Accounts,
    Sysctl,
    Ssh,
    Fail2ban,
    Audit,
    Firewall,
    Fstab,
    Updates,
    Aide,
    Modules,
    Passwords,
    Sudo,
    Shell,
    Banner,
    Journal,
    Time,
    AppArmor,
    Services,
    Nginx,
    Postgres,
    Container,
}

impl Spec {
    /// Every one of `sections` lowered without error.
    pub(crate) fn complete(&self, sections: &[Section]) -> bool {
        sections.iter().all(|s| !self.incomplete.contains(s))
    }
}

/// What the whole stack shares: its name, domain, contact and named networks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Project {
    /// The project's name, e.g. `pynomaly`.
    pub(crate) name: String,
    /// The public domain name.
    pub(crate) domain: Option<String>,
    /// Who receives security mail.
    pub(crate) admin_email: Option<String>,
    /// Named networks that rules refer to by name (`from=internal`).
    pub(crate) networks: Vec<Network>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Network {
    pub(crate) name: String,
    /// IPv4 and IPv6 networks in CIDR notation.
    pub(crate) cidrs: Vec<IpNet>,
}
