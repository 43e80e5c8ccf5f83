//! The generated nginx.conf, run for real: nginx starts in a network namespace of its own on
//! loopback high ports (listen ports, certificate, log, pid, webroot and upstream rewritten
//! for the test only), in front of a stand-in application, once with an ECDSA and once with
//! an RSA self-signed certificate. Real clients (openssl s_client, curl) check TLS versions,
//! headers, redirects, ACME, blocked paths and rate limits. Everything started is stopped by
//! its pid.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{example, pynoc, root, strict};

const HTTP: u16 = 18080;
const HTTPS: u16 = 18443;
const BACKEND: u16 = 18000;
const NAME: &str = "api.pynomaly.com";

struct Lab {
    ns: String,
    children: Vec<Child>,
    nginx_pid: Option<u32>,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let ns = format!("pynoc-ngx-{tag}-{}", std::process::id());
        run(&["ip", "netns", "add", &ns]);
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        Lab { ns, children: Vec::new(), nginx_pid: None }
    }

    /// The stand-in application, then nginx on `conf` (which `nginx -t` must accept), each
    /// listening; nginx's pid from the pid file the rewritten conf names in `dir`.
    fn serve(tag: &str, dir: &Path, conf: &Path) -> Lab {
        let mut lab = Lab::new(tag);
        let backend = root().join("tests/support/backend.py");
        lab.spawn(&["python3", &backend.to_string_lossy(), &BACKEND.to_string()]);
        lab.wait_port(BACKEND);
        let t = lab.exec(&["nginx", "-t", "-c", &conf.to_string_lossy()]);
        assert!(t.status.success(), "nginx -t: {}", String::from_utf8_lossy(&t.stderr));
        lab.spawn(&["nginx", "-c", &conf.to_string_lossy(), "-g", "daemon off;"]);
        lab.wait_port(HTTPS);
        lab.nginx_pid = fs::read_to_string(dir.join("nginx.pid")).ok().and_then(|p| p.trim().parse().ok());
        assert!(lab.nginx_pid.is_some(), "nginx wrote no pid file");
        lab
    }

    fn exec(&self, args: &[&str]) -> Output {
        Command::new("ip").args(["netns", "exec", &self.ns]).args(args).output().expect("ip netns exec")
    }

    fn spawn(&mut self, args: &[&str]) -> u32 {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    fn wait_port(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let probe = format!("import socket; socket.create_connection(('127.0.0.1', {port}), 0.5)");
            if self.exec(&["python3", "-c", &probe]).status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("nothing listens on port {port}");
    }

    fn curl(&self, args: &[&str]) -> (i32, String) {
        let resolve = format!("{NAME}:{HTTPS}:127.0.0.1");
        let resolve80 = format!("{NAME}:{HTTP}:127.0.0.1");
        let mut all = vec!["curl", "-s", "-k", "--max-time", "5", "--resolve", &resolve, "--resolve", &resolve80];
        all.extend_from_slice(args);
        let o = self.exec(&all);
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
    }

    fn handshake(&self, version: &str) -> (bool, String) {
        let connect = format!("127.0.0.1:{HTTPS}");
        let mut args = vec!["openssl", "s_client", "-connect", &connect, "-servername", NAME, version];
        if version == "-tls1" || version == "-tls1_1" {
            // Let the client offer the old protocol, so a refusal is the server's.
            args.extend(["-cipher", "DEFAULT@SECLEVEL=0"]);
        }
        let o = Command::new("ip").args(["netns", "exec", &self.ns]).args(&args).stdin(Stdio::null()).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // nginx's master stops its workers on TERM; then every child we started.
        if let Some(pid) = self.nginx_pid {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        for c in &mut self.children {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && c.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

fn run(args: &[&str]) {
    let o = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn certificate(dir: &Path, kind: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join(format!("{kind}.crt")), dir.join(format!("{kind}.key")));
    let algo: &[&str] = if kind == "ecdsa" {
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    } else {
        &["-newkey", "rsa:2048"]
    };
    let subj = format!("/CN={NAME}");
    let san = format!("subjectAltName=DNS:{NAME}");
    let mut args = vec!["req", "-x509", "-nodes", "-days", "2", "-subj", &subj, "-addext", &san];
    args.extend_from_slice(algo);
    let (c, k) = (cert.to_string_lossy().to_string(), key.to_string_lossy().to_string());
    args.extend(["-keyout", &k, "-out", &c]);
    let o = Command::new("openssl").args(&args).output().unwrap();
    assert!(o.status.success(), "openssl req: {}", String::from_utf8_lossy(&o.stderr));
    (cert, key)
}

/// The generated config with ports and paths moved into the test directory.
fn rewrite(conf: &str, dir: &Path, cert: &Path, key: &Path) -> String {
    let d = dir.display();
    let mut out = conf
        .replace("listen 80;", &format!("listen 127.0.0.1:{HTTP};"))
        .replace("listen [::]:80;", &format!("listen [::1]:{HTTP};"))
        .replace("listen 80 default_server;", &format!("listen 127.0.0.1:{HTTP} default_server;"))
        .replace("listen [::]:80 default_server;", &format!("listen [::1]:{HTTP} default_server;"))
        .replace("listen 443 ", &format!("listen 127.0.0.1:{HTTPS} "))
        .replace("listen [::]:443 ", &format!("listen [::1]:{HTTPS} "))
        .replace("pid /run/nginx/nginx.pid;", &format!("pid {d}/nginx.pid;"))
        .replace("/var/log/nginx/", &format!("{d}/log-"))
        .replace("root /var/www/letsencrypt;", &format!("root {d}/webroot;"))
        .replace("server 127.0.0.1:8000;", &format!("server 127.0.0.1:{BACKEND};"));
    let lines: Vec<String> = out
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            if t.starts_with("ssl_certificate ") {
                format!("{indent}ssl_certificate {};", cert.display())
            } else if t.starts_with("ssl_certificate_key ") {
                format!("{indent}ssl_certificate_key {};", key.display())
            } else {
                l.to_string()
            }
        })
        .collect();
    out = lines.join("\n") + "\n";
    for moved in [format!("{HTTPS}"), format!("{BACKEND}"), format!("{d}/nginx.pid")] {
        assert!(out.contains(&moved), "rewrite missed {moved}");
    }
    // An HTTPS-only configuration has no port 80 to move.
    assert!(!conf.contains("listen 80") || out.contains(&format!("{HTTP}")), "rewrite missed {HTTP}");
    out
}

fn header_count(headers: &str, name: &str) -> usize {
    headers.lines().filter(|l| l.split_once(':').is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))).count()
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

#[allow(clippy::too_many_lines, reason = "a test reads as one script")]
fn serve_and_check(kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let out = d.join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let conf = fs::read_to_string(out.join("nginx/nginx.conf")).unwrap();
    let (cert, key) = certificate(d, kind);
    fs::create_dir_all(d.join("webroot/.well-known/acme-challenge")).unwrap();
    fs::write(d.join("webroot/.well-known/acme-challenge/token-123"), "acme-token-123").unwrap();
    for p in ["webroot", "webroot/.well-known", "webroot/.well-known/acme-challenge"] {
        fs::set_permissions(d.join(p), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(d.join("webroot/.well-known/acme-challenge/token-123"), fs::Permissions::from_mode(0o644))
        .unwrap();
    let test_conf = d.join("nginx.conf");
    fs::write(&test_conf, rewrite(&conf, d, &cert, &key)).unwrap();

    let lab = Lab::serve(kind, d, &test_conf);

    // TLS: 1.0 and 1.1 refused, 1.2 and 1.3 accepted with this certificate type.
    for old in ["-tls1", "-tls1_1"] {
        let (ok, _) = lab.handshake(old);
        assert!(!ok, "{kind}: {old} handshake accepted");
    }
    for (v, proto) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (ok, text) = lab.handshake(v);
        assert!(ok && text.contains(&format!("New, {proto}, Cipher is ")), "{kind}: {proto} handshake failed:\n{text}");
        if v == "-tls1_2" {
            let suite = if kind == "ecdsa" { "ECDHE-ECDSA-" } else { "ECDHE-RSA-" };
            assert!(text.contains(&format!("Cipher is {suite}")), "{kind}: unexpected TLS 1.2 suite:\n{text}");
        }
    }

    // Headers: each security header exactly once, nginx's values, the app's hidden.
    let (code, headers) = lab.curl(&["-D", "-", "-o", "/dev/null", &format!("https://{NAME}:{HTTPS}/api/detectors")]);
    assert_eq!(code, 0, "{kind}: curl failed");
    assert!(headers.starts_with("HTTP/2 200") || headers.starts_with("HTTP/1.1 200"), "{kind}: {headers}");
    for h in [
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
        "X-XSS-Protection",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
        "Cross-Origin-Embedder-Policy",
        "X-Permitted-Cross-Domain-Policies",
        "X-DNS-Prefetch-Control",
    ] {
        assert_eq!(header_count(&headers, h), 1, "{kind}: `{h}` not exactly once:\n{headers}");
    }
    assert_eq!(header(&headers, "Cross-Origin-Opener-Policy"), Some("same-origin"));

    // A name no site serves reaches no site: on port 80 the connection is closed (444), a
    // TLS handshake for an unknown SNI name (or none) is refused, and a known SNI name with
    // an unknown Host header is closed too, never proxied to the backend.
    let unknown_http = lab.curl(&["-o", "/dev/null", "-H", "Host: evil.example", &format!("http://127.0.0.1:{HTTP}/")]);
    assert_eq!(unknown_http.0, 52, "{kind}: an unknown Host on port 80 got a reply");
    let evil = format!("evil.example:{HTTPS}:127.0.0.1");
    let unknown_sni = lab.curl(&["-o", "/dev/null", "--resolve", &evil, &format!("https://evil.example:{HTTPS}/")]);
    assert!(
        unknown_sni.0 == 35,
        "{kind}: a TLS handshake for an unknown name was not refused (curl exit {})",
        unknown_sni.0
    );
    let connect = format!("127.0.0.1:{HTTPS}");
    let o = lab.exec(&["openssl", "s_client", "-connect", &connect, "-noservername"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        !o.status.success() && !text.contains("BEGIN CERTIFICATE"),
        "{kind}: a handshake without SNI showed a certificate:\n{text}"
    );
    let (code, body) = lab.curl(&["-H", "Host: evil.example", &format!("https://{NAME}:{HTTPS}/api/admin/users")]);
    assert!(
        code == 52 || code == 92 || code == 56,
        "{kind}: a known SNI with an unknown Host was answered (curl exit {code}): {body}"
    );
    assert!(
        header(&headers, "Content-Security-Policy").unwrap().starts_with("default-src 'self'; script-src 'self';"),
        "{kind}: the app's CSP leaked:\n{headers}"
    );
    assert_eq!(header(&headers, "X-XSS-Protection"), Some("0"));
    assert_eq!(header(&headers, "X-Frame-Options"), Some("DENY"));
    assert_eq!(header_count(&headers, "X-Powered-By"), 0, "{kind}: X-Powered-By leaked:\n{headers}");
    assert_eq!(header(&headers, "Server"), Some("nginx"), "{kind}: the Server header shows a version:\n{headers}");
    assert!(header(&headers, "Strict-Transport-Security").unwrap().contains("max-age=31536000"));

    // HTTP redirects to HTTPS, but serves the ACME challenge from the webroot.
    let (_, redirect) = lab.curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
        &format!("http://{NAME}:{HTTP}/some/path?q=1"),
    ]);
    assert_eq!(redirect, format!("301 https://{NAME}/some/path?q=1"), "{kind}: no redirect");
    let (_, acme) =
        lab.curl(&["-w", " %{http_code}", &format!("http://{NAME}:{HTTP}/.well-known/acme-challenge/token-123")]);
    assert_eq!(acme, "acme-token-123 200", "{kind}: ACME challenge not served");

    // Blocked paths are closed (444: an empty reply); look-alikes are not.
    for blocked in ["/.env", "/.git/config", "/index.php", "/cgi-bin/test.cgi"] {
        let (code, _) = lab.curl(&["-o", "/dev/null", &format!("https://{NAME}:{HTTPS}{blocked}")]);
        assert!(code == 52 || code == 92 || code == 56, "{kind}: {blocked} was not closed (curl exit {code})");
    }
    for open in ["/api/admin/users", "/.well-known/security.txt"] {
        let (_, code) = lab.curl(&["-o", "/dev/null", "-w", "%{http_code}", &format!("https://{NAME}:{HTTPS}{open}")]);
        assert_ne!(code, "000", "{kind}: {open} was closed");
    }
    let (_, body) = lab.curl(&[&format!("https://{NAME}:{HTTPS}/api/admin/users")]);
    assert_eq!(body, "backend:/api/admin/users", "{kind}: /api/admin/users not proxied");

    // Rate limit: /auth/login allows 1 + burst 5 at once, then 429.
    let mut codes = Vec::new();
    for _ in 0..9 {
        let (_, code) =
            lab.curl(&["-o", "/dev/null", "-w", "%{http_code}", &format!("https://{NAME}:{HTTPS}/auth/login")]);
        codes.push(code);
    }
    assert!(codes[..6].iter().all(|c| c == "200"), "{kind}: login limited too early: {codes:?}");
    assert!(codes[6..].iter().all(|c| c == "429"), "{kind}: no 429 past the burst: {codes:?}");
    // The limit is per location: the API zone still answers.
    let (_, api) =
        lab.curl(&["-o", "/dev/null", "-w", "%{http_code}", &format!("https://{NAME}:{HTTPS}/api/detectors")]);
    assert_eq!(api, "200");
    // fail2ban's nginx-limit-req jail reads the error log: the refusals are there.
    let log = fs::read_to_string(d.join("log-error.log")).unwrap_or_default();
    assert!(log.contains("limiting requests"), "{kind}: no `limiting requests` in the error log:\n{log}");
}

fn can_run() -> bool {
    let tools = ["nginx", "openssl", "curl", "python3", "ip"];
    let ready = pynoc::verify::sandbox::is_root() && tools.iter().all(|t| pynoc::verify::which(t).is_some());
    if !ready {
        assert!(!strict(), "the nginx behaviour test needs root and {tools:?}");
        eprintln!("SKIP nginx behaviour: needs root and {tools:?}");
    }
    ready
}

/// A variant of the reference spec, built and served: nginx on its generated nginx.conf (an
/// ECDSA certificate, a webroot for ACME) in front of the stand-in application. Returns the
/// temporary directory (kept alive with the lab), the generated nginx.conf and the lab.
fn serve_variant(tag: &str, spec: &str) -> (tempfile::TempDir, String, Lab) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let spec_path = d.join("spec.kdl");
    fs::write(&spec_path, spec).unwrap();
    let out = d.join("out");
    pynoc().arg("build").arg(&spec_path).arg("-o").arg(&out).run().expect(0);
    let conf = fs::read_to_string(out.join("nginx/nginx.conf")).unwrap();
    let (cert, key) = certificate(d, "ecdsa");
    fs::create_dir_all(d.join("webroot")).unwrap();
    fs::set_permissions(d.join("webroot"), fs::Permissions::from_mode(0o755)).unwrap();
    let test_conf = d.join("nginx.conf");
    fs::write(&test_conf, rewrite(&conf, d, &cert, &key)).unwrap();
    let lab = Lab::serve(tag, d, &test_conf);
    (dir, conf, lab)
}

