//! `set NAME VALUE`: server settings checked against the target version's parameters.

use crate::ast::{Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use crate::stdlib::PgParam;

use super::super::node::Reader;

pub(super) fn push_setting(
    pg: &mut ir::Postgres,
    params: &std::collections::BTreeMap<String, PgParam>,
    name: &str,
    value: &str,
    reason: Option<String>,
) {
    let p = &params[name];
    let s = ir::PgSetting {
        name: name.into(),
        value: value.into(),
        reason,
        context: p.context.clone(),
        apply: if p.context == "postmaster" { "restart".into() } else { "reload".into() },
    };
    if normalize(p, value) == normalize(p, &p.default) {
        pg.defaults.push(s);
    } else {
        pg.settings.push(s);
    }
}

pub(super) fn normalize(p: &PgParam, v: &str) -> String {
    match p.kind.as_str() {
        "bool" => match v {
            "on" | "true" | "yes" | "1" => "on".into(),
            _ => "off".into(),
        },
        "integer" | "real" => v.parse::<f64>().map(|f| f.to_string()).unwrap_or_else(|_| v.to_string()),
        _ => v.to_string(),
    }
}

/// `set NAME VALUE`: a parameter of the target version, with a value of its type; a
/// dangerous value or a change of pynoc's hardening needs a reason.
pub(super) fn setting(
    r: &Reader,
    params: &std::collections::BTreeMap<String, PgParam>,
    version: u32,
) -> Option<((String, Span), String, Option<String>)> {
    let d = r.d;
    let name = r.str_arg(0, "a parameter name", "`set log_connections #true`")?;
    let value = r.arg(1);
    let p = param(d, &name, params, version)?;
    let Some(value) = value else {
        d.push(
            Diagnostic::new(Kind::Missing, format!("`set {}` needs a value", p.name))
                .at(name.span, "no value")
                .help(format!("for example: `set {} {}`", p.name, example(p))),
        );
        return None;
    };
    let text = text(r, p, value)?;
    let reason = reason(r, p, &name, &text)?;
    Some(((name.value.clone(), name.span), text, reason))
}

/// The parameter `name` names in this version, if it may be set.
fn param<'a>(
    d: &Diags,
    name: &Spanned<String>,
    params: &'a std::collections::BTreeMap<String, PgParam>,
    version: u32,
) -> Option<&'a PgParam> {
    let Some(p) = params.get(&name.value) else {
        let known: Vec<&str> = params.keys().map(String::as_str).collect();
        let help = match name.value.as_str() {
            "log_failed_login_attempts" => "PostgreSQL has no such parameter: failed logins are logged anyway (`FATAL: password authentication failed`); `log_connections` logs every attempt".to_string(),
            "session_timeout" => "PostgreSQL has no such parameter: use `idle_session_timeout` (14+) or `idle_in_transaction_session_timeout`".to_string(),
            other => unknown_help(other, &known),
        };
        d.push(
            Diagnostic::new(Kind::UnknownReference, format!("no parameter `{}` in PostgreSQL {version}", name.value))
                .at(name.span, "no such parameter")
                .help(help),
        );
        return None;
    };
    if p.context == "internal" {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{}` is read-only", p.name))
                .at(name.span, "cannot be set")
                .help("internal parameters are fixed when PostgreSQL is built or initialized"),
        );
        return None;
    }
    Some(p)
}

/// The value as postgresql.conf and `ALTER SYSTEM` take it, when it has the parameter's type.
fn text(r: &Reader, p: &PgParam, value: &Spanned<Value>) -> Option<String> {
    let d = r.d;
    match (&value.value, p.kind.as_str()) {
        (Value::Bool(b), "bool") => Some(if *b { "on" } else { "off" }.to_string()),
        (Value::Int(i), "integer") => int_in_range(r, p, *i, value.span).then(|| i.to_string()),
        (Value::String(s), "integer")
            if !p.unit.is_empty()
                && s.len() <= 16
                && s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse::<i64>().is_ok()
                && ["B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d"]
                    .contains(&s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')) =>
        {
            Some(s.clone())
        }
        (Value::Int(i), "real") => real_in_range(r, p, *i as f64, value.span).then(|| i.to_string()),
        (Value::Float(f), "real") => real_in_range(r, p, *f, value.span).then(|| f.to_string()),
        (Value::String(s), "enum") if p.values.contains(s) => Some(s.clone()),
        (Value::String(s), "enum") => {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("`{}` cannot be `{s}`", p.name))
                    .at(value.span, "not a valid choice")
                    .help(format!(
                        "expected one of: {}",
                        p.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                    )),
            );
            None
        }
        (Value::String(s), "string") => {
            if s.chars().any(|c| super::super::validate::hidden_char(c) || c == '\\') || s.len() > 1024 {
                d.push(
                    Diagnostic::new(Kind::UnsafeValue, "this setting value is not safe to write")
                        .at(value.span, "unsafe value")
                        .help("one line, no backslash"),
                );
                None
            } else {
                Some(s.clone())
            }
        }
        (other, kind) => {
            d.push(
                Diagnostic::new(
                    Kind::WrongType,
                    format!("`{}` is {}, found {}", p.name, type_name(kind), other.type_name()),
                )
                .at(value.span, "wrong type")
                .help(format!("for example: `set {} {}`", p.name, example(p))),
            );
            None
        }
    }
}

/// The reason a setting needs, if it needs one (`Some(None)`: it needs none; `None`: it
/// needs one and has none, an error already reported).
fn reason(r: &Reader, p: &PgParam, name: &Spanned<String>, text: &str) -> Option<Option<String>> {
    // A setting that runs code, loads a library, moves the server's files or weakens
    // authentication needs a reason; without one it is an error.
    let reason = match crate::stdlib::pg_dangerous().why(&p.name, &normalize(p, text)) {
        Some(why) => Some(super::super::need_reason(
            r,
            &format!("`set {} {text}`", p.name),
            name.span,
            &format!("it {why}; leave it unset"),
        )?),
        None => None,
    };
    // A setting pynoc's hardening makes (stdlib/postgres/hardening.toml), changed: a reason,
    // whatever the new value.
    let hardened = crate::stdlib::pg_hardening().parameter.iter().find(|h| h.name == p.name);
    let reason = match hardened {
        Some(h) if reason.is_none() && normalize(p, text) != normalize(p, &h.value) => Some(super::super::need_reason(
            r,
            &format!("`set {} {text}`, which changes pynoc's `{}`,", p.name, h.value.escape_debug()),
            name.span,
            "leave it to pynoc's hardening",
        )?),
        _ => reason,
    };
    Some(reason)
}

/// An `integer` parameter's value is within its range; otherwise an error at it.
fn int_in_range(r: &Reader, p: &PgParam, i: i128, at: Span) -> bool {
    let f = i as f64;
    if p.min.is_some_and(|m| f < m) || p.max.is_some_and(|m| f > m) {
        r.d.push(
            Diagnostic::new(
                Kind::OutOfRange,
                format!(
                    "`{}` is out of range: {i} is not within {}..={}",
                    p.name,
                    p.min.unwrap_or(f),
                    p.max.unwrap_or(f)
                ),
            )
            .at(at, "out of range")
            .help(format!(
                "use a value from {} to {}{}",
                p.min.unwrap_or(f),
                p.max.unwrap_or(f),
                if p.unit.is_empty() { String::new() } else { format!(" (unit: {})", p.unit) }
            )),
        );
        return false;
    }
    true
}

/// A `real` parameter's value is a finite number within its range (`#nan` and `#inf` are
/// not); otherwise an error at it.
fn real_in_range(r: &Reader, p: &PgParam, f: f64, at: Span) -> bool {
    let (min, max) = (p.min.unwrap_or(f64::MIN), p.max.unwrap_or(f64::MAX));
    let ok = f.is_finite() && f >= min && f <= max;
    if !ok {
        r.d.push(
            Diagnostic::new(
                Kind::OutOfRange,
                format!("`{}` is out of range: {f} is not a number within {min}..={max}", p.name),
            )
            .at(at, "out of range")
            .help(format!("use a finite number from {min} to {max}")),
        );
    }
    ok
}

pub(super) fn type_name(kind: &str) -> &'static str {
    match kind {
        "bool" => "a boolean",
        "integer" => "an integer",
        "real" => "a number",
        "enum" => "one of a set of words",
        _ => "a string",
    }
}

pub(super) fn example(p: &PgParam) -> String {
    match p.kind.as_str() {
        "bool" => "#true".into(),
        "integer" | "real" => p.default.clone(),
        "enum" => format!("\"{}\"", p.values.first().cloned().unwrap_or_default()),
        _ => format!("\"{}\"", p.default),
    }
}
