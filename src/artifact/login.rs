//! The login policy's four files, from `stdlib/login/`: `host/login.defs` (the keys pynoc
//! sets in /etc/login.defs), `host/pwquality.conf` (PAM's password strength),
//! `host/sudoers` (sudo's defaults) and `host/profile.sh` (login shells' umask and idle
//! timeout). Their back half, as the registry's [`super::Behaviour`] names it: the emitters,
//! each consumer's own check (shadow's useradd making an account under the keys,
//! libpwquality's parser judging passwords, visudo, dash and bash reading the profile), the
//! line rules and the host play's steps.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Changed, Command as Cmd, LineInFile, Module, Registered, Step, Word, plain, words};
use crate::emit::deploy::{Steps, copy, root_dir, unsafe_str};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::{Status, brief, need};

/// The keys of /etc/login.defs pynoc sets, each with the pattern of Debian's line it
/// replaces: the key's own line, or its default commented out (`#HOME_MODE`), never a line
/// of the file's documentation (`#\tUMASK\t\tDefault "umask" value.`).
const KEYS: &[(&str, &str)] = &[
    ("PASS_MAX_DAYS", r"^#?PASS_MAX_DAYS\s"),
    ("PASS_MIN_DAYS", r"^#?PASS_MIN_DAYS\s"),
    ("PASS_WARN_AGE", r"^#?PASS_WARN_AGE\s"),
    ("ENCRYPT_METHOD", r"^#?ENCRYPT_METHOD\s"),
    ("SHA_CRYPT_MIN_ROUNDS", r"^#?SHA_CRYPT_MIN_ROUNDS\s"),
    ("SHA_CRYPT_MAX_ROUNDS", r"^#?SHA_CRYPT_MAX_ROUNDS\s"),
    ("UMASK", r"^#?UMASK\s"),
    ("HOME_MODE", r"^#?HOME_MODE\s"),
];

const KEY_ONLY: &str = include_str!("../../stdlib/deploy/key-only-ageing.sh");

/// pwquality's settings pynoc writes (`enforce_for_root` stands alone).
const PWQUALITY: &[&str] =
    &["minlen", "minclass", "difok", "maxrepeat", "maxsequence", "dictcheck", "usercheck", "enforcing"];

/// sudo's defaults pynoc writes.
const SUDO: &[&str] = &["use_pty", "logfile=\"/var/log/sudo.log\""];

pub(super) fn emit_login_defs(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(p) = cx.spec.host.as_ref().and_then(|h| h.passwords.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::LoginDefs,
        instance: None,
        install: Kind::LoginDefs.install(cx.spec),
        // Each key replaces Debian's line in place (the playbook's lineinfile tasks).
        apply: "useradd -D >/dev/null".into(),
        env: vec![],
        content: render(env, cx, Kind::LoginDefs, "passwords", p, &[])?,
    }))
}

pub(super) fn emit_pwquality(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(p) = cx.spec.host.as_ref().and_then(|h| h.passwords.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Pwquality,
        instance: None,
        install: Kind::Pwquality.install(cx.spec),
        // Read by pam_pwquality at every password change: PAM's password stack has it.
        apply: "grep -q pam_pwquality /etc/pam.d/common-password".into(),
        env: vec![],
        content: render(env, cx, Kind::Pwquality, "passwords", p, &[])?,
    }))
}

pub(super) fn emit_sudoers(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(s) = cx.spec.host.as_ref().and_then(|h| h.sudo.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Sudoers,
        instance: None,
        install: Kind::Sudoers.install(cx.spec),
        apply: "visudo -c -q".into(),
        env: vec![],
        content: render(env, cx, Kind::Sudoers, "sudo", s, &[])?,
    }))
}

pub(super) fn emit_profile(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(s) = cx.spec.host.as_ref().and_then(|h| h.shell.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Profile,
        instance: None,
        install: Kind::Profile.install(cx.spec),
        // Read by every login shell from the next login on.
        apply: "sh -n /etc/profile.d/pynoc.sh".into(),
        env: vec![],
        content: render(env, cx, Kind::Profile, "shell", s, &[])?,
    }))
}

