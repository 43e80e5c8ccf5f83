//! The artifact registry: every kind of file pynoc writes, described once.
//!
//! Each consumer of an artifact (emit, write, the manifest, `verify`, the shape checks,
//! provenance, the playbook, the waivers) asks [`Kind`] for the facts it needs, through
//! [`Kind::desc`] or an exhaustive `match` of its own: a new kind does not compile until
//! every one of them handles it. The facts that depend on the spec (the command that applies
//! a file, the passwords it reads) are computed by the kind's emitter.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::emit::ansible::Group;
use crate::ir::Spec;

/// Every kind of generated file (manifest.json's `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Sysctl,
    Sshd,
    Fail2ban,
    Audit,
    Ufw,
    Iptables,
    Ip6tables,
    Nftables,
    Fstab,
    Nginx,
    PostgresSql,
    PgHba,
    Dockerfile,
    Dockerignore,
    Compose,
    Prepare,
    Gitignore,
    PostgresApply,
    Deploy,
    Inventory,
}

/// How an artifact reaches its consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum How {
    /// Replaces the file at the install path.
    Replace,
    /// Its lines are merged into the file at the install path (fstab).
    Merge,
    /// Run, not installed as configuration (a script, the SQL, the playbook).
    Run,
    /// Copied beside the application (the container files).
    Copy,
    /// Edited by the operator (the inventory).
    Edit,
}

/// The tool that checks an artifact in `pynoc verify`, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checker {
    /// A daemon of the release's own version: its verdict on another release's files would
    /// judge another version's settings. The name is the daemon's, for messages.
    Daemon(&'static str),
    /// A tool whose verdict does not depend on the release.
    Tool,
}

/// A file mode, written as four octal digits (`0640`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mode(pub u32);

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mode {
    /// Four octal digits, nothing else: a catalog or manifest with another mode is an error
    /// where it is read, never a default.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match u32::from_str_radix(&s, 8) {
            Ok(m) if s.len() == 4 && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) => Ok(Mode(m)),
            _ => Err(serde::de::Error::custom(format!("`{s}` is not a file mode of four octal digits"))),
        }
    }
}

/// What every consumer knows of a kind, whatever the spec.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Desc {
    /// Its name in manifest.json and waiver lists.
    pub(crate) name: &'static str,
    /// Its path inside the output directory, `FOLDER/FILE`.
    pub(crate) path: &'static str,
    /// `user:group` on the host, `-` where it is not installed on a host.
    pub(crate) owner: &'static str,
    pub(crate) mode: Mode,
    pub(crate) how: How,
    /// The comment syntax of its consumer: the generated-file header's prefix.
    pub(crate) comment: &'static str,
    /// The stdlib template it is rendered from, or the emitter that serializes it.
    pub(crate) source: &'static str,
    /// The spec's sections (and `host` subsections) whose nodes feed it, for provenance.
    pub(crate) sections: &'static [&'static str],
    pub(crate) checker: Checker,
}

const HASH: &str = "#";
const FIREWALL: &[&str] = &["host/firewall", "project"];
const DEPLOY: &[&str] = &["project", "host", "nginx", "postgres", "container"];

impl Kind {
    pub(crate) const ALL: [Kind; 20] = [
        Kind::Sysctl,
        Kind::Sshd,
        Kind::Fail2ban,
        Kind::Audit,
        Kind::Ufw,
        Kind::Iptables,
        Kind::Ip6tables,
        Kind::Nftables,
        Kind::Fstab,
        Kind::Nginx,
        Kind::PostgresSql,
        Kind::PgHba,
        Kind::Dockerfile,
        Kind::Dockerignore,
        Kind::Compose,
        Kind::Prepare,
        Kind::Gitignore,
        Kind::PostgresApply,
        Kind::Deploy,
        Kind::Inventory,
    ];

