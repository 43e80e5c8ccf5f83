//! Hostile input, second round (issue 24): values checked by meaning, by class. Each test
//! generates the variants of a class (the spellings of a path, the aliases of a kernel key,
//! the forms of an address) and asserts that every one is refused at the value, or that the
//! report tells the truth about it; harmless neighbours pass.

mod common;

use common::diags;

/// `spec` fails with `code`, labelled on the first occurrence of `at` (the label and `at`
/// overlap).
fn refused_at(spec: &str, at: &str, code: &str) {
    let offset = spec.find(at).unwrap_or_else(|| panic!("`{at}` is not in the spec"));
    let end = offset + at.len();
    let errs = diags(spec).expect_err(&format!("accepted:\n{spec}"));
    let hit = errs.iter().any(|d| {
        d.kind.code() == code
            && d.primary.as_ref().is_some_and(|l| l.span.offset < end && offset < l.span.offset + l.span.len.max(1))
    });
    let rendered: String = errs.iter().map(|d| d.render(false)).collect();
    assert!(hit, "no {code} at `{at}`:\n{rendered}");
}

fn sysctl_spec(lines: &str) -> String {
    format!("pynoc 1\nproject demo\nhost {{\n    sysctl profile=hardened {{\n{lines}\n    }}\n}}\n")
}

