//! `nginx/nginx.conf` from `stdlib/nginx/nginx.conf.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::Nginx;

pub(crate) fn emit(env: &Environment, cx: &Context, n: &Nginx) -> Result<Artifact, Error> {
    Ok(Artifact {
        kind: Kind::Nginx,
        instance: None,
        install: Kind::Nginx.install(cx.spec),
        apply: "nginx -t && systemctl reload nginx".into(),
        env: vec![],
        content: render(env, cx, Kind::Nginx, "nginx", n, &[])?,
    })
}
