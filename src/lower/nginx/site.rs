//! `site NAME… { tls …; acme …; hsts …; csp …; location …; … }`: one HTTPS site.

use crate::ast::{Node, Spanned};
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use crate::stdlib;

use super::super::node::{Reader, Seen, children, one_of};
use super::super::validate;
use super::Scope;

/// A year in seconds: the least HSTS max-age without a reason (and the preload list's minimum).
const ONE_YEAR: u64 = 31_536_000;

/// Children of `site` that may appear once, and those that may repeat.
pub(super) const ONCE: &[&str] = &[
    "tls",
    "acme",
    "hsts",
    "csp",
    "frame-options",
    "referrer-policy",
    "permissions-policy",
    "deny-extensions",
    "deny-dotfiles",
    "http",
    "no-store",
];
pub(super) const REPEATABLE: &[&str] = &["header", "hide-header", "location", "allow"];

/// A header's value in stdlib/nginx/hardening.toml (a test keeps every name used here there).
fn default(name: &str) -> String {
    stdlib::nginx_hardening().header(name).map(|h| h.value.clone()).unwrap_or_default()
}

/// The server names of a `site`: its arguments, or the project's domain.
fn names(n: &Node, d: &Diags, domain: Option<&str>, seen: &mut Seen) -> Option<Vec<String>> {
    let r = Reader::new(n, d);
    let mut names: Vec<String> = Vec::new();
    for v in
        (0..n.args.len()).filter_map(|i| r.arg(i)).filter_map(|v| r.as_str("`site`", v, "`site \"api.example.com\"`"))
    {
        let Some(name) = server_name(d, &v) else { continue };
        if seen.first(d, &name, v.span) {
            names.push(name);
        }
    }
    r.block_done();
    if n.args.is_empty() {
        match domain {
            Some(dom) => names.push(dom.to_string()),
            None => {
                d.push(
                    Diagnostic::new(Kind::Missing, "`site` needs a server name")
                        .at(n.name.span, "no name")
                        .help("write `site \"api.example.com\" { … }`, or set `domain` in `project`"),
                );
                return None;
            }
        }
    }
    // Every name was refused (each with its error): no site, rather than one with no name.
    (!names.is_empty()).then_some(names)
}

pub(super) fn site(
    n: &Node,
    d: &Diags,
    scope: &Scope,
    domain: Option<&str>,
    seen: &mut Seen,
    release: &'static crate::stdlib::Release,
) -> Option<ir::Site> {
    let names = names(n, d, domain, seen)?;
    let mut parts = Parts::new(&release.openssl);
    let known: Vec<&str> = ONCE.iter().chain(REPEATABLE).copied().collect();
    for c in children(n, &known, ONCE, d) {
        let cr = Reader::new(c, d);
        parts.child(c, &cr, scope);
        if matches!(c.name(), "tls" | "location") {
            cr.block_done();
        } else {
            cr.leaf_done();
        }
    }
    parts.finish(n, d, names)
}

