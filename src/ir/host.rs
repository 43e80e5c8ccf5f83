//! The host section of the IR.

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;

use crate::ast::Span;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Host {
    /// Why containers run on this host, when they do: forwarding then stays on and the
    /// firewall routes the container networks' traffic (published ports, egress) only.
    pub containers: Option<String>,
    /// `host profile=cis-l2`: the CIS level the host is hardened to. Level 2 adds auditd's
    /// log retention (host/auditd.conf), auditing from boot (`audit=1` on the kernel's command
    /// line), overlayfs unloadable on a host without containers, and every AppArmor profile
    /// enforcing: each with the trade-off docs/baselines.md states.
    pub(crate) profile: HostProfile,
    /// The login accounts the operator's provisioning makes; `AllowUsers` names only these.
    pub(crate) accounts: Vec<LoginUser>,
    pub(crate) sysctl: Option<Sysctl>,
    pub(crate) ssh: Option<Ssh>,
    pub(crate) fail2ban: Option<Fail2ban>,
    pub(crate) audit: Option<Audit>,
    pub(crate) firewall: Option<Firewall>,
    pub(crate) fstab: Option<Fstab>,
    pub(crate) updates: Option<Updates>,
    pub(crate) aide: Option<Aide>,
    pub(crate) modules: Option<Modules>,
    pub(crate) passwords: Option<Passwords>,
    pub(crate) sudo: Option<Sudo>,
    pub(crate) shell: Option<Shell>,
    pub(crate) banner: Option<Banner>,
    pub(crate) journal: Option<Journal>,
    pub(crate) time: Option<TimeSync>,
    pub(crate) apparmor: Option<AppArmor>,
    pub(crate) services: Option<Services>,
    /// `sandbox { off SERVICE reason=… }`: the services whose unit the spec leaves as
    /// Debian ships it, each with its reason. Every other service pynoc configures runs
    /// under its sandbox drop-in (`Spec::sandboxes`).
    pub(crate) unsandboxed: Vec<Unsandboxed>,
}

/// The CIS level a host is hardened to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub(crate) enum HostProfile {
    /// CIS Debian 12 Level 1 (server): the default.
    #[default]
    #[serde(rename = "cis-l1")]
    CisL1,
    /// Level 2 (server): Level 1 and the items that cost availability or compatibility.
    #[serde(rename = "cis-l2")]
    CisL2,
}

impl HostProfile {
    /// How the spec names them.
    pub(crate) const NAMES: &[&str] = &["cis-l1", "cis-l2"];

    pub(crate) fn level2(self) -> bool {
        self == HostProfile::CisL2
    }
}

/// A service left without its sandbox, and why.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Unsandboxed {
    pub(crate) service: Daemon,
    pub(crate) reason: String,
}

/// A service pynoc configures whose systemd unit it can sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Daemon {
    Nginx,
    Postgresql,
    Fail2ban,
}

impl Daemon {
    pub(crate) const ALL: [Daemon; 3] = [Daemon::Nginx, Daemon::Postgresql, Daemon::Fail2ban];

    /// How the spec and stdlib/systemd/sandbox.toml name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Daemon::Nginx => "nginx",
            Daemon::Postgresql => "postgresql",
            Daemon::Fail2ban => "fail2ban",
        }
    }
}

/// A systemd drop-in that sandboxes one service's unit: stdlib/systemd/sandbox.toml's
/// settings with the paths and networks the spec gives.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Sandbox {
    pub(crate) service: Daemon,
    /// The unit the drop-in extends, e.g. `postgresql@.service` (every cluster's).
    pub(crate) unit: String,
    /// The highest exposure `systemd-analyze security` may give the unit under it.
    pub(crate) threshold: f64,
    /// Every setting in the order written, the common ones first.
    pub(crate) settings: Vec<UnitSetting>,
    /// The directories (and files) it may write, sorted; `-` before one that may be missing.
    pub(crate) read_write: Vec<String>,
    /// The networks it may exchange packets with, when it is limited to some (the database:
    /// loopback and its pg_hba.conf networks); empty for any.
    pub(crate) ip_allow: Vec<String>,
}

/// One `Key=value` line of a unit drop-in and why it is there.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub(crate) struct UnitSetting {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) why: String,
}

