//! Where the database runs is said by the spec, never guessed from an image's name (issue
//! 27): the compose service that says `database=` runs the `postgres` section, whatever its
//! image is called; PostgreSQL's image without it is an error; an image of the operator's
//! own keeps every piece of the wiring; pgAudit on the official image is an error, and
//! `base=` has pynoc write the Dockerfile that adds it.

mod common;

use common::{diags, example};

fn reference() -> String {
    std::fs::read_to_string(example()).unwrap()
}

const DB_LINE: &str = "service postgres image=postgres:15-bookworm cpus=\"1.0\" memory=\"1G\" database=pynomaly {";

/// The reference spec with the database service's line replaced.
fn with_db(line: &str) -> String {
    let text = reference();
    assert_eq!(text.matches(DB_LINE).count(), 1, "the example's database line moved");
    text.replacen(DB_LINE, line, 1)
}

fn file(c: &pynoc::Compiled, name: &str) -> Option<String> {
    c.artifacts.iter().find(|a| a.name() == name).map(|a| a.content.clone())
}

fn compile(text: &str) -> pynoc::Compiled {
    pynoc::compile(text, "spec.kdl")
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.render(false)).collect::<String>()))
}

/// Everything the database and the application get from the wiring, in the compose file.
fn wired(c: &pynoc::Compiled) -> Vec<&'static str> {
    let compose = file(c, "compose").unwrap();
    let mut missing = Vec::new();
    for must in [
        "hba_file=/etc/pynoc/pg_hba.conf",
        "ssl=on",
        "pynoc_pg_tls_key",
        "pynoc_pg_pynomaly_app_password",
        "pg_isready",
        "DATABASE_HOST: postgres",
        "DATABASE_PASSWORD_FILE: /run/secrets/pynoc_pg_pynomaly_app_password",
        "PGSSLMODE: verify-full",
        "PGSSLROOTCERT: /run/secrets/pynoc_pg_server_ca",
        "POSTGRES_PASSWORD_FILE: /run/secrets/db_password",
    ] {
        if !compose.contains(must) {
            missing.push(must);
        }
    }
    if file(c, "postgres-apply").is_none() {
        missing.push("postgres-apply.sh");
    }
    missing
}

