//! `host/audit.rules` from `stdlib/audit/audit.rules.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::Audit;

pub(crate) fn emit(env: &Environment, cx: &Context, a: &Audit) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Audit,
        install: Kind::Audit.install(cx.spec),
        apply: "augenrules --load".into(),
        env: vec![],
        content: render(env, cx, Kind::Audit, "audit", a, &[])?,
    })
}
