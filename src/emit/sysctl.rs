//! `host/sysctl.conf` from `stdlib/sysctl/sysctl.conf.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::Sysctl;

pub(crate) fn emit(env: &Environment, cx: &Context, s: &Sysctl) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Sysctl,
        install: Kind::Sysctl.install(cx.spec),
        apply: "sysctl --system".into(),
        env: vec![],
        content: render(env, cx, Kind::Sysctl, "sysctl", s, &[])?,
    })
}