impl Lab {
    /// curl's exit code and the HTTP status of `path` on the site over HTTPS; `extra` goes
    /// before the URL (`--interface 127.0.0.2`).
    fn status(&self, extra: &[&str], path: &str) -> (i32, String) {
        let url = format!("https://{NAME}:{HTTPS}{path}");
        let mut args = extra.to_vec();
        args.extend(["-o", "/dev/null", "-w", "%{http_code}", &url]);
        self.curl(&args)
    }
}

#[test]
fn nginx_with_an_ecdsa_certificate() {
    if can_run() {
        serve_and_check("ecdsa");
    }
}

#[test]
fn nginx_with_an_rsa_certificate() {
    if can_run() {
        serve_and_check("rsa");
    }
}

/// A site with no `location "/"` (the reference with that line removed): every path no
/// location matches gets 404 from the catch-all, never nginx's default page or a file under
/// its compiled-in root; the location that remains still reaches the application.
#[test]
fn a_site_without_a_root_location_answers_404_elsewhere() {
    if !can_run() {
        return;
    }
    let spec = fs::read_to_string(example()).unwrap();
    let without: String =
        spec.lines().filter(|l| !l.trim().starts_with("location \"/\" ")).map(|l| format!("{l}\n")).collect();
    assert_ne!(without, spec, "the reference has a `location \"/\"` to remove");
    let (_dir, conf, lab) = serve_variant("catchall", &without);
    assert!(conf.contains("# No location matches: 404"), "no catch-all:\n{conf}");
    for path in ["/", "/index.html", "/50x.html", "/api/detectors"] {
        let (code, body) = lab.curl(&["-o", "-", "-w", "\n%{http_code}", &format!("https://{NAME}:{HTTPS}{path}")]);
        assert_eq!(code, 0, "curl {path}");
        assert!(body.ends_with("\n404") && !body.contains("Welcome to nginx"), "{path}: {body}");
    }
    let (code, status) = lab.status(&[], "/auth/login");
    assert_eq!((code, status.as_str()), (0, "200"), "the remaining location reaches the application");
}

