//! The artifact registry: every kind of file pynoc writes, described once.
//!
//! Each consumer of an artifact (emit, write, the manifest, `verify`, the shape checks,
//! provenance, the playbook, the waivers) asks [`Kind`] for the facts it needs, through
//! [`Kind::desc`] or an exhaustive `match` of its own: a new kind does not compile until
//! every one of them handles it. The facts that depend on the spec (the command that applies
//! a file, the passwords it reads) are computed by the kind's emitter.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use camino::Utf8Path;
use minijinja::Environment;

use crate::emit::ansible::Group;
use crate::emit::deploy::Steps;
use crate::emit::{Artifact, Context};
use crate::ir::{Daemon, Host, Spec};
use crate::verify::Status;

mod aide;
mod apparmor;
mod audit;
mod auditd;
mod banner;
mod fail2ban;
mod fstab;
mod journald;
mod limits;
mod login;
mod modules;
mod pam;
mod sshd;
mod sysctl;
mod timesyncd;
pub(crate) mod unit;
mod updates;

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
    PostgresDockerfile,
    Compose,
    Prepare,
    Gitignore,
    PostgresApply,
    Deploy,
    Inventory,
    NginxUnit,
    PostgresUnit,
    Fail2banUnit,
    Updates,
    Aide,
    Modules,
    LoginDefs,
    Pwquality,
    Sudoers,
    CoreDumps,
    Profile,
    Issue,
    IssueNet,
    Motd,
    Journald,
    Timesyncd,
    Faillock,
    PamProfile,
    AppArmorGrub,
    Auditd,
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

/// The spec's database runs in its compose stack (not on the host).
fn in_compose(spec: &Spec) -> bool {
    spec.postgres.as_ref().is_some_and(|p| !p.on_host())
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
    /// The comment syntax of its consumer: the generated-file header's prefix. `None` for a
    /// file its consumer shows as it is (a login banner): it has no header, and the manifest
    /// names its spec and source.
    pub(crate) comment: Option<&'static str>,
    /// The stdlib template it is rendered from, or the emitter that serializes it.
    pub(crate) source: &'static str,
    /// The spec's sections (and `host` subsections) whose nodes feed it, for provenance.
    pub(crate) sections: &'static [&'static str],
    pub(crate) checker: Checker,
}

const HASH: &str = "#";
const SANDBOX: &str = "systemd/sandbox.conf.j2";
const BANNER: &str = "banner/banner.j2";
const FIREWALL: &[&str] = &["host/firewall", "project"];
const DEPLOY: &[&str] = &["project", "host", "nginx", "postgres", "container"];

