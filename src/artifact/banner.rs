//! `host/issue`, `host/issue.net` and `host/motd`: the legal notice of `host { banner }`,
//! shown before a login by agetty (/etc/issue) and by sshd (`Banner /etc/issue.net`), and
//! after it by pam_motd (/etc/motd), in place of Debian's texts that name the system. Shown
//! as they are written, they have no comment syntax and no generated-file header (the
//! manifest names their spec). Their back half, as the registry's [`super::Behaviour`] names
//! it: the emitter, the consumer's check (agetty renders the file in a pseudo-terminal), the
//! shape rule and the host play's step.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Module, Step};
use crate::emit::deploy::{Steps, copy};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::sandbox::quote;
use crate::verify::{Status, brief, need};

/// The artifact of `kind` (one of the three), when the host has a `banner`.
pub(super) fn emit(env: &Environment, cx: &Context, kind: Kind) -> Result<Option<Artifact>, Error> {
    let Some(b) = cx.spec.host.as_ref().and_then(|h| h.banner.as_ref()) else { return Ok(None) };
    let install = kind.install(cx.spec);
    Ok(Some(Artifact {
        kind,
        instance: None,
        install,
        // Read as it is at the next login: nothing to reload.
        apply: format!("test -s {install}"),
        env: vec![],
        content: render(env, cx, kind, "banner", b, &[])?,
    }))
}

/// agetty, the strictest of the three readers (it expands `\` escapes), shows the file as
/// it is written: `agetty --show-issue` in a pseudo-terminal (script) prints each line of it
/// unchanged.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["agetty", "script"]) {
        return s;
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let cmd = format!("agetty --show-issue --issue-file {}", quote(file.as_str()));
    match Command::new("script").args(["-qec", &cmd, "/dev/null"]).env("TERM", "dumb").output() {
        Ok(o) => {
            let shown = String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n");
            if o.status.success() && shown == text {
                Status::Pass
            } else {
                Status::Fail(format!("agetty shows {} (the file holds {})", brief(&shown), brief(&text)))
            }
        }
        Err(e) => Status::Fail(format!("cannot run script: {e}")),
    }
}

/// The notice as `banner` takes it: printable ASCII lines, no escape, no system's name.
pub(super) fn lines(p: &mut Vec<String>, text: &str, _comment: &str) {
    if !crate::grammar::banner(text.trim_end()) {
        p.push("not printable ASCII lines without a backslash".into());
    }
    if crate::grammar::names_system(text) {
        p.push("names the system".into());
    }
}

/// The file in place of Debian's (a conffile of base-files: a release upgrade asks).
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(Step::new(&format!("the legal notice in {}", a.install), Module::Copy(copy(a, None))).task());
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    #[test]
    fn agetty_shows_the_notice_and_not_an_escape() {
        let dir = tempfile::tempdir().unwrap();
        let file = camino::Utf8PathBuf::from_path_buf(dir.path().join("issue")).unwrap();
        std::fs::write(&file, "Authorized access only.\nAll use is monitored.\n").unwrap();
        match super::check(&file) {
            Status::Skip(why) => {
                assert!(std::env::var_os("CI").is_none(), "agetty's check skipped in CI: {why}");
                return;
            }
            s => assert!(matches!(s, Status::Pass), "{s:?}"),
        }
        // `\s` is the system's name to agetty: the file is no longer shown as written.
        std::fs::write(&file, "Authorized access only on \\s.\n").unwrap();
        assert!(matches!(super::check(&file), Status::Fail(_)));
    }

    #[test]
    fn shape_refuses_escapes_and_the_system_name() {
        for kind in [Kind::Issue, Kind::IssueNet, Kind::Motd] {
            assert!(check_one(kind, "Authorized access only.\n").is_empty());
            assert!(!check_one(kind, "Debian GNU/Linux 12 \\n \\l\n").is_empty());
            assert!(!check_one(kind, "Authorized \\s only\n").is_empty());
            assert!(!check_one(kind, "Authorized\u{7}only\n").is_empty());
        }
    }
}
