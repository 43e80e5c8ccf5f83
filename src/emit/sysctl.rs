//! `host/sysctl.conf` from `stdlib/sysctl/sysctl.conf.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Sysctl;

pub fn emit(env: &Environment, cx: &Context, s: &Sysctl) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "sysctl",
        path: "host/sysctl.conf",
        install: "/etc/sysctl.d/99-pynoc.conf",
        owner: "root:root",
        mode: "0644",
        how: "replace",
        apply: "sysctl --system".into(),
        env: vec![],
        content: render(env, "sysctl/sysctl.conf.j2", cx.header("#"), "sysctl", s, &[])?,
    })
}
