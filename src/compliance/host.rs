//! Claims of the host's other parts: the tmpfs mounts (stdlib/fstab/claims.toml), the
//! critical files' modes the host play sets (stdlib/permissions/files.toml), and automatic
//! security updates (stdlib/updates/claims.toml), file integrity monitoring
//! (stdlib/aide/claims.toml), the login policy (stdlib/login/claims.toml).

use super::Claims;
use crate::ir::Spec;
use crate::stdlib;

pub(crate) fn claims(spec: &Spec) -> Vec<super::Claim> {
    let mut c = Claims::default();
    let host = spec.host.as_ref();
    for m in &stdlib::fstab_claims().mount {
        let mount = host.and_then(|h| h.fstab.as_ref()).and_then(|f| f.mounts.iter().find(|x| x.target == m.target));
        let setting = |what: &str| format!("fstab {} {what}", m.target);
        let Some(mount) = mount else {
            let why = format!("the spec's `fstab` has no tmpfs on {}", m.target);
            for items in [&m.separate, &m.nodev, &m.nosuid, &m.noexec] {
                c.add(items, setting("mount"), Err(why.clone()));
            }
            continue;
        };
        c.add(&m.separate, setting("mount"), Ok(format!("host/fstab: a tmpfs on {}", m.target)));
        for (option, items) in [("nodev", &m.nodev), ("nosuid", &m.nosuid), ("noexec", &m.noexec)] {
            let has = mount.options.split(',').any(|o| o == option);
            let outcome = if has {
                Ok(format!("host/fstab: {} mounted {option}", m.target))
            } else {
                Err(format!(
                    "the spec turns `{option}` off on {}: {}",
                    m.target,
                    mount.comment.as_deref().unwrap_or("")
                ))
            };
            c.add(items, setting(option), outcome);
        }
    }
    for f in &stdlib::critical_files().file {
        let outcome = match host {
            Some(_) => Ok(format!("deploy/site.yml: {} {}:{} {} or stricter", f.path, f.owner, f.group, f.mode)),
            None => Err("the spec has no `host` section: no host play".to_string()),
        };
        c.add(&f.satisfies, format!("mode of {}", f.path), outcome);
    }
    let updates = match host.and_then(|h| h.updates.as_ref()) {
        Some(_) => Ok("host/unattended-upgrades.conf: security updates install themselves daily".to_string()),
        None => Err("the spec has no `updates` node: updates are the operator's".to_string()),
    };
    c.add(&stdlib::updates_claims().satisfies, "unattended-upgrades".into(), updates);
    let aide = stdlib::aide_claims();
    let (installed, checked, tools) = match host.and_then(|h| h.aide.as_ref()) {
        Some(_) => (
            Ok("deploy/site.yml: AIDE installed, its database initialised".to_string()),
            Ok("deploy/site.yml: dailyaidecheck.timer on".to_string()),
            Ok("host/aide.conf: sha512 over Debian's `/ Full` rule, the audit tools never left out".to_string()),
        ),
        None => {
            let why = "the spec has no `aide` node".to_string();
            (Err(why.clone()), Err(why.clone()), Err(why))
        }
    };
    c.add(&aide.installed, "aide".into(), installed);
    c.add(&aide.checked, "aide check".into(), checked);
    c.add(&aide.tools, "aide audit tools".into(), tools);
    modules(&mut c, host);
    core_dumps(&mut c, host);
    accounts(&mut c, host);
    firewall(&mut c, host);
    journal(&mut c, host);
    time(&mut c, host);
    apparmor(&mut c, host);
    login(&mut c, host);
    pam(&mut c, host);
    banner(&mut c, host);
    services(&mut c, spec);
    mail_local(&mut c, host);
    c.0
}

