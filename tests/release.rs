//! `host release=…`: the daemons' versions, and so the settings that depend on them, follow
//! the release (stdlib/targets.toml). Debian 12's output is the goldens'; these are the
//! differences Debian 13 brings, and the manifest names the release `pynoc verify` compares
//! with the machine it runs on.

mod common;

fn compile(release: Option<&str>) -> pynoc::Compiled {
    let host = release.map(|r| format!("host release=\"{r}\"")).unwrap_or_else(|| "host".into());
    let spec = format!(
        r#"pynoc 1
project demo {{
    domain "demo.example.com"
}}
{host} {{
    ssh {{
        permit-root-login #false
    }}
    audit
}}
nginx {{
    upstream app {{
        server "127.0.0.1:8000"
    }}
    site "demo.example.com" {{
        tls cert="/etc/ssl/demo.pem" key="/etc/ssl/demo.key"
        location "/" proxy=app
    }}
}}
postgres database=app {{
    role app_rw login=#true password-env=APP_PW
    hba {{
        local all postgres method=peer
    }}
}}
"#
    );
    pynoc::compile(&spec, "spec.kdl")
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.render(false)).collect::<String>()))
}

fn file<'a>(c: &'a pynoc::Compiled, name: &str) -> &'a str {
    &c.artifacts.iter().find(|a| a.name() == name).unwrap_or_else(|| panic!("no artifact {name}")).content
}

fn line<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines().find(|l| l.trim_start().starts_with(start)).unwrap_or_else(|| panic!("no line `{start}`"))
}

#[test]
fn debian_12_is_the_default_and_gets_only_what_its_daemons_know() {
    let (implicit, explicit) = (compile(None), compile(Some("debian-12")));
    let contents = |c: &pynoc::Compiled| c.artifacts.iter().map(|a| a.content.clone()).collect::<Vec<_>>();
    assert_eq!(contents(&implicit), contents(&explicit), "no release and `debian-12` must be the same output");
    let c = implicit;
    assert!(c.manifest.contains("\"release\": \"debian-12\""));
    let kex = line(file(&c, "sshd"), "KexAlgorithms");
    assert!(!kex.contains("mlkem768x25519-sha256"), "OpenSSH 9.2 has no ML-KEM key exchange: {kex}");
    assert!(kex.contains("sntrup761x25519-sha512@openssh.com") && !kex.contains("sntrup761x25519-sha512,"), "{kex}");
    let nginx = file(&c, "nginx");
    assert!(nginx.contains("listen 443 ssl http2;") && !nginx.contains("http2 on;"), "nginx 1.22 has no `http2 on`");
    assert!(!line(nginx, "ssl_ecdh_curve").contains("MLKEM"), "OpenSSL 3.0 has no ML-KEM group");
    assert!(file(&c, "deploy").contains("- postgresql-15\n"));
    assert!(file(&c, "postgres-sql").contains("PostgreSQL 15 security"));
}

#[test]
fn debian_13_gets_its_newer_daemons_settings() {
    let c = compile(Some("debian-13"));
    assert!(c.manifest.contains("\"release\": \"debian-13\""));
    let kex = line(file(&c, "sshd"), "KexAlgorithms");
    assert!(kex.starts_with("KexAlgorithms mlkem768x25519-sha256,sntrup761x25519-sha512,"), "{kex}");
    let nginx = file(&c, "nginx");
    assert!(nginx.contains("http2 on;") && !nginx.contains("ssl http2"), "nginx 1.26 deprecates `listen … http2`");
    assert!(line(nginx, "ssl_ecdh_curve").contains("X25519MLKEM768:X25519"), "OpenSSL 3.5 has ML-KEM");
    let deploy = file(&c, "deploy");
    assert!(deploy.contains("- postgresql-17\n") && deploy.contains("/etc/postgresql/17/main/pg_hba.conf"));
    assert!(file(&c, "postgres-sql").contains("PostgreSQL 17 security"));
}

/// A section's own `version` still wins over the release's.
#[test]
fn a_sections_version_wins() {
    let spec = r#"pynoc 1
project demo
host release="debian-13" {
    sysctl profile=hardened
}
postgres database=app version=16 {
    role app_rw login=#true password-env=APP_PW
    hba {
        local all postgres method=peer
    }
}
"#;
    let c = pynoc::compile(spec, "spec.kdl").unwrap_or_else(|d| panic!("{d:?}"));
    assert!(file(&c, "deploy").contains("- postgresql-16\n"));
}

