//! PostgreSQL: a throwaway PostgreSQL server (initdb as an unprivileged user, unix socket
//! only, in a sandbox whose /etc overlay holds self-signed certificates at the configured
//! paths) gets a fixture schema for the file's tables; the SQL is applied with
//! ON_ERROR_STOP, then applied again (it must be idempotent); `ssl` must then be on, and
//! pg_hba.conf must load with no error in `pg_hba_file_rules`. The server is stopped by pid.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use camino::{Utf8Path, Utf8PathBuf};

use super::sandbox::{self, quote};
use super::{Status, brief, need, need_root};

const NOBODY: &str = "setpriv --reuid=65534 --regid=65534 --clear-groups";

/// A PostgreSQL server binary, from PATH or Debian's versioned directory.
pub fn pg_bin(tool: &str) -> Option<Utf8PathBuf> {
    super::which(tool).or_else(|| {
        [17, 16, 15, 14, 13]
            .iter()
            .map(|v| Utf8PathBuf::from(format!("/usr/lib/postgresql/{v}/bin/{tool}")))
            .find(|p| p.is_file())
    })
}

pub(crate) fn check(sql: &Utf8Path) -> Status {
    let hba = sql.with_file_name("pg_hba.conf");
    match Run::prepare(sql, &hba) {
        Err(s) => s,
        Ok(run) => match run.execute("") {
            Err(e) => Status::Fail(format!("cannot start the sandbox: {e}")),
            Ok((o, log)) => run.judge(&o, &log),
        },
    }
}

/// pg_hba.conf is checked together with the SQL (it needs the server the SQL configures).
pub(crate) fn check_hba(hba: &Utf8Path) -> Status {
    let sql = hba.with_file_name("postgresql-security.sql");
    if !sql.exists() {
        return Status::Fail(
            "pg_hba.conf is checked on the server postgresql-security.sql configures, which is missing".into(),
        );
    }
    match Run::prepare(&sql, hba) {
        Err(s) => s,
        Ok(run) => match run.execute("") {
            Err(e) => Status::Fail(format!("cannot start the sandbox: {e}")),
            Ok((o, _)) => {
                let out = sandbox::text(&o);
                if !out.contains("---hba-ok---") {
                    return Status::Fail(format!("the server the SQL configures did not come up: {}", brief(&out)));
                }
                match out.split("---hba-errors---").nth(1).and_then(|r| r.split("---hba-end---").next()).map(str::trim)
                {
                    Some("") => Status::Pass,
                    Some(errors) => {
                        Status::Fail(format!("pg_hba_file_rules: {}", errors.lines().next().unwrap_or(errors)))
                    }
                    None => Status::Fail(format!("pg_hba_file_rules could not be read: {}", brief(&out))),
                }
            }
        },
    }
}

/// One throwaway server for a SQL file and a pg_hba.conf.
pub struct Run {
    sql: Utf8PathBuf,
    hba: Utf8PathBuf,
    database: String,
    tables: Vec<(String, Option<(String, String)>)>,
    passwords: Vec<(String, String)>,
    certs: Vec<(String, String)>,
    /// The SQL loads pgAudit: the server is restarted and the SQL applied a third time.
    pgaudit: bool,
}

