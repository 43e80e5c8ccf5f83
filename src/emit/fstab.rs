//! `host/fstab` from `stdlib/fstab/fstab.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Fstab;

/// `mount -a` skips a file system that is already mounted (`/dev/shm` always is), so each
/// target is remounted too: `mount -o remount TARGET` takes its options from fstab.
fn apply(f: &Fstab) -> String {
    let mut cmd = String::from("findmnt --verify && mount -a");
    for m in &f.mounts {
        let target = shlex::try_quote(&m.target).map(|q| q.into_owned()).unwrap_or_else(|_| m.target.clone());
        cmd.push_str(&format!(" && mount -o remount {target}"));
    }
    cmd
}

pub fn emit(env: &Environment, cx: &Context, f: &Fstab) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "fstab",
        path: "host/fstab",
        install: "/etc/fstab",
        owner: "root:root",
        mode: "0644",
        how: "merge",
        apply: apply(f),
        env: vec![],
        content: render(env, "fstab/fstab.j2", cx.header("#"), "fstab", f, &[])?,
    })
}
