//! A small builder for running the `pynoc` binary in tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example() -> PathBuf {
    root().join("examples/pynomaly/spec.kdl")
}

pub struct Pynoc {
    cmd: Command,
}

pub fn pynoc() -> Pynoc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pynoc"));
    cmd.env_remove("PYNOC_VERIFY_STRICT").env("NO_COLOR", "1");
    Pynoc { cmd }
}

impl Pynoc {
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(a);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, a: I) -> Self {
        self.cmd.args(a);
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn run(mut self) -> Run {
        let o = self.cmd.output().expect("run pynoc");
        Run(o)
    }
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("exit code")
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code(), code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }
}

/// Every file under `dir` with its bytes, sorted: a snapshot of a tree.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, &mut v);
    v.sort();
    v
}

/// CI turns every SKIP into a failure.
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("PYNOC_VERIFY_STRICT").is_ok_and(|v| v == "1")
}

/// The value a probe script printed as `label=value` (trimmed); panics with the whole output
/// when the line is missing.
pub fn labelled(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{label}=")))
        .unwrap_or_else(|| panic!("no `{label}` in:\n{text}"))
        .trim()
        .to_string()
}

/// The example with `find` (which must occur once in it) replaced by `with`, whose `{}` is
/// the payload; returns the spec and the payload's offset in it.
pub fn plant(find: &str, with: &str, payload: &str) -> (String, usize) {
    let text = std::fs::read_to_string(example()).unwrap();
    assert_eq!(text.matches(find).count(), 1, "`{find}` must occur once in the example");
    let at = text.find(find).unwrap() + with.find("{}").expect("the field has a place for the payload");
    (text.replacen(find, &with.replace("{}", payload), 1), at)
}

/// The spec's diagnostics: `Ok` with its warnings when it compiles, `Err` with all of them.
pub fn diags(spec: &str) -> Result<Vec<pynoc::diag::Diagnostic>, Vec<pynoc::diag::Diagnostic>> {
    pynoc::analyze(spec, "spec.kdl").map(|a| a.warnings)
}

/// `payload` in the field (see [`plant`]) fails with `code`, labelled on the payload.
pub fn refused(field: (&str, &str), payload: &str, code: &str) {
    let (spec, offset) = plant(field.0, field.1, payload);
    let end = offset + payload.len().max(1);
    let errs = diags(&spec).expect_err(&format!("`{payload}` in `{}` was accepted", field.1));
    let hit = errs.iter().any(|d| {
        d.kind.code() == code
            && d.primary.as_ref().is_some_and(|l| l.span.offset <= end && offset <= l.span.offset + l.span.len)
    });
    let rendered: String = errs.iter().map(|d| d.render(false)).collect();
    assert!(hit, "`{payload}` in `{}`: no {code} at the payload:\n{rendered}", field.1);
}

/// `payload` in the field compiles.
pub fn accepted(field: (&str, &str), payload: &str) {
    let (spec, _) = plant(field.0, field.1, payload);
    if let Err(errs) = diags(&spec) {
        let rendered: String = errs.iter().map(|d| d.render(false)).collect();
        panic!("`{payload}` in `{}` was refused:\n{rendered}", field.1);
    }
}

/// A page of the user documentation, by its path from the root (`README.md`,
/// `docs/diagnostics.md`): the tests that keep the documentation true read it here.
pub fn doc(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}