/// Every key of the profile under `net.ipv4.conf.all` / `default` (and IPv6), set on an
/// interface to anything but the profile's value, needs a reason; so does each spelling of
/// forwarding. The profile's own value on an interface is fine.
#[test]
fn aliases_of_a_profile_key_are_that_key() {
    let profile = pynoc::stdlib::sysctl_profile("hardened").unwrap();
    let mut checked = 0;
    for s in profile.setting.iter().filter(|s| s.option.is_none()) {
        let Some((family, name)) = s
            .key
            .strip_prefix("net.ipv4.conf.all.")
            .map(|n| ("ipv4", n))
            .or_else(|| s.key.strip_prefix("net.ipv6.conf.all.").map(|n| ("ipv6", n)))
        else {
            continue;
        };
        let weaker = if s.value == "0" { "1" } else { "0" };
        for iface in ["eth0", "ens3", "lo", "docker0", "wlp2s0", "br-1a2b3c"] {
            let key = format!("net.{family}.conf.{iface}.{name}");
            let line = format!("        set \"{key}\" {weaker}");
            refused_at(&sysctl_spec(&line), &key, "E014");
            let same = format!("        set \"{key}\" {}", s.value);
            assert!(diags(&sysctl_spec(&same)).is_ok(), "{same}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
    for key in [
        "net.ipv4.conf.all.forwarding",
        "net.ipv4.conf.default.forwarding",
        "net.ipv4.conf.eth0.forwarding",
        "net.ipv6.conf.eth0.forwarding",
        "net.ipv6.conf.default.forwarding",
    ] {
        refused_at(&sysctl_spec(&format!("        set \"{key}\" 1")), key, "E014");
    }
}

/// A reasoned alias compiles, is written with its reason, and `pynoc report` no longer
/// counts the profile's item as met.
#[test]
fn a_reasoned_alias_is_reported_as_not_met() {
    let spec = sysctl_spec(
        "        set \"net.ipv4.conf.eth0.send_redirects\" 1 reason=\"the lab router\"\n        \
         set \"net.ipv4.conf.all.forwarding\" 1 reason=\"the lab router\"",
    );
    let a = pynoc::analyze(&spec, "spec.kdl").unwrap();
    let r = pynoc::compliance::report(&a.spec, pynoc::stdlib::baseline("kspp").unwrap(), &a.waived);
    for (id, alias) in [
        ("net.ipv4.conf.all.send_redirects", "net.ipv4.conf.eth0.send_redirects"),
        ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"),
    ] {
        let item = r.items.iter().find(|i| i.id == id).unwrap_or_else(|| panic!("kspp has no {id}"));
        assert_eq!(item.status, pynoc::compliance::Status::NotMet, "{id}: {:?}", item.details);
        assert!(item.details.iter().any(|d| d.contains(alias) && d.contains("the lab router")), "{:?}", item.details);
    }
    let c = pynoc::compile(&spec, "spec.kdl").unwrap();
    let conf = &c.artifacts.iter().find(|a| a.path().ends_with("sysctl.conf")).unwrap().content;
    assert!(conf.contains("# the lab router\nnet.ipv4.conf.eth0.send_redirects = 1"), "{conf}");
}

/// Every key that makes the kernel run, load or route something needs a reason, on every
/// interface and whatever its value.
#[test]
fn kernel_helper_keys_need_a_reason() {
    let mut keys: Vec<String> =
        ["kernel.modprobe", "kernel.core_pattern", "kernel.poweroff_cmd", "kernel.hotplug"].map(String::from).to_vec();
    keys.extend(["register", "status", "python3"].map(|k| format!("fs.binfmt_misc.{k}")));
    keys.extend(["bset", "inheritable"].map(|k| format!("kernel.usermodehelper.{k}")));
    for iface in ["all", "default", "lo", "eth0"] {
        for k in ["route_localnet", "bc_forwarding", "proxy_arp"] {
            keys.push(format!("net.ipv4.conf.{iface}.{k}"));
        }
    }
    for key in &keys {
        for value in ["1", "\"/tmp/x\""] {
            refused_at(&sysctl_spec(&format!("        set \"{key}\" {value}")), key, "E014");
        }
        let reasoned = format!("        set \"{key}\" 1 reason=\"the vendor's appliance needs it\"");
        assert!(diags(&sysctl_spec(&reasoned)).is_ok(), "{reasoned}");
    }
    // Neighbours that run nothing.
    for key in ["kernel.modprobe_x", "net.ipv4.tcp_fin_timeout", "kernel.core_uses_pid"] {
        assert!(diags(&sysctl_spec(&format!("        set \"{key}\" 1"))).is_ok(), "{key}");
    }
}

fn pg_spec(body: &str) -> String {
    // pynoc's own way in comes first (E047), whatever else the case writes.
    let peer = "local all postgres method=peer";
    let body = if body.contains(peer) {
        body.to_string()
    } else if body.contains("hba {\n") {
        body.replacen("hba {\n", &format!("hba {{\n        {peer}\n"), 1)
    } else {
        format!("{body}\n    hba {{\n        {peer}\n    }}")
    };
    format!(
        "pynoc 1\nproject demo\npostgres database=demo version=15 owner=demo_owner {{\n    \
         ssl cert=\"/etc/ssl/certs/pg.crt\" key=\"/etc/ssl/private/pg.key\"\n    \
         set listen_addresses *\n    \
         role demo_app login=#true password-env=DEMO_APP_PASSWORD\n{body}\n}}\n"
    )
}

/// Every network line that lets in the superuser (`postgres`, or `all` roles) or a
/// replication connection needs a reason, for every kind and database; `report` then says
/// CIS PG 4.8's premise (the administrator logs in by peer only) does not hold.
#[test]
fn network_lines_for_the_administrator_need_a_reason() {
    for kind in ["host", "hostssl", "hostnossl"] {
        for (db, user) in [
            ("demo", "postgres"),
            ("all", "postgres"),
            ("demo", "all"),
            ("all", "all"),
            ("replication", "demo_app"),
            ("replication", "postgres"),
        ] {
            for net in ["10.0.0.0/8", "192.168.1.0/24", "::1/128"] {
                let line = format!("{kind} {db} {user} \"{net}\"");
                let spec = pg_spec(&format!("    hba {{\n        {line}\n    }}"));
                refused_at(&spec, &line, "E014");
            }
        }
    }
    // The application's own line, and a line that rejects the superuser, are fine.
    for line in ["hostssl demo demo_app \"10.0.0.0/8\"", "host all postgres \"0.0.0.0/0\" method=reject"] {
        let spec = pg_spec(&format!("    hba {{\n        {line}\n    }}"));
        assert!(
            diags(&spec).is_ok(),
            "{line}: {:?}",
            diags(&spec).err().map(|e| e.iter().map(|d| d.render(false)).collect::<String>())
        );
    }
    let spec = pg_spec(
        "    hba {\n        local all postgres method=peer\n        hostssl all postgres \"10.1.0.0/16\" reason=\"the DBA's bastion\"\n    }",
    );
    let a = pynoc::analyze(&spec, "spec.kdl").unwrap();
    let r = pynoc::compliance::report(&a.spec, pynoc::stdlib::baseline("cis-pg").unwrap(), &a.waived);
    let item = r.items.iter().find(|i| i.id == "4.8").unwrap();
    assert_eq!(item.status, pynoc::compliance::Status::NotMet, "{:?}", item.details);
    assert!(item.details.iter().any(|d| d.contains("the DBA's bastion")), "{:?}", item.details);
    let spec = pg_spec(
        "    hba {\n        local all postgres method=peer\n        hostssl demo demo_app \"10.1.0.0/16\"\n    }",
    );
    let a = pynoc::analyze(&spec, "spec.kdl").unwrap();
    let r = pynoc::compliance::report(&a.spec, pynoc::stdlib::baseline("cis-pg").unwrap(), &a.waived);
    assert_eq!(r.items.iter().find(|i| i.id == "4.8").unwrap().status, pynoc::compliance::Status::Met);
}

/// Weakening PostgreSQL settings need a reason, in every spelling PostgreSQL reads alike.
#[test]
fn weakening_database_settings_need_a_reason() {
    let mut cases: Vec<String> = vec![
        "set ssl_min_protocol_version \"TLSv1\"".into(),
        "set ssl_min_protocol_version \"TLSv1.1\"".into(),
        "set session_replication_role \"replica\"".into(),
        "set session_replication_role \"local\"".into(),
        "set logging_collector #true".into(),
        "set log_directory \"/var/lib/postgresql/.ssh\"".into(),
        "set log_filename \"authorized_keys\"".into(),
    ];
    for path in [
        "public",
        "Public",
        "PUBLIC",
        "\\\"public\\\"",
        " public ",
        "app, public",
        "\\\"$user\\\", public",
        "pg_catalog,public",
    ] {
        cases.push(format!("set search_path \"{path}\""));
    }
    // Every setting pynoc's hardening makes, changed to another valid value.
    let params = pynoc::stdlib::pg_params(15).unwrap();
    for h in &pynoc::stdlib::pg_hardening().parameter {
        let p = &params[&h.name];
        let other = match p.kind.as_str() {
            "bool" => {
                if h.value == "on" {
                    "#false".to_string()
                } else {
                    "#true".to_string()
                }
            }
            "enum" => format!("\"{}\"", p.values.iter().find(|v| **v != h.value).unwrap()),
            "integer" | "real" => format!("{}", h.value.parse::<f64>().unwrap_or(0.0) as i64 + 1),
            _ => "\"other\"".to_string(),
        };
        cases.push(format!("set {} {other}", h.name));
    }
    for case in &cases {
        refused_at(&pg_spec(&format!("    {case}")), case.split_whitespace().nth(1).unwrap(), "E014");
        let reasoned = format!("    {case} reason=\"measured in staging\"");
        assert!(diags(&pg_spec(&reasoned)).is_ok(), "{reasoned}");
    }
    for fine in [
        "set search_path \"\\\"$user\\\"\"",
        "set search_path \"app, pg_catalog\"",
        "set search_path \"publication\"",
        "set session_replication_role \"origin\"",
    ] {
        assert!(diags(&pg_spec(&format!("    {fine}"))).is_ok(), "{fine}");
    }
}

/// A `real` parameter takes a finite number within its range: no NaN, no infinity.
#[test]
fn real_parameters_are_finite_and_in_range() {
    for v in ["#nan", "#inf", "#-inf", "-1.5", "1e300", "2.0"] {
        let spec = pg_spec(&format!("    set cursor_tuple_fraction {v}"));
        refused_at(&spec, v, "E006");
    }
    assert!(diags(&pg_spec("    set cursor_tuple_fraction 0.5")).is_ok());
}

/// The audit backlog under the default, and failure mode 0, need a reason.
#[test]
fn audit_weakenings_need_a_reason() {
    let audit = |props: &str| format!("pynoc 1\nproject demo\nhost {{\n    audit {props}\n}}\n");
    for props in ["buffer=64", "buffer=8191", "failure=0", "buffer=320 failure=0"] {
        let spec = audit(props);
        refused_at(&spec, props.split_whitespace().next().unwrap(), "E014");
        let c = pynoc::compile(&audit(&format!("{props} reason=\"a tiny VM\"")), "spec.kdl").unwrap();
        let rules = &c.artifacts.iter().find(|a| a.path().ends_with("audit.rules")).unwrap().content;
        assert!(rules.contains("# weakened: ") && rules.contains("a tiny VM"), "{rules}");
    }
    for props in ["buffer=8192", "buffer=16384 failure=2", "failure=1"] {
        assert!(diags(&audit(props)).is_ok(), "{props}");
    }
}

/// The example with `find` (once in it) replaced by `with`, whose `{}` is the payload.
fn plant(find: &str, with: &str, payload: &str) -> String {
    common::plant(find, with, payload).0
}

/// Every spelling of an absolute path that a string comparison would miss: repeated
/// slashes, `.` components, trailing slashes and dots, at every separator in turn.
fn spellings(p: &str) -> Vec<String> {
    let mut out =
        vec![p.to_string(), format!("/{p}"), format!("{p}/"), format!("{p}/."), format!("{p}//."), format!("/.{p}")];
    let seps: Vec<usize> = p.match_indices('/').map(|(i, _)| i).collect();
    for &i in &seps {
        for with in ["//", "/./", "/././", "///./"] {
            out.push(format!("{}{with}{}", &p[..i], &p[i + 1..]));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Each path property, with the places its consumer must never get, in every spelling:
/// refused with E018 at the payload.
#[test]
fn every_spelling_of_a_forbidden_path_is_refused() {
    let fields: &[((&str, &str), &[&str])] = &[
        (
            ("writable \"/app/logs\" \"/app/data\"", "writable \"/app/logs\" \"/app/data\" \"{}\""),
            &["/", "/etc", "/app", "/opt/venv", "/opt/venv/bin", "/usr/lib", "/root", "/run"],
        ),
        (
            ("volume app_data device=\"/opt/pynomaly/data/app\"", "volume app_data device=\"{}\""),
            &[
                "/etc",
                "/home/admin",
                "/root",
                "/tmp/x",
                "/var/tmp/x",
                "/dev/shm/x",
                "/opt/other/x",
                "/opt/pynomaly",
                "/srv",
                "/var/lib/postgresql",
            ],
        ),
        (
            ("tmpfs \"/var/tmp\" size=\"1G\"", "tmpfs \"{}\" size=\"1G\""),
            &["/etc", "/home/pynomaly", "/opt/pynomaly/data", "/srv/x", "/var/lib/postgresql", "/run", "/root", "/usr"],
        ),
        (
            ("tmpfs \"/tmp\" size=\"100m\"", "tmpfs \"{}\" size=\"100m\""),
            &["/", "/etc", "/app", "/opt/venv", "/usr/lib", "/run", "/proc"],
        ),
        (
            ("access=\"/var/log/nginx/access.log\"", "access=\"{}\""),
            &[
                "/etc/profile.d/x.sh",
                "/etc/ld.so.preload",
                "/var/log/nginx",
                "/root/x",
                "/var/log/auth.log",
                "/var/www/x",
            ],
        ),
        (
            ("webroot=\"/var/www/letsencrypt\"", "webroot=\"{}\""),
            &["/var/lib/postgresql", "/root", "/etc/ssl/private", "/var/tmp", "/var/www", "/srv", "/tmp"],
        ),
        (
            ("cert=\"/etc/letsencrypt/live/api.pynomaly.com/fullchain.pem\"", "cert=\"{}\""),
            &["/etc/shadow", "/root/.ssh/id_rsa", "/etc/letsencrypt/accounts/a/private_key.json", "/proc/self/environ"],
        ),
        (
            ("key=\"/etc/ssl/private/postgresql.key\"", "key=\"{}\""),
            &["/etc/shadow", "/home/pynomaly/.ssh/id_ed25519", "/var/lib/postgresql/15/main/server.key", "/etc/ssl"],
        ),
        (
            // prepare.sh copies it, as root, into the stack's secrets.
            ("server-ca=\"/etc/ssl/certs/pynomaly-db-ca.crt\"", "server-ca=\"{}\""),
            &["/etc/shadow", "/root/.ssh/id_rsa", "/proc/self/environ"],
        ),
    ];
    let mut count = 0;
    for (field, targets) in fields {
        for target in *targets {
            for payload in spellings(target) {
                common::refused(*field, &payload, "E018");
                count += 1;
            }
        }
    }
    assert!(count > 500, "{count}");
}

/// A path with `..` is refused (what it names depends on links pynoc cannot see); an
/// allowed path in any spelling is accepted and written in its canonical form.
#[test]
fn allowed_paths_are_written_canonical() {
    for payload in ["/var/log/nginx/../../../etc/ld.so.preload", "/var/www/letsencrypt/..", "/var/log/nginx/x/../a.log"]
    {
        common::refused(("access=\"/var/log/nginx/access.log\"", "access=\"{}\""), payload, "E007");
    }
    for payload in spellings("/var/log/nginx/api-access.log") {
        let spec = plant("access=\"/var/log/nginx/access.log\"", "access=\"{}\"", &payload);
        let c = pynoc::compile(&spec, "spec.kdl").unwrap_or_else(|e| panic!("{payload}: {}", e[0].render(false)));
        let conf = &c.artifacts.iter().find(|a| a.path() == "nginx/nginx.conf").unwrap().content;
        assert!(conf.contains("access_log /var/log/nginx/api-access.log"), "{payload}");
        assert!(!conf.contains("nginx//") && !conf.contains("/./"), "{payload}");
    }
}

/// Every form of this host's address reaches this host (E025 for a port no container
/// publishes, and for sshd's port); every form of a link-local or metadata address is E045.
#[test]
fn every_form_of_an_address_is_what_it_reaches() {
    let local = [
        "127.0.0.1",
        "127.0.0.2",
        "127.255.255.254",
        "localhost",
        "app.localhost",
        "0.0.0.0",
        "0",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "0x7f.1",
        "[::1]",
        "[::]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:0.0.0.0]",
    ];
    let field = ("server \"127.0.0.1:8000\"", "server \"{}\"");
    for host in local {
        for (port, why) in [(9999, "no container publishes port 9999"), (22, "sshd's port")] {
            let payload = format!("{host}:{port}");
            let spec = plant(field.0, field.1, &payload);
            let errs = diags(&spec).expect_err(&payload);
            assert!(
                errs.iter().any(|d| d.kind.code() == "E025" && d.message.contains(why)),
                "{payload}: {}",
                errs.iter().map(|d| d.render(false)).collect::<String>()
            );
        }
        // Where a container publishes, the same forms are fine.
        assert!(diags(&plant(field.0, field.1, &format!("{host}:8000"))).is_ok(), "{host}:8000");
    }
    let metadata = [
        "169.254.169.254",
        "169.254.0.1",
        "0xa9fea9fe",
        "2852039166",
        "169.254.43518",
        "[::ffff:169.254.169.254]",
        "[::ffff:a9fe:a9fe]",
        "[fe80::1]",
        "[febf::1]",
        "[fd00:ec2::254]",
        "100.100.100.200",
        "metadata.google.internal",
        "metadata",
        "instance-data",
    ];
    for host in metadata {
        let payload = format!("{host}:80");
        let spec = plant(field.0, field.1, &payload);
        let errs = diags(&spec).expect_err(&payload);
        assert!(errs.iter().any(|d| d.kind.code() == "E045"), "{payload}");
    }
    // Other hosts are not the spec's to check.
    for host in ["10.0.0.5", "app.internal", "[2001:db8::1]", "169.255.0.1"] {
        assert!(diags(&plant(field.0, field.1, &format!("{host}:9999"))).is_ok(), "{host}");
    }
}

/// No variable that moves the loader's or an interpreter's search path, in the image or in
/// a service; no volume over the code, however the target is spelled.
#[test]
fn the_code_stays_read_only_by_meaning() {
    let image = ("cmd python", "env {} \"/app/data\"\n        cmd python");
    let service =
        ("env DATABASE_USER pynomaly_app", "env DATABASE_USER pynomaly_app\n            env {} \"/app/data\"");
    let names: Vec<&str> =
        pynoc::lower::LOADER_VARIABLES.iter().copied().chain(["LD_BIND_NOW", "LD_DEBUG_OUTPUT"]).collect();
    for name in names {
        for field in [image, service] {
            common::refused(field, name, "E046");
        }
    }
    let volume = ("volume app_data \"/app/data\"", "volume app_data \"{}\"");
    for target in ["/app", "/app/src", "/opt/venv", "/opt/venv/lib/python3.11", "/opt", "/usr/lib"] {
        for payload in spellings(target) {
            common::refused(volume, &payload, "E046");
        }
    }
    for payload in spellings("/app/data/uploads") {
        assert!(diags(&plant(volume.0, volume.1, &payload)).is_ok(), "{payload}");
    }
}

/// A published address is taken for what it is: the IPv4-mapped loopback is loopback (no
/// false E024) and is written as `127.0.0.1`; every public form is E024.
#[test]
fn published_addresses_by_meaning() {
    let field = ("publish 8000 host-ip=\"127.0.0.1\"", "publish 8000 host-ip=\"{}\"");
    let c = pynoc::compile(&plant(field.0, field.1, "::ffff:127.0.0.1"), "spec.kdl").unwrap();
    let compose = &c.artifacts.iter().find(|a| a.path().ends_with("docker-compose.yml")).unwrap().content;
    assert!(compose.contains("host_ip: 127.0.0.1\n") && !compose.contains("ffff"), "{compose}");
    for ip in ["0.0.0.0", "::", "::ffff:0.0.0.0", "203.0.113.7", "::ffff:203.0.113.7", "2001:db8::1"] {
        let errs = diags(&plant(field.0, field.1, ip)).expect_err(ip);
        assert!(errs.iter().any(|d| d.kind.code() == "E024"), "{ip}");
    }
}

/// The fuzzers' rules of meaning hold for reasoned weakenings: a helper key with its reason
/// and every allowed path pass the shape check of the output.
#[test]
fn reasoned_output_passes_the_meaning_checks() {
    let spec = sysctl_spec(
        "        set \"kernel.modprobe\" \"/sbin/modprobe\" reason=\"the vendor's appliance\"\n        \
         set \"net.ipv4.conf.lo.route_localnet\" 1 reason=\"a local DNAT\"",
    );
    let c = pynoc::compile(&spec, "spec.kdl").unwrap();
    assert_eq!(pynoc::verify::shape::check(&c.artifacts), Vec::<String>::new());
    for text in pynoc::fuzzing::EXAMPLES {
        let c = pynoc::compile(text, "spec.kdl").unwrap();
        assert_eq!(pynoc::verify::shape::check(&c.artifacts), Vec::<String>::new());
    }
}

/// sshd's numbers weakened past pynoc's (more guesses, a longer grace time, a dead session
/// kept longer however interval and count are split) need a reason; tighter ones do not.
#[test]
fn sshd_numbers_past_pynocs_need_a_reason() {
    let ssh = |line: &str| format!("pynoc 1\nproject demo\nhost {{\n    ssh {{\n        {line}\n    }}\n}}\n");
    for n in 4..=10 {
        refused_at(&ssh(&format!("max-auth-tries {n}")), &format!("{n}"), "E014");
    }
    for t in ["31", "\"1m\"", "600"] {
        refused_at(&ssh(&format!("login-grace-time {t}")), t, "E014");
    }
    for (i, c) in [("301", "2"), ("300", "3"), ("\"11m\"", "1"), ("60", "11")] {
        let line = format!("client-alive interval={i} count-max={c}");
        if c == "11" {
            assert!(diags(&ssh(&line)).is_err());
            continue;
        }
        refused_at(&ssh(&line), "client-alive", "E014");
    }
    for line in [
        "max-auth-tries 3",
        "max-auth-tries 1",
        "login-grace-time 20",
        "client-alive interval=600 count-max=1",
        "client-alive interval=60 count-max=10",
    ] {
        assert!(diags(&ssh(line)).is_ok(), "{line}");
    }
}

/// A secret file is a file of `./secrets/`, in every spelling: prepare.sh (root) gives it
/// to the service's user, so `./prepare.sh` or the compose file must never be one.
#[test]
fn secret_files_stay_in_secrets() {
    let field = ("secret redis_password file=\"./secrets/redis_password.txt\"", "secret redis_password file=\"{}\"");
    for payload in [
        "./prepare.sh",
        "./docker-compose.yml",
        "./postgres-conf/pg_hba.conf",
        "./secrets",
        "./secrets/",
        "./secrets/a/b.txt",
        "./secrets/.hidden",
        ".//prepare.sh",
        "././docker-compose.yml",
        "./x/../prepare.sh",
        "./Dockerfile",
    ] {
        let (spec, _) = common::plant(field.0, field.1, payload);
        assert!(diags(&spec).is_err(), "{payload}");
    }
    common::refused(field, "./prepare.sh", "E018");
    for payload in
        ["./secrets/redis_password.txt", ".//secrets//redis_password.txt", "././secrets/./redis_password.txt"]
    {
        let c = pynoc::compile(&plant(field.0, field.1, payload), "spec.kdl").unwrap();
        let compose = &c.artifacts.iter().find(|a| a.path().ends_with("docker-compose.yml")).unwrap().content;
        assert!(compose.contains("file: ./secrets/redis_password.txt"), "{payload}");
    }
}

/// `cmd` runs nothing from a writable directory, however the path is spelled.
#[test]
fn the_command_runs_no_writable_code() {
    let field = ("cmd python -m uvicorn", "cmd python \"{}\" uvicorn");
    for target in ["/app/data/x.py", "/app/logs/run.sh", "/app/data"] {
        for payload in spellings(target).into_iter().chain([format!("--config={target}")]) {
            common::refused(field, &payload, "E046");
        }
    }
    for payload in ["-m", "/app/main.py", "--config=/app/settings.toml", "/usr/bin/env"] {
        assert!(diags(&plant(field.0, field.1, payload)).is_ok(), "{payload}");
    }
}

/// A time server by what it reaches: every spelling of this host (timesyncd is its one time
/// daemon), a multicast, broadcast or scoped link-local address is refused at the value; the
/// shorthand and mapped forms of another host's address are written as that address; a
/// cloud's link-local time service and names are time servers.
#[test]
fn every_form_of_a_time_server_is_what_it_reaches() {
    let spec = |servers: &str| format!("pynoc 1\nproject demo\nhost {{\n    time {servers}\n}}\n");
    let nowhere = [
        "127.0.0.1",
        "127.0.0.2",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "0x7f.1",
        "0.0.0.0",
        "0",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:7f00:1",
        "0:0:0:0:0:0:0:1",
        "app.localhost",
        "ip6-localhost",
        "localhost.localdomain",
        "224.0.1.1",
        "255.255.255.255",
        "ff02::101",
        "fe80::1",
        "febf::1",
        "NTP.example.com",
        "ntp.example.com.",
        "ntp example.com",
        "ntp.example.com\nFallbackNTP=evil.example",
        "localhost",
    ];
    for s in nowhere {
        let quoted = format!("{s:?}");
        let text = spec(&format!("\"ntp.example.com\" {quoted}"));
        let errs = diags(&text).expect_err(s);
        let at = text.find(&quoted).unwrap();
        assert!(
            errs.iter().any(|d| d.kind.code() == "E007"
                && d.primary.as_ref().is_some_and(|l| l.span.offset <= at && at < l.span.offset + l.span.len)),
            "{s}: {}",
            errs.iter().map(|d| d.render(false)).collect::<String>()
        );
    }
    for (given, written) in [
        ("0xc0000201", "192.0.2.1"),
        ("192.2.513", "192.2.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("169.254.169.123", "169.254.169.123"),
        ("2001:DB8::123", "2001:db8::123"),
        ("metadata.google.internal", "metadata.google.internal"),
        ("time.aws.com", "time.aws.com"),
    ] {
        let c = pynoc::compile(&spec(&format!("{given:?}")), "spec.kdl").unwrap_or_else(|e| panic!("{given}: {e:?}"));
        let a = c.artifacts.iter().find(|a| a.path() == "host/timesyncd.conf").expect("host/timesyncd.conf");
        assert!(a.content.contains(&format!("\nNTP={written}\n")), "{given}:\n{}", a.content);
        assert!(a.content.contains(&format!("\nFallbackNTP={written}\n")), "{given}:\n{}", a.content);
    }
}
