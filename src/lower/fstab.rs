//! `fstab { tmpfs "/tmp" size="1G" mode="1777" noexec=#true }`

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::{Reader, Seen, children};
use super::{need_reason, validate};

#[expect(clippy::too_many_lines, reason = "to split into a dispatcher and a function per child")]
pub(crate) fn lower(n: &Node, d: &Diags) -> Option<ir::Fstab> {
    Reader::new(n, d).block_done();
    let mut mounts: Vec<ir::Mount> = Vec::new();
    let mut seen = Seen::new("tmpfs");
    for c in children(n, &["tmpfs"], &[], d) {
        let r = Reader::new(c, d);
        let target = r
            .str_arg(0, "a mount point", "`tmpfs \"/tmp\"`")
            .map(|t| (validate::placed(d, &t, crate::syspaths::Place::HostTmpfs, ""), t.span));
        let mut options = vec!["defaults".to_string()];
        let mut notes = Vec::new();
        for flag in ["nodev", "nosuid", "noexec"] {
            let v = r.bool_prop(match flag {
                "nodev" => "nodev",
                "nosuid" => "nosuid",
                _ => "noexec",
            });
            match v {
                Some(b) if !b.value => {
                    if let Some(reason) =
                        need_reason(&r, &format!("`{flag}=#false`"), b.span, &format!("keep `{flag}`"))
                    {
                        notes.push(format!("without {flag}: {reason}"));
                    }
                }
                _ => options.push(flag.to_string()),
            }
        }
        if let Some(size) = r.str_prop("size", "\"1G\"") {
            let s = &size.value;
            let ok = s.len() <= 12 && {
                let digits = s.trim_end_matches(['k', 'm', 'g', 'K', 'M', 'G', '%']);
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && s.len() - digits.len() <= 1
            };
            if ok && validate::zero_limit(d, &size, "tmpfs size") {
            } else if ok {
                options.push(format!("size={s}"));
            } else {
                d.push(
                    Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a tmpfs size", s.escape_debug()))
                        .at(size.span, "not a size")
                        .help("write bytes with an optional unit `k`, `m`, `g`, or a share of RAM like `25%`"),
                );
            }
        }
        if let Some(mode) = r.str_prop("mode", "\"1777\"") {
            let ok = (3..=4).contains(&mode.value.len()) && mode.value.chars().all(|c| ('0'..='7').contains(&c));
            let bits = u32::from_str_radix(&mode.value, 8).unwrap_or(0);
            if ok && bits & 0o002 != 0 && bits & 0o1000 == 0 {
                // World-writable without the sticky bit: any user may delete or replace
                // any other user's files (the /tmp symlink and race attacks).
                if let Some(reason) = need_reason(
                    &r,
                    &format!("mode `{}` (world-writable without the sticky bit)", mode.value),
                    mode.span,
                    "add the sticky bit, e.g. `\"1777\"`",
                ) {
                    options.push(format!("mode={}", mode.value));
                    notes.push(format!("mode {} without the sticky bit: {reason}", mode.value));
                }
            } else if ok {
                options.push(format!("mode={}", mode.value));
            } else {
                d.push(
                    Diagnostic::new(
                        Kind::InvalidValue,
                        format!("`{}` is not an octal mode", mode.value.escape_debug()),
                    )
                    .at(mode.span, "not a mode")
                    .help("write an octal mode such as `\"1777\"`"),
                );
            }
        }
        r.leaf_done();
        let Some((Some(target), span)) = target else {
            continue;
        };
        if !seen.first(d, &target, span) {
            continue;
        }
        if target == "/var/tmp" {
            notes.push("/var/tmp on tmpfs is emptied at every boot".into());
        }
        mounts.push(ir::Mount {
            target,
            options: options.join(","),
            comment: (!notes.is_empty()).then(|| notes.join("; ")),
        });
    }
    if mounts.is_empty() && n.children().is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, "`fstab` has no mounts")
                .at(n.name.span, "empty")
                .help("add `tmpfs \"/tmp\"`"),
        );
        return None;
    }
    Some(ir::Fstab { mounts })
}
