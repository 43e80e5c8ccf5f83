//! container/prepare.sh, run for real (as root) on a build of the example in a temporary
//! directory: each secret file belongs to the user of the service that reads it with the
//! mode the compose file needs, a password is made once and kept, TLS files are copied from
//! their source, each volume's host directory belongs to the user of the service that
//! mounts it, the database's files are written from the script itself (container/ needs
//! nothing beside it), nothing secret is printed, and a planted symbolic link stops it. The
//! volumes' directories are moved into the temporary directory: nothing is made in /opt.

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
        .env("PYNOC_PG_SERVER_CA_FROM", tls.join("server.crt"))
        .output()
        .unwrap()
}

#[test]
#[allow(clippy::too_many_lines, reason = "a test reads as one script")]
fn prepare_gives_each_secret_to_its_reader() {
    if !pynoc::verify::sandbox::is_root() {
        assert!(!strict(), "the prepare.sh test needs root (it gives files to other users)");
        eprintln!("SKIP prepare.sh: needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let vol = tmp.path().join("vol");
    // The spec's volume directories must lie under the project's data root (/opt/pynomaly);
    // the built script's are moved into the temporary directory, the script unchanged else.
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let script = out.join("container/prepare.sh");
    let text = fs::read_to_string(&script).unwrap();
    assert!(text.contains("dir /opt/pynomaly/data/postgres "), "{text}");
    fs::write(&script, text.replace("dir /opt/pynomaly/", &format!("dir {}/", vol.display()))).unwrap();
    assert!(!fs::read_to_string(&script).unwrap().contains("/opt/"));
    let tls = tmp.path().join("tls");
    fs::create_dir(&tls).unwrap();
    fs::write(tls.join("server.crt"), "-----BEGIN CERTIFICATE-----\nstand-in\n").unwrap();
    fs::write(tls.join("server.key"), "-----BEGIN PRIVATE KEY-----\nstand-in\n").unwrap();

    // container/ alone, as when it is copied into the application's repository: nothing of
    // pynoc's output beside it (postgres/ moved away) is read.
    let elsewhere = tmp.path().join("postgres-elsewhere");
    fs::rename(out.join("postgres"), &elsewhere).unwrap();
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
    // The volumes' directories: the database's, the cache's, the application's two.
    assert_eq!(owner_mode(&vol.join("data/postgres")), (999, 999, 0o700));
    assert_eq!(owner_mode(&vol.join("data/redis")), (999, 999, 0o700));
    assert_eq!(owner_mode(&vol.join("logs")), (1001, 1001, 0o700));
    assert_eq!(owner_mode(&vol.join("data/app")), (1001, 1001, 0o700));
    for f in ["pg_hba.conf", "postgresql-security.sql", "postgres-apply.sh"] {
        assert_eq!(owner_mode(&c.join("postgres-conf").join(f)), (999, 999, 0o400), "{f}");
    }
    // Byte for byte the files of postgres/, which prepare.sh carries itself.
    for f in ["pg_hba.conf", "postgresql-security.sql"] {
        assert_eq!(fs::read(c.join("postgres-conf").join(f)).unwrap(), fs::read(elsewhere.join(f)).unwrap(), "{f}");
    }

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

    // A symbolic link planted as a volume's directory is refused too.
    fs::remove_file(secrets.join("redis_password.txt")).unwrap();
    fs::remove_dir(vol.join("data/app")).unwrap();
    fs::create_dir(tmp.path().join("other")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("other"), vol.join("data/app")).unwrap();
    let o = run(&out, &tls);
    assert!(String::from_utf8_lossy(&o.stderr).contains("data/app is a symbolic link"), "{o:?}");
    assert_eq!(owner_mode(&tmp.path().join("other")).0, 0);
    fs::remove_file(vol.join("data/app")).unwrap();

    // No component of a volume's path may be a link, or another user's, or writable by
    // others: root's chown would follow it, or the owner could swap what comes after.
    let data = vol.join("data");
    fs::rename(&data, tmp.path().join("data-real")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("data-real"), &data).unwrap();
    let o = run(&out, &tls);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success() && err.contains("data is not a directory (or is a symbolic link)"), "{err}");
    fs::remove_file(&data).unwrap();
    fs::rename(tmp.path().join("data-real"), &data).unwrap();
    std::os::unix::fs::chown(&data, Some(1001), Some(1001)).unwrap();
    let o = run(&out, &tls);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success() && err.contains("data is not owned by root"), "{err}");
    std::os::unix::fs::chown(&data, Some(0), Some(0)).unwrap();
    for mode in [0o775, 0o757] {
        fs::set_permissions(&data, fs::Permissions::from_mode(mode)).unwrap();
        let o = run(&out, &tls);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success() && err.contains("data is writable by others than root"), "{mode:o}: {err}");
    }
    fs::set_permissions(&data, fs::Permissions::from_mode(0o700)).unwrap();
    // A link planted in the database's folder (its user owns it between runs) is refused,
    // and what it names is left alone.
    let conf = c.join("postgres-conf");
    fs::remove_file(conf.join("pg_hba.conf")).unwrap();
    std::os::unix::fs::symlink(&target, conf.join("pg_hba.conf")).unwrap();
    let o = run(&out, &tls);
    assert!(String::from_utf8_lossy(&o.stderr).contains("pg_hba.conf is a symbolic link"), "{o:?}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
    assert_eq!(owner_mode(&target).0, 0);
    fs::remove_file(conf.join("pg_hba.conf")).unwrap();
    // A TLS source that is a link (Let's Encrypt's live/ names archive/) is read through it.
    fs::rename(tls.join("server.key"), tls.join("server1.key")).unwrap();
    std::os::unix::fs::symlink("server1.key", tls.join("server.key")).unwrap();
    let o = run(&out, &tls);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(fs::read(secrets.join("pynoc_pg_tls_key.pem")).unwrap(), fs::read(tls.join("server1.key")).unwrap());

    // A missing TLS source is an error that names it.
    fs::remove_file(tls.join("server.crt")).unwrap();
    let o = run(&out, &tls);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("server.crt is missing"));
}

