//! `pynoc explain OUT/FILE:LINE`: a line of every artifact is traced to the spec line that
//! set it, to a fixed line of its template, or to the stdlib catalog it comes from.

mod common;

use std::fs;
use std::path::Path;

use common::{example, pynoc, root};

/// What the explanation of a line must say.
enum Want {
    /// Highlights the spec line that contains this text.
    Spec(&'static str),
    /// A fixed line of this template; the test checks the line number against the file.
    Template(&'static str),
    /// A default of this stdlib catalog.
    Catalog(&'static str),
    /// Written by this emitter from the whole model.
    Computed(&'static str),
}

const CASES: &[(&str, &str, Want)] = &[
    ("nginx/nginx.conf", "rate=5r/m", Want::Spec("zone login rate=\"5r/m\"")),
    ("host/sshd_config", "KbdInteractiveAuthentication no", Want::Spec("kbd-interactive-authentication #false")),
    ("host/jail.local", "maxretry = 10", Want::Spec("jail nginx-limit-req maxretry=10")),
    ("host/sysctl.conf", "net.ipv4.icmp_echo_ignore_broadcasts", Want::Catalog("sysctl/hardened.toml")),
    ("host/audit.rules", "-k nginx-config", Want::Spec("watch \"/etc/nginx/nginx.conf\"")),
    ("host/fstab", "size=2G", Want::Spec("tmpfs \"/tmp\" size=\"2G\"")),
    ("host/ufw.sh", "comment AlertManager", Want::Spec("allow 9093 from=internal")),
    ("host/iptables.rules", "--dport 9090", Want::Spec("allow 9090 from=internal")),
    ("host/ip6tables.rules", "--dport 443", Want::Spec("allow https")),
    ("host/nftables.conf", "dport 3000", Want::Spec("allow 3000 from=internal")),
    ("postgres/pg_hba.conf", "172.20.0.0/16", Want::Spec("hostssl pynomaly pynomaly_app \"172.20.0.0/16\"")),
    (
        "postgres/postgresql-security.sql",
        "ALTER SYSTEM SET \"log_min_duration_statement\"",
        Want::Spec("set log_min_duration_statement 1000"),
    ),
    (
        "postgres/postgresql-security.sql",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        Want::Template("postgres/postgresql-security.sql.j2"),
    ),
    ("container/Dockerfile", "FROM python:3.11-slim-bookworm", Want::Spec("base=python:3.11-slim-bookworm")),
    ("container/docker-compose.yml", "memory: 2G", Want::Spec("memory=\"2G\"")),
    ("container/prepare.sh", "PYNOC_PG_TLS_KEY_FROM", Want::Spec("ssl cert=\"/etc/ssl/certs/postgresql.crt\"")),
    ("container/postgres-apply.sh", "PYNOMALY_APP_PASSWORD=", Want::Spec("role pynomaly_app login=#true")),
    ("container/.gitignore", "/postgres-conf/", Want::Template("container/gitignore.j2")),
    ("container/.dockerignore", "# Keeps these out of the build context", Want::Template("container/dockerignore.j2")),
    ("deploy/site.yml", "fullchain.pem", Want::Spec("tls profile=intermediate")),
    (
        "host/unattended-upgrades.conf",
        "#clear Unattended-Upgrade::Origins-Pattern;",
        Want::Template("updates/unattended-upgrades.j2"),
    ),
    ("host/aide.conf", "# File integrity monitoring: read by AIDE", Want::Template("aide/aide.conf.j2")),
    ("host/modprobe.conf", "install cramfs /bin/false", Want::Catalog("modprobe/modules.toml")),
    ("host/login.defs", "PASS_MAX_DAYS 365", Want::Computed("`host passwords`")),
    ("host/pwquality.conf", "minlen = 14", Want::Computed("`host passwords`")),
    ("host/sudoers", "Defaults timestamp_timeout=5", Want::Computed("`host sudo`")),
    ("host/profile.sh", "TMOUT=900", Want::Computed("`host shell`")),
    ("host/profile.sh", "umask 027", Want::Template("login/profile.sh.j2")),
    ("host/limits.conf", "*    hard core 0", Want::Template("limits/limits.conf.j2")),
    ("host/issue", "Authorized access only.", Want::Catalog("banner/banner.toml")),
    ("host/journald.conf", "ForwardToSyslog=no", Want::Template("journald/journald.conf.j2")),
    ("host/timesyncd.conf", "[Time]", Want::Template("timesyncd/timesyncd.conf.j2")),
    (
        "host/apparmor-grub.cfg",
        "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor\"",
        Want::Template("apparmor/grub.cfg.j2"),
    ),
    ("host/faillock.conf", "fail_interval = 900", Want::Template("pam/faillock.conf.j2")),
    ("host/faillock.conf", "deny = 5", Want::Computed("`host passwords`")),
    ("host/pam-profile", "\t[default=die]\tpam_faillock.so authfail", Want::Template("pam/pynoc.j2")),
    (
        "host/timesyncd.conf",
        "NTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org 2.debian.pool.ntp.org 3.debian.pool.ntp.org",
        Want::Catalog("timesyncd/timesyncd.toml"),
    ),
    ("host/issue.net", "monitored and recorded", Want::Catalog("banner/banner.toml")),
    ("host/motd", "law enforcement", Want::Catalog("banner/banner.toml")),
    ("systemd/nginx.service.conf", "ProtectSystem=strict", Want::Catalog("systemd/sandbox.toml")),
    ("systemd/fail2ban.service.conf", "CapabilityBoundingSet=", Want::Catalog("systemd/sandbox.toml")),
    ("deploy/inventory.ini", "[pynoc_web]", Want::Computed("`project`, `host`, `nginx`, `postgres`, `container`")),
    // Lines several nodes decide together (issue 27): traced to them, never to pynoc's code.
    ("nginx/nginx.conf", "ssl_ecdh_curve", Want::Spec("tls profile=intermediate")),
    ("container/docker-compose.yml", "- hba_file=", Want::Spec("hba {")),
    ("container/docker-compose.yml", "- -c", Want::Spec("service postgres image=postgres:15-bookworm")),
];

fn explain(cwd: &Path, what: &str) -> (i32, String, String) {
    let r = pynoc().args(["explain", what]).cwd(cwd).run();
    (r.code(), r.stdout(), r.stderr())
}

#[test]
fn a_line_of_every_artifact_is_traced() {
    let dir = tempfile::tempdir().unwrap();
    let spec_text = fs::read_to_string(example()).unwrap();
    fs::write(dir.path().join("spec.kdl"), &spec_text).unwrap();
    pynoc().args(["build", "spec.kdl", "-o", "out"]).cwd(dir.path()).run().expect(0);

    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    let artifacts: Vec<&str> =
        manifest["artifacts"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
    for a in &artifacts {
        assert!(CASES.iter().any(|(f, _, _)| f == a), "no provenance case for {a}");
    }

    for (file, needle, want) in CASES {
        let text = fs::read_to_string(dir.path().join("out").join(file)).unwrap();
        let (n, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap_or_else(|| panic!("{file}: no `{needle}`"));
        let (code, out, err) = explain(dir.path(), &format!("out/{file}:{}", n + 1));
        assert_eq!(code, 0, "{file}:{}: {err}", n + 1);
        assert!(out.starts_with(&format!("out/{file}:{}: {}", n + 1, line.trim_end())), "{out}");
        assert!(!out.contains("src/") && !out.contains(".rs"), "a user has no pynoc source file:\n{out}");
        match want {
            Want::Spec(spec_line) => {
                let at = spec_text.lines().position(|l| l.contains(spec_line)).expect("the spec has the line") + 1;
                assert!(
                    out.contains(&format!("from spec.kdl:{at}:")),
                    "{file}: `{needle}` should come from spec.kdl:{at}:\n{out}"
                );
                // The span is highlighted under the spec line.
                let shown =
                    out.lines().skip_while(|l| !l.contains(&format!("from spec.kdl:{at}:"))).nth(2).unwrap_or("");
                assert!(shown.contains(spec_line), "{out}");
                let carets =
                    out.lines().skip_while(|l| !l.contains(&format!("from spec.kdl:{at}:"))).nth(3).unwrap_or("");
                assert!(carets.contains('^'), "{out}");
            }
            Want::Template(t) => {
                let body = fs::read_to_string(root().join("stdlib").join(t)).unwrap();
                let tl = body.lines().position(|l| l.trim() == line.trim()).expect("the template has the line") + 1;
                assert!(out.contains(&format!("a fixed line of the template stdlib/{t}:{tl}")), "{out}");
            }
            Want::Catalog(c) => {
                // The key explain names, a token of the line.
                let key = out.split("a default: `").nth(1).and_then(|r| r.split('`').next()).unwrap_or_default();
                assert!(!key.is_empty() && line.contains(key), "{file}: explain names no key of the line:\n{out}");
                let body = fs::read_to_string(root().join("stdlib").join(c)).unwrap();
                let cl = body.lines().position(|l| l.contains(key)).expect("the catalog has the key") + 1;
                assert!(out.contains(&format!("a default: `{key}` from stdlib/{c}:{cl}")), "{out}");
            }
            Want::Computed(sections) => {
                assert!(out.contains(&format!("computed from the spec's {sections} as a whole")), "{out}")
            }
        }
    }

    // The header of any artifact.
    let (code, out, _) = explain(dir.path(), "out/nginx/nginx.conf:1");
    assert_eq!(code, 0);
    assert!(out.contains("the generated-file header"), "{out}");
    // From inside the output directory, with the spec found beside it.
    let (code, out, err) = explain(&dir.path().join("out"), "host/fstab:4");
    assert_eq!(code, 0, "{err}");
    let at = spec_text.lines().position(|l| l.contains("tmpfs \"/tmp\"")).unwrap() + 1;
    assert!(out.contains(&format!("spec.kdl:{at}:")), "{out}");
}

#[test]
fn a_line_that_cannot_be_traced_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(example(), dir.path().join("spec.kdl")).unwrap();
    pynoc().args(["build", "spec.kdl", "-o", "out"]).cwd(dir.path()).run().expect(0);

    let (code, _, err) = explain(dir.path(), "out/host/fstab:999");
    assert_eq!(code, 2);
    assert!(err.contains("there is no line 999"), "{err}");

    // An edited artifact no longer matches the spec: no guess.
    let fstab = dir.path().join("out/host/fstab");
    let mut text = fs::read_to_string(&fstab).unwrap();
    text.push_str("# edited by hand\n");
    fs::write(&fstab, text).unwrap();
    let (code, _, err) = explain(dir.path(), "out/host/fstab:2");
    assert_eq!(code, 2);
    assert!(err.contains("differs from what"), "{err}");

    // A file outside any output directory.
    let (code, _, err) = explain(dir.path(), "spec.kdl:3");
    assert_eq!(code, 2);
    assert!(err.contains("no manifest.json"), "{err}");

    // The spec changed since the build: the artifact differs, so it is refused.
    let spec = fs::read_to_string(dir.path().join("spec.kdl")).unwrap().replace("port 22", "port 2222");
    fs::write(dir.path().join("spec.kdl"), spec).unwrap();
    let (code, _, err) = explain(dir.path(), "out/host/sshd_config:6");
    assert_eq!(code, 2);
    assert!(err.contains("differs from what"), "{err}");
}