/// What the children of one `site` set, before the defaults fill the rest.
struct Parts {
    tls: Option<ir::Tls>,
    acme: Option<String>,
    /// max-age, includeSubDomains, preload.
    hsts: (Option<u64>, bool, bool),
    hsts_reason: Option<String>,
    redirect: bool,
    /// `http listen=#false`: no plain-HTTP server, with where it was said.
    no_http: Option<crate::ast::Span>,
    /// Where each managed header is set, for the checks that point at it.
    set_at: Vec<(&'static str, crate::ast::Span)>,
    csp: String,
    frame: String,
    referrer: String,
    permissions: String,
    extra: Vec<ir::Header>,
    /// stdlib headers the spec changed with `header NAME VALUE reason=…`.
    changed: Vec<(ir::Header, String)>,
    no_store: bool,
    hide: Vec<String>,
    locations: Vec<ir::Location>,
    /// `allow from=…` of the site, with where each network was named.
    allow: Vec<(ipnet::IpNet, crate::ast::Span)>,
    /// Every location's `allow from=…`, checked against the site's.
    location_allow: Vec<(ipnet::IpNet, crate::ast::Span)>,
    /// By path as written in nginx: `= /x` (exact) and `/x` (prefix) are two locations.
    location_spans: Seen,
    blocked: Vec<String>,
    dotfiles: bool,
    dotfiles_reason: Option<String>,
    /// The target release's OpenSSL version: TLS groups it lacks are left out.
    openssl: &'static str,
}

impl Parts {
    fn new(openssl: &'static str) -> Self {
        Parts {
            openssl,
            tls: None,
            acme: None,
            hsts: (None, true, false),
            hsts_reason: None,
            redirect: true,
            no_http: None,
            set_at: Vec::new(),
            csp: default("Content-Security-Policy"),
            frame: default("X-Frame-Options"),
            referrer: default("Referrer-Policy"),
            permissions: default("Permissions-Policy"),
            extra: Vec::new(),
            changed: Vec::new(),
            no_store: false,
            hide: Vec::new(),
            locations: Vec::new(),
            allow: Vec::new(),
            location_allow: Vec::new(),
            location_spans: Seen::new("location"),
            blocked: ["php", "jsp", "asp", "aspx", "cgi"].into_iter().map(String::from).collect(),
            dotfiles: true,
            dotfiles_reason: None,
        }
    }

    /// The site: the spec's settings, the defaults for the rest, every header once.
    fn finish(self, n: &Node, d: &Diags, names: Vec<String>) -> Option<ir::Site> {
        let Some(max_age) = self.tls.as_ref().map(|t| t.hsts_max_age) else {
            if !n.children().iter().any(|c| c.name() == "tls") {
                d.push(Diagnostic::new(Kind::Missing, "`site` needs `tls`").at(n.name.span, "no certificate").help("add `tls profile=intermediate cert=\"/etc/letsencrypt/live/NAME/fullchain.pem\" key=\"/etc/letsencrypt/live/NAME/privkey.pem\"`"));
            }
            return None;
        };
        if self.locations.is_empty() && !n.children().iter().any(|c| c.name() == "location") {
            d.push(
                Diagnostic::new(Kind::Missing, "`site` has no `location`")
                    .at(n.name.span, "nothing to serve")
                    .help("add `location \"/\" proxy=backend`"),
            );
        }
        let (headers, header_reasons) = self.headers(n, max_age);
        let mut hide_headers: Vec<String> = headers.iter().map(|h| h.name.clone()).collect();
        hide_headers.push("X-Powered-By".into());
        for h in &self.hide {
            if !hide_headers.iter().any(|x| x.eq_ignore_ascii_case(h)) {
                hide_headers.push(h.clone());
            }
        }
        // A location's own `allow` replaces the site's in nginx: it may only narrow it.
        if !self.allow.is_empty() {
            for (net, span) in &self.location_allow {
                if !self.allow.iter().any(|(site, _)| site.contains(net)) {
                    d.push(
                        Diagnostic::new(Kind::ExclusiveOptions, format!("`{net}` is outside the site's `allow`"))
                            .at(*span, "would open the location wider than the site")
                            .also(self.allow[0].1, "the site's networks")
                            .help("a location's `allow` replaces the site's in nginx: name networks inside the site's, or allow them on the site"),
                    );
                }
            }
        }
        let site_allow: Vec<ipnet::IpNet> = self.allow.iter().map(|(n, _)| *n).collect();
        if let (Some(at), Some(_)) = (self.no_http, &self.acme) {
            d.push(
                Diagnostic::new(Kind::ExclusiveOptions, "`acme webroot` with `http listen=#false`")
                    .at(at, "no port 80")
                    .help("ACME's HTTP-01 challenge comes on port 80: keep the plain-HTTP server, or remove `acme` and renew the certificate another way (DNS-01)"),
            );
        }
        let http = self.no_http.is_none();
        let Parts { tls, acme, hsts_reason, redirect, locations, blocked, dotfiles, dotfiles_reason, .. } = self;
        let catch_all = !locations.iter().any(|l| l.path == "/" && !l.exact);
        Some(ir::Site {
            span: n.name.span,
            names,
            allow: site_allow,
            http,
            redirect,
            hsts_reason,
            header_reasons,
            tls: tls?,
            acme_webroot: acme,
            headers,
            hide_headers,
            locations,
            catch_all,
            blocked_extensions: blocked,
            block_dotfiles: dotfiles,
            dotfiles_reason,
        })
    }

