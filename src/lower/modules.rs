//! `modules { allow "usb-storage" reason="…" }`: kernel modules made unloadable, the
//! catalog's (stdlib/modprobe/modules.toml) but those the spec keeps.

use crate::ast::Node;
use crate::diag::Diags;
use crate::ir;

use super::node::Reader;
use super::{Exceptions, exceptions};

pub(crate) fn lower(n: &Node, d: &Diags, profile: ir::HostProfile, containers: bool) -> Option<ir::Modules> {
    Reader::new(n, d).block_done();
    let catalog = &crate::stdlib::modules().module;
    let names: Vec<&str> = catalog.iter().map(|m| m.name.as_str()).collect();
    let allowed = exceptions(
        n,
        d,
        &Exceptions {
            verb: "allow",
            noun: "module",
            missing: "a module",
            seen_as: "allow",
            example: "`allow \"usb-storage\" reason=\"…\"`",
            weakens: "a module left loadable",
            instead: "keep it unloadable",
            names: &names,
        },
    );
    let disabled = catalog
        .iter()
        .filter(|m| m.applies(profile, containers) && !allowed.iter().any(|a| a.key == m.name))
        .map(|m| ir::Module { name: m.name.clone(), why: m.why.clone() })
        .collect();
    Some(ir::Modules { disabled, allowed })
}
