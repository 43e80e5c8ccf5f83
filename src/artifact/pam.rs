//! `host/faillock.conf` and `host/pam-profile`: with `host { passwords }`, failed password
//! logins lock an account (pam_faillock), a new password may not repeat the last ones, root's
//! too (pam_pwhistory), and no empty password logs in. The profile is Debian's way into PAM's
//! common stacks (pam-auth-update, `/usr/share/pam-configs/pynoc`): it sits above Debian's
//! `unix` profile, which stays enabled, so removing pynoc's profile leaves Debian's stacks, never
//! an empty one. Its back half, as the registry's [`super::Behaviour`] names it: the emitters,
//! the consumer's check (pam-auth-update and libpam themselves, in a sandbox), the line rules
//! and the host play's steps.

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Module, Registered, Step, words};
use crate::emit::deploy::{Steps, copy, guarded};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::sandbox::{self, quote};
use crate::verify::{Status, brief, need, need_root};

/// The profile's name in `/usr/share/pam-configs/`, as pam-auth-update calls it.
const PROFILE: &str = "pynoc";

pub(super) fn emit(env: &Environment, cx: &Context, kind: Kind) -> Result<Option<Artifact>, Error> {
    let Some(p) = cx.spec.host.as_ref().and_then(|h| h.passwords.as_ref()) else { return Ok(None) };
    let apply = match kind {
        Kind::PamProfile => format!("pam-auth-update --package --enable {PROFILE}"),
        // Read by pam_faillock at every login.
        _ => "faillock --user root >/dev/null".into(),
    };
    Ok(Some(Artifact {
        kind,
        instance: None,
        install: kind.install(cx.spec),
        apply,
        env: vec![],
        content: render(env, cx, kind, "passwords", p, &[])?,
    }))
}

/// Both files together, as PAM reads them: pam-auth-update merges the profile into a copy of
/// this host's common stacks (Debian's `unix` profile still enabled) in a sandbox, then libpam
/// (pamtester, on a service that includes them) lets the right password in, refuses an
/// account's empty password, locks the account after `deny` wrong ones (the right one is then
/// refused too), and the password stack has pam_pwhistory before pam_unix.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need_root().and_then(|()| need(&["pam-auth-update", "pamtester", "faillock", "openssl"])) {
        return s;
    }
    let dir = file.parent().unwrap_or(Utf8Path::new("."));
    let (profile, faillock) = (dir.join("pam-profile"), dir.join("faillock.conf"));
    let Ok(conf) = std::fs::read_to_string(&faillock) else {
        return Status::Fail(format!("no {faillock} beside the profile"));
    };
    let Some(deny) = conf.lines().find_map(|l| l.strip_prefix("deny = ")).and_then(|v| v.parse::<u32>().ok()) else {
        return Status::Fail("faillock.conf has no `deny = N` line".into());
    };
    let script = format!(
        "mount -t tmpfs tmpfs /run && mkdir -p /run/faillock || exit 3\n\
         cp {profile} /usr/share/pam-configs/{PROFILE} && cp {faillock} /etc/security/faillock.conf || exit 3\n\
         DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable {PROFILE} || {{ echo 'pam-auth-update failed'; exit 0; }}\n\
         for s in auth account password; do sed \"s/^/$s: /\" /etc/pam.d/common-$s; done\n\
         printf 'auth include common-auth\\naccount include common-account\\npassword include common-password\\n' >/etc/pam.d/pynoc-check\n\
         h=$(openssl passwd -6 'Right-Horse-9-battery')\n\
         echo 'pynoccheck:x:4242:4242::/nonexistent:/bin/sh' >>/etc/passwd\n\
         echo \"pynoccheck:$h:19000:0:99999:7:::\" >>/etc/shadow\n\
         echo 'pynocempty:x:4243:4242::/nonexistent:/bin/sh' >>/etc/passwd\n\
         echo 'pynocempty::19000:0:99999:7:::' >>/etc/shadow\n\
         echo Right-Horse-9-battery | pamtester pynoc-check pynoccheck authenticate acct_mgmt >/dev/null 2>&1 && echo 'right: in'\n\
         echo | pamtester pynoc-check pynocempty authenticate >/dev/null 2>&1 && echo 'empty: in'\n\
         for i in $(seq {deny}); do (echo wrong | pamtester pynoc-check pynoccheck authenticate >/dev/null 2>&1 && echo 'wrong: in') & done; wait\n\
         echo Right-Horse-9-battery | pamtester pynoc-check pynoccheck authenticate >/dev/null 2>&1 && echo 'locked: in'\n\
         echo \"failures: $(faillock --user pynoccheck | grep -c ' V$')\"\n",
        profile = quote(profile.as_str()),
        faillock = quote(faillock.as_str()),
    );
    // debconf's database too: pam-auth-update locks and writes it, and two checks at once (or
    // apt beside one) would otherwise meet on the host's lock.
    match sandbox::run_scratch(&script, &["/etc", "/usr/share/pam-configs", "/var/lib/pam", "/var/cache/debconf"]) {
        Ok(o) => judge(&sandbox::text(&o), deny),
        Err(e) => Status::Fail(e),
    }
}

