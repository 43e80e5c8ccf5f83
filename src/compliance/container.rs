//! Claims of the compose services and the Dockerfile (stdlib/container/hardening.toml):
//! what every service gets, the keys pynoc never writes, what pynoc's Dockerfile always has.

use super::{Claim, Claims};
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::container_hardening();
    let d = &data.service;
    let stack = spec.container.as_ref().and_then(|c| c.compose.as_ref());
    let images = spec.container.as_ref().map(|c| c.images.as_slice()).unwrap_or_default();
    let no_stack = || Err("the spec has no `compose` stack".to_string());
    let mut out = Claims::default();
    for (what, items) in &data.claims {
        let outcome = stack.map_or_else(no_stack, |st| {
            let missing: Vec<&str> = st
                .services
                .iter()
                .filter(|s| match what.as_str() {
                    "healthcheck" => s.healthcheck.is_empty(),
                    "user" => s.user.is_empty(),
                    "limits" => s.cpus.is_empty() || s.memory.is_empty(),
                    "host-ip" => s.ports.iter().any(|p| p.host_ip.is_unspecified()),
                    _ => false,
                })
                .map(|s| s.name.as_str())
                .collect();
            let evidence = match what.as_str() {
                "read-only" => format!("read_only: {}", d.read_only),
                "security-opt" => format!("security_opt: {}", d.security_opt.join(", ")),
                "cap-drop" => format!("cap_drop: {}", d.cap_drop.join(", ")),
                "pids" => "a pids limit".to_string(),
                "host-ip" => "ports bound to a named host address".to_string(),
                other => other.to_string(),
            };
            if missing.is_empty() {
                Ok(format!("container/docker-compose.yml, every service: {evidence}"))
            } else {
                Err(format!("{} lack {evidence}", missing.join(", ")))
            }
        });
        out.add(items, format!("compose {what}"), outcome);
    }
    for (key, items) in &data.never {
        let outcome = stack.map_or_else(no_stack, |_| Ok(format!("pynoc never writes `{key}`")));
        out.add(items, format!("compose never {key}"), outcome);
    }
    for (what, items) in &data.image_claims {
        let outcome = if images.is_empty() {
            Err("the spec has no `image`".to_string())
        } else {
            let files: Vec<String> =
                images.iter().map(|i| format!("container/{} ({})", i.dockerfile, i.name)).collect();
            Ok(format!("{}: {what}", files.join(", ")))
        };
        out.add(items, format!("image {what}"), outcome);
    }
    out.0
}
