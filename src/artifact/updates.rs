//! `host/unattended-upgrades.conf`: automatic security updates, an apt configuration
//! drop-in from `stdlib/updates/unattended-upgrades.j2`. Its back half, as the registry's
//! [`super::Behaviour`] names it: the emitter, its consumer's check (apt's own parser,
//! `apt-config dump`, with what the file leaves unattended-upgrades to install), its shape
//! rules and the host play's steps.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Module, Step, Systemd, UnitState};
use crate::emit::deploy::{Steps, copy};
use crate::emit::{Artifact, Context, render};
use crate::ir::Host;
use crate::verify::{Status, brief, need};

/// The artifact, when the spec has an `updates` node.
pub(super) fn emit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    let Some(u) = cx.spec.host.as_ref().and_then(|h| h.updates.as_ref()) else { return Ok(None) };
    Ok(Some(Artifact {
        kind: Kind::Updates,
        instance: None,
        install: Kind::Updates.install(cx.spec),
        apply: "apt-config dump >/dev/null && systemctl enable --now apt-daily.timer apt-daily-upgrade.timer".into(),
        env: vec![],
        content: render(env, cx, Kind::Updates, "updates", u, &[])?,
    }))
}

/// apt reads the file without a syntax error (`apt-config -c FILE dump`), and after it the
/// only origins unattended-upgrades installs from are the file's, each Debian's security
/// archive unless it names the stable release (Debian's own list is cleared).
pub(super) fn check(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["apt-config"]) {
        return s;
    }
    let out = match Command::new("apt-config").arg("-c").arg(file.as_str()).arg("dump").output() {
        Ok(o) => o,
        Err(e) => return Status::Fail(format!("cannot run apt-config: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.trim().is_empty() {
        return Status::Fail(format!("apt-config: {}", brief(&stderr)));
    }
    let origins: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Unattended-Upgrade::Origins-Pattern:: \""))
        .map(|l| l.trim_end_matches("\";"))
        .collect();
    let debian = |o: &&str| o.starts_with("origin=Debian,codename=${distro_codename}");
    if origins.is_empty() || !origins.iter().all(debian) {
        return Status::Fail(format!("unattended-upgrades would install from {origins:?}"));
    }
    Status::Pass
}

/// Every line is one of an apt configuration file as pynoc writes it: a comment (`# ` or
/// `//`), `Key "value";`, `#clear Key;`, a list's opening and closing, or one of its quoted
/// values; keys are those pynoc sets, values hold no `"`, `;`, braces or variables of their
/// own. `#include` and any other directive are refused (apt reads them, not as comments).
pub(super) fn lines(p: &mut Vec<String>, text: &str, _comment: &str) {
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        if !line(l) {
            p.push(format!("not an apt setting pynoc writes: {l:?}"));
        }
    }
}

fn line(l: &str) -> bool {
    let l = l.trim();
    // The settings pynoc writes: apt's timers, unattended-upgrades' own, dpkg's options.
    let key = |k: &str| {
        ["APT::Periodic::", "Unattended-Upgrade::", "Dpkg::Options"].iter().any(|p| k.starts_with(p))
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
    };
    let value = |v: &str| {
        v.strip_prefix('"')
            .and_then(|v| v.strip_suffix("\";"))
            .map(|v| v.replace("${distro_codename}", ""))
            .is_some_and(|v| !v.contains(['"', ';', '{', '}', '$']) && v.chars().all(|c| c.is_ascii_graphic()))
    };
    if l == "};" || l.starts_with("//") || l.starts_with("# ") {
        return true;
    }
    if let Some(k) = l.strip_prefix("#clear ").and_then(|k| k.strip_suffix(';')) {
        return key(k);
    }
    if let Some(k) = l.strip_suffix(" {") {
        return key(k);
    }
    match l.split_once(' ') {
        Some((k, v)) => key(k) && value(v),
        None => value(l),
    }
}

/// The drop-in installed once apt reads it; the timers that run unattended-upgrades on.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.push(
        Step::new("automatic security updates", Module::Copy(copy(a, Some("apt-config -c %s dump".into())))).task(),
    );
    for timer in ["apt-daily.timer", "apt-daily-upgrade.timer"] {
        let unit =
            Systemd { name: timer.into(), enabled: Some(true), state: Some(UnitState::Started), masked: Some(false) };
        p.tasks.push(Step::new(&format!("{timer} on (unmasked)"), Module::Systemd(unit)).task());
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;
    use crate::verify::shape::check_one;

    #[test]
    fn lines_outside_the_apt_syntax_pynoc_writes_are_caught() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        let conf = |body: &str| check_one(Kind::Updates, &format!("{h}{body}\n"));
        assert!(conf("APT::Periodic::Unattended-Upgrade \"1\";").is_empty());
        assert!(conf("#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern {\n    \"origin=Debian,codename=${distro_codename}-security\";\n};").is_empty());
        for bad in [
            "#include /etc/shadow;",
            "APT::Periodic::Unattended-Upgrade \"1\"; Foo \"2\";",
            "Unattended-Upgrade::Mail \"a\"b\";",
            "Dpkg::Pre-Invoke { \"sh -c id\"; };",
            "APT::X \"a b\";",
        ] {
            assert!(!conf(bad).is_empty(), "{bad}");
        }
    }
}