    /// stdlib/nginx/hardening.toml's headers, in its order, with the spec's values, then the
    /// spec's own; with the reasons for those it changed.
    fn headers(&self, n: &Node, default_max_age: u64) -> (Vec<ir::Header>, Vec<ir::Removed>) {
        let mut hsts_value = format!("max-age={}", self.hsts.0.unwrap_or(default_max_age));
        if self.hsts.1 {
            hsts_value.push_str("; includeSubDomains");
        }
        if self.hsts.2 {
            hsts_value.push_str("; preload");
        }
        let at = |name: &str| self.set_at.iter().find(|(h, _)| *h == name).map(|(_, s)| *s).unwrap_or(n.name.span);
        let header = |name: &str, value: String| ir::Header { span: at(name), name: name.into(), value };
        let mut headers: Vec<ir::Header> = Vec::new();
        let mut header_reasons: Vec<ir::Removed> = Vec::new();
        for h in &stdlib::nginx_hardening().header {
            if h.opt_in.as_deref() == Some("no-store") && !self.no_store {
                continue;
            }
            let value = match h.name.as_str() {
                "Strict-Transport-Security" => hsts_value.clone(),
                "Content-Security-Policy" => self.csp.clone(),
                "X-Frame-Options" => self.frame.clone(),
                "Referrer-Policy" => self.referrer.clone(),
                "Permissions-Policy" => self.permissions.clone(),
                _ => match self.changed.iter().find(|(c, _)| c.name.eq_ignore_ascii_case(&h.name)) {
                    Some((c, reason)) => {
                        header_reasons.push(ir::Removed { key: h.name.clone(), reason: reason.clone() });
                        headers.push(c.clone());
                        continue;
                    }
                    None => h.value.clone(),
                },
            };
            headers.push(header(&h.name, value));
        }
        headers.extend(self.extra.iter().cloned());
        (headers, header_reasons)
    }

    /// One child of `site`.
    fn child(&mut self, c: &Node, cr: &Reader, scope: &Scope) {
        match c.name() {
            "tls" => self.tls = tls_node(cr, self.openssl),
            "acme" => self.acme(cr),
            "hsts" => self.hsts(c, cr),
            "csp" | "referrer-policy" | "permissions-policy" => self.text_header(c, cr),
            "frame-options" => self.frame_options(c, cr),
            "header" => self.header(c, cr),
            "hide-header" => self.hide_header(cr),
            "location" => self.location(c, cr, scope),
            "allow" => self.allow.extend(allow(cr, scope)),
            "deny-extensions" => self.deny_extensions(cr),
            "http" => self.http(cr),
            "no-store" => self.no_store = true,
            _ => self.deny_dotfiles(cr),
        }
    }

    /// `acme webroot=…`: the ACME challenges served over plain HTTP; the playbook makes it.
    fn acme(&mut self, cr: &Reader) {
        let d = cr.d;
        self.acme = cr
            .str_prop("webroot", "\"/var/www/letsencrypt\"")
            .and_then(|v| validate::placed(d, &v, crate::syspaths::Place::AcmeWebroot, ""))
    }

