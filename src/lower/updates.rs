//! `updates origins="security" reboot="03:30" mail-report="only-on-error"`: automatic
//! updates by unattended-upgrades.

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::{Reader, one_of};
use super::validate;

/// Debian's security archive alone (the guide's choice), or with the stable release's point
/// updates as well. `${distro_codename}` is unattended-upgrades' own variable.
const SECURITY: &[&str] = &[
    "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
    "origin=Debian,codename=${distro_codename},label=Debian-Security",
];
const STABLE: &str = "origin=Debian,codename=${distro_codename},label=Debian";

pub(crate) fn lower(n: &Node, d: &Diags) -> Option<ir::Updates> {
    let r = Reader::new(n, d);
    let mut origins: Vec<String> = SECURITY.iter().map(|s| s.to_string()).collect();
    if let Some(o) = r.str_prop("origins", "\"security\"")
        && one_of(d, "origins", &o, &["security", "stable"]).as_deref() == Some("stable")
    {
        origins.push(STABLE.to_string());
    }
    let reboot = r.str_prop("reboot", "\"03:30\"").and_then(|t| {
        if clock(&t.value) {
            Some(t.value)
        } else {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a time of day", t.value.escape_debug()))
                    .at(t.span, "not HH:MM")
                    .help("write the time the host may reboot after an update that needs it, like `\"03:30\"`"),
            );
            None
        }
    });
    let mail = r.str_prop("mail", "\"admin@example.com\"").and_then(|m| validate::email(d, &m));
    let mail_report = r
        .str_prop("mail-report", "\"only-on-error\"")
        .and_then(|m| one_of(d, "mail-report", &m, &["always", "only-on-error", "on-change"]))
        .unwrap_or_else(|| "only-on-error".to_string());
    r.leaf_done();
    Some(ir::Updates { origins, reboot, mail, mail_report })
}

/// `HH:MM` on a 24-hour clock.
fn clock(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else { return false };
    let two = |x: &str| x.len() == 2 && x.bytes().all(|b| b.is_ascii_digit());
    two(h) && two(m) && h < "24" && m < "60"
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_time_of_day_is_two_digits_each() {
        for ok in ["00:00", "03:30", "23:59"] {
            assert!(super::clock(ok), "{ok}");
        }
        for bad in ["24:00", "3:30", "03:60", "0330", "03:30:00", "now", "", "03:3a", "+3:30", "03:30;"] {
            assert!(!super::clock(bad), "{bad}");
        }
    }
}