/// What PAM did in the sandbox against what the files mean.
fn judge(log: &str, deny: u32) -> Status {
    let has = |l: &str| log.lines().any(|x| x == l);
    let stack = |s: &str, m: &str| log.lines().position(|l| l.starts_with(&format!("{s}: {s}\t")) && l.contains(m));
    if has("pam-auth-update failed") {
        return Status::Fail(format!("pam-auth-update refused the profile: {}", brief(log)));
    }
    let order = [
        ("auth", "pam_faillock.so preauth"),
        ("auth", "pam_unix.so"),
        ("auth", "pam_faillock.so authfail"),
        ("account", "pam_faillock.so"),
        ("password", "pam_pwhistory.so"),
        ("password", "pam_unix.so"),
    ];
    let Some(at) = order.iter().map(|(s, m)| stack(s, m)).collect::<Option<Vec<usize>>>() else {
        return Status::Fail(format!("the merged stacks lack a module of the profile: {}", brief(log)));
    };
    if !(at[0] < at[1] && at[1] < at[2] && at[4] < at[5]) {
        return Status::Fail("the merged stacks have the profile's modules out of order".into());
    }
    // The pam_unix lines that decide: the auth stack's first, the password stack's.
    let (auth, password) = (&log.lines().nth(at[1]).unwrap_or(""), &log.lines().nth(at[5]).unwrap_or(""));
    if auth.split_whitespace().any(|w| w == "nullok") {
        return Status::Fail(format!("the auth stack's first pam_unix takes an empty password: {auth}"));
    }
    let words: Vec<&str> = password.split_whitespace().collect();
    if !words.contains(&"use_authtok")
        || !words.iter().any(|w| ["yescrypt", "sha512"].contains(w))
        || words.iter().any(|w| w.starts_with("remember="))
    {
        return Status::Fail(format!(
            "the password stack's pam_unix is not yescrypt/sha512 with use_authtok: {password}"
        ));
    }
    if !has("right: in") {
        return Status::Fail("the right password does not log in".into());
    }
    if has("empty: in") {
        return Status::Fail("an account with an empty password logs in".into());
    }
    if has("wrong: in") {
        return Status::Fail("a wrong password logs in".into());
    }
    if has("locked: in") {
        return Status::Fail(format!("the right password still logs in after {deny} wrong ones: no lockout"));
    }
    match log.lines().find_map(|l| l.strip_prefix("failures: ")) {
        Some(n) if n == deny.to_string() => Status::Pass,
        other => Status::Fail(format!("faillock recorded {other:?} failures, not {deny}")),
    }
}