    /// The one description of each kind.
    #[expect(clippy::too_many_lines, reason = "the registry's table: one arm per artifact kind")]
    pub(crate) fn desc(self) -> Desc {
        use How::*;
        let d = |name, path, owner, mode, how, source, sections, checker| Desc {
            name,
            path,
            owner,
            mode: Mode(mode),
            how,
            comment: HASH,
            source,
            sections,
            checker,
        };
        let root = "root:root";
        let pg = "postgres:postgres";
        match self {
            Kind::Sysctl => d(
                "sysctl",
                "host/sysctl.conf",
                root,
                0o644,
                Replace,
                "sysctl/sysctl.conf.j2",
                &["host/sysctl", "host"],
                Checker::Tool,
            ),
            Kind::Sshd => d(
                "sshd",
                "host/sshd_config",
                root,
                crate::stdlib::sshd_defaults().file.mode.0,
                Replace,
                "sshd/sshd_config.j2",
                &["host/ssh"],
                Checker::Daemon("sshd"),
            ),
            Kind::Fail2ban => d(
                "fail2ban",
                "host/jail.local",
                root,
                0o644,
                Replace,
                "fail2ban/jail.local.j2",
                &["host/fail2ban", "host/ssh", "nginx"],
                Checker::Tool,
            ),
            Kind::Audit => d(
                "audit",
                "host/audit.rules",
                root,
                crate::stdlib::audit_sets().file.mode.0,
                Replace,
                "audit/audit.rules.j2",
                &["host/audit"],
                Checker::Tool,
            ),
            Kind::Ufw => d("ufw", "host/ufw.sh", root, 0o755, Run, "ufw/ufw.sh.j2", FIREWALL, Checker::Tool),
            Kind::Iptables => {
                d("iptables", "host/iptables.rules", root, 0o640, Replace, "iptables/rules.j2", FIREWALL, Checker::Tool)
            }
            Kind::Ip6tables => d(
                "ip6tables",
                "host/ip6tables.rules",
                root,
                0o640,
                Replace,
                "iptables/rules.j2",
                FIREWALL,
                Checker::Tool,
            ),
            Kind::Nftables => d(
                "nftables",
                "host/nftables.conf",
                root,
                0o755,
                Replace,
                "nftables/nftables.conf.j2",
                FIREWALL,
                Checker::Tool,
            ),
            Kind::Fstab => {
                d("fstab", "host/fstab", root, 0o644, Merge, "fstab/fstab.j2", &["host/fstab"], Checker::Tool)
            }
            Kind::Nginx => d(
                "nginx",
                "nginx/nginx.conf",
                root,
                crate::stdlib::nginx_hardening().file.mode.0,
                Replace,
                "nginx/nginx.conf.j2",
                &["nginx", "project"],
                Checker::Daemon("nginx"),
            ),
            Kind::PostgresSql => Desc {
                comment: "--",
                ..d(
                    "postgres-sql",
                    "postgres/postgresql-security.sql",
                    pg,
                    0o640,
                    Run,
                    "postgres/postgresql-security.sql.j2",
                    &["postgres"],
                    Checker::Daemon("PostgreSQL"),
                )
            },
            Kind::PgHba => d(
                "pg_hba",
                "postgres/pg_hba.conf",
                pg,
                crate::stdlib::pg_hardening().hba_file.mode.0,
                Replace,
                "postgres/pg_hba.conf.j2",
                &["postgres/hba", "project"],
                Checker::Daemon("PostgreSQL"),
            ),
            Kind::Dockerfile => d(
                "dockerfile",
                "container/Dockerfile",
                "-",
                0o644,
                Copy,
                "container/Dockerfile.j2",
                &["container/image"],
                Checker::Tool,
            ),
            Kind::Dockerignore => d(
                "dockerignore",
                "container/.dockerignore",
                "-",
                0o644,
                Copy,
                "container/dockerignore.j2",
                &["container/image"],
                Checker::Tool,
            ),
            Kind::Compose => d(
                "compose",
                "container/docker-compose.yml",
                "-",
                0o644,
                Copy,
                "src/emit/container.rs",
                &["container/compose", "container/image"],
                Checker::Tool,
            ),
            Kind::Prepare => d(
                "prepare",
                "container/prepare.sh",
                "-",
                0o755,
                Copy,
                "container/prepare.sh.j2",
                &["container/compose", "postgres"],
                Checker::Tool,
            ),
            Kind::Gitignore => {
                d("gitignore", "container/.gitignore", "-", 0o644, Copy, "container/gitignore.j2", &[], Checker::Tool)
            }
            Kind::PostgresApply => d(
                "postgres-apply",
                "container/postgres-apply.sh",
                "-",
                0o755,
                Copy,
                "container/postgres-apply.sh.j2",
                &["postgres"],
                Checker::Tool,
            ),
            Kind::Deploy => {
                d("deploy", "deploy/site.yml", "-", 0o644, Run, "src/emit/deploy.rs", DEPLOY, Checker::Tool)
            }
            Kind::Inventory => {
                d("inventory", "deploy/inventory.ini", "-", 0o644, Edit, "src/emit/deploy.rs", DEPLOY, Checker::Tool)
            }
        }
    }

