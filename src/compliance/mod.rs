//! `pynoc report SPEC --baseline NAME`: for each item of a public baseline that pynoc knows
//! (stdlib/baselines/NAME.toml), whether the spec's output meets it, and if not, why: the
//! spec's reason, an option left off with its trade-off, a section the spec does not have,
//! or the catalog's own reason for declining the item or leaving it out of scope.
//!
//! The link from a baseline item to the output is the `satisfies` list of each hardening
//! default in stdlib data: one module per section turns the spec's IR into claims, each an
//! item, the setting it concerns, and whether the output holds it.

mod audit;
mod container;
mod host;
mod nginx;
mod postgres;
mod sshd;
mod sysctl;

use serde::Serialize;

use crate::ir::Spec;
use crate::stdlib::{self, Baseline};

/// What one default says about one baseline item in this spec's output.
pub(crate) struct Claim {
    /// `BASELINE:ID`.
    pub(crate) item: String,
    /// The setting, e.g. `sysctl kernel.yama.ptrace_scope`: claims on the same setting are
    /// alternatives (the default, or an option's stronger value).
    pub(crate) setting: String,
    /// Where the output meets it, or why it does not.
    pub(crate) outcome: Result<String, String>,
}

/// The claims of one section, gathered.
#[derive(Default)]
pub(crate) struct Claims(pub Vec<Claim>);

