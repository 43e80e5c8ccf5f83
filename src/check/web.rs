//! nginx's headers against each other and against its plain-HTTP server.

use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{Header, Site, Spec};

fn header<'a>(site: &'a Site, name: &str) -> Option<&'a Header> {
    site.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
}

/// The `frame-ancestors` sources of a CSP, lowercased, when it has the directive.
fn frame_ancestors(csp: &str) -> Option<Vec<String>> {
    csp.split(';').map(str::trim).find_map(|dir| {
        let mut words = dir.split_ascii_whitespace();
        words
            .next()
            .filter(|w| w.eq_ignore_ascii_case("frame-ancestors"))
            .map(|_| words.map(str::to_ascii_lowercase).collect())
    })
}

/// X-Frame-Options and CSP `frame-ancestors` must say the same: browsers with CSP obey the
/// latter and ignore the former, older ones the reverse.
pub(super) fn frame_agrees_with_csp(spec: &Spec, d: &Diags) {
    let Some(nginx) = &spec.nginx else { return };
    for site in &nginx.sites {
        let (Some(xfo), Some(csp)) = (header(site, "X-Frame-Options"), header(site, "Content-Security-Policy")) else {
            continue;
        };
        let Some(ancestors) = frame_ancestors(&csp.value) else { continue };
        let expected = match xfo.value.to_ascii_uppercase().as_str() {
            "DENY" => "'none'",
            "SAMEORIGIN" => "'self'",
            _ => continue,
        };
        if ancestors.len() == 1 && ancestors[0] == expected {
            continue;
        }
        let (fix, other) = if expected == "'none'" { ("deny", "sameorigin") } else { ("sameorigin", "deny") };
        d.push(
            Diagnostic::new(
                Kind::FrameConflict,
                format!(
                    "`X-Frame-Options: {}` contradicts the CSP's `frame-ancestors {}`",
                    xfo.value,
                    ancestors.join(" ")
                ),
            )
            .at(xfo.span, "frame-options")
            .also(csp.span, "the CSP")
            .help(format!(
                "`frame-options {fix}` goes with `frame-ancestors {expected}`: change one of them (e.g. `frame-options {other}`) so both say the same"
            )),
        );
    }
}

/// HSTS is learnt over HTTPS only: a site whose plain-HTTP server does not redirect never
/// gets a first-time visitor there.
pub(super) fn hsts_redirects(spec: &Spec, d: &Diags) {
    let Some(nginx) = &spec.nginx else { return };
    for site in nginx.sites.iter().filter(|s| s.http && !s.redirect) {
        let Some(hsts) = header(site, "Strict-Transport-Security") else { continue };
        d.push(
            Diagnostic::new(
                Kind::HstsNoRedirect,
                format!(
                    "`{}` sends HSTS, but its plain-HTTP server does not redirect",
                    site.names.first().map(String::as_str).unwrap_or("the site")
                ),
            )
            .at(site.span, "port 80 answers 404")
            .also(hsts.span, "HSTS is sent")
            .help(
                "remove `http redirect=#false`: visitors who type the name arrive over HTTP and must be sent to HTTPS",
            ),
        );
    }
}
