//! `host/aide.conf`: file integrity monitoring, AIDE's rules for what changes by design on
//! this host, from `stdlib/aide/aide.conf.j2`. Its back half, as the registry's
//! [`super::Behaviour`] names it: the emitter, its consumer's check (AIDE's own parser, and
//! its `--path-check` of what stays watched and what is left out), its shape and meaning
//! rules, and the host play's steps (an initialised database and the daily check).

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{
    Command as Cmd, LineInFile, Module, Registered, Step, Systemd, UnitState, Word, plain, words,
};
use crate::emit::deploy::{Steps, guarded};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::syspaths::Place;
use crate::verify::shape::placed;
use crate::verify::{Status, brief, need};

/// Debian's AIDE configuration, which includes `/etc/aide/aide.conf.d/`.
const DEBIAN_CONF: &str = "/etc/aide/aide.conf";
/// Files that must stay watched whatever the spec leaves out (the audit tools for CIS 6.3.3).
const WATCHED: &[&str] = &[
    "/etc/shadow",
    "/etc/ssh/sshd_config",
    "/usr/bin/sudo",
    "/usr/sbin/sshd",
    "/usr/sbin/auditctl",
    "/usr/sbin/auditd",
    "/usr/sbin/augenrules",
    DEBIAN_CONF,
];
/// The first scan, in the background: started unless one runs already.
const AIDE_INIT: &str = "systemctl is-active --quiet pynoc-aideinit.service && exit 0; \
    systemd-run --quiet --unit=pynoc-aideinit aideinit --yes --force && echo started";
/// The trees pynoc itself leaves out, from the spec's other sections.
const DERIVED: &[&str] = &["/var/lib/postgresql/", "/var/lib/docker", "/var/lib/containerd", "/var/lib/pynoc/stacks/"];

/// The artifact, when the spec has an `aide` node.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(a) = cx.spec.host.as_ref().and_then(|h| h.aide.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Aide,
        instance: None,
        install: Kind::Aide.install(cx.spec),
        // Debian's aide names no configuration of its own: every command passes it.
        apply: "aide --config /etc/aide/aide.conf --config-check && { [ -e /var/lib/aide/aide.db ] || aideinit --yes --force; }"
            .into(),
        env: vec![],
        content: render(env, cx, Kind::Aide, "aide", a, &[])?,
    }))
}

/// AIDE reads Debian's configuration with the file after it without an error, every file of
/// [`WATCHED`] is still checked, and every path the file leaves out is left out by it.
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["aide"]) {
        return s;
    }
    if !std::path::Path::new(DEBIAN_CONF).is_file() {
        return Status::Skip(format!("{DEBIAN_CONF} is missing (Debian's aide-common package ships it)"));
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the file".into()) };
    let Ok(dir) = tempfile::tempdir() else { return Status::Fail("no scratch directory".into()) };
    let conf = dir.path().join("aide.conf");
    if std::fs::write(&conf, format!("@@include {DEBIAN_CONF}\n@@include {file}\n")).is_err() {
        return Status::Fail("cannot write the scratch configuration".into());
    }
    let aide = |args: &[&str]| Command::new("aide").arg("-c").arg(&conf).args(args).output();
    match aide(&["--config-check"]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Status::Fail(format!("aide --config-check: {}", brief(&String::from_utf8_lossy(&o.stderr)))),
        Err(e) => return Status::Fail(format!("cannot run aide: {e}")),
    }
    let mut bad = Vec::new();
    let mut probe = |path: &str, watched: bool| match aide(&[&format!("--path-check=f:{path}")]) {
        Ok(o) => {
            let out = String::from_utf8_lossy(&o.stdout);
            let line = out.lines().next().unwrap_or_default();
            if line.starts_with("[X]") != watched {
                bad.push(format!("{path}: {line}"));
            }
        }
        Err(e) => bad.push(format!("{path}: cannot run aide: {e}")),
    };
    for path in WATCHED {
        probe(path, true);
    }
    for path in excluded(&text) {
        probe(&format!("{path}/pynoc-probe"), false);
    }
    if bad.is_empty() { Status::Pass } else { Status::Fail(bad.join(" | ")) }
}

/// The paths the file leaves out, unescaped.
fn excluded(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix('!'))
        .filter_map(|p| p.strip_suffix("(/|$)"))
        .map(|p| p.replace('\\', ""))
        .collect()
}

