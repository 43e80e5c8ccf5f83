//! `nginx/nginx.conf` from `stdlib/nginx/nginx.conf.j2`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Nginx;

pub(crate) const INSTALL: &str = "/etc/nginx/nginx.conf";

pub fn emit(env: &Environment, cx: &Context, n: &Nginx) -> Result<Artifact, Error> {
    Ok(Artifact {
        name: "nginx",
        path: "nginx/nginx.conf",
        install: INSTALL,
        owner: "root:root",
        mode: crate::stdlib::nginx_hardening().file.mode.as_str(),
        how: "replace",
        apply: "nginx -t && systemctl reload nginx".into(),
        env: vec![],
        content: render(env, "nginx/nginx.conf.j2", cx.header("#"), "nginx", n, &[])?,
    })
}