    /// `hsts max-age=… include-subdomains=… preload=…`: under a year needs a reason; preload needs a year and subdomains.
    fn hsts(&mut self, c: &Node, cr: &Reader) {
        let d = cr.d;
        let max_age = cr.int_prop("max-age", 300, 63_072_000);
        self.hsts.0 = max_age.as_ref().map(|v| v.value as u64);
        if let Some(v) = max_age.filter(|v| v.value < ONE_YEAR as i128) {
            self.hsts_reason = super::super::need_reason(
                cr,
                &format!("an HSTS max-age of {} s (under a year)", v.value),
                v.span,
                &format!("use `max-age={ONE_YEAR}` or more"),
            );
        }
        self.set_at.push(("Strict-Transport-Security", c.span));
        self.hsts.1 = cr.bool_prop("include-subdomains").map(|v| v.value).unwrap_or(true);
        let preload = cr.bool_prop("preload").filter(|v| v.value);
        self.hsts.2 = preload.is_some();
        if let Some(p) = preload {
            let short = self.hsts.0.is_some_and(|a| a < ONE_YEAR);
            if !self.hsts.1 || short {
                d.push(
                        Diagnostic::new(
                            Kind::ExclusiveOptions,
                            "`preload` needs `include-subdomains=#true` and an HSTS max-age of at least a year",
                        )
                        .at(p.span, "the preload list refuses this")
                        .help(format!(
                            "hstspreload.org accepts only `max-age` ≥ {ONE_YEAR} with `includeSubDomains`: fix those, or drop `preload`"
                        )),
                    );
            }
        }
    }

    /// `csp`, `referrer-policy`, `permissions-policy`: a header value.
    fn text_header(&mut self, c: &Node, cr: &Reader) {
        let d = cr.d;
        if let Some(v) = cr.str_arg(0, "a value", "`csp \"default-src 'self'\"`").and_then(|v| header_value(d, &v)) {
            if c.name() == "csp" {
                self.set_at.push(("Content-Security-Policy", c.span));
            }
            *match c.name() {
                "csp" => &mut self.csp,
                "referrer-policy" => &mut self.referrer,
                _ => &mut self.permissions,
            } = v;
        }
    }

    /// `frame-options deny|sameorigin`.
    fn frame_options(&mut self, c: &Node, cr: &Reader) {
        let d = cr.d;
        if let Some(v) = cr
            .str_arg(0, "`deny` or `sameorigin`", "`frame-options deny`")
            .and_then(|v| one_of(d, "`frame-options`", &v, &["deny", "sameorigin"]))
        {
            self.frame = v.to_uppercase();
            self.set_at.push(("X-Frame-Options", c.span));
        }
    }

    /// `header NAME VALUE`: a header pynoc does not manage, sent once.
    fn header(&mut self, c: &Node, cr: &Reader) {
        let d = cr.d;
        let name = cr.str_arg(0, "a header name", "`header \"Cross-Origin-Opener-Policy\" \"same-origin\"`");
        let value = cr
            .str_arg(1, "a value", "`header \"Cross-Origin-Opener-Policy\" \"same-origin\"`")
            .and_then(|v| header_value(d, &v));
        if let (Some(name), Some(value)) = (name.and_then(|n| header_name(d, &n).map(|h| (h, n.span))), value) {
            let stdlib = stdlib::nginx_hardening().header(&name.0);
            if let Some(m) = stdlib.filter(|m| m.spec.is_some() || m.opt_in.is_some()) {
                let node = m.spec.as_deref().or(m.opt_in.as_deref()).unwrap_or_default();
                d.push(
                    Diagnostic::new(Kind::Duplicate, format!("`{}` is already sent by pynoc", m.name))
                        .at(name.1, "sent twice")
                        .help(format!("set it with `{node}` so it is sent once")),
                );
            } else if let Some(m) = stdlib.filter(|m| value != m.value) {
                if self.changed.iter().any(|(h, _)| h.name.eq_ignore_ascii_case(&m.name)) {
                    d.push(
                        Diagnostic::new(Kind::Duplicate, format!("header `{}` is given twice", m.name))
                            .at(name.1, "given again")
                            .help("give each header once"),
                    );
                } else if let Some(reason) = super::super::need_reason(
                    cr,
                    &format!("changing pynoc's `{}: {}`", m.name, m.value),
                    name.1,
                    "keep pynoc's value",
                ) {
                    self.changed.push((ir::Header { span: c.span, name: m.name.clone(), value }, reason));
                }
            } else if stdlib.is_some() {
                // pynoc's own value again: it is sent once anyway, and needs no reason.
            } else if self.extra.iter().any(|h| h.name.eq_ignore_ascii_case(&name.0)) {
                d.push(
                    Diagnostic::new(Kind::Duplicate, format!("header `{}` is given twice", name.0))
                        .at(name.1, "given again")
                        .help("give each header once"),
                );
            } else {
                self.extra.push(ir::Header { span: c.span, name: name.0, value });
            }
        }
    }

