//! Several application images (examples/atelier): each its own Dockerfile and ignore file,
//! built once by the first service that runs it, with its own uid, port and health check;
//! the files of an image found by `verify`, traced by `explain` to that image's node, copied
//! by the playbook, and removed from the output when the image leaves the spec.

mod common;

use std::fs;
use std::path::Path;

use common::{pynoc, root};

fn atelier() -> String {
    fs::read_to_string(root().join("examples/atelier/spec.kdl")).unwrap()
}

fn build(text: &str, dir: &Path) -> std::path::PathBuf {
    let spec = dir.join("spec.kdl");
    fs::write(&spec, text).unwrap();
    let out = dir.join("out");
    pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(0);
    out
}

#[test]
fn each_image_has_its_files_and_its_services_run_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = build(&atelier(), dir.path());
    let api = fs::read_to_string(out.join("container/Dockerfile")).unwrap();
    let console = fs::read_to_string(out.join("container/atelier-console.Dockerfile")).unwrap();
    assert!(api.contains("--uid 1100") && api.contains("USER 1100:1100") && api.contains("api/requirements.txt"));
    assert!(console.contains("--uid 1200") && console.contains("USER 1200:1200"));
    assert!(console.contains("console/requirements.txt") && !console.contains("gcc"), "the console's own packages");
    assert!(
        fs::read_to_string(out.join("container/atelier-console.Dockerfile.dockerignore")).unwrap().contains("secrets/")
    );
    // Neither image's context carries pynoc's build files.
    let ignore = fs::read_to_string(out.join("container/.dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*.Dockerfile") && ignore.lines().any(|l| l == "*.Dockerfile.dockerignore"));

    let yaml: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(out.join("container/docker-compose.yml")).unwrap()).unwrap();
    let s = &yaml["services"];
    assert_eq!(s["api"]["build"]["dockerfile"].as_str(), Some("Dockerfile"));
    assert_eq!(s["console"]["build"]["dockerfile"].as_str(), Some("atelier-console.Dockerfile"));
    assert!(s["worker"]["build"].is_null(), "the worker runs the API's image, built once by `api`");
    assert_eq!(s["worker"]["image"].as_str(), Some("atelier-api"));
    assert_eq!((s["api"]["user"].as_str(), s["console"]["user"].as_str()), (Some("1100:1100"), Some("1200:1200")));
    let probe = |svc: &str| s[svc]["healthcheck"]["test"][3].as_str().unwrap().to_string();
    assert!(probe("api").contains("127.0.0.1:8000/healthz") && probe("console").contains("127.0.0.1:8100/healthz"));
    assert_eq!(s["worker"]["healthcheck"]["test"][0].as_str(), Some("NONE"));

    // The manifest lists both; verify finds each at its own path.
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let paths: Vec<&str> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "dockerfile")
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["container/Dockerfile", "container/atelier-console.Dockerfile"]);
    let r = pynoc().arg("verify").arg(&out).env("PYNOC_VERIFY_STRICT", "0").run();
    assert!(!r.stdout().contains("is not where pynoc writes"), "{}", r.stdout());

    // The playbook copies every image's files beside the compose file.
    let play = fs::read_to_string(out.join("deploy/site.yml")).unwrap();
    for f in
        ["Dockerfile", "atelier-console.Dockerfile", "atelier-console.Dockerfile.dockerignore", "postgres.Dockerfile"]
    {
        assert!(play.contains(&format!("/var/lib/pynoc/stacks/atelier/{f}\n")), "the play copies {f}");
    }
}

#[test]
fn explain_traces_an_images_lines_to_that_image() {
    let dir = tempfile::tempdir().unwrap();
    let text = atelier();
    let out = build(&text, dir.path());
    let file = out.join("container/atelier-console.Dockerfile");
    let content = fs::read_to_string(&file).unwrap();
    let n = content.lines().position(|l| l.contains("useradd")).unwrap() + 1;
    let r = pynoc().arg("explain").arg(format!("{}:{n}", file.display())).run().expect(0);
    let console_line = text.lines().position(|l| l.contains("image atelier-console")).unwrap() + 1;
    let api_line = text.lines().position(|l| l.contains("image atelier-api")).unwrap() + 1;
    assert!(r.stdout().contains(&format!("spec.kdl:{console_line}:")), "{}", r.stdout());
    assert!(!r.stdout().contains(&format!("spec.kdl:{api_line}:")), "{}", r.stdout());
}

#[test]
fn an_image_that_leaves_the_spec_leaves_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let text = atelier();
    let out = build(&text, dir.path());
    assert!(out.join("container/atelier-console.Dockerfile").exists());
    // The console and its image go; its files are removed by the next build.
    let start = text.find("    image atelier-console").unwrap();
    let end = start + text[start..].find("\n    }\n").unwrap() + 7;
    let svc = text.find("        service console").unwrap();
    let svc_end = svc + text[svc..].find("\n        }\n").unwrap() + 11;
    let mut less = text.clone();
    less.replace_range(svc..svc_end, "");
    less.replace_range(start..end, "");
    let less = less.replace(
        "upstream console {\n        server \"127.0.0.1:8100\"\n    }",
        "upstream console {\n        server \"127.0.0.1:8000\"\n    }",
    );
    build(&less, dir.path());
    assert!(!out.join("container/atelier-console.Dockerfile").exists());
    assert!(!out.join("container/atelier-console.Dockerfile.dockerignore").exists());
    assert!(out.join("container/Dockerfile").exists());
}

#[test]
fn image_names_are_unique_and_never_the_databases() {
    let text = atelier();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.kdl");
    let twice = text.replace("image atelier-console base", "image atelier-api base");
    fs::write(&spec, &twice).unwrap();
    let r = pynoc().arg("check").arg(&spec).run().expect(1);
    assert!(r.stderr().contains("`image atelier-api` is defined twice"), "{}", r.stderr());
    let postgres = text
        .replace("image atelier-console base", "image postgres base")
        .replace("image=atelier-console", "image=postgres");
    fs::write(&spec, &postgres).unwrap();
    let r = pynoc().arg("check").arg(&spec).run().expect(1);
    assert!(r.stderr().contains("a second image cannot be called `postgres`"), "{}", r.stderr());
}
