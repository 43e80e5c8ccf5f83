//! sshd: the drop-in under a copy of Debian's stock sshd_config (which includes
//! sshd_config.d/*.conf first), beside a simulated cloud-init drop-in that turns password
//! logins back on. `sshd -t` must accept it, and `sshd -T` must show every setting of the
//! drop-in as the effective one.
//!
//! The artifact's back half, as the registry's [`super::Behaviour`] names it: its emitter,
//! its consumer's check, its shape rules and the host play's steps that install it.

use std::fs;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{
    Changed, Command as Cmd, Handler, HandlerTask, Module, Registered, Shell, Step, UnitState, words,
};
use crate::emit::deploy::{Steps, copy, service, unsafe_str};
use crate::emit::{Artifact, Context, render};
use crate::ir::{Host, Ssh};
use crate::verify::sandbox::{self, quote};
use crate::verify::shape::{first_word, lines};
use crate::verify::{Status, brief, need, need_root};

/// The script the host play runs for it (shellchecked by tests/harness_lint.rs).
const MODULI: &str = include_str!("../../stdlib/deploy/moduli.sh");

/// The artifact, when the spec has its section.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.ssh.as_ref()).map(|s| artifact(env, cx, s)).transpose()
}

fn artifact(env: &Environment, cx: &Context, s: &Ssh) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Sshd,
        instance: None,
        install: Kind::Sshd.install(cx.spec),
        apply: "sshd -t && systemctl reload ssh".into(),
        env: vec![],
        content: render(env, cx, Kind::Sshd, "ssh", s, &[])?,
    })
}

const STOCK: &[&str] = &["/usr/share/openssh/sshd_config", "/etc/ssh/sshd_config"];
const INCLUDE: &str = "Include /etc/ssh/sshd_config.d/*.conf";

pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sshd", "ssh-keygen", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let Some(stock) = STOCK.iter().find_map(|p| fs::read_to_string(p).ok()) else {
        return Status::Skip("no stock sshd_config to test the drop-in under".into());
    };
    if !stock.lines().any(|l| l.trim() == INCLUDE) {
        return Status::Fail(format!("the stock sshd_config has no `{INCLUDE}` line: a drop-in would be ignored"));
    }
    match run(file, &stock) {
        Ok(s) => s,
        Err(e) => Status::Fail(format!("cannot set up the sandbox: {e}")),
    }
}

fn run(file: &Utf8Path, stock: &str) -> std::io::Result<Status> {
    let tmp = tempfile::tempdir()?;
    let dir = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir");
    let d = dir.join("sshd_config.d");
    fs::create_dir_all(&d)?;
    fs::create_dir_all(dir.join("scratch"))?;
    fs::write(dir.join("sshd_config"), stock.replace(INCLUDE, &format!("Include {d}/*.conf")))?;
    let dropin = fs::read_to_string(file)?;
    fs::write(d.join("00-pynoc.conf"), &dropin)?;
    fs::write(d.join("50-cloud-init.conf"), "PasswordAuthentication yes\n")?;
    let key = dir.join("host_ed25519_key");
    let kg = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(key.as_str())
        .output()?;
    if !kg.status.success() {
        return Ok(Status::Fail(format!("ssh-keygen: {}", brief(&sandbox::text(&kg)))));
    }
    let sshd = crate::verify::which("sshd").expect("checked");
    let base =
        format!("{} -f {} -h {}", quote(sshd.as_str()), quote(dir.join("sshd_config").as_str()), quote(key.as_str()));
    let script = format!(
        "mkdir -p /run/sshd\n{base} -t || exit 10\necho ---effective---\n{base} -T -C user=root,host=client.example,addr=192.0.2.10\n"
    );
    let o = sandbox::run(&script, &["/run"], &dir.join("scratch"))?;
    let out = sandbox::text(&o);
    if o.status.code() == Some(10) || !o.status.success() {
        return Ok(Status::Fail(format!("sshd -t: {}", brief(&out))));
    }
    let effective = out.split("---effective---").nth(1).unwrap_or("").to_lowercase();
    let lines: Vec<&str> = effective.lines().map(str::trim).collect();
    for l in dropin.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let Some((k, v)) = l.split_once(' ') else {
            continue;
        };
        let k = k.to_lowercase();
        // Debian's `DebianBanner` is not in `sshd -T`'s dump; tests/sshd_behaviour.rs reads
        // the banner a client sees instead.
        if k == "debianbanner" {
            continue;
        }
        for want in v.split_whitespace().map(|v| v.to_lowercase()) {
            let want_line = format!("{k} {want}");
            let want_line = want_line.replace("permitrootlogin prohibit-password", "permitrootlogin without-password");
            if !lines.contains(&want_line.as_str()) {
                let got: Vec<&str> = lines.iter().copied().filter(|x| x.starts_with(&format!("{k} "))).collect();
                return Ok(Status::Fail(format!(
                    "sshd -T: expected `{want_line}`, the effective setting is `{}`",
                    got.join(", ")
                )));
            }
        }
    }
    Ok(Status::Pass)
}

/// The keywords stdlib/sshd/defaults.toml lists, each once (sshd keeps the first value: a
/// second one is a sign of a planted line).
pub(super) fn keywords(p: &mut Vec<String>, text: &str, comment: &str) {
    let mut seen: Vec<&str> = Vec::new();
    for l in lines(text, comment) {
        let word = first_word(l);
        if !crate::stdlib::sshd_defaults().setting.iter().any(|s| s.keyword == word) {
            p.push(format!("a keyword the drop-in never writes: {l:?}"));
        } else if seen.contains(&word) {
            p.push(format!("`{word}` given twice"));
        }
        seen.push(word);
    }
}

/// The login accounts checked, the sshd drop-in (checked by `sshd -t`), the moduli step, ssh running.
pub(super) fn steps(p: &mut Steps, a: &Artifact, host: &Host) {
    if !host.accounts.is_empty() {
        // `AllowUsers` names only declared accounts: each must exist before sshd is
        // restricted to them (getent exits 2 when one is missing).
        let mut argv = words(&["getent", "passwd", "--"]);
        argv.extend(host.accounts.iter().map(|a| unsafe_str(&a.name)));
        p.tasks.push(Step::new("the login accounts exist", Cmd::argv(argv)).read_only().task());
    }
    p.tasks.push(
        Step::new("sshd drop-in", Module::Copy(copy(a, Some("/usr/sbin/sshd -t -f %s".into()))))
            .notify(Handler::ReloadSsh)
            .task(),
    );
    if host.ssh.as_ref().is_some_and(|x| x.steps.iter().any(|s| s == "moduli-3072")) {
        let mut step = Step::new(
            "Diffie-Hellman moduli under 3072 bits removed from /etc/ssh/moduli",
            Module::Shell(Shell::Script { cmd: MODULI, executable: "/bin/sh" }),
        )
        .register(Registered::Moduli)
        .notify(Handler::ReloadSsh);
        step.changed_when = Some(Changed::When(Registered::Moduli.cond("{var}.stdout == 'changed'")));
        p.tasks.push(step.task());
    }
    p.tasks.push(service("ssh enabled and running", "ssh", Some(UnitState::Started)));
    p.handlers.push(HandlerTask::new(
        "sshd accepts the whole configuration",
        Handler::ReloadSsh,
        Cmd::argv(words(&["/usr/sbin/sshd", "-t"])),
    ));
    p.handlers.push(HandlerTask::unit(Handler::ReloadSsh, "ssh", UnitState::Reloaded));
}
