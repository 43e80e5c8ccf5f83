//! The sandbox: new network, mount and pid namespaces, with throwaway overlays over the
//! directories a tool writes, so nothing it does reaches the host.

use std::process::{Command, Output};

use camino::Utf8Path;

pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

pub fn quote(s: &str) -> String {
    shlex::try_quote(s).map(|q| q.into_owned()).unwrap_or_else(|_| "''".into())
}

/// Runs `script` with `sh -c` in fresh namespaces. Each directory in `overlays` is covered
/// by an overlay whose writes land in `scratch` and vanish with the namespace.
pub fn run(script: &str, overlays: &[&str], scratch: &Utf8Path) -> std::io::Result<Output> {
    let mut setup = format!("set -e\nmount -t tmpfs pynoc-scratch {}\n", quote(scratch.as_str()));
    for (i, dir) in overlays.iter().enumerate() {
        let up = scratch.join(format!("up{i}"));
        let work = scratch.join(format!("work{i}"));
        setup.push_str(&format!(
            "mkdir -p {u} {w}\nmount -t overlay overlay -o lowerdir={d},upperdir={u},workdir={w} {d}\n",
            u = quote(up.as_str()),
            w = quote(work.as_str()),
            d = quote(dir),
        ));
    }
    setup.push_str("set +e\n");
    setup.push_str(script);
    Command::new("unshare")
        .args(["--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation", "private", "sh", "-c"])
        .arg(setup)
        .output()
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// [`run`] in a scratch directory of its own, removed after; an error says what failed.
pub(crate) fn run_scratch(script: &str, overlays: &[&str]) -> Result<Output, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let path = Utf8Path::from_path(dir.path()).ok_or("a scratch directory outside UTF-8")?;
    run(script, overlays, path).map_err(|e| format!("cannot run the sandbox: {e}"))
}
