//! `pynoc verify DIR --root ROOT`: the output judged by the programs of another release's
//! root file system (an `mmdebstrap` of Debian 13 on a Debian 12 machine). pynoc and the
//! output are copied into a temporary directory under ROOT/tmp, and `pynoc verify` runs there
//! under `chroot`, in a private mount namespace where ROOT is bind-mounted onto itself (so
//! that inside it `/` is a mount point, which verify's own sandbox needs) with the host's
//! /dev and a fresh /proc. The copy is removed afterwards; nothing of the host changes.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

/// Runs `pynoc verify` inside `root`; its output is streamed, its exit code returned.
pub fn verify_in(dir: &Utf8Path, root: &Utf8Path, strict: bool) -> Result<i32, String> {
    let root = root.canonicalize_utf8().map_err(|e| format!("--root {root}: {e}"))?;
    if !root.join("etc/os-release").is_file() || !root.join("tmp").is_dir() {
        return Err(format!("--root {root}: not a root file system (no etc/os-release or tmp/)"));
    }
    if !super::sandbox::is_root() {
        return Err("--root needs root: it runs verify under chroot".into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find pynoc's own program: {e}"))?;
    let tmp = tempfile::Builder::new()
        .prefix("pynoc-verify-")
        .tempdir_in(root.join("tmp"))
        .map_err(|e| format!("cannot make a directory under {root}/tmp: {e}"))?;
    let here =
        Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).map_err(|p| format!("{}: not UTF-8", p.display()))?;
    copy_tree(dir, &here.join("out"))?;
    std::fs::copy(&exe, here.join("pynoc")).map_err(|e| format!("cannot copy pynoc into the root: {e}"))?;
    let inside = Utf8Path::new("/tmp").join(here.file_name().unwrap_or_default());
    let q = |p: &str| shlex::try_quote(p).map(|s| s.into_owned()).map_err(|e| e.to_string());
    let script = format!(
        "set -e\nmount --bind {r} {r}\nmount --rbind /dev {r}/dev\nmount -t proc proc {r}/proc\nexec chroot {r} {p} verify {o}{s}",
        r = q(root.as_str())?,
        p = q(inside.join("pynoc").as_str())?,
        o = q(inside.join("out").as_str())?,
        s = if strict { " --strict" } else { "" },
    );
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .status()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    drop(tmp);
    Ok(status.code().unwrap_or(1))
}

/// The output directory's regular files and directories, never a link (verify reads only
/// plain files at their kinds' paths anyway).
fn copy_tree(from: &Utf8Path, to: &Utf8Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{to}: {e}"))?;
    for e in from.read_dir_utf8().map_err(|e| format!("{from}: {e}"))? {
        let e = e.map_err(|e| format!("{from}: {e}"))?;
        let kind = e.file_type().map_err(|err| format!("{}: {err}", e.path()))?;
        let target = to.join(e.file_name());
        if kind.is_dir() {
            copy_tree(e.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(e.path(), &target).map_err(|err| format!("{}: {err}", e.path()))?;
        }
    }
    Ok(())
}
