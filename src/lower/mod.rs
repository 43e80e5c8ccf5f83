//! Stage 2: the spanned AST into the plain IR. Unknown names, wrong types and bad values
//! are reported at their spans; every error of the spec is collected before stopping.

mod audit;
mod container;
pub use container::LOADER_VARIABLES;
mod aide;
mod fail2ban;
mod firewall;
mod fstab;
mod journal;
mod nginx;
mod node;
mod postgres;
mod time;
pub(crate) use aide::pattern as aide_pattern;
mod login;
mod modules;
mod sandbox;
mod services;
mod ssh;
mod sysctl;
pub mod trace;
mod updates;
pub(crate) mod validate;

use crate::stdlib;
use std::collections::BTreeMap;

use ipnet::IpNet;

use crate::ast::{Document, Node, Span, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use node::{Reader, Seen, children, duplicate, one_of};

pub(crate) const FORMAT_VERSION: i128 = 1;
const TOP: &[&str] = &["pynoc", "project", "host", "nginx", "postgres", "container"];
/// The names lowering resolves references against (the project's networks), and the
/// sections that reported errors.
#[derive(Default)]
pub(crate) struct Scope {
    pub(crate) networks: BTreeMap<String, (Vec<IpNet>, Span)>,
    incomplete: std::cell::RefCell<std::collections::BTreeSet<ir::Section>>,
}

impl Scope {
    /// Runs one section's lowering. A section that reported an error keeps what lowered
    /// (the element in error left out) and is marked incomplete: checks that reason from
    /// an absence ("no rule lets SSH in") skip it, so an error never cascades into a second,
    /// false finding; checks on what is there still run.
    fn section<T>(&self, d: &Diags, which: ir::Section, f: impl FnOnce() -> Option<T>) -> Option<T> {
        let before = d.error_count();
        let out = f();
        if d.error_count() > before || out.is_none() {
            self.incomplete.borrow_mut().insert(which);
        }
        out
    }
}

/// The IR of the spec: whole when the spec has no error, otherwise partial (sections with
/// errors left out, a placeholder project when it has none) so that the checks still run on
/// what lowered.
pub(crate) fn lower(doc: &Document, d: &Diags) -> ir::Spec {
    let mut o = Scope::default();
    let t = top(doc, d);
    let version = t.version.and_then(|n| lower_version(n, d));
    required(doc, &t, d);
    let project = t.project.and_then(|n| lower_project(n, d, &mut o));
    let (release_name, release) = release(t.host, d);
    let domain = project.as_ref().and_then(|p| p.domain.clone());
    let nginx_ir =
        t.nginx.and_then(|n| o.section(d, ir::Section::Nginx, || nginx::lower(n, d, &o, domain.as_deref(), release)));
    let logs = nginx_ir.as_ref().map(|n| NginxLogs { access: n.access_log.clone(), error: n.error_log.clone() });
    let compose = t.container.is_some_and(|c| c.children().iter().any(|n| n.name() == "compose"));
    let project_name = project.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let mut host_ir = t.host.and_then(|n| lower_host(n, d, &o, (logs.as_ref(), &project_name), compose, release));
    // Update reports go to the project's admin address unless `updates mail=` names another.
    if let Some(u) = host_ir.as_mut().and_then(|h| h.updates.as_mut())
        && u.mail.is_none()
    {
        u.mail = project.as_ref().and_then(|p| p.admin_email.clone());
    }
    let postgres_ir =
        t.postgres.and_then(|n| o.section(d, ir::Section::Postgres, || postgres::lower(n, d, &o, release)));
    let pg_failed = t.postgres.is_some() && postgres_ir.is_none();
    let container_ir = t.container.and_then(|n| {
        o.section(d, ir::Section::Container, || container::lower(n, d, postgres_ir.as_ref(), pg_failed, &project_name))
    });
    // Where the database runs, said once: the compose service with `database=` (the rule of
    // docs/spec-language.md), else the host.
    let mut postgres_ir = postgres_ir;
    if let (Some(pg), Some(db)) =
        (postgres_ir.as_mut(), container_ir.as_ref().and_then(|c| c.compose.as_ref()).and_then(|s| s.database.as_ref()))
    {
        pg.place = ir::Place::Compose { service: db.service.clone() };
    }
    let project = project.unwrap_or_else(|| ir::Project {
        name: String::new(),
        domain: None,
        admin_email: None,
        networks: Vec::new(),
    });
    let mut spec = ir::Spec {
        incomplete: o.incomplete.take(),
        version: version.unwrap_or(FORMAT_VERSION as u32),
        release: release_name,
        project,
        host: host_ir,
        nginx: nginx_ir,
        postgres: postgres_ir,
        container: container_ir,
        sandboxes: Vec::new(),
    };
    spec.sandboxes = sandbox::drop_ins(&spec);
    aide::derive(&mut spec);
    spec
}

/// The top-level nodes: the first of each name (a second one is a duplicate).
#[derive(Default)]
struct Top<'a> {
    version: Option<&'a Node>,
    project: Option<&'a Node>,
    host: Option<&'a Node>,
    nginx: Option<&'a Node>,
    postgres: Option<&'a Node>,
    container: Option<&'a Node>,
}