/// Every spelling of the official image, and images of the operator's own, with
/// `database=`: the same wiring as the reference.
#[test]
fn the_service_that_says_database_is_the_database_whatever_its_image() {
    assert!(wired(&compile(&reference())).is_empty());
    let official = [
        "postgres:15-bookworm",
        "docker.io/library/postgres:15-bookworm",
        "library/postgres:15-bookworm",
        "index.docker.io/library/postgres:15-bookworm",
        "postgres:15-bookworm@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ];
    let own = [
        "registry.example.com/acme/pg:15",
        "registry.example.com:5000/acme/pg:15-pgaudit",
        "ghcr.io/acme/postgres:15.4",
        "acme/postgres:15-bookworm",
    ];
    for image in official {
        let c = compile(&with_db(&format!("service postgres image=\"{image}\" database=pynomaly {{")));
        assert_eq!(wired(&c), Vec::<&str>::new(), "{image}");
        assert!(file(&c, "compose").unwrap().contains("user: 999:999"), "{image}: the official image's uid");
    }
    for image in own {
        // Without a uid pynoc cannot know it: an error at the image.
        let text = with_db(&format!("service postgres image=\"{image}\" database=pynomaly {{"));
        let errs = diags(&text).expect_err(image);
        assert!(errs.iter().any(|d| d.message.contains("knows no uid")), "{image}");
        let c = compile(&with_db(&format!("service postgres image=\"{image}\" user=\"999:999\" database=pynomaly {{")));
        assert_eq!(wired(&c), Vec::<&str>::new(), "{image}");
    }
}

/// PostgreSQL's image without `database=` is not silently a plain service.
#[test]
fn postgres_image_without_database_is_an_error() {
    for image in ["postgres:15-bookworm", "docker.io/library/postgres:15-bookworm", "library/postgres:15-alpine"] {
        let text = with_db(&format!("service postgres image=\"{image}\" {{"));
        let errs = diags(&text).expect_err(image);
        let e = errs.iter().find(|d| d.kind.code() == "E035").unwrap_or_else(|| panic!("{image}: no E035"));
        assert!(e.message.contains("not the stack's database"), "{}", e.message);
    }
    // `database=` on redis or the application, `base=` elsewhere than the database: errors.
    for (find, with) in [
        ("service redis image=redis:7-bookworm", "service redis image=redis:7-bookworm database=pynomaly"),
        ("service pynomaly-api image=pynomaly-api", "service pynomaly-api image=pynomaly-api database=pynomaly"),
        ("service redis image=redis:7-bookworm", "service redis image=redis:7-bookworm base=\"redis:7-bookworm\""),
    ] {
        let text = reference().replacen(find, with, 1);
        assert!(diags(&text).is_err_and(|e| e.iter().any(|d| d.kind.code() == "E035")), "{with}");
    }
}

/// pgAudit on the official image is an error (the server would not start); `base=` makes
/// pynoc write the Dockerfile, compose build it, and the version follow the base.
#[test]
fn pgaudit_needs_an_image_that_has_it() {
    let audited = |line: &str| {
        with_db(line).replacen("    set row_security #true\n", "    set row_security #true\n    pgaudit\n", 1)
    };
    let errs = diags(&audited(DB_LINE)).expect_err("pgaudit on the official image");
    assert!(errs.iter().any(|d| d.kind.code() == "E048"));
    let c =
        compile(&audited("service postgres image=pynomaly-postgres:15 base=postgres:15-bookworm database=pynomaly {"));
    let docker = file(&c, "postgres-dockerfile").expect("postgres.Dockerfile");
    assert!(
        docker.contains("FROM postgres:15-bookworm\n")
            && docker.contains("postgresql-15-pgaudit")
            && docker.contains("USER 999:999"),
        "{docker}"
    );
    let compose = file(&c, "compose").unwrap();
    assert!(
        compose.contains("dockerfile: postgres.Dockerfile") && compose.contains("image: pynomaly-postgres:15"),
        "{compose}"
    );
    assert!(wired(&c).is_empty());
    // The base decides the version; `base=` without pgAudit builds nothing and is an error;
    // a base that is not PostgreSQL's image too.
    let other = audited("service postgres image=pynomaly-postgres:15 base=postgres:16-bookworm database=pynomaly {");
    assert!(diags(&other).is_err_and(|e| e.iter().any(|d| d.message.contains("is not PostgreSQL 15"))));
    let bare = with_db("service postgres image=pynomaly-postgres:15 base=postgres:15-bookworm database=pynomaly {");
    assert!(diags(&bare).is_err_and(|e| e.iter().any(|d| d.message.contains("with nothing added"))));
    let wrong = audited("service postgres image=pynomaly-postgres:15 base=redis:7-bookworm database=pynomaly {");
    assert!(diags(&wrong).is_err_and(|e| e.iter().any(|d| d.message.contains("not the official PostgreSQL image"))));
    // Without pgAudit in the spec, no Dockerfile for the database.
    assert!(file(&compile(&reference()), "postgres-dockerfile").is_none());
}

/// A waiver of the retired W005 says what became of it.
#[test]
fn a_retired_code_says_what_became_of_it() {
    let text = reference().replacen("project pynomaly {", "allow W005 reason=\"old\"\nproject pynomaly {", 1);
    let errs = diags(&text).expect_err("a retired code");
    assert!(
        errs.iter().any(|d| d.message.contains("`W005` is retired") && d.message.contains("E048")),
        "{:?}",
        errs.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}

/// A compose database is never published: a pg_hba line is an error when its address lies
/// outside every network of the database's service (E049), whatever the line's width; on a
/// network without `subnet`, Docker's default pools (172.16.0.0/12, 192.168.0.0/16) are what
/// it may get. Generated lines on both sides of each boundary, both families.
#[test]
fn hba_lines_a_compose_database_never_receives_are_errors() {
    const LINE: &str = "hostssl pynomaly pynomaly_app \"172.20.0.0/16\"";
    const NET: &str = "network backend internal=#true subnet=\"172.20.0.0/16\"";
    let text = reference();
    assert_eq!(text.matches(LINE).count(), 1);
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            NET,
            &["172.20.0.0/16", "172.20.9.0/24", "172.20.0.7/32", "172.16.0.0/12", "172.0.0.0/8"],
            &[
                "172.21.0.0/16",
                "10.0.0.0/8",
                "192.168.0.0/16",
                "172.19.255.0/24",
                "11.0.0.0/8",
                "2001:db8::/32",
                "fd00:1::/48",
            ],
        ),
        (
            "network backend internal=#true",
            &["172.17.0.0/16", "172.31.255.0/24", "192.168.32.0/20", "172.0.0.0/8"],
            &["172.32.0.0/16", "10.1.0.0/16", "192.169.0.0/16", "2001:db8::/32"],
        ),
    ];
    let mut checked = 0;
    for (net, inside, outside) in cases {
        let spec = text.replacen(NET, net, 1);
        for (addr, refused) in inside.iter().map(|a| (a, false)).chain(outside.iter().map(|a| (a, true))) {
            // The line that keeps the application's way in stays; the candidate comes first.
            let line = format!("hostssl pynomaly pynomaly_monitor \"{addr}\"\n        {LINE}");
            let found = match diags(&spec.replacen(LINE, &line, 1)) {
                Ok(_) => false,
                Err(errs) => {
                    assert!(
                        errs.iter().filter(|d| d.kind.code().starts_with('E')).all(|d| d.kind.code() == "E049"),
                        "{net}, {addr}: {errs:?}"
                    );
                    true
                }
            };
            assert_eq!(found, refused, "{net}: a line for {addr}");
            checked += 1;
        }
    }
    assert!(checked >= 20);
}
