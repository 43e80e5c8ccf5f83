//! `nginx/nginx.conf` from `stdlib/nginx/nginx.conf.j2`.

use minijinja::{Environment, Error, Value};

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
        content: render(env, cx, Kind::Nginx, "nginx", n, &[("pid", Value::from(pid(cx.spec)))])?,
    })
}

/// Where the master writes its pid: in /run/nginx under the sandbox (which keeps /run
/// read-only), where Debian's unit looks without it.
fn pid(spec: &crate::ir::Spec) -> &'static str {
    if spec.sandboxes.iter().any(|s| s.service == crate::ir::Daemon::Nginx) {
        "/run/nginx/nginx.pid"
    } else {
        "/run/nginx.pid"
    }
}
