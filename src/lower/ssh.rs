//! `ssh { port 22; permit-root-login #false; allow-users …; client-alive interval=… }`

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;
use crate::stdlib;

use super::node::{Reader, Seen, children};
use super::{need_reason, validate};

const SETTINGS: &[&str] = &[
    "port",
    "permit-root-login",
    "password-authentication",
    "kbd-interactive-authentication",
    "permit-empty-passwords",
    "x11-forwarding",
    "allow-agent-forwarding",
    "allow-tcp-forwarding",
    "max-auth-tries",
    "login-grace-time",
    "allow-users",
    "client-alive",
];

/// The drop-in's keywords that the typed settings above write.
const TYPED: &[&str] = &[
    "Port",
    "PermitRootLogin",
    "PasswordAuthentication",
    "KbdInteractiveAuthentication",
    "PermitEmptyPasswords",
    "X11Forwarding",
    "AllowAgentForwarding",
    "AllowTcpForwarding",
    "MaxAuthTries",
    "LoginGraceTime",
    "ClientAliveInterval",
    "ClientAliveCountMax",
    "AllowUsers",
];

pub(crate) fn lower(n: &Node, d: &Diags, release: &'static stdlib::Release, banner: bool) -> Option<ir::Ssh> {
    Reader::new(n, d).block_done();
    let defaults = stdlib::sshd_defaults();
    let mut s = from_defaults(n, defaults);
    let unset = unsets(n, d, defaults, &mut s);
    let mut known: Vec<&str> = SETTINGS.to_vec();
    known.push("unset");
    for c in children(n, &known, SETTINGS, d).into_iter().filter(|c| c.name() != "unset") {
        let r = Reader::new(c, d);
        match c.name() {
            "port" => {
                if let Some(p) = r.int_arg(1, 65535, "`port 22`") {
                    s.port = p.value as u16;
                    s.port_span = p.span;
                }
            }
            "permit-root-login" => root_login(&r, c, &mut s),
            "max-auth-tries" => max_auth_tries(&r, &mut s),
            "login-grace-time" => login_grace_time(&r, &mut s),
            "allow-users" => s.allow_users = allow_users(&r),
            "client-alive" => client_alive(&r, c, &mut s),
            name => flag(&r, name, &mut s),
        }
        r.leaf_done();
    }
    s.steps.retain(|x| !unset.contains(x));
    s.lines = lines(defaults, &s, &unset, &release.openssh, banner);
    Some(s)
}

/// A number of stdlib/sshd/defaults.toml (a test keeps every value there readable as its type).
fn default_num(k: &str) -> u32 {
    stdlib::sshd_defaults().value(k).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0)
}

/// The typed settings as stdlib/sshd/defaults.toml sets them.
fn from_defaults(n: &Node, defaults: &stdlib::SshdDefaults) -> ir::Ssh {
    let yes = |k: &str| defaults.value(k) == Some("yes");
    ir::Ssh {
        port_span: n.name.span,
        port: default_num("Port") as u16,
        permit_root_login: match defaults.value("PermitRootLogin") {
            Some("prohibit-password") => ir::RootLogin::ProhibitPassword,
            Some("yes") => ir::RootLogin::Yes,
            _ => ir::RootLogin::No,
        },
        password_authentication: yes("PasswordAuthentication"),
        kbd_interactive_authentication: yes("KbdInteractiveAuthentication"),
        permit_empty_passwords: yes("PermitEmptyPasswords"),
        x11_forwarding: yes("X11Forwarding"),
        allow_agent_forwarding: yes("AllowAgentForwarding"),
        allow_tcp_forwarding: yes("AllowTcpForwarding"),
        allow_users: Vec::new(),
        max_auth_tries: default_num("MaxAuthTries"),
        login_grace_time: default_num("LoginGraceTime"),
        client_alive_interval: default_num("ClientAliveInterval"),
        client_alive_count_max: default_num("ClientAliveCountMax"),
        reasons: Vec::new(),
        lines: Vec::new(),
        steps: defaults.step.iter().map(|x| x.name.clone()).collect(),
    }
}

/// `unset KEYWORD reason=…` lines: the keywords and steps removed, each with its reason.
fn unsets(n: &Node, d: &Diags, defaults: &stdlib::SshdDefaults, s: &mut ir::Ssh) -> Vec<String> {
    let mut unset: Vec<String> = Vec::new();
    let mut seen = Seen::new("unset");
    for c in n.children().iter().filter(|c| c.name() == "unset") {
        let r = Reader::new(c, d);
        if let Some(k) = r.str_arg(0, "a keyword or step", "`unset \"RequiredRSASize\" reason=\"…\"`") {
            if seen.again(d, &k.value, k.span) {
                // Reported: a second `unset` of one keyword.
            } else if let Some(why) = refuse_unset(defaults, &k.value) {
                // The line is refused as a whole: its reason is not reported as unknown.
                let _ = r.str_prop("reason", "\"why\"");
                d.push(
                    Diagnostic::new(Kind::UnknownReference, format!("`unset {}`: {why}", k.value))
                        .at(k.span, "cannot be unset")
                        .help(unset_help(defaults, &k.value)),
                );
            } else if let Some(reason) =
                need_reason(&r, &format!("unsetting `{}`", k.value), k.span, "keep pynoc's setting")
            {
                seen.add(&k.value, k.span);
                s.reasons.push(ir::Removed { key: k.value.clone(), reason });
                unset.push(k.value);
            }
        }
        r.leaf_done();
    }
    unset
}

