//! `passwords max-age=365 min-age=1 warn=7 min-length=14`: the password policy (login.defs'
//! ageing for new accounts, pwquality's strength); `sudo timeout=15`: sudo's defaults;
//! `shell timeout=15`: login shells' umask and idle timeout; `banner "…"`: the legal notice
//! before and after a login.

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::Reader;
use super::trace::{self, Ty};

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
    let lockout = int("lockout", 1, 20, 5);
    let unlock = r.duration_prop("unlock", 900, 86_400).map_or(900, |v| u32::try_from(v.value).unwrap_or(900));
    let history = int("history", 1, 400, 24);
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
    Some(ir::Passwords { max_age, min_age, warn, min_length, lockout, unlock, history })
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

/// `banner` (stdlib's notice) or `banner "Authorized access only. …"`: shown by agetty
/// (/etc/issue), sshd (/etc/issue.net) and pam_motd (/etc/motd) as it is written.
pub(crate) fn banner(n: &Node, d: &Diags) -> Option<ir::Banner> {
    let r = Reader::new(n, d);
    trace::arg(r.span(), 0, Ty::String, false);
    let given = r.arg(0).and_then(|v| r.as_str("`banner`", v, "`banner \"Authorized access only.\"`"));
    r.leaf_done();
    let Some(v) = given else {
        return Some(ir::Banner { text: crate::stdlib::banner().text.trim_end().to_string() });
    };
    let text = v.value.trim_end();
    let problem = if !crate::grammar::banner(text) {
        Some((
            Kind::UnsafeValue,
            "not printable ASCII lines",
            "printable ASCII lines, at most 30 of them and 2048 characters, with no backslash: \
             agetty reads `\\` as an escape (`\\s` the system's name) and a client's terminal may show \
             other characters as something else",
        ))
    } else if crate::grammar::names_system(text) {
        Some((
            Kind::InvalidValue,
            "names the system",
            "a banner names no operating system or release: it tells every scanner what to attack \
             (CIS 1.6.1–1.6.3); say who owns the host and what use is allowed",
        ))
    } else {
        None
    };
    match problem {
        Some((kind, label, help)) => {
            d.push(
                Diagnostic::new(kind, "`banner` is not a text pynoc can show as it is").at(v.span, label).help(help),
            );
            None
        }
        None => Some(ir::Banner { text: text.to_string() }),
    }
}