/// `deny`, `fail_interval` or `unlock_time` with a number.
pub(super) fn faillock_line(l: &str) -> bool {
    l.split_once(" = ").is_some_and(|(k, v)| {
        ["deny", "fail_interval", "unlock_time"].contains(&k)
            && (1..=6).contains(&v.len())
            && v.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The profile is its template, line for line, with a number of passwords for `remember=`:
/// pam-auth-update copies its module lines into PAM's stacks as they are.
pub(super) fn profile_lines(problems: &mut Vec<String>, text: &str, _comment: &str) {
    let Some((_, template)) = crate::stdlib::TEMPLATES.iter().find(|(f, _)| *f == "pam/pynoc.j2") else {
        problems.push("pam/pynoc.j2 is not among the templates".into());
        return;
    };
    let want: Vec<&str> = template.lines().collect();
    let got: Vec<String> = text
        .lines()
        .map(|l| match l.split_once("remember=") {
            Some((a, b)) => {
                let n = b.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 || n > 3 {
                    return l.to_string();
                }
                format!("{a}remember={{{{ passwords.history }}}}{}", &b[n..])
            }
            None => l.to_string(),
        })
        .collect();
    if got.len() != want.len() {
        problems.push(format!("{} lines, the profile has {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if g != w {
            problems.push(format!(
                "line {}: {:?} is not the profile's {w:?}",
                i + 1,
                text.lines().nth(i).unwrap_or("")
            ));
        }
    }
}

/// faillock.conf, then the profile, merged into PAM's stacks by pam-auth-update once it is in
/// place; the merged auth stack must have pam_faillock, or the previous profile comes back.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    match a.kind {
        Kind::PamProfile => {
            let check = words(&[
                "sh",
                "-c",
                &format!(
                    "DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable {PROFILE} && \
                     grep -q 'pam_faillock.so preauth' /etc/pam.d/common-auth && \
                     grep -q pam_pwhistory.so /etc/pam.d/common-password"
                ),
            ]);
            let undo = words(&["sh", "-c", "DEBIAN_FRONTEND=noninteractive pam-auth-update --package"]);
            p.tasks.push(guarded("PAM profile (lockout, password history)", a, Registered::Pam, check, undo));
        }
        _ => p.tasks.push(Step::new("pam_faillock's lockout", Module::Copy(copy(a, None))).task()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, judge};
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    const MERGED: &str = "auth: auth\trequisite\tpam_faillock.so preauth\n\
        auth: auth\t[success=3 default=ignore]\tpam_unix.so try_first_pass\n\
        auth: auth\t[default=die]\tpam_faillock.so authfail\n\
        auth: auth\t[success=1 default=ignore]\tpam_unix.so nullok try_first_pass\n\
        account: account\trequired\tpam_faillock.so\n\
        password: password\trequisite\tpam_pwhistory.so remember=24 enforce_for_root try_first_pass use_authtok\n\
        password: password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n";

    #[test]
    fn what_pam_did_decides() {
        let ok = format!("{MERGED}right: in\nfailures: 5\n");
        assert!(matches!(judge(&ok, 5), Status::Pass), "{:?}", judge(&ok, 5));
        for (bad, why) in [
            (format!("{MERGED}failures: 5\n"), "the right password refused"),
            (format!("{MERGED}right: in\nempty: in\nfailures: 5\n"), "an empty password"),
            (format!("{MERGED}right: in\nlocked: in\nfailures: 5\n"), "no lockout"),
            (format!("{MERGED}right: in\nfailures: 4\n"), "a failure not recorded"),
            (
                format!("{}right: in\nfailures: 5\n", MERGED.replace("try_first_pass\n", "nullok try_first_pass\n")),
                "nullok",
            ),
            (format!("{}right: in\nfailures: 5\n", MERGED.replace(" yescrypt", " md5")), "md5"),
            (format!("{}right: in\nfailures: 5\n", MERGED.replace("preauth", "x")), "no preauth"),
            ("pam-auth-update failed\n".to_string(), "refused"),
        ] {
            assert!(matches!(judge(&bad, 5), Status::Fail(_)), "{why}");
        }
    }

    #[test]
    fn the_profile_is_its_template_with_a_number() {
        let text = crate::stdlib::TEMPLATES.iter().find(|(f, _)| *f == "pam/pynoc.j2").unwrap().1;
        let ok = text.replace("{{ passwords.history }}", "24");
        assert!(check_one(Kind::PamProfile, &ok).is_empty(), "{:?}", check_one(Kind::PamProfile, &ok));
        for bad in [
            ok.replace("remember=24", "remember=24 debug"),
            ok.replace("remember=24", "remember=x"),
            ok.replace("pam_unix.so try_first_pass", "pam_unix.so nullok try_first_pass"),
            ok.replace("\trequired\tpam_faillock.so\n", "\tsufficient\tpam_permit.so\n"),
            format!("{ok}\t[success=end]\tpam_permit.so\n"),
            ok.replace("Default: yes\n", ""),
        ] {
            assert!(!check_one(Kind::PamProfile, &bad).is_empty(), "{bad}");
        }
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        assert!(check_one(Kind::Faillock, &format!("{h}deny = 5\nunlock_time = 900\n")).is_empty());
        for bad in ["deny = 5 # x", "even_deny_root", "dir = /tmp", "deny = -1"] {
            assert!(!check_one(Kind::Faillock, &format!("{h}{bad}\n")).is_empty(), "{bad}");
        }
    }
}