impl Kind {
    pub(crate) const ALL: [Kind; 41] = [
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
        Kind::PostgresDockerfile,
        Kind::Compose,
        Kind::Prepare,
        Kind::Gitignore,
        Kind::PostgresApply,
        Kind::Deploy,
        Kind::Inventory,
        Kind::NginxUnit,
        Kind::PostgresUnit,
        Kind::Fail2banUnit,
        Kind::Updates,
        Kind::Aide,
        Kind::Modules,
        Kind::LoginDefs,
        Kind::Pwquality,
        Kind::Sudoers,
        Kind::CoreDumps,
        Kind::Profile,
        Kind::Issue,
        Kind::IssueNet,
        Kind::Motd,
        Kind::Journald,
        Kind::Timesyncd,
        Kind::Faillock,
        Kind::PamProfile,
        Kind::AppArmorGrub,
        Kind::Auditd,
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
            comment: Some(HASH),
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
                comment: Some("--"),
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
            Kind::PostgresDockerfile => d(
                "postgres-dockerfile",
                "container/postgres.Dockerfile",
                "-",
                0o644,
                Copy,
                "container/postgres.Dockerfile.j2",
                &["container/compose", "postgres"],
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
            Kind::NginxUnit => d(
                "nginx-sandbox",
                "systemd/nginx.service.conf",
                root,
                crate::stdlib::sandbox().file.mode.0,
                Replace,
                SANDBOX,
                &["nginx", "host/sandbox"],
                Checker::Tool,
            ),
            Kind::PostgresUnit => d(
                "postgres-sandbox",
                "systemd/postgresql@.service.conf",
                root,
                crate::stdlib::sandbox().file.mode.0,
                Replace,
                SANDBOX,
                &["postgres/hba", "host/sandbox"],
                Checker::Tool,
            ),
            Kind::Fail2banUnit => d(
                "fail2ban-sandbox",
                "systemd/fail2ban.service.conf",
                root,
                crate::stdlib::sandbox().file.mode.0,
                Replace,
                SANDBOX,
                &["host/fail2ban", "host/sandbox"],
                Checker::Tool,
            ),
            // apt reads `#` lines as comments (all but `#clear` and `#include`), `//` too.
            Kind::Modules => d(
                "modules",
                "host/modprobe.conf",
                root,
                0o644,
                Replace,
                "modprobe/modprobe.conf.j2",
                &["host/modules"],
                Checker::Tool,
            ),
            Kind::LoginDefs => d(
                "login-defs",
                "host/login.defs",
                root,
                0o644,
                Merge,
                "login/login.defs.j2",
                &["host/passwords"],
                Checker::Tool,
            ),
            Kind::Pwquality => d(
                "pwquality",
                "host/pwquality.conf",
                root,
                0o644,
                Replace,
                "login/pwquality.conf.j2",
                &["host/passwords"],
                Checker::Tool,
            ),
            // sudo refuses a file of its directory that others may write: 0440, as visudo makes.
            Kind::Sudoers => {
                d("sudoers", "host/sudoers", root, 0o440, Replace, "login/sudoers.j2", &["host/sudo"], Checker::Tool)
            }
            Kind::Profile => d(
                "shell-profile",
                "host/profile.sh",
                root,
                0o644,
                Replace,
                "login/profile.sh.j2",
                &["host/shell"],
                Checker::Tool,
            ),
            Kind::Issue | Kind::IssueNet | Kind::Motd => {
                let (name, path) = match self {
                    Kind::Issue => ("issue", "host/issue"),
                    Kind::IssueNet => ("issue-net", "host/issue.net"),
                    _ => ("motd", "host/motd"),
                };
                Desc { comment: None, ..d(name, path, root, 0o644, Replace, BANNER, &["host/banner"], Checker::Tool) }
            }
            Kind::Journald => d(
                "journald",
                "host/journald.conf",
                root,
                0o644,
                Replace,
                "journald/journald.conf.j2",
                &["host/journal"],
                Checker::Daemon("systemd-journald"),
            ),
            Kind::Timesyncd => d(
                "timesyncd",
                "host/timesyncd.conf",
                root,
                0o644,
                Replace,
                "timesyncd/timesyncd.conf.j2",
                &["host/time"],
                Checker::Daemon("systemd-timesyncd"),
            ),
            Kind::AppArmorGrub => d(
                "apparmor-grub",
                "host/apparmor-grub.cfg",
                root,
                0o644,
                Replace,
                "apparmor/grub.cfg.j2",
                &["host/apparmor"],
                Checker::Tool,
            ),
            // auditd refuses a configuration others may write; Debian's is 0640.
            Kind::Auditd => d(
                "auditd",
                "host/auditd.conf",
                root,
                0o640,
                Replace,
                "audit/auditd.conf.j2",
                &["host", "host/audit"],
                Checker::Daemon("auditd"),
            ),
            Kind::Faillock => d(
                "faillock",
                "host/faillock.conf",
                root,
                0o644,
                Replace,
                "pam/faillock.conf.j2",
                &["host/passwords"],
                Checker::Tool,
            ),
            // pam-auth-update reads a profile's lines as fields and module lines: no comments.
            Kind::PamProfile => Desc {
                comment: None,
                ..d(
                    "pam-profile",
                    "host/pam-profile",
                    root,
                    0o644,
                    Replace,
                    "pam/pynoc.j2",
                    &["host/passwords"],
                    Checker::Tool,
                )
            },
            Kind::CoreDumps => d(
                "core-dumps",
                "host/limits.conf",
                root,
                0o644,
                Replace,
                "limits/limits.conf.j2",
                &["host/sysctl"],
                Checker::Tool,
            ),
            Kind::Aide => d(
                "aide",
                "host/aide.conf",
                root,
                0o644,
                Replace,
                "aide/aide.conf.j2",
                &["host/aide", "project", "postgres", "container/compose"],
                Checker::Tool,
            ),
            Kind::Updates => d(
                "updates",
                "host/unattended-upgrades.conf",
                root,
                0o644,
                Replace,
                "updates/unattended-upgrades.j2",
                &["host/updates", "project"],
                Checker::Tool,
            ),
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
            // A compose database reads both where prepare.sh copies them, beside the compose file.
            Kind::PostgresSql if in_compose(spec) => "./postgres-conf/postgresql-security.sql",
            Kind::PgHba if in_compose(spec) => "./postgres-conf/pg_hba.conf",
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
            Kind::PostgresDockerfile => "./postgres.Dockerfile",
            Kind::Compose => "./docker-compose.yml",
            Kind::Prepare => "./prepare.sh",
            Kind::Gitignore => "./.gitignore",
            // prepare.sh copies it there; the database sees it at /etc/pynoc.
            Kind::PostgresApply => "./postgres-conf/postgres-apply.sh",
            // Used where it is written, on the controller: never installed on a host.
            Kind::Deploy => "./deploy/site.yml",
            Kind::Inventory => "./deploy/inventory.ini",
            Kind::NginxUnit => "/etc/systemd/system/nginx.service.d/50-pynoc-sandbox.conf",
            Kind::PostgresUnit => "/etc/systemd/system/postgresql@.service.d/50-pynoc-sandbox.conf",
            Kind::Fail2banUnit => "/etc/systemd/system/fail2ban.service.d/50-pynoc-sandbox.conf",
            // After Debian's 20auto-upgrades and 50unattended-upgrades: its values win.
            Kind::Updates => "/etc/apt/apt.conf.d/52pynoc-unattended-upgrades",
            // After Debian's rules (`99_aide_root` sorts before it).
            Kind::Aide => "/etc/aide/aide.conf.d/99_pynoc",
            Kind::Modules => "/etc/modprobe.d/pynoc.conf",
            Kind::LoginDefs => "/etc/login.defs",
            // libpwquality reads its directory after pwquality.conf: these values win.
            Kind::Pwquality => "/etc/security/pwquality.conf.d/50-pynoc.conf",
            // sudo skips a file of sudoers.d whose name has a dot.
            Kind::Sudoers => "/etc/sudoers.d/pynoc",
            Kind::CoreDumps => "/etc/security/limits.d/50-pynoc-core.conf",
            Kind::Profile => "/etc/profile.d/pynoc.sh",
            Kind::Issue => "/etc/issue",
            Kind::IssueNet => "/etc/issue.net",
            Kind::Motd => "/etc/motd",
            // After Debian's journald.conf: these values win.
            Kind::Journald => "/etc/systemd/journald.conf.d/50-pynoc.conf",
            // After Debian's timesyncd.conf: these values win.
            Kind::Timesyncd => "/etc/systemd/timesyncd.conf.d/50-pynoc.conf",
            Kind::Faillock => "/etc/security/faillock.conf",
            Kind::Auditd => "/etc/audit/auditd.conf",
            // update-grub reads /etc/default/grub.d/*.cfg after /etc/default/grub.
            Kind::AppArmorGrub => "/etc/default/grub.d/50-pynoc-apparmor.cfg",
            // A profile pam-auth-update merges into /etc/pam.d/common-*, above Debian's `unix`.
            Kind::PamProfile => "/usr/share/pam-configs/pynoc",
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
            Kind::Updates => host.is_some_and(|h| h.updates.is_some()),
            Kind::Aide => host.is_some_and(|h| h.aide.is_some()),
            Kind::Modules => host.is_some_and(|h| h.modules.is_some()),
            Kind::LoginDefs | Kind::Pwquality | Kind::Faillock | Kind::PamProfile => {
                host.is_some_and(|h| h.passwords.is_some())
            }
            Kind::Sudoers => host.is_some_and(|h| h.sudo.is_some()),
            Kind::Profile => host.is_some_and(|h| h.shell.is_some()),
            Kind::Journald => host.is_some_and(|h| h.journal.is_some()),
            Kind::Timesyncd => host.is_some_and(|h| h.time.is_some()),
            Kind::AppArmorGrub => host.is_some_and(|h| h.apparmor.is_some()),
            // The audit sets watch /etc/audit/ (`audit-config`).
            Kind::Auditd => false,
            Kind::CoreDumps => host.is_some_and(|h| h.sysctl.is_some()),
            Kind::Nftables => host.is_some_and(|h| h.firewall.is_some()),
            Kind::Nginx => spec.nginx.is_some(),
            Kind::PgHba => spec.postgres.as_ref().is_some_and(crate::ir::Postgres::on_host),
            Kind::Sysctl
            | Kind::Audit
            | Kind::Ufw
            | Kind::Iptables
            | Kind::Ip6tables
            | Kind::Fstab
            | Kind::PostgresSql
            | Kind::Dockerfile
            | Kind::Dockerignore
            | Kind::PostgresDockerfile
            | Kind::Compose
            | Kind::Prepare
            | Kind::Gitignore
            | Kind::PostgresApply
            | Kind::Deploy
            | Kind::Inventory
            // The audit sets watch /etc/issue and /etc/issue.net (`system-locale`).
            | Kind::Issue
            | Kind::IssueNet
            | Kind::Motd
            // Their directories do not exist when the audit rules load (a watch needs its
            // parent): /etc/systemd/system is watched by the audit sets instead.
            | Kind::NginxUnit
            | Kind::PostgresUnit
            | Kind::Fail2banUnit => false,
        }
    }

