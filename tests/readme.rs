//! The documentation's examples are real (README.md and docs/): the `pynoc explain` session
//! prints what pynoc prints, the GitHub Actions job is valid against GitHub's workflow schema
//! (check-jsonschema's vendored copy), the pre-commit configuration passes `pre-commit
//! validate-config`, and every link between the pages leads to a file and a heading.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{example, pynoc, root, strict};

const VENV: &str = "/opt/pynoc-validators/bin";

/// The page that shows the explain session, the CI job and the pre-commit configuration.
fn readme() -> String {
    common::doc("docs/working-in-a-repository.md")
}

/// The fenced block (without its fences) whose first line is `first`.
fn block(text: &str, first: &str) -> String {
    let start =
        text.find(first).unwrap_or_else(|| panic!("docs/working-in-a-repository.md has no block starting `{first}`"));
    let end = text[start..].find("```").unwrap() + start;
    text[start..end].to_string()
}

#[test]
fn the_explain_session_is_what_pynoc_prints() {
    let text = readme();
    let start = text.find("   $ pynoc explain out/").expect("an explain session in docs/working-in-a-repository.md");
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
        assert!(hooks.contains(&format!("- id: {id}\n")), "the docs name hook `{id}`, which does not exist");
    }
    let o =
        Command::new(&pre_commit).arg("validate-manifest").arg(root().join(".pre-commit-hooks.yaml")).output().unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// GitHub's anchor for a heading: lowercase, punctuation but `-` and `_` dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The text of a markdown page outside its fenced blocks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every relative link of README.md, ARCHITECTURE.md and docs/ leads to a file that exists and,
/// with a `#fragment`, to a heading of that page; every docs page is linked from the README
/// (the README is the first read, the pages are where it sends the reader), and the README
/// stays short enough to be one.
#[test]
fn every_link_between_the_pages_leads_somewhere() {
    let mut pages = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    let mut docs: Vec<String> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| format!("docs/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|p| p.ends_with(".md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 8, "docs/ has {} pages", docs.len());
    pages.extend(docs.iter().cloned());
    let headings = |page: &Path| -> Vec<String> {
        prose(&fs::read_to_string(page).unwrap())
            .lines()
            .filter_map(|l| l.trim_start_matches('#').strip_prefix(' ').filter(|_| l.starts_with('#')))
            .map(anchor)
            .collect()
    };
    let mut broken = Vec::new();
    let mut links = 0;
    for page in &pages {
        let text = prose(&common::doc(page));
        let dir = Path::new(page).parent().unwrap_or(Path::new(""));
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(target) = rest.split(')').next().filter(|t| !t.contains(char::is_whitespace)) else { continue };
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            links += 1;
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() { root().join(page) } else { root().join(dir).join(file) };
            if !path.exists() {
                broken.push(format!("{page}: {target}: no such file"));
            } else if !fragment.is_empty() && !headings(&path).iter().any(|h| h == fragment) {
                broken.push(format!("{page}: {target}: no such heading"));
            }
        }
    }
    assert!(links > 20, "only {links} links");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    let readme = common::doc("README.md");
    for d in &docs {
        assert!(readme.contains(&format!("]({d})")), "README.md does not link {d}");
    }
    let lines = readme.lines().count();
    assert!(lines < 300, "README.md has {lines} lines: what is not a first read belongs in docs/");
}

/// Every spec a user meets first — each `kdl` block of the README and each bundled example —
/// passes `pynoc check`, is in `pynoc fmt`'s layout and builds.
#[test]
fn every_spec_of_the_readme_and_the_examples_checks_formats_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let mut specs: Vec<std::path::PathBuf> = Vec::new();
    let readme = common::doc("README.md");
    for (i, block) in readme.split("```kdl\n").skip(1).enumerate() {
        let text = block.split("```").next().unwrap();
        let p = dir.path().join(format!("readme-{i}.kdl"));
        fs::write(&p, text).unwrap();
        specs.push(p);
    }
    assert!(!specs.is_empty(), "the README shows no spec");
    for e in fs::read_dir(root().join("examples")).unwrap() {
        let p = e.unwrap().path().join("spec.kdl");
        if p.exists() {
            specs.push(p);
        }
    }
    assert!(specs.len() >= 3, "{specs:?}");
    for (i, spec) in specs.iter().enumerate() {
        let shown = spec.display();
        let r = pynoc().arg("check").arg(spec).run();
        assert_eq!(r.code(), 0, "check {shown}: {}", r.stderr());
        let r = pynoc().args(["fmt", "--check"]).arg(spec).run();
        assert_eq!(r.code(), 0, "fmt --check {shown}: {}{}", r.stdout(), r.stderr());
        let r = pynoc().arg("build").arg(spec).arg("-o").arg(dir.path().join(format!("out-{i}"))).run();
        assert_eq!(r.code(), 0, "build {shown}: {}", r.stderr());
    }
}
