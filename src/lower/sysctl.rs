//! `sysctl profile=hardened { set KEY VALUE; unset KEY reason=… }`

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;
use crate::stdlib;

use super::node::{Reader, Seen, children, duplicate, one_of};
use super::{need_reason, validate};

/// What forwarding must be when containers run on the host.
pub(crate) const FORWARD_KEY: &str = "net.ipv4.ip_forward";

pub(crate) fn lower(n: &Node, d: &Diags, containers: Option<&str>) -> Option<ir::Sysctl> {
    let r = Reader::new(n, d);
    let profile = r.str_prop("profile", "hardened").and_then(|v| one_of(d, "`profile`", &v, stdlib::SYSCTL_PROFILES));
    r.block_done();
    let catalog = profile.as_deref().and_then(stdlib::sysctl_profile);
    let options = enabled_options(n, d, catalog);
    let mut t = Table { settings: catalog.map(|p| from_catalog(p, &options)).unwrap_or_default(), ..Table::default() };
    t.from_profile = t.settings.iter().map(|s| s.key.clone()).collect();
    let mut seen = Seen::new("");
    for c in children(n, &["set", "unset", "enable"], &[], d).into_iter().filter(|c| c.name() != "enable") {
        let cr = Reader::new(c, d);
        let key =
            cr.str_arg(0, "a key", "`set \"net.ipv4.ip_forward\" 0`").and_then(|k| key(d, &k).map(|v| (v, k.span)));
        match key {
            Some(key) if seen.first(d, &key.0, key.1) => {
                if c.name() == "unset" {
                    unset(&cr, key, &mut t);
                } else {
                    set(&cr, key, &mut t);
                }
            }
            _ => {}
        }
        cr.leaf_done();
    }
    let Table { mut settings, removed, .. } = t;
    if let Some(why) = containers {
        forward_for_containers(d, &mut settings, seen.all(), why);
    }
    if settings.is_empty() && removed.is_empty() && n.children().is_empty() {
        d.push(
            Diagnostic::new(Kind::Missing, "`sysctl` sets nothing")
                .at(n.name.span, "empty")
                .help("add `profile=hardened` or `set` lines"),
        );
        return None;
    }
    Some(ir::Sysctl { profile, options, settings, removed })
}

/// The settings being built: the profile's, then the spec's `set` and `unset` lines.
#[derive(Default)]
struct Table {
    settings: Vec<ir::SysctlSetting>,
    /// The keys the profile (with its enabled options) sets, before any line of the spec.
    from_profile: Vec<String>,
    removed: Vec<ir::Removed>,
}

/// The profile's settings with `options` on: an option's setting replaces the default for
/// its key.
fn from_catalog(p: &stdlib::SysctlProfile, options: &[ir::SysctlOption]) -> Vec<ir::SysctlSetting> {
    let on = |o: &String| options.iter().any(|x| x.name == *o);
    p.setting
        .iter()
        .filter(|s| match &s.option {
            Some(o) => on(o),
            None => !p.setting.iter().any(|x| x.key == s.key && x.option.as_ref().is_some_and(on)),
        })
        .map(|s| ir::SysctlSetting {
            key: s.key.clone(),
            value: s.value.clone(),
            optional: s.optional,
            group: s.group.clone(),
            comment: s.comment.clone(),
            acts_as: None,
        })
        .collect()
}

/// `unset KEY reason=…`: a key of the profile, removed with its reason.
fn unset(cr: &Reader, key: (String, Span), t: &mut Table) {
    if !t.from_profile.contains(&key.0) {
        cr.d.push(
            Diagnostic::new(Kind::UnknownReference, format!("`{}` is not set by the profile", key.0))
                .at(key.1, "nothing to unset")
                .help("`unset` removes a key of the `profile`; remove this line"),
        );
    } else if let Some(reason) = need_reason(cr, &format!("unsetting `{}`", key.0), key.1, "keep the profile's value") {
        t.settings.retain(|s| s.key != key.0);
        t.removed.push(ir::Removed { key: key.0, reason });
    }
}

