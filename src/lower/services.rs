//! `services { keep "rsync-daemon" reason="…" }`: the servers and clear-text clients a host
//! has no use for (stdlib/services/absent.toml), purged and masked by the host play, but
//! those the spec keeps. The spec's own nginx is never among them.

use crate::ast::Node;
use crate::diag::Diags;
use crate::ir;

use super::need_reason;
use super::node::{Reader, Seen, children, one_of};

pub(crate) fn lower(n: &Node, d: &Diags, nginx: bool) -> Option<ir::Services> {
    Reader::new(n, d).block_done();
    let catalog = &crate::stdlib::absent_services().service;
    let names: Vec<&str> = catalog.iter().map(|s| s.name.as_str()).collect();
    let mut kept = Vec::new();
    let mut seen = Seen::new("keep");
    for c in children(n, &["keep"], &[], d) {
        let r = Reader::new(c, d);
        let name = r.str_arg(0, "a service of the catalog", "`keep \"rsync-daemon\" reason=\"…\"`");
        let reason = need_reason(&r, "a service kept", c.name.span, "let pynoc remove it");
        r.leaf_done();
        let Some(name) = name else { continue };
        let Some(service) = one_of(d, "service", &name, &names) else { continue };
        if seen.first(d, &service, name.span)
            && let Some(reason) = reason
        {
            kept.push(ir::Removed { key: service, reason });
        }
    }
    let absent = catalog
        .iter()
        .filter(|s| !kept.iter().any(|k| k.key == s.name))
        .map(|s| ir::AbsentService {
            name: s.name.clone(),
            // The spec's nginx is this host's web server.
            packages: s.packages.iter().filter(|p| !(nginx && p.as_str() == "nginx")).cloned().collect(),
            units: s.units.clone(),
            why: s.why.clone(),
        })
        .collect();
    Some(ir::Services { absent, kept })
}
