//! `ssh { port 22; permit-root-login #false; allow-users …; client-alive interval=… }`

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir;

use super::node::{Reader, children};
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

pub fn lower(n: &Node, d: &Diags) -> Option<ir::Ssh> {
    Reader::new(n, d).finish(false);
    let mut s = ir::Ssh {
        span: n.name.span,
        port_span: n.name.span,
        port: 22,
        permit_root_login: ir::RootLogin::No,
        password_authentication: false,
        kbd_interactive_authentication: false,
        permit_empty_passwords: false,
        x11_forwarding: false,
        allow_agent_forwarding: false,
        allow_tcp_forwarding: false,
        allow_users: Vec::new(),
        max_auth_tries: 3,
        login_grace_time: 30,
        client_alive_interval: 300,
        client_alive_count_max: 2,
        reasons: Vec::new(),
    };
    for c in children(n, SETTINGS, SETTINGS, d) {
        let r = Reader::new(c, d);
        let name = c.name();
        match name {
            "port" => {
                if let Some(p) = r.int_arg(1, 65535, "`port 22`") {
                    s.port = p.value as u16;
                    s.port_span = p.span;
                }
            }
            "permit-root-login" => {
                let v = r.arg(0);
                let value = match v.map(|v| &v.value) {
                    Some(crate::ast::Value::Bool(false)) => Some(ir::RootLogin::No),
                    Some(crate::ast::Value::Bool(true)) => Some(ir::RootLogin::Yes),
                    Some(crate::ast::Value::String(x)) if x == "prohibit-password" => {
                        Some(ir::RootLogin::ProhibitPassword)
                    }
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
                            &r,
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
            "password-authentication"
            | "kbd-interactive-authentication"
            | "permit-empty-passwords"
            | "x11-forwarding"
            | "allow-agent-forwarding"
            | "allow-tcp-forwarding" => {
                if let Some(b) = r.bool_arg(&format!("`{name} #false`")) {
                    if b.value
                        && let Some(reason) =
                            need_reason(&r, &format!("`{name} #true`"), b.span, &format!("use `{name} #false`"))
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
            }
            "max-auth-tries" => {
                if let Some(v) = r.int_arg(1, 10, "`max-auth-tries 3`") {
                    s.max_auth_tries = v.value as u32;
                }
            }
            "login-grace-time" => {
                if let Some(v) = r.duration_arg(1, 600, "`login-grace-time 30`") {
                    s.login_grace_time = v.value as u32;
                }
            }
            "allow-users" => {
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
                s.allow_users = users;
            }
            _ => {
                if let Some(v) = r.duration_prop("interval", 1, 3600) {
                    s.client_alive_interval = v.value as u32;
                }
                if let Some(v) = r.int_prop("count-max", 1, 10) {
                    s.client_alive_count_max = v.value as u32;
                }
            }
        }
        r.finish(true);
    }
    Some(s)
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