fn top<'a>(doc: &'a Document, d: &Diags) -> Top<'a> {
    let mut t = Top::default();
    trace::top(TOP);
    for n in &doc.nodes {
        let slot = match n.name() {
            "pynoc" => &mut t.version,
            "project" => &mut t.project,
            "host" => &mut t.host,
            "nginx" => &mut t.nginx,
            "postgres" => &mut t.postgres,
            "container" => &mut t.container,
            name => {
                d.push(
                    Diagnostic::new(Kind::UnknownNode, format!("unknown top-level node `{name}`"))
                        .at(n.name.span, "unknown node")
                        .help(unknown_help(name, TOP)),
                );
                continue;
            }
        };
        match slot {
            Some(first) => d.push(duplicate(n.name(), n.name.span, first.name.span)),
            None => *slot = Some(n),
        }
    }
    t
}

/// `pynoc 1` first, and a `project`.
fn required(doc: &Document, t: &Top, d: &Diags) {
    let at = doc.nodes.first().map(|n| n.name.span).unwrap_or_default();
    if t.version.is_none() {
        d.push(
            Diagnostic::new(Kind::Version, "the spec does not say its format version")
                .at(at, "expected `pynoc 1` before this")
                .help("start the spec with the line `pynoc 1`"),
        );
    } else if let (Some(v), Some(first)) = (t.version, doc.nodes.first())
        && !std::ptr::eq(v, first)
    {
        d.push(
            Diagnostic::new(Kind::Version, "`pynoc` must be the first node of the spec")
                .at(v.name.span, "the format version")
                .also(first.name.span, "comes after this")
                .help("move `pynoc 1` to the top, so readers know the format before anything else"),
        );
    }
    if t.project.is_none() {
        d.push(
            Diagnostic::new(Kind::Missing, "the spec has no `project` node")
                .at(at, "expected a `project` node in this spec")
                .help("add `project NAME { … }` after `pynoc 1`"),
        );
    }
}

fn lower_version(n: &Node, d: &Diags) -> Option<u32> {
    let r = Reader::new(n, d);
    let v = r.arg(0);
    r.leaf_done();
    match v.map(|v| &v.value) {
        Some(Value::Int(FORMAT_VERSION)) => Some(FORMAT_VERSION as u32),
        Some(Value::Int(other)) => {
            d.push(
                Diagnostic::new(Kind::Version, format!("format version {other} is not supported"))
                    .at(v.map(|v| v.span).unwrap_or(n.name.span), "unsupported version")
                    .help(format!("this pynoc reads format version {FORMAT_VERSION}: write `pynoc {FORMAT_VERSION}`")),
            );
            None
        }
        Some(_) => {
            r.int_arg(1, 1, "`pynoc 1`");
            None
        }
        None => {
            d.push(
                Diagnostic::new(Kind::Version, "`pynoc` needs the format version")
                    .at(n.name.span, "version missing")
                    .help("write `pynoc 1`"),
            );
            None
        }
    }
}