/// Kernel parameters, written as a drop-in for `/etc/sysctl.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Sysctl {
    /// The stdlib profile the settings start from, if any.
    pub(crate) profile: Option<String>,
    /// The profile's options the spec turned on, each with its trade-off.
    pub(crate) options: Vec<SysctlOption>,
    /// Every setting, grouped as in the profile, spec overrides in place.
    pub(crate) settings: Vec<SysctlSetting>,
    /// Profile settings the spec turned off, each with its reason.
    pub(crate) removed: Vec<Removed>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct SysctlOption {
    pub(crate) name: String,
    pub(crate) tradeoff: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct SysctlSetting {
    /// Dotted key, e.g. `net.ipv4.tcp_syncookies`.
    pub(crate) key: String,
    pub(crate) value: String,
    /// Kernels may lack this key; `sysctl --system` then skips it instead of failing.
    pub(crate) optional: bool,
    /// The group heading in the output, e.g. `Network security`.
    pub(crate) group: String,
    /// Why the value is set (from the profile or the spec's `reason`).
    pub(crate) comment: Option<String>,
    /// The profile key this one acts as, when the spec sets another spelling of it to
    /// another value (`net.ipv4.conf.all.forwarding` for `net.ipv4.ip_forward`).
    pub(crate) acts_as: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Removed {
    pub(crate) key: String,
    pub(crate) reason: String,
}

/// OpenSSH server settings, written as a drop-in for `/etc/ssh/sshd_config.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Ssh {
    /// Where the spec sets the port, or the `ssh` node for the default.
    #[serde(skip)]
    pub(crate) port_span: Span,
    pub(crate) port: u16,
    pub(crate) permit_root_login: RootLogin,
    pub(crate) password_authentication: bool,
    pub(crate) kbd_interactive_authentication: bool,
    pub(crate) permit_empty_passwords: bool,
    pub(crate) x11_forwarding: bool,
    pub(crate) allow_agent_forwarding: bool,
    pub(crate) allow_tcp_forwarding: bool,
    /// Only these users may log in; empty means no `AllowUsers` line.
    pub(crate) allow_users: Vec<LoginUser>,
    pub(crate) max_auth_tries: u32,
    /// Seconds.
    pub(crate) login_grace_time: u32,
    /// Seconds between keep-alive probes.
    pub(crate) client_alive_interval: u32,
    pub(crate) client_alive_count_max: u32,
    /// Settings weakened on purpose, with the spec's reason: repeated in the output.
    pub(crate) reasons: Vec<Removed>,
    /// The drop-in's lines, in stdlib/sshd/defaults.toml's order, as written.
    pub(crate) lines: Vec<SshdLine>,
    /// The playbook's steps for sshd still on (e.g. `moduli-3072`).
    pub(crate) steps: Vec<String>,
}

/// One line of the sshd drop-in: a keyword and its value.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub(crate) struct SshdLine {
    pub(crate) keyword: String,
    pub(crate) value: String,
}

/// `PermitRootLogin`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RootLogin {
    No,
    ProhibitPassword,
    Yes,
}

impl RootLogin {
    /// How the spec writes it.
    pub(crate) fn spec_word(self) -> &'static str {
        match self {
            RootLogin::No => "#false",
            RootLogin::ProhibitPassword => "\"prohibit-password\"",
            RootLogin::Yes => "#true",
        }
    }

    /// How sshd_config writes it.
    pub(crate) fn sshd_word(self) -> &'static str {
        match self {
            RootLogin::No => "no",
            RootLogin::ProhibitPassword => "prohibit-password",
            RootLogin::Yes => "yes",
        }
    }
}

/// A login account: declared in `accounts`, or named in `AllowUsers`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(transparent)]
pub(crate) struct LoginUser {
    pub(crate) name: String,
    #[serde(skip)]
    pub(crate) span: Span,
}

