//! `host/fstab`: tmpfs lines merged into `/etc/fstab`, from `stdlib/fstab/fstab.j2`. The
//! artifact's whole back half in one place, as the registry's [`super::Behaviour`] names it:
//! its emitter, its consumer's check (`findmnt --verify`), its shape and meaning rules, and
//! the host play's steps that install it.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{BlockInFile, Environment as TaskEnv, Handler, HandlerTask, Module, Shell, Step, Word};
use crate::emit::deploy::Steps;
use crate::emit::{Artifact, Context, render, shell_word};
use crate::ir::{Fstab, Host};
use crate::syspaths::Place;
use crate::verify::shape::{code, placed};
use crate::verify::{Status, brief, need, sandbox};

/// The artifact, when the spec has an `fstab` section.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(f) = cx.spec.host.as_ref().and_then(|h| h.fstab.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Fstab,
        instance: None,
        install: Kind::Fstab.install(cx.spec),
        apply: apply(f)?,
        env: vec![],
        content: render(env, cx, Kind::Fstab, "fstab", f, &[])?,
    }))
}

/// The services with a private /tmp and /var/tmp (`PrivateTmp=`, as pynoc's sandboxes have):
/// systemd keeps those under the host's /tmp and /var/tmp, which a new tmpfs hides, and then
/// fails every later command of theirs (a reload, a stop) with 226/NAMESPACE. Restarted, they
/// get new ones on the tmpfs. (At boot the tmpfs is there before any service.)
const PRIVATE_TMP: &str = include_str!("../../stdlib/deploy/private-tmp.sh");

/// `mount -a` skips a file system that is already mounted (`/dev/shm` always is), so each
/// target is remounted too: `mount -o remount TARGET` takes its options from fstab. Then the
/// services whose private /tmp the mounts hid are restarted.
fn apply(f: &Fstab) -> Result<String, Error> {
    let mut cmd = String::from("findmnt --verify && mount -a");
    for m in &f.mounts {
        cmd.push_str(&format!(" && mount -o remount {}", shell_word(&m.target)?));
    }
    if f.mounts.iter().any(|m| m.target == "/tmp" || m.target == "/var/tmp") {
        cmd.push_str(" && ");
        cmd.push_str(crate::emit::deploy::one_line(PRIVATE_TMP));
    }
    Ok(cmd)
}

/// `findmnt --verify` reads the lines as a mount table and must find no error or warning.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["findmnt"]) {
        return s;
    }
    match Command::new("findmnt").args(["--verify", "--verbose", "--tab-file"]).arg(file.as_str()).output() {
        Ok(o) => {
            let out = sandbox::text(&o);
            let bad: Vec<&str> =
                out.lines().map(str::trim).filter(|l| l.starts_with("[E]") || l.starts_with("[W]")).collect();
            if o.status.success() && bad.is_empty() {
                Status::Pass
            } else {
                Status::Fail(format!(
                    "findmnt --verify: {}",
                    if bad.is_empty() { brief(&out) } else { bad.join(" | ") }
                ))
            }
        }
        Err(e) => Status::Fail(format!("cannot run findmnt: {e}")),
    }
}

/// A tmpfs line of six fields.
pub(super) fn line(l: &str) -> bool {
    let f: Vec<&str> = l.split_whitespace().collect();
    f.len() == 6 && f[0] == "tmpfs" && f[2] == "tmpfs" && f[4] == "0" && f[5] == "0"
}

/// Every mount point where a tmpfs may go (a root process mounts over it).
pub(super) fn meaning(p: &mut Vec<String>, text: &str) {
    for f in text.lines().filter(|l| code(l)).map(|l| l.split_whitespace().collect::<Vec<_>>()) {
        if let Some(target) = f.get(1) {
            placed(p, Place::HostTmpfs, target);
        }
    }
}

/// The tmpfs lines merged into /etc/fstab, mounted and remounted.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(
        Step::new(
            "tmpfs mounts in /etc/fstab",
            Module::BlockInFile(BlockInFile {
                path: "/etc/fstab",
                marker: "# {mark} pynoc tmpfs mounts",
                // A lookup's result is data to Ansible: never evaluated as a template.
                block: format!("{{{{ lookup('ansible.builtin.file', playbook_dir ~ '/../{}') }}}}", a.path()),
                validate: "findmnt --verify --tab-file %s",
            }),
        )
        .notify(Handler::MountTmpfs)
        .task(),
    );
    let mut h = HandlerTask::new(
        "mount and remount every tmpfs (mount -a skips what is already mounted)",
        Handler::MountTmpfs,
        Module::Shell(Shell::Line(Word::Unsafe(a.apply.clone()))),
    );
    // The module runs from a temporary directory: not in /tmp, which this mounts over.
    h.environment = Some(TaskEnv { TMPDIR: "/run" });
    p.handlers.push(h);
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::verify::shape::check_one;

    /// The rules of meaning: a tmpfs only where one may go.
    #[test]
    fn a_tmpfs_outside_its_places_is_caught() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        let fstab = |t: &str| check_one(Kind::Fstab, &format!("{h}tmpfs {t} tmpfs defaults 0 0\n"));
        assert!(fstab("/tmp").is_empty());
        assert!(!fstab("/etc").is_empty() && !fstab("/home/admin").is_empty());
        assert!(!fstab("/tmp extra").is_empty(), "seven fields");
    }
}