/// `set KEY VALUE [optional=…] [reason=…]`: a new key, or a profile key's new value. A
/// change of the profile's value, a key that acts as a profile key, or one that makes the
/// kernel run or load something needs a reason.
fn set(cr: &Reader, key: (String, Span), t: &mut Table) {
    let d = cr.d;
    let value = cr.arg(1).and_then(|v| value(d, v));
    if cr.arg(1).is_none() {
        d.push(
            Diagnostic::new(Kind::Missing, format!("`set {}` needs a value", key.0))
                .at(key.1, "value missing after this key")
                .help("for example: `set \"net.ipv4.ip_forward\" 0`"),
        );
    }
    let optional = cr.bool_prop("optional").map(|b| b.value);
    let settings = &mut t.settings;
    let existing = settings.iter().position(|s| s.key == key.0);
    // By meaning: a key that acts as a profile key (`net.ipv4.conf.all.forwarding` is
    // `ip_forward`; an interface's `send_redirects` is OR-ed with `all`'s), or one that
    // makes the kernel run, load or route something.
    let meaning = stdlib::sysctl_meaning();
    let alias = existing.is_none().then(|| meaning.alias(&key.0, &t.from_profile)).flatten().and_then(|target| {
        let s = settings.iter().find(|s| s.key == target)?;
        value.as_ref().is_some_and(|v| *v != s.value).then(|| (target.to_string(), s.value.clone()))
    });
    let helper = existing.is_none().then(|| meaning.helper(&key.0)).flatten();
    let comment = match (existing, &value) {
        (Some(i), Some(v)) if settings[i].value != *v => need_reason(
            cr,
            &format!("changing `{}` from the profile's `{}`", key.0, settings[i].value),
            key.1,
            "keep the profile's value",
        ),
        (None, Some(_)) if let Some((target, was)) = &alias => need_reason(
            cr,
            &format!("`{}`, which acts as the profile's `{target}` (`{was}`),", key.0),
            key.1,
            &format!("remove it, or keep `{target}`'s value"),
        ),
        (None, Some(_)) if let Some(does) = helper => {
            need_reason(cr, &format!("`{}` ({does})", key.0), key.1, "leave it as the kernel sets it")
        }
        _ => cr.str_prop("reason", "\"why\"").and_then(|v| validate::reason(d, &v)),
    };
    let Some(value) = value else { return };
    match existing {
        Some(i) => {
            let s = &mut settings[i];
            s.value = value;
            s.optional = optional.unwrap_or(s.optional);
            if comment.is_some() {
                s.comment = comment;
            }
        }
        None => settings.push(ir::SysctlSetting {
            key: key.0,
            value,
            optional: optional.unwrap_or(false),
            group: "Set by the spec".into(),
            comment,
            acts_as: alias.map(|(target, _)| target),
        }),
    }
}