    /// `hide-header NAME…`: upstream headers never passed on.
    fn hide_header(&mut self, cr: &Reader) {
        let d = cr.d;
        for h in cr.str_args(0, "a header name", "`hide-header X-Runtime`") {
            if let Some(h) = header_name(d, &h)
                && !self.hide.contains(&h)
            {
                self.hide.push(h);
            }
        }
    }

    /// `location PATH proxy=… zone=… burst=…`.
    fn location(&mut self, c: &Node, cr: &Reader, scope: &Scope) {
        let d = cr.d;
        let mut allowed = Vec::new();
        for a in children(c, &["allow"], &[], d) {
            let ar = Reader::new(a, d);
            allowed.extend(allow(&ar, scope));
            ar.leaf_done();
        }
        if let Some((mut loc, span)) = location(cr, scope) {
            loc.allow = allowed.iter().map(|(n, _)| *n).collect();
            self.location_allow.extend(allowed);
            let key = if loc.exact { format!("= {}", loc.path) } else { loc.path.clone() };
            if self.location_spans.first(d, &key, span) {
                self.locations.push(loc);
            }
        }
    }

    /// `deny-extensions EXT…`: requests closed with 444.
    fn deny_extensions(&mut self, cr: &Reader) {
        let d = cr.d;
        self.blocked = Vec::new();
        for e in cr.str_args(0, "an extension", "`deny-extensions php cgi`") {
            let ok = !e.value.is_empty()
                && e.value.len() <= 16
                && e.value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if ok {
                if !self.blocked.contains(&e.value) {
                    self.blocked.push(e.value);
                }
            } else {
                d.push(
                    Diagnostic::new(Kind::UnsafeValue, format!("`{}` is not a file extension", e.value.escape_debug()))
                        .at(e.span, "not an extension")
                        .help("write extensions without the dot: lowercase letters and digits, e.g. `php`"),
                );
            }
        }
    }

    /// `http redirect=#false`: port 80 serves ACME only.
    fn http(&mut self, cr: &Reader) {
        let redirect = cr.bool_prop("redirect");
        if let Some(b) = &redirect {
            self.redirect = b.value;
        }
        if let Some(l) = cr.bool_prop("listen")
            && !l.value
        {
            self.no_http = Some(l.span);
            if let Some(r) = redirect {
                cr.d.push(
                    Diagnostic::new(Kind::ExclusiveOptions, "`redirect` with `listen=#false`")
                        .at(r.span, "no plain-HTTP server to redirect from")
                        .help("remove `redirect`: an HTTPS-only site has no port 80 at all"),
                );
            }
        }
    }

