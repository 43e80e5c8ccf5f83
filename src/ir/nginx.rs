//! The nginx section of the IR.

use std::fmt;
use std::net::SocketAddr;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;

use crate::ast::Span;

/// A complete nginx.conf: events, http, zones, upstreams, servers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Nginx {
    #[serde(skip)]
    pub(crate) span: Span,
    /// The nginx version the output targets, e.g. `1.22` (Debian 12).
    pub(crate) version: String,
    /// From 1.25.1 on HTTP/2 is switched on with `http2 on;`, before with `listen … http2`.
    pub(crate) http2_directive: bool,
    /// Some site has a plain-HTTP server: nginx listens on port 80.
    pub(crate) listens_http: bool,
    pub(crate) access_log: String,
    pub(crate) error_log: String,
    /// `client_max_body_size`, e.g. `100m`.
    pub(crate) client_max_body_size: String,
    /// Concurrent connections per client address (`limit_conn`), over every site.
    pub(crate) limit_conn: u32,
    /// Third-party modules the spec declares as installed, e.g. `headers-more`.
    pub(crate) modules: Vec<String>,
    pub(crate) zones: Vec<Zone>,
    pub(crate) upstreams: Vec<Upstream>,
    pub(crate) sites: Vec<Site>,
    /// The protocols of every site: the default server's, which nginx negotiates with
    /// before the SNI name picks a site.
    pub(crate) default_protocols: Vec<String>,
}

/// A `limit_req_zone`, keyed by client address.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Zone {
    pub(crate) name: String,
    /// e.g. `100r/m`.
    pub(crate) rate: String,
    /// Shared memory size, e.g. `10m`.
    pub(crate) size: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Upstream {
    #[serde(skip)]
    pub(crate) span: Span,
    pub(crate) name: String,
    /// `ADDRESS:PORT`, `HOST:PORT` or `unix:/path`.
    #[schemars(with = "Vec<String>")]
    pub(crate) servers: Vec<UpstreamServer>,
    /// Idle keep-alive connections to the upstream per worker.
    pub(crate) keepalive: u32,
}

/// Where an upstream's server listens; serialized as nginx writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UpstreamServer {
    Socket(SocketAddr),
    Host { host: String, port: u16 },
    Unix(String),
}

/// What an upstream's address reaches, by meaning rather than by spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// This host: `127.0.0.0/8`, `::1`, `0.0.0.0` and `::` (a connection to the unspecified
    /// address goes to the local host), `localhost` and `*.localhost`, and the IPv4-mapped,
    /// IPv4-compatible and shorthand (`127.1`, `2130706433`, `0x7f.1`) forms of them.
    Local(u16),
    /// A link-local address (`169.254.0.0/16`, `fe80::/10`) or a cloud's metadata service
    /// (`100.100.100.200`, `fd00:ec2::254`, `metadata.google.internal`): instance credentials.
    Metadata,
    /// Another host, or a Unix socket.
    Elsewhere,
}

/// An IPv4 address as `inet_aton` (and so nginx's resolver) reads it: one to four parts,
/// each decimal, octal (`0…`) or hex (`0x…`); the last part fills the remaining bytes.
pub(crate) fn inet_aton(s: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let n = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            if h.is_empty() { 0 } else { u64::from_str_radix(h, 16).ok()? }
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(&p[1..], 8).ok()?
        } else if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) {
            p.parse::<u64>().ok()?
        } else {
            return None;
        };
        nums.push(n);
    }
    let (last, head) = nums.split_last()?;
    if head.iter().any(|n| *n > 255) || *last >= 1u64 << (8 * (5 - nums.len())) {
        return None;
    }
    let mut v: u64 = 0;
    for (i, n) in head.iter().enumerate() {
        v |= n << (24 - 8 * i);
    }
    Some(std::net::Ipv4Addr::from((v | last) as u32))
}

/// What an IP address reaches, its IPv4-in-IPv6 forms taken as the IPv4 address.
pub(crate) fn reach_ip(ip: std::net::IpAddr, port: u16) -> Reach {
    use std::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4() {
            // `::ffff:a.b.c.d` and the deprecated `::a.b.c.d`; not `::` or `::1` themselves.
            Some(v4) if !v6.is_unspecified() && !v6.is_loopback() => IpAddr::V4(v4),
            _ => ip,
        },
        v4 => v4,
    };
    let metadata_v6: std::net::Ipv6Addr = "fd00:ec2::254".parse().expect("an address");
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => Reach::Local(port),
        IpAddr::V4(v4) if v4.is_link_local() || v4.octets() == [100, 100, 100, 200] => Reach::Metadata,
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Reach::Local(port),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == metadata_v6 => Reach::Metadata,
        _ => Reach::Elsewhere,
    }
}