/// `modules`: each catalog module made unloadable, unless the spec keeps it.
fn modules(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let modules = host.and_then(|h| h.modules.as_ref());
    for m in &stdlib::modules().module {
        let outcome = match modules {
            None => Err("the spec has no `modules` node".to_string()),
            Some(x) => match x.allowed.iter().find(|a| a.key == m.name) {
                Some(a) => Err(format!("the spec keeps `{}` loadable: {}", m.name, a.reason)),
                None if x.disabled.iter().any(|d| d.name == m.name) => {
                    Ok(format!("host/modprobe.conf: install {} /bin/false", m.name))
                }
                None => Err(match host.and_then(|h| h.containers.as_deref()) {
                    Some(why) => {
                        format!("`{}` stays loadable where containers run ({why}): their storage mounts it", m.name)
                    }
                    None => format!("`{}` is unloadable at CIS Level 2 only (`host profile=cis-l2`)", m.name),
                }),
            },
        };
        c.add(&m.satisfies, format!("module {}", m.name), outcome);
    }
}

/// With `sysctl`'s `fs.suid_dumpable = 0`, the core limits of every session.
fn core_dumps(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let dumpable =
        host.and_then(|h| h.sysctl.as_ref()).and_then(|s| s.settings.iter().find(|x| x.key == "fs.suid_dumpable"));
    let core = match dumpable {
        Some(x) if x.value == "0" => {
            Ok("host/limits.conf: core 0, soft and hard, for every session and root".to_string())
        }
        Some(x) => Err(format!("the spec sets `fs.suid_dumpable = {}`: core dumps stay on", x.value)),
        None => Err("the spec has no `sysctl` section, or it leaves `fs.suid_dumpable` out".to_string()),
    };
    c.add(&stdlib::limits_claims().satisfies, "core limits".into(), core);
}

/// `firewall`: the nftables ruleset the host play installs and loads at boot.
fn firewall(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let nft = match host.and_then(|h| h.firewall.as_ref()) {
        Some(_) => Ok("host/nftables.conf: installed as /etc/nftables.conf, nftables.service enabled".to_string()),
        None => Err("the spec has no `firewall` section".to_string()),
    };
    c.add(&stdlib::nftables_claims().satisfies, "nftables ruleset".into(), nft);
}

/// The host play's check of the accounts and groups, on every run.
fn accounts(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let accounts = match host {
        Some(_) => Ok("deploy/site.yml: the host play stops on an account or group that breaks it".to_string()),
        None => Err("the spec has no `host` section".to_string()),
    };
    c.add(&stdlib::accounts_claims().satisfies, "accounts check".into(), accounts.clone());
    let schedulers =
        accounts.map(|_| "deploy/site.yml: cron.allow and at.allow name root alone, where installed".into());
    c.add(&stdlib::schedulers_claims().satisfies, "cron and at".into(), schedulers);
}

/// `journal`: journald as the one logger, restarted on its drop-in by the host play.
fn journal(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let j = match host.and_then(|h| h.journal.as_ref()) {
        Some(j) => Ok(format!(
            "host/journald.conf: Storage=persistent, Compress=yes, ForwardToSyslog=no, SystemMaxUse={}",
            j.max_use
        )),
        None => Err("the spec has no `journal` node".to_string()),
    };
    c.add(&stdlib::journald_claims().satisfies, "journald".into(), j);
}

/// `apparmor`: on at boot, its service on, no process with a profile unconfined.
fn apparmor(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let a = match host.and_then(|h| h.apparmor.as_ref()) {
        Some(_) => {
            Ok("host/apparmor-grub.cfg: apparmor=1 security=apparmor; apparmor.service on; the play checks aa-status"
                .to_string())
        }
        None => Err("the spec has no `apparmor` node".to_string()),
    };
    c.add(&stdlib::apparmor_claims().satisfies, "apparmor".into(), a);
    let enforcing = match host {
        Some(h) if h.apparmor.is_none() => Err("the spec has no `apparmor` node".to_string()),
        Some(h) if h.profile.level2() => {
            Ok("the host play enforces every profile loaded in complain mode (aa-enforce) and stops at one left".into())
        }
        Some(_) => Err("every profile enforcing is CIS Level 2's (`host profile=cis-l2`): a profile Debian ships in \
                        complain mode, enforced, may stop its program"
            .into()),
        None => Err("the spec has no `host` section".to_string()),
    };
    c.add(&stdlib::apparmor_claims().enforcing, "apparmor enforcing".into(), enforcing);
}

