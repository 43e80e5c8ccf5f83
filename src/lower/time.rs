//! `time "ntp.example.com" "192.0.2.123"`: systemd-timesyncd as the host's one time
//! synchronisation daemon, asking the spec's servers (Debian's pool when it names none) and
//! no other.

use std::net::IpAddr;

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind};
use crate::ir::{self, NtpServer};

use super::node::{Reader, Seen};

/// More than timesyncd needs: it asks one server at a time and moves on when it fails.
const MAX_SERVERS: usize = 8;

pub(crate) fn lower(n: &Node, d: &Diags) -> Option<ir::TimeSync> {
    let r = Reader::new(n, d);
    let before = d.error_count();
    let servers = if r.arg(0).is_none() {
        crate::stdlib::timesyncd().servers.iter().map(|s| NtpServer::Name(s.clone())).collect()
    } else {
        let mut seen = Seen::new("time server");
        let mut out = Vec::new();
        for v in r.str_args(0, "a time server", "`time \"ntp.example.com\"`") {
            // The same server however it is spelled (`192.0.2.1`, `0xc0000201`) is a duplicate.
            if let Some(s) = server(d, &v)
                && seen.first(d, &s.to_string(), v.span)
            {
                out.push(s);
            }
        }
        if out.len() > MAX_SERVERS {
            d.push(
                Diagnostic::new(Kind::InvalidValue, format!("{} time servers", out.len()))
                    .at(r.span(), format!("more than {MAX_SERVERS}"))
                    .help("timesyncd asks one server at a time: two to four of the site's are plenty"),
            );
            return None;
        }
        out
    };
    r.leaf_done();
    if d.error_count() > before || servers.is_empty() {
        return None;
    }
    Some(ir::TimeSync { servers })
}

/// A time server by what it reaches: a DNS name, or an address of another host, written in
/// its canonical form (`127.1`, `0x7f000001` and `::ffff:…` are the IPv4 addresses they
/// spell). This host's own addresses and names reach no time server (timesyncd is its one time
/// daemon), nor do multicast and broadcast ones, and an IPv6 link-local one needs an
/// interface timesyncd's list cannot name. A cloud's link-local time service
/// (`169.254.169.123`) and its metadata name (`metadata.google.internal`) are time servers.
fn server(d: &Diags, v: &crate::ast::Spanned<String>) -> Option<NtpServer> {
    use crate::ir::{Reach, UpstreamServer, inet_aton, reach_ip};
    let s = v.value.as_str();
    let refuse = |label: &str| {
        d.push(
            Diagnostic::new(Kind::InvalidValue, format!("`{}` is not a time server", s.escape_debug()))
                .at(v.span, label.to_string())
                .help("a lowercase DNS name (`ntp.example.com`) or the address of another host (`192.0.2.123`)"),
        );
        None
    };
    let address = s.parse::<IpAddr>().ok().or_else(|| inet_aton(s).map(IpAddr::V4)).map(|a| a.to_canonical());
    match address {
        Some(a) => {
            let nowhere = match a {
                IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast(),
                IpAddr::V6(v6) => v6.is_multicast() || v6.is_unicast_link_local(),
            };
            if matches!(reach_ip(a, 123), Reach::Local(_)) {
                refuse("an address of this host, where no other time daemon runs")
            } else if nowhere {
                refuse("an address that reaches no single time server")
            } else {
                Some(NtpServer::Address(a))
            }
        }
        None if !crate::grammar::hostname(s) => refuse("neither a DNS name nor an address"),
        None if matches!(UpstreamServer::Host { host: s.into(), port: 123 }.reach(), Reach::Local(_)) => {
            refuse("a name of this host, where no other time daemon runs")
        }
        None => Some(NtpServer::Name(s.to_string())),
    }
}
