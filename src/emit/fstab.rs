//! `host/fstab` from `stdlib/fstab/fstab.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render, shell_word};
use crate::artifact::Kind;
use crate::ir::Fstab;

/// `mount -a` skips a file system that is already mounted (`/dev/shm` always is), so each
/// target is remounted too: `mount -o remount TARGET` takes its options from fstab.
fn apply(f: &Fstab) -> Result<String, Error> {
    let mut cmd = String::from("findmnt --verify && mount -a");
    for m in &f.mounts {
        cmd.push_str(&format!(" && mount -o remount {}", shell_word(&m.target)?));
    }
    Ok(cmd)
}

pub(crate) fn emit(env: &Environment, cx: &Context, f: &Fstab) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Fstab,
        install: Kind::Fstab.install(cx.spec),
        apply: apply(f)?,
        env: vec![],
        content: render(env, cx, Kind::Fstab, "fstab", f, &[])?,
    })
}