/// `time`: systemd-timesyncd as the one time daemon, on the spec's servers only.
fn time(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let t = match host.and_then(|h| h.time.as_ref()) {
        Some(t) => Ok(format!(
            "host/timesyncd.conf: NTP= and FallbackNTP= {}; systemd-timesyncd enabled and running",
            t.servers.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
        )),
        None => Err("the spec has no `time` node".to_string()),
    };
    c.add(&stdlib::timesyncd().satisfies, "timesyncd".into(), t);
}

/// With `services`, the host play's check that a mail transfer agent listens on loopback alone.
fn mail_local(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let m = match host.and_then(|h| h.services.as_ref()) {
        Some(_) => Ok("deploy/site.yml: the play stops on SMTP's ports beyond the loopback addresses".to_string()),
        None => Err("the spec has no `services` node".to_string()),
    };
    c.add(&stdlib::mail_local_claims().satisfies, "mail transfer agent".into(), m);
}

/// `services`: each catalog entry met when the host play removes it; kept by the spec, or
/// the spec's own nginx as the web server, not met with the reason.
fn services(c: &mut Claims, spec: &Spec) {
    let s = spec.host.as_ref().and_then(|h| h.services.as_ref());
    for e in &stdlib::absent_services().service {
        let what = || {
            let mut w: Vec<String> = e.packages.iter().map(|p| format!("{p} purged")).collect();
            w.extend(e.units.iter().map(|u| format!("{u} masked")));
            w.join(", ")
        };
        let outcome = match s {
            None => Err("the spec has no `services` node".to_string()),
            Some(s) => match s.kept.iter().find(|k| k.key == e.name) {
                Some(k) => Err(format!("the spec keeps `{}`: {}", e.name, k.reason)),
                None if e.name == "web-server" && spec.nginx.is_some() => {
                    Err("nginx is this host's web server (the spec's `nginx`); apache2 is purged".to_string())
                }
                None => Ok(format!("deploy/site.yml: {}", what())),
            },
        };
        c.add(&e.satisfies, format!("service {}", e.name), outcome);
    }
}

/// `passwords` and `sudo`: each CIS bound (365 days at most, a day at least, 7 days' warning,
/// 14 characters) met only when the spec's value is within it.
fn login(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let l = stdlib::login_claims();
    let bound = |ok: bool, met: String, why: String| if ok { Ok(met) } else { Err(why) };
    match host.and_then(|h| h.passwords.as_ref()) {
        Some(p) => {
            let age = |k: &str, v: u32| format!("host/login.defs: {k} {v} (accounts made from now on)");
            c.add(
                &l.max_age,
                "PASS_MAX_DAYS".into(),
                bound(
                    p.max_age <= 365,
                    age("PASS_MAX_DAYS", p.max_age),
                    format!("the spec's `max-age={}` is above 365 days", p.max_age),
                ),
            );
            c.add(
                &l.min_age,
                "PASS_MIN_DAYS".into(),
                bound(
                    p.min_age >= 1,
                    age("PASS_MIN_DAYS", p.min_age),
                    "the spec's `min-age=0` lets a password change back at once".into(),
                ),
            );
            c.add(
                &l.warn,
                "PASS_WARN_AGE".into(),
                bound(
                    p.warn >= 7,
                    age("PASS_WARN_AGE", p.warn),
                    format!("the spec's `warn={}` is under 7 days", p.warn),
                ),
            );
            c.add(&l.hash, "ENCRYPT_METHOD".into(), Ok("host/login.defs: ENCRYPT_METHOD YESCRYPT".into()));
            c.add(
                &l.inactive,
                "INACTIVE".into(),
                Ok("/etc/default/useradd: INACTIVE=45 (accounts made from now on)".into()),
            );
            c.add(&l.umask, "UMASK".into(), Ok("host/login.defs: UMASK 027".into()));
            c.add(
                &l.pwquality,
                "pwquality".into(),
                Ok("host/pwquality.conf: four classes, no repeats or sequences over 3, dictionary, enforced for root"
                    .into()),
            );
            c.add(
                &l.min_length,
                "minlen".into(),
                bound(
                    p.min_length >= 14,
                    format!("host/pwquality.conf: minlen = {}", p.min_length),
                    format!("the spec's `min-length={}` is under 14", p.min_length),
                ),
            );
        }
        None => no_passwords(c, l),
    }
    let sudo = match host.and_then(|h| h.sudo.as_ref()) {
        Some(s) => Ok(format!("host/sudoers: use_pty, a log file, timestamp_timeout={}", s.timeout)),
        None => Err("the spec has no `sudo` node".to_string()),
    };
    c.add(&l.sudo, "sudo".into(), sudo);
    let shell = match host.and_then(|h| h.shell.as_ref()) {
        Some(s) => Ok(format!(
            "host/profile.sh: umask 027, TMOUT={} read-only; the host play keeps nologin out of /etc/shells",
            s.timeout * 60
        )),
        None => Err("the spec has no `shell` node".to_string()),
    };
    c.add(&l.shell, "shell".into(), shell);
}

