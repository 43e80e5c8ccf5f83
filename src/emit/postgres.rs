//! `postgres/postgresql-security.sql` and `postgres/pg_hba.conf` from `stdlib/postgres/`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render, shell_word};
use crate::ir::Postgres;

/// The security SQL, applied as the `postgres` superuser (peer over the local socket) to
/// the spec's database, with the passwords in the environment; settings that only a
/// restart applies are followed by one.
fn sql_apply(p: &Postgres) -> Result<String, Error> {
    let db = shell_word(&p.database)?;
    let mut cmd = format!("cd / && runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -d {db} -f {SQL_INSTALL}");
    if p.settings.iter().any(|s| s.apply == "restart") {
        cmd.push_str(&format!(" && systemctl restart postgresql@{}-main", p.version));
    }
    Ok(cmd)
}

const SQL_INSTALL: &str = "/etc/postgresql/pynoc/postgresql-security.sql";

/// pg_hba.conf is read at reload; a line PostgreSQL cannot parse is skipped with a log line
/// only, so the file is checked through `pg_hba_file_rules` before the reload.
const HBA_APPLY: &str = "cd / && runuser -u postgres -- psql -X -d postgres -v ON_ERROR_STOP=1 \
-c \"DO \\$\\$ BEGIN IF EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE error IS NOT NULL) \
THEN RAISE EXCEPTION 'pg_hba.conf has errors: see pg_hba_file_rules'; END IF; END \\$\\$\" \
-c 'SELECT pg_reload_conf()'";

/// Where Debian's PostgreSQL of this major version reads pg_hba.conf.
pub(crate) fn hba_install(version: u32) -> &'static str {
    match version {
        13 => "/etc/postgresql/13/main/pg_hba.conf",
        14 => "/etc/postgresql/14/main/pg_hba.conf",
        16 => "/etc/postgresql/16/main/pg_hba.conf",
        17 => "/etc/postgresql/17/main/pg_hba.conf",
        _ => "/etc/postgresql/15/main/pg_hba.conf",
    }
}

pub fn emit(env: &Environment, cx: &Context, p: &Postgres) -> Result<Vec<Artifact>, Error> {
    Ok(vec![
        Artifact {
            name: "postgres-sql",
            path: "postgres/postgresql-security.sql",
            install: SQL_INSTALL,
            owner: "postgres:postgres",
            mode: "0640",
            how: "run",
            apply: sql_apply(p)?,
            env: p.roles.iter().filter_map(|r| r.password_env.clone()).collect(),
            content: render(env, "postgres/postgresql-security.sql.j2", cx.header("--"), "pg", p, &[])?,
        },
        Artifact {
            name: "pg_hba",
            path: "postgres/pg_hba.conf",
            install: hba_install(p.version),
            owner: "postgres:postgres",
            mode: crate::stdlib::pg_hardening().hba_file.mode.as_str(),
            how: "replace",
            apply: HBA_APPLY.into(),
            env: vec![],
            content: render(env, "postgres/pg_hba.conf.j2", cx.header("#"), "pg", p, &[])?,
        },
    ])
}
