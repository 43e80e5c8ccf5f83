//! Claims of the PostgreSQL server parameters pynoc sets (stdlib/postgres/hardening.toml):
//! the value in force is the spec's, pynoc's, or the server's own default.

use super::{Claim, Claims};
use crate::ir::{HbaKind, HbaMethod, Postgres, Spec};
use crate::stdlib;

pub(super) fn claims(spec: &Spec) -> Vec<Claim> {
    let data = stdlib::pg_hardening();
    let pg = spec.postgres.as_ref();
    let none = || Err("the spec has no `postgres` section".to_string());
    let mut out = Claims::default();
    parameters(pg, &mut out);
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
    for (what, items) in &data.fixed_claims {
        out.add(items, format!("postgres {what}"), pg.map_or_else(none, |_| Ok(format!("postgres/ (always): {what}"))));
    }
    let mode = pg.map_or_else(none, |_| Ok(format!("pg_hba.conf is installed with mode {}", data.hba_file.mode)));
    out.add(&data.hba_file.satisfies, "postgres hba mode".into(), mode);
    out.add(&data.hba_local_peer.satisfies, "postgres local peer".into(), pg.map_or_else(none, local_peer));
    out.add(&data.hba_remote_tls.satisfies, "postgres remote tls".into(), pg.map_or_else(none, remote_tls));
    out.add(&data.hba_admin_local.satisfies, "postgres admin local".into(), pg.map_or_else(none, admin_local));
    let listen = pg.map_or_else(none, |pg| {
        let set = pg.settings.iter().find(|s| s.name == "listen_addresses");
        match set {
            Some(s) if s.value.split(',').any(|a| a.trim() == "*") => {
                Err(format!("the spec sets `listen_addresses = '{}'`: every address of the host", s.value))
            }
            Some(s) => Ok(format!("postgres/postgresql-security.sql: listen_addresses = '{}'", s.value)),
            None => Ok("listen_addresses is PostgreSQL's default, localhost".to_string()),
        }
    });
    out.add(&data.listen_bound.satisfies, "postgres listen".into(), listen);
    let rls = pg.map_or_else(none, |pg| {
        if pg.row_security.is_empty() {
            Err("the spec has no `row-security` table".to_string())
        } else {
            let tables: Vec<&str> = pg.row_security.iter().map(|r| r.table.as_str()).collect();
            Ok(format!(
                "postgres/postgresql-security.sql: ENABLE and FORCE ROW LEVEL SECURITY on {}",
                tables.join(", ")
            ))
        }
    });
    out.add(&data.row_security.satisfies, "postgres row security".into(), rls);
    out.0
}

/// Each parameter pynoc sets: the value in force is pynoc's (the spec's, or the server's own
/// default when that is pynoc's).
fn parameters(pg: Option<&Postgres>, out: &mut Claims) {
    let none = || Err("the spec has no `postgres` section".to_string());
    for p in &stdlib::pg_hardening().parameter {
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
}

fn local_peer(pg: &Postgres) -> Result<String, String> {
    let other: Vec<String> = pg
        .hba
        .iter()
        .filter(|l| l.kind == HbaKind::Local && !matches!(l.method, HbaMethod::Peer | HbaMethod::Reject))
        .map(|l| format!("local {} {}", l.database, l.user))
        .collect();
    match (pg.hba.iter().any(|l| l.kind == HbaKind::Local), other.is_empty()) {
        (false, _) => Err("the spec's `hba` has no `local` line".to_string()),
        (true, true) => Ok("postgres/pg_hba.conf: every local line uses peer".to_string()),
        (true, false) => Err(format!(
            "{} use scram-sha-256: application roles have no OS account to match (`method=peer` where they do)",
            other.join(", ")
        )),
    }
}

/// The administrator logs in as `postgres` by peer only: no network line admits it (by name
/// or as `all`) or a replication connection.
fn admin_local(pg: &Postgres) -> Result<String, String> {
    let wide: Vec<String> = pg
        .hba
        .iter()
        .filter(|l| l.admits_administrator_remotely())
        .map(|l| {
            let net = l.address.map(|a| format!(" {a}")).unwrap_or_default();
            let why = l.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            format!(
                "`{} {} {}{net}` admits the superuser or replication over the network{why}",
                l.kind.as_str(),
                l.database,
                l.user
            )
        })
        .collect();
    if wide.is_empty() {
        Ok("postgres/pg_hba.conf: no network line admits `postgres` or replication; pynoc's roles are never superusers, so there is no escalation to audit".to_string())
    } else {
        Err(wide.join("; "))
    }
}

fn remote_tls(pg: &Postgres) -> Result<String, String> {
    let weak: Vec<String> = pg
        .hba
        .iter()
        .filter(|l| matches!(l.kind, HbaKind::Host | HbaKind::Hostnossl) && l.method != HbaMethod::Reject)
        .map(|l| {
            let net = l.address.map(|a| format!(" {a}")).unwrap_or_default();
            let why = l.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let kind = if l.kind == HbaKind::Host { "host" } else { "hostnossl" };
            format!("`{kind} {} {}{net}` admits clients without TLS{why}", l.database, l.user)
        })
        .collect();
    if weak.is_empty() {
        Ok("postgres/pg_hba.conf: every network line that admits clients is hostssl".to_string())
    } else {
        Err(weak.join("; "))
    }
}
