//! `host/fstab` from `stdlib/fstab/fstab.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Fstab;

pub fn emit(env: &Environment, cx: &Context, f: &Fstab) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "fstab",
        path: "host/fstab",
        install: "/etc/fstab",
        owner: "root:root",
        mode: "0644",
        how: "merge",
        apply: "findmnt --verify && mount -a",
        content: render(env, "fstab/fstab.j2", cx.header("#"), "fstab", f, &[])?,
    })
}
