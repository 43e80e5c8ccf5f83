//! `modules { allow "usb-storage" reason="…" }`: kernel modules made unloadable, the
//! catalog's (stdlib/modprobe/modules.toml) but those the spec keeps.

use crate::ast::Node;
use crate::diag::Diags;
use crate::ir;

use super::need_reason;
use super::node::{Reader, Seen, children, one_of};

pub(crate) fn lower(n: &Node, d: &Diags) -> Option<ir::Modules> {
    Reader::new(n, d).block_done();
    let catalog = &crate::stdlib::modules().module;
    let names: Vec<&str> = catalog.iter().map(|m| m.name.as_str()).collect();
    let mut allowed = Vec::new();
    let mut seen = Seen::new("allow");
    for c in children(n, &["allow"], &[], d) {
        let r = Reader::new(c, d);
        let name = r.str_arg(0, "a module", "`allow \"usb-storage\" reason=\"…\"`");
        let reason = need_reason(&r, "a module left loadable", c.name.span, "keep it unloadable");
        r.leaf_done();
        let Some(name) = name else { continue };
        let Some(module) = one_of(d, "module", &name, &names) else { continue };
        if seen.first(d, &module, name.span)
            && let Some(reason) = reason
        {
            allowed.push(ir::Removed { key: module, reason });
        }
    }
    let disabled = catalog
        .iter()
        .filter(|m| !allowed.iter().any(|a| a.key == m.name))
        .map(|m| ir::Module { name: m.name.clone(), why: m.why.clone() })
        .collect();
    Some(ir::Modules { disabled, allowed })
}