fn lower_project(n: &Node, d: &Diags, o: &mut Scope) -> Option<ir::Project> {
    let r = Reader::new(n, d);
    let name =
        r.str_arg(0, "a name", "`project pynomaly { … }`").and_then(|v| validate::ident(d, &v, "project name", 63));
    r.block_done();
    let mut domain = None;
    let mut admin_email = None;
    let mut networks = Vec::new();
    for c in children(n, &["domain", "admin-email", "network"], &["domain", "admin-email"], d) {
        let cr = Reader::new(c, d);
        match c.name() {
            "domain" => {
                domain = cr
                    .str_arg(0, "a host name", "`domain \"api.example.com\"`")
                    .and_then(|v| validate::hostname(d, &v, "domain"))
            }
            "admin-email" => {
                admin_email = cr
                    .str_arg(0, "an e-mail address", "`admin-email \"admin@example.com\"`")
                    .and_then(|v| validate::email(d, &v))
            }
            _ => {
                let Some(net_name) = cr.str_arg(0, "a name", "`network internal \"10.0.0.0/8\"`") else {
                    cr.leaf_done();
                    continue;
                };
                let cidrs: Vec<IpNet> = cr
                    .str_args(1, "at least one CIDR", "`network internal \"10.0.0.0/8\"`")
                    .iter()
                    .filter_map(|v| {
                        validate::cidr(d, v).and_then(|n| {
                            validate::narrow(
                                d,
                                v,
                                n,
                                "a project network is trusted by name (firewall, fail2ban, PostgreSQL)",
                                "name the networks you mean; for a public port write `from=any` in the rule",
                            )
                        })
                    })
                    .collect();
                if let Some(ok_name) = validate::ident(d, &net_name, "network name", 32) {
                    if ok_name == "any" {
                        d.push(
                            Diagnostic::new(Kind::InvalidValue, "`any` is reserved")
                                .at(net_name.span, "reserved name")
                                .help("`any` means every address; pick another name"),
                        );
                    } else if let Some((_, first)) = o.networks.get(&ok_name) {
                        d.push(duplicate(&format!("network {ok_name}"), net_name.span, *first));
                    } else {
                        o.networks.insert(ok_name.clone(), (cidrs.clone(), net_name.span));
                        networks.push(ir::Network { name: ok_name, cidrs });
                    }
                }
            }
        }
        cr.leaf_done();
    }
    Some(ir::Project { name: name?, domain, admin_email, networks })
}

const HOST: &[&str] = &[
    "accounts",
    "sysctl",
    "ssh",
    "fail2ban",
    "audit",
    "firewall",
    "fstab",
    "updates",
    "aide",
    "modules",
    "passwords",
    "services",
    "sudo",
    "shell",
    "banner",
    "journal",
    "time",
    "apparmor",
    "sandbox",
];

/// Where nginx writes its logs: the fail2ban nginx jails read exactly these files.
pub(crate) struct NginxLogs {
    pub(crate) access: String,
    pub(crate) error: String,
}

/// Whether containers run on the host, and why: `host containers=#true|#false` says so;
/// without it, a `compose` stack in the spec runs on this host.
fn containers(r: &Reader, compose: bool) -> Option<String> {
    match r.bool_prop("containers").map(|b| b.value) {
        Some(true) => Some("`host containers=#true` says containers run on this host".into()),
        Some(false) => None,
        None if compose => Some("the spec's `compose` stack runs on this host".into()),
        None => None,
    }
}

/// `host release="debian-12"`: the release the output is for (stdlib/targets.toml), the
/// default one without a host section or a `release`.
fn release(host: Option<&Node>, d: &Diags) -> (String, &'static stdlib::Release) {
    let targets = stdlib::targets();
    let default = || (targets.default.clone(), targets.current().expect("a test keeps the default release"));
    let Some(n) = host else { return default() };
    let r = Reader::new(n, d);
    let Some(v) = r.str_prop("release", "\"debian-12\"") else { return default() };
    match targets.release.get(&v.value) {
        Some(rel) => (v.value.clone(), rel),
        None => {
            let known: Vec<String> = targets.release.iter().map(|(k, r)| format!("`{k}` ({})", r.title)).collect();
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("pynoc knows no release `{}`", v.value.escape_debug()))
                    .at(v.span, "unknown release")
                    .help(format!("pynoc writes for {}", known.join(", "))),
            );
            default()
        }
    }
}