/// `allow from=…` on a site and on a location (issue 27): the reference with its site open to
/// 127.0.0.0/30 only and `/auth/login` to 127.0.0.2 only, served by a real nginx; clients
/// bound to different loopback addresses get the application or 403.
#[test]
fn allow_from_a_network_answers_403_to_everyone_else() {
    if !can_run() {
        return;
    }
    let spec = fs::read_to_string(example()).unwrap();
    let login = "        location \"/auth/login\" proxy=pynomaly_backend zone=login burst=5\n";
    assert_eq!(spec.matches(login).count(), 1, "the reference's login location moved");
    let spec = spec.replacen(
        login,
        "        allow from=\"127.0.0.0/30\"\n        location \"/auth/login\" proxy=pynomaly_backend zone=login burst=5 {\n            allow from=\"127.0.0.2/32\"\n        }\n",
        1,
    );
    let (_dir, _conf, lab) = serve_variant("allow", &spec);
    for (from, path, want) in [
        ("127.0.0.1", "/health", "200"),
        ("127.0.0.1", "/auth/login", "403"),
        ("127.0.0.2", "/auth/login", "200"),
        ("127.0.0.5", "/health", "403"),
        ("127.0.0.5", "/auth/login", "403"),
    ] {
        let (code, status) = lab.status(&["--interface", from], path);
        assert_eq!((code, status.as_str()), (0, want), "{path} from {from}");
    }
}

/// An HTTPS-only site (`http listen=#false`, issue 27): nginx has no port 80 at all (a
/// connection there is refused), and HTTPS still reaches the application.
#[test]
fn an_https_only_site_has_no_port_80() {
    if !can_run() {
        return;
    }
    let spec = fs::read_to_string(example()).unwrap();
    let acme = "        acme webroot=\"/var/www/letsencrypt\"\n";
    assert_eq!(spec.matches(acme).count(), 1, "the reference's acme line moved");
    let spec = spec.replacen(acme, "        http listen=#false\n", 1);
    let (_dir, conf, lab) = serve_variant("httpsonly", &spec);
    assert!(!conf.contains("listen 80") && !conf.contains("[::]:80"), "port 80 in an HTTPS-only nginx.conf");
    let (code, status) = lab.status(&[], "/health");
    assert_eq!((code, status.as_str()), (0, "200"), "HTTPS reaches the application");
    let refused = lab.exec(&["curl", "-s", "-o", "/dev/null", "--max-time", "5", &format!("http://127.0.0.1:{HTTP}/")]);
    assert_eq!(refused.status.code(), Some(7), "port {HTTP} (80) must refuse the connection");
}
