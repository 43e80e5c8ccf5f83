//! Value formats shared by the sections: names, paths, networks, comments. Each check
//! rejects what could inject syntax into an artifact, with a diagnostic at the value.

use ipnet::IpNet;

use crate::ast::Spanned;
use crate::diag::{Diagnostic, Diags, Kind};

fn bad(d: &Diags, kind: Kind, v: &Spanned<String>, what: &str, label: &str, help: &str) {
    d.push(
        Diagnostic::error(kind, format!("{what} `{}` is not valid", v.value.escape_debug()))
            .at(v.span, label)
            .help(help.to_string()),
    );
}

/// The value when `ok`; otherwise an error at it with `message`, `label` and `help`.
pub fn accept(
    d: &Diags,
    v: &Spanned<String>,
    ok: bool,
    kind: Kind,
    message: String,
    label: &str,
    help: &str,
) -> Option<String> {
    if ok {
        return Some(v.value.clone());
    }
    d.push(Diagnostic::error(kind, message).at(v.span, label).help(help.to_string()));
    None
}

/// A lowercase name: project, network, key names. `[a-z][a-z0-9_-]*`, at most `max` long.
pub fn ident(d: &Diags, v: &Spanned<String>, what: &str, max: usize) -> Option<String> {
    let s = &v.value;
    let ok = !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Some(s.clone())
    } else {
        bad(
            d,
            Kind::InvalidValue,
            v,
            what,
            "not a valid name",
            &format!("use lowercase letters, digits, `-` and `_`, starting with a letter, at most {max} characters"),
        );
        None
    }
}

/// An absolute path of safe characters: no whitespace, quotes, `%`, `;`, `$` or control
/// characters, no `..` component. `glob` also allows `*`.
pub fn path(d: &Diags, v: &Spanned<String>, what: &str, glob: bool) -> Option<String> {
    let s = &v.value;
    let safe = s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+@".contains(c) || (glob && c == '*'));
    if !s.starts_with('/') {
        bad(d, Kind::InvalidValue, v, what, "not an absolute path", "write an absolute path, starting with `/`");
        None
    } else if !safe {
        bad(
            d,
            Kind::UnsafeValue,
            v,
            what,
            "unsafe character in path",
            "paths may contain letters, digits and `/._-+@` only: no spaces, quotes, `%`, `;`, `$` or newlines",
        );
        None
    } else if s.split('/').any(|c| c == "..") || s.len() > 255 {
        bad(d, Kind::InvalidValue, v, what, "not a plain absolute path", "no `..` components, at most 255 characters");
        None
    } else {
        Some(s.clone())
    }
}

/// A network in CIDR notation with no host bits set.
pub fn cidr(d: &Diags, v: &Spanned<String>) -> Option<IpNet> {
    let parsed = v.value.parse::<IpNet>().or_else(|_| v.value.parse::<std::net::IpAddr>().map(IpNet::from));
    match parsed {
        Err(_) => {
            d.push(
                Diagnostic::error(
                    Kind::InvalidValue,
                    format!("`{}` is not a network in CIDR notation", v.value.escape_debug()),
                )
                .at(v.span, "not a CIDR")
                .help("write an address and a prefix length, e.g. `10.0.0.0/8` or `fd00::/8`"),
            );
            None
        }
        Ok(net) if net.addr() != net.network() => {
            d.push(
                Diagnostic::error(Kind::InvalidValue, format!("`{}` has host bits set", v.value))
                    .at(v.span, "host bits set")
                    .help(format!("did you mean `{}`?", net.trunc())),
            );
            None
        }
        Ok(net) => Some(net),
    }
}

/// A free-text comment that every firewall and config syntax can carry as data.
pub fn comment(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || " _.,:/()+-".contains(c));
    if ok {
        Some(s.clone())
    } else {
        bad(
            d,
            Kind::UnsafeValue,
            v,
            "comment",
            "unsafe or too long",
            "comments may contain letters, digits, spaces and `_.,:/()+-`, at most 64 characters",
        );
        None
    }
}

/// A `reason="…"`: free text repeated in a `#` comment, so one line of printable characters.
pub fn reason(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    if s.trim().is_empty() || s.len() > 200 || s.chars().any(|c| c.is_control()) {
        bad(
            d,
            Kind::UnsafeValue,
            v,
            "reason",
            "not a one-line reason",
            "write one line of text, at most 200 characters",
        );
        None
    } else {
        Some(s.clone())
    }
}

/// A DNS host name.
pub fn hostname(d: &Diags, v: &Spanned<String>, what: &str) -> Option<String> {
    let s = &v.value;
    let ok = s.len() <= 253
        && s.split('.').count() >= 2
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if ok {
        Some(s.clone())
    } else {
        bad(d, Kind::InvalidValue, v, what, "not a host name", "write a lowercase DNS name such as `api.example.com`");
        None
    }
}

pub fn email(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
                && domain.contains('.')
                && domain.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        }
        None => false,
    };
    if ok {
        Some(s.clone())
    } else {
        bad(
            d,
            Kind::InvalidValue,
            v,
            "e-mail address",
            "not an e-mail address",
            "write an address such as `admin@example.com`",
        );
        None
    }
}

/// A Unix user name as sshd's AllowUsers reads it.
pub fn user(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Some(s.clone())
    } else {
        bad(
            d,
            Kind::InvalidValue,
            v,
            "user name",
            "not a user name",
            "user names are lowercase letters, digits, `_` and `-`, starting with a letter or `_`, at most 32 characters",
        );
        None
    }
}
