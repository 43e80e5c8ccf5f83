//! The stdlib: profiles, catalogs and templates under `stdlib/`, embedded at build time.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Every template, by the name the emitters use.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("sysctl/sysctl.conf.j2", include_str!("../stdlib/sysctl/sysctl.conf.j2")),
    ("sshd/sshd_config.j2", include_str!("../stdlib/sshd/sshd_config.j2")),
    ("fail2ban/jail.local.j2", include_str!("../stdlib/fail2ban/jail.local.j2")),
    ("audit/audit.rules.j2", include_str!("../stdlib/audit/audit.rules.j2")),
    ("ufw/ufw.sh.j2", include_str!("../stdlib/ufw/ufw.sh.j2")),
    ("iptables/rules.j2", include_str!("../stdlib/iptables/rules.j2")),
    ("nftables/nftables.conf.j2", include_str!("../stdlib/nftables/nftables.conf.j2")),
    ("fstab/fstab.j2", include_str!("../stdlib/fstab/fstab.j2")),
    ("nginx/nginx.conf.j2", include_str!("../stdlib/nginx/nginx.conf.j2")),
    ("postgres/postgresql-security.sql.j2", include_str!("../stdlib/postgres/postgresql-security.sql.j2")),
    ("postgres/pg_hba.conf.j2", include_str!("../stdlib/postgres/pg_hba.conf.j2")),
    ("container/Dockerfile.j2", include_str!("../stdlib/container/Dockerfile.j2")),
    ("container/dockerignore.j2", include_str!("../stdlib/container/dockerignore.j2")),
    ("container/prepare.sh.j2", include_str!("../stdlib/container/prepare.sh.j2")),
    ("container/postgres-apply.sh.j2", include_str!("../stdlib/container/postgres-apply.sh.j2")),
    ("container/gitignore.j2", include_str!("../stdlib/container/gitignore.j2")),
];

#[derive(Debug, Deserialize)]
pub struct SysctlProfile {
    pub setting: Vec<ProfileSetting>,
}

