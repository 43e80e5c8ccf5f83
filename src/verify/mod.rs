//! `pynoc verify DIR`: each artifact checked by its consumer's own tool, sandboxed so the
//! host is never changed (network, mount and pid namespaces; throwaway overlays of the
//! directories a tool writes). One line per artifact: PASS, FAIL with the reason, or SKIP
//! with why.

pub(crate) mod container;
pub(crate) mod deploy;
pub(crate) mod firewall;
pub(crate) mod nginx;
pub mod postgres;
pub mod root;
pub mod sandbox;
pub mod shape;

use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};

use crate::artifact::{Checker, Kind};
use crate::emit::manifest::Manifest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail(String),
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub status: Status,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            Status::Pass => write!(f, "PASS {}", self.name),
            Status::Fail(why) => write!(f, "FAIL {}: {}", self.name, why),
            Status::Skip(why) => write!(f, "SKIP {}: {}", self.name, why),
        }
    }
}

/// An artifact as the manifest lists it.
pub(crate) struct Item {
    pub(crate) kind: Kind,
    pub(crate) file: Utf8PathBuf,
}

/// Reads `DIR/manifest.json` and verifies every artifact it lists.
pub fn verify(dir: &Utf8Path, mut each: impl FnMut(&Outcome)) -> Result<Vec<Outcome>, String> {
    let manifest = dir.join(crate::write::MANIFEST);
    let bytes = std::fs::read(&manifest).map_err(|e| format!("cannot read {manifest}: {e}"))?;
    let m = Manifest::parse(&bytes).map_err(|e| format!("{manifest} is not a manifest this pynoc reads: {e}"))?;
    if m.artifacts.is_empty() {
        return Err(format!("{manifest} lists no artifacts"));
    }
    // Files for another release than this machine's: its daemons would judge settings for
    // other versions (an algorithm its sshd lacks, a directive its nginx lacks).
    let local = local_release();
    let other = (local.as_deref() != Some(m.release.as_str())).then(|| {
        format!(
            "the files are for {}, and this machine runs {}: its {{}} would judge another version's settings",
            m.release,
            local.as_deref().unwrap_or("an unknown release")
        )
    });
    let mut out = Vec::new();
    for a in &m.artifacts {
        let item = Item { kind: a.name, file: dir.join(&a.path) };
        // The directory may come from an untrusted checkout: only the file at the kind's own
        // path, and never through a link (a validator's error would print lines of whatever
        // it points at).
        let plain = std::fs::symlink_metadata(&item.file).is_ok_and(|m| m.file_type().is_file())
            && std::fs::symlink_metadata(item.file.parent().unwrap_or(dir)).is_ok_and(|m| m.file_type().is_dir());
        let status = if !a.name.writes_at(&a.path) {
            Status::Fail(format!(
                "`{}` is not where pynoc writes the `{}` artifact ({})",
                a.path.escape_debug(),
                a.name,
                a.name.desc().path
            ))
        } else if !plain && item.file.exists() {
            Status::Fail(format!("{} is a symlink or not a regular file; not read", item.file))
        } else {
            match std::fs::read(&item.file) {
                Err(e) => Status::Fail(format!("cannot read {}: {e}", item.file)),
                Ok(bytes) if a.sha256 != crate::sha256_hex(&bytes) => {
                    Status::Fail(format!("{} does not match the sha256 in the manifest (edited by hand?)", item.file))
                }
                Ok(bytes) => {
                    let status = match (&other, item.kind.desc().checker) {
                        (Some(why), Checker::Daemon(tool)) => Status::Skip(why.replace("{}", tool)),
                        _ => check(&item),
                    };
                    // And the meaning (a root-run writer outside its directory, a kernel
                    // helper key without its reason), which no consumer's tool checks: the
                    // manifest's hashes prove only that the files are the ones it lists, and
                    // a hostile checkout writes both.
                    match shape::meaning_of(item.kind, &String::from_utf8_lossy(&bytes)) {
                        problems if problems.is_empty() => status,
                        problems => match status {
                            Status::Fail(why) => Status::Fail(format!("{why}; {}", problems.join("; "))),
                            _ => Status::Fail(problems.join("; ")),
                        },
                    }
                }
            }
        };
        let o = Outcome { name: item.kind.name().to_string(), status };
        each(&o);
        out.push(o);
    }
    Ok(out)
}

/// This machine's release as stdlib/targets.toml names releases (`debian-12`), from
/// /etc/os-release: what `verify` compares with the manifest's release.
pub fn local_release() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    let field =
        |k: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).map(|v| v.trim_matches('"').to_string());
    Some(format!("{}-{}", field("ID")?, field("VERSION_ID")?))
}

/// Each kind checked by its consumer's own tool ([`Kind::behaviour`]).
fn check(item: &Item) -> Status {
    (item.kind.behaviour().check)(&item.file)
}

/// `Skip` unless every tool is on PATH (or at the given path).
pub(crate) fn need(tools: &[&str]) -> Result<(), Status> {
    for t in tools {
        if which(t).is_none() {
            return Err(Status::Skip(format!("`{t}` is not installed")));
        }
    }
    Ok(())
}

/// Where `.ci/install-validators` installs the PyPI validators (hadolint, docker-compose,
/// check-jsonschema, ansible-core).
pub(crate) const VENV_BIN: &str = "/opt/pynoc-validators/bin";

pub fn which(tool: &str) -> Option<Utf8PathBuf> {
    if tool.starts_with('/') {
        return Utf8Path::new(tool).exists().then(|| tool.into());
    }
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", VENV_BIN])
        .map(|dir| Utf8Path::new(dir).join(tool))
        .find(|p| p.is_file())
}

pub(crate) fn need_root() -> Result<(), Status> {
    if sandbox::is_root() { Ok(()) } else { Err(Status::Skip("needs root for the namespaces of its sandbox".into())) }
}

/// The first lines of a tool's output, for a one-line FAIL reason.
pub(crate) fn brief(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).take(3).collect();
    if lines.is_empty() { "no output".into() } else { lines.join(" | ") }
}
