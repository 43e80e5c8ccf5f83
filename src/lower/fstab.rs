//! `fstab { tmpfs "/tmp" size="1G" mode="1777" noexec=#true }`

use crate::ast::{Node, Span};
use crate::diag::{Diagnostic, Diags, Kind};
use crate::{grammar, ir};

use super::node::{Reader, Seen, children};
use super::{need_reason, validate};

pub(crate) fn lower(n: &Node, d: &Diags) -> Option<ir::Fstab> {
    Reader::new(n, d).block_done();
    let mut mounts: Vec<ir::Mount> = Vec::new();
    let mut seen = Seen::new("tmpfs");
    for c in children(n, &["tmpfs"], &[], d) {
        if let Some((mount, span)) = tmpfs(c, d)
            && seen.first(d, &mount.target, span)
        {
            mounts.push(mount);
        }
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

/// `tmpfs "/PATH" size=… mode=… nodev=… nosuid=… noexec=…`, with where its target is.
fn tmpfs(c: &Node, d: &Diags) -> Option<(ir::Mount, Span)> {
    let r = Reader::new(c, d);
    let target = r
        .str_arg(0, "a mount point", "`tmpfs \"/tmp\"`")
        .map(|t| (validate::placed(d, &t, crate::syspaths::Place::HostTmpfs, ""), t.span));
    let mut options = vec!["defaults".to_string()];
    let mut notes = Vec::new();
    for flag in ["nodev", "nosuid", "noexec"] {
        match r.bool_prop(flag) {
            Some(b) if !b.value => {
                if let Some(reason) = need_reason(&r, &format!("`{flag}=#false`"), b.span, &format!("keep `{flag}`")) {
                    notes.push(format!("without {flag}: {reason}"));
                }
            }
            _ => options.push(flag.to_string()),
        }
    }
    options.extend(size(&r));
    options.extend(mode(&r, &mut notes));
    r.leaf_done();
    let (Some(target), span) = target? else { return None };
    if target == "/var/tmp" {
        notes.push("/var/tmp on tmpfs is emptied at every boot".into());
    }
    let comment = (!notes.is_empty()).then(|| notes.join("; "));
    Some((ir::Mount { target, options: options.join(","), comment }, span))
}

/// `size="1G"` as the option `size=1G`: bytes with a unit, or a share of RAM; never zero.
fn size(r: &Reader) -> Option<String> {
    let d = r.d;
    let size = r.str_prop("size", "\"1G\"")?;
    if !grammar::tmpfs_size(&size.value) {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a tmpfs size", size.value.escape_debug()))
                .at(size.span, "not a size")
                .help("write bytes with an optional unit `k`, `m`, `g`, or a share of RAM like `25%`"),
        );
        return None;
    }
    if validate::zero_limit(d, &size, "tmpfs size") {
        return None;
    }
    Some(format!("size={}", size.value))
}

/// `mode="1777"` as the option `mode=1777`; world-writable without the sticky bit needs a
/// reason, noted in `notes`.
fn mode(r: &Reader, notes: &mut Vec<String>) -> Option<String> {
    let d = r.d;
    let mode = r.str_prop("mode", "\"1777\"")?;
    let Some(bits) = grammar::octal_mode(&mode.value) else {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{}` is not an octal mode", mode.value.escape_debug()))
                .at(mode.span, "not a mode")
                .help("write an octal mode such as `\"1777\"`"),
        );
        return None;
    };
    if bits & 0o002 != 0 && bits & 0o1000 == 0 {
        // World-writable without the sticky bit: any user may delete or replace any other
        // user's files (the /tmp symlink and race attacks).
        let what = format!("mode `{}` (world-writable without the sticky bit)", mode.value);
        let reason = need_reason(r, &what, mode.span, "add the sticky bit, e.g. `\"1777\"`")?;
        notes.push(format!("mode {} without the sticky bit: {reason}", mode.value));
    }
    Some(format!("mode={}", mode.value))
}