/// `permit-root-login #false | "prohibit-password" | #true`; anything but `#false` needs a reason.
fn root_login(r: &Reader, c: &Node, s: &mut ir::Ssh) {
    let d = r.d;
    let v = r.arg(0);
    let value = match v.map(|v| &v.value) {
        Some(crate::ast::Value::Bool(false)) => Some(ir::RootLogin::No),
        Some(crate::ast::Value::Bool(true)) => Some(ir::RootLogin::Yes),
        Some(crate::ast::Value::String(x)) if x == "prohibit-password" => Some(ir::RootLogin::ProhibitPassword),
        Some(_) => {
            d.push(
                Diagnostic::new(
                    Kind::InvalidValue,
                    "`permit-root-login` expects `#false`, `\"prohibit-password\"` or `#true`",
                )
                .at(v.map(|v| v.span).unwrap_or(c.name.span), "not a valid choice")
                .help("write `permit-root-login #false`"),
            );
            None
        }
        None => {
            r.bool_arg("`permit-root-login #false`");
            None
        }
    };
    if let (Some(value), Some(v)) = (value, v) {
        if value != ir::RootLogin::No
            && let Some(reason) = need_reason(
                r,
                &format!("`permit-root-login {}`", value.spec_word()),
                v.span,
                "use `permit-root-login #false` and log in as a named user",
            )
        {
            s.reasons.push(ir::Removed { key: "PermitRootLogin".into(), reason });
        }
        s.permit_root_login = value;
    }
}

/// The yes/no settings (`password-authentication #false`, …); `#true` needs a reason.
fn flag(r: &Reader, name: &str, s: &mut ir::Ssh) {
    let Some(b) = r.bool_arg(&format!("`{name} #false`")) else { return };
    if b.value
        && let Some(reason) = need_reason(r, &format!("`{name} #true`"), b.span, &format!("use `{name} #false`"))
    {
        s.reasons.push(ir::Removed { key: camel(name), reason });
    }
    let slot = match name {
        "password-authentication" => &mut s.password_authentication,
        "kbd-interactive-authentication" => &mut s.kbd_interactive_authentication,
        "permit-empty-passwords" => &mut s.permit_empty_passwords,
        "x11-forwarding" => &mut s.x11_forwarding,
        "allow-agent-forwarding" => &mut s.allow_agent_forwarding,
        _ => &mut s.allow_tcp_forwarding,
    };
    *slot = b.value;
}

/// `max-auth-tries N`; more than pynoc's needs a reason.
fn max_auth_tries(r: &Reader, s: &mut ir::Ssh) {
    if let Some(v) = r.int_arg(1, 10, "`max-auth-tries 3`") {
        let was = default_num("MaxAuthTries");
        if v.value as u32 > was
            && let Some(reason) = need_reason(
                r,
                &format!("`max-auth-tries {}` (more guesses per connection than pynoc's {was})", v.value),
                v.span,
                &format!("keep `max-auth-tries {was}` or fewer"),
            )
        {
            s.reasons.push(ir::Removed { key: "MaxAuthTries".into(), reason });
        }
        s.max_auth_tries = v.value as u32;
    }
}

/// `login-grace-time SECONDS`; longer than pynoc's needs a reason.
fn login_grace_time(r: &Reader, s: &mut ir::Ssh) {
    if let Some(v) = r.duration_arg(1, 600, "`login-grace-time 30`") {
        let was = default_num("LoginGraceTime");
        if v.value as u32 > was
            && let Some(reason) = need_reason(
                r,
                &format!(
                    "`login-grace-time {}` (unauthenticated connections held longer than pynoc's {was}s)",
                    v.value
                ),
                v.span,
                &format!("keep `login-grace-time {was}` or less"),
            )
        {
            s.reasons.push(ir::Removed { key: "LoginGraceTime".into(), reason });
        }
        s.login_grace_time = v.value as u32;
    }
}

/// `allow-users USER…`, each once.
fn allow_users(r: &Reader) -> Vec<ir::LoginUser> {
    let d = r.d;
    let mut users: Vec<ir::LoginUser> = Vec::new();
    for u in r.str_args(0, "at least one user", "`allow-users deploy`") {
        if let Some(name) = validate::user(d, &u) {
            if users.iter().any(|x| x.name == name) {
                d.push(
                    Diagnostic::new(Kind::Duplicate, format!("user `{name}` is listed twice"))
                        .at(u.span, "listed again")
                        .help("list each user once"),
                );
            } else {
                users.push(ir::LoginUser { name, span: u.span });
            }
        }
    }
    users
}