/// A volume bound to a host directory keeps the owner and mode prepare.sh gave that
/// directory (`nocopy: true`: Docker would otherwise copy the image's directory, owner and
/// mode included, over it); a Docker-managed volume gets the image's copy, which its user
/// needs, and prepare.sh makes nothing for it. Found by the VM proof: redis could not write
/// its directory.
#[test]
fn bound_volumes_keep_prepared_owners() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(example()).unwrap();
    let managed = text.replace("volume redis_data device=\"/opt/pynomaly/data/redis\"", "volume redis_data");
    assert_ne!(managed, text);
    let spec = tmp.path().join("spec.kdl");
    fs::write(&spec, managed).unwrap();
    let out = tmp.path().join("out");
    pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(0);
    let compose: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(out.join("container/docker-compose.yml")).unwrap()).unwrap();
    let nocopy = |service: &str, target: &str| {
        let mounts = compose["services"][service]["volumes"].as_sequence().unwrap();
        let m = mounts.iter().find(|m| m["target"].as_str() == Some(target)).unwrap();
        m["volume"]["nocopy"].as_bool().unwrap()
    };
    assert!(nocopy("postgres", "/var/lib/postgresql/data"));
    assert!(nocopy("pynomaly-api", "/app/logs"));
    assert!(!nocopy("redis", "/data"));
    let prepare = fs::read_to_string(out.join("container/prepare.sh")).unwrap();
    assert!(prepare.contains("\ndir /opt/pynomaly/data/postgres 999:999 0700\n"), "{prepare}");
    assert!(!prepare.contains("/opt/pynomaly/data/redis"), "{prepare}");
}
