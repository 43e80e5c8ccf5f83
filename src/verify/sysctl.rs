//! sysctl: every key must exist under /proc/sys; `net.*` values are really written in a
//! throwaway network namespace; global keys (`kernel.*`, `fs.*`, `vm.*`) are checked for
//! shape only and never written.

use std::process::Command;

use camino::Utf8Path;

use super::{Status, brief, need, need_root};

pub(crate) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sysctl", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return Status::Fail("cannot read the file".into());
    };
    let net = match net_settings(&text).and_then(per_namespace) {
        Ok(net) => net,
        Err(why) => return Status::Fail(why),
    };
    if net.is_empty() {
        return Status::Pass;
    }
    kept_as_written(&net)
}

/// Every key exists on this kernel (or is marked optional) and takes a value of its shape;
/// the `net.*` settings, as `key=value`.
fn net_settings(text: &str) -> Result<Vec<String>, String> {
    let mut net = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: not `key = value`", no + 1));
        };
        let (optional, key) = match key.trim().strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, key.trim()),
        };
        let value = value.trim();
        let proc = format!("/proc/sys/{}", key.replace('.', "/"));
        match std::fs::read_to_string(&proc) {
            Err(_) if optional => continue,
            Err(_) => {
                return Err(format!(
                    "line {}: `{key}` does not exist on this kernel and is not marked optional",
                    no + 1
                ));
            }
            Ok(current) => {
                if current.split_whitespace().count() != value.split_whitespace().count() {
                    return Err(format!(
                        "line {}: `{key}` takes {} field(s), the file gives `{value}`",
                        no + 1,
                        current.split_whitespace().count()
                    ));
                }
                let numeric = |s: &str| s.split_whitespace().all(|f| f.parse::<i64>().is_ok());
                if numeric(&current) && !numeric(value) {
                    return Err(format!("line {}: `{key}` is numeric, the file gives `{value}`", no + 1));
                }
            }
        }
        if key.starts_with("net.") {
            net.push(format!("{key}={value}"));
        }
    }
    Ok(net)
}

/// A few net.* keys are global, not per namespace (`net.core.bpf_jit_harden`): a fresh
/// namespace does not have them, and they are checked for shape only, as `kernel.*` is.
fn per_namespace(mut net: Vec<String>) -> Result<Vec<String>, String> {
    let paths: Vec<String> =
        net.iter().map(|kv| kv.split_once('=').map_or(kv.as_str(), |(k, _)| k).replace('.', "/")).collect();
    let probe = format!("cd /proc/sys && for k in {}; do [ -e \"$k\" ] && echo \"$k\"; done; true", paths.join(" "));
    match Command::new("unshare").args(["--net", "sh", "-c", &probe]).output() {
        Ok(o) if o.status.success() => {
            let here: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
            let mut i = 0;
            net.retain(|_| {
                i += 1;
                here.contains(&paths[i - 1])
            });
            Ok(net)
        }
        Ok(o) => Err(format!("cannot list a namespace's keys: {}", brief(&super::sandbox::text(&o)))),
        Err(e) => Err(format!("cannot run unshare: {e}")),
    }
}

/// Every net.* value written in a throwaway network namespace, then read back: the kernel
/// must accept each and keep it as written.
fn kept_as_written(net: &[String]) -> Status {
    let keys: Vec<&str> = net.iter().map(|kv| kv.split_once('=').map(|(k, _)| k).unwrap_or(kv)).collect();
    let script = format!("sysctl -q -w {} || exit 10\nsysctl -n {}", net.join(" "), keys.join(" "));
    match Command::new("unshare").args(["--net", "sh", "-c", &script]).output() {
        Ok(o) if o.status.success() && o.stderr.is_empty() => {
            let got = String::from_utf8_lossy(&o.stdout);
            for ((kv, key), read) in net.iter().zip(&keys).zip(got.lines()) {
                let want = kv.split_once('=').map(|(_, v)| v).unwrap_or("");
                if want.split_whitespace().ne(read.split_whitespace()) {
                    return Status::Fail(format!("the kernel keeps `{key}` as `{read}`, not `{want}`"));
                }
            }
            Status::Pass
        }
        Ok(o) => Status::Fail(format!("the kernel refused a net.* value: {}", brief(&super::sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run sysctl: {e}")),
    }
}
