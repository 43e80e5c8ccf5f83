//! Stage 5: the artifacts and the manifest into the output directory.
//!
//! The output directory may come from an untrusted checkout, so nothing inside it is
//! trusted either: every file is reached through directory handles opened with
//! `O_NOFOLLOW`, one path component at a time, so a symlink planted anywhere below the
//! output directory is refused instead of followed. Each file is written to a temporary
//! name in its folder and renamed over the old one (atomic, never through a link). Files a
//! previous build wrote and this one does not are removed only if the previous manifest
//! lists them under a folder pynoc owns and their content still has the sha256 it recorded;
//! a hand-edited file is kept and reported.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use crate::Compiled;
use crate::emit::Artifact;

pub(crate) const MANIFEST: &str = "manifest.json";

/// The folders of the output directory that pynoc writes, and the only ones it removes from.
pub(crate) const FOLDERS: &[&str] = &["container", "deploy", "host", "nginx", "postgres", "systemd"];

/// What a build did to the output directory.
#[derive(Debug, Default)]
pub struct Report {
    pub written: Vec<Utf8PathBuf>,
    pub removed: Vec<Utf8PathBuf>,
    /// Files an earlier build wrote that this one does not, kept, with why.
    pub kept: Vec<(Utf8PathBuf, String)>,
    /// What the build could not do and the user should know: an earlier manifest it could
    /// not read (so nothing that build wrote is removed).
    pub warnings: Vec<String>,
}

/// Every file of a build: (path inside the output directory, content, mode).
pub fn files(c: &Compiled) -> Vec<(Cow<'static, str>, &str, u32)> {
    let mut v: Vec<(Cow<'static, str>, &str, u32)> =
        c.artifacts.iter().map(|a| (a.path(), a.content.as_str(), a.desc().mode.0 | 0o600)).collect();
    v.push((Cow::Borrowed(MANIFEST), c.manifest.as_str(), 0o644));
    v
}

/// The system directory `out` is or lies in (`crate::syspaths`), if any, after resolving
/// what of it exists: a build there would overwrite live files.
pub fn system_dir(out: &Utf8Path) -> Option<&'static str> {
    crate::syspaths::system_dir(resolve(out).as_str())
}

/// `out` made absolute, with symlinks and `..` of its existing part resolved.
fn resolve(out: &Utf8Path) -> Utf8PathBuf {
    let abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        match std::env::current_dir().ok().and_then(|d| Utf8PathBuf::from_path_buf(d).ok()) {
            Some(d) => d.join(out),
            None => out.to_path_buf(),
        }
    };
    // The longest existing prefix, canonicalized, then the rest as written.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize_utf8() {
            let mut p = c;
            for r in rest.iter().rev() {
                p.push(r);
            }
            return normalize(&p);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_string());
                existing = parent.to_path_buf();
            }
            _ => return normalize(&abs),
        }
    }
}

