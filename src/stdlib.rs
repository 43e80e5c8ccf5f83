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
pub struct Services {
    pub service: BTreeMap<String, Service>,
}

#[derive(Debug, Deserialize)]
pub struct Service {
    pub port: u16,
    pub proto: String,
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

catalog!(jails, JailCatalog, "fail2ban/jails.toml");
catalog!(audit_sets, AuditSets, "audit/sets.toml");
catalog!(syscalls, SyscallTable, "audit/syscalls.toml");
catalog!(services, Services, "firewall/services.toml");
catalog!(tls, TlsProfiles, "nginx/tls.toml");

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