/// `enable NAME…`: the profile's options the spec turns on, each once; two options that set
/// the same key (`ptrace-admin-only`, `ptrace-off`) cannot both be on.
fn enabled_options(n: &Node, d: &Diags, catalog: Option<&stdlib::SysctlProfile>) -> Vec<ir::SysctlOption> {
    let mut on: Vec<(ir::SysctlOption, Span)> = Vec::new();
    for c in n.children().iter().filter(|c| c.name() == "enable") {
        let r = Reader::new(c, d);
        for name in r.str_args(0, "an option", "`enable \"ipv6-static\"`") {
            let Some(catalog) = catalog else {
                d.push(
                    Diagnostic::new(Kind::InvalidValue, "`enable` needs a `profile`")
                        .at(name.span, "no profile to take the option from")
                        .help("write `sysctl profile=hardened { enable … }`"),
                );
                continue;
            };
            let names: Vec<&str> = catalog.option.iter().map(|o| o.name.as_str()).collect();
            let Some(o) = catalog.option(&name.value) else {
                one_of(d, "an option of the profile", &name, &names);
                continue;
            };
            if let Some((_, first)) = on.iter().find(|(x, _)| x.name == o.name) {
                d.push(duplicate(&o.name, name.span, *first));
                continue;
            }
            let keys = |x: &str| -> Vec<&str> {
                catalog.setting.iter().filter(|s| s.option.as_deref() == Some(x)).map(|s| s.key.as_str()).collect()
            };
            let mine = keys(&o.name);
            if let Some((other, at)) = on.iter().find(|(x, _)| keys(&x.name).iter().any(|k| mine.contains(k))) {
                d.push(
                    Diagnostic::new(
                        Kind::ExclusiveOptions,
                        format!("options `{}` and `{}` set the same kernel parameter", other.name, o.name),
                    )
                    .at(name.span, "enabled here")
                    .also(*at, "the other option")
                    .help("keep one of the two"),
                );
                continue;
            }
            on.push((ir::SysctlOption { name: o.name.clone(), tradeoff: o.tradeoff.clone() }, name.span));
        }
        r.leaf_done();
    }
    on.into_iter().map(|(o, _)| o).collect()
}

/// Containers on bridge networks need the host to forward their packets: the profile's
/// `ip_forward = 0` becomes 1 (dockerd would set it at every start anyway, so 0 would not
/// hold); the firewall's forward chain then routes only container traffic. A spec that
/// sets 0 itself while containers run is an error.
fn forward_for_containers(d: &Diags, settings: &mut [ir::SysctlSetting], seen: &[(String, Span)], why: &str) {
    let Some(s) = settings.iter_mut().find(|s| s.key == FORWARD_KEY && s.value.trim() == "0") else { return };
    if let Some((_, at)) = seen.iter().find(|(k, _)| k == FORWARD_KEY) {
        d.push(
            Diagnostic::new(Kind::ForwardingOff, format!("`{FORWARD_KEY} = 0` stops every container on this host"))
                .at(*at, "forwarding turned off here")
                .help(format!(
                    "{why}: bridge-networked containers need forwarding (dockerd turns it back on at start); \
                     remove this line, or say `host containers=#false` if the containers run elsewhere"
                )),
        );
        return;
    }
    s.value = "1".into();
    s.comment =
        Some(format!("{why}: containers need forwarding; the firewall's forward chain routes only their traffic"));
}

/// A dotted sysctl key: components of letters, digits, `_` and `-`.
fn key(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    if crate::grammar::sysctl_key(s) {
        Some(s.clone())
    } else {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a sysctl key", s.escape_debug()))
                .at(v.span, "not a sysctl key")
                .help("write a dotted key such as `net.ipv4.tcp_syncookies`"),
        );
        None
    }
}

/// A value: an integer, or a short string of digits, letters and separators.
fn value(d: &Diags, v: &Spanned<Value>) -> Option<String> {
    match &v.value {
        Value::Int(i) => Some(i.to_string()),
        Value::String(s)
            if !s.is_empty()
                && s.len() <= 128
                && s.chars().all(|c| c.is_ascii_alphanumeric() || " \t._:,/-".contains(c))
                && !s.trim().is_empty() =>
        {
            Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Value::String(_) => {
            d.push(
                Diagnostic::new(Kind::UnsafeValue, "this sysctl value is not safe to write")
                    .at(v.span, "unsafe value")
                    .help("values are numbers or words of letters, digits and `._:,/-`, on one line"),
            );
            None
        }
        other => {
            d.push(
                Diagnostic::new(
                    Kind::WrongType,
                    format!("a sysctl value must be a number or a string, found {}", other.type_name()),
                )
                .at(v.span, "wrong type")
                .help("write `1` for on and `0` for off"),
            );
            None
        }
    }
}