/// `client-alive interval=… count-max=…`; a dead session kept longer than pynoc's needs a reason.
fn client_alive(r: &Reader, c: &Node, s: &mut ir::Ssh) {
    if let Some(v) = r.duration_prop("interval", 1, 3600) {
        s.client_alive_interval = v.value as u32;
    }
    if let Some(v) = r.int_prop("count-max", 1, 10) {
        s.client_alive_count_max = v.value as u32;
    }
    // An idle session lingers interval × count-max seconds: longer than pynoc's
    // is a weakening, however the two are split.
    let was = default_num("ClientAliveInterval") * default_num("ClientAliveCountMax");
    let now = s.client_alive_interval * s.client_alive_count_max;
    if now > was
        && let Some(reason) = need_reason(
            r,
            &format!("`client-alive` keeping a dead session {now}s (pynoc's {was}s)"),
            c.name.span,
            &format!("keep interval × count-max at {was}s or less"),
        )
    {
        s.reasons.push(ir::Removed { key: "ClientAliveInterval".into(), reason });
    }
}

/// Why `unset NAME` is refused, if it is: a setting the spec sets with its own node, or a
/// name pynoc does not write.
fn refuse_unset(defaults: &stdlib::SshdDefaults, name: &str) -> Option<String> {
    if let Some(x) = defaults.setting.iter().find(|x| x.keyword == name) {
        return x.spec.as_ref().map(|node| format!("set with `{node}`"));
    }
    if defaults.step.iter().any(|x| x.name == name) {
        return None;
    }
    Some("pynoc writes no such setting or step".into())
}

fn unset_help(defaults: &stdlib::SshdDefaults, name: &str) -> String {
    match defaults.setting.iter().find(|x| x.keyword == name).and_then(|x| x.spec.as_ref()) {
        Some(node) => format!("change it with `{node}` (with a `reason` when it weakens the default)"),
        None => {
            let names: Vec<&str> = defaults
                .setting
                .iter()
                .filter(|x| x.spec.is_none())
                .map(|x| x.keyword.as_str())
                .chain(defaults.step.iter().map(|x| x.name.as_str()))
                .collect();
            format!("`unset` takes one of: {}", names.join(", "))
        }
    }
}

/// The drop-in's lines in the order of stdlib/sshd/defaults.toml: the typed settings' values,
/// the fixed ones unless unset. `AuthenticationMethods publickey` would lock out the password
/// method a spec turned on, and `DisableForwarding yes` would override a forwarding it turned
/// on: each is left out then, with the spec's reason.
fn lines(
    defaults: &stdlib::SshdDefaults,
    s: &ir::Ssh,
    unset: &[String],
    openssh: &str,
    banner: bool,
) -> Vec<ir::SshdLine> {
    let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
    let mut out = Vec::new();
    for x in &defaults.setting {
        let k = x.keyword.as_str();
        let value = match k {
            "Port" => s.port.to_string(),
            "PermitRootLogin" => s.permit_root_login.sshd_word().into(),
            "PasswordAuthentication" => yn(s.password_authentication),
            "KbdInteractiveAuthentication" => yn(s.kbd_interactive_authentication),
            "PermitEmptyPasswords" => yn(s.permit_empty_passwords),
            "X11Forwarding" => yn(s.x11_forwarding),
            "AllowAgentForwarding" => yn(s.allow_agent_forwarding),
            "AllowTcpForwarding" => yn(s.allow_tcp_forwarding),
            "MaxAuthTries" => s.max_auth_tries.to_string(),
            "LoginGraceTime" => s.login_grace_time.to_string(),
            "ClientAliveInterval" => s.client_alive_interval.to_string(),
            "ClientAliveCountMax" => s.client_alive_count_max.to_string(),
            "AllowUsers" if s.allow_users.is_empty() => continue,
            "AllowUsers" => s.allow_users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(" "),
            _ if unset.iter().any(|u| u == k) => continue,
            // The host's `banner`, written as /etc/issue.net; none without one.
            "Banner" if !banner => continue,
            "AuthenticationMethods" if s.password_authentication || s.kbd_interactive_authentication => continue,
            "DisableForwarding" if s.x11_forwarding || s.allow_agent_forwarding || s.allow_tcp_forwarding => {
                continue;
            }
            // Algorithm lists: without the names the target's OpenSSH does not know.
            _ => defaults.value_for(x, openssh),
        };
        debug_assert!(x.spec.is_some() == TYPED.contains(&k), "{k}: `spec` and the typed settings disagree");
        out.push(ir::SshdLine { keyword: x.keyword.clone(), value });
    }
    out
}

/// `x11-forwarding` → `X11Forwarding`, as sshd_config names it.
fn camel(name: &str) -> String {
    match name {
        "kbd-interactive-authentication" => "KbdInteractiveAuthentication".into(),
        "x11-forwarding" => "X11Forwarding".into(),
        "allow-tcp-forwarding" => "AllowTcpForwarding".into(),
        _ => name
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
            })
            .collect(),
    }
}