fn lower_host(
    n: &Node,
    d: &Diags,
    o: &Scope,
    (nginx, project): (Option<&NginxLogs>, &str),
    compose: bool,
    release: &'static stdlib::Release,
) -> Option<ir::Host> {
    let r = Reader::new(n, d);
    // Read (and diagnosed) by `release` before any section.
    let _ = r.prop("release");
    let containers = containers(&r, compose);
    let profile_node = r.str_prop("profile", "cis-l2");
    let profile = host_profile(profile_node.as_ref(), d);
    r.block_done();
    let mut host = ir::Host {
        containers: containers.clone(),
        profile,
        accounts: Vec::new(),
        sysctl: None,
        ssh: None,
        fail2ban: None,
        audit: None,
        firewall: None,
        fstab: None,
        updates: None,
        aide: None,
        modules: None,
        passwords: None,
        sudo: None,
        shell: None,
        banner: None,
        journal: None,
        time: None,
        apparmor: None,
        services: None,
        unsandboxed: Vec::new(),
    };
    let cs = children(n, HOST, HOST, d);
    // ssh first: the firewall's `ssh` service and the sshd jail follow its port.
    // sshd shows the banner (`Banner /etc/issue.net`) when the host has one.
    let banner = cs.iter().any(|c| c.name() == "banner");
    if let Some(c) = cs.iter().find(|c| c.name() == "ssh") {
        host.ssh = o.section(d, ir::Section::Ssh, || ssh::lower(c, d, release, banner));
    }
    let ssh_port = host.ssh.as_ref().map(|s| s.port).unwrap_or(22);
    for c in cs {
        match c.name() {
            "sysctl" => host.sysctl = o.section(d, ir::Section::Sysctl, || sysctl::lower(c, d, containers.as_deref())),
            "fail2ban" => {
                host.fail2ban = o.section(d, ir::Section::Fail2ban, || fail2ban::lower(c, d, o, ssh_port, nginx))
            }
            "audit" => host.audit = o.section(d, ir::Section::Audit, || audit::lower(c, d, release)),
            "firewall" => host.firewall = o.section(d, ir::Section::Firewall, || firewall::lower(c, d, o, ssh_port)),
            "fstab" => host.fstab = o.section(d, ir::Section::Fstab, || fstab::lower(c, d)),
            "sandbox" => host.unsandboxed = sandbox::lower(c, d),
            "updates" => host.updates = o.section(d, ir::Section::Updates, || updates::lower(c, d)),
            "aide" => host.aide = o.section(d, ir::Section::Aide, || aide::lower(c, d, project)),
            "modules" => {
                host.modules =
                    o.section(d, ir::Section::Modules, || modules::lower(c, d, profile, containers.is_some()))
            }
            "passwords" => host.passwords = o.section(d, ir::Section::Passwords, || login::passwords(c, d)),
            "sudo" => host.sudo = o.section(d, ir::Section::Sudo, || login::sudo(c, d)),
            "shell" => host.shell = o.section(d, ir::Section::Shell, || login::shell(c, d)),
            "banner" => host.banner = o.section(d, ir::Section::Banner, || login::banner(c, d)),
            "journal" => host.journal = o.section(d, ir::Section::Journal, || journal::lower(c, d)),
            "time" => host.time = o.section(d, ir::Section::Time, || time::lower(c, d)),
            "apparmor" => {
                host.apparmor = o.section(d, ir::Section::AppArmor, || {
                    Reader::new(c, d).leaf_done();
                    Some(ir::AppArmor {})
                })
            }
            "services" => {
                host.services = o.section(d, ir::Section::Services, || services::lower(c, d, nginx.is_some()))
            }
            "accounts" => {
                host.accounts = o.section(d, ir::Section::Accounts, || Some(accounts(c, d))).unwrap_or_default()
            }
            _ => {}
        }
    }
    level2_release(&host, profile_node, release, d);
    Some(host)
}

/// `host profile=cis-l1|cis-l2`, Level 1 by default.
fn host_profile(v: Option<&crate::ast::Spanned<String>>, d: &Diags) -> ir::HostProfile {
    v.and_then(|v| one_of(d, "`profile`", v, ir::HostProfile::NAMES)).map_or(ir::HostProfile::default(), |p| {
        if p == "cis-l2" { ir::HostProfile::CisL2 } else { ir::HostProfile::CisL1 }
    })
}

/// Level 2 writes auditd.conf, one auditd version's file: an error on a release whose auditd
/// is another.
fn level2_release(
    host: &ir::Host,
    profile_node: Option<crate::ast::Spanned<String>>,
    release: &stdlib::Release,
    d: &Diags,
) {
    let conf = stdlib::auditd_conf();
    if let Some(v) =
        profile_node.filter(|_| host.profile.level2() && host.audit.is_some() && release.auditd != conf.auditd)
    {
        d.push(
            Diagnostic::new(
                Kind::InvalidValue,
                format!(
                    "`cis-l2` writes auditd {}'s auditd.conf, and this host's release runs auditd {}",
                    conf.auditd, release.auditd
                ),
            )
            .at(v.span, "no auditd.conf for this release")
            .help("pynoc has Debian 12's file only so far: use `profile=cis-l1` on this host, or `release=debian-12`"),
        );
    }
}

