//! Claims of the PostgreSQL server parameters pynoc sets (stdlib/postgres/hardening.toml):
//! the value in force is the spec's, pynoc's, or the server's own default.

use super::{Claim, Claims};
use crate::ir::Spec;
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::pg_hardening();
    let pg = spec.postgres.as_ref();
    let none = || Err("the spec has no `postgres` section".to_string());
    let mut out = Claims::default();
    for p in &data.parameter {
        let outcome = pg.map_or_else(none, |pg| {
            if p.with_ssl && pg.ssl.is_none() {
                return Err(format!("`{}` is set only with TLS, and the spec has no `ssl` node", p.name));
            }
            let set = pg.settings.iter().find(|s| s.name == p.name);
            let default = pg.defaults.iter().find(|s| s.name == p.name);
            match (set, default) {
                (Some(s), _) if s.value.eq_ignore_ascii_case(&p.value) => {
                    Ok(format!("postgres/postgresql-security.sql: {} = '{}'", s.name, s.value))
                }
                (Some(s), _) => {
                    let why = s.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                    Err(format!("the spec sets `{} = '{}'`{why}", s.name, s.value))
                }
                (None, Some(s)) => Ok(format!("{} = '{}' is PostgreSQL {}'s own default", s.name, s.value, pg.version)),
                (None, None) => Err(format!("`{}` is not set", p.name)),
            }
        });
        out.add(&p.satisfies, format!("postgres {}", p.name), outcome);
    }
    let ssl = pg.map_or_else(none, |pg| match &pg.ssl {
        Some(s) => Ok(format!("postgres/postgresql-security.sql: ssl = on, certificate {}", s.cert)),
        None => Err("the spec has no `ssl` node".to_string()),
    });
    out.add(&data.ssl.satisfies, "postgres ssl".into(), ssl);
    let audit = pg.map_or_else(none, |pg| match &pg.pgaudit {
        Some(a) => Ok(format!(
            "postgres/postgresql-security.sql: shared_preload_libraries has pgaudit, pgaudit.log = '{}'",
            a.log.join(", ")
        )),
        None => Err("the spec has no `pgaudit` node".to_string()),
    });
    out.add(&data.pgaudit.satisfies, "postgres pgaudit".into(), audit);
    let limits = pg.map_or_else(none, |pg| {
        let unlimited: Vec<&str> =
            pg.roles.iter().filter(|r| r.login && r.connection_limit < 0).map(|r| r.name.as_str()).collect();
        if !unlimited.is_empty() {
            Err(format!("the spec sets `connection-limit=-1` on {}", unlimited.join(", ")))
        } else if pg.roles.iter().any(|r| r.login) {
            let each: Vec<String> =
                pg.roles.iter().filter(|r| r.login).map(|r| format!("{} {}", r.name, r.connection_limit)).collect();
            Ok(format!("postgres/postgresql-security.sql: CONNECTION LIMIT {}", each.join(", ")))
        } else {
            Err("the spec has no login role".to_string())
        }
    });
    out.add(&data.connection_limit.satisfies, "postgres connection limits".into(), limits);
    out.0
}
