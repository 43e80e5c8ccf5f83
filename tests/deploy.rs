//! The deployment and the host's container mode: what the playbook does for each host role,
//! that no spec value can become a template or a shell word in it, and that forwarding and
//! the forward chain follow whether containers run on the host. The playbook's behaviour on
//! a real Debian 12 machine is proven by tests/vm/run.sh.

mod common;

use std::fs;

fn example() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pynomaly/spec.kdl")).unwrap()
}

/// The example whose PostgreSQL runs on the host (no containers).
fn host_db() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ledger/spec.kdl")).unwrap()
}

fn tasks(play: &serde_norway::Value) -> Vec<&str> {
    play["tasks"].as_sequence().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect()
}

fn artifact<'a>(c: &'a pynoc::Compiled, name: &str) -> &'a str {
    &c.artifacts.iter().find(|a| a.name() == name).unwrap_or_else(|| panic!("no artifact {name}")).content
}

fn playbook(text: &str) -> Vec<serde_norway::Value> {
    let c = pynoc::compile(text, "spec.kdl").map_err(|d| format!("{d:?}")).unwrap();
    serde_norway::from_str(artifact(&c, "deploy")).unwrap()
}

#[test]
fn one_play_per_role_each_with_its_group() {
    // The database in the compose stack: no host PostgreSQL; on the host: no containers.
    let plays = playbook(&example());
    let hosts: Vec<&str> = plays.iter().map(|p| p["hosts"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["pynoc_host", "pynoc_containers", "pynoc_web"]);
    let host = playbook(&host_db());
    let hosts: Vec<&str> = host.iter().map(|p| p["hosts"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["pynoc_host", "pynoc_web", "pynoc_database"]);
    for p in plays.iter().chain(&host) {
        assert_eq!(p["become"], serde_norway::Value::Bool(true));
    }
    let c = pynoc::compile(&example(), "spec.kdl").unwrap();
    let inv = artifact(&c, "inventory");
    for g in ["[pynoc_host]", "[pynoc_containers]", "[pynoc_web]", "[pynoc_database]", "ansible_pipelining=true"] {
        assert!(inv.contains(g), "inventory lacks {g}");
    }
}

#[test]
fn every_file_is_validated_or_rolled_back_and_services_are_enabled() {
    let c = pynoc::compile(&example(), "spec.kdl").unwrap();
    let site = artifact(&c, "deploy");
    for v in [
        "validate: /usr/sbin/sshd -t -f %s",
        "validate: /usr/sbin/nft -c -f %s",
        "validate: /usr/sbin/nginx -t -q -c %s",
        "fail2ban-client -c \"$d\" -t",
        "validate: findmnt --verify --tab-file %s",
        "restore the previous audit rules",
    ] {
        assert!(site.contains(v), "the playbook lacks `{v}`");
    }
    let c = pynoc::compile(&host_db(), "spec.kdl").unwrap();
    assert!(artifact(&c, "deploy").contains("restore the previous pg_hba.conf"));
    // nftables is enabled (Debian ships it disabled) and reloaded, never restarted.
    assert!(site.contains("name: nftables\n      enabled: true"));
    assert!(!site.contains("name: nftables\n      state: restarted"));
    // fail2ban is restarted: a failed unit cannot reload.
    assert!(site.contains("name: fail2ban\n      state: restarted"));
}

#[test]
fn passwords_travel_on_stdin_and_are_never_logged() {
    let plays = playbook(&host_db());
    let db = plays.iter().find(|p| p["hosts"] == "pynoc_database").unwrap();
    let apply = db["tasks"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().is_some_and(|n| n.starts_with("apply the security SQL")))
        .unwrap();
    assert_eq!(apply["no_log"], serde_norway::Value::Bool(true));
    let cmd = &apply["ansible.builtin.command"];
    let stdin = cmd["stdin"].as_str().unwrap();
    assert!(stdin.contains("lookup('ansible.builtin.env', 'BOOKS_APP_PASSWORD')"), "{stdin}");
    let argv: Vec<String> = cmd["argv"].as_sequence().unwrap().iter().map(|w| format!("{w:?}")).collect();
    assert!(!argv.iter().any(|w| w.contains("lookup")), "a password reaches argv: {argv:?}");
    assert!(cmd["creates"].as_str().unwrap().starts_with("/var/lib/pynoc/postgres-sql."));
    assert!(
        db.get("environment").is_none() && apply.get("environment").is_none(),
        "environment: puts values on a command line"
    );
}

#[test]
fn spec_values_cannot_become_templates() {
    // A path with Jinja in it never gets this far: lowering rejects it.
    let text = example().replace(
        "/etc/letsencrypt/live/api.pynomaly.com/privkey.pem",
        "/etc/letsencrypt/live/{{ lookup('pipe','id') }}/privkey.pem",
    );
    assert!(pynoc::compile(&text, "spec.kdl").is_err());
    // And every value of the spec that reaches the playbook is data to Ansible (`!unsafe`).
    let c = pynoc::compile(&example(), "spec.kdl").unwrap();
    let host = pynoc::compile(&host_db(), "spec.kdl").unwrap();
    let site = format!("{}{}", artifact(&c, "deploy"), artifact(&host, "deploy"));
    for value in [
        "/etc/letsencrypt/live/api.pynomaly.com/fullchain.pem",
        "/var/www/letsencrypt",
        "/etc/ssl/private/postgresql.key",
        "mount -o remount /dev/shm",
        "pynomaly-api",
    ] {
        let lines: Vec<&str> = site.lines().filter(|l| l.contains(value)).collect();
        assert!(!lines.is_empty(), "`{value}` is not in the playbook");
        for l in lines {
            assert!(l.contains("!unsafe"), "a spec value reaches the playbook as a template: {l}");
        }
    }
    // The database's name, as an argv word.
    let db: Vec<&str> = site.lines().filter(|l| l.trim_end().ends_with(" books")).collect();
    assert!(!db.is_empty() && db.iter().all(|l| l.contains("!unsafe")), "{db:?}");
}

#[test]
fn containers_keep_forwarding_and_a_routed_forward_chain() {
    let c = pynoc::compile(&example(), "spec.kdl").unwrap();
    assert!(c.spec.host.as_ref().unwrap().containers.is_some());
    assert!(artifact(&c, "sysctl").contains("net.ipv4.ip_forward = 1"));
    let nft = artifact(&c, "nftables");
    assert!(nft.contains("ct status dnat accept"));
    assert!(nft.contains("iifname \"br-*\" accept"));
    let ipt = artifact(&c, "iptables");
    assert!(ipt.contains("-F INPUT") && !ipt.contains("-F FORWARD"));
    let manifest: serde_json::Value = serde_json::from_str(&c.manifest).unwrap();
    let apply = manifest["artifacts"].as_array().unwrap().iter().find(|a| a["name"] == "iptables").unwrap()["apply"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(apply, "iptables-restore --noflush /etc/iptables/rules.v4");
    assert!(pynoc::notes(&c.spec)[0].contains("containers run on it"));
}

#[test]
fn without_containers_the_host_forwards_nothing() {
    let text = example().replace("host release=debian-12 {", "host release=debian-12 containers=#false {");
    let c = pynoc::compile(&text, "spec.kdl").unwrap();
    assert!(c.spec.host.as_ref().unwrap().containers.is_none());
    assert!(artifact(&c, "sysctl").contains("net.ipv4.ip_forward = 0"));
    let nft = artifact(&c, "nftables");
    let forward = &nft[nft.find("chain forward").unwrap()..nft.find("chain output").unwrap()];
    assert!(!forward.contains("accept"), "{forward}");
    assert!(!artifact(&c, "iptables").contains("-F INPUT"));
    // The stack runs on the hosts of `pynoc_containers`, not on this one.
    let plays = playbook(&text);
    let engine: Vec<&serde_norway::Value> = plays.iter().filter(|p| p["hosts"] == "pynoc_containers").collect();
    assert!(engine.len() == 1 && engine[0]["name"] == "container engine and the compose stack");
    assert!(pynoc::notes(&c.spec)[0].contains("no containers run on it"));
}

#[test]
fn host_containers_true_without_compose() {
    let text = example().replace("host release=debian-12 {", "host release=debian-12 containers=#true {");
    let start = text.find("\ncontainer {").unwrap();
    let text = &text[..start];
    let c = pynoc::compile(text, "spec.kdl").unwrap();
    assert!(c.spec.host.as_ref().unwrap().containers.as_deref().unwrap().contains("containers=#true"));
    assert!(artifact(&c, "sysctl").contains("net.ipv4.ip_forward = 1"));
}

/// The playbook's moduli step, run on a copy: it keeps the comments and the moduli of 3072
/// bits or more, says `changed` once and `unchanged` after, refuses to leave no modulus, and
/// passes shellcheck. The same step on Debian 12's real file is proven by tests/vm/run.sh.
#[test]
fn moduli_step_keeps_only_strong_groups() {
    let plays = playbook(&example());
    let cmd = plays[0]["tasks"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().is_some_and(|n| n.contains("moduli")))
        .expect("the host play removes short moduli")["ansible.builtin.shell"]["cmd"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("moduli");
    let script = cmd.replace("/etc/ssh/moduli", file.to_str().unwrap());
    let run = |script: &str| std::process::Command::new("sh").arg("-c").arg(script).output().unwrap();
    let head = "# Time Type Tests Tries Generator Size Modulus\n";
    let weak = "20230101000000 2 6 100 2047 2 C0FFEE\n20230101000000 2 6 100 3070 5 C0FFEF\n";
    let strong = "20230101000000 2 6 100 3071 2 D00D01\n20230101000000 2 6 100 8191 5 D00D02\n";
    fs::write(&file, format!("{head}{weak}{strong}")).unwrap();
    let o = run(&script);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "changed");
    assert_eq!(fs::read_to_string(&file).unwrap(), format!("{head}{strong}"));
    let again = run(&script);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "unchanged");
    fs::write(&file, format!("{head}{weak}")).unwrap();
    let none = run(&script);
    assert!(!none.status.success(), "a file with only short moduli must not be emptied");
    assert_eq!(fs::read_to_string(&file).unwrap(), format!("{head}{weak}"), "the file is left as it was");
    assert!(!dir.path().join("moduli.pynoc").exists(), "no temporary file is left behind");
    match pynoc::verify::which("shellcheck") {
        Some(sc) => {
            let f = dir.path().join("moduli.sh");
            fs::write(&f, format!("#!/bin/sh\n{cmd}")).unwrap();
            let o = std::process::Command::new(sc.as_str()).args(["-s", "sh"]).arg(&f).output().unwrap();
            assert!(o.status.success(), "shellcheck: {}", String::from_utf8_lossy(&o.stdout));
        }
        None => {
            assert!(!common::strict(), "shellcheck is needed");
            eprintln!("SKIP moduli step shellcheck: no shellcheck");
        }
    }
}

/// A compose database is the stack's: the playbook installs no host PostgreSQL and brings
/// the stack up itself, in the order an operator would (its files, prepare.sh, the images,
/// the database, the application's tables, the security SQL, every service), with Compose
/// v2 from the release's package where it has one, and the engine's command line. The steps that change the host run once
/// per content: an edit of pg_hba.conf changes both stamps.
#[test]
fn the_playbook_brings_the_compose_stack_up() {
    let plays = playbook(&example());
    let site = serde_norway::to_string(&plays).unwrap();
    assert!(
        !site.contains("postgresql-15") && !site.contains("postgresql@"),
        "a host PostgreSQL for a compose database"
    );
    let stack = plays.iter().find(|p| p["hosts"] == "pynoc_containers").unwrap();
    let names = tasks(stack);
    let at = |prefix: &str| {
        names.iter().position(|n| n.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix}: {names:?}"))
    };
    let order = [
        "packages",
        "the stack's directory",
        "Docker Compose v2",
        "the stack's docker-compose.yml",
        "the stack's prepare.sh",
        "prepare.sh:",
        "the database is up",
        "the application's tables exist",
        "apply the security SQL",
        "the images compose builds",
        "every service is up",
    ];
    let pos: Vec<usize> = order.iter().map(|p| at(p)).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    let packages = |plays: &[serde_norway::Value]| {
        let s = plays.iter().find(|p| p["hosts"] == "pynoc_containers").unwrap();
        serde_norway::to_string(&s["tasks"][0]["ansible.builtin.apt"]["name"]).unwrap()
    };
    assert_eq!(packages(&plays), "- docker.io\n");
    let trixie = example()
        .replace("host release=debian-12 {", "host release=debian-13 {")
        .replace("nginx version=\"1.22\" ", "nginx ");
    // Debian 13's docker.io only recommends its command line, and that only recommends
    // buildx: a host that installs without recommends would get no `docker` (the VM proof
    // on Debian 13 found it).
    assert_eq!(packages(&playbook(&trixie)), "- docker.io\n- docker-cli\n- docker-buildx\n- docker-compose\n");
    // Each stamp names its content: pg_hba.conf is carried by prepare.sh, so an edit of it
    // runs prepare.sh and the SQL's step again.
    let stamps = |plays: &[serde_norway::Value]| -> Vec<String> {
        let s = plays.iter().find(|p| p["hosts"] == "pynoc_containers").unwrap();
        s["tasks"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|t| t["ansible.builtin.command"]["creates"].as_str())
            .map(String::from)
            .collect()
    };
    let before = stamps(&plays);
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(before.iter().all(|s| s.starts_with("/var/lib/pynoc/stacks/pynomaly/.")), "{before:?}");
    let edited = example().replace("        local pynomaly pynomaly_monitor\n", "");
    let after = stamps(&playbook(&edited));
    assert!(before.iter().zip(&after).all(|(a, b)| a != b), "{before:?} {after:?}");
}

fn atelier() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/atelier/spec.kdl")).unwrap()
}

/// The stack's last step waits with pynoc's own loop, not `docker compose up --wait`, which
/// refuses a service whose health check is turned off (atelier's worker: "has no
/// healthcheck configured", docker/compose#13522, found by the Debian 13 VM proof). The loop
/// is run here against a stand-in `docker` that answers as Compose does: running services
/// without a check and healthy ones pass; a service still starting is waited for; an
/// unhealthy or exited one fails at once, with its logs.
#[test]
fn the_stack_is_waited_for_with_services_that_have_no_health_check() {
    let plays = playbook(&atelier());
    let stack = plays.iter().find(|p| p["hosts"] == "pynoc_containers").unwrap();
    let all = stack["tasks"].as_sequence().unwrap();
    let up = all.iter().find(|t| t["name"] == "every service is up").expect("a start of every service");
    let argv: Vec<&str> =
        up["ansible.builtin.command"]["argv"].as_sequence().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(argv[argv.len() - 3..], ["up", "-d", "--no-build"], "{argv:?}");
    let wait = all.last().unwrap();
    assert_eq!(wait["name"], "every service is running, and healthy where it has a health check");
    let argv: Vec<&str> =
        wait["ansible.builtin.command"]["argv"].as_sequence().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(argv[..2], ["sh", "-c"]);
    assert_eq!(argv[4], "/var/lib/pynoc/stacks/atelier/docker-compose.yml");
    let script = argv[2].to_string();

    let dir = tempfile::tempdir().unwrap();
    // The stand-in: `config --services` lists the services; `ps` prints the state file, one
    // line after another on each call (the last one stays); `logs` says which service.
    let docker = dir.path().join("docker");
    fs::write(
        &docker,
        r#"#!/bin/sh
d=$(dirname "$0")
case "$*" in
*"config --services"*) printf 'api\nconsole\npostgres\nworker\n' ;;
*" ps "*)
    n=$(cat "$d/calls" 2>/dev/null || echo 0); echo $((n + 1)) > "$d/calls"
    total=$(grep -c '^---' "$d/states")
    [ "$n" -lt "$total" ] || n=$((total - 1))
    awk -v want="$n" '/^---/ { i++; next } i - 1 == want' "$d/states" ;;
*" logs "*) echo "logs of ${*##* }" ;;
*) exit 2 ;;
esac
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&docker, fs::Permissions::from_mode(0o755)).unwrap();
    let run = |states: &str| {
        fs::write(dir.path().join("states"), states).unwrap();
        let _ = fs::remove_file(dir.path().join("calls"));
        let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap());
        std::process::Command::new("sh")
            .args(["-c", &script, "pynoc-check", "/stack/docker-compose.yml"])
            .env("PATH", path)
            .output()
            .unwrap()
    };
    let up = "---\napi:running:healthy\nconsole:running:healthy\npostgres:running:healthy\nworker:running:\n";
    let o = run(up);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "running, and healthy where checked: api console postgres worker"
    );
    // Starting, then up: one round of waiting (5 s).
    let starting = "---\napi:running:starting\nconsole:running:healthy\npostgres:running:healthy\nworker:restarting:\n";
    let o = run(&format!("{starting}{up}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fs::read_to_string(dir.path().join("calls")).unwrap().trim(), "2");
    for (bad, said) in [("api:running:unhealthy", "api is running:unhealthy"), ("worker:exited:", "worker is exited:")]
    {
        let svc = format!("{}:", bad.split(':').next().unwrap());
        let mut states: String = up.lines().filter(|l| !l.starts_with(&svc)).map(|l| format!("{l}\n")).collect();
        states.push_str(&format!("{bad}\n"));
        let o = run(&states);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(said) && err.contains("logs of"), "{bad}: {err}");
        assert_eq!(fs::read_to_string(dir.path().join("calls")).unwrap().trim(), "1", "{bad}: no waiting");
    }
}

