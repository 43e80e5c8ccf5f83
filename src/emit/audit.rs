//! `host/audit.rules` from `stdlib/audit/audit.rules.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Audit;

pub fn emit(env: &Environment, cx: &Context, a: &Audit) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "audit",
        path: "host/audit.rules",
        install: "/etc/audit/rules.d/50-pynoc.rules",
        owner: "root:root",
        mode: crate::stdlib::audit_sets().file.mode.as_str(),
        how: "replace",
        apply: "augenrules --load".into(),
        env: vec![],
        content: render(env, "audit/audit.rules.j2", cx.header("#"), "audit", a, &[])?,
    })
}
