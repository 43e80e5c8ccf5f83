//! `postgres/postgresql-security.sql` and `postgres/pg_hba.conf` from `stdlib/postgres/`.

use minijinja::{Environment, Error};

use super::{Artifact, Context, render};
use crate::ir::Postgres;

pub fn emit(env: &Environment, cx: &Context, p: &Postgres) -> Result<Vec<Artifact>, Error> {
    Ok(vec![
        Artifact {
            name: "postgres-sql",
            path: "postgres/postgresql-security.sql",
            install: "/etc/postgresql/pynoc/postgresql-security.sql",
            owner: "postgres:postgres",
            mode: "0640",
            how: "run",
            apply: "psql -X -v ON_ERROR_STOP=1 -f /etc/postgresql/pynoc/postgresql-security.sql",
            content: render(env, "postgres/postgresql-security.sql.j2", cx.header("--"), "pg", p, &[])?,
        },
        Artifact {
            name: "pg_hba",
            path: "postgres/pg_hba.conf",
            install: match p.version {
                13 => "/etc/postgresql/13/main/pg_hba.conf",
                14 => "/etc/postgresql/14/main/pg_hba.conf",
                16 => "/etc/postgresql/16/main/pg_hba.conf",
                17 => "/etc/postgresql/17/main/pg_hba.conf",
                _ => "/etc/postgresql/15/main/pg_hba.conf",
            },
            owner: "postgres:postgres",
            mode: "0640",
            how: "replace",
            apply: "psql -X -c 'SELECT pg_reload_conf()'",
            content: render(env, "postgres/pg_hba.conf.j2", cx.header("#"), "pg", p, &[])?,
        },
    ])
}