#[derive(Debug, Deserialize)]
pub struct ProfileSetting {
    pub group: String,
    pub key: String,
    pub value: String,
    #[serde(default)]
    pub optional: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct JailCatalog {
    pub jail: BTreeMap<String, JailEntry>,
    pub banactions: BanActions,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JailEntry {
    pub filter: String,
    pub port: String,
    pub source: LogSource,
    pub logpath: Option<String>,
    /// Which nginx log the jail reads, when the spec has an nginx section.
    pub nginx_log: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LogSource {
    Journal,
    File,
}

#[derive(Debug, Deserialize)]
pub struct BanActions {
    pub names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuditSets {
    pub set: BTreeMap<String, AuditSet>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuditSet {
    pub comment: String,
    #[serde(default)]
    pub syscall_rules: Vec<SyscallRule>,
    #[serde(default)]
    pub watches: Vec<Watch>,
}

#[derive(Debug, Deserialize)]
pub struct SyscallRule {
    pub syscalls: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Watch {
    pub path: String,
    pub perms: String,
}

#[derive(Debug, Deserialize)]
pub struct SyscallTable {
    pub b64: Vec<String>,
    pub b32: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct TlsProfiles {
    pub guideline: String,
    pub profile: BTreeMap<String, TlsProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TlsProfile {
    pub protocols: Vec<String>,
    pub ciphers: Vec<String>,
    pub dhe_ciphers: Vec<String>,
    pub curves: Vec<String>,
    pub session_timeout: String,
    pub session_cache: String,
    pub hsts_max_age: u64,
}

#[derive(Debug, Deserialize)]
pub struct Images {
    pub image: BTreeMap<String, ImageFacts>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImageFacts {
    pub user: String,
    pub data: String,
    pub runtime_dirs: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Services {
    pub service: BTreeMap<String, Service>,
}

#[derive(Debug, Deserialize)]
pub struct Service {
    pub port: u16,
    pub proto: String,
}

/// One run-time parameter of a PostgreSQL version.
#[derive(Debug, Clone, Deserialize)]
pub struct PgParam {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub context: String,
    #[serde(default)]
    pub values: Vec<String>,
    pub default: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(default)]
    pub unit: String,
}

#[derive(Debug, Deserialize)]
struct VersionDiff {
    absent: Vec<String>,
    added: Vec<PgParam>,
}

/// The starter spec `pynoc init` writes.
/// The stdlib's catalogs as text, for `pynoc explain FILE:LINE` to name where a default
/// comes from.
pub const DATA: &[(&str, &str)] = &[
    ("sysctl/hardened.toml", include_str!("../stdlib/sysctl/hardened.toml")),
    ("nginx/tls.toml", include_str!("../stdlib/nginx/tls.toml")),
    ("fail2ban/jails.toml", include_str!("../stdlib/fail2ban/jails.toml")),
    ("audit/sets.toml", include_str!("../stdlib/audit/sets.toml")),
    ("audit/syscalls.toml", include_str!("../stdlib/audit/syscalls.toml")),
    ("firewall/services.toml", include_str!("../stdlib/firewall/services.toml")),
    ("container/images.toml", include_str!("../stdlib/container/images.toml")),
    ("postgres/dangerous.toml", include_str!("../stdlib/postgres/dangerous.toml")),
];

pub const STARTER: &str = include_str!("../stdlib/init/spec.kdl");

pub const PG_VERSIONS: &[u32] = &[13, 14, 15, 16, 17];

/// The parameters of a PostgreSQL major version: the table read from PostgreSQL 15, with
/// the differences of `versions.toml` applied.
pub fn pg_params(version: u32) -> Option<BTreeMap<String, PgParam>> {
    static BASE: OnceLock<BTreeMap<String, PgParam>> = OnceLock::new();
    static DIFFS: OnceLock<BTreeMap<String, VersionDiff>> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        include_str!("../stdlib/postgres/parameters-15.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                assert_eq!(f.len(), 8, "stdlib/postgres/parameters-15.txt: bad line `{l}`");
                let num = |s: &str| s.parse::<f64>().ok();
                let p = PgParam {
                    name: f[0].into(),
                    kind: f[1].into(),
                    context: f[2].into(),
                    values: if f[3].is_empty() { Vec::new() } else { f[3].split(',').map(String::from).collect() },
                    default: f[4].into(),
                    min: num(f[5]),
                    max: num(f[6]),
                    unit: f[7].into(),
                };
                (p.name.clone(), p)
            })
            .collect()
    });
    let diffs = DIFFS.get_or_init(|| load("postgres/versions.toml", include_str!("../stdlib/postgres/versions.toml")));
    let diff = diffs.get(&version.to_string())?;
    let mut params = base.clone();
    for name in &diff.absent {
        params.remove(name);
    }
    for p in &diff.added {
        params.insert(p.name.clone(), p.clone());
    }
    Some(params)
}

fn load<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> T {
    // The stdlib is part of the binary and covered by tests: a broken file is a build defect.
    toml::from_str(text).unwrap_or_else(|e| panic!("stdlib/{name} is invalid: {e}"))
}

macro_rules! catalog {
    ($fn:ident, $ty:ty, $path:literal) => {
        pub fn $fn() -> &'static $ty {
            static CELL: OnceLock<$ty> = OnceLock::new();
            CELL.get_or_init(|| load($path, include_str!(concat!("../stdlib/", $path))))
        }
    };
}

/// PostgreSQL settings that need a reason: any value of `parameter`, the listed `value`s.
#[derive(Debug, Deserialize)]
pub struct PgDangerous {
    pub parameter: BTreeMap<String, String>,
    pub value: BTreeMap<String, PgDangerousValue>,
}

#[derive(Debug, Deserialize)]
pub struct PgDangerousValue {
    pub values: Vec<String>,
    pub why: String,
}

impl PgDangerous {
    /// Why setting `name` to `value` needs a reason, if it does.
    pub fn why(&self, name: &str, value: &str) -> Option<&str> {
        self.parameter.get(name).map(String::as_str).or_else(|| {
            self.value
                .get(name)
                .filter(|v| v.values.iter().any(|x| x.eq_ignore_ascii_case(value)))
                .map(|v| v.why.as_str())
        })
    }
}

catalog!(pg_dangerous, PgDangerous, "postgres/dangerous.toml");
catalog!(jails, JailCatalog, "fail2ban/jails.toml");
catalog!(audit_sets, AuditSets, "audit/sets.toml");
catalog!(syscalls, SyscallTable, "audit/syscalls.toml");
catalog!(services, Services, "firewall/services.toml");
catalog!(tls, TlsProfiles, "nginx/tls.toml");
catalog!(images, Images, "container/images.toml");

/// The sysctl profiles by name.
pub fn sysctl_profile(name: &str) -> Option<&'static SysctlProfile> {
    static HARDENED: OnceLock<SysctlProfile> = OnceLock::new();
    match name {
        "hardened" => {
            Some(HARDENED.get_or_init(|| load("sysctl/hardened.toml", include_str!("../stdlib/sysctl/hardened.toml"))))
        }
        _ => None,
    }
}

pub const SYSCTL_PROFILES: &[&str] = &["hardened"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_loads() {
        assert_eq!(sysctl_profile("hardened").unwrap().setting.len(), 22);
        assert!(jails().jail.contains_key("sshd"));
        assert!(audit_sets().set.contains_key("time-change"));
        assert!(syscalls().b32.iter().any(|s| s == "stime"));
        assert!(!syscalls().b64.iter().any(|s| s == "stime"));
        assert_eq!(services().service["https"].port, 443);
        let pg15 = pg_params(15).unwrap();
        assert_eq!(pg15["max_connections"].context, "postmaster");
        assert!(!pg15.contains_key("log_failed_login_attempts"));
        assert!(pg_params(17).unwrap().contains_key("transaction_timeout"));
        assert!(!pg_params(13).unwrap().contains_key("idle_session_timeout"));
        assert!(pg_params(12).is_none());
        // Every dangerous parameter exists in some supported version.
        let all: Vec<_> = PG_VERSIONS.iter().map(|v| pg_params(*v).unwrap()).collect();
        let dangerous = pg_dangerous();
        for name in dangerous.parameter.keys().chain(dangerous.value.keys()) {
            assert!(all.iter().any(|p| p.contains_key(name)), "stdlib/postgres/dangerous.toml: no parameter `{name}`");
        }
    }

    #[test]
    fn audit_sets_name_only_known_syscalls() {
        let t = syscalls();
        for (name, set) in &audit_sets().set {
            for r in &set.syscall_rules {
                for s in &r.syscalls {
                    assert!(t.b64.contains(s) || t.b32.contains(s), "{name}: {s} is in no ABI table");
                }
            }
        }
    }
}
