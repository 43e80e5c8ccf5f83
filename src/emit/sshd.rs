//! `host/sshd_config` from `stdlib/sshd/sshd_config.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Ssh;

pub(crate) const INSTALL: &str = "/etc/ssh/sshd_config.d/00-pynoc.conf";

pub fn emit(env: &Environment, cx: &Context, s: &Ssh) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "sshd",
        path: "host/sshd_config",
        install: INSTALL,
        owner: "root:root",
        mode: crate::stdlib::sshd_defaults().file.mode.as_str(),
        how: "replace",
        apply: "sshd -t && systemctl reload ssh".into(),
        env: vec![],
        content: render(env, "sshd/sshd_config.j2", cx.header("#"), "ssh", s, &[])?,
    })
}