    /// Where the file goes: an absolute path on the host, or `./…` beside the application
    /// or the playbook for the files that are not installed on a host.
    pub(crate) fn install(self, spec: &Spec) -> &'static str {
        match self {
            Kind::Sysctl => "/etc/sysctl.d/99-pynoc.conf",
            Kind::Sshd => "/etc/ssh/sshd_config.d/00-pynoc.conf",
            Kind::Fail2ban => "/etc/fail2ban/jail.local",
            Kind::Audit => "/etc/audit/rules.d/50-pynoc.rules",
            Kind::Ufw => "/usr/local/sbin/pynoc-ufw",
            Kind::Iptables => "/etc/iptables/rules.v4",
            Kind::Ip6tables => "/etc/iptables/rules.v6",
            Kind::Nftables => "/etc/nftables.conf",
            Kind::Fstab => "/etc/fstab",
            Kind::Nginx => "/etc/nginx/nginx.conf",
            Kind::PostgresSql => "/etc/postgresql/pynoc/postgresql-security.sql",
            // Where Debian's PostgreSQL of the spec's major version reads it.
            Kind::PgHba => match spec.postgres.as_ref().map(|p| p.version) {
                Some(13) => "/etc/postgresql/13/main/pg_hba.conf",
                Some(14) => "/etc/postgresql/14/main/pg_hba.conf",
                Some(16) => "/etc/postgresql/16/main/pg_hba.conf",
                Some(17) => "/etc/postgresql/17/main/pg_hba.conf",
                _ => "/etc/postgresql/15/main/pg_hba.conf",
            },
            Kind::Dockerfile => "./Dockerfile",
            Kind::Dockerignore => "./.dockerignore",
            Kind::Compose => "./docker-compose.yml",
            Kind::Prepare => "./prepare.sh",
            Kind::Gitignore => "./.gitignore",
            // prepare.sh copies it there; the database sees it at /etc/pynoc.
            Kind::PostgresApply => "./postgres-conf/postgres-apply.sh",
            // Used where it is written, on the controller: never installed on a host.
            Kind::Deploy => "./deploy/site.yml",
            Kind::Inventory => "./deploy/inventory.ini",
        }
    }

    /// Whether the spec has the playbook install a host security configuration file of this
    /// kind that the audit rules must watch. The firewall's alternatives to the nftables
    /// ruleset (ufw.sh, the iptables files) are installed by hand instead, when at all; the
    /// files read at boot only (sysctl, audit, fstab) are watched by the audit sets' own rules.
    pub(crate) fn watched_in(self, spec: &Spec) -> bool {
        let host = spec.host.as_ref();
        match self {
            Kind::Sshd => host.is_some_and(|h| h.ssh.is_some()),
            Kind::Fail2ban => host.is_some_and(|h| h.fail2ban.is_some()),
            Kind::Nftables => host.is_some_and(|h| h.firewall.is_some()),
            Kind::Nginx => spec.nginx.is_some(),
            Kind::PgHba => spec.postgres.is_some(),
            Kind::Sysctl
            | Kind::Audit
            | Kind::Ufw
            | Kind::Iptables
            | Kind::Ip6tables
            | Kind::Fstab
            | Kind::PostgresSql
            | Kind::Dockerfile
            | Kind::Dockerignore
            | Kind::Compose
            | Kind::Prepare
            | Kind::Gitignore
            | Kind::PostgresApply
            | Kind::Deploy
            | Kind::Inventory => false,
        }
    }

    /// The play of the deployment that installs it on a host, if one does (ufw.sh and the
    /// iptables files are the firewall's alternatives an operator installs by hand; the
    /// container files go beside the application, the playbook's files stay on the
    /// controller).
    pub(crate) fn play(self) -> Option<Group> {
        match self {
            Kind::Sysctl | Kind::Sshd | Kind::Fail2ban | Kind::Audit | Kind::Nftables | Kind::Fstab => {
                Some(Group::Host)
            }
            Kind::Nginx => Some(Group::Web),
            Kind::PostgresSql | Kind::PgHba => Some(Group::Database),
            Kind::Ufw
            | Kind::Iptables
            | Kind::Ip6tables
            | Kind::Dockerfile
            | Kind::Dockerignore
            | Kind::Compose
            | Kind::Prepare
            | Kind::Gitignore
            | Kind::PostgresApply
            | Kind::Deploy
            | Kind::Inventory => None,
        }
    }

    /// The Debian packages whose program reads it, installed by its play before the file.
    /// PostgreSQL's depend on the spec's version and are the database play's.
    pub(crate) fn packages(self) -> &'static [&'static str] {
        match self {
            Kind::Sshd => &["openssh-server"],
            // python3-systemd lets fail2ban read the journal.
            Kind::Fail2ban => &["fail2ban", "python3-systemd"],
            Kind::Audit => &["auditd"],
            Kind::Nftables => &["nftables"],
            Kind::Nginx => &["nginx"],
            Kind::Sysctl
            | Kind::Fstab
            | Kind::PostgresSql
            | Kind::PgHba
            | Kind::Ufw
            | Kind::Iptables
            | Kind::Ip6tables
            | Kind::Dockerfile
            | Kind::Dockerignore
            | Kind::Compose
            | Kind::Prepare
            | Kind::Gitignore
            | Kind::PostgresApply
            | Kind::Deploy
            | Kind::Inventory => &[],
        }
    }

    pub(crate) fn name(self) -> &'static str {
        self.desc().name
    }

    /// The kind of a manifest name.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind written at `path` inside the output directory.
    pub(crate) fn from_path(path: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.desc().path == path)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Kind::from_name(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{}` is not an artifact this pynoc writes", s.escape_debug()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_unique_and_owned() {
        for (i, a) in Kind::ALL.iter().enumerate() {
            assert_eq!(Kind::from_name(a.name()), Some(*a));
            assert_eq!(Kind::from_path(a.desc().path), Some(*a));
            assert!(crate::write::owned(a.desc().path), "{a}: {}", a.desc().path);
            for b in &Kind::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.desc().path, b.desc().path);
            }
        }
    }

    #[test]
    fn every_source_exists() {
        for k in Kind::ALL {
            let src = k.desc().source;
            let found = crate::stdlib::TEMPLATES.iter().any(|(f, _)| *f == src)
                || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(src).is_file();
            assert!(found, "{k}: {src}");
        }
    }

    #[test]
    fn modes_read_as_four_octal_digits() {
        let m = |s: &str| serde_json::from_value::<Mode>(serde_json::Value::String(s.into()));
        assert_eq!(m("0640").unwrap(), Mode(0o640));
        assert_eq!(Mode(0o600).to_string(), "0600");
        for bad in ["640", "0648", "00640", "-640", "+640", "0x64", "", "06 4"] {
            assert!(m(bad).is_err(), "{bad}");
        }
    }
}
