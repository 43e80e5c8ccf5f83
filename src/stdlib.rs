//! The stdlib: profiles, catalogs and templates under `stdlib/`, embedded at build time.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SysctlProfile {
    /// Settings that break common setups, written only when the spec enables them.
    #[serde(default)]
    pub(crate) option: Vec<SysctlOption>,
    pub setting: Vec<ProfileSetting>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SysctlOption {
    pub(crate) name: String,
    /// What turning it on costs, stated in docs/baselines.md, the output and `pynoc report`.
    pub(crate) tradeoff: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSetting {
    pub(crate) group: String,
    pub key: String,
    pub value: String,
    #[serde(default)]
    pub(crate) optional: bool,
    pub(crate) comment: Option<String>,
    /// The option that writes this setting; none: written by default.
    pub option: Option<String>,
    /// Baseline items (`BASELINE:ID`) this setting satisfies.
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

impl SysctlProfile {
    pub(crate) fn option(&self, name: &str) -> Option<&SysctlOption> {
        self.option.iter().find(|o| o.name == name)
    }
}

/// The sshd drop-in's settings, in output order, with the file's mode and the playbook's
/// steps (`stdlib/sshd/defaults.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshdDefaults {
    pub(crate) setting: Vec<SshdSetting>,
    pub(crate) file: FileMode,
    pub(crate) step: Vec<Step>,
    /// Algorithm names and the first OpenSSH that knows each: left out of the lists for a
    /// release whose OpenSSH is older (sshd refuses an unknown name).
    #[serde(rename = "openssh-min", default)]
    pub(crate) openssh_min: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SshdSetting {
    pub(crate) keyword: String,
    pub(crate) value: String,
    /// The `ssh` child that sets it; none: only `unset KEYWORD reason=…` changes it.
    pub(crate) spec: Option<String>,
    /// For the catalog's readers; nothing writes it.
    #[allow(dead_code)]
    pub(crate) comment: Option<String>,
    /// A number for which any smaller value meets the same items.
    #[serde(default, rename = "at-most")]
    pub(crate) at_most: bool,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileMode {
    pub(crate) mode: crate::artifact::Mode,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

/// A step of the playbook beyond installing a file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) what: String,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

impl SshdDefaults {
    pub(crate) fn value(&self, keyword: &str) -> Option<&str> {
        self.setting.iter().find(|s| s.keyword == keyword).map(|s| s.value.as_str())
    }
}

/// The server parameters pynoc sets (`stdlib/postgres/hardening.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "kebab-case")]
pub struct PgHardening {
    /// pg_hba.conf's mode.
    pub(crate) hba_file: FileMode,
    pub(crate) ssl: Claims,
    pub parameter: Vec<PgDefault>,
    /// The `pgaudit` node's defaults.
    pub(crate) pgaudit: PgAuditDefaults,
    /// Login roles' connection limit when the spec sets none.
    pub(crate) connection_limit: Claims,
    /// What the SQL and pg_hba.conf always do, with what each satisfies.
    pub(crate) fixed_claims: BTreeMap<String, Vec<String>>,
    pub(crate) hba_local_peer: Claims,
    pub(crate) hba_remote_tls: Claims,
    /// No network line admits the superuser or replication: the administrator logs in as
    /// `postgres` by peer only.
    pub(crate) hba_admin_local: Claims,
    pub(crate) listen_bound: Claims,
    pub(crate) row_security: Claims,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PgAuditDefaults {
    /// Classes logged when `pgaudit` names none.
    pub(crate) log: Vec<String>,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PgDefault {
    pub name: String,
    pub value: String,
    /// Only with the spec's `ssl` node.
    #[serde(default)]
    pub(crate) with_ssl: bool,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

/// What every compose service gets (`stdlib/container/hardening.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContainerHardening {
    pub(crate) service: ServiceDefaults,
    /// Properties of every service, with what each satisfies.
    pub(crate) claims: BTreeMap<String, Vec<String>>,
    /// Compose keys pynoc never writes, with what each absence satisfies.
    pub(crate) never: BTreeMap<String, Vec<String>>,
    /// Properties of the Dockerfile of an `image`.
    pub(crate) image_claims: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ServiceDefaults {
    pub(crate) read_only: bool,
    pub(crate) security_opt: Vec<String>,
    pub(crate) cap_drop: Vec<String>,
    pub(crate) restart: String,
    pub(crate) pids: u32,
    pub(crate) host_ip: std::net::IpAddr,
    pub(crate) healthcheck_interval: String,
    pub(crate) healthcheck_timeout: String,
    pub(crate) healthcheck_retries: u32,
}

/// The releases pynoc writes for (`stdlib/targets.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub(crate) default: String,
    pub(crate) release: BTreeMap<String, Release>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Release {
    pub(crate) title: String,
    pub(crate) openssl: String,
    pub(crate) openssh: String,
    pub(crate) nginx: String,
    pub(crate) postgresql: u32,
    /// The packages of the Docker engine and its command line.
    pub(crate) docker: Vec<String>,
    /// The package of Docker Compose v2, empty when the release has none.
    pub(crate) compose: String,
    /// Where logins are recorded (`utmp` or `wtmpdb`): the audit sets watch those files.
    #[serde(rename = "login-records")]
    pub(crate) login_records: String,
    /// The audit daemon's version: Level 2's auditd.conf is one version's file.
    pub(crate) auditd: String,
    /// For the table's readers; no setting depends on the kernel's version yet.
    #[allow(dead_code)]
    pub(crate) kernel: String,
}

impl Targets {
    /// The default release (a test keeps it in the table).
    pub(crate) fn current(&self) -> Option<&Release> {
        self.release.get(&self.default)
    }
}

impl SshdDefaults {
    /// A setting's value for a release whose OpenSSH is `openssh`: algorithm names that
    /// OpenSSH lacks are left out of the list.
    pub(crate) fn value_for(&self, x: &SshdSetting, openssh: &str) -> String {
        x.value
            .split(',')
            .filter(|a| self.openssh_min.get(*a).is_none_or(|min| version_at_least(openssh, min)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Targets {
    /// The release a spec names (the default one for a name not in the table, which
    /// lowering has refused).
    pub(crate) fn get(&self, name: &str) -> &Release {
        self.release.get(name).or_else(|| self.current()).expect("a test keeps the default release")
    }
}

/// `a` ≥ `b` for dotted version numbers (`3.0` < `3.5` < `3.10`).
pub(crate) fn version_at_least(a: &str, b: &str) -> bool {
    let parse = |v: &str| v.split('.').map(|x| x.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    parse(a) >= parse(b)
}

/// What every nginx site gets (`stdlib/nginx/hardening.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NginxHardening {
    /// nginx.conf's mode.
    pub(crate) file: FileMode,
    pub(crate) header: Vec<HeaderDefault>,
    pub(crate) limit_conn: LimitConn,
    pub(crate) default_server: Claims,
    /// Every site's plain-HTTP server redirecting to HTTPS.
    pub(crate) redirect: Claims,
    /// Properties of the template itself, with what each satisfies.
    pub(crate) template_claims: BTreeMap<String, Vec<String>>,
    pub(crate) header_check: Vec<HeaderCheck>,
}

/// A baseline item met when every site sends a header (one of `values`, or any value).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct HeaderCheck {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) values: Vec<String>,
    /// For HSTS: the smallest max-age that meets the items.
    pub(crate) min_max_age: Option<u64>,
    pub(crate) satisfies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct HeaderDefault {
    pub(crate) name: String,
    pub(crate) value: String,
    /// The `site` child that sets it.
    pub(crate) spec: Option<String>,
    /// The value comes from the TLS profile and `hsts`.
    #[serde(default)]
    pub(crate) computed: bool,
    /// Sent only when the site has this child.
    pub(crate) opt_in: Option<String>,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct LimitConn {
    pub(crate) per_address: u32,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Claims {
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

impl NginxHardening {
    pub(crate) fn header(&self, name: &str) -> Option<&HeaderDefault> {
        self.header.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }
}

/// One public baseline's items in the sections pynoc writes (`stdlib/baselines/NAME.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub(crate) name: String,
    pub(crate) title: String,
    /// The release (stdlib/targets.toml) a distribution's benchmark is written for.
    #[serde(default)]
    pub(crate) release: Option<String>,
    /// The sections of the spec whose items this catalog lists.
    pub(crate) covers: Vec<String>,
    /// The benchmark level the report scores apart (`l1_server`), when it has levels.
    #[serde(default)]
    pub(crate) level: Option<String>,
    /// The higher level scored apart too, with `level`'s items in it (`l2_server`: every
    /// Level 1 and Level 2 server item).
    #[serde(default)]
    pub(crate) level2: Option<String>,
    pub(crate) item: Vec<BaselineItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BaselineItem {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) level: Option<String>,
    /// Not met on purpose: why.
    pub(crate) declined: Option<String>,
    /// Outside what pynoc writes: why.
    pub(crate) scope: Option<String>,
    /// The releases on which `scope` holds (every release when empty); on the others the
    /// item is judged by what the output claims.
    #[serde(default, rename = "scope-on")]
    pub(crate) scope_on: Vec<String>,
    /// Codes whose waiver leaves the item unmet: the report quotes the waiver's reason.
    #[serde(default, rename = "waived-by")]
    pub(crate) waived_by: Vec<String>,
    /// Only a host with a graphical desktop has what it checks (GDM, X).
    #[serde(default)]
    pub(crate) desktop: bool,
    /// The firewall utility whose item it is (`ufw`, `iptables`): it does not apply to a
    /// host whose firewall is the host play's nftables ruleset (CIS asks for one utility).
    #[serde(default)]
    pub(crate) firewall: Option<String>,
    /// The logger whose item it is (`rsyslog`): it does not apply to a host whose one logger
    /// is journald (`host { journal }`).
    #[serde(default)]
    pub(crate) logger: Option<String>,
    /// The time daemon whose item it is (`chrony`): it does not apply to a host whose one
    /// time daemon is systemd-timesyncd (`host { time }`).
    #[serde(default)]
    pub(crate) clock: Option<String>,
}

/// The baselines `pynoc report` knows, by name.
pub const BASELINES: &[&str] =
    &["cis-debian12", "devsec", "kspp", "mozilla", "owasp", "cis-pg", "cis-docker", "ssh-audit", "neo23x0"];

/// Every baseline catalog, loaded once, in the order of `BASELINES`.
pub(crate) fn baselines() -> &'static [Baseline] {
    static CELL: OnceLock<Vec<Baseline>> = OnceLock::new();
    CELL.get_or_init(|| BASELINES.iter().map(|n| load(&format!("baselines/{n}.toml"))).collect())
}

pub fn baseline(name: &str) -> Option<&'static Baseline> {
    baselines().iter().find(|b| b.name == name)
}

#[derive(Debug, Deserialize)]
pub struct JailCatalog {
    pub(crate) jail: BTreeMap<String, JailEntry>,
    pub(crate) banactions: BanActions,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct JailEntry {
    pub(crate) filter: String,
    pub(crate) port: String,
    pub(crate) source: LogSource,
    pub(crate) logpath: Option<String>,
    /// Which nginx log the jail reads, when the spec has an nginx section.
    pub(crate) nginx_log: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LogSource {
    Journal,
    File,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BanActions {
    pub(crate) names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuditSets {
    /// The rules file's mode.
    pub(crate) file: FileMode,
    /// What `-e 2` satisfies.
    pub(crate) immutable: Claims,
    /// What installing and running auditd satisfies.
    pub(crate) service: Claims,
    /// What the play's `augenrules --check` after loading meets.
    pub(crate) loaded: Claims,
    /// What auditing from boot meets at CIS Level 2 (the kernel's command line).
    pub(crate) boot: AuditBoot,
    pub(crate) set: BTreeMap<String, AuditSet>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditBoot {
    /// `audit=1`.
    pub(crate) audit: Vec<String>,
    /// `audit_backlog_limit=` the rules' backlog, at least 8192.
    pub(crate) backlog: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct AuditSet {
    pub(crate) comment: String,
    /// In the sets an `audit` section without `rules` gets.
    #[serde(default)]
    pub(crate) default: bool,
    #[serde(default)]
    pub(crate) syscall_rules: Vec<SyscallRule>,
    #[serde(default)]
    pub(crate) watches: Vec<Watch>,
    /// Programs whose every run is recorded (`-F path=… -F perm=x`).
    #[serde(default)]
    pub(crate) exec: Vec<ExecRule>,
    /// Its items are met only with the spec's `sudo` node, whose sudoers file names the log
    /// its watch records (sudo writes no log file otherwise).
    #[serde(default)]
    pub(crate) needs_sudo: bool,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyscallRule {
    pub(crate) syscalls: Vec<String>,
    /// `-F`/`-C` fields written after the syscalls, e.g. `-F auid>=1000`.
    #[serde(default)]
    pub(crate) filters: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExecRule {
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) filters: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Watch {
    pub(crate) path: String,
    pub(crate) perms: String,
    /// Only on releases whose logins are recorded this way (`utmp`, `wtmpdb`; targets.toml).
    #[serde(default)]
    pub(crate) records: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SyscallTable {
    pub(crate) b64: Vec<String>,
    pub(crate) b32: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TlsProfiles {
    /// The newest guideline, used when a site names none.
    pub(crate) default: String,
    /// What a site on the newest guideline satisfies.
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
    /// What an HSTS max-age of at least the profile's satisfies.
    #[serde(default)]
    pub(crate) hsts_satisfies: Vec<String>,
    /// What sites on TLS 1.2 and 1.3 only satisfy.
    #[serde(default)]
    pub(crate) protocols_satisfies: Vec<String>,
    /// What sites that offer X25519MLKEM768 first satisfy (where the target's OpenSSL has it).
    #[serde(default)]
    pub(crate) mlkem_satisfies: Vec<String>,
    /// Groups that need at least this OpenSSL version.
    pub(crate) openssl_min: BTreeMap<String, String>,
    pub(crate) guideline: BTreeMap<String, TlsGuideline>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsGuideline {
    pub(crate) title: String,
    pub(crate) profile: BTreeMap<String, TlsProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct TlsProfile {
    pub(crate) protocols: Vec<String>,
    pub(crate) ciphers: Vec<String>,
    #[serde(default)]
    pub(crate) dhe_ciphers: Vec<String>,
    pub(crate) curves: Vec<String>,
    pub(crate) session_timeout: String,
    pub(crate) session_cache: String,
    pub(crate) hsts_max_age: u64,
}

#[derive(Debug, Deserialize)]
pub struct Images {
    pub(crate) image: BTreeMap<String, ImageFacts>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ImageFacts {
    pub(crate) user: String,
    pub(crate) data: String,
    pub(crate) runtime_dirs: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Services {
    pub(crate) service: BTreeMap<String, Service>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Service {
    pub(crate) port: u16,
    pub(crate) proto: String,
}

/// One run-time parameter of a PostgreSQL version.
#[derive(Debug, Clone, Deserialize)]
pub struct PgParam {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub(crate) context: String,
    #[serde(default)]
    pub values: Vec<String>,
    pub(crate) default: String,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    #[serde(default)]
    pub(crate) unit: String,
}

#[derive(Debug, Deserialize)]
struct VersionDiff {
    absent: Vec<String>,
    added: Vec<PgParam>,
}

/// The stdlib's catalogs as text, for `pynoc explain FILE:LINE` to name where a default
/// comes from.
pub(crate) const DATA: &[(&str, &str)] = &[
    ("sysctl/hardened.toml", include_str!("../stdlib/sysctl/hardened.toml")),
    ("sysctl/meaning.toml", include_str!("../stdlib/sysctl/meaning.toml")),
    ("sshd/defaults.toml", include_str!("../stdlib/sshd/defaults.toml")),
    ("nginx/tls.toml", include_str!("../stdlib/nginx/tls.toml")),
    ("targets.toml", include_str!("../stdlib/targets.toml")),
    ("nginx/hardening.toml", include_str!("../stdlib/nginx/hardening.toml")),
    ("fail2ban/jails.toml", include_str!("../stdlib/fail2ban/jails.toml")),
    ("audit/sets.toml", include_str!("../stdlib/audit/sets.toml")),
    ("audit/auditd.toml", include_str!("../stdlib/audit/auditd.toml")),
    ("audit/syscalls.toml", include_str!("../stdlib/audit/syscalls.toml")),
    ("firewall/services.toml", include_str!("../stdlib/firewall/services.toml")),
    ("container/images.toml", include_str!("../stdlib/container/images.toml")),
    ("container/hardening.toml", include_str!("../stdlib/container/hardening.toml")),
    ("postgres/dangerous.toml", include_str!("../stdlib/postgres/dangerous.toml")),
    ("postgres/hardening.toml", include_str!("../stdlib/postgres/hardening.toml")),
    ("language.toml", include_str!("../stdlib/language.toml")),
    ("systemd/sandbox.toml", include_str!("../stdlib/systemd/sandbox.toml")),
    ("permissions/files.toml", include_str!("../stdlib/permissions/files.toml")),
    ("fstab/claims.toml", include_str!("../stdlib/fstab/claims.toml")),
    ("updates/claims.toml", include_str!("../stdlib/updates/claims.toml")),
    ("aide/claims.toml", include_str!("../stdlib/aide/claims.toml")),
    ("modprobe/modules.toml", include_str!("../stdlib/modprobe/modules.toml")),
    ("login/claims.toml", include_str!("../stdlib/login/claims.toml")),
    ("limits/claims.toml", include_str!("../stdlib/limits/claims.toml")),
    ("nftables/claims.toml", include_str!("../stdlib/nftables/claims.toml")),
    ("services/absent.toml", include_str!("../stdlib/services/absent.toml")),
    ("banner/banner.toml", include_str!("../stdlib/banner/banner.toml")),
    ("journald/claims.toml", include_str!("../stdlib/journald/claims.toml")),
    ("timesyncd/timesyncd.toml", include_str!("../stdlib/timesyncd/timesyncd.toml")),
    ("pam/claims.toml", include_str!("../stdlib/pam/claims.toml")),
    ("apparmor/claims.toml", include_str!("../stdlib/apparmor/claims.toml")),
    ("permissions/accounts.toml", include_str!("../stdlib/permissions/accounts.toml")),
    ("permissions/schedulers.toml", include_str!("../stdlib/permissions/schedulers.toml")),
    ("services/mail-local.toml", include_str!("../stdlib/services/mail-local.toml")),
];

/// The starter spec `pynoc init` writes.
pub const STARTER: &str = include_str!("../stdlib/init/spec.kdl");

pub(crate) const PG_VERSIONS: &[u32] = &[13, 14, 15, 16, 17];

/// The parameters of a PostgreSQL major version: the table read from PostgreSQL 15, with
/// the differences of `versions.toml` applied.
pub fn pg_params(version: u32) -> Option<&'static BTreeMap<String, PgParam>> {
    static TABLES: [OnceLock<BTreeMap<String, PgParam>>; PG_VERSIONS.len()] =
        [const { OnceLock::new() }; PG_VERSIONS.len()];
    let slot = &TABLES[PG_VERSIONS.iter().position(|v| *v == version)?];
    if let Some(t) = slot.get() {
        return Some(t);
    }
    let params = pg_params_uncached(version)?;
    Some(slot.get_or_init(|| params))
}

fn pg_params_uncached(version: u32) -> Option<BTreeMap<String, PgParam>> {
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
    let diffs = DIFFS.get_or_init(|| load("postgres/versions.toml"));
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

include!(concat!(env!("OUT_DIR"), "/stdlib_tables.rs"));

/// A stdlib table by its path under `stdlib/`, from the JSON build.rs made of its TOML file.
fn load<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    // The stdlib is part of the binary and covered by tests: a broken file is a build defect.
    let json = TABLES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("stdlib/{name} is not a table build.rs converted"))
        .1;
    serde_json::from_str(json).unwrap_or_else(|e| panic!("stdlib/{name} is invalid: {e}"))
}

macro_rules! catalog {
    ($fn:ident, $ty:ty, $path:literal) => {
        pub fn $fn() -> &'static $ty {
            static CELL: OnceLock<$ty> = OnceLock::new();
            CELL.get_or_init(|| load($path))
        }
    };
}

/// PostgreSQL settings that need a reason: any value of `parameter`, the listed `value`s.
#[derive(Debug, Deserialize)]
pub struct PgDangerous {
    pub(crate) parameter: BTreeMap<String, String>,
    pub(crate) value: BTreeMap<String, PgDangerousValue>,
    /// Comma-separated values that need a reason when they name one of `values` (`items`).
    #[serde(default)]
    pub(crate) list: BTreeMap<String, PgDangerousList>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PgDangerousList {
    pub(crate) items: Vec<String>,
    pub(crate) why: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PgDangerousValue {
    pub(crate) values: Vec<String>,
    pub(crate) why: String,
}

impl PgDangerous {
    /// Why setting `name` to `value` needs a reason, if it does.
    pub(crate) fn why(&self, name: &str, value: &str) -> Option<&str> {
        self.parameter.get(name).map(String::as_str).or_else(|| {
            self.value
                .get(name)
                .filter(|v| v.values.iter().any(|x| x.eq_ignore_ascii_case(value)))
                .map(|v| v.why.as_str())
                .or_else(|| {
                    // `"$user", Public`: each item unquoted and, unless it was quoted,
                    // case-folded as PostgreSQL reads an identifier.
                    let items: Vec<String> = value
                        .split(',')
                        .map(|i| {
                            let i = i.trim();
                            match i.strip_prefix('"').and_then(|i| i.strip_suffix('"')) {
                                Some(q) => q.to_string(),
                                None => i.to_ascii_lowercase(),
                            }
                        })
                        .collect();
                    self.list.get(name).filter(|l| l.items.iter().any(|x| items.contains(x))).map(|l| l.why.as_str())
                })
        })
    }
}

catalog!(pg_dangerous, PgDangerous, "postgres/dangerous.toml");
catalog!(jails, JailCatalog, "fail2ban/jails.toml");
catalog!(audit_sets, AuditSets, "audit/sets.toml");
catalog!(auditd_conf, AuditdConf, "audit/auditd.toml");

/// stdlib/audit/auditd.toml: auditd.conf at CIS Level 2, and the modes of its logs and tools.
#[derive(Debug, Deserialize)]
pub struct AuditdConf {
    /// The auditd version whose file it is (a release's in stdlib/targets.toml).
    pub(crate) auditd: String,
    /// Every key of the file, in Debian's order.
    pub(crate) setting: Vec<AuditdSetting>,
    /// The log directory, the log and the audit tools, set by the host play.
    pub(crate) path: Vec<CriticalFile>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
pub(crate) struct AuditdSetting {
    pub(crate) key: String,
    pub(crate) value: String,
    /// Why it differs from Debian's, written above it.
    #[serde(default)]
    pub(crate) why: Option<String>,
    #[serde(default)]
    pub(crate) satisfies: Vec<String>,
}
catalog!(syscalls, SyscallTable, "audit/syscalls.toml");
catalog!(services, Services, "firewall/services.toml");
catalog!(language, crate::language::Descriptions, "language.toml");
catalog!(tls, TlsProfiles, "nginx/tls.toml");
catalog!(targets, Targets, "targets.toml");
catalog!(pg_hardening, PgHardening, "postgres/hardening.toml");
catalog!(container_hardening, ContainerHardening, "container/hardening.toml");
catalog!(images, Images, "container/images.toml");
catalog!(sshd_defaults, SshdDefaults, "sshd/defaults.toml");
catalog!(nginx_hardening, NginxHardening, "nginx/hardening.toml");

/// Kernel parameters by meaning: the keys that run, load or route something, and the keys
/// that act on a profile key (stdlib/sysctl/meaning.toml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SysctlMeaning {
    pub(crate) helper: Vec<SysctlHelper>,
    pub(crate) alias: Vec<SysctlAlias>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SysctlHelper {
    pub(crate) key: Option<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) pattern: Option<String>,
    pub(crate) does: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SysctlAlias {
    pub(crate) pattern: String,
    pub(crate) key: String,
}

/// `key`'s components against `pattern`'s (`*` any one, `{name}` one captured): the capture
/// (empty when there is none), or `None` when it does not match.
fn sysctl_match<'k>(pattern: &str, key: &'k str) -> Option<&'k str> {
    let (p, k): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), key.split('.').collect());
    if p.len() != k.len() {
        return None;
    }
    let mut capture = "";
    for (p, k) in p.iter().zip(&k) {
        match *p {
            "*" => {}
            "{name}" => capture = k,
            lit if lit == *k => {}
            _ => return None,
        }
    }
    Some(capture)
}

impl SysctlMeaning {
    /// What a helper key makes the kernel do, if `key` is one.
    pub(crate) fn helper(&self, key: &str) -> Option<&str> {
        self.helper
            .iter()
            .find(|h| {
                h.key.as_deref() == Some(key)
                    || h.prefix.as_deref().is_some_and(|p| key.starts_with(p))
                    || h.pattern.as_deref().is_some_and(|p| sysctl_match(p, key).is_some())
            })
            .map(|h| h.does.as_str())
    }

    /// The key of `profile` that `key` acts as, when it is another spelling of it.
    pub(crate) fn alias<'p>(&self, key: &str, profile: &'p [String]) -> Option<&'p str> {
        self.alias.iter().find_map(|a| {
            let name = sysctl_match(&a.pattern, key)?;
            let target = a.key.replace("{name}", name);
            (target != key).then(|| profile.iter().find(|p| **p == target).map(String::as_str)).flatten()
        })
    }
}

catalog!(sysctl_meaning, SysctlMeaning, "sysctl/meaning.toml");
catalog!(sandbox, SandboxCatalog, "systemd/sandbox.toml");
catalog!(critical_files, CriticalFiles, "permissions/files.toml");

/// stdlib/permissions/files.toml: the owners and modes of the host's critical files.
#[derive(Debug, Deserialize)]
pub struct CriticalFiles {
    pub(crate) file: Vec<CriticalFile>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CriticalFile {
    pub(crate) path: String,
    pub(crate) owner: String,
    pub(crate) group: String,
    pub(crate) mode: crate::artifact::Mode,
    /// The baseline items it meets (`cis-debian12:7.1.1`).
    pub(crate) satisfies: Vec<String>,
}

catalog!(fstab_claims, FstabClaims, "fstab/claims.toml");
catalog!(updates_claims, UpdatesClaims, "updates/claims.toml");
catalog!(aide_claims, AideClaims, "aide/claims.toml");
catalog!(modules, ModuleCatalog, "modprobe/modules.toml");
catalog!(login_claims, LoginClaims, "login/claims.toml");
catalog!(absent_services, ServiceCatalog, "services/absent.toml");

/// stdlib/services/absent.toml: the servers and clients a host has no use for.
#[derive(Debug, Deserialize)]
pub struct ServiceCatalog {
    pub(crate) service: Vec<ServiceEntry>,
}

#[derive(Debug, Deserialize)]
pub struct ServiceEntry {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) packages: Vec<String>,
    #[serde(default)]
    pub(crate) units: Vec<String>,
    pub(crate) why: String,
    pub(crate) satisfies: Vec<String>,
}
catalog!(limits_claims, UpdatesClaims, "limits/claims.toml");
catalog!(nftables_claims, UpdatesClaims, "nftables/claims.toml");
catalog!(banner, BannerCatalog, "banner/banner.toml");
catalog!(journald_claims, UpdatesClaims, "journald/claims.toml");
catalog!(timesyncd, TimeCatalog, "timesyncd/timesyncd.toml");
catalog!(pam_claims, PamClaims, "pam/claims.toml");
catalog!(apparmor_claims, AppArmorClaims, "apparmor/claims.toml");

/// stdlib/apparmor/claims.toml: what `apparmor` meets, and what it adds at CIS Level 2.
#[derive(Debug, Deserialize)]
pub struct AppArmorClaims {
    pub(crate) satisfies: Vec<String>,
    /// Every profile enforcing (`host profile=cis-l2`).
    pub(crate) enforcing: Vec<String>,
}

/// stdlib/pam/claims.toml: what the PAM profile and faillock.conf meet.
#[derive(Debug, Deserialize)]
pub struct PamClaims {
    pub(crate) faillock: Vec<String>,
    pub(crate) lockout: Vec<String>,
    pub(crate) pwhistory: Vec<String>,
    pub(crate) history: Vec<String>,
    pub(crate) unix: Vec<String>,
}

/// stdlib/timesyncd/timesyncd.toml: the servers a bare `time` asks, what it meets.
#[derive(Debug, Deserialize)]
pub struct TimeCatalog {
    pub(crate) servers: Vec<String>,
    pub(crate) satisfies: Vec<String>,
}
catalog!(accounts_claims, UpdatesClaims, "permissions/accounts.toml");
catalog!(schedulers_claims, UpdatesClaims, "permissions/schedulers.toml");
catalog!(mail_local_claims, UpdatesClaims, "services/mail-local.toml");

/// stdlib/banner/banner.toml: the notice a bare `banner` writes, what each file meets.
#[derive(Debug, Deserialize)]
pub struct BannerCatalog {
    pub(crate) text: String,
    pub(crate) issue: Vec<String>,
    pub(crate) issue_net: Vec<String>,
    pub(crate) motd: Vec<String>,
}

/// stdlib/login/claims.toml: what `passwords` and `sudo` meet, per setting.
#[derive(Debug, Deserialize)]
pub struct LoginClaims {
    pub(crate) max_age: Vec<String>,
    pub(crate) min_age: Vec<String>,
    pub(crate) warn: Vec<String>,
    pub(crate) hash: Vec<String>,
    pub(crate) inactive: Vec<String>,
    pub(crate) umask: Vec<String>,
    pub(crate) pwquality: Vec<String>,
    pub(crate) min_length: Vec<String>,
    pub(crate) sudo: Vec<String>,
    pub(crate) shell: Vec<String>,
}

/// stdlib/modprobe/modules.toml: the kernel modules a server does not need.
#[derive(Debug, Deserialize)]
pub struct ModuleCatalog {
    pub(crate) module: Vec<ModuleEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModuleEntry {
    pub(crate) name: String,
    pub(crate) why: String,
    pub(crate) satisfies: Vec<String>,
    /// Unloadable at CIS Level 2 only, and only on a host without containers (overlayfs).
    #[serde(default)]
    pub(crate) level2_without_containers: bool,
}

impl ModuleEntry {
    /// Whether a host of this profile, with containers or not, makes it unloadable.
    pub(crate) fn applies(&self, profile: crate::ir::HostProfile, containers: bool) -> bool {
        !self.level2_without_containers || (profile.level2() && !containers)
    }
}

/// stdlib/aide/claims.toml: what file integrity monitoring meets.
#[derive(Debug, Deserialize)]
pub struct AideClaims {
    pub(crate) installed: Vec<String>,
    pub(crate) checked: Vec<String>,
    pub(crate) tools: Vec<String>,
}

/// stdlib/fstab/claims.toml: what a tmpfs line meets, per target and option.
#[derive(Debug, Deserialize)]
pub struct FstabClaims {
    pub(crate) mount: Vec<MountClaims>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MountClaims {
    pub(crate) target: String,
    pub(crate) separate: Vec<String>,
    pub(crate) nodev: Vec<String>,
    pub(crate) nosuid: Vec<String>,
    pub(crate) noexec: Vec<String>,
}

/// stdlib/updates/claims.toml: what automatic security updates meet.
#[derive(Debug, Deserialize)]
pub struct UpdatesClaims {
    pub(crate) satisfies: Vec<String>,
}

/// stdlib/systemd/sandbox.toml: the systemd sandbox of each service pynoc configures.
#[derive(Debug, Deserialize)]
pub struct SandboxCatalog {
    pub(crate) file: FileMode,
    pub(crate) common: Vec<crate::ir::UnitSetting>,
    pub(crate) unit: Vec<SandboxUnit>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SandboxUnit {
    pub(crate) service: String,
    pub(crate) unit: String,
    pub(crate) threshold: f64,
    #[serde(rename = "read-write")]
    pub(crate) read_write: Vec<String>,
    pub(crate) settings: Vec<crate::ir::UnitSetting>,
}

impl SandboxCatalog {
    /// The catalog's entry for `service` (every service has one: a test says so).
    pub(crate) fn unit(&self, service: crate::ir::Daemon) -> Option<&SandboxUnit> {
        self.unit.iter().find(|u| u.service == service.name())
    }
}

/// The sysctl profiles by name.
pub fn sysctl_profile(name: &str) -> Option<&'static SysctlProfile> {
    static HARDENED: OnceLock<SysctlProfile> = OnceLock::new();
    match name {
        "hardened" => Some(HARDENED.get_or_init(|| load("sysctl/hardened.toml"))),
        _ => None,
    }
}

pub(crate) const SYSCTL_PROFILES: &[&str] = &["hardened"];

#[cfg(test)]
mod tests {
    use super::*;

    /// build.rs's JSON says what the TOML says, for every table.
    #[test]
    fn the_embedded_tables_are_the_toml_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib");
        assert!(TABLES.len() >= 20, "only {} tables embedded", TABLES.len());
        for (name, json) in TABLES {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let from_toml: serde_json::Value = toml::from_str(&text).unwrap();
            let embedded: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(from_toml, embedded, "stdlib/{name}");
        }
        for (name, _) in DATA {
            assert!(TABLES.iter().any(|(n, _)| n == name), "stdlib/{name} is not embedded");
        }
    }

    #[test]
    fn every_catalog_loads() {
        let hardened = sysctl_profile("hardened").unwrap();
        assert!(hardened.setting.iter().any(|s| s.key == "kernel.kexec_load_disabled" && s.option.is_none()));
        for s in &hardened.setting {
            if let Some(o) = &s.option {
                assert!(hardened.option(o).is_some(), "stdlib/sysctl/hardened.toml: `{}` names no option `{o}`", s.key);
            }
        }
        assert_eq!(sshd_defaults().value("LogLevel"), Some("VERBOSE"));
        assert!(targets().current().is_some(), "stdlib/targets.toml: the default release has a table");
        assert!(tls().guideline.contains_key(&tls().default));
        assert_eq!(container_hardening().service.restart, "unless-stopped");
        // Every parameter pynoc sets exists in every supported PostgreSQL version.
        for v in PG_VERSIONS {
            let params = pg_params(*v).unwrap();
            for p in &pg_hardening().parameter {
                assert!(params.contains_key(&p.name), "stdlib/postgres/hardening.toml: no `{}` in {v}", p.name);
            }
        }
        assert!(version_at_least("3.10", "3.5") && !version_at_least("3.0", "3.5") && version_at_least("3.5", "3.5"));
        for name in BASELINES {
            assert_eq!(baseline(name).map(|b| b.name.as_str()), Some(*name));
        }
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
        // A filter is one field, as auditctl(8) writes it: `-F name<op>value` or
        // `-C field<op>field`.
        let filter = |f: &str| {
            let Some((flag, rest)) = f.split_once(' ') else { return false };
            let op = ["!=", ">=", "<=", "=", "<", ">"].iter().find_map(|op| rest.split_once(op));
            (flag == "-F" || flag == "-C")
                && op.is_some_and(|(a, b)| {
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && !b.is_empty()
                        && b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        };
        for (name, set) in &audit_sets().set {
            for r in &set.syscall_rules {
                for s in &r.syscalls {
                    assert!(t.b64.contains(s) || t.b32.contains(s), "{name}: {s} is in no ABI table");
                }
                assert!(r.filters.iter().all(|f| filter(f)), "{name}: a filter is not one auditctl field");
            }
            for e in &set.exec {
                assert!(e.path.starts_with('/') && e.filters.iter().all(|f| filter(f)), "{name}: {}", e.path);
            }
        }
        assert!(audit_sets().set.values().any(|s| s.default));
    }

    /// A benchmark's release is one of the releases pynoc writes for.
    #[test]
    fn baselines_name_known_releases() {
        for b in baselines() {
            if let Some(r) = &b.release {
                assert!(targets().release.contains_key(r), "{}: unknown release `{r}`", b.name);
            }
        }
        assert!(baselines().iter().any(|b| b.release.is_some()));
        for b in baselines() {
            for i in &b.item {
                assert!(i.scope_on.is_empty() || i.scope.is_some(), "{}:{}: `scope-on` without `scope`", b.name, i.id);
                for r in &i.scope_on {
                    assert!(targets().release.contains_key(r), "{}:{}: unknown release `{r}`", b.name, i.id);
                }
            }
        }
    }

    /// A watch kept for some releases names a way of recording logins a release has, and
    /// each release gets at least one of them.
    #[test]
    fn audit_watches_follow_a_known_way_of_recording_logins() {
        let kinds: Vec<&str> = targets().release.values().map(|r| r.login_records.as_str()).collect();
        let mut used = Vec::new();
        for (name, set) in &audit_sets().set {
            for w in &set.watches {
                if let Some(r) = &w.records {
                    assert!(kinds.contains(&r.as_str()), "{name}: {} is for `{r}`, which no release has", w.path);
                    used.push(r.as_str());
                }
            }
        }
        assert!(kinds.iter().all(|k| used.contains(k)), "a release's login records are watched nowhere");
    }
}
