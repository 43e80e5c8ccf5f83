//! `audit buffer=… failure=… immutable=… { rules SET…; watch PATH perms=… key=…; syscall NAME… key=… }`

use crate::ast::{Node, Spanned};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir::{self, AuditRule};
use crate::stdlib;

use super::node::{Reader, Seen, children};
use super::validate;

/// The kernel audit backlog pynoc writes when the spec says nothing (CIS Debian 12 6.2.1.4
/// asks for 8192 or more).
const DEFAULT_BUFFER: u32 = 8192;

pub(crate) fn lower(n: &Node, d: &Diags, release: &stdlib::Release) -> Option<ir::Audit> {
    let r = Reader::new(n, d);
    let (buffer, failure, weakened) = backlog(&r);
    let immutable = r.bool_prop("immutable");
    let immutable_reason = immutable.as_ref().filter(|v| !v.value).and_then(|v| {
        super::need_reason(
            &r,
            "`immutable=#false` (rules that root can change at run time)",
            v.span,
            "keep the rules locked (`-e 2`)",
        )
    });
    let immutable = immutable.map(|v| v.value).unwrap_or(true);
    r.block_done();
    let mut groups: Vec<ir::AuditGroup> = Vec::new();
    let mut seen = Seen::new("rule set");
    let mut custom: Vec<AuditRule> = Vec::new();
    for c in children(n, &["rules", "watch", "syscall"], &[], d) {
        let cr = Reader::new(c, d);
        match c.name() {
            "rules" => groups.extend(rules(&cr, &mut seen, release)),
            "watch" => custom.extend(watch(&cr, c)),
            _ => custom.extend(syscall(&cr, c)),
        }
        cr.leaf_done();
    }
    // No `rules` line: the default sets, in the catalog's order.
    if !n.children().iter().any(|c| c.name() == "rules") {
        let sets = stdlib::audit_sets();
        let defaults: Vec<ir::AuditGroup> =
            sets.set.iter().filter(|(_, s)| s.default).map(|(name, s)| group(name, s, release)).collect();
        groups.splice(0..0, defaults);
    }
    if !custom.is_empty() {
        groups.push(ir::AuditGroup { name: "custom".into(), comment: "Rules of this spec".into(), rules: custom });
    }
    Some(ir::Audit { span: n.name.span, buffer, failure, weakened, immutable, immutable_reason, groups })
}

/// `buffer=` and `failure=`, with the weakenings they need a reason for: a backlog smaller
/// than the default loses events under load; failure mode 0 loses them silently.
fn backlog(r: &Reader) -> (u32, u8, Vec<String>) {
    let buffer_v = r.int_prop("buffer", 64, 1 << 20);
    let failure_v = r.int_prop("failure", 0, 2);
    let buffer = buffer_v.as_ref().map(|v| v.value as u32).unwrap_or(DEFAULT_BUFFER);
    let failure = failure_v.as_ref().map(|v| v.value as u8).unwrap_or(1);
    let mut weakened = Vec::new();
    if let Some(v) = buffer_v.as_ref().filter(|v| (v.value as u32) < DEFAULT_BUFFER)
        && let Some(reason) = super::need_reason(
            r,
            &format!("`buffer={}` (under {DEFAULT_BUFFER}: events are lost when the backlog fills)", v.value),
            v.span,
            &format!("keep `buffer={DEFAULT_BUFFER}` or more"),
        )
    {
        weakened.push(format!("backlog {buffer} (under {DEFAULT_BUFFER}): {reason}"));
    }
    if let Some(v) = failure_v.as_ref().filter(|v| v.value == 0)
        && let Some(reason) = super::need_reason(
            r,
            "`failure=0` (lost events are not even logged)",
            v.span,
            "keep `failure=1` (printk) or `failure=2` (panic)",
        )
    {
        weakened.push(format!("failure mode 0 (silent): {reason}"));
    }
    (buffer, failure, weakened)
}

/// `rules SET…`: the catalog's named sets, each once.
fn rules(cr: &Reader, seen: &mut Seen, release: &stdlib::Release) -> Vec<ir::AuditGroup> {
    let d = cr.d;
    let sets = stdlib::audit_sets();
    let mut groups = Vec::new();
    for name in cr.str_args(0, "a rule set name", "`rules time-change identity`") {
        let Some(set) = sets.set.get(&name.value) else {
            let set_names: Vec<&str> = sets.set.keys().map(String::as_str).collect();
            d.push(
                Diagnostic::new(Kind::UnknownReference, format!("no audit rule set named `{}`", name.value))
                    .at(name.span, "unknown rule set")
                    .help(unknown_help(&name.value, &set_names)),
            );
            continue;
        };
        if seen.first(d, &name.value, name.span) {
            groups.push(group(&name.value, set, release));
        }
    }
    groups
}