/// The file's `KEY VALUE` lines.
fn settings(text: &str) -> Vec<(&str, &str)> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).filter_map(|l| l.split_once(' ')).collect()
}

/// shadow's own reading: `useradd --prefix` makes an account in a scratch root whose
/// login.defs is the file, without a complaint about any key, and the account's ageing in
/// its shadow file is the file's.
pub(super) fn check_login_defs(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["useradd"]) {
        return s;
    }
    if let Err(s) = crate::verify::need_root() {
        return s;
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let Ok(root) = tempfile::tempdir() else { return Status::Fail("cannot make a scratch root".into()) };
    let etc = root.path().join("etc");
    let seed = [
        ("login.defs", text.as_str()),
        ("passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("group", "root:x:0:\n"),
        ("shadow", "root:*:19000:0:99999:7:::\n"),
        ("gshadow", "root:*::\n"),
    ];
    let made = std::fs::create_dir_all(etc.join("default"))
        .and_then(|()| seed.iter().try_for_each(|(f, t)| std::fs::write(etc.join(f), t)));
    if let Err(e) = made {
        return Status::Fail(format!("cannot seed the scratch root: {e}"));
    }
    let out = match Command::new("useradd").arg("--prefix").arg(root.path()).args(["-M", "pynoc-probe"]).output() {
        Ok(o) => o,
        Err(e) => return Status::Fail(format!("cannot run useradd: {e}")),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.trim().is_empty() {
        return Status::Fail(format!("useradd: {}", brief(&stderr)));
    }
    let shadow = std::fs::read_to_string(etc.join("shadow")).unwrap_or_default();
    let Some(entry) = shadow.lines().find(|l| l.starts_with("pynoc-probe:")) else {
        return Status::Fail("useradd made no account".into());
    };
    // name:password:changed:min:max:warn:…
    let fields: Vec<&str> = entry.split(':').collect();
    let want = settings(&text);
    let value = |k: &str| want.iter().find(|(key, _)| *key == k).map(|(_, v)| v.trim());
    let mut bad = Vec::new();
    for (key, i) in [("PASS_MIN_DAYS", 3), ("PASS_MAX_DAYS", 4), ("PASS_WARN_AGE", 5)] {
        if value(key) != fields.get(i).copied() {
            bad.push(format!("{key} {:?}, the account has {:?}", value(key), fields.get(i)));
        }
    }
    if bad.is_empty() { Status::Pass } else { Status::Fail(bad.join(" | ")) }
}

/// `KEY VALUE` of a key pynoc sets, the value a number or a hash's name.
pub(super) fn login_defs_line(l: &str) -> bool {
    match l.split_once(' ') {
        Some((k, v)) => {
            KEYS.iter().any(|(key, _)| *key == k) && !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// libpwquality's own parser reads the file (an unknown or malformed setting is an error),
/// and under it a short, a one-class and a dictionary password are refused, a long random
/// one of four classes accepted.
pub(super) fn check_pwquality(file: &Utf8Path) -> Status {
    let python = "/usr/bin/python3";
    if let Err(s) = need(&[python]) {
        return s;
    }
    let script = r#"
import sys
try:
    import pwquality
except ImportError:
    print("SKIP"); sys.exit(0)
s = pwquality.PWQSettings()
try:
    s.read_config(sys.argv[1])
except pwquality.PWQError as e:
    print("FAIL", e.args[1]); sys.exit(0)
def score(p):
    try:
        return s.check(p, None, "pynoc-probe")
    except pwquality.PWQError as e:
        return None
for weak in ["Sh0rt!", "alllowercaseletterslong", "Password1234!", "pynoc-probe-Pynoc-probe-1"]:
    if score(weak) is not None:
        print("FAIL accepts", repr(weak)); sys.exit(0)
try:
    s.check("kV7#qz9!Lw2$Tn4@xR", None, "pynoc-probe")
except pwquality.PWQError as e:
    if "dictionary" in e.args[1] and "load" in e.args[1]:
        print("NODICT"); sys.exit(0)
    print("FAIL refuses a long random password of four classes:", e.args[1]); sys.exit(0)
print("PASS")
"#;
    match Command::new(python).args(["-c", script, file.as_str()]).output() {
        Ok(o) => {
            let out = String::from_utf8_lossy(&o.stdout);
            match out.trim() {
                "PASS" => Status::Pass,
                "SKIP" => Status::Skip("python3-pwquality (libpwquality's binding) is not installed".into()),
                "NODICT" => {
                    Status::Skip("cracklib-runtime (the dictionary pwquality checks against) is not installed".into())
                }
                other => Status::Fail(format!(
                    "libpwquality: {}",
                    brief(&format!("{other}\n{}", String::from_utf8_lossy(&o.stderr)))
                )),
            }
        }
        Err(e) => Status::Fail(format!("cannot run python3: {e}")),
    }
}

/// `name = number` of a setting pynoc writes, or `enforce_for_root`.
pub(super) fn pwquality_line(l: &str) -> bool {
    if l == "enforce_for_root" {
        return true;
    }
    match l.split_once(" = ") {
        Some((k, v)) => PWQUALITY.contains(&k) && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// visudo's own parser accepts the file (`visudo -c -f`), and it is 0440 as sudo requires.
pub(super) fn check_sudoers(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["visudo"]) {
        return s;
    }
    // visudo checks the mode and owner of a file it is asked about: check a copy as sudo
    // will find it.
    let Ok(dir) = tempfile::tempdir() else { return Status::Fail("cannot make a scratch directory".into()) };
    let copy = dir.path().join("pynoc");
    if let Err(e) = std::fs::copy(file, &copy) {
        return Status::Fail(format!("cannot copy the file: {e}"));
    }
    match Command::new("visudo").args(["-c", "-f"]).arg(&copy).output() {
        Ok(o) if o.status.success() => Status::Pass,
        Ok(o) => Status::Fail(format!(
            "visudo: {}",
            brief(&format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
        )),
        Err(e) => Status::Fail(format!("cannot run visudo: {e}")),
    }
}

/// Comments are `# ` lines (sudo reads `#include`, `#includedir` and `#1000` as more than a
/// comment); every other line a default pynoc writes.
pub(super) fn sudoers_lines(p: &mut Vec<String>, text: &str, _comment: &str) {
    for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let ok = if l.starts_with('#') { l == "#" || l.starts_with("# ") } else { sudoers_line(l) };
        if !ok {
            p.push(format!("not a sudo default pynoc writes: {l:?}"));
        }
    }
}

/// `Defaults SETTING` of a default pynoc writes; `timestamp_timeout=N` with N a number.
/// Nothing else: no user or command rule.
fn sudoers_line(l: &str) -> bool {
    let Some(setting) = l.strip_prefix("Defaults ") else { return false };
    SUDO.contains(&setting)
        || setting
            .strip_prefix("timestamp_timeout=")
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The shells that read /etc/profile.d on Debian, dash (/bin/sh) and bash, each read the file
/// twice (as a profile that sources /etc/profile again would) and then have umask 027, a core
/// limit of 0 and a read-only, exported `TMOUT` of the file's value; shellcheck finds nothing
/// in it.
pub(super) fn check_profile(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["dash", "bash", "shellcheck"]) {
        return s;
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let Some(want) = text.lines().find_map(|l| l.trim().strip_prefix("TMOUT=")) else {
        return Status::Fail("no `TMOUT=` line".into());
    };
    // A child shell sees TMOUT exported; assigning it fails (read-only) in a subshell.
    let probe = r#". "$1"; . "$1"; printf '%s %s %s ' "$(umask)" "$(ulimit -c)" "$(sh -c 'printf %s "$TMOUT"')"; (TMOUT=1) 2>/dev/null && printf writable || printf read-only"#;
    for shell in ["dash", "bash"] {
        match Command::new(shell).args(["-c", probe, "pynoc-probe"]).arg(file.as_str()).env_remove("TMOUT").output() {
            Ok(o) => {
                let out = String::from_utf8_lossy(&o.stdout);
                let expect = format!("0027 0 {want} read-only");
                if !o.status.success() || out != expect {
                    return Status::Fail(format!(
                        "{shell}: {} (expected {expect:?})",
                        brief(&format!("{out}\n{}", String::from_utf8_lossy(&o.stderr)))
                    ));
                }
            }
            Err(e) => return Status::Fail(format!("cannot run {shell}: {e}")),
        }
    }
    // As each of its readers: dash (/bin/sh, whose `ulimit -c` POSIX sh lacks) and bash.
    for shell in ["dash", "bash"] {
        match Command::new("shellcheck").args(["-s", shell, "-f", "gcc"]).arg(file.as_str()).output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => return Status::Fail(format!("shellcheck: {}", brief(&String::from_utf8_lossy(&o.stdout)))),
            Err(e) => return Status::Fail(format!("cannot run shellcheck: {e}")),
        }
    }
    Status::Pass
}

/// A line of the profile pynoc writes: the umask, and the read-only TMOUT of a number of
/// seconds. Nothing that runs a command.
pub(super) fn profile_line(l: &str) -> bool {
    let number = |n: &str| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit());
    matches!(l, "umask 027" | "ulimit -c 0" | "readonly TMOUT" | "export TMOUT" | "fi")
        || l.strip_prefix("TMOUT=").is_some_and(number)
        || l.strip_prefix("if [ \"${TMOUT-}\" != \"").and_then(|r| r.strip_suffix("\" ]; then")).is_some_and(number)
}

/// The profile, read by login shells from the next login on.
pub(super) fn profile_steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(Step::new("login shells' umask and idle timeout", Module::Copy(copy(a, None))).task());
    // CIS 5.4.3.1: nologin is no login shell; a program that takes /etc/shells as the list of
    // real shells (an FTP daemon, `chsh`) would treat an account that has it as one that logs in.
    let mut step =
        Step::new("/etc/shells lists no nologin", Cmd::argv(vec![plain("sh"), plain("-c"), unsafe_str(SHELLS)]))
            .register(Registered::Shells);
    step.changed_when = Some(Changed::When(Registered::Shells.cond("{var}.stdout == 'changed'")));
    p.tasks.push(step.task());
}

/// Removes every nologin line of /etc/shells; prints `changed` or `unchanged`.
const SHELLS: &str = "grep -q '/nologin$' /etc/shells || { echo unchanged; exit 0; }; \
                      sed -i '\\#/nologin$#d' /etc/shells && echo changed";

/// Each key in place of Debian's line of /etc/login.defs; then the spec's accounts that log
/// in by key alone lose the ageing useradd gave them (stdlib/deploy/key-only-ageing.sh).
pub(super) fn login_defs_steps(p: &mut Steps, a: &Artifact, host: &Host) {
    for (key, value) in settings(&a.content) {
        let Some((_, regexp)) = KEYS.iter().find(|(k, _)| *k == key) else { continue };
        p.tasks.push(
            Step::new(
                &format!("login.defs: {key} {value}"),
                Module::LineInFile(LineInFile {
                    path: "/etc/login.defs",
                    regexp,
                    line: plain(&format!("{key} {value}")),
                    validate: None,
                }),
            )
            .task(),
        );
    }
    // CIS 5.4.1.5: an account made from now on is locked 45 days after its password expired
    // (useradd's default; an account without password ageing never expires, so never locks).
    p.tasks.push(
        Step::new(
            "useradd: accounts locked 45 days after their password expired",
            Module::LineInFile(LineInFile {
                path: "/etc/default/useradd",
                regexp: r"^#?\s*INACTIVE=",
                line: plain("INACTIVE=45"),
                validate: None,
            }),
        )
        .task(),
    );
    if host.accounts.is_empty() {
        return;
    }
    let mut argv = vec![plain("sh"), plain("-c"), unsafe_str(KEY_ONLY), plain("pynoc-key-only-ageing")];
    argv.extend(host.accounts.iter().map(|u| Word::Unsafe(u.name.clone())));
    let mut step =
        Step::new("accounts without a password (key logins) never expire by password ageing", Cmd::argv(argv))
            .register(Registered::KeyOnly);
    step.changed_when = Some(Changed::When(Registered::KeyOnly.cond("{var}.stdout == 'changed'")));
    p.tasks.push(step.task());
}

/// The drop-in pam_pwquality reads (its package is the play's: it enables the module), in
/// the directory libpwquality reads after pwquality.conf (Debian's package makes none).
pub(super) fn pwquality_steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(root_dir("pwquality's drop-in directory", a.install.rsplit_once('/').map_or("/", |(d, _)| d)));
    p.tasks.push(Step::new("the strength of new passwords (pwquality)", Module::Copy(copy(a, None))).task());
}

/// The defaults installed once visudo accepts them (a broken file would lock sudo out).
pub(super) fn sudoers_steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(Step::new("sudo's defaults", Module::Copy(copy(a, Some("visudo -c -f %s".into())))).task());
    // CIS 5.2.7: su only for the members of an empty group (root's own su passes pam_rootok
    // first): sudo's rules, logged, are the way to another account. Debian's /etc/pam.d/su
    // has the line commented out, after pam_rootok; it is put in its place.
    let group = "getent group sugroup >/dev/null && exit 0; groupadd --system sugroup && echo changed";
    let mut step = Step::new("su's group, empty: su for no one but root", Cmd::argv(words(&["sh", "-c", group])))
        .register(Registered::Sugroup);
    step.changed_when = Some(Changed::When(Registered::Sugroup.cond("{var}.stdout == 'changed'")));
    p.tasks.push(step.task());
    p.tasks.push(
        Step::new(
            "su restricted to the members of sugroup (pam_wheel)",
            Module::LineInFile(LineInFile {
                path: "/etc/pam.d/su",
                regexp: r"^#?\s*auth\s+required\s+pam_wheel\.so(\s+use_uid\s+group=sugroup)?\s*$",
                line: plain("auth       required   pam_wheel.so use_uid group=sugroup"),
                validate: None,
            }),
        )
        .task(),
    );
    // CIS 5.2.5: no sudoers line turns authentication off (`!authenticate`); the play stops
    // naming it. A rule's `NOPASSWD` is the operator's (CIS 5.2.4, Level 2).
    p.tasks.push(
        Step::new(
            "sudo re-authenticates: no `!authenticate` in /etc/sudoers or /etc/sudoers.d",
            Cmd::argv(words(&["sh", "-c", "! grep -rqsE '^[^#]*!authenticate' /etc/sudoers /etc/sudoers.d/"])),
        )
        .read_only()
        .task(),
    );
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    /// A kind, its check, a line of its file, what replaces it, what the failure says.
    type Case = (Kind, fn(&camino::Utf8Path) -> Status, &'static str, &'static str, &'static str);

    /// Each consumer's check passes the reference's file and fails a changed one.
    #[test]
    fn each_consumer_refuses_what_it_would_misread() {
        let c = crate::compile(include_str!("../../examples/pynomaly/spec.kdl"), "spec.kdl").expect("it compiles");
        let dir = tempfile::tempdir().unwrap();
        let cases: [Case; 8] = [
            (
                Kind::LoginDefs,
                super::check_login_defs,
                "PASS_MAX_DAYS 365",
                "PASS_MAX_DAYS 365\nPASS_MAX_DAYZ 1",
                "unknown item",
            ),
            (
                Kind::LoginDefs,
                super::check_login_defs,
                "PASS_MAX_DAYS 365",
                "PASS_MAX_DAYS 365\nPASS_MAX_DAYS 99999",
                "PASS_MAX_DAYS",
            ),
            (Kind::Pwquality, super::check_pwquality, "minlen = 14", "minlen = 6", "accepts"),
            (
                Kind::Pwquality,
                super::check_pwquality,
                "minclass = 4",
                "minclass = 4\nminclasses = 4",
                "Unknown setting",
            ),
            (Kind::Sudoers, super::check_sudoers, "Defaults use_pty", "Defaults use_pty\nDefaults use_pyt", "visudo"),
            (Kind::Profile, super::check_profile, "umask 027", "umask 022", "dash"),
            (Kind::Profile, super::check_profile, "readonly TMOUT", "true", "writable"),
            (Kind::Profile, super::check_profile, "export TMOUT", "TMOUT=$TMOUT", "dash"),
        ];
        for (kind, check, from, to, says) in cases {
            let a = c.artifacts.iter().find(|a| a.kind == kind).expect("the reference writes it");
            let file = camino::Utf8PathBuf::from_path_buf(dir.path().join(kind.name())).unwrap();
            std::fs::write(&file, &a.content).unwrap();
            match check(&file) {
                Status::Skip(why) => {
                    assert!(std::env::var("CI").is_err(), "SKIP in CI: {why}");
                    eprintln!("SKIP {kind}: {why}");
                    continue;
                }
                s => assert!(matches!(s, Status::Pass), "{kind}: {s:?}"),
            }
            assert!(a.content.contains(from), "{kind}: {from}");
            std::fs::write(&file, a.content.replace(from, to)).unwrap();
            let bad = check(&file);
            assert!(matches!(&bad, Status::Fail(w) if w.contains(says)), "{kind} with {to:?}: {bad:?}");
        }
    }

    const H: &str = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";

    #[test]
    fn login_defs_holds_only_its_keys_with_plain_values() {
        let conf = |body: &str| check_one(Kind::LoginDefs, &format!("{H}{body}\n"));
        assert!(conf("PASS_MAX_DAYS 365\nENCRYPT_METHOD YESCRYPT\nUMASK 027").is_empty());
        for bad in ["MAIL_DIR /tmp", "PASS_MAX_DAYS 365 1", "UMASK 027;id", "ENV_PATH PATH=/tmp", "PASS_MAX_DAYS"] {
            assert!(!conf(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn pwquality_holds_only_numbers_of_known_settings() {
        let conf = |body: &str| check_one(Kind::Pwquality, &format!("{H}{body}\n"));
        assert!(conf("minlen = 14\nenforce_for_root").is_empty());
        for bad in ["minlen = 14x", "dictpath = /tmp/words", "minlen=14", "badwords = a"] {
            assert!(!conf(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn profile_holds_only_its_umask_and_timeout() {
        let conf = |body: &str| check_one(Kind::Profile, &format!("{H}{body}\n"));
        assert!(conf("umask 027\nif [ \"${TMOUT-}\" != \"900\" ]; then\n    TMOUT=900\n    readonly TMOUT\n    export TMOUT\nfi").is_empty());
        for bad in
            ["umask 000", "TMOUT=900; id", "TMOUT=$(id)", "curl x | sh", "readonly TMOUT PATH", ". /tmp/x", "fi; id"]
        {
            assert!(!conf(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn sudoers_holds_only_its_defaults() {
        let conf = |body: &str| check_one(Kind::Sudoers, &format!("{H}{body}\n"));
        assert!(conf("Defaults use_pty\nDefaults timestamp_timeout=15").is_empty());
        for bad in [
            "ALL ALL=(ALL) NOPASSWD: ALL",
            "Defaults !authenticate",
            "@includedir /tmp",
            "#includedir /tmp",
            "#include /etc/shadow",
            "Defaults timestamp_timeout=-1",
            "Defaults logfile=\"/tmp/x\"",
        ] {
            assert!(!conf(bad).is_empty(), "{bad}");
        }
    }
}
