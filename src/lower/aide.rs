//! `aide mail="…" { exclude "/srv/uploads" reason="…" }`: file integrity monitoring, and the
//! paths that change by design, from the spec's other sections (`derive`).

use crate::ast::Node;
use crate::diag::Diags;
use crate::ir::{self, AideExclude};
use crate::syspaths::Place;

use super::node::{Reader, Seen, children};
use super::{need_reason, validate};

pub(crate) fn lower(n: &Node, d: &Diags, project: &str) -> Option<ir::Aide> {
    let r = Reader::new(n, d);
    let mail = r.str_prop("mail", "\"admin@example.com\"").and_then(|m| validate::email(d, &m));
    r.block_done();
    let mut exclude = Vec::new();
    let mut seen = Seen::new("exclude");
    for c in children(n, &["exclude"], &[], d) {
        let r = Reader::new(c, d);
        let path = r.str_arg(0, "a path", "`exclude \"/srv/uploads\" reason=\"…\"`");
        let reason = need_reason(&r, "a path AIDE skips", c.name.span, "keep it watched");
        r.leaf_done();
        let Some(path) = path else { continue };
        let Some(p) = validate::placed(d, &path, Place::AideExclude, project) else { continue };
        if let Some(reason) = reason
            && seen.first(d, &p, path.span)
        {
            exclude.push(excluded(&p, &reason));
        }
    }
    Some(ir::Aide { exclude, mail })
}

/// What AIDE skips: the path, as its regular expression.
pub(crate) fn excluded(path: &str, reason: &str) -> AideExclude {
    AideExclude { path: path.to_string(), pattern: pattern(path), reason: reason.to_string() }
}

/// A path as an AIDE regular expression for it and everything below it: `/srv/a\.b(/|$)`.
pub(crate) fn pattern(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        // The path grammar's only other characters: `.` and `+` are regex operators, and
        // `@@` would open an AIDE macro.
        if matches!(c, '.' | '+' | '@') {
            out.push('\\');
        }
        out.push(c);
    }
    out + "(/|$)"
}

/// What changes by design on this host, from the spec: the database's files, Docker's, the
/// stack's writable volumes; the report's address.
pub(crate) fn derive(spec: &mut ir::Spec) {
    let mut found = Vec::new();
    if let Some(pg) = spec.postgres.as_ref().filter(|p| p.on_host()) {
        found.push(excluded(
            &format!("/var/lib/postgresql/{}/main", pg.version),
            "the database's files change with every write",
        ));
    }
    let stack = spec.container.as_ref().and_then(|c| c.compose.as_ref());
    if spec.host.as_ref().is_some_and(|h| h.containers.is_some()) || stack.is_some() {
        let why = "Docker's images, containers and volumes change with every deployment";
        found.push(excluded("/var/lib/docker", why));
        found.push(excluded("/var/lib/containerd", why));
    }
    if let Some(stack) = stack {
        let dir = crate::emit::deploy::stack_dir(&spec.project.name);
        for s in &stack.services {
            for v in s.volumes.iter().filter(|v| v.bind && !v.read_only) {
                let rel = v.volume.trim_start_matches("./").trim_end_matches('/');
                if let Some(p) = crate::syspaths::canonical(&format!("{dir}/{rel}")).filter(|p| p.starts_with(&dir)) {
                    found.push(excluded(&p, &format!("a volume the `{}` service writes", s.name)));
                }
            }
        }
    }
    let admin = spec.project.admin_email.clone();
    let Some(aide) = spec.host.as_mut().and_then(|h| h.aide.as_mut()) else { return };
    if aide.mail.is_none() {
        aide.mail = admin;
    }
    for e in found {
        if !aide.exclude.iter().any(|x| x.path == e.path) {
            aide.exclude.push(e);
        }
    }
    aide.exclude.sort_by(|a, b| a.path.cmp(&b.path));
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_becomes_a_literal_pattern() {
        assert_eq!(super::excluded("/srv/my.app", "").pattern, "/srv/my\\.app(/|$)");
        assert_eq!(super::excluded("/srv/a+b@@c", "").pattern, "/srv/a\\+b\\@\\@c(/|$)");
    }
}
