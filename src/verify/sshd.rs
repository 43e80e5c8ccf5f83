//! sshd: the drop-in under a copy of Debian's stock sshd_config (which includes
//! sshd_config.d/*.conf first), beside a simulated cloud-init drop-in that turns password
//! logins back on. `sshd -t` must accept it, and `sshd -T` must show every setting of the
//! drop-in as the effective one.

use std::fs;

use camino::Utf8Path;

use super::sandbox::{self, quote};
use super::{Status, brief, need, need_root};

const STOCK: &[&str] = &["/usr/share/openssh/sshd_config", "/etc/ssh/sshd_config"];
const INCLUDE: &str = "Include /etc/ssh/sshd_config.d/*.conf";

pub(crate) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["sshd", "ssh-keygen", "unshare"]).and_then(|_| need_root()) {
        return s;
    }
    let Some(stock) = STOCK.iter().find_map(|p| fs::read_to_string(p).ok()) else {
        return Status::Skip("no stock sshd_config to test the drop-in under".into());
    };
    if !stock.lines().any(|l| l.trim() == INCLUDE) {
        return Status::Fail(format!("the stock sshd_config has no `{INCLUDE}` line: a drop-in would be ignored"));
    }
    match run(file, &stock) {
        Ok(s) => s,
        Err(e) => Status::Fail(format!("cannot set up the sandbox: {e}")),
    }
}

fn run(file: &Utf8Path, stock: &str) -> std::io::Result<Status> {
    let tmp = tempfile::tempdir()?;
    let dir = Utf8Path::from_path(tmp.path()).expect("utf-8 temp dir");
    let d = dir.join("sshd_config.d");
    fs::create_dir_all(&d)?;
    fs::create_dir_all(dir.join("scratch"))?;
    fs::write(dir.join("sshd_config"), stock.replace(INCLUDE, &format!("Include {d}/*.conf")))?;
    let dropin = fs::read_to_string(file)?;
    fs::write(d.join("00-pynoc.conf"), &dropin)?;
    fs::write(d.join("50-cloud-init.conf"), "PasswordAuthentication yes\n")?;
    let key = dir.join("host_ed25519_key");
    let kg = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(key.as_str())
        .output()?;
    if !kg.status.success() {
        return Ok(Status::Fail(format!("ssh-keygen: {}", brief(&sandbox::text(&kg)))));
    }
    let sshd = super::which("sshd").expect("checked");
    let base =
        format!("{} -f {} -h {}", quote(sshd.as_str()), quote(dir.join("sshd_config").as_str()), quote(key.as_str()));
    let script = format!(
        "mkdir -p /run/sshd\n{base} -t || exit 10\necho ---effective---\n{base} -T -C user=root,host=client.example,addr=192.0.2.10\n"
    );
    let o = sandbox::run(&script, &["/run"], &dir.join("scratch"))?;
    let out = sandbox::text(&o);
    if o.status.code() == Some(10) || !o.status.success() {
        return Ok(Status::Fail(format!("sshd -t: {}", brief(&out))));
    }
    let effective = out.split("---effective---").nth(1).unwrap_or("").to_lowercase();
    let lines: Vec<&str> = effective.lines().map(str::trim).collect();
    for l in dropin.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let Some((k, v)) = l.split_once(' ') else {
            continue;
        };
        let k = k.to_lowercase();
        // Debian's `DebianBanner` is not in `sshd -T`'s dump; tests/sshd_behaviour.rs reads
        // the banner a client sees instead.
        if k == "debianbanner" {
            continue;
        }
        for want in v.split_whitespace().map(|v| v.to_lowercase()) {
            let want_line = format!("{k} {want}");
            let want_line = want_line.replace("permitrootlogin prohibit-password", "permitrootlogin without-password");
            if !lines.contains(&want_line.as_str()) {
                let got: Vec<&str> = lines.iter().copied().filter(|x| x.starts_with(&format!("{k} "))).collect();
                return Ok(Status::Fail(format!(
                    "sshd -T: expected `{want_line}`, the effective setting is `{}`",
                    got.join(", ")
                )));
            }
        }
    }
    Ok(Status::Pass)
}
