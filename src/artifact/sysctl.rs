//! sysctl: every key must exist under /proc/sys; `net.*` values are really written in a
//! throwaway network namespace; global keys (`kernel.*`, `fs.*`, `vm.*`) are checked for
//! shape only and never written.
//!
//! The artifact's back half, as the registry's [`super::Behaviour`] names it: its emitter,
//! its consumer's check, its shape rules and the host play's steps that install it.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Command as Cmd, Handler, HandlerTask, Module, Step, words};
use crate::emit::deploy::{Steps, copy, one_line};
use crate::emit::{Artifact, Context, render};
use crate::ir::{Host, Sysctl};
use crate::verify::sandbox;
use crate::verify::shape::code;
use crate::verify::{Status, brief, need, need_root};

/// The script the host play runs for it (shellchecked by tests/harness_lint.rs).
const SYSCTL_KEYS: &str = include_str!("../../stdlib/deploy/sysctl-keys.sh");

/// The artifact, when the spec has its section.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.sysctl.as_ref()).map(|s| artifact(env, cx, s)).transpose()
}

fn artifact(env: &Environment, cx: &Context, s: &Sysctl) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Sysctl,
        instance: None,
        install: Kind::Sysctl.install(cx.spec),
        apply: "sysctl --system".into(),
        env: vec![],
        content: render(env, cx, Kind::Sysctl, "sysctl", s, &[])?,
    })
}

pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sysctl", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return Status::Fail("cannot read the file".into());
    };
    let net = match net_settings(&text).and_then(per_namespace) {
        Ok(net) => net,
        Err(why) => return Status::Fail(why),
    };
    if net.is_empty() {
        return Status::Pass;
    }
    kept_as_written(&net)
}

/// Every key exists on this kernel (or is marked optional) and takes a value of its shape;
/// the `net.*` settings, as `key=value`.
fn net_settings(text: &str) -> Result<Vec<String>, String> {
    let mut net = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: not `key = value`", no + 1));
        };
        let (optional, key) = match key.trim().strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, key.trim()),
        };
        let value = value.trim();
        let proc = format!("/proc/sys/{}", key.replace('.', "/"));
        match std::fs::read_to_string(&proc) {
            Err(_) if optional => continue,
            Err(_) => {
                return Err(format!(
                    "line {}: `{key}` does not exist on this kernel and is not marked optional",
                    no + 1
                ));
            }
            Ok(current) => {
                if current.split_whitespace().count() != value.split_whitespace().count() {
                    return Err(format!(
                        "line {}: `{key}` takes {} field(s), the file gives `{value}`",
                        no + 1,
                        current.split_whitespace().count()
                    ));
                }
                let numeric = |s: &str| s.split_whitespace().all(|f| f.parse::<i64>().is_ok());
                if numeric(&current) && !numeric(value) {
                    return Err(format!("line {}: `{key}` is numeric, the file gives `{value}`", no + 1));
                }
            }
        }
        if key.starts_with("net.") {
            net.push(format!("{key}={value}"));
        }
    }
    Ok(net)
}

/// A few net.* keys are global, not per namespace (`net.core.bpf_jit_harden`): a fresh
/// namespace does not have them, and they are checked for shape only, as `kernel.*` is.
fn per_namespace(mut net: Vec<String>) -> Result<Vec<String>, String> {
    let paths: Vec<String> =
        net.iter().map(|kv| kv.split_once('=').map_or(kv.as_str(), |(k, _)| k).replace('.', "/")).collect();
    let probe = format!("cd /proc/sys && for k in {}; do [ -e \"$k\" ] && echo \"$k\"; done; true", paths.join(" "));
    match Command::new("unshare").args(["--net", "sh", "-c", &probe]).output() {
        Ok(o) if o.status.success() => {
            let here: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
            let mut i = 0;
            net.retain(|_| {
                i += 1;
                here.contains(&paths[i - 1])
            });
            Ok(net)
        }
        Ok(o) => Err(format!("cannot list a namespace's keys: {}", brief(&sandbox::text(&o)))),
        Err(e) => Err(format!("cannot run unshare: {e}")),
    }
}

/// Every net.* value written in a throwaway network namespace, then read back: the kernel
/// must accept each and keep it as written.
fn kept_as_written(net: &[String]) -> Status {
    let keys: Vec<&str> = net.iter().map(|kv| kv.split_once('=').map(|(k, _)| k).unwrap_or(kv)).collect();
    let script = format!("sysctl -q -w {} || exit 10\nsysctl -n {}", net.join(" "), keys.join(" "));
    match Command::new("unshare").args(["--net", "sh", "-c", &script]).output() {
        Ok(o) if o.status.success() && o.stderr.is_empty() => {
            let got = String::from_utf8_lossy(&o.stdout);
            for ((kv, key), read) in net.iter().zip(&keys).zip(got.lines()) {
                let want = kv.split_once('=').map(|(_, v)| v).unwrap_or("");
                if want.split_whitespace().ne(read.split_whitespace()) {
                    return Status::Fail(format!("the kernel keeps `{key}` as `{read}`, not `{want}`"));
                }
            }
            Status::Pass
        }
        Ok(o) => Status::Fail(format!("the kernel refused a net.* value: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run sysctl: {e}")),
    }
}

pub(super) fn line(l: &str) -> bool {
    l.split_once(" = ").is_some_and(|(k, v)| {
        !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && !v.is_empty()
            && v.chars().all(|c| c.is_ascii_alphanumeric() || " -_.:/,".contains(c))
    })
}

/// A kernel helper key keeps its reason: the comment right above the key (a group's heading
/// is a comment after a blank line, the file's header the first line).
pub(super) fn kernel_helpers(p: &mut Vec<String>, text: &str) {
    let meaning = crate::stdlib::sysctl_meaning();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (i, l) in lines.iter().enumerate() {
        let Some((key, _)) = l.trim_start_matches('-').split_once(" = ") else { continue };
        let reasoned = i >= 2 && lines[i - 1].starts_with("# ") && !lines[i - 2].is_empty();
        if let Some(does) = meaning.helper(key).filter(|_| !reasoned && code(l)) {
            p.push(format!("the kernel helper key `{key}` ({does}) without its reason"));
        }
    }
}

/// The sysctl drop-in, applied by `sysctl --system`.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    // Every key without a leading `-` must exist in this kernel, or `sysctl --system` fails.
    let validate = format!("sh -c '{}' sysctl %s", one_line(SYSCTL_KEYS));
    p.tasks.push(
        Step::new("kernel parameters (sysctl drop-in)", Module::Copy(copy(a, Some(validate))))
            .notify(Handler::ApplySysctl)
            .task(),
    );
    p.handlers.push(HandlerTask::new(
        Handler::ApplySysctl.topic(),
        Handler::ApplySysctl,
        Cmd::argv(words(&["sysctl", "--system"])),
    ));
}
