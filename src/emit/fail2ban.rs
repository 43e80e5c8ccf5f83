//! `host/jail.local` from `stdlib/fail2ban/jail.local.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Fail2ban;

pub fn emit(env: &Environment, cx: &Context, f: &Fail2ban) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "fail2ban",
        path: "host/jail.local",
        install: "/etc/fail2ban/jail.local",
        owner: "root:root",
        mode: "0644",
        how: "replace",
        apply: "fail2ban-client -t && systemctl reload fail2ban",
        content: render(env, "fail2ban/jail.local.j2", cx.header("#"), "f2b", f, &[])?,
    })
}
