//! The example's PostgreSQL security, on a real server: a throwaway PostgreSQL (the same
//! sandbox `pynoc verify` uses) gets the fixture schema and the SQL (twice), rows of two
//! tenants A and B in every protected table, and then pg_hba.conf. Real logins then check
//! that tenants are kept apart, that the monitoring role reads statistics and cannot write,
//! that a role not granted cannot connect, and that the passwords from the environment work
//! and never reach the server log.

mod common;

use camino::Utf8PathBuf;
use common::{example, pynoc, strict};
use pynoc::verify::postgres::Run;
use pynoc::verify::sandbox;

const A: &str = "00000000-0000-0000-0000-00000000000a";
const B: &str = "00000000-0000-0000-0000-00000000000b";
const TABLES: &[&str] = &["detectors", "datasets", "detection_results"];

#[test]
#[allow(clippy::too_many_lines, reason = "a test reads as one script")]
fn tenants_are_kept_apart_on_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let sql = Utf8PathBuf::from_path_buf(out.join("postgres/postgresql-security.sql")).unwrap();
    let hba = sql.with_file_name("pg_hba.conf");
    let run = match Run::prepare(&sql, &hba) {
        Ok(r) => r,
        Err(why) => {
            assert!(!strict(), "the PostgreSQL behaviour test cannot run: {why:?}");
            eprintln!("SKIP PostgreSQL behaviour: {why:?}");
            return;
        }
    };
    let pw = |env: &str| run.passwords().iter().find(|(e, _)| e == env).map(|(_, p)| p.clone()).unwrap();
    let (app_pw, mon_pw) = (pw("PYNOMALY_APP_PASSWORD"), pw("PYNOMALY_MONITOR_PASSWORD"));

    // As the superuser, before pg_hba.conf is loaded: rows of A and B, and a role that is
    // not granted anything.
    let mut script = String::from("set +e\n");
    for t in TABLES {
        script.push_str(&format!("$PSQL -d pynomaly -c \"INSERT INTO {t} (user_id, note) VALUES ('{A}', 'a1'), ('{A}', 'a2'), ('{B}', 'b1')\"\n"));
    }
    script.push_str("$PSQL -d pynomaly -c \"CREATE ROLE intruder LOGIN PASSWORD 'intruder-pw'\"\n");
    script.push_str("$PSQL -d pynomaly -c 'SELECT pg_reload_conf()' >/dev/null\n");
    // From here on only the generated pg_hba.conf decides who gets in.
    let app = format!("env PGPASSWORD={app_pw} psql -X -q -At -h $SOCK -U pynomaly_app -d pynomaly");
    let mon = format!("env PGPASSWORD={mon_pw} psql -X -q -At -h $SOCK -U pynomaly_monitor -d pynomaly");
    let q = |who: &str, label: &str, sql: &str| format!("echo \"{label}=$({who} -c \"{sql}\" 2>&1 | tr '\\n' ' ')\"\n");
    for t in TABLES {
        script.push_str(&q(&app, &format!("{t}_a"), &format!("SET app.current_user_id = '{A}'; SELECT count(*) || '/' || count(*) FILTER (WHERE user_id = '{A}') FROM {t}")));
        script.push_str(&q(&app, &format!("{t}_unset"), &format!("SELECT count(*) FROM {t}")));
        script.push_str(&q(
            &app,
            &format!("{t}_insert_b"),
            &format!("SET app.current_user_id = '{A}'; INSERT INTO {t} (user_id, note) VALUES ('{B}', 'x')"),
        ));
        script.push_str(&q(
            &app,
            &format!("{t}_move_to_b"),
            &format!("SET app.current_user_id = '{A}'; UPDATE {t} SET user_id = '{B}' WHERE note = 'a1'"),
        ));
        script.push_str(&q(
            &app,
            &format!("{t}_update_b"),
            &format!("SET app.current_user_id = '{A}'; UPDATE {t} SET note = 'hacked' WHERE note = 'b1' RETURNING id"),
        ));
        script.push_str(&q(&app, &format!("{t}_insert_a"), &format!("SET app.current_user_id = '{A}'; INSERT INTO {t} (user_id, note) VALUES ('{A}', 'a3') RETURNING user_id")));
    }
    script.push_str(&q(&mon, "monitor_stats", "SELECT (SELECT count(*) FROM pg_stat_database WHERE datname = 'pynomaly') || '/' || (pg_database_size('pynomaly') > 0)::text || '/' || (SELECT count(*) > 0 FROM pg_stat_activity WHERE usename IS NOT NULL)::text"));
    script.push_str(&q(&mon, "monitor_write", &format!("INSERT INTO detectors (user_id, note) VALUES ('{A}', 'm')")));
    script.push_str(&q(&mon, "monitor_create", "CREATE TABLE public.m (i int)"));
    script.push_str(&q(
        "env PGPASSWORD=intruder-pw psql -X -At -h $SOCK -U intruder -d pynomaly",
        "intruder",
        "SELECT 1",
    ));
    script.push_str(&q(
        "env PGPASSWORD=wrong psql -X -At -h $SOCK -U pynomaly_app -d pynomaly",
        "wrong_password",
        "SELECT 1",
    ));

    let (o, log) = run.execute(&script).unwrap();
    let text = sandbox::text(&o);
    println!("{text}");
    let get = |label: &str| common::labelled(&text, label);
    assert!(text.contains("---apply rc1=0 rc2=0---"), "the SQL did not apply twice:\n{text}");
    for t in TABLES {
        assert_eq!(get(&format!("{t}_a")), "2/2", "{t}: tenant A must see exactly its 2 rows");
        assert_eq!(get(&format!("{t}_unset")), "0", "{t}: with no tenant set, no rows and no error");
        assert!(
            get(&format!("{t}_insert_b")).contains("violates row-level security policy"),
            "{t}: A inserted a row for B"
        );
        assert!(
            get(&format!("{t}_move_to_b")).contains("violates row-level security policy"),
            "{t}: A moved a row to B"
        );
        assert_eq!(get(&format!("{t}_update_b")), "", "{t}: A's update touched B's row");
        assert_eq!(get(&format!("{t}_insert_a")), A, "{t}: A could not insert its own row");
    }
    assert_eq!(get("monitor_stats"), "1/true/true", "the monitoring role cannot read statistics");
    assert!(get("monitor_write").contains("permission denied"), "the monitoring role could write");
    assert!(get("monitor_create").contains("permission denied"), "the monitoring role could create a table");
    let intruder = get("intruder");
    assert!(
        intruder.contains("no pg_hba.conf entry") || intruder.contains("permission denied"),
        "a role not granted connected: {intruder}"
    );
    assert!(get("wrong_password").contains("password authentication failed"), "a wrong password was accepted");
    // The passwords set from the environment logged in above; they are nowhere in the log,
    // although this server logs every statement.
    assert!(
        log.contains("ALTER ROLE") || log.contains("statement:"),
        "the server log is empty: the check below would prove nothing"
    );
    assert!(!log.contains(&app_pw) && !log.contains(&mon_pw), "a password reached the server log");
}