impl Claims {
    /// `outcome` for each of `items` (`BASELINE:ID`), about `setting`.
    fn add(&mut self, items: &[String], setting: String, outcome: Result<String, String>) {
        for item in items {
            self.0.push(Claim { item: item.clone(), setting: setting.clone(), outcome: outcome.clone() });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Met,
    NotMet,
    Declined,
    OutOfScope,
    NotApplicable,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "NOT MET",
            Status::Declined => "declined",
            Status::OutOfScope => "out of scope",
            Status::NotApplicable => "n/a",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ItemReport {
    pub id: String,
    pub(crate) title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<String>,
    pub status: Status,
    /// Where the output meets the item (met), or why not (the other statuses).
    pub details: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub(crate) met: usize,
    pub(crate) not_met: usize,
    pub(crate) declined: usize,
    pub(crate) out_of_scope: usize,
    /// A desktop's items (GDM, X): they do not apply to a server.
    pub(crate) not_applicable: usize,
    pub(crate) total: usize,
    /// Met items in percent of every item that applies (declined and out-of-scope ones
    /// count as not met), rounded down.
    pub percent: u32,
    /// The benchmark's level scored apart (CIS Level 1 server), when the catalog names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<LevelScore>,
    /// The higher level (CIS Level 2 server: Level 1's items and its own), when named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level2: Option<LevelScore>,
}

/// One level of a benchmark: its share of all the level's items, and of those that apply to
/// the spec's host (a server: no desktop's items; one firewall utility's, one logger's).
#[derive(Debug, Serialize)]
pub struct LevelScore {
    pub(crate) name: String,
    pub(crate) met: usize,
    pub(crate) total: usize,
    pub(crate) percent: u32,
    pub(crate) applicable: usize,
    pub(crate) applicable_percent: u32,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub(crate) baseline: String,
    pub(crate) title: String,
    /// The spec's sections whose items the baseline's catalog lists.
    pub(crate) covers: Vec<String>,
    /// Set when the benchmark is written for another release than the spec's: what that
    /// means for its scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_note: Option<String>,
    pub items: Vec<ItemReport>,
    pub summary: Summary,
}

/// Every claim the spec's output makes, over all sections.
pub(crate) fn claims(spec: &Spec) -> Vec<Claim> {
    let mut out = sysctl::claims(spec);
    out.extend(sshd::claims(spec));
    out.extend(nginx::claims(spec));
    out.extend(audit::claims(spec));
    out.extend(postgres::claims(spec));
    out.extend(container::claims(spec));
    out.extend(host::claims(spec));
    out
}

/// One hardening default of the stdlib: the data file it is in, what it is, and the
/// baseline items (`BASELINE:ID`) it claims.
struct Source {
    file: &'static str,
    what: String,
    items: &'static [String],
    /// Only when the spec asks for it (a sysctl option, a site's opt-in), not by default.
    chosen: bool,
}

/// Every default that claims baseline items, walked once for the catalog test and `explain`.
#[expect(clippy::too_many_lines, reason = "a table: one entry per stdlib file that claims baseline items")]
fn sources() -> Vec<Source> {
    let mut out = Vec::new();
    let mut add_if = |file: &'static str, what: String, items: &'static [String], chosen: bool| {
        if !items.is_empty() {
            out.push(Source { file, what, items, chosen });
        }
    };
    // A default (in force whenever its section is in the spec).
    macro_rules! add {
        ($file:expr, $what:expr, $items:expr $(,)?) => {
            add_if($file, $what, $items, false)
        };
    }
    for s in stdlib::sysctl_profile("hardened").map(|p| p.setting.as_slice()).unwrap_or_default() {
        let how = s.option.as_ref().map(|o| format!(" (option `{o}`)")).unwrap_or_default();
        add_if("sysctl/hardened.toml", format!("{} = {}{how}", s.key, s.value), &s.satisfies, s.option.is_some());
    }
    let d = stdlib::sshd_defaults();
    for s in &d.setting {
        add!("sshd/defaults.toml", format!("{} {}", s.keyword, s.value).trim_end().to_string(), &s.satisfies);
    }
    add!("sshd/defaults.toml", format!("the drop-in installed with mode {}", d.file.mode), &d.file.satisfies);
    for s in &d.step {
        add!("sshd/defaults.toml", format!("step `{}`: {}", s.name, s.what), &s.satisfies);
    }
    let n = stdlib::nginx_hardening();
    for h in &n.header {
        let how = h.opt_in.as_ref().map(|o| format!(" (on sites with `{o}`)")).unwrap_or_default();
        add_if("nginx/hardening.toml", format!("{}: {}{how}", h.name, h.value), &h.satisfies, h.opt_in.is_some());
    }
    add!("nginx/hardening.toml", "limit_conn per client address".into(), &n.limit_conn.satisfies);
    add!("nginx/hardening.toml", "a default server for unknown names".into(), &n.default_server.satisfies);
    add!("nginx/hardening.toml", "every site's port 80 redirecting to HTTPS".into(), &n.redirect.satisfies);
    add!("nginx/hardening.toml", format!("nginx.conf installed with mode {}", n.file.mode), &n.file.satisfies);
    for (what, items) in &n.template_claims {
        add!("nginx/hardening.toml", format!("the nginx.conf template: {what}"), items);
    }
    for c in &n.header_check {
        let what = match (c.values.as_slice(), c.min_max_age) {
            (_, Some(min)) => format!("every site sends {} with max-age ≥ {min}", c.name),
            ([], None) => format!("every site sends {}", c.name),
            (v, None) => format!("every site sends {}: {}", c.name, v.join(" or ")),
        };
        add!("nginx/hardening.toml", what, &c.satisfies);
    }
    let tls = stdlib::tls();
    add!("nginx/tls.toml", format!("every site on {}", tls.guideline[&tls.default].title), &tls.satisfies);
    add!(
        "nginx/tls.toml",
        "every site's HSTS max-age at least its profile's `hsts-max-age`".into(),
        &tls.hsts_satisfies,
    );
    add!("nginx/tls.toml", "every site on TLS 1.2 and 1.3 only".into(), &tls.protocols_satisfies);
    let a = stdlib::audit_sets();
    for (name, s) in &a.set {
        add_if("audit/sets.toml", format!("the rule set `{name}` ({})", s.comment), &s.satisfies, !s.default);
    }
    add!("audit/sets.toml", "`-e 2`, the rules locked until reboot".into(), &a.immutable.satisfies);
    add!("audit/sets.toml", format!("the rules file installed with mode {}", a.file.mode), &a.file.satisfies);
    add!("audit/sets.toml", "auditd installed, enabled and running".into(), &a.service.satisfies);
    add!("audit/sets.toml", "the play's `augenrules --check` after loading".into(), &a.loaded.satisfies);
    let l2 = "(`host profile=cis-l2`)";
    add_if("audit/sets.toml", format!("audit=1 on the kernel's command line {l2}"), &a.boot.audit, true);
    add_if("audit/sets.toml", format!("audit_backlog_limit on the kernel's command line {l2}"), &a.boot.backlog, true);
    let conf = stdlib::auditd_conf();
    for s in &conf.setting {
        add_if("audit/auditd.toml", format!("auditd.conf: {} = {} {l2}", s.key, s.value), &s.satisfies, true);
    }
    for f in &conf.path {
        add_if("audit/auditd.toml", format!("{} {}:{} {} {l2}", f.path, f.owner, f.group, f.mode), &f.satisfies, true);
    }
    let pg = stdlib::pg_hardening();
    for p in &pg.parameter {
        let how = if p.with_ssl { " (with the `ssl` node)" } else { "" };
        add_if("postgres/hardening.toml", format!("{} = '{}'{how}", p.name, p.value), &p.satisfies, p.with_ssl);
    }
    add_if("postgres/hardening.toml", "TLS on (the `ssl` node)".into(), &pg.ssl.satisfies, true);
    let classes = pg.pgaudit.log.join(", ");
    add_if(
        "postgres/hardening.toml",
        format!("pgAudit logging {classes} (the `pgaudit` node)"),
        &pg.pgaudit.satisfies,
        true,
    );
    add!("postgres/hardening.toml", "a connection limit on every login role".into(), &pg.connection_limit.satisfies);
    for (what, items) in &pg.fixed_claims {
        add!("postgres/hardening.toml", format!("always: {what}"), items);
    }
    add!(
        "postgres/hardening.toml",
        format!("pg_hba.conf installed with mode {}", pg.hba_file.mode),
        &pg.hba_file.satisfies
    );
    add!("postgres/hardening.toml", "every `local` line of pg_hba.conf uses peer".into(), &pg.hba_local_peer.satisfies);
    add!(
        "postgres/hardening.toml",
        "every network line that admits clients is hostssl".into(),
        &pg.hba_remote_tls.satisfies
    );
    add!(
        "postgres/hardening.toml",
        "no network line of pg_hba.conf admits the superuser or replication".into(),
        &pg.hba_admin_local.satisfies
    );
    add!("postgres/hardening.toml", "listen_addresses bound to named addresses".into(), &pg.listen_bound.satisfies);
    add_if("postgres/hardening.toml", "row-level security (`row-security`)".into(), &pg.row_security.satisfies, true);
    let c = stdlib::container_hardening();
    for (what, items) in &c.claims {
        add!("container/hardening.toml", format!("every compose service: {what}"), items);
    }
    for (key, items) in &c.never {
        add!("container/hardening.toml", format!("pynoc never writes `{key}`"), items);
    }
    for (what, items) in &c.image_claims {
        add!("container/hardening.toml", format!("the Dockerfile: {what}"), items);
    }
    for m in &stdlib::fstab_claims().mount {
        add!("fstab/claims.toml", format!("a tmpfs on {} (the spec's `fstab`)", m.target), &m.separate);
        add!("fstab/claims.toml", format!("{} mounted nodev", m.target), &m.nodev);
        add!("fstab/claims.toml", format!("{} mounted nosuid", m.target), &m.nosuid);
        add!("fstab/claims.toml", format!("{} mounted noexec", m.target), &m.noexec);
    }
    for f in &stdlib::critical_files().file {
        add!("permissions/files.toml", format!("{} {}:{} {}", f.path, f.owner, f.group, f.mode), &f.satisfies);
    }
    add!("updates/claims.toml", "automatic security updates (`updates`)".into(), &stdlib::updates_claims().satisfies);
    add!("aide/claims.toml", "AIDE with an initialised database (`aide`)".into(), &stdlib::aide_claims().installed);
    add!("aide/claims.toml", "the daily AIDE check (`aide`)".into(), &stdlib::aide_claims().checked);
    add!("aide/claims.toml", "the audit tools under AIDE with sha512 (`aide`)".into(), &stdlib::aide_claims().tools);
    for m in &stdlib::modules().module {
        let (how, chosen) = if m.level2_without_containers {
            (" at CIS Level 2 on a host without containers", true)
        } else {
            ("", false)
        };
        add_if("modprobe/modules.toml", format!("module {} unloadable (`modules`){how}", m.name), &m.satisfies, chosen);
    }
    for s in &stdlib::absent_services().service {
        add!("services/absent.toml", format!("`{}` purged or masked (`services`)", s.name), &s.satisfies);
    }
    add!(
        "nftables/claims.toml",
        "the nftables ruleset, loaded at boot (with `firewall`)".into(),
        &stdlib::nftables_claims().satisfies
    );
    add!(
        "permissions/accounts.toml",
        "the host play's check of the accounts and groups".into(),
        &stdlib::accounts_claims().satisfies
    );
    add!(
        "services/mail-local.toml",
        "the host play's check of SMTP's ports (with `services`)".into(),
        &stdlib::mail_local_claims().satisfies
    );
    add!(
        "permissions/schedulers.toml",
        "the host play's allow files for cron and at".into(),
        &stdlib::schedulers_claims().satisfies
    );
    add!(
        "journald/claims.toml",
        "journald the one logger, on disk, compressed, bounded (`journal`)".into(),
        &stdlib::journald_claims().satisfies
    );
    add!(
        "apparmor/claims.toml",
        "AppArmor on at boot, no process with a profile unconfined (`apparmor`)".into(),
        &stdlib::apparmor_claims().satisfies
    );
    add_if(
        "apparmor/claims.toml",
        "every AppArmor profile enforcing (`host profile=cis-l2`)".into(),
        &stdlib::apparmor_claims().enforcing,
        true,
    );
    add!(
        "timesyncd/timesyncd.toml",
        "systemd-timesyncd the one time daemon, on the spec's servers only (`time`)".into(),
        &stdlib::timesyncd().satisfies
    );
    for (what, items) in [
        (
            "pam_faillock around pam_unix, locked 15 minutes or more (`passwords unlock`)",
            &stdlib::pam_claims().faillock,
        ),
        ("pam_faillock: 5 failures at most (`passwords lockout`)", &stdlib::pam_claims().lockout),
        ("pam_pwhistory before pam_unix, root's too (`passwords`)", &stdlib::pam_claims().pwhistory),
        ("pam_pwhistory: 24 passwords or more (`passwords history`)", &stdlib::pam_claims().history),
        ("pam_unix: no empty password, yescrypt, use_authtok (`passwords`)", &stdlib::pam_claims().unix),
    ] {
        add!("pam/claims.toml", what.into(), items);
    }
    add!(
        "limits/claims.toml",
        "core dumps off for every session (with `sysctl`)".into(),
        &stdlib::limits_claims().satisfies
    );
    let l = stdlib::login_claims();
    for (what, items) in [
        ("PASS_MAX_DAYS 365 for new accounts (`passwords max-age`)", &l.max_age),
        ("PASS_MIN_DAYS 1 (`passwords min-age`)", &l.min_age),
        ("PASS_WARN_AGE 7 (`passwords warn`)", &l.warn),
        ("ENCRYPT_METHOD YESCRYPT (`passwords`)", &l.hash),
        ("INACTIVE=45 in /etc/default/useradd (`passwords`)", &l.inactive),
        ("UMASK 027 (`passwords`)", &l.umask),
        ("pwquality: four classes, no repeats or sequences over 3, a dictionary, root too (`passwords`)", &l.pwquality),
        ("pwquality: 14 characters at least (`passwords min-length`)", &l.min_length),
        ("sudo: use_pty, /var/log/sudo.log, 15 minutes at most (`sudo`)", &l.sudo),
        ("login shells: umask 027, idle 15 minutes at most (`shell`)", &l.shell),
    ] {
        add!("login/claims.toml", what.into(), items);
    }
    let b = stdlib::banner();
    for (what, items) in [
        ("/etc/issue: the legal notice (`banner`)", &b.issue),
        ("/etc/issue.net: the legal notice sshd shows (`banner`)", &b.issue_net),
        ("/etc/motd: the legal notice after a login (`banner`)", &b.motd),
    ] {
        add!("banner/banner.toml", what.into(), items);
    }
    out
}

/// Every `BASELINE:ID` the stdlib's defaults name, with the data file that names it.
#[cfg(test)]
pub(crate) fn satisfied_refs() -> Vec<(String, &'static str)> {
    sources().into_iter().flat_map(|s| s.items.iter().map(move |i| (i.clone(), s.file))).collect()
}

/// The report of `spec` against `baseline`; `waived` are the spec's waived findings, quoted
/// under the items whose catalog names their code (`waived-by`).
pub fn report(spec: &Spec, baseline: &Baseline, waived: &[crate::waive::Waived]) -> Report {
    let claims = claims(spec);
    let prefix = format!("{}:", baseline.name);
    let items: Vec<ItemReport> = baseline
        .item
        .iter()
        .map(|item| {
            let full = format!("{prefix}{}", item.id);
            let mine: Vec<&Claim> = claims.iter().filter(|c| c.item == full).collect();
            // Declined first; then what the output claims; an item nothing claims is a
            // desktop's, outside what pynoc writes (its reason), or not met.
            let (status, details) = if let Some(why) = &item.declined {
                (Status::Declined, vec![why.clone()])
            } else if !mine.is_empty() && !item.scope.as_ref().is_some_and(|_| in_scope_off(item, &spec.release)) {
                let (status, mut details) = judge(mine.into_iter());
                let waivers: Vec<String> = waived
                    .iter()
                    .filter(|w| item.waived_by.iter().any(|c| c == w.code))
                    .map(|w| format!("waived {} ({}): {} (reason: {})", w.code, w.slug, w.message, w.reason))
                    .collect();
                if waivers.is_empty() {
                    (status, details)
                } else {
                    if status == Status::Met {
                        details.clear();
                    }
                    details.extend(waivers);
                    (Status::NotMet, details)
                }
            } else if let Some(why) = not_applicable(item, spec) {
                (Status::NotApplicable, vec![why])
            } else if let Some(why) = item.scope.as_ref().filter(|_| in_scope_off(item, &spec.release)) {
                (Status::OutOfScope, vec![why.clone()])
            } else {
                judge(std::iter::empty())
            };
            ItemReport { id: item.id.clone(), title: item.title.clone(), level: item.level.clone(), status, details }
        })
        .collect();
    let count = |s: Status| items.iter().filter(|i| i.status == s).count();
    let (met, not_met) = (count(Status::Met), count(Status::NotMet));
    let not_applicable = count(Status::NotApplicable);
    // Every item counts but a desktop's: declined and out-of-scope ones are not met.
    let percent = share(met, items.len() - not_applicable);
    let level = baseline.level.as_ref().map(|name| level_score(&items, name, &[name.as_str()]));
    let level2 = baseline.level2.as_ref().map(|name| {
        let mut names = vec![name.as_str()];
        names.extend(baseline.level.as_deref());
        level_score(&items, name, &names)
    });
    let targets = crate::stdlib::targets();
    let release_note = baseline.release.as_ref().filter(|r| **r != spec.release).map(|r| {
        format!(
            "this benchmark is written for {} and the spec's host runs {}: each item is scored as the benchmark \
             words it, and files or settings that release changed may make an item pass or fail on paper only",
            targets.release.get(r).map_or(r.as_str(), |x| x.title.as_str()),
            targets.get(&spec.release).title,
        )
    });
    Report {
        baseline: baseline.name.clone(),
        title: baseline.title.clone(),
        covers: baseline.covers.clone(),
        release_note,
        summary: Summary {
            met,
            not_met,
            declined: count(Status::Declined),
            out_of_scope: count(Status::OutOfScope),
            not_applicable,
            total: items.len(),
            percent,
            level,
            level2,
        },
        items,
    }
}

/// The score of the items of any of `names`' levels, reported as `name`.
fn level_score(items: &[ItemReport], name: &str, names: &[&str]) -> LevelScore {
    let at: Vec<&ItemReport> =
        items.iter().filter(|i| i.level.as_deref().is_some_and(|l| l.split(',').any(|x| names.contains(&x)))).collect();
    let met = at.iter().filter(|i| i.status == Status::Met).count();
    let server = at.iter().filter(|i| i.status != Status::NotApplicable).count();
    LevelScore {
        name: name.to_string(),
        met,
        total: at.len(),
        percent: share(met, at.len()),
        applicable: server,
        applicable_percent: share(met, server),
    }
}

/// Why an item does not apply to the spec's host: a desktop's, another firewall utility's
/// than the host play's nftables, another logger's than the spec's journald, or another time
/// daemon's than its systemd-timesyncd.
fn not_applicable(item: &crate::stdlib::BaselineItem, spec: &Spec) -> Option<String> {
    let host = spec.host.as_ref();
    let firewall = host.is_some_and(|h| h.firewall.is_some());
    let journal = host.is_some_and(|h| h.journal.is_some());
    let time = host.is_some_and(|h| h.time.is_some());
    match (&item.firewall, &item.logger, &item.clock) {
        (Some(f), _, _) if firewall => Some(format!(
            "{f}'s: this host's firewall is nftables (host/nftables.conf, by the host play), and CIS asks for one utility"
        )),
        (_, Some(l), _) if journal => Some(format!(
            "{l}'s: this host's one logger is journald (host/journald.conf), and CIS asks for one logging system"
        )),
        (_, _, Some(t)) if time => Some(format!(
            "{t}'s: this host's one time daemon is systemd-timesyncd (host/timesyncd.conf), and CIS asks for one"
        )),
        _ if item.desktop => Some("a graphical desktop's: a server has none".into()),
        _ => None,
    }
}

/// `part` in percent of `whole`, rounded down; 100 of nothing.
fn share(part: usize, whole: usize) -> u32 {
    (part * 100).checked_div(whole).map_or(100, |p| p as u32)
}

/// An item's `scope` holds on this release: on every release, or on those `scope-on` names.
fn in_scope_off(item: &crate::stdlib::BaselineItem, release: &str) -> bool {
    item.scope_on.is_empty() || item.scope_on.iter().any(|r| r == release)
}

/// An item is met when, for every setting that claims it, one alternative holds.
fn judge<'a>(claims: impl Iterator<Item = &'a Claim>) -> (Status, Vec<String>) {
    let mut settings: Vec<(&str, Vec<&Claim>)> = Vec::new();
    for c in claims {
        match settings.iter_mut().find(|(s, _)| *s == c.setting) {
            Some((_, v)) => v.push(c),
            None => settings.push((&c.setting, vec![c])),
        }
    }
    if settings.is_empty() {
        return (Status::NotMet, vec!["no setting of pynoc claims this item".into()]);
    }
    let mut met = Vec::new();
    let mut why = Vec::new();
    for (_, alternatives) in &settings {
        match alternatives.iter().find_map(|c| c.outcome.as_ref().ok()) {
            Some(evidence) => met.push(evidence.clone()),
            None => {
                if let Some(Err(w)) = alternatives.first().map(|c| &c.outcome) {
                    why.push(w.clone());
                }
            }
        }
    }
    if why.is_empty() { (Status::Met, met) } else { (Status::NotMet, why) }
}

impl Report {
    /// The report for a terminal: one line per item, the reason under it, a summary line.
    pub fn human(&self, spec_path: &str) -> String {
        let mut out =
            format!("{spec_path} against {} ({}; sections: {})\n", self.baseline, self.title, self.covers.join(", "));
        if let Some(note) = &self.release_note {
            out += &format!("note: {note}\n");
        }
        for i in &self.items {
            let level = i.level.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
            out += &format!("{:<12} {} {}{level}\n", i.status.label(), i.id, i.title);
            if i.status != Status::Met {
                for d in &i.details {
                    out += &format!("{:<12}   why: {d}\n", "");
                }
            }
        }
        let s = &self.summary;
        out += &format!(
            "summary: {} met, {} not met, {} declined, {} out of scope, {} n/a, of {} items; {}% of the {} items that apply are met\n",
            s.met,
            s.not_met,
            s.declined,
            s.out_of_scope,
            s.not_applicable,
            s.total,
            s.percent,
            s.total - s.not_applicable
        );
        for l in s.level.iter().chain(&s.level2) {
            out += &format!(
                "{}: {} of {} items met ({}%); {}% of the {} that apply to this host (a server: no desktop, one firewall, one logger, one time daemon)\n",
                l.name, l.met, l.total, l.percent, l.applicable_percent, l.applicable
            );
        }
        out
    }
}

/// `pynoc explain BASELINE:ID`: the item, and what pynoc does about it.
pub fn explain(what: &str) -> Option<String> {
    let (name, id) = what.split_once(':')?;
    let b = stdlib::baseline(name)?;
    let item = b.item.iter().find(|i| i.id == id)?;
    let mut out = format!("{what}: {}\n{}\n", item.title, b.title);
    if let Some(why) = &item.declined {
        out += &format!("pynoc declines it: {why}\n");
    } else if let Some(why) = &item.scope {
        out += &format!("outside what pynoc writes: {why}\n");
    } else {
        let list = |v: &[String]| v.iter().map(|l| format!("  {l}\n")).collect::<String>();
        let (chosen, default): (Vec<_>, Vec<_>) = claimers(what).into_iter().partition(|(c, _)| *c);
        let (chosen, default): (Vec<String>, Vec<String>) =
            (chosen.into_iter().map(|(_, l)| l).collect(), default.into_iter().map(|(_, l)| l).collect());
        if !default.is_empty() {
            out += &format!("met by default through:\n{}", list(&default));
        }
        if !chosen.is_empty() {
            let head = if default.is_empty() { "met only when the spec turns on" } else { "also met through" };
            out += &format!("{head}:\n{}", list(&chosen));
        }
    }
    Some(out)
}

/// The stdlib settings that claim `BASELINE:ID`, as `stdlib/FILE: setting`, each marked when
/// the spec must ask for it.
fn claimers(full: &str) -> Vec<(bool, String)> {
    sources()
        .into_iter()
        .filter(|s| s.items.iter().any(|x| x == full))
        .map(|s| (s.chosen, format!("stdlib/{}: {}", s.file, s.what)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `satisfies` names an item of a catalog, and every catalog item is claimed by a
    /// default or says why not (declined or out of scope), never both.
    #[test]
    fn catalogs_and_claims_agree() {
        let refs = satisfied_refs();
        for (r, file) in &refs {
            let found =
                r.split_once(':').and_then(|(b, id)| stdlib::baseline(b).map(|b| b.item.iter().find(|i| i.id == id)));
            match found {
                // An item out of scope on some releases only may be claimed on the others.
                Some(Some(item)) => assert!(
                    item.declined.is_none() && (item.scope.is_none() || !item.scope_on.is_empty()),
                    "stdlib/{file} claims `{r}`, which its catalog declines"
                ),
                _ => panic!("stdlib/{file} claims `{r}`, which no catalog in stdlib/baselines lists"),
            }
        }
        for b in stdlib::baselines() {
            for i in &b.item {
                let full = format!("{}:{}", b.name, i.id);
                let claimed = refs.iter().any(|(r, _)| *r == full);
                let excused = i.declined.is_some() || i.scope.is_some() || i.desktop || i.firewall.is_some();
                assert!(
                    claimed || excused,
                    "stdlib/baselines/{}.toml: `{}` is neither claimed nor declined",
                    b.name,
                    i.id
                );
                assert!(!(i.declined.is_some() && i.scope.is_some()), "`{full}` is both declined and out of scope");
                for why in i.declined.iter().chain(&i.scope) {
                    assert!(!why.trim().is_empty() && !why.contains('\n'), "`{full}`: the reason is one line");
                }
                for code in &i.waived_by {
                    let rule = crate::codes::find(code);
                    assert!(rule.is_some_and(|r| r.waive.is_some()), "`{full}`: `{code}` is not a waivable code");
                }
            }
            let mut ids: Vec<&str> = b.item.iter().map(|i| i.id.as_str()).collect();
            ids.sort_unstable();
            let n = ids.len();
            ids.dedup();
            assert_eq!(n, ids.len(), "stdlib/baselines/{}.toml lists an item twice", b.name);
        }
    }
}
