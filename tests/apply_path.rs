//! The invariant of pynoc's own way in (E047, issue 27): whatever pg_hba.conf the spec
//! writes, the superuser `postgres` reaches the `postgres` and `template1` databases and the
//! spec's own on the local socket by `peer`, the way the playbook, the image's first start
//! and `postgres-apply.sh` connect. Every order of a set of candidate lines is generated and
//! judged against the first-match rule PostgreSQL itself applies.

mod common;

use common::diags;

/// Candidate lines: (the `hba` child, its type, database, user, method).
const LINES: &[(&str, &str, &str, &str, &str)] = &[
    ("local all postgres method=peer", "local", "all", "postgres", "peer"),
    ("local all postgres", "local", "all", "postgres", "scram-sha-256"),
    ("local all all", "local", "all", "all", "scram-sha-256"),
    ("local all all method=peer", "local", "all", "all", "peer"),
    ("local shop postgres method=peer", "local", "shop", "postgres", "peer"),
    ("local shop all method=reject", "local", "shop", "all", "reject"),
    ("local shop shop_app", "local", "shop", "shop_app", "scram-sha-256"),
    ("hostssl all postgres \"10.0.0.0/8\" method=reject", "hostssl", "all", "postgres", "reject"),
];

fn spec(lines: &[usize]) -> String {
    let hba: String = lines.iter().map(|&i| format!("        {}\n", LINES[i].0)).collect();
    format!(
        "pynoc 1\nproject shop\npostgres database=shop version=15 {{\n    ssl cert=\"/etc/ssl/certs/pg.crt\" key=\"/etc/ssl/private/pg.key\"\n    role shop_app login=#true password-env=SHOP_APP_PASSWORD\n    hba {{\n{hba}    }}\n}}\n"
    )
}

/// Whether pg_hba with these lines, in this order, admits `postgres` by peer on the socket to
/// every database pynoc opens: PostgreSQL's rule, the first line whose type, database and
/// user match decides. `None` when an earlier line makes a later one dead (E031 instead).
fn admits(lines: &[usize]) -> Option<bool> {
    for (k, &j) in lines.iter().enumerate() {
        let (_, t, db, user, _) = LINES[j];
        let dead = lines[..k].iter().any(|&i| {
            let (_, t0, db0, user0, _) = LINES[i];
            (t0 == t || (t0 == "host" && t != "local"))
                && (db0 == "all" || db0 == db)
                && (user0 == "all" || user0 == user)
        });
        if dead {
            return None;
        }
    }
    Some(["postgres", "template1", "shop"].iter().all(|target| {
        let first = lines.iter().map(|&i| LINES[i]).find(|(_, t, db, user, _)| {
            *t == "local" && (*db == "all" || db == target) && (*user == "all" || *user == "postgres")
        });
        first.is_some_and(|(.., method)| method == "peer")
    }))
}

/// Every ordered choice of up to three candidate lines.
fn orders() -> Vec<Vec<usize>> {
    let n = LINES.len();
    let mut out = vec![vec![]];
    for a in 0..n {
        out.push(vec![a]);
        for b in (0..n).filter(|&b| b != a) {
            out.push(vec![a, b]);
            for c in (0..n).filter(|&c| c != a && c != b) {
                out.push(vec![a, b, c]);
            }
        }
    }
    out
}

#[test]
fn the_superuser_reaches_every_database_pynoc_opens_by_peer_or_the_spec_is_an_error() {
    let (mut ok, mut refused) = (0, 0);
    for order in orders() {
        let Some(expected) = admits(&order) else { continue };
        let text = spec(&order);
        let has_e047 = match diags(&text) {
            Ok(_) => false,
            Err(errs) => {
                let other: Vec<_> = errs.iter().filter(|d| d.kind.code() != "E047").collect();
                assert!(other.is_empty(), "unexpected errors for\n{text}{}", other[0].render(false));
                true
            }
        };
        assert_eq!(!has_e047, expected, "E047 {} for\n{text}", if has_e047 { "reported" } else { "missing" });
        if expected { ok += 1 } else { refused += 1 }
    }
    // Both sides of the rule were exercised, many times.
    assert!(ok > 20 && refused > 100, "{ok} accepted, {refused} refused");
}

/// A `postgres` section without `hba` writes a pg_hba.conf that rejects everything, pynoc's
/// own connections included: an error at the section.
#[test]
fn a_section_without_hba_is_an_error_at_the_section() {
    let text = "pynoc 1\nproject shop\npostgres database=shop version=15\n";
    let errs = diags(text).expect_err("accepted");
    assert_eq!(errs.len(), 1, "{}", errs.iter().map(|d| d.render(false)).collect::<String>());
    assert_eq!(errs[0].kind.code(), "E047");
    let at = errs[0].primary.as_ref().unwrap().span.offset;
    assert_eq!(&text[at..at + 8], "postgres");
}
