//! `postgres/postgresql-security.sql` and `postgres/pg_hba.conf` from `stdlib/postgres/`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render, shell_word};
use crate::artifact::Kind;
use crate::ir::{Place, Postgres, Spec};

/// The security SQL, applied as the `postgres` superuser (peer over the local socket) to
/// the spec's database, with the passwords in the environment; settings that only a
/// restart applies are followed by one.
fn sql_apply(spec: &Spec, p: &Postgres) -> Result<String, Error> {
    let db = shell_word(&p.database)?;
    let mut cmd = format!(
        "cd / && runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -d {db} -f {}",
        Kind::PostgresSql.install(spec)
    );
    if p.settings.iter().any(|s| s.apply == "restart") {
        cmd.push_str(&format!(" && systemctl restart postgresql@{}-main", p.version));
    }
    Ok(cmd)
}

/// pg_hba.conf is read at reload; a line PostgreSQL cannot parse is skipped with a log line
/// only, so the file is checked through `pg_hba_file_rules` before the reload.
const HBA_APPLY: &str = "cd / && runuser -u postgres -- psql -X -d postgres -v ON_ERROR_STOP=1 \
-c \"DO \\$\\$ BEGIN IF EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE error IS NOT NULL) \
THEN RAISE EXCEPTION 'pg_hba.conf has errors: see pg_hba_file_rules'; END IF; END \\$\\$\" \
-c 'SELECT pg_reload_conf()'";

pub(crate) fn emit(env: &Environment, cx: &Context, p: &Postgres) -> Result<Vec<Artifact>, Error> {
    let (sql, hba) = match &p.place {
        Place::Host => (sql_apply(cx.spec, p)?, HBA_APPLY.to_string()),
        // In the stack, from the compose file's directory: prepare.sh copies both into
        // postgres-conf/, which the server reads at /etc/pynoc.
        Place::Compose { service } => {
            let s = shell_word(service)?;
            (
                format!("sh prepare.sh && docker compose exec -T {s} sh /etc/pynoc/postgres-apply.sh"),
                format!(
                    "sh prepare.sh && docker compose exec -T {s} psql -X -U postgres -d postgres -c 'SELECT pg_reload_conf()'"
                ),
            )
        }
    };
    Ok(vec![
        Artifact {
            kind: Kind::PostgresSql,
            instance: None,
            install: Kind::PostgresSql.install(cx.spec),
            apply: sql,
            env: p.roles.iter().filter_map(|r| r.password_env.clone()).collect(),
            content: render(env, cx, Kind::PostgresSql, "pg", p, &[])?,
        },
        Artifact {
            kind: Kind::PgHba,
            instance: None,
            install: Kind::PgHba.install(cx.spec),
            apply: hba,
            env: vec![],
            content: render(env, cx, Kind::PgHba, "pg", p, &[])?,
        },
    ])
}