/// Comments and `!PATH(/|$)` lines, the path escaped as pynoc escapes it: nothing else AIDE
/// would read (a selection line, a macro, an include).
pub(super) fn lines(p: &mut Vec<String>, text: &str, _comment: &str) {
    for l in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("# ")) {
        let ok = l.strip_prefix('!').and_then(|x| x.strip_suffix("(/|$)")).is_some_and(|pattern| {
            let path = pattern.replace('\\', "");
            crate::grammar::absolute_path(&path, false)
                && crate::lower::aide_pattern(&path) == format!("{pattern}(/|$)")
        });
        if !ok {
            p.push(format!("not an AIDE exclusion pynoc writes: {l:?}"));
        }
    }
}

/// Every path left out is one pynoc derives, or inside the places a spec may name.
pub(super) fn meaning(p: &mut Vec<String>, text: &str) {
    for path in excluded(text) {
        if !DERIVED.iter().any(|d| path.starts_with(d)) {
            placed(p, Place::AideExclude, &path);
        }
    }
}

/// sha512 alone, the drop-in checked by AIDE, the report's address, the database initialised
/// once, the daily check on.
pub(super) fn steps(p: &mut Steps, a: &Artifact, host: &Host) {
    p.tasks.push(
        Step::new(
            "AIDE hashes with sha512 alone (Debian's `H` is every hash AIDE has: hours on a large host)",
            Module::LineInFile(LineInFile {
                path: DEBIAN_CONF,
                regexp: "^Checksums *=",
                line: plain("Checksums = sha512"),
                validate: Some("aide --config %s --config-check"),
            }),
        )
        .task(),
    );
    let check = words(&["aide", "--config", DEBIAN_CONF, "--config-check"]);
    p.tasks.push(guarded("AIDE's exclusions", a, Registered::Aide, check, vec![]));
    if let Some(mail) = host.aide.as_ref().and_then(|x| x.mail.as_deref()) {
        p.tasks.push(
            Step::new(
                "the daily AIDE report's address",
                Module::LineInFile(LineInFile {
                    path: "/etc/default/aide",
                    regexp: "^#? *MAILTO=",
                    line: Word::Unsafe(format!("MAILTO={mail}")),
                    validate: None,
                }),
            )
            .task(),
        );
    }
    // Once: a later run never replaces the database (that would bless what changed). The scan
    // reads the whole file system (minutes on a small host, hours on a large one): it runs in
    // a transient unit of its own, and the play goes on. A run while it scans starts no
    // second one and changes nothing; a scan that failed stays a failed unit
    // (`systemctl --failed`), and the next run stops at it.
    p.tasks.push(
        Step::new(
            "AIDE's database, initialised once, in the background (a scan of the whole file system: unit pynoc-aideinit)",
            Module::Command(Cmd {
                argv: words(&["sh", "-c", AIDE_INIT, "pynoc-aide"]),
                creates: Some("/var/lib/aide/aide.db".into()),
                stdin: None,
            }),
        )
        .register(Registered::AideInit)
        .changed_when(Registered::AideInit.cond("{var}.stdout == 'started'"))
        .task(),
    );
    let timer = Systemd {
        name: "dailyaidecheck.timer".into(),
        enabled: Some(true),
        state: Some(UnitState::Started),
        masked: None,
    };
    p.tasks.push(Step::new("the daily AIDE check on", Module::Systemd(timer)).task());
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::verify::shape::check_one;

    #[test]
    fn only_escaped_exclusions_in_their_places_pass() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        let conf = |body: &str| check_one(Kind::Aide, &format!("{h}{body}\n"));
        assert!(conf("# why\n!/var/lib/docker(/|$)").is_empty());
        assert!(conf("!/srv/my\\.app(/|$)").is_empty());
        for bad in [
            "!/srv/my.app(/|$)",
            "!/etc(/|$)",
            "!/usr/bin(/|$)",
            "!/var/lib/dpkg(/|$)",
            "!/srv/a/../../etc(/|$)",
            "/etc p",
            "@@include /tmp/x",
            "!/srv/x",
            "!/srv/(x|y)(/|$)",
        ] {
            assert!(!conf(bad).is_empty(), "{bad}");
        }
    }
}
