//! The compose file's database service, run as the container would run it but without
//! Docker: in fresh namespaces, uid 999 named `postgres` (as in the image), the secrets that
//! prepare.sh made at /run/secrets and postgres-conf/ at /etc/pynoc, the server started with
//! exactly the compose `command` and the database initialised as the official entrypoint
//! does (POSTGRES_USER, POSTGRES_PASSWORD_FILE, POSTGRES_DB). postgres-apply.sh then applies
//! the SQL with the passwords from the secrets, and the application connects from the
//! stack's network as its own role, with the password from its secret: over TLS only, its
//! tenant's rows only. The superuser cannot log in over the network.

mod common;

use std::fs;

use camino::Utf8Path;
use common::{example, pynoc, strict};
use pynoc::verify::postgres::pg_bin;
use pynoc::verify::sandbox::{self, quote};

const A: &str = "00000000-0000-0000-0000-00000000000a";
const B: &str = "00000000-0000-0000-0000-00000000000b";

#[test]
#[allow(clippy::too_many_lines, reason = "a test reads as one script")]
fn the_stack_database_runs_the_spec_and_the_app_gets_in_as_its_role() {
    let tools = ["setpriv", "ip", "openssl", "psql", "pg_isready", "unshare"];
    let have = tools.iter().all(|t| pynoc::verify::which(t).is_some()) && pg_bin("postgres").is_some();
    if !sandbox::is_root() || !have {
        assert!(!strict(), "the stack database test needs root, {tools:?} and a PostgreSQL server");
        eprintln!("SKIP stack database: needs root, {tools:?} and a PostgreSQL server");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(tmp.path()).unwrap();
    let out = root.join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let c = out.join("container");

    // A self-signed certificate stands in for the host's; prepare.sh copies it.
    let tls = root.join("tls");
    fs::create_dir(&tls).unwrap();
    let o = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=postgres", "-keyout"])
        .arg(tls.join("key.pem"))
        .arg("-out")
        .arg(tls.join("cert.pem"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", sandbox::text(&o));
    let o = std::process::Command::new("sh")
        .arg(c.join("prepare.sh"))
        .env("PYNOC_PG_TLS_CERT_FROM", tls.join("cert.pem"))
        .env("PYNOC_PG_TLS_KEY_FROM", tls.join("key.pem"))
        .env("PYNOC_PG_SERVER_CA_FROM", tls.join("cert.pem"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", sandbox::text(&o));

    // What the compose file says the database runs with.
    let compose: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(c.join("docker-compose.yml")).unwrap()).unwrap();
    let db = &compose["services"]["postgres"];
    let words = |v: &serde_norway::Value| -> Vec<String> {
        v.as_sequence().unwrap().iter().map(|s| s.as_str().unwrap().replace("$$", "$")).collect()
    };
    let command = words(&db["command"]);
    assert_eq!(command[0], "postgres");
    assert_eq!(db["user"].as_str(), Some("999:999"));
    let env = |k: &str| db["environment"][k].as_str().unwrap().to_string();
    let (pgdata, database) = (env("PGDATA"), env("POSTGRES_DB"));
    let pwfile = env("POSTGRES_PASSWORD_FILE");
    let secrets = words(&db["secrets"]);
    let secret_file = |name: &str| c.join(compose["secrets"][name]["file"].as_str().unwrap().trim_start_matches("./"));
    let conf = db["volumes"].as_sequence().unwrap().iter().find(|v| v["type"] == "bind").expect("a bind mount");
    assert_eq!(
        (conf["source"].as_str(), conf["target"].as_str(), conf["read_only"].as_bool()),
        (Some("./postgres-conf"), Some("/etc/pynoc"), Some(true))
    );
    let app = &compose["services"]["pynomaly-api"];
    let app_env = |k: &str| app["environment"][k].as_str().unwrap().to_string();
    assert_eq!(app_env("DATABASE_HOST"), "postgres");
    // The application verifies the server against the CA the spec names (`server-ca`).
    assert_eq!(app_env("PGSSLMODE"), "verify-full");
    let ca = app_env("PGSSLROOTCERT").trim_start_matches("/run/secrets/").to_string();
    assert!(words(&app["secrets"]).contains(&ca) && !secrets.contains(&ca), "{ca}");
    let app_secret = app_env("DATABASE_PASSWORD_FILE").trim_start_matches("/run/secrets/").to_string();
    assert!(words(&app["secrets"]).contains(&app_secret));
    let app_password = fs::read_to_string(secret_file(&app_secret)).unwrap();
    let su_password = fs::read_to_string(secret_file(pwfile.trim_start_matches("/run/secrets/"))).unwrap();

    let bin = |t: &str| quote(pg_bin(t).unwrap().as_str());
    let as_pg = "setpriv --reuid=999 --regid=999 --clear-groups";
    let mut s = String::from("set -e\n");
    // The image's user: uid 999 is `postgres`, so peer authentication knows it.
    s.push_str("sed -i '/^postgres:/d' /etc/passwd /etc/group\n");
    s.push_str(
        "echo 'postgres:x:999:999::/var/lib/postgresql:/bin/sh' >> /etc/passwd\necho 'postgres:x:999:' >> /etc/group\n",
    );
    s.push_str("mkdir -p /run/secrets /etc/pynoc /var/run/postgresql\nchown 999:999 /var/run/postgresql\n");
    for name in &secrets {
        s.push_str(&format!("cp -p {} /run/secrets/{}\n", quote(secret_file(name).as_str()), quote(name)));
    }
    s.push_str(&format!("mount --bind -o ro {} /etc/pynoc\n", quote(c.join("postgres-conf").as_str())));
    // The official entrypoint's first start: initdb with the superuser's password file,
    // then the database; here done by hand, the server then started as compose starts it.
    s.push_str(&format!("mkdir -p {d}\nchown 999:999 {d}\nchmod 700 {d}\n", d = quote(&pgdata)));
    s.push_str(&format!(
        "{as_pg} {} -D {} -U postgres --pwfile={} >/dev/null\n",
        bin("initdb"),
        quote(&pgdata),
        quote(&pwfile)
    ));
    let flags: Vec<String> = command[1..].iter().map(|w| quote(w)).collect();
    s.push_str("ip link set lo up\nip addr add 172.20.0.5/16 dev lo\n");
    s.push_str(&format!(
        "{as_pg} {} -D {} {} > /run/server.log 2>&1 &\n",
        bin("postgres"),
        quote(&pgdata),
        flags.join(" ")
    ));
    s.push_str("for i in $(seq 1 120); do pg_isready -q -h /var/run/postgresql && break; sleep 0.5; done\n");
    s.push_str("set +e\n");
    let su = format!("{as_pg} psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -U postgres");
    s.push_str(&format!("{su} -d postgres -c 'CREATE DATABASE {database}'\n"));
    for t in ["detectors", "datasets", "detection_results"] {
        s.push_str(&format!(
            "{su} -d {database} -c 'CREATE TABLE {t} (id serial PRIMARY KEY, user_id uuid NOT NULL, note text)'\n"
        ));
    }
    s.push_str(&format!(
        "{as_pg} sh /etc/pynoc/postgres-apply.sh > /run/apply.log 2>&1; echo \"apply=$?\"\ntail -5 /run/apply.log\n"
    ));
    s.push_str(&format!(
        "{su} -d {database} -c \"INSERT INTO detectors (user_id, note) VALUES ('{A}', 'a1'), ('{A}', 'a2'), ('{B}', 'b1')\"\n"
    ));
    let app = |mode: &str| {
        format!(
            "env PGPASSWORD={} psql -X -q -At \"host=172.20.0.5 dbname={database} user=pynomaly_app sslmode={mode}\"",
            quote(&app_password)
        )
    };
    let q = |label: &str, who: &str, sql: &str| format!("echo \"{label}=$({who} -c \"{sql}\" 2>&1 | tr '\\n' ' ')\"\n");
    s.push_str(&q(
        "tenant",
        &app("require"),
        &format!("SET app.current_user_id = '{A}'; SELECT count(*) FROM detectors"),
    ));
    s.push_str(&q("unset", &app("require"), "SELECT count(*) FROM detectors"));
    s.push_str(&q("tls", &app("require"), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
    s.push_str(&q("plain", &app("disable"), "SELECT 1"));
    s.push_str(&q(
        "superuser",
        &format!(
            "env PGPASSWORD={} psql -X -At \"host=172.20.0.5 dbname={database} user=postgres sslmode=require\"",
            quote(&su_password)
        ),
        "SELECT 1",
    ));
    s.push_str(&q("hba_file", &su.replace("-q -v ON_ERROR_STOP=1", "-At"), "SHOW hba_file"));
    s.push_str("echo '--- server log'\ntail -20 /run/server.log\n");

    let scratch = root.join("scratch");
    fs::create_dir(&scratch).unwrap();
    let o = sandbox::run(&s, &["/etc", "/run", "/var"], &scratch).unwrap();
    let text = sandbox::text(&o);
    let get = |label: &str| common::labelled(&text, label);
    assert_eq!(get("apply"), "0", "postgres-apply.sh failed:\n{text}");
    assert_eq!(get("hba_file"), "/etc/pynoc/pg_hba.conf", "{text}");
    assert_eq!(get("tenant"), "2", "the application sees its tenant's rows only:\n{text}");
    assert_eq!(get("unset"), "0", "{text}");
    assert_eq!(get("tls"), "t", "the application's connection is not TLS:\n{text}");
    // pg_hba.conf's last lines reject whatever no line allowed.
    let refused = |s: String| s.contains("pg_hba.conf rejects connection") || s.contains("no pg_hba.conf entry");
    assert!(refused(get("plain")), "a plain connection got in:\n{text}");
    assert!(refused(get("superuser")), "the superuser got in over the network:\n{text}");
    assert!(!text.contains(&app_password) && !text.contains(&su_password), "a password was printed");
}