    /// `deny-dotfiles #false`: serving dotfiles needs a reason.
    fn deny_dotfiles(&mut self, cr: &Reader) {
        if let Some(b) = cr.bool_arg("`deny-dotfiles #true`") {
            if !b.value {
                self.dotfiles_reason = super::super::need_reason(
                    cr,
                    "`deny-dotfiles #false`",
                    b.span,
                    "keep `/.git`, `/.env` and other dotfiles closed",
                );
            }
            self.dotfiles = b.value;
        }
    }
}

pub(super) fn tls_node(r: &Reader, openssl: &str) -> Option<ir::Tls> {
    let d = r.d;
    let data = stdlib::tls();
    let names = ir::TlsProfile::ALL.map(ir::TlsProfile::as_str);
    let profile = r
        .str_prop("profile", "intermediate")
        .and_then(|v| one_of(d, "`profile`", &v, &names))
        .and_then(|s| ir::TlsProfile::ALL.into_iter().find(|p| p.as_str() == s))
        .unwrap_or(ir::TlsProfile::Intermediate);
    let versions: Vec<&str> = data.guideline.keys().map(String::as_str).collect();
    let version = r
        .str_prop("guideline", "\"6.0\"")
        .and_then(|v| one_of(d, "`guideline`", &v, &versions))
        .unwrap_or_else(|| data.default.clone());
    let cert = r.str_prop("cert", "\"/etc/letsencrypt/live/NAME/fullchain.pem\"");
    let key = r.str_prop("key", "\"/etc/letsencrypt/live/NAME/privkey.pem\"");
    for (what, v) in [("cert", &cert), ("key", &key)] {
        if v.is_none() && !r.has_prop(if what == "cert" { "cert" } else { "key" }) {
            d.push(Diagnostic::new(Kind::Missing, format!("`tls` needs `{what}`")).at(r.span(), format!("no `{what}`")).help("for example: `tls cert=\"/etc/letsencrypt/live/NAME/fullchain.pem\" key=\"/etc/letsencrypt/live/NAME/privkey.pem\"`"));
        }
    }
    let cert = cert.and_then(|v| validate::placed(d, &v, crate::syspaths::Place::TlsMaterial, ""));
    let key = key.and_then(|v| validate::placed(d, &v, crate::syspaths::Place::TlsMaterial, ""));
    let dh = r.str_prop("dhparam", "\"/etc/nginx/ffdhe2048.pem\"");
    let dhparam_at = dh.as_ref().map(|v| v.span);
    let dhparam = dh.and_then(|v| validate::path(d, &v, "dhparam path", false));
    let guideline = &data.guideline[&version];
    let p = &guideline.profile[profile.as_str()];
    let mut ciphers = p.ciphers.clone();
    if let (Some(_), Some(at)) = (&dhparam, dhparam_at) {
        if p.dhe_ciphers.is_empty() {
            d.push(
                Diagnostic::new(
                    Kind::ExclusiveOptions,
                    format!("`dhparam` has no use in the {} {} profile: it has no DHE suite", guideline.title, profile.as_str()),
                )
                .at(at, "no DHE suite to use it")
                .help("Mozilla dropped DHE from `intermediate` in 5.8: remove `dhparam`, or say `guideline=\"5.7\"` for old clients that need DHE"),
            );
        }
        ciphers.extend(p.dhe_ciphers.iter().cloned());
    }
    // Groups the target's OpenSSL lacks are left out: nginx would not start with them.
    let curves = p
        .curves
        .iter()
        .filter(|c| data.openssl_min.get(*c).is_none_or(|min| stdlib::version_at_least(openssl, min)))
        .cloned()
        .collect();
    Some(ir::Tls {
        profile,
        guideline: guideline.title.clone(),
        version,
        protocols: p.protocols.clone(),
        ciphers,
        curves,
        certificate: cert?,
        key: key?,
        dhparam,
        session_timeout: p.session_timeout.clone(),
        session_cache: p.session_cache.clone(),
        hsts_max_age: p.hsts_max_age,
    })
}

pub(super) fn location(r: &Reader, scope: &Scope) -> Option<(ir::Location, crate::ast::Span)> {
    let d = r.d;
    let path = r.str_arg(0, "a path", "`location \"/\" proxy=backend`");
    let prefix = r.bool_prop("prefix").map(|v| v.value);
    let proxy = r.str_prop("proxy", "backend");
    let zone = r.str_prop("zone", "api");
    let burst = r.int_prop("burst", 0, 100_000).map(|v| v.value as u32);
    let nodelay = r.bool_prop("nodelay").map(|v| v.value).unwrap_or(true);
    let path = path.and_then(|p| {
        let ok = p.value.starts_with('/') && p.value.len() <= 255 && p.value.chars().all(|c| c.is_ascii_alphanumeric() || "/._~-".contains(c)) && !p.value.contains("//") && !p.value.split('/').any(|s| s == "..");
        if ok {
            Some((p.value.clone(), p.span))
        } else {
            d.push(Diagnostic::new(Kind::UnsafeValue, format!("`{}` is not a plain location path", p.value.escape_debug())).at(p.span, "not a plain path").help("write a path such as `/` or `/auth/login`: letters, digits and `/._~-`; no spaces, quotes, regex or `..`"));
            None
        }
    })?;
    let exact = match prefix {
        Some(p) => !p,
        None => !path.0.ends_with('/'),
    };
    let resolve =
        |v: Option<Spanned<String>>, known: &[(String, crate::ast::Span)], what: &str| -> Option<Option<String>> {
            let Some(v) = v else { return Some(None) };
            if known.iter().any(|(k, _)| *k == v.value) {
                return Some(Some(v.value));
            }
            let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
            d.push(
                Diagnostic::new(Kind::UnknownReference, format!("no {what} named `{}`", v.value))
                    .at(v.span, "not defined in `nginx`".to_string())
                    .help(if names.is_empty() {
                        format!("define it: `{what} {} …` in `nginx`", v.value)
                    } else {
                        unknown_help(&v.value, &names)
                    }),
            );
            None
        };
    let proxy = resolve(proxy, scope.upstreams, "upstream")?;
    let zone = resolve(zone, scope.zones, "zone")?;
    if zone.is_none() && burst.is_some() {
        d.push(
            Diagnostic::new(Kind::ExclusiveOptions, "`burst` without a `zone`")
                .at(path.1, "no zone to burst")
                .help("add `zone=NAME`, or remove `burst`"),
        );
    }
    Some((
        ir::Location { path: path.0, exact, proxy, zone, burst: burst.unwrap_or(0), nodelay, allow: Vec::new() },
        path.1,
    ))
}

/// `allow from=NETWORK`: the networks (a project network's name or a CIDR) a site or a
/// location answers; each is given with the span it was named at.
fn allow(r: &Reader, scope: &Scope) -> Vec<(ipnet::IpNet, crate::ast::Span)> {
    let Some(v) = r.str_prop("from", "office") else {
        r.d.push(
            Diagnostic::new(Kind::Missing, "`allow` needs `from=`")
                .at(r.node.name.span, "no network")
                .help("name a network of `project` or a CIDR: `allow from=office`"),
        );
        return Vec::new();
    };
    let nets = crate::lower::networks(r.d, scope.project, &v, None).unwrap_or_default();
    nets.into_iter().map(|n| (n, v.span)).collect()
}

pub(super) fn server_name(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = crate::grammar::server_name(&v.value);
    let message = format!("server name `{}` is not valid", v.value.escape_debug());
    let help = "write a lowercase DNS name such as `api.example.com`, or `*.example.com`";
    validate::accept(d, v, ok, Kind::InvalidValue, message, "not a host name", help)
}

pub(super) fn header_name(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = crate::grammar::header_name(&v.value);
    let message = format!("`{}` is not a header name", v.value.escape_debug());
    validate::accept(
        d,
        v,
        ok,
        Kind::UnsafeValue,
        message,
        "not a header name",
        "header names are letters, digits and `-`",
    )
}

/// A header value nginx can carry inside double quotes as data: no quote, backslash,
/// `$` (nginx would expand a variable) or control character.
pub(super) fn header_value(d: &Diags, v: &Spanned<String>) -> Option<String> {
    let ok = crate::grammar::header_value(&v.value);
    let help = "header values are one line with no `\"`, `\\` or `$` (nginx would expand `$` as a variable)";
    validate::accept(d, v, ok, Kind::UnsafeValue, "this header value is not safe to write".into(), "unsafe value", help)
}

#[cfg(test)]
mod tests {
    /// Every TLS profile of the IR has its table in each guideline of stdlib/nginx/tls.toml,
    /// and no other.
    #[test]
    fn tls_profiles_are_the_stdlib_tables() {
        let mut profiles = crate::ir::TlsProfile::ALL.map(crate::ir::TlsProfile::as_str).to_vec();
        profiles.sort();
        for (version, g) in &crate::stdlib::tls().guideline {
            let tables: Vec<&str> = g.profile.keys().map(String::as_str).collect();
            assert_eq!(tables, profiles, "guideline {version}");
        }
    }
}