/// `accounts "deploy" "ops"`: the host's login accounts, made by the operator's provisioning;
/// `allow-users` may name only these, and the playbook checks they exist.
fn accounts(n: &Node, d: &Diags) -> Vec<ir::LoginUser> {
    let r = Reader::new(n, d);
    let mut out: Vec<ir::LoginUser> = Vec::new();
    let mut seen = Seen::new("account");
    for u in r.str_args(0, "at least one account", "`accounts deploy`") {
        if let Some(name) = validate::user(d, &u)
            && seen.first(d, &name, u.span)
        {
            out.push(ir::LoginUser { name, span: u.span });
        }
    }
    r.leaf_done();
    out
}

/// An address written out (`10.0.0.0/8`, `2001:db8::/48`), not a project network's name
/// (names start with a letter and hold neither `/` nor `:`).
pub(crate) fn is_literal_network(v: &str) -> bool {
    v.contains(['/', ':']) || v.starts_with(|c: char| c.is_ascii_digit())
}

/// Resolves `from=`/`to=`/`ignore`: a network name of the project or a literal CIDR. When
/// the network grants something (`grants` says what), a literal one must be narrow; a named
/// one was checked where the project defines it.
pub(crate) fn networks(
    d: &Diags,
    o: &Scope,
    v: &crate::ast::Spanned<String>,
    grants: Option<&str>,
) -> Option<Vec<IpNet>> {
    if is_literal_network(&v.value) {
        let net = validate::cidr(d, v)?;
        return match grants {
            Some(g) => validate::narrow(d, v, net, g, "name the networks you mean").map(|n| vec![n]),
            None => Some(vec![net]),
        };
    }
    if let Some((nets, _)) = o.networks.get(&v.value) {
        return Some(nets.clone());
    }
    let names: Vec<&str> = o.networks.keys().map(String::as_str).collect();
    d.push(
        Diagnostic::new(Kind::UnknownReference, format!("no network named `{}`", v.value))
            .at(v.span, "not defined in `project`")
            .help(if names.is_empty() {
                "define it in `project { network NAME \"CIDR\" }`, or write a CIDR".to_string()
            } else {
                format!("{} (a CIDR such as `10.0.0.0/8` works too)", unknown_help(&v.value, &names))
            }),
    );
    None
}

/// A weakened setting needs `reason="…"`; returns it, or reports its absence.
/// What one kind of exception to a catalog reads: `VERB NAME reason="…"` children of a
/// section, each NAME one of `names`, once, with its reason.
pub(crate) struct Exceptions<'a> {
    /// The child's name (`allow`, `keep`, `off`).
    pub(crate) verb: &'static str,
    /// What NAME is, for messages (`module`, `service`).
    pub(crate) noun: &'static str,
    /// What a missing NAME is called, and how a second one of a NAME is named.
    pub(crate) missing: &'a str,
    pub(crate) seen_as: &'static str,
    pub(crate) example: &'a str,
    /// What an exception weakens, and what leaving it out does.
    pub(crate) weakens: &'a str,
    pub(crate) instead: &'a str,
    pub(crate) names: &'a [&'a str],
}

/// The exceptions of `n`'s children, as (the catalog's name, the reason), in spec order.
pub(crate) fn exceptions(n: &Node, d: &Diags, e: &Exceptions) -> Vec<ir::Removed> {
    let mut out = Vec::new();
    let mut seen = Seen::new(e.seen_as);
    for c in children(n, &[e.verb], &[], d) {
        let r = Reader::new(c, d);
        let name = r.str_arg(0, e.missing, e.example);
        let reason = need_reason(&r, e.weakens, c.name.span, e.instead);
        r.leaf_done();
        let Some(name) = name else { continue };
        let Some(known) = one_of(d, e.noun, &name, e.names) else { continue };
        if seen.first(d, &known, name.span)
            && let Some(reason) = reason
        {
            out.push(ir::Removed { key: known, reason });
        }
    }
    out
}

pub(crate) fn need_reason(r: &Reader, what: &str, at: Span, help: &str) -> Option<String> {
    match r.str_prop("reason", "\"why this is needed\"") {
        Some(v) => validate::reason(r.d, &v),
        None => {
            r.d.push(
                Diagnostic::new(Kind::NeedsReason, format!("{what} weakens the hardening and needs a reason"))
                    .at(at, "weakened here")
                    .help(format!("{help}, or add `reason=\"…\"`: pynoc repeats it in the output")),
            );
            None
        }
    }
}
