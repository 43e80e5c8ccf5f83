//! nginx: `nginx -t` on the artifact installed as /etc/nginx/nginx.conf in a sandbox, with
//! self-signed test certificates (and an ffdhe2048 dhparam) at every configured path that
//! does not exist; no `[warn]` or `[emerg]` allowed. Every name in `ssl_ciphers` must be
//! known to the installed OpenSSL (it would silently skip an unknown one).

use std::process::Command;

use camino::Utf8Path;

use super::sandbox::{self, quote};
use super::{Status, brief, need, need_root};

pub(crate) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["nginx", "openssl", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let Ok(conf) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    if let Some(s) = version_gate(&conf) {
        return s;
    }
    if let Some(s) = unknown_ciphers(&conf) {
        return s;
    }
    match run(file, &conf) {
        Ok(s) => s,
        Err(e) => Status::Fail(format!("cannot set up the sandbox: {e}")),
    }
}

/// The values of every `DIRECTIVE value;` line.
fn directive<'a>(conf: &'a str, name: &str) -> Vec<&'a str> {
    conf.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .map(|v| v.trim_end_matches(';').trim())
        .collect()
}

fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.trim().split('.').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// SKIP when the installed nginx is older than the version the file targets: it would
/// reject directives that the target has (`http2 on;` before 1.25.1).
fn version_gate(conf: &str) -> Option<Status> {
    // The header says `# Target: nginx 1.22. TLS: …`.
    let line = conf.lines().find_map(|l| l.strip_prefix("# Target: nginx "))?;
    let target = line.split(". ").next()?.trim_end_matches('.');
    let target_v = parse_version(target)?;
    let out = Command::new("nginx").arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let installed = text.split('/').nth(1).map(|v| v.split_whitespace().next().unwrap_or("").to_string())?;
    let installed_v = parse_version(&installed)?;
    (installed_v < target_v)
        .then(|| Status::Skip(format!("the installed nginx {installed} is older than the target {target}")))
}

fn unknown_ciphers(conf: &str) -> Option<Status> {
    for list in directive(conf, "ssl_ciphers") {
        for name in list.split(':') {
            let ok = Command::new("openssl")
                .args(["ciphers", "-v", name])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if !ok {
                return Some(Status::Fail(format!(
                    "OpenSSL does not know the cipher `{name}`: it would be skipped silently"
                )));
            }
        }
    }
    None
}

fn run(file: &Utf8Path, conf: &str) -> std::io::Result<Status> {
    let tmp = tempfile::tempdir()?;
    let scratch = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir");
    let certs = directive(conf, "ssl_certificate");
    let keys = directive(conf, "ssl_certificate_key");
    let mut overlays: Vec<String> = vec!["/etc".into(), "/var/log".into(), "/run".into()];
    // /run/nginx is the sandbox's RuntimeDirectory, made by systemd before `nginx -t` runs.
    let mut script = format!("mkdir -p /run/nginx\ncp {} /etc/nginx/nginx.conf\n", quote(file.as_str()));
    for (cert, key) in certs.iter().zip(&keys) {
        for p in [cert, key] {
            let top = format!("/{}", p.trim_start_matches('/').split('/').next().unwrap_or(""));
            if !overlays.contains(&top) && !["/proc", "/sys", "/dev"].contains(&top.as_str()) {
                if !Utf8Path::new(&top).is_dir() {
                    return Ok(Status::Fail(format!("`{p}` lies under {top}, which does not exist on this machine")));
                }
                overlays.push(top);
            }
        }
        let (c, k) = (quote(cert), quote(key));
        script.push_str(&format!(
            "if [ ! -e {c} ] || [ ! -e {k} ]; then mkdir -p \"$(dirname {c})\" \"$(dirname {k})\" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=pynoc-verify -keyout {k} -out {c} 2>/dev/null; fi\n"
        ));
    }
    for dh in directive(conf, "ssl_dhparam") {
        let q = quote(dh);
        script.push_str(&format!("[ -e {q} ] || {{ mkdir -p \"$(dirname {q})\" && openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out {q} 2>/dev/null; }}\n"));
    }
    script.push_str("nginx -t -c /etc/nginx/nginx.conf 2>&1\n");
    let refs: Vec<&str> = overlays.iter().map(String::as_str).collect();
    let o = sandbox::run(&script, &refs, scratch)?;
    let out = sandbox::text(&o);
    let bad: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[warn]") || l.contains("[emerg]") || l.contains("[alert]") || l.contains("[crit]"))
        .collect();
    if !bad.is_empty() {
        return Ok(Status::Fail(format!("nginx -t: {}", bad.join(" | "))));
    }
    if !o.status.success() || !out.contains("test is successful") {
        return Ok(Status::Fail(format!("nginx -t: {}", brief(&out))));
    }
    Ok(Status::Pass)
}
