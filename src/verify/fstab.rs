//! fstab: `findmnt --verify` reads the lines as a mount table and must find no error or
//! warning.

use std::process::Command;

use camino::Utf8Path;

use super::{Status, brief, need, sandbox};

pub(crate) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["findmnt"]) {
        return s;
    }
    match Command::new("findmnt").args(["--verify", "--verbose", "--tab-file"]).arg(file.as_str()).output() {
        Ok(o) => {
            let out = sandbox::text(&o);
            let bad: Vec<&str> =
                out.lines().map(str::trim).filter(|l| l.starts_with("[E]") || l.starts_with("[W]")).collect();
            if o.status.success() && bad.is_empty() {
                Status::Pass
            } else {
                Status::Fail(format!(
                    "findmnt --verify: {}",
                    if bad.is_empty() { brief(&out) } else { bad.join(" | ") }
                ))
            }
        }
        Err(e) => Status::Fail(format!("cannot run findmnt: {e}")),
    }
}
