//! `passwords max-age=365 min-age=1 warn=7 min-length=14`: the password policy (login.defs'
//! ageing for new accounts, pwquality's strength); `sudo timeout=15`: sudo's defaults;
//! `shell timeout=15`: login shells' umask and idle timeout.

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::Reader;

/// The longest a password may last (`PASS_MAX_DAYS`): 99999 is shadow's "never".
const NEVER: i128 = 99_999;

pub(crate) fn passwords(n: &Node, d: &Diags) -> Option<ir::Passwords> {
    let r = Reader::new(n, d);
    let int = |name, min, max, default: u32| {
        r.int_prop(name, min, max).map_or(default, |v| u32::try_from(v.value).unwrap_or(default))
    };
    let max_age = int("max-age", 1, NEVER, 365);
    let min_age = r.int_prop("min-age", 0, NEVER);
    let warn = int("warn", 0, NEVER, 7);
    let min_length = int("min-length", 8, 128, 14);
    r.leaf_done();
    let min_age = match min_age {
        Some(v) if v.value >= i128::from(max_age) => {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("`min-age` {} is not below `max-age` {max_age}", v.value))
                    .at(v.span, "a password could never change before it expires")
                    .help("a day or a few: `min-age=1`"),
            );
            return None;
        }
        Some(v) => u32::try_from(v.value).unwrap_or(1),
        None => 1.min(max_age - 1),
    };
    Some(ir::Passwords { max_age, min_age, warn, min_length })
}

pub(crate) fn sudo(n: &Node, d: &Diags) -> Option<ir::Sudo> {
    let r = Reader::new(n, d);
    let timeout = r.int_prop("timeout", 0, 15).map_or(15, |v| u32::try_from(v.value).unwrap_or(15));
    r.leaf_done();
    Some(ir::Sudo { timeout })
}

pub(crate) fn shell(n: &Node, d: &Diags) -> Option<ir::Shell> {
    let r = Reader::new(n, d);
    let timeout = r.int_prop("timeout", 1, 15).map_or(15, |v| u32::try_from(v.value).unwrap_or(15));
    r.leaf_done();
    Some(ir::Shell { timeout })
}
