//! `journal max-use="1G" keep="1y"`: journald as the host's one logger, its journal on disk,
//! compressed and bounded.

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::Reader;

const MIB: u64 = 1 << 20;
const DAY: u64 = 86_400;

pub(crate) fn lower(n: &Node, d: &Diags) -> Option<ir::Journal> {
    let r = Reader::new(n, d);
    let max_use = r.str_prop("max-use", "\"1G\"");
    let keep = r.duration_prop("keep", DAY, 10 * 365 * DAY).map(|v| v.value);
    r.leaf_done();
    let max_use = match max_use {
        None => "1G".to_string(),
        Some(v) => match crate::grammar::journal_size(&v.value) {
            Some(b) if (64 * MIB..=(1 << 40)).contains(&b) => v.value.clone(),
            _ => {
                d.push(
                    Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a journal size", v.value.escape_debug()))
                        .at(v.span, "not a size from 64M to 1024G")
                        .help("digits and a unit `M` or `G` (journald's, powers of 1024), e.g. `max-use=\"2G\"`"),
                );
                return None;
            }
        },
    };
    // journald's own unit for whole days, else seconds.
    let keep = keep.map(|s| if s % DAY == 0 { format!("{}day", s / DAY) } else { format!("{s}s") });
    Some(ir::Journal { max_use, keep })
}
