//! Value formats shared by the sections: names, paths, networks, comments. Each check
//! rejects what could inject syntax into an artifact, with a diagnostic at the value; the
//! grammars themselves are in [`crate::grammar`], written once and table-tested there.

use ipnet::IpNet;

use crate::ast::Spanned;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::grammar;

fn bad(d: &Diags, kind: Kind, v: &Spanned<String>, what: &str, label: &str, help: &str) {
    d.push(
        Diagnostic::new(kind, format!("{what} `{}` is not valid", v.value.escape_debug()))
            .at(v.span, label)
            .help(help.to_string()),
    );
}

/// The value when `ok`; otherwise an error at it with `message`, `label` and `help`.
pub(crate) fn accept(
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
    d.push(Diagnostic::new(kind, message).at(v.span, label).help(help.to_string()));
    None
}

/// A lowercase name: project, network, key names. `[a-z][a-z0-9_-]*`, at most `max` long.
pub(crate) fn ident(d: &Diags, v: &Spanned<String>, what: &str, max: usize) -> Option<String> {
    let s = &v.value;
    if grammar::name(s, max) {
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
pub(crate) fn path(d: &Diags, v: &Spanned<String>, what: &str, glob: bool) -> Option<String> {
    let s = &v.value;
    let safe = grammar::path_chars(s, glob);
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
    } else if !grammar::absolute_path(s, glob) {
        bad(d, Kind::InvalidValue, v, what, "not a plain absolute path", "no `..` components, at most 255 characters");
        None
    } else {
        // Canonical before any rule sees it: `//etc`, `/./etc` and `/etc/.` are `/etc`.
        crate::syspaths::canonical(s)
    }
}

/// A path a root process acts on ([`crate::syspaths::Place`]): a safe, canonical path that
/// lies where the place's allow-list says, else an error at the value naming the list.
pub(crate) fn placed(d: &Diags, v: &Spanned<String>, place: crate::syspaths::Place, project: &str) -> Option<String> {
    let rule = place.rule();
    let p = path(d, v, rule.what, false)?;
    if crate::syspaths::permitted(place, &p, project) {
        return Some(p);
    }
    let (inside, exactly) = crate::syspaths::allowed(place, project);
    let mut allowed: Vec<String> = inside.iter().filter(|i| !i.ends_with('/')).map(|i| format!("`{i}/…`")).collect();
    allowed.extend(exactly.iter().map(|e| format!("`{e}`")));
    let shown = if p == v.value { String::new() } else { format!(" (`{p}`)") };
    d.push(
        Diagnostic::new(
            Kind::SystemPath,
            format!("`{}`{shown} is not a place for {}: {}", v.value.escape_debug(), rule.what, rule.because),
        )
        .at(v.span, "outside the allowed directories")
        .help(format!("put it in {}", allowed.join(", "))),
    );
    None
}

/// A network in CIDR notation with no host bits set.
pub(crate) fn cidr(d: &Diags, v: &Spanned<String>) -> Option<IpNet> {
    let parsed = v.value.parse::<IpNet>().or_else(|_| v.value.parse::<std::net::IpAddr>().map(IpNet::from));
    match parsed {
        Err(_) => {
            d.push(
                Diagnostic::new(
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
                Diagnostic::new(Kind::InvalidValue, format!("`{}` has host bits set", v.value))
                    .at(v.span, "host bits set")
                    .help(format!("did you mean `{}`?", net.trunc())),
            );
            None
        }
        Ok(net) => Some(net),
    }
}

/// A free-text comment that every firewall and config syntax can carry as data.
pub(crate) fn comment(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    if grammar::comment(s) {
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

/// A character that must not appear in free text written into an artifact (see
/// [`crate::term::hidden_char`]: controls, separators, every format and tag character).
pub(crate) fn hidden_char(c: char) -> bool {
    crate::term::hidden_char(c)
}

/// A `reason="…"`: free text repeated in a `#` comment, so one line of printable characters.
pub(crate) fn reason(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    if !grammar::one_line(s, 200) {
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
pub(crate) fn hostname(d: &Diags, v: &Spanned<String>, what: &str) -> Option<String> {
    let s = &v.value;
    if grammar::hostname(s) {
        Some(s.clone())
    } else {
        bad(d, Kind::InvalidValue, v, what, "not a host name", "write a lowercase DNS name such as `api.example.com`");
        None
    }
}

pub(crate) fn email(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    if grammar::email(s) {
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
pub(crate) fn user(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let s = &v.value;
    if grammar::user(s) {
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

/// The smallest prefix a network named in an allow or ignore list may have: a shorter one
/// covers so much of the address space that it means "everyone" (`0.0.0.0/1` and
/// `128.0.0.0/1` together are `/0`; `2000::/3` is every global IPv6 address).
pub(crate) const MIN_PREFIX_V4: u8 = 8;
pub(crate) const MIN_PREFIX_V6: u8 = 32;

/// IPv6 ranges that embed the whole IPv4 space, with the bit where the IPv4 address starts:
/// IPv4-mapped, IPv4-compatible, NAT64 and 6to4.
const V4_IN_V6: &[(&str, u8)] = &[("::ffff:0:0/96", 96), ("::/96", 96), ("64:ff9b::/96", 96), ("2002::/16", 16)];

/// The IPv4 network an IPv6 one stands for, when it lies in (or spans) a range that embeds
/// IPv4: `::ffff:0:0/96` is the IPv4 `/0`, and so is `::ffff:0:0/95`, which contains it.
fn embedded_v4(net: &IpNet) -> Option<ipnet::Ipv4Net> {
    let IpNet::V6(v6) = net else { return None };
    V4_IN_V6.iter().find_map(|(range, at)| {
        let range: ipnet::Ipv6Net = range.parse().expect("a valid range");
        if v6.prefix_len() < *at {
            return v6.contains(&range.network()).then(ipnet::Ipv4Net::default);
        }
        if !range.contains(&v6.network()) {
            return None;
        }
        let bits = u128::from(v6.network());
        let v4 = std::net::Ipv4Addr::from(((bits >> (128 - u32::from(*at) - 32)) & 0xffff_ffff) as u32);
        Some(ipnet::Ipv4Net::new(v4, (v6.prefix_len() - at).min(32)).expect("len ≤ 32").trunc())
    })
}

/// A network that grants something (an allow rule, a fail2ban exemption, a pg_hba line):
/// refused when it covers more of the address space than [`MIN_PREFIX_V4`] /
/// [`MIN_PREFIX_V6`] allow, however it is written.
pub(crate) fn narrow(d: &Diags, v: &Spanned<String>, net: IpNet, grants: &str, help: &str) -> Option<IpNet> {
    let (len, family, seen) = match net {
        IpNet::V4(n) if n.prefix_len() < MIN_PREFIX_V4 => (n.prefix_len(), "IPv4", String::new()),
        IpNet::V6(n) if n.prefix_len() < MIN_PREFIX_V6 => (n.prefix_len(), "IPv6", String::new()),
        _ => match embedded_v4(&net) {
            Some(v4) if v4.prefix_len() < MIN_PREFIX_V4 => {
                (v4.prefix_len(), "IPv4", format!(" (it is the IPv4 network `{v4}` written as IPv6)"))
            }
            _ => return Some(net),
        },
    };
    let share = if len == 0 { "all".to_string() } else { format!("1/{}", 1u128 << len) };
    d.push(
        Diagnostic::new(
            Kind::BroadNetwork,
            format!("`{}` covers {share} of the {family} address space{seen}: {grants}", v.value.escape_debug()),
        )
        .at(v.span, "too broad")
        .help(format!("{help}; a granted network is at least a /{MIN_PREFIX_V4} (IPv4) or /{MIN_PREFIX_V6} (IPv6)")),
    );
    None
}

/// A path the spec hands to someone (ownership, a mount): refused when it is a system
/// directory (`crate::syspaths`), inside root's home, or one of `also`, with `grants` saying
/// what would happen. Each of `also` is (path, whether paths inside it count too, what it is).
pub(crate) fn handed_path(
    d: &Diags,
    v: &Spanned<String>,
    p: &str,
    also: &[(&str, bool, &str)],
    grants: &str,
) -> Option<String> {
    let hit = crate::syspaths::system_dir(p).map(|s| (s, "a system directory")).or_else(|| {
        [("/root", true, "root's home")]
            .iter()
            .chain(also)
            .find(|(a, inside, _)| p == *a || (*inside && crate::syspaths::within(p, a)))
            .map(|(a, _, why)| (*a, *why))
    });
    match hit {
        None => Some(p.to_string()),
        Some((at, why)) => {
            d.push(
                Diagnostic::new(Kind::SystemPath, format!("`{}` is {why} (`{at}`): {grants}", v.value.escape_debug()))
                    .at(v.span, "a path that must stay out of reach")
                    .help("name a directory of the application's own, such as `/app/data` or `/srv/NAME/data`"),
            );
            None
        }
    }
}

/// Reports a limit of zero, which its consumer reads as "unlimited"; true when it did.
pub(crate) fn zero_limit(d: &Diags, v: &Spanned<String>, what: &str) -> bool {
    if !grammar::zero_size(&v.value) {
        return false;
    }
    d.push(
        Diagnostic::new(Kind::ZeroLimit, format!("a {what} of `{}` switches the limit off", v.value))
            .at(v.span, "zero means unlimited")
            .help(format!("give the {what} a real bound; to raise it, write a larger value")),
    );
    true
}

/// A tmpfs mount point: refused over a system or data directory (it would hide the files
/// below it, or replace them with an empty, writable directory).
pub(crate) fn tmpfs_target(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let p = path(d, v, "tmpfs mount point", false)?;
    let image = ["/app", "/opt/venv"].into_iter().find(|dir| crate::syspaths::within(&p, dir));
    match crate::syspaths::tmpfs_hides(&p).or(image) {
        None => Some(p),
        Some(at) => {
            d.push(
                Diagnostic::new(Kind::SystemPath, format!("a tmpfs on `{p}` would hide `{at}`"))
                    .at(v.span, "a system directory")
                    .help("mount tmpfs on scratch directories only, such as `/tmp`, `/var/tmp`, `/dev/shm` or `/run/NAME`"),
            );
            None
        }
    }
}

/// What makes an environment variable look like it carries a secret, if anything: its name
/// (`*_PASSWORD`, `*_TOKEN`, …, unless it is a `*_FILE` that points at one) or the shape
/// of its value (cloud keys, tokens, private keys).
pub(crate) fn secret_like(name: &str, value: &str) -> Option<&'static str> {
    const NAMES: &[&str] =
        &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "PRIVATE_KEY", "API_KEY", "ACCESS_KEY", "CREDENTIAL", "AUTH_KEY"];
    if !name.ends_with("_FILE") && NAMES.iter().any(|n| name.contains(n)) && !value.is_empty() {
        return Some("its name says it holds a secret");
    }
    let v = value.trim();
    let token = |prefix: &str, min: usize| {
        v.starts_with(prefix)
            && v.len() >= min
            && v[prefix.len()..].chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
    };
    let aws = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA"]
        .iter()
        .any(|p| v.len() == 20 && v.starts_with(p) && v.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    if aws {
        return Some("it is an AWS access key id");
    }
    if v.contains("-----BEGIN") {
        return Some("it holds a PEM key or certificate");
    }
    for (prefix, min, why) in [
        ("ghp_", 36, "it is a GitHub token"),
        ("gho_", 36, "it is a GitHub token"),
        ("ghs_", 36, "it is a GitHub token"),
        ("ghu_", 36, "it is a GitHub token"),
        ("github_pat_", 40, "it is a GitHub token"),
        ("glpat-", 26, "it is a GitLab token"),
        ("xoxb-", 20, "it is a Slack token"),
        ("xoxp-", 20, "it is a Slack token"),
        ("sk_live_", 24, "it is a Stripe key"),
        ("sk-", 40, "it is an API secret key"),
        ("AIza", 39, "it is a Google API key"),
    ] {
        if token(prefix, min) {
            return Some(why);
        }
    }
    let jwt = v.starts_with("eyJ") && v.split('.').count() == 3 && v.len() > 30;
    if jwt {
        return Some("it is a signed token (JWT)");
    }
    None
}