/// fail2ban: defaults and jails from the stdlib catalog.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Fail2ban {
    /// Seconds.
    pub(crate) bantime: u64,
    /// Seconds.
    pub(crate) findtime: u64,
    pub(crate) maxretry: u32,
    pub(crate) banaction: Option<String>,
    /// Never banned: loopback plus the spec's `ignore` networks.
    pub(crate) ignoreip: Vec<String>,
    pub(crate) jails: Vec<Jail>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Jail {
    pub(crate) name: String,
    pub(crate) filter: String,
    /// Port list as fail2ban reads it, e.g. `22` or `http,https`.
    pub(crate) port: String,
    /// `systemd` for journal sources, `auto` for log files.
    pub(crate) backend: String,
    /// Set only for file sources: a systemd backend ignores it.
    pub(crate) logpath: Option<String>,
    pub(crate) maxretry: Option<u32>,
    pub(crate) bantime: Option<u64>,
    pub(crate) findtime: Option<u64>,
}

/// Linux audit rules for `/etc/audit/rules.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Audit {
    #[serde(skip)]
    pub(crate) span: Span,
    /// Kernel audit backlog buffer (`-b`).
    pub(crate) buffer: u32,
    /// Failure mode (`-f`): 0 silent, 1 printk, 2 panic.
    pub(crate) failure: u8,
    /// The spec's weakenings of the backlog or the failure mode, each with its reason:
    /// repeated in the output.
    pub(crate) weakened: Vec<String>,
    /// Lock the rules until reboot (`-e 2`).
    pub(crate) immutable: bool,
    /// Why the rules are not locked, when they are not: repeated in the output.
    pub(crate) immutable_reason: Option<String>,
    pub(crate) groups: Vec<AuditGroup>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AuditGroup {
    /// The rule set's name (`time-change`) or `custom`.
    pub(crate) name: String,
    pub(crate) comment: String,
    pub(crate) rules: Vec<AuditRule>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum AuditRule {
    /// A file or directory watch (`-w PATH -p PERMS -k KEY`).
    Watch { path: String, perms: String, key: String },
    /// A syscall rule for one ABI (`-a always,exit -F arch=ARCH -S … [FILTERS] -k KEY`).
    Syscall { arch: String, syscalls: Vec<String>, filters: Vec<String>, key: String },
    /// Every run of a program (`-a always,exit -F path=PATH -F perm=x [FILTERS] -k KEY`).
    Exec { path: String, filters: Vec<String>, key: String },
}

/// One rule list for ufw, iptables, ip6tables and nftables.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Firewall {
    #[serde(skip)]
    pub(crate) span: Span,
    /// Where `incoming=` is set, or the `firewall` node for the default.
    #[serde(skip)]
    pub(crate) incoming_span: Span,
    pub(crate) incoming: Policy,
    pub(crate) outgoing: Policy,
    pub(crate) routed: Policy,
    pub(crate) rules: Vec<FirewallRule>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Policy {
    Allow,
    Deny,
    Reject,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Proto {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct FirewallRule {
    #[serde(skip)]
    pub(crate) span: Span,
    pub(crate) action: Policy,
    pub(crate) direction: Direction,
    /// Always explicit.
    pub(crate) proto: Proto,
    pub(crate) port: u16,
    /// Last port of a range; equal to `port` for one port.
    pub(crate) port_end: u16,
    /// Source (incoming) or destination (outgoing) networks; empty means any.
    pub(crate) peers: Vec<IpNet>,
    /// The rule applies to IPv4 (and so appears in iptables.rules).
    pub(crate) ipv4: bool,
    /// The rule applies to IPv6 (and so appears in ip6tables.rules).
    pub(crate) ipv6: bool,
    /// Per-source limit on new connections: 6 within 30 seconds, as ufw's `limit`.
    pub(crate) limit: bool,
    pub(crate) comment: Option<String>,
}

/// tmpfs mounts for `/etc/fstab`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Fstab {
    pub(crate) mounts: Vec<Mount>,
}

/// Kernel modules made unloadable, written as `/etc/modprobe.d/pynoc.conf`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Modules {
    /// The catalog's modules but those the spec allows, in its order.
    pub(crate) disabled: Vec<Module>,
    /// Modules the spec keeps loadable, each with its reason.
    pub(crate) allowed: Vec<Removed>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Module {
    pub(crate) name: String,
    pub(crate) why: String,
}

/// File integrity monitoring by AIDE: Debian's rules, the paths that change by design left
/// out, a daily check whose report goes to `mail`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Aide {
    /// The paths AIDE skips (with everything below them), each with why.
    pub(crate) exclude: Vec<AideExclude>,
    /// The daily check's report (the project's `admin-email` by default; root's mail without).
    pub(crate) mail: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AideExclude {
    pub(crate) path: String,
    /// The path as AIDE's regular expression: `.` and `+` escaped, anchored at a component.
    pub(crate) pattern: String,
    pub(crate) reason: String,
}

/// The password policy: ageing and hashing of the accounts made from now on
/// (`/etc/login.defs`), and the strength every new password must have (pwquality, root's
/// included).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Passwords {
    /// Days a password lasts (`PASS_MAX_DAYS`).
    pub(crate) max_age: u32,
    /// Days before a password may change again (`PASS_MIN_DAYS`).
    pub(crate) min_age: u32,
    /// Days of warning before it expires (`PASS_WARN_AGE`).
    pub(crate) warn: u32,
    /// The shortest password pwquality accepts (`minlen`).
    pub(crate) min_length: u32,
    /// Failed password logins within 15 minutes that lock an account (pam_faillock's `deny`).
    pub(crate) lockout: u32,
    /// Seconds an account stays locked (`unlock_time`).
    pub(crate) unlock: u32,
    /// Earlier passwords a new one may not repeat (pam_pwhistory's `remember`), root's too.
    pub(crate) history: u32,
}

/// The servers and clear-text clients the host play purges (packages) and masks (units).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Services {
    /// The catalog's entries but those the spec keeps, in its order.
    pub(crate) absent: Vec<AbsentService>,
    /// Entries the spec keeps, each with its reason.
    pub(crate) kept: Vec<Removed>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AbsentService {
    pub(crate) name: String,
    pub(crate) packages: Vec<String>,
    pub(crate) units: Vec<String>,
    pub(crate) why: String,
}

/// sudo's defaults, written as `/etc/sudoers.d/pynoc`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Sudo {
    /// Minutes a sudo authentication lasts (`timestamp_timeout`).
    pub(crate) timeout: u32,
}

