//! `host/sshd_config` from `stdlib/sshd/sshd_config.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::Ssh;

pub(crate) fn emit(env: &Environment, cx: &Context, s: &Ssh) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Sshd,
        install: Kind::Sshd.install(cx.spec),
        apply: "sshd -t && systemctl reload ssh".into(),
        env: vec![],
        content: render(env, cx, Kind::Sshd, "ssh", s, &[])?,
    })
}