    /// The play of the deployment that installs it on a host, if one does (ufw.sh and the
    /// iptables files are the firewall's alternatives an operator installs by hand; the
    /// container files go beside the application, the playbook's files stay on the
    /// controller).
    pub(crate) fn play(self) -> Option<Group> {
        match self {
            Kind::Sysctl
            | Kind::Sshd
            | Kind::Fail2ban
            | Kind::Audit
            | Kind::Nftables
            | Kind::Fstab
            | Kind::Fail2banUnit
            | Kind::Updates
            | Kind::Aide
            | Kind::Modules
            | Kind::LoginDefs
            | Kind::Pwquality
            | Kind::Sudoers
            | Kind::Profile
            | Kind::Issue
            | Kind::IssueNet
            | Kind::Motd
            | Kind::Journald
            | Kind::Timesyncd
            | Kind::Faillock
            | Kind::PamProfile
            | Kind::AppArmorGrub
            | Kind::Auditd
            | Kind::CoreDumps => Some(Group::Host),
            Kind::Nginx | Kind::NginxUnit => Some(Group::Web),
            Kind::PostgresSql | Kind::PgHba | Kind::PostgresUnit => Some(Group::Database),
            Kind::Ufw
            | Kind::Iptables
            | Kind::Ip6tables
            | Kind::Dockerfile
            | Kind::Dockerignore
            | Kind::PostgresDockerfile
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
            // acct: process accounting (lastcomm, sa), every command's run beside the audit
            // trail's records of the ones its rules watch.
            Kind::Audit => &["auditd", "acct"],
            Kind::Nftables => &["nftables"],
            Kind::Nginx => &["nginx"],
            Kind::Updates => &["unattended-upgrades"],
            // aide-common (the rules, aideinit, the daily timer) is only a recommendation of
            // aide's: a host installed without recommends lacks it.
            // debsums checks installed files against their packages' checksums: a second
            // opinion that needs no database of the host's.
            Kind::Aide => &["aide", "aide-common", "debsums"],
            Kind::Modules => &["kmod"],
            Kind::LoginDefs => &["login", "passwd"],
            // Its installation puts pam_pwquality in /etc/pam.d/common-password. Its word list
            // (cracklib-runtime) is only a recommendation of libcrack2's: without it every
            // password fails the dictionary check ("error loading dictionary"), root's too.
            Kind::Pwquality => &["libpam-pwquality", "cracklib-runtime"],
            Kind::Sudoers => &["sudo"],
            // /etc/profile, which reads /etc/profile.d/*.sh; libpam-tmpdir gives each login
            // session a private $TMPDIR (/tmp/user/UID, 0700) instead of the shared /tmp.
            Kind::Profile => &["base-files", "libpam-tmpdir"],
            Kind::CoreDumps => &["libpam-modules"],
            // agetty shows /etc/issue; base-files ships the three (conffiles: a release
            // upgrade asks before it replaces them).
            Kind::Issue => &["base-files", "util-linux"],
            Kind::IssueNet | Kind::Motd => &["base-files"],
            Kind::Journald => &["systemd"],
            // Its own package since Debian 12; it conflicts with chrony, ntp and openntpd.
            Kind::Timesyncd => &["systemd-timesyncd"],
            Kind::Faillock => &["libpam-modules"],
            // aa-status is apparmor's; update-grub is the bootloader's, where there is one.
            // (aa-enforce, apparmor-utils', is installed by Level 2's own step.)
            Kind::AppArmorGrub => &["apparmor"],
            Kind::Auditd => &["auditd"],
            // pam-auth-update.
            Kind::PamProfile => &["libpam-runtime"],
            Kind::Sysctl
            | Kind::Fstab
            | Kind::PostgresSql
            | Kind::PgHba
            | Kind::Ufw
            | Kind::Iptables
            | Kind::Ip6tables
            | Kind::Dockerfile
            | Kind::Dockerignore
            | Kind::PostgresDockerfile
            | Kind::Compose
            | Kind::Prepare
            | Kind::Gitignore
            | Kind::PostgresApply
            | Kind::Deploy
            | Kind::Inventory
            | Kind::NginxUnit
            | Kind::PostgresUnit
            | Kind::Fail2banUnit => &[],
        }
    }