/// Login shells' defaults, written as `/etc/profile.d/pynoc.sh`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Shell {
    /// Minutes an idle interactive shell lasts (`TMOUT`, read-only).
    pub(crate) timeout: u32,
}

/// The legal notice shown before a login (`/etc/issue` on the console, `/etc/issue.net`
/// through sshd's `Banner`) and after it (`/etc/motd`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Banner {
    /// The notice: printable ASCII lines, no escape sequence, no name of the system.
    pub(crate) text: String,
}

/// journald as the host's one logger, written as `/etc/systemd/journald.conf.d/50-pynoc.conf`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Journal {
    /// The most the journal may use on disk (`SystemMaxUse`), journald's size (`1G`).
    pub(crate) max_use: String,
    /// How long entries are kept at most (`MaxRetentionSec`), when the spec says.
    pub(crate) keep: Option<String>,
}

/// AppArmor on at every boot, its service on (`host { apparmor }`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AppArmor {}

/// systemd-timesyncd as the host's one time synchronisation daemon, written as
/// `/etc/systemd/timesyncd.conf.d/50-pynoc.conf`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct TimeSync {
    /// The time servers it asks, in order (`NTP=`), and no other (`FallbackNTP=`).
    pub(crate) servers: Vec<NtpServer>,
}

/// A time server: an address it reaches as it is, or a DNS name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum NtpServer {
    Address(std::net::IpAddr),
    Name(String),
}

impl std::fmt::Display for NtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NtpServer::Address(a) => a.fmt(f),
            NtpServer::Name(n) => f.write_str(n),
        }
    }
}

/// Automatic updates by unattended-upgrades, written as a drop-in for `/etc/apt/apt.conf.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Updates {
    /// The origins whose updates install themselves (`Unattended-Upgrade::Origins-Pattern`).
    pub(crate) origins: Vec<String>,
    /// `HH:MM`: the host reboots then when an update needs it; none: it never reboots itself.
    pub(crate) reboot: Option<String>,
    /// Where the report goes (the project's `admin-email` by default), and when.
    pub(crate) mail: Option<String>,
    pub(crate) mail_report: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Mount {
    pub(crate) target: String,
    /// Comma-separated mount options as fstab's fourth field.
    pub(crate) options: String,
    pub(crate) comment: Option<String>,
}
