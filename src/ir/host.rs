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
    /// The login accounts the operator's provisioning makes; `AllowUsers` names only these.
    pub accounts: Vec<LoginUser>,
    pub sysctl: Option<Sysctl>,
    pub ssh: Option<Ssh>,
    pub fail2ban: Option<Fail2ban>,
    pub audit: Option<Audit>,
    pub firewall: Option<Firewall>,
    pub fstab: Option<Fstab>,
}

/// Kernel parameters, written as a drop-in for `/etc/sysctl.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Sysctl {
    /// The stdlib profile the settings start from, if any.
    pub profile: Option<String>,
    /// The profile's options the spec turned on, each with its trade-off.
    pub options: Vec<SysctlOption>,
    /// Every setting, grouped as in the profile, spec overrides in place.
    pub settings: Vec<SysctlSetting>,
    /// Profile settings the spec turned off, each with its reason.
    pub removed: Vec<Removed>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SysctlOption {
    pub name: String,
    pub tradeoff: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SysctlSetting {
    /// Dotted key, e.g. `net.ipv4.tcp_syncookies`.
    pub key: String,
    pub value: String,
    /// Kernels may lack this key; `sysctl --system` then skips it instead of failing.
    pub optional: bool,
    /// The group heading in the output, e.g. `Network security`.
    pub group: String,
    /// Why the value is set (from the profile or the spec's `reason`).
    pub comment: Option<String>,
    /// The profile key this one acts as, when the spec sets another spelling of it to
    /// another value (`net.ipv4.conf.all.forwarding` for `net.ipv4.ip_forward`).
    pub acts_as: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Removed {
    pub key: String,
    pub reason: String,
}

/// OpenSSH server settings, written as a drop-in for `/etc/ssh/sshd_config.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Ssh {
    /// Where the spec's `ssh` node is.
    #[serde(skip)]
    pub span: Span,
    /// Where the spec sets the port, or the `ssh` node for the default.
    #[serde(skip)]
    pub port_span: Span,
    pub port: u16,
    pub permit_root_login: RootLogin,
    pub password_authentication: bool,
    pub kbd_interactive_authentication: bool,
    pub permit_empty_passwords: bool,
    pub x11_forwarding: bool,
    pub allow_agent_forwarding: bool,
    pub allow_tcp_forwarding: bool,
    /// Only these users may log in; empty means no `AllowUsers` line.
    pub allow_users: Vec<LoginUser>,
    pub max_auth_tries: u32,
    /// Seconds.
    pub login_grace_time: u32,
    /// Seconds between keep-alive probes.
    pub client_alive_interval: u32,
    pub client_alive_count_max: u32,
    /// Settings weakened on purpose, with the spec's reason: repeated in the output.
    pub reasons: Vec<Removed>,
    /// The drop-in's lines, in stdlib/sshd/defaults.toml's order, as written.
    pub lines: Vec<SshdLine>,
    /// The playbook's steps for sshd still on (e.g. `moduli-3072`).
    pub steps: Vec<String>,
}

/// One line of the sshd drop-in: a keyword and its value.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct SshdLine {
    pub keyword: String,
    pub value: String,
}

/// `PermitRootLogin`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RootLogin {
    No,
    ProhibitPassword,
    Yes,
}

impl RootLogin {
    /// How the spec writes it.
    pub fn spec_word(self) -> &'static str {
        match self {
            RootLogin::No => "#false",
            RootLogin::ProhibitPassword => "\"prohibit-password\"",
            RootLogin::Yes => "#true",
        }
    }

    /// How sshd_config writes it.
    pub fn sshd_word(self) -> &'static str {
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
pub struct LoginUser {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
}

/// fail2ban: defaults and jails from the stdlib catalog.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Fail2ban {
    /// Seconds.
    pub bantime: u64,
    /// Seconds.
    pub findtime: u64,
    pub maxretry: u32,
    pub banaction: Option<String>,
    /// Never banned: loopback plus the spec's `ignore` networks.
    pub ignoreip: Vec<String>,
    pub jails: Vec<Jail>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Jail {
    pub name: String,
    pub filter: String,
    /// Port list as fail2ban reads it, e.g. `22` or `http,https`.
    pub port: String,
    /// `systemd` for journal sources, `auto` for log files.
    pub backend: String,
    /// Set only for file sources: a systemd backend ignores it.
    pub logpath: Option<String>,
    pub maxretry: Option<u32>,
    pub bantime: Option<u64>,
    pub findtime: Option<u64>,
}

/// Linux audit rules for `/etc/audit/rules.d/`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Audit {
    #[serde(skip)]
    pub span: Span,
    /// Kernel audit backlog buffer (`-b`).
    pub buffer: u32,
    /// Failure mode (`-f`): 0 silent, 1 printk, 2 panic.
    pub failure: u8,
    /// The spec's weakenings of the backlog or the failure mode, each with its reason:
    /// repeated in the output.
    pub weakened: Vec<String>,
    /// Lock the rules until reboot (`-e 2`).
    pub immutable: bool,
    /// Why the rules are not locked, when they are not: repeated in the output.
    pub immutable_reason: Option<String>,
    pub groups: Vec<AuditGroup>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditGroup {
    /// The rule set's name (`time-change`) or `custom`.
    pub name: String,
    pub comment: String,
    pub rules: Vec<AuditRule>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AuditRule {
    /// A file or directory watch (`-w PATH -p PERMS -k KEY`).
    Watch { path: String, perms: String, key: String },
    /// A syscall rule for one ABI (`-a always,exit -F arch=ARCH -S … [FILTERS] -k KEY`).
    Syscall { arch: String, syscalls: Vec<String>, filters: Vec<String>, key: String },
    /// Every run of a program (`-a always,exit -F path=PATH -F perm=x [FILTERS] -k KEY`).
    Exec { path: String, filters: Vec<String>, key: String },
}

/// One rule list for ufw, iptables, ip6tables and nftables.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Firewall {
    #[serde(skip)]
    pub span: Span,
    /// Where `incoming=` is set, or the `firewall` node for the default.
    #[serde(skip)]
    pub incoming_span: Span,
    pub incoming: Policy,
    pub outgoing: Policy,
    pub routed: Policy,
    pub rules: Vec<FirewallRule>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    Allow,
    Deny,
    Reject,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Proto {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FirewallRule {
    #[serde(skip)]
    pub span: Span,
    pub action: Policy,
    pub direction: Direction,
    /// Always explicit.
    pub proto: Proto,
    pub port: u16,
    /// Last port of a range; equal to `port` for one port.
    pub port_end: u16,
    /// Source (incoming) or destination (outgoing) networks; empty means any.
    pub peers: Vec<IpNet>,
    /// The rule applies to IPv4 (and so appears in iptables.rules).
    pub ipv4: bool,
    /// The rule applies to IPv6 (and so appears in ip6tables.rules).
    pub ipv6: bool,
    /// Per-source limit on new connections: 6 within 30 seconds, as ufw's `limit`.
    pub limit: bool,
    pub comment: Option<String>,
}

/// tmpfs mounts for `/etc/fstab`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Fstab {
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Mount {
    pub target: String,
    /// Comma-separated mount options as fstab's fourth field.
    pub options: String,
    pub comment: Option<String>,
}