    pub(crate) fn name(self) -> &'static str {
        self.desc().name
    }

    /// The kind of a manifest name.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind written at `path` inside the output directory: a kind's own path, or an
    /// instance's ([`Kind::instance_path`]).
    pub(crate) fn from_path(path: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.desc().path == path)
            .or_else(|| Kind::ALL.into_iter().find(|k| k.writes_at(path)))
    }

    /// The path of one of several files of this kind, for the kinds that have several: every
    /// application image after the first has its own Dockerfile, `container/NAME.Dockerfile`,
    /// and ignore file, `container/NAME.Dockerfile.dockerignore` (the one BuildKit reads for
    /// that Dockerfile). `None` for the other kinds.
    pub(crate) fn instance_path(self, instance: &str) -> Option<String> {
        match self {
            Kind::Dockerfile => Some(format!("container/{instance}.Dockerfile")),
            Kind::Dockerignore => Some(format!("container/{instance}.Dockerfile.dockerignore")),
            _ => None,
        }
    }

    /// Whether pynoc writes a file of this kind at `path`: the kind's own path, or an
    /// instance's with a name an image may have (never `postgres`: that is the database's).
    pub(crate) fn writes_at(self, path: &str) -> bool {
        let instance = |suffix: &str| {
            path.strip_prefix("container/")
                .and_then(|p| p.strip_suffix(suffix))
                .is_some_and(|name| Kind::instance_name(name) && self.instance_path(name).as_deref() == Some(path))
        };
        path == self.desc().path
            || match self {
                Kind::Dockerfile => instance(".Dockerfile"),
                Kind::Dockerignore => instance(".Dockerfile.dockerignore"),
                _ => false,
            }
    }

    /// A name an image after the first may have: its files are named by it.
    pub(crate) fn instance_name(name: &str) -> bool {
        crate::grammar::name(name, 63) && name != "postgres"
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

/// What each consumer does with a kind: the registry's second table. Every consumer goes
/// through it (`pynoc verify`, the shape checks, the emitters, the host play), so a new kind
/// is one arm here and its own module (`src/artifact/fstab.rs` is the pattern), and no
/// consumer matches on kinds.
pub(crate) struct Behaviour {
    /// Its consumer's own tool, run by `pynoc verify` in the sandbox.
    pub(crate) check: fn(&Utf8Path) -> Status,
    /// What its lines may be: a rule each line meets, or a check of the whole text (given the
    /// comment syntax).
    pub(crate) lines: Lines,
    /// What a root process does with its values, checked by meaning (paths against their
    /// allow-list), when it does anything.
    pub(crate) meaning: Option<fn(&mut Vec<String>, &str)>,
    pub(crate) emit: Emit,
    /// The host play's tasks and handlers that install it, for a file of the host play.
    pub(crate) steps: Option<fn(&mut Steps, &Artifact, &Host)>,
}

pub(crate) enum Lines {
    /// Every line that is not blank or a comment meets the rule; else `what: line`.
    Each(fn(&str) -> bool, &'static str),
    /// A check of the whole text: (problems, text, comment syntax).
    Whole(fn(&mut Vec<String>, &str, &str)),
}

pub(crate) enum Emit {
    /// Its own emitter: the artifact, when the spec has its section.
    Own(fn(&Environment, &Context) -> Result<Option<Artifact>, minijinja::Error>),
    /// Written with the other files of its section by that section's emitter in `src/emit/`
    /// (the firewall's four, PostgreSQL's two, the container's six, the playbook's two, nginx).
    Section,
}

/// The order of the host play's tasks: the kinds whose `steps` it runs.
pub(crate) const HOST_PLAY: [Kind; 24] = [
    Kind::Sysctl,
    Kind::CoreDumps,
    Kind::Modules,
    Kind::LoginDefs,
    Kind::Pwquality,
    Kind::Faillock,
    Kind::PamProfile,
    Kind::Sudoers,
    Kind::Profile,
    Kind::Issue,
    Kind::IssueNet,
    Kind::Motd,
    Kind::Journald,
    Kind::Timesyncd,
    Kind::AppArmorGrub,
    Kind::Sshd,
    Kind::Nftables,
    Kind::Fail2ban,
    Kind::Fail2banUnit,
    Kind::Audit,
    Kind::Auditd,
    Kind::Updates,
    Kind::Aide,
    // Last: a daemon-reload after the tmpfs lines are in fstab (unmasking a timer does one)
    // has systemd mount /tmp under the modules Ansible unpacked there.
    Kind::Fstab,
];

impl Kind {
    /// The one table of what each consumer does with a kind.
    #[expect(clippy::too_many_lines, reason = "the registry's table: one arm per artifact kind")]
    pub(crate) fn behaviour(self) -> Behaviour {
        use crate::verify::{self as v, shape as sh};
        use Lines::{Each, Whole};
        let b = |check, lines, meaning, emit, steps| Behaviour { check, lines, meaning, emit, steps };
        match self {
            Kind::Sysctl => b(
                sysctl::check,
                Each(sysctl::line, "not a `key = value` line"),
                Some(sysctl::kernel_helpers),
                Emit::Own(sysctl::emit),
                Some(sysctl::steps),
            ),
            Kind::Sshd => b(sshd::check, Whole(sshd::keywords), None, Emit::Own(sshd::emit), Some(sshd::steps)),
            Kind::Fail2ban => b(
                fail2ban::check,
                Each(fail2ban::line, "not a section or a known option"),
                None,
                Emit::Own(fail2ban::emit),
                Some(fail2ban::steps),
            ),
            Kind::Audit => b(
                audit::check,
                Each(audit::line, "not an audit rule"),
                None,
                Emit::Own(audit::emit),
                Some(audit::steps),
            ),
            Kind::Ufw => b(v::firewall::ufw, Whole(sh::ufw), None, Emit::Section, None),
            Kind::Iptables => {
                b(|f| v::firewall::restore(f, "iptables-restore"), Whole(sh::iptables), None, Emit::Section, None)
            }
            Kind::Ip6tables => {
                b(|f| v::firewall::restore(f, "ip6tables-restore"), Whole(sh::iptables), None, Emit::Section, None)
            }
            Kind::Nftables => {
                b(v::firewall::nft, Whole(sh::nftables), None, Emit::Section, Some(crate::emit::deploy::nftables))
            }
            Kind::Fstab => b(
                fstab::check,
                Each(fstab::line, "not a tmpfs line of six fields"),
                Some(fstab::meaning),
                Emit::Own(fstab::emit),
                Some(fstab::steps),
            ),
            Kind::Nginx => b(v::nginx::check, Whole(sh::nginx), Some(sh::nginx_paths), Emit::Section, None),
            Kind::PostgresSql => b(v::postgres::check, Whole(sh::sql), None, Emit::Section, None),
            Kind::PgHba => {
                b(v::postgres::check_hba, Each(sh::pg_hba_line, "not a pg_hba line"), None, Emit::Section, None)
            }
            Kind::Dockerfile => b(v::container::dockerfile, Whole(sh::dockerfile), None, Emit::Section, None),
            Kind::Dockerignore => b(
                v::container::dockerignore,
                Each(|l| !l.chars().any(char::is_whitespace), "a pattern with white space"),
                None,
                Emit::Section,
                None,
            ),
            Kind::PostgresDockerfile => b(v::container::dockerfile, Whole(sh::dockerfile), None, Emit::Section, None),
            Kind::Compose => b(v::container::compose, Whole(sh::compose), None, Emit::Section, None),
            Kind::Prepare => b(v::container::script, Whole(sh::prepare), Some(sh::prepare_paths), Emit::Section, None),
            Kind::Gitignore => b(
                v::container::gitignore,
                Each(|l| l.starts_with('/') && !l.contains(char::is_whitespace), "a pattern .gitignore never holds"),
                None,
                Emit::Section,
                None,
            ),
            Kind::PostgresApply => b(
                v::container::script,
                Each(sh::postgres_apply_line, "a line postgres-apply.sh never holds"),
                None,
                Emit::Section,
                None,
            ),
            Kind::Deploy => b(v::deploy::playbook, Whole(sh::plays), Some(sh::acme_webroots), Emit::Section, None),
            Kind::Inventory => b(
                v::deploy::inventory,
                Each(sh::inventory_line, "not an inventory group or variable"),
                None,
                Emit::Section,
                None,
            ),
            Kind::NginxUnit => b(
                |f| unit::check(f, Daemon::Nginx),
                Whole(unit::lines),
                Some(unit::meaning),
                Emit::Own(|e, c| unit::emit(e, c, Daemon::Nginx)),
                None,
            ),
            Kind::PostgresUnit => b(
                |f| unit::check(f, Daemon::Postgresql),
                Whole(unit::lines),
                Some(unit::meaning),
                Emit::Own(|e, c| unit::emit(e, c, Daemon::Postgresql)),
                None,
            ),
            Kind::Fail2banUnit => b(
                |f| unit::check(f, Daemon::Fail2ban),
                Whole(unit::lines),
                Some(unit::meaning),
                Emit::Own(|e, c| unit::emit(e, c, Daemon::Fail2ban)),
                Some(unit::steps),
            ),
            Kind::Updates => {
                b(updates::check, Whole(updates::lines), None, Emit::Own(updates::emit), Some(updates::steps))
            }
            Kind::Aide => {
                b(aide::check, Whole(aide::lines), Some(aide::meaning), Emit::Own(aide::emit), Some(aide::steps))
            }
            Kind::LoginDefs => b(
                login::check_login_defs,
                Each(login::login_defs_line, "not a login.defs key pynoc sets"),
                None,
                Emit::Own(login::emit_login_defs),
                Some(login::login_defs_steps),
            ),
            Kind::Pwquality => b(
                login::check_pwquality,
                Each(login::pwquality_line, "not a pwquality setting pynoc writes"),
                None,
                Emit::Own(login::emit_pwquality),
                Some(login::pwquality_steps),
            ),
            Kind::Sudoers => b(
                login::check_sudoers,
                Whole(login::sudoers_lines),
                None,
                Emit::Own(login::emit_sudoers),
                Some(login::sudoers_steps),
            ),
            Kind::Profile => b(
                login::check_profile,
                Each(login::profile_line, "not a line of pynoc's shell defaults"),
                None,
                Emit::Own(login::emit_profile),
                Some(login::profile_steps),
            ),
            Kind::Issue => b(
                banner::check,
                Whole(banner::lines),
                None,
                Emit::Own(|e, c| banner::emit(e, c, Kind::Issue)),
                Some(banner::steps),
            ),
            Kind::IssueNet => b(
                banner::check,
                Whole(banner::lines),
                None,
                Emit::Own(|e, c| banner::emit(e, c, Kind::IssueNet)),
                Some(banner::steps),
            ),
            Kind::Motd => b(
                banner::check,
                Whole(banner::lines),
                None,
                Emit::Own(|e, c| banner::emit(e, c, Kind::Motd)),
                Some(banner::steps),
            ),
            Kind::Journald => b(
                journald::check,
                Each(journald::line, "not a journald setting pynoc writes"),
                None,
                Emit::Own(journald::emit),
                Some(journald::steps),
            ),
            Kind::Auditd => b(
                auditd::check,
                Each(auditd::line, "not an auditd.conf setting of stdlib/audit/auditd.toml"),
                None,
                Emit::Own(auditd::emit),
                Some(auditd::steps),
            ),
            Kind::AppArmorGrub => b(
                apparmor::check,
                Each(apparmor::line, "not AppArmor's kernel parameters"),
                None,
                Emit::Own(apparmor::emit),
                Some(apparmor::steps),
            ),
            Kind::Faillock => b(
                pam::check,
                Each(pam::faillock_line, "not a pam_faillock setting pynoc writes"),
                None,
                Emit::Own(|e, c| pam::emit(e, c, Kind::Faillock)),
                Some(pam::steps),
            ),
            Kind::PamProfile => b(
                pam::check,
                Whole(pam::profile_lines),
                None,
                Emit::Own(|e, c| pam::emit(e, c, Kind::PamProfile)),
                Some(pam::steps),
            ),
            Kind::Timesyncd => b(
                timesyncd::check,
                Each(timesyncd::line, "not a timesyncd server list pynoc writes"),
                None,
                Emit::Own(timesyncd::emit),
                Some(timesyncd::steps),
            ),
            Kind::CoreDumps => b(
                limits::check,
                Each(limits::line, "not a core limit of 0"),
                None,
                Emit::Own(limits::emit),
                Some(limits::steps),
            ),
            Kind::Modules => b(
                modules::check,
                Each(modules::line, "not a module made unloadable"),
                None,
                Emit::Own(modules::emit),
                Some(modules::steps),
            ),
        }
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
