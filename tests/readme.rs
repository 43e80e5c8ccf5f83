//! The README's examples are real: the `pynoc explain` session prints what pynoc prints,
//! the GitHub Actions job is valid against GitHub's workflow schema (check-jsonschema's
//! vendored copy), and the pre-commit configuration passes `pre-commit validate-config`.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{example, pynoc, root, strict};

const VENV: &str = "/opt/pynoc-validators/bin";

fn readme() -> String {
    fs::read_to_string(root().join("README.md")).unwrap()
}

/// The fenced block (without its fences) whose first line is `first`.
fn block(text: &str, first: &str) -> String {
    let start = text.find(first).unwrap_or_else(|| panic!("README has no block starting `{first}`"));
    let end = text[start..].find("```").unwrap() + start;
    text[start..end].to_string()
}

#[test]
fn the_explain_session_is_what_pynoc_prints() {
    let text = readme();
    let start = text.find("   $ pynoc explain out/").expect("an explain session in README");
    let end = text[start..].find("   ```").unwrap() + start;
    let session: Vec<String> =
        text[start..end].lines().map(|l| l.strip_prefix("   ").unwrap_or(l).to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    fs::copy(example(), dir.path().join("spec.kdl")).unwrap();
    pynoc().args(["build", "spec.kdl", "-o", "out"]).cwd(dir.path()).run().expect(0);
    let mut commands = 0;
    let mut i = 0;
    while i < session.len() {
        let cmd = session[i].strip_prefix("$ pynoc ").expect("a command line");
        let expected: Vec<&str> =
            session[i + 1..].iter().take_while(|l| !l.starts_with("$ ")).map(String::as_str).collect();
        let r = pynoc().args(cmd.split_whitespace()).cwd(dir.path()).run().expect(0);
        assert_eq!(r.stdout().trim_end(), expected.join("\n"), "`pynoc {cmd}` prints something else");
        i += 1 + expected.len();
        commands += 1;
    }
    assert!(commands >= 2);
}

fn tool(name: &str) -> Option<String> {
    let path = format!("{VENV}/{name}");
    if Path::new(&path).exists() {
        return Some(path);
    }
    assert!(!strict(), "{path} is missing: run .ci/install-validators");
    eprintln!("SKIP: {path} is missing");
    None
}

#[test]
fn the_ci_job_is_a_valid_github_workflow() {
    let Some(checker) = tool("check-jsonschema") else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pynoc.yml");
    let workflow = block(&readme(), "# .github/workflows/pynoc.yml");
    assert!(workflow.contains("--format sarif") && workflow.contains("upload-sarif"), "{workflow}");
    fs::write(&file, &workflow).unwrap();
    let o = Command::new(checker).args(["--builtin-schema", "vendor.github-workflows"]).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_pre_commit_configuration_is_valid() {
    let Some(pre_commit) = tool("pre-commit") else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".pre-commit-config.yaml");
    let config = block(&readme(), "# .pre-commit-config.yaml in your repository");
    fs::write(&file, &config).unwrap();
    let o = Command::new(&pre_commit).arg("validate-config").arg(&file).output().unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // Every hook it names exists in .pre-commit-hooks.yaml, which pre-commit also accepts.
    let hooks = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    for id in config.lines().filter_map(|l| l.trim().strip_prefix("- id: ")) {
        let id = id.split_whitespace().next().unwrap();
        assert!(hooks.contains(&format!("- id: {id}\n")), "README names hook `{id}`, which does not exist");
    }
    let o =
        Command::new(&pre_commit).arg("validate-manifest").arg(root().join(".pre-commit-hooks.yaml")).output().unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}
