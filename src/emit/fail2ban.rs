//! `host/jail.local` from `stdlib/fail2ban/jail.local.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Fail2ban;

pub(crate) const INSTALL: &str = "/etc/fail2ban/jail.local";

pub fn emit(env: &Environment, cx: &Context, f: &Fail2ban) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "fail2ban",
        path: "host/jail.local",
        install: INSTALL,
        owner: "root:root",
        mode: "0644",
        how: "replace",
        // Stock Debian 12's fail2ban is failed until a jail.local exists (no auth.log for its
        // default sshd jail): `reload` of a failed unit fails, `restart` starts it.
        apply: "fail2ban-client -t && systemctl enable fail2ban && systemctl restart fail2ban".into(),
        env: vec![],
        content: render(env, "fail2ban/jail.local.j2", cx.header("#"), "f2b", f, &[])?,
    })
}
