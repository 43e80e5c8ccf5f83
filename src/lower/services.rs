//! `services { keep "rsync-daemon" reason="…" }`: the servers and clear-text clients a host
//! has no use for (stdlib/services/absent.toml), purged and masked by the host play, but
//! those the spec keeps. The spec's own nginx is never among them.

use crate::ast::Node;
use crate::diag::Diags;
use crate::ir;

use super::node::Reader;
use super::{Exceptions, exceptions};

pub(crate) fn lower(n: &Node, d: &Diags, nginx: bool) -> Option<ir::Services> {
    Reader::new(n, d).block_done();
    let catalog = &crate::stdlib::absent_services().service;
    let names: Vec<&str> = catalog.iter().map(|s| s.name.as_str()).collect();
    let kept = exceptions(
        n,
        d,
        &Exceptions {
            verb: "keep",
            noun: "service",
            missing: "a service of the catalog",
            seen_as: "keep",
            example: "`keep \"rsync-daemon\" reason=\"…\"`",
            weakens: "a service kept",
            instead: "let pynoc remove it",
            names: &names,
        },
    );
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
