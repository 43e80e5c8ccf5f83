//! The container artifacts agree with each other and keep hostile strings as data.

mod common;

use std::fs;

use common::{example, pynoc};

fn build(spec_text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.kdl");
    fs::write(&spec, spec_text).unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(0);
    (dir, out)
}

fn compose_yaml(out: &std::path::Path) -> serde_norway::Value {
    serde_norway::from_str(&fs::read_to_string(out.join("container/docker-compose.yml")).unwrap()).unwrap()
}

#[test]
fn the_dockerfile_uid_is_the_uid_compose_runs_the_app_as() {
    let (_dir, out) = build(&fs::read_to_string(example()).unwrap());
    let dockerfile = fs::read_to_string(out.join("container/Dockerfile")).unwrap();
    let user_line = dockerfile.lines().find_map(|l| l.strip_prefix("USER ")).expect("a USER line");
    assert!(dockerfile.contains("useradd --system --uid 1001 --gid 1001"), "the Dockerfile does not create uid 1001");
    let yaml = compose_yaml(&out);
    let app_user = yaml["services"]["pynomaly-api"]["user"].as_str().unwrap();
    assert_eq!(app_user, user_line, "compose runs the app as another uid than the Dockerfile creates");
    assert_eq!(app_user, "1001:1001");
    // The known images run as the uid their image really has.
    assert_eq!(yaml["services"]["postgres"]["user"].as_str(), Some("999:999"));
    assert_eq!(yaml["services"]["redis"]["user"].as_str(), Some("999:999"));
    // The last USER of the image is not root, and no instruction removes the shell.
    assert!(!dockerfile.contains("rm /bin/sh") && !dockerfile.contains("USER root"));
}

#[test]
fn a_spec_whose_uids_differ_is_rejected() {
    let text = fs::read_to_string(example()).unwrap().replace(
        "service pynomaly-api image=pynomaly-api cpus=\"2.0\"",
        "service pynomaly-api image=pynomaly-api user=\"1000:1000\" cpus=\"2.0\"",
    );
    assert!(text.contains("user=\"1000:1000\""));
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.kdl");
    fs::write(&spec, &text).unwrap();
    let r = pynoc().arg("check").arg(&spec).run().expect(1);
    assert!(
        r.stderr().contains("pynoc::E031::user-mismatch")
            && r.stderr().contains("but the Dockerfile creates 1001:1001"),
        "{}",
        r.stderr()
    );
    let alpine = fs::read_to_string(example())
        .unwrap()
        .replace("image=postgres:15-bookworm", "image=\"postgres:15-alpine\" user=\"999:999\"");
    fs::write(&spec, &alpine).unwrap();
    let r = pynoc().arg("check").arg(&spec).run().expect(1);
    assert!(r.stderr().contains("but the image runs as 70:70"), "{}", r.stderr());
}

#[test]
fn hostile_strings_stay_data_in_yaml_and_the_dockerfile() {
    let hostile = r#"a: b # c ${HOME} $(id) 'q' \"dq\" - [x] {y} &z *w !tag |"#;
    let text = fs::read_to_string(example())
        .unwrap()
        .replace(
            "env DATABASE_USER pynomaly_app",
            &format!("env DATABASE_USER pynomaly_app\n            env APP_NOTE \"{hostile}\""),
        )
        .replace(
            "writable \"/app/logs\" \"/app/data\"",
            &format!("writable \"/app/logs\" \"/app/data\"\n        env APP_NOTE \"{hostile}\""),
        );
    let (_dir, out) = build(&text);
    let unescaped = hostile.replace("\\\"", "\"");
    let yaml = compose_yaml(&out);
    // Compose reads `$$` as one `$`: the value compose passes on is exactly the spec's.
    let env = yaml["services"]["pynomaly-api"]["environment"]["APP_NOTE"].as_str().unwrap();
    assert_eq!(env.replace("$$", "$"), unescaped);
    assert_eq!(yaml["services"].as_mapping().unwrap().len(), 3, "the YAML gained or lost a service");
    let dockerfile = fs::read_to_string(out.join("container/Dockerfile")).unwrap();
    let env_line = dockerfile.lines().find(|l| l.contains("APP_NOTE=")).unwrap();
    assert!(env_line.contains(r#"\$"#) && env_line.contains(r#"\""#), "the ENV value is not escaped: {env_line}");
    assert_eq!(
        dockerfile.lines().filter(|l| l.starts_with("ENV ") || l.starts_with("USER ")).count(),
        2,
        "a line was injected"
    );
}

/// A second service of the application's image with a `command` of its own (a worker):
/// compose runs that command (`$` kept literal), turns off the image's HTTP health check for
/// it, has its dependents wait for it started, builds the image once, and its file passes
/// compose's own check. The database's and the cache's command lines stay pynoc's, and a
/// worker that runs code from a writable directory is refused like `cmd`.
#[test]
fn a_worker_runs_its_own_command_of_the_application_image() {
    let text = fs::read_to_string(example()).unwrap();
    let worker = "        service pynomaly-worker image=pynomaly-api {\n            networks backend\n            \
                  env DATABASE_USER pynomaly_app\n            command python -m pynomaly.worker --queue \"jobs-$HOME\"\n            \
                  depends-on postgres\n        }\n";
    let at = "        service postgres image=";
    let api_deps = "            depends-on postgres redis\n";
    assert_eq!(text.matches(api_deps).count(), 1);
    let spec = text.replacen(at, &format!("{worker}{at}"), 1).replacen(
        api_deps,
        "            depends-on postgres redis pynomaly-worker\n",
        1,
    );
    let (_dir, out) = build(&spec);
    let yaml = compose_yaml(&out);
    let w = &yaml["services"]["pynomaly-worker"];
    let words: Vec<&str> = w["command"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(words, ["python", "-m", "pynomaly.worker", "--queue", "jobs-$$HOME"]);
    assert_eq!(serde_norway::to_string(&w["healthcheck"]).unwrap(), "test:\n- NONE\n");
    assert!(w.get("build").is_none() && yaml["services"]["pynomaly-api"].get("build").is_some(), "built twice");
    let dep = &yaml["services"]["pynomaly-api"]["depends_on"];
    assert_eq!(dep["pynomaly-worker"]["condition"], "service_started");
    assert_eq!(dep["postgres"]["condition"], "service_healthy");
    assert_eq!(w["environment"]["PGSSLMODE"], "verify-full", "the worker is wired to the database as the app is");
    // Compose's own reading of the file.
    match pynoc::verify::which("docker-compose") {
        Some(compose) => {
            let o = std::process::Command::new(compose)
                .args(["-f", "docker-compose.yml", "config", "-q"])
                .current_dir(out.join("container"))
                .output()
                .unwrap();
            assert!(o.status.success() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        None => {
            assert!(!common::strict(), "docker-compose is needed");
            eprintln!("SKIP compose config of the worker: no docker-compose");
        }
    }
    for (what, bad, code) in [
        (
            "the database's",
            "        service postgres image=postgres:15-bookworm cpus=\"1.0\" memory=\"1G\" database=pynomaly {\n",
            "E034",
        ),
        ("a writable directory's", "command python -m pynomaly.worker --queue", "E046"),
    ] {
        let broken = if code == "E034" {
            spec.replacen(bad, &format!("{bad}            command postgres -c ssl=off\n"), 1)
        } else {
            spec.replacen(bad, "command \"/app/data/run.py\" --queue", 1)
        };
        assert_ne!(broken, spec, "{what}");
        let errs = common::diags(&broken).expect_err(what);
        assert!(errs.iter().any(|d| d.kind.code() == code), "{what}: {errs:?}");
    }
}
