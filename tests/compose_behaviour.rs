//! What the compose file runs, run for real where no Docker engine is needed: the redis
//! service's command starts a real redis-server from the password secret file (in a sandbox
//! with its own /run and /tmp), which then demands that password, never shows it on a
//! command line, passes its own healthcheck, and refuses to start without the secret. The
//! application's curl-free health probe is run against a stand-in application.

mod common;

use std::fs;

use common::{example, pynoc, root, strict};
use pynoc::verify::sandbox;

fn unescape(v: &serde_norway::Value) -> Vec<String> {
    v.as_sequence().unwrap().iter().map(|s| s.as_str().unwrap().replace("$$", "$")).collect()
}

#[test]
#[allow(clippy::too_many_lines, reason = "a test reads as one script")]
fn redis_reads_its_password_from_the_secret_only_and_fails_closed() {
    let tools = ["redis-server", "redis-cli", "python3", "ps"];
    if !sandbox::is_root() || tools.iter().any(|t| pynoc::verify::which(t).is_none()) {
        assert!(!strict(), "the compose behaviour test needs root and {tools:?}");
        eprintln!("SKIP compose behaviour: needs root and {tools:?}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let yaml: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(out.join("container/docker-compose.yml")).unwrap()).unwrap();
    let redis = &yaml["services"]["redis"];
    let command = unescape(&redis["command"]);
    let health = unescape(&redis["healthcheck"]["test"]);
    assert_eq!(&command[..2], ["sh", "-c"]);
    assert_eq!(&health[..3], ["CMD", "sh", "-c"]);
    let app_probe = unescape(&yaml["services"]["pynomaly-api"]["healthcheck"]["test"]);
    assert_eq!(&app_probe[..3], ["CMD", "python", "-c"]);
    let password = "pynoc-redis-test-secret-5f1c";
    let q = sandbox::quote;
    let script = format!(
        r#"
cp {backend} /run/pynoc-backend.py
mount -t tmpfs pynoc-tmp /tmp
# redis writes its data (dump.rdb, appendonlydir/) to its working directory: a tmpfs here,
# /data in the container.
mkdir /tmp/data && cd /tmp/data
ip link set lo up
mkdir -p /run/secrets
printf '%s\n' {pw} > /run/secrets/redis_password
sh -c {cmd} > /run/redis.out 2>&1 &
pid=$!
for i in $(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "noauth=$(redis-cli ping 2>&1)"
echo "auth=$(REDISCLI_AUTH={pw} redis-cli ping 2>&1)"
sh -c {health}; echo "health=$?"
echo "redis_argv=$(tr '\0' ' ' < /proc/$pid/cmdline)"
echo "conf_mode=$(stat -c %a /tmp/redis.conf)"
kill $pid; wait $pid 2>/dev/null
rm /run/secrets/redis_password
sh -c {cmd} > /run/redis2.out 2>&1; echo "without_secret=$?"
sed 's/^/stderr=/' /run/redis2.out
python3 /run/pynoc-backend.py 8000 & app=$!
for i in $(seq 50); do python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8000), 0.5)' 2>/dev/null && break; sleep 0.1; done
python3 -c {probe}; echo "app_health=$?"
kill $app; wait $app 2>/dev/null
python3 -c {probe} 2>/dev/null; echo "app_down=$?"
"#,
        pw = q(password),
        cmd = q(&command[2]),
        health = q(&health[3]),
        backend = q(&root().join("tests/support/backend.py").to_string_lossy()),
        probe = q(&app_probe[3]),
    );
    let scratch = dir.path().join("scratch");
    fs::create_dir_all(&scratch).unwrap();
    let o = sandbox::run(&script, &["/run"], camino::Utf8Path::from_path(&scratch).unwrap()).unwrap();
    let text = sandbox::text(&o);
    // redis kept its data on the sandbox's tmpfs: nothing in the checkout or at the root.
    for leftover in [root().join("dump.rdb"), root().join("appendonlydir"), "/dump.rdb".into(), "/appendonlydir".into()]
    {
        assert!(!leftover.exists(), "redis wrote {} outside the test's temporary directory", leftover.display());
    }
    println!("{text}");
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in:\n{text}"))
            .to_string()
    };
    assert!(get("noauth").contains("NOAUTH"), "redis answers without the password");
    assert_eq!(get("auth"), "PONG", "the password from the secret does not work");
    assert_eq!(get("health"), "0", "the redis healthcheck fails");
    let argv = get("redis_argv");
    assert!(
        argv.contains("redis-server") && !argv.contains(password),
        "the password is on redis' command line: {argv}"
    );
    assert_eq!(get("conf_mode"), "600", "the generated config with the password is readable by others");
    assert_eq!(get("without_secret"), "1", "redis started without its password");
    assert!(get("stderr").contains("password secret is missing"));
    assert_eq!(get("app_health"), "0", "the app's health probe fails against a healthy app");
    assert_ne!(get("app_down"), "0", "the app's health probe passes with no app");
}