/// Ansible reads every string of the playbook as a Jinja template unless it is `!unsafe`.
/// The only expressions in the others are pynoc's own (`playbook_dir`, a `lookup` of an
/// environment variable or a file, a registered `pynoc_…` variable): a script with Go
/// templates (`docker compose ps --format '{{.State}}'`) read as Jinja fails the run, as the
/// Debian 13 VM proof found.
#[test]
fn the_only_jinja_in_the_playbooks_is_pynocs_own() {
    let own = |t: &str| {
        ["{{ playbook_dir }}", "{{ lookup('ansible.builtin.env', ", "{{ lookup('ansible.builtin.file', "]
            .iter()
            .any(|p| t.starts_with(p))
            || t.strip_prefix("{{ pynoc_").is_some_and(|r| {
                r.split_once('.').is_some_and(|(v, _)| v.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            })
    };
    for name in ["pynomaly", "ledger", "atelier", "everything"] {
        let text = fs::read_to_string(format!("{}/examples/{name}/spec.kdl", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let c = pynoc::compile(&text, "spec.kdl").map_err(|d| format!("{d:?}")).unwrap();
        for line in artifact(&c, "deploy").lines().filter(|l| !l.contains("!unsafe")) {
            let unquoted = line.replace("''", "'");
            for (at, _) in unquoted.match_indices("{{") {
                assert!(own(&unquoted[at..]), "{name}: a template pynoc did not mean: {line}");
            }
        }
    }
}

/// The host play's check of the accounts (stdlib/deploy/accounts-check.sh), on copies of a
/// Debian host's account files: the clean ones pass, and each class of finding CIS names is
/// reported, alone, with its item, whatever account carries it.
#[test]
fn the_accounts_check_names_each_breach() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib/deploy/accounts-check.sh");
    let passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\nops:x:1000:1000::/home/ops:/bin/bash\n";
    let group = "root:x:0:\ndaemon:x:1:\nshadow:x:42:\nnogroup:x:65534:\nops:x:1000:\n";
    let shadow = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nsync:*:19000::::::\nops:!:19000::::::\n";
    let run = |passwd: &str, group: &str, shadow: &str, path: &str| {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        fs::create_dir_all(&etc).unwrap();
        fs::write(etc.join("passwd"), passwd).unwrap();
        fs::write(etc.join("group"), group).unwrap();
        fs::write(etc.join("shadow"), shadow).unwrap();
        fs::write(etc.join("shells"), "# /etc/shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n").unwrap();
        let o = std::process::Command::new("sh").arg(script).arg(dir.path()).arg(path).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let path = "/usr/local/sbin:/usr/sbin:/bin";
    assert_eq!(run(passwd, group, shadow, path), (Some(0), String::new()));
    for name in ["toor", "svc-1", "a.b"] {
        let cases: Vec<(String, String, String, &str, &str)> = vec![
            // A second UID (GID) 0 is a UID (GID) used twice too.
            (format!("{passwd}{name}:x:0:1000::/:/bin/sh\n"), group.into(), shadow.into(), path, "5.4.2.1"),
            (format!("{passwd}{name}:x:1001:0::/:/bin/sh\n"), group.into(), shadow.into(), path, "5.4.2.2"),
            (passwd.into(), format!("{group}{name}:x:0:\n"), shadow.into(), path, "5.4.2.3"),
            (format!("{passwd}{name}:secret:1001:1000::/:/bin/sh\n"), group.into(), shadow.into(), path, "7.2.1"),
            (passwd.into(), group.into(), format!("{shadow}{name}::19000::::::\n"), path, "7.2.2"),
            (passwd.into(), group.into(), format!("{shadow}{name}:!:99999::::::\n"), path, "5.4.1.6"),
            (
                format!("{passwd}{name}:x:999:1000::/:/usr/sbin/nologin\n"),
                group.into(),
                format!("{shadow}{name}:$y$j9T$abc$def:19000::::::\n"),
                path,
                "5.4.2.8",
            ),
            (format!("{passwd}{name}:x:1001:4242::/:/bin/sh\n"), group.into(), shadow.into(), path, "7.2.3"),
            (
                passwd.into(),
                group.replace("shadow:x:42:", &format!("shadow:x:42:{name}")),
                shadow.into(),
                path,
                "7.2.4",
            ),
            (format!("{passwd}{name}:x:1000:1000::/:/bin/sh\n"), group.into(), shadow.into(), path, "7.2.5"),
            (passwd.into(), format!("{group}{name}:x:1000:\n"), shadow.into(), path, "7.2.6"),
            (format!("{passwd}ops:x:1001:1000::/:/bin/sh\n"), group.into(), shadow.into(), path, "7.2.7"),
            (passwd.into(), format!("{group}ops:x:1001:\n"), shadow.into(), path, "7.2.8"),
            (passwd.into(), group.into(), shadow.into(), "/usr/sbin::/bin", "5.4.2.5"),
            (passwd.into(), group.into(), shadow.into(), "/usr/sbin:.:/bin", "5.4.2.5"),
        ];
        for (p, g, s, path, item) in cases {
            let (code, out) = run(&p, &g, &s, path);
            assert_eq!(code, Some(1), "{item} with {name}: {out}");
            let items: Vec<&str> = out.lines().map(|l| l.split(':').next().unwrap()).collect();
            let also: &[&str] = match item {
                "5.4.2.1" => &["7.2.5"],
                "5.4.2.3" => &["7.2.6"],
                _ => &[],
            };
            assert!(items.contains(&item), "{item} with {name}: {out}");
            assert!(items.iter().all(|i| *i == item || also.contains(i)), "{item} with {name}: {out}");
        }
    }
    // root without a password and without a lock: both its items.
    let (code, out) = run(passwd, group, &shadow.replace("root:*:", "root::"), path);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("5.4.2.4: root") && out.contains("7.2.2: root"), "{out}");
}

/// cron and at for root only, where installed: an allow file naming root alone, 0640; nothing
/// for a scheduler the host lacks; a second run changes nothing; a link is never followed.
#[test]
fn cron_and_at_are_roots_alone_where_installed() {
    use std::os::unix::fs::PermissionsExt;
    if !pynoc::verify::sandbox::is_root() {
        eprintln!("SKIP: chown needs root");
        assert!(!common::strict(), "SKIP in CI");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib/deploy/schedulers.sh");
    let run = |root: &std::path::Path| {
        let o = std::process::Command::new("sh").arg(script).arg(root).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["etc", "usr/sbin", "usr/bin"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("usr/sbin/cron"), "").unwrap();
    fs::write(root.join("etc/cron.allow"), "alice\nroot\n").unwrap();
    assert_eq!(run(root), (Some(0), "changed\n".into()));
    assert_eq!(fs::read_to_string(root.join("etc/cron.allow")).unwrap(), "root\n");
    assert_eq!(fs::metadata(root.join("etc/cron.allow")).unwrap().permissions().mode() & 0o7777, 0o640);
    assert!(!root.join("etc/at.allow").exists(), "no at, no at.allow");
    assert_eq!(run(root), (Some(0), String::new()), "a second run changes nothing");
    fs::write(root.join("usr/bin/at"), "").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("etc/at.allow")).unwrap();
    assert_eq!(run(root).0, Some(1), "a link is refused");
    assert!(fs::symlink_metadata(root.join("etc/at.allow")).unwrap().file_type().is_symlink());
}