/// `watch PATH perms=… key=…`.
fn watch(cr: &Reader, c: &Node) -> Option<AuditRule> {
    let d = cr.d;
    let path = cr
        .str_arg(0, "a path", "`watch \"/etc/nginx/nginx.conf\" perms=wa key=nginx-config`")
        .and_then(|p| validate::path(d, &p, "watch path", false));
    let perms = cr.str_prop("perms", "wa").and_then(|p| perms(d, &p)).unwrap_or_else(|| "wa".into());
    let key = required_key(cr, c);
    Some(AuditRule::Watch { path: path?, perms, key: key? })
}

/// `syscall NAME… key=…`: one rule per ABI that has the syscalls.
fn syscall(cr: &Reader, c: &Node) -> Vec<AuditRule> {
    let d = cr.d;
    let table = stdlib::syscalls();
    let mut names = Vec::new();
    for s in cr.str_args(0, "a syscall name", "`syscall mount umount2 key=mounts`") {
        if table.b64.contains(&s.value) || table.b32.contains(&s.value) {
            names.push(s.value);
        } else {
            let known: Vec<&str> = table.b64.iter().chain(&table.b32).map(String::as_str).collect();
            d.push(
                Diagnostic::new(Kind::UnknownReference, format!("`{}` is not a syscall pynoc knows", s.value))
                    .at(s.span, "unknown syscall")
                    .help(unknown_help(&s.value, &known)),
            );
        }
    }
    match required_key(cr, c) {
        Some(key) if !names.is_empty() => per_arch(&names, &[], &key),
        _ => Vec::new(),
    }
}

/// A named set's rules, keyed by its name.
fn group(name: &str, set: &stdlib::AuditSet, release: &stdlib::Release) -> ir::AuditGroup {
    let mut rules = Vec::new();
    for sr in &set.syscall_rules {
        rules.extend(per_arch(&sr.syscalls, &sr.filters, name));
    }
    for e in &set.exec {
        rules.push(AuditRule::Exec { path: e.path.clone(), filters: e.filters.clone(), key: name.into() });
    }
    // A file the release writes: its login records are utmp files or wtmpdb's database.
    for w in set.watches.iter().filter(|w| w.records.as_ref().is_none_or(|r| *r == release.login_records)) {
        rules.push(AuditRule::Watch { path: w.path.clone(), perms: w.perms.clone(), key: name.into() });
    }
    ir::AuditGroup { name: name.into(), comment: set.comment.clone(), rules }
}

/// One rule per x86_64 ABI, each naming only the syscalls that ABI has.
fn per_arch(syscalls: &[String], filters: &[String], key: &str) -> Vec<AuditRule> {
    let t = stdlib::syscalls();
    [("b64", &t.b64), ("b32", &t.b32)]
        .into_iter()
        .filter_map(|(arch, table)| {
            let present: Vec<String> = syscalls.iter().filter(|s| table.contains(s)).cloned().collect();
            (!present.is_empty()).then(|| AuditRule::Syscall {
                arch: arch.into(),
                syscalls: present,
                filters: filters.to_vec(),
                key: key.into(),
            })
        })
        .collect()
}

fn perms(d: &Diags, v: &Spanned<String>) -> Option<String> {
    // An empty set is refused too (it used to fall back to `wa` without a word).
    validate::accept(
        d,
        v,
        crate::grammar::audit_perms(&v.value),
        Kind::InvalidValue,
        if v.value.is_empty() {
            "`perms` is empty: it names no audit permission".to_string()
        } else {
            format!("`{}` is not a set of audit permissions", v.value.escape_debug())
        },
        "invalid permissions",
        "use the letters `r`, `w`, `x`, `a` once each, e.g. `wa`",
    )
}

fn required_key(r: &Reader, c: &Node) -> Option<String> {
    match r.str_prop("key", "nginx-config") {
        Some(k) => {
            let ok = crate::grammar::audit_key(&k.value);
            if ok {
                Some(k.value)
            } else {
                r.d.push(
                    Diagnostic::new(
                        Kind::UnsafeValue,
                        format!("`{}` is not a valid audit key", k.value.escape_debug()),
                    )
                    .at(k.span, "invalid key")
                    .help("keys are letters, digits, `-` and `_`, at most 31 characters"),
                );
                None
            }
        }
        None => {
            r.d.push(
                Diagnostic::new(Kind::Missing, format!("`{}` needs a `key`", c.name()))
                    .at(c.name.span, "no key")
                    .help("add `key=NAME` so `ausearch -k NAME` finds these events"),
            );
            None
        }
    }
}
