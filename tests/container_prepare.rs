//! container/prepare.sh, run for real (as root) on a build of the example in a temporary
//! directory: each secret file belongs to the user of the service that reads it with the
//! mode the compose file needs, a password is made once and kept, TLS files are copied from
//! their source, nothing secret is printed, and a planted symbolic link stops it.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::{example, pynoc, strict};

fn owner_mode(p: &Path) -> (u32, u32, u32) {
    let m = fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid(), m.permissions().mode() & 0o7777)
}

fn run(dir: &Path, tls: &Path) -> std::process::Output {
    Command::new("sh")
        .arg(dir.join("container/prepare.sh"))
        .env("PYNOC_PG_TLS_CERT_FROM", tls.join("server.crt"))
        .env("PYNOC_PG_TLS_KEY_FROM", tls.join("server.key"))
        .output()
        .unwrap()
}

#[test]
fn prepare_gives_each_secret_to_its_reader() {
    if !pynoc::verify::sandbox::is_root() {
        assert!(!strict(), "the prepare.sh test needs root (it gives files to other users)");
        eprintln!("SKIP prepare.sh: needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let tls = tmp.path().join("tls");
    fs::create_dir(&tls).unwrap();
    fs::write(tls.join("server.crt"), "-----BEGIN CERTIFICATE-----\nstand-in\n").unwrap();
    fs::write(tls.join("server.key"), "-----BEGIN PRIVATE KEY-----\nstand-in\n").unwrap();

    let o = run(&out, &tls);
    let printed = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{printed}");
    let c = out.join("container");
    let secrets = c.join("secrets");
    assert_eq!(owner_mode(&secrets).2, 0o700);
    // The database's password: its user only. The app role's: the app, and the database
    // through its group (it sets the role's password).
    assert_eq!(owner_mode(&secrets.join("db_password.txt")), (999, 999, 0o400));
    assert_eq!(owner_mode(&secrets.join("redis_password.txt")), (999, 999, 0o400));
    assert_eq!(owner_mode(&secrets.join("pynoc_pg_pynomaly_app_password.txt")), (1001, 999, 0o440));
    assert_eq!(owner_mode(&secrets.join("pynoc_pg_tls_key.pem")), (999, 999, 0o400));
    assert_eq!(fs::read(secrets.join("pynoc_pg_tls_key.pem")).unwrap(), fs::read(tls.join("server.key")).unwrap());
    let password = fs::read_to_string(secrets.join("db_password.txt")).unwrap();
    assert!(password.len() == 40 && password.chars().all(|c| c.is_ascii_alphanumeric()), "{password:?}");
    assert!(!printed.contains(&password), "a password was printed: {printed}");
    // pynoc's files for the database, readable by its user only.
    assert_eq!(owner_mode(&c.join("postgres-conf")), (999, 999, 0o500));
    for f in ["pg_hba.conf", "postgresql-security.sql", "postgres-apply.sh"] {
        assert_eq!(owner_mode(&c.join("postgres-conf").join(f)), (999, 999, 0o400), "{f}");
    }
    assert_eq!(
        fs::read(c.join("postgres-conf/pg_hba.conf")).unwrap(),
        fs::read(out.join("postgres/pg_hba.conf")).unwrap()
    );

    // Again: a password is kept; a renewed key is copied.
    fs::write(tls.join("server.key"), "-----BEGIN PRIVATE KEY-----\nrenewed\n").unwrap();
    let o = run(&out, &tls);
    assert!(o.status.success());
    assert_eq!(fs::read_to_string(secrets.join("db_password.txt")).unwrap(), password);
    assert!(fs::read_to_string(secrets.join("pynoc_pg_tls_key.pem")).unwrap().contains("renewed"));

    // A symbolic link planted as a secret file is refused, and its target left alone.
    let target = tmp.path().join("elsewhere");
    fs::write(&target, "keep").unwrap();
    fs::remove_file(secrets.join("redis_password.txt")).unwrap();
    std::os::unix::fs::symlink(&target, secrets.join("redis_password.txt")).unwrap();
    let o = run(&out, &tls);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("symbolic link"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(owner_mode(&target).0, 0);
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep");

    // A missing TLS source is an error that names it.
    fs::remove_file(secrets.join("redis_password.txt")).unwrap();
    fs::remove_file(tls.join("server.crt")).unwrap();
    let o = run(&out, &tls);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("server.crt is missing"));
}
