//! Stage 5: the artifacts and the manifest into the output directory. Every file is
//! replaced atomically; paths come from the emitters, never from the spec, so nothing is
//! written outside the output directory.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;

use atomic_write_file::AtomicWriteFile;
use camino::{Utf8Path, Utf8PathBuf};

use crate::Compiled;

pub const MANIFEST: &str = "manifest.json";

/// Every file of a build: (path inside the output directory, content, mode).
pub fn files(c: &Compiled) -> Vec<(&str, &str, u32)> {
    let mut v: Vec<(&str, &str, u32)> = c
        .artifacts
        .iter()
        .map(|a| (a.path, a.content.as_str(), u32::from_str_radix(a.mode, 8).unwrap_or(0o644) | 0o600))
        .collect();
    v.push((MANIFEST, c.manifest.as_str(), 0o644));
    v
}

pub fn write(c: &Compiled, out: &Utf8Path) -> io::Result<Vec<Utf8PathBuf>> {
    let old = previous_paths(out);
    let mut written = Vec::new();
    for (path, content, mode) in files(c) {
        let target = out.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut f = AtomicWriteFile::options().open(&target)?;
        f.write_all(content.as_bytes())?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.commit()?;
        written.push(target);
    }
    // Files that an earlier build of this directory wrote and this one no longer does.
    let now: Vec<&str> = c.artifacts.iter().map(|a| a.path).collect();
    for p in old.iter().filter(|p| !now.contains(&p.as_str())) {
        let stale = out.join(p);
        if stale.is_file() {
            fs::remove_file(&stale)?;
        }
    }
    Ok(written)
}

/// The artifact paths listed by the manifest already in `out`, if they are plain relative
/// paths; anything else in a foreign manifest is ignored.
fn previous_paths(out: &Utf8Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    json["artifacts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["path"].as_str())
                .filter(|p| {
                    let p = Utf8Path::new(p);
                    p.is_relative() && p.components().all(|c| matches!(c, camino::Utf8Component::Normal(_)))
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Files of `out` that differ from the build, as unified diffs (for `build --check`).
pub fn stale(c: &Compiled, out: &Utf8Path) -> Vec<String> {
    let mut diffs = Vec::new();
    for (path, content, _) in files(c) {
        let old = fs::read_to_string(out.join(path)).unwrap_or_default();
        if old != content {
            let diff = similar::TextDiff::from_lines(&old, content);
            diffs.push(diff.unified_diff().header(&format!("a/{path}"), &format!("b/{path}")).to_string());
        }
    }
    diffs
}
