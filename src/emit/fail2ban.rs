//! `host/jail.local` from `stdlib/fail2ban/jail.local.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::Fail2ban;

pub(crate) fn emit(env: &Environment, cx: &Context, f: &Fail2ban) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Fail2ban,
        install: Kind::Fail2ban.install(cx.spec),
        // Stock Debian 12's fail2ban is failed until a jail.local exists (no auth.log for its
        // default sshd jail): `reload` of a failed unit fails, `restart` starts it.
        apply: "fail2ban-client -t && systemctl enable fail2ban && systemctl restart fail2ban".into(),
        env: vec![],
        content: render(env, cx, Kind::Fail2ban, "f2b", f, &[])?,
    })
}