/// `pynoc verify` of files for another release than the machine's does not let this
/// machine's daemons judge them: SKIP, with the reason.
#[test]
fn verify_skips_daemons_of_another_release() {
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    if os.contains("VERSION_ID=\"13\"") {
        eprintln!("SKIP: this machine runs Debian 13, the release under test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = camino::Utf8Path::from_path(dir.path()).unwrap().join("out");
    let c = compile(Some("debian-13"));
    pynoc::write::write(&c, &out).unwrap();
    let outcomes = pynoc::verify::verify(&out, |_| {}).unwrap();
    for name in ["sshd", "nginx"] {
        let o = outcomes.iter().find(|o| o.name == name).unwrap();
        assert!(o.to_string().starts_with(&format!("SKIP {name}: the files are for debian-13")), "{o}");
    }
}

/// Where `.ci/install-validators` puts a Debian 13 root file system with its sshd, nginx and
/// openssl (mmdebstrap of trixie).
const TRIXIE: &str = "/opt/pynoc-debian-13";

/// Debian 13's output judged by Debian 13's own daemons: `pynoc verify --root` runs verify
/// inside the trixie root (chroot), where sshd is OpenSSH 10.0, nginx 1.26 and OpenSSL 3.5, so the
/// ML-KEM key exchange, the X25519MLKEM768 group and `http2 on;` meet the programs that
/// read them. Validators the root does not have say SKIP there, and are not asserted.
#[test]
fn debian_13_output_passes_debian_13_daemons() {
    let Some((out, text)) = verify_in_trixie(&compile(Some("debian-13"))) else { return };
    for name in ["sshd", "nginx"] {
        assert!(text.lines().any(|l| l == format!("PASS {name}")), "{name} under Debian 13:\n{text}");
    }
    let sshd = std::fs::read_to_string(out.path().join("out/host/sshd_config")).unwrap();
    assert!(sshd.contains("KexAlgorithms mlkem768x25519-sha256,"), "the output under test has the ML-KEM exchange");
}

/// examples/atelier (Debian 13, its database PostgreSQL 17 with pgAudit in the compose stack)
/// judged by Debian 13's sshd and nginx and by PostgreSQL 17 with pgAudit: the security SQL
/// applied twice to a real server of the version the stack runs, pg_hba.conf loaded by it.
#[test]
fn the_debian_13_example_passes_debian_13_daemons_and_postgresql_17() {
    let text = std::fs::read_to_string(common::root().join("examples/atelier/spec.kdl")).unwrap();
    let compiled = pynoc::compile(&text, "spec.kdl").unwrap();
    let Some((_out, text)) = verify_in_trixie(&compiled) else { return };
    for name in ["sshd", "nginx", "pg_hba", "postgres-sql"] {
        assert!(text.lines().any(|l| l == format!("PASS {name}")), "{name} under Debian 13:\n{text}");
    }
    assert!(!text.lines().any(|l| l.starts_with("FAIL")), "{text}");
}

/// `pynoc verify --root` of `compiled`'s output in the trixie root: the output's directory
/// and what verify printed, or `None` (after saying SKIP) where the root or root privileges
/// are missing.
fn verify_in_trixie(compiled: &pynoc::Compiled) -> Option<(tempfile::TempDir, String)> {
    // One run at a time, across processes too (a runner such as nextest runs each test in a
    // process of its own): each checks that it leaves the root's /tmp as it found it. The
    // lock is released when the file is closed, whatever the test does.
    let lock = std::fs::File::create(std::env::temp_dir().join("pynoc-trixie-root.lock")).expect("the lock file");
    lock.lock().expect("the lock on the trixie root");
    let root = std::path::Path::new(TRIXIE);
    let ready = root.join("usr/sbin/sshd").exists()
        && root.join("usr/sbin/nginx").exists()
        && root.join("usr/lib/postgresql/17/lib/pgaudit.so").exists();
    let is_root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !ready || !is_root {
        let why = if ready {
            "not root (chroot needs it)"
        } else {
            "no Debian 13 root with sshd, nginx and PostgreSQL 17 with pgAudit at /opt/pynoc-debian-13 (.ci/install-validators makes it)"
        };
        assert!(!common::strict(), "SKIP is a failure in CI: {why}");
        eprintln!("SKIP: {why}");
        return None;
    }
    // `pynoc verify --root`: the output and pynoc copied under the root's /tmp and judged
    // there under chroot, the copy removed afterwards.
    let dir = tempfile::tempdir().unwrap();
    let out = camino::Utf8PathBuf::from_path_buf(dir.path().join("out")).unwrap();
    pynoc::write::write(compiled, &out).unwrap();
    let before: Vec<_> = std::fs::read_dir(root.join("tmp")).unwrap().flatten().map(|e| e.file_name()).collect();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pynoc"))
        .args(["verify", out.as_str(), "--root", TRIXIE])
        .env_remove("PYNOC_VERIFY_STRICT")
        .output()
        .unwrap();
    let after: Vec<_> = std::fs::read_dir(root.join("tmp")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(before, after, "verify --root left files in the root's /tmp");
    Some((dir, format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))))
}

/// The audit sets watch where each release records logins: utmp files on Debian 12,
/// wtmpdb's database on Debian 13 (no /run/utmp, no wtmp, no lastlog there).
#[test]
fn the_audit_watches_the_login_records_the_release_writes() {
    let utmp = ["/var/run/utmp ", "/var/log/wtmp ", "/var/log/lastlog "];
    let wtmpdb = "/var/lib/wtmpdb/wtmp.db ";
    let bookworm = compile(Some("debian-12"));
    let rules = file(&bookworm, "audit");
    assert!(utmp.iter().all(|p| rules.contains(&format!("-w {p}"))) && !rules.contains(wtmpdb), "{rules}");
    let trixie = compile(Some("debian-13"));
    let rules = file(&trixie, "audit");
    assert!(rules.contains(&format!("-w {wtmpdb}-p wa -k session")), "{rules}");
    assert!(utmp.iter().all(|p| !rules.contains(&format!("-w {p}"))), "{rules}");
    // What both write stays watched.
    for both in ["/var/log/btmp ", "/var/log/faillog ", "/etc/login.defs "] {
        assert!(
            rules.contains(&format!("-w {both}")) && file(&bookworm, "audit").contains(&format!("-w {both}")),
            "{both}"
        );
    }
}

/// `--root` must name a root file system; anything else is a usage error, not a SKIP.
#[test]
fn verify_root_must_be_a_root_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let out = camino::Utf8PathBuf::from_path_buf(dir.path().join("out")).unwrap();
    pynoc::write::write(&compile(Some("debian-13")), &out).unwrap();
    for root in [dir.path().join("missing"), dir.path().to_path_buf()] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_pynoc"))
            .args(["verify", out.as_str(), "--root"])
            .arg(&root)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("--root"), "{err}");
    }
}