fn normalize(p: &Utf8Path) -> Utf8PathBuf {
    let mut out = Utf8PathBuf::from("/");
    for c in p.components() {
        match c {
            camino::Utf8Component::Normal(n) => out.push(n),
            camino::Utf8Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn refused(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, what)
}

/// Opens `out` (created if missing; it may itself be a symlink the user chose).
fn open_root(out: &Utf8Path, create: bool) -> io::Result<OwnedFd> {
    if create {
        std::fs::create_dir_all(out)?;
    }
    Ok(rustix::fs::open(out.as_std_path(), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?)
}

/// Opens the folder `dir` below `root`, one component at a time, never following a link;
/// with `create`, missing folders are made.
fn open_dir(root: &OwnedFd, out: &Utf8Path, dir: &Utf8Path, create: bool) -> io::Result<OwnedFd> {
    let mut fd = rustix::io::dup(root)?;
    let mut shown = out.to_path_buf();
    for c in dir.components() {
        let name = c.as_str();
        shown.push(name);
        if create {
            match rustix::fs::mkdirat(&fd, name, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
        }
        fd = rustix::fs::openat(
            &fd,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => refused(format!(
                "{shown} is a symlink or not a directory; pynoc never writes through a link (remove it)"
            )),
            e => io::Error::from(e),
        })?;
    }
    Ok(fd)
}

/// The type of `name` in `dir`, without following it; `None` if it does not exist.
fn kind(dir: &OwnedFd, name: &str) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Reads the regular file `name` in `dir`; a link or anything else is refused.
fn read_file(dir: &OwnedFd, name: &str, shown: &Utf8Path) -> io::Result<Option<Vec<u8>>> {
    match kind(dir, name)? {
        None => return Ok(None),
        Some(FileType::RegularFile) => {}
        Some(_) => {
            return Err(refused(format!(
                "{shown} is a symlink or not a regular file; pynoc never reads through a link"
            )));
        }
    }
    let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())?;
    let mut bytes = Vec::new();
    File::from(fd).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// A file written under a temporary name in its folder, not yet renamed over `name`.
struct Staged {
    /// Index of its folder's handle.
    dir: usize,
    tmp: String,
    name: String,
    /// As the report shows it.
    shown: Utf8PathBuf,
    file: File,
}

/// Writes `content` to a temporary name beside `name` in `dir` (never through a link; a
/// symlink or special file at `name` is refused).
fn stage(dir: &OwnedFd, index: usize, name: &str, content: &[u8], mode: u32, shown: &Utf8Path) -> io::Result<Staged> {
    match kind(dir, name)? {
        None | Some(FileType::RegularFile) => {}
        Some(_) => {
            return Err(refused(format!(
                "{shown} is a symlink or not a regular file; pynoc never writes through a link (remove it)"
            )));
        }
    }
    let tmp = format!(".{name}.pynoc-{}.tmp", std::process::id());
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, &tmp, flags, Mode::from_raw_mode(0o600)) {
        Err(rustix::io::Errno::EXIST) => {
            // Left by a build that was killed: ours to remove (unlink never follows a link).
            rustix::fs::unlinkat(dir, &tmp, AtFlags::empty())?;
            rustix::fs::openat(dir, &tmp, flags, Mode::from_raw_mode(0o600))?
        }
        r => r?,
    };
    let mut file = File::from(fd);
    let written = file.write_all(content).and_then(|()| Ok(rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?));
    if let Err(e) = written {
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
        return Err(e);
    }
    Ok(Staged { dir: index, tmp, name: name.to_string(), shown: shown.to_owned(), file })
}

/// `fsync` of every file, in turn (fsyncs from parallel threads were measured no faster):
/// the first error, if any.
fn sync_all<'a>(mut files: impl Iterator<Item = &'a File>) -> io::Result<()> {
    files.try_for_each(File::sync_all)
}

pub fn write(c: &Compiled, out: &Utf8Path) -> io::Result<Report> {
    let root = open_root(out, true)?;
    let mut report = Report::default();
    let old = match previous(&root, out) {
        Ok(old) => old,
        Err(why) => {
            report.warnings.push(format!(
                "{} could not be read ({why}): files an earlier build wrote and this one does not are left in place",
                out.join(MANIFEST)
            ));
            Vec::new()
        }
    };
    // Each folder is opened once; every file is written under a temporary name first.
    let mut dirs: Vec<(&Utf8Path, OwnedFd)> = Vec::new();
    let mut staged: Vec<Staged> = Vec::new();
    let mut renamed = 0;
    let all = files(c);
    let written = (|| -> io::Result<()> {
        for (path, content, mode) in &all {
            let (path, content, mode) = (path.as_ref(), *content, *mode);
            let p = Utf8Path::new(path);
            let folder = p.parent().unwrap_or(Utf8Path::new(""));
            let dir = match dirs.iter().position(|(f, _)| *f == folder) {
                Some(i) => i,
                None => {
                    dirs.push((folder, open_dir(&root, out, folder, true)?));
                    dirs.len() - 1
                }
            };
            let name = p.file_name().expect("artifact paths name a file");
            staged.push(stage(&dirs[dir].1, dir, name, content.as_bytes(), mode, &out.join(path))?);
        }
        // All files reach the disk before any replaces its old version: a failure leaves
        // the previous build whole.
        sync_all(staged.iter().map(|s| &s.file))?;
        for s in &staged {
            rustix::fs::renameat(&dirs[s.dir].1, &s.tmp, &dirs[s.dir].1, &s.name)?;
            renamed += 1;
            report.written.push(s.shown.clone());
        }
        // The renames themselves, in every folder.
        let folders: Vec<File> = dirs
            .iter()
            .map(|(_, d)| d.try_clone().map(File::from))
            .chain([root.try_clone().map(File::from)])
            .collect::<io::Result<_>>()?;
        sync_all(folders.iter())
    })();
    if let Err(e) = written {
        for s in &staged[renamed..] {
            let _ = rustix::fs::unlinkat(&dirs[s.dir].1, &s.tmp, AtFlags::empty());
        }
        return Err(e);
    }
    // Files that an earlier build of this directory wrote and this one no longer does.
    let now: Vec<Cow<'static, str>> = c.artifacts.iter().map(Artifact::path).collect();
    for (path, sha) in old.iter().filter(|(p, _)| !now.iter().any(|n| n == p)) {
        let shown = out.join(path);
        let p = Utf8Path::new(path);
        let (Some(folder), Some(name)) = (p.parent(), p.file_name()) else { continue };
        let dir = match open_dir(&root, out, folder, false) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                report.kept.push((shown, e.to_string()));
                continue;
            }
        };
        match read_file(&dir, name, &shown) {
            Ok(None) => {}
            Ok(Some(bytes)) if crate::sha256_hex(&bytes) == *sha => {
                rustix::fs::unlinkat(&dir, name, AtFlags::empty())?;
                report.removed.push(shown);
            }
            Ok(Some(_)) => report.kept.push((
                shown,
                "the previous build wrote it, but it was edited since (its sha256 differs from the old manifest); \
                 remove it by hand if it is no longer needed"
                    .into(),
            )),
            Err(e) => report.kept.push((shown, e.to_string())),
        }
    }
    Ok(report)
}