impl Run {
    pub fn prepare(sql: &Utf8Path, hba: &Utf8Path) -> Result<Run, Status> {
        need(&["psql", "unshare", "setpriv", "openssl"]).and_then(|_| need_root())?;
        for tool in ["initdb", "pg_ctl", "postgres"] {
            if pg_bin(tool).is_none() {
                return Err(Status::Skip(format!("`{tool}` (PostgreSQL server) is not installed")));
            }
        }
        let text = fs::read_to_string(sql).map_err(|e| Status::Fail(format!("cannot read {sql}: {e}")))?;
        let database = text
            .lines()
            .find_map(|l| l.strip_prefix("-- pynoc-database: "))
            .map(str::trim)
            .map(String::from)
            .ok_or_else(|| Status::Fail("the SQL names no database (`-- pynoc-database:`)".into()))?;
        let tables = text
            .lines()
            .filter_map(|l| l.strip_prefix("-- pynoc-table: "))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f[0].to_string(), (f.len() == 3).then(|| (f[1].to_string(), f[2].to_string())))
            })
            .collect();
        let passwords = text
            .lines()
            .filter_map(|l| l.strip_prefix("\\getenv "))
            .filter_map(|l| l.split_whitespace().nth(1))
            .enumerate()
            .map(|(i, env)| (env.to_string(), format!("pynoc-verify-{}-{}", i + 1, random())))
            .collect();
        let setting = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("ALTER SYSTEM SET \"{name}\" = '")))
                .map(|v| v.trim_end_matches("';").to_string())
        };
        let certs = match (setting("ssl_cert_file"), setting("ssl_key_file")) {
            (Some(c), Some(k)) => vec![(c, k)],
            _ => Vec::new(),
        };
        let pgaudit = text.contains("AS pynoc_pgaudit_loaded");
        if pgaudit {
            let lib = pg_bin("postgres")
                .and_then(|p| p.canonicalize_utf8().ok())
                .and_then(|p| p.parent().and_then(|b| b.parent()).map(|d| d.join("lib/pgaudit.so")))
                .filter(|p| p.is_file());
            if lib.is_none() {
                return Err(Status::Skip(
                    "the SQL loads pgAudit, which is not installed here (Debian: postgresql-15-pgaudit)".into(),
                ));
            }
        }
        Ok(Run { sql: sql.into(), hba: hba.into(), database, tables, passwords, certs, pgaudit })
    }

    pub fn passwords(&self) -> &[(String, String)] {
        &self.passwords
    }

    /// Starts the server, applies the SQL twice, checks pg_hba.conf, runs `extra` (a shell
    /// fragment with `$PSQL`, `$SOCK` and the password variables set), reloads pg_hba.conf,
    /// runs nothing more, and stops the server by pid. Returns the output and the server log.
    pub fn execute(&self, extra: &str) -> std::io::Result<(Output, String)> {
        let tmp = tempfile::tempdir()?;
        let dir = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir").to_owned();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
        let pg = dir.join("pg");
        fs::create_dir_all(&pg)?;
        fs::create_dir_all(dir.join("scratch"))?;
        let chown = std::process::Command::new("chown").args(["65534:65534", pg.as_str()]).status()?;
        if !chown.success() {
            return Err(std::io::Error::other("chown failed"));
        }
        let bin = |t: &str| quote(pg_bin(t).expect("checked").as_str());
        let mut s = String::from("set -e\n");
        for (cert, key) in &self.certs {
            let (c, k) = (quote(cert), quote(key));
            s.push_str(&format!(
                "mkdir -p \"$(dirname {c})\" \"$(dirname {k})\"\nchmod o+x \"$(dirname {c})\" \"$(dirname {k})\"\nopenssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=pynoc-verify -keyout {k} -out {c} 2>/dev/null\nchown 65534:65534 {c} {k}\nchmod 600 {k}\n"
            ));
        }
        let data = quote(pg.join("data").as_str());
        let sock = quote(pg.as_str());
        let log = pg.join("server.log");
        s.push_str(&format!(
            "{NOBODY} {initdb} -D {data} -U postgres -A trust >/dev/null\n\
             {NOBODY} {pg_ctl} -D {data} -l {log} -w -o \"-c listen_addresses='' -c unix_socket_directories={sock} -c log_statement=all\" start >/dev/null\n\
             PSQL=\"psql -X -q -v ON_ERROR_STOP=1 -h {sock} -U postgres\"\nSOCK={sock}\n\
             $PSQL -d postgres -c 'CREATE DATABASE {db}'\n",
            initdb = bin("initdb"),
            pg_ctl = bin("pg_ctl"),
            log = quote(log.as_str()),
            db = self.database,
        ));
        for (table, col) in &self.tables {
            let column = col.as_ref().map(|(c, t)| format!(", {c} {t} NOT NULL")).unwrap_or_default();
            s.push_str(&format!(
                "$PSQL -d {} -c 'CREATE TABLE public.{table} (id bigserial PRIMARY KEY{column}, note text)'\n",
                self.database
            ));
        }
        for (env, value) in &self.passwords {
            s.push_str(&format!("export {env}={}\n", quote(value)));
        }
        let sql = quote(self.sql.as_str());
        let pgaudit = if self.pgaudit {
            // The library loads at a restart; the third apply sets its parameters and
            // creates its event triggers; a DDL statement must then be audited.
            format!(
                "{NOBODY} {pg_ctl} -D {data} -l {log} -w restart >/dev/null 2>&1 || echo ---restart-failed---\n\
                 $PSQL -d {db} -f {sql} > {out}/third.txt 2>&1 || {{ echo ---third-failed---; cat {out}/third.txt; }}\n\
                 echo \"---pgaudit=$($PSQL -d {db} -At -c \"SELECT extname || ' ' || current_setting('pgaudit.log') FROM pg_extension WHERE extname = 'pgaudit'\")---\"\n\
                 $PSQL -d {db} -c 'CREATE TABLE pynoc_audit_probe (id int)' -c 'DROP TABLE pynoc_audit_probe'\n",
                pg_ctl = bin("pg_ctl"),
                log = quote(log.as_str()),
                db = self.database,
                out = quote(dir.as_str()),
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "set +e\n$PSQL -d {db} -f {sql} > {out}/first.txt 2>&1; rc1=$?\n$PSQL -d {db} -f {sql} > {out}/second.txt 2>&1; rc2=$?\n\
             echo \"---apply rc1=$rc1 rc2=$rc2---\"\n[ $rc1 = 0 ] || cat {out}/first.txt\n[ $rc2 = 0 ] || cat {out}/second.txt\n{pgaudit}\
             echo \"---ssl=$($PSQL -d {db} -At -c 'SHOW ssl')---\"\n\
             cp {hba} {data}/pg_hba.conf && chown 65534:65534 {data}/pg_hba.conf && echo ---hba-ok---\n\
             echo ---hba-errors---\n$PSQL -d {db} -At -c \"SELECT line_number || ': ' || error FROM pg_hba_file_rules WHERE error IS NOT NULL\"\necho ---hba-end---\n",
            db = self.database,
            out = quote(dir.as_str()),
            hba = quote(self.hba.as_str()),
        ));
        s.push_str(extra);
        s.push_str(&format!(
            "\npid=$(head -1 {data}/postmaster.pid)\nkill -INT \"$pid\"\nfor i in $(seq 100); do kill -0 \"$pid\" 2>/dev/null || break; sleep 0.1; done\necho ---stopped---\n"
        ));
        let o = sandbox::run(&s, &["/etc"], &dir.join("scratch"))?;
        let log = fs::read_to_string(&log).unwrap_or_default();
        Ok((o, log))
    }

    fn judge(&self, o: &Output, log: &str) -> Status {
        let out = sandbox::text(o);
        if !out.contains("---apply rc1=") {
            return Status::Fail(format!("the throwaway server did not start: {}", brief(&out)));
        }
        if !out.contains("---apply rc1=0 rc2=0---") {
            let first = !out.contains("rc1=0");
            let detail =
                out.split("---apply").nth(1).and_then(|r| r.split_once("---\n")).map(|(_, rest)| rest).unwrap_or("");
            let error = detail
                .lines()
                .find(|l| l.contains("ERROR") || l.contains("error"))
                .unwrap_or(detail.lines().next().unwrap_or(""));
            return Status::Fail(format!(
                "{} apply failed: {}",
                if first { "the first" } else { "the second (not idempotent)" },
                error.trim()
            ));
        }
        if !self.certs.is_empty() && !out.contains("---ssl=on---") {
            return Status::Fail("`ssl` is not on after the SQL reloaded the configuration".into());
        }
        if let Some(l) = log.lines().find(|l| l.contains("could not load") || l.contains("was not reloaded")) {
            return Status::Fail(format!("server log: {l}"));
        }
        for (_, pw) in &self.passwords {
            if log.contains(pw.as_str()) {
                return Status::Fail("a password reached the server log".into());
            }
        }
        if self.pgaudit {
            if out.contains("---restart-failed---") {
                return Status::Fail("the server did not restart with pgAudit loaded".into());
            }
            if let Some(detail) = out.split("---third-failed---").nth(1) {
                return Status::Fail(format!("the apply after the restart failed: {}", brief(detail)));
            }
            if !out.contains("---pgaudit=pgaudit ") {
                return Status::Fail("pgAudit's extension or `pgaudit.log` is missing after the restart".into());
            }
            if !log.contains("AUDIT: SESSION") || !log.contains("CREATE TABLE pynoc_audit_probe") {
                return Status::Fail("pgAudit logged no DDL statement".into());
            }
        }
        if !out.contains("---stopped---") {
            return Status::Fail(format!("the server did not stop: {}", brief(&out)));
        }
        Status::Pass
    }
}

fn random() -> String {
    let mut bytes = [0u8; 12];
    if let Ok(mut f) = fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