/// Without `passwords`: each of its items not met, saying so.
fn no_passwords(c: &mut Claims, l: &stdlib::LoginClaims) {
    for (items, what) in [
        (&l.max_age, "PASS_MAX_DAYS"),
        (&l.min_age, "PASS_MIN_DAYS"),
        (&l.warn, "PASS_WARN_AGE"),
        (&l.hash, "ENCRYPT_METHOD"),
        (&l.inactive, "INACTIVE"),
        (&l.umask, "UMASK"),
        (&l.pwquality, "pwquality"),
        (&l.min_length, "minlen"),
    ] {
        c.add(items, what.into(), Err("the spec has no `passwords` node".to_string()));
    }
}

/// With `passwords`, the PAM profile: lockout, password history, pam_unix as CIS asks.
fn pam(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let l = stdlib::pam_claims();
    let groups = [
        (&l.faillock, "pam_faillock"),
        (&l.lockout, "deny"),
        (&l.pwhistory, "pam_pwhistory"),
        (&l.history, "remember"),
        (&l.unix, "pam_unix"),
    ];
    let Some(p) = host.and_then(|h| h.passwords.as_ref()) else {
        for (items, what) in groups {
            c.add(items, what.into(), Err("the spec has no `passwords` node".to_string()));
        }
        return;
    };
    let bound = |ok: bool, met: String, why: String| if ok { Ok(met) } else { Err(why) };
    c.add(
        &l.faillock,
        "pam_faillock".into(),
        Ok(format!("host/pam-profile: pam_faillock around pam_unix; host/faillock.conf: unlock_time = {}", p.unlock)),
    );
    c.add(
        &l.lockout,
        "deny".into(),
        bound(
            p.lockout <= 5,
            format!("host/faillock.conf: deny = {}", p.lockout),
            format!("the spec's `lockout={}` allows more than 5 failures", p.lockout),
        ),
    );
    c.add(
        &l.pwhistory,
        "pam_pwhistory".into(),
        Ok("host/pam-profile: pam_pwhistory enforce_for_root use_authtok before pam_unix".into()),
    );
    c.add(
        &l.history,
        "remember".into(),
        bound(
            p.history >= 24,
            format!("host/pam-profile: pam_pwhistory remember={}", p.history),
            format!("the spec's `history={}` remembers fewer than 24 passwords", p.history),
        ),
    );
    c.add(
        &l.unix,
        "pam_unix".into(),
        Ok("host/pam-profile: pam_unix without nullok decides a password login; yescrypt, use_authtok".into()),
    );
}

/// `banner`: the three files of the legal notice.
fn banner(c: &mut Claims, host: Option<&crate::ir::Host>) {
    let b = stdlib::banner();
    for (items, file) in [(&b.issue, "issue"), (&b.issue_net, "issue.net"), (&b.motd, "motd")] {
        let outcome = match host.and_then(|h| h.banner.as_ref()) {
            Some(_) => Ok(format!("host/{file}: the legal notice, no system name or escape, root:root 0644")),
            None => Err("the spec has no `banner` node: Debian's text names the system".to_string()),
        };
        c.add(items, format!("/etc/{file}"), outcome);
    }
}