/// The artifacts the manifest already in `out` lists, with their sha256: only each kind's
/// own file; anything else a manifest names is ignored.
fn previous(root: &OwnedFd, out: &Utf8Path) -> Result<Vec<(String, String)>, String> {
    let bytes = match read_file(root, MANIFEST, &out.join(MANIFEST)) {
        Ok(Some(bytes)) => bytes,
        // No earlier build here.
        Ok(None) => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    // A manifest this pynoc cannot read (another version's, or edited) names nothing, and
    // the caller says so.
    let m = crate::emit::manifest::Manifest::parse(&bytes).map_err(|e| e.to_string())?;
    Ok(m.artifacts
        .into_iter()
        .filter(|e| e.name.writes_at(&e.path) && owned(&e.path))
        .map(|e| (e.path, e.sha256))
        .collect())
}

/// `folder/name`, with `folder` one of [`FOLDERS`] and `name` a plain file name.
pub(crate) fn owned(path: &str) -> bool {
    let mut parts = path.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(folder), Some(name), None) => {
            FOLDERS.contains(&folder) && !name.is_empty() && name != "." && name != ".." && !name.contains('\0')
        }
        _ => false,
    }
}

/// Files of `out` that differ from the build, as unified diffs (for `build --check`). A link
/// where a file should be is reported, never followed (its target could be any file).
pub fn stale(c: &Compiled, out: &Utf8Path) -> Vec<String> {
    let root = open_root(out, false).ok();
    let mut diffs = Vec::new();
    for (path, content, _) in files(c) {
        let path = path.as_ref();
        let p = Utf8Path::new(path);
        let shown = out.join(path);
        let old = root
            .as_ref()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
            .and_then(|r| open_dir(r, out, p.parent().unwrap_or(Utf8Path::new("")), false))
            .and_then(|d| read_file(&d, p.file_name().unwrap_or(path), &shown));
        let old = match old {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => String::new(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                diffs.push(format!("{path}: {e}\n"));
                continue;
            }
        };
        if old != content {
            let diff = similar::TextDiff::from_lines(&old, content);
            diffs.push(diff.unified_diff().header(&format!("a/{path}"), &format!("b/{path}")).to_string());
        }
    }
    diffs
}

/// Replaces the regular file at `path` with `content` atomically (a temporary file beside
/// it, renamed over it), keeping its permissions. A symbolic link is refused: renaming over
/// it would replace the link, not the file it names.
pub fn replace_file(path: &Utf8Path, content: &[u8]) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::other("not a regular file (a symbolic link or something else); name the file itself"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_str().is_empty() => p,
        _ => Utf8Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".pynoc-fmt-").tempfile_in(dir)?;
    tmp.write_all(content)?;
    tmp.as_file().sync_all()?;
    // The file's permissions, less setuid, setgid and sticky: a spec is never a program.
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(meta.permissions().mode() & 0o777))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