impl UpstreamServer {
    /// What this server reaches ([`Reach`]).
    pub(crate) fn reach(&self) -> Reach {
        match self {
            UpstreamServer::Socket(a) => reach_ip(a.ip(), a.port()),
            UpstreamServer::Host { host, port } => {
                let h = host.trim_end_matches('.').to_ascii_lowercase();
                if h == "localhost" || h.ends_with(".localhost") || h == "localhost.localdomain" || h == "ip6-localhost"
                {
                    Reach::Local(*port)
                } else if ["metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"]
                    .contains(&h.as_str())
                {
                    Reach::Metadata
                } else if let Some(v4) = inet_aton(&h) {
                    reach_ip(v4.into(), *port)
                } else {
                    Reach::Elsewhere
                }
            }
            UpstreamServer::Unix(_) => Reach::Elsewhere,
        }
    }
}

impl fmt::Display for UpstreamServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamServer::Socket(a) => write!(f, "{a}"),
            UpstreamServer::Host { host, port } => write!(f, "{host}:{port}"),
            UpstreamServer::Unix(path) => write!(f, "unix:{path}"),
        }
    }
}

impl Serialize for UpstreamServer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Site {
    #[serde(skip)]
    pub(crate) span: Span,
    /// `server_name`s; the first is the canonical name HTTP redirects to.
    pub(crate) names: Vec<String>,
    /// `allow from=…`: the HTTPS server answers only these networks (403 for the rest);
    /// empty: everyone.
    pub(crate) allow: Vec<IpNet>,
    /// The site has a plain-HTTP server on port 80 (`http listen=#false`: HTTPS only).
    pub(crate) http: bool,
    /// The plain-HTTP server redirects everything but ACME challenges to HTTPS; when off,
    /// it answers those with 404.
    pub(crate) redirect: bool,
    /// Why HSTS is kept under a year, when it is: repeated in the output.
    pub(crate) hsts_reason: Option<String>,
    /// pynoc's headers the spec changed (`header NAME VALUE reason=…`), with the reason:
    /// repeated in the output.
    pub(crate) header_reasons: Vec<crate::ir::Removed>,
    pub(crate) tls: Tls,
    /// Served over plain HTTP at `/.well-known/acme-challenge/` for certificate renewal.
    pub(crate) acme_webroot: Option<String>,
    /// Response headers, each sent once, with `always`.
    pub(crate) headers: Vec<Header>,
    /// Upstream headers hidden so that no response carries two of them.
    pub(crate) hide_headers: Vec<String>,
    pub(crate) locations: Vec<Location>,
    /// No prefix `location "/"`: a catch-all answers 404 for every path no location matches,
    /// so nginx never serves its compiled-in root (its default page, any file under it).
    pub(crate) catch_all: bool,
    /// File extensions whose requests are closed (`return 444`).
    pub(crate) blocked_extensions: Vec<String>,
    /// Close requests for dotfiles (`/.git`, `/.env`), except `/.well-known/`.
    pub(crate) block_dotfiles: bool,
    /// Why dotfiles are served, when they are: repeated in the output.
    pub(crate) dotfiles_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Tls {
    pub(crate) profile: TlsProfile,
    /// The guideline the profile comes from, named in the output.
    pub(crate) guideline: String,
    /// Its version, e.g. `6.0`.
    pub(crate) version: String,
    pub(crate) protocols: Vec<String>,
    /// TLS 1.2 cipher list; empty for TLS 1.3 only.
    pub(crate) ciphers: Vec<String>,
    pub(crate) curves: Vec<String>,
    pub(crate) certificate: String,
    pub(crate) key: String,
    pub(crate) dhparam: Option<String>,
    pub(crate) session_timeout: String,
    pub(crate) session_cache: String,
    /// The profile's HSTS max-age, the default of `hsts`.
    #[serde(skip)]
    pub(crate) hsts_max_age: u64,
}

/// A Mozilla Server Side TLS profile (`stdlib/nginx/tls.toml` has one table per variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum TlsProfile {
    /// TLS 1.3 only.
    Modern,
    /// TLS 1.2 and 1.3.
    Intermediate,
}

impl TlsProfile {
    pub(crate) const ALL: [TlsProfile; 2] = [TlsProfile::Intermediate, TlsProfile::Modern];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TlsProfile::Modern => "modern",
            TlsProfile::Intermediate => "intermediate",
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Header {
    /// Where the spec sets it, or the site for a default.
    #[serde(skip)]
    pub(crate) span: Span,
    pub(crate) name: String,
    pub(crate) value: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Location {
    /// A plain path: `/`, `/api/`, `/auth/login`.
    pub(crate) path: String,
    /// `location = PATH`: this path only (paths not ending in `/` default to exact).
    pub(crate) exact: bool,
    /// The upstream requests are proxied to.
    pub(crate) proxy: Option<String>,
    /// A `limit_req` zone with its burst.
    pub(crate) zone: Option<String>,
    pub(crate) burst: u32,
    pub(crate) nodelay: bool,
    /// `allow from=…` in the location: only these networks (403 for the rest); each lies
    /// within the site's own `allow`, if it has one.
    pub(crate) allow: Vec<IpNet>,
}
