//! `systemd/*.service.conf`: the sandbox drop-in of each service pynoc configures (nginx,
//! a host PostgreSQL, fail2ban), from `stdlib/systemd/sandbox.conf.j2`. The three kinds'
//! back half in one place, as the registry's [`super::Behaviour`] names it: the emitter, the
//! consumer's check (`systemd-analyze security --offline` on Debian's unit with the drop-in,
//! against the catalog's threshold), the shape and meaning rules, and the playbook's steps.

use std::process::Command;

use camino::Utf8Path;
use minijinja::{Environment, Error};

use super::Kind;
use crate::emit::ansible::{Command as Cmd, File, FileState, Module, Registered, Step, Task, plain};
use crate::emit::deploy::{Steps, guarded, root_dir};
use crate::emit::{Artifact, Context, render};
use crate::ir::{Daemon, Host, Spec};
use crate::syspaths::Place;
use crate::verify::shape::{code, placed};
use crate::verify::{Status, brief, need};

/// The kind that sandboxes `service`.
pub(crate) fn kind(service: Daemon) -> Kind {
    match service {
        Daemon::Nginx => Kind::NginxUnit,
        Daemon::Postgresql => Kind::PostgresUnit,
        Daemon::Fail2ban => Kind::Fail2banUnit,
    }
}

/// The drop-in, when the spec configures the service and keeps its sandbox.
pub(super) fn emit(env: &Environment, cx: &Context, service: Daemon) -> Result<Option<Artifact>, Error> {
    let Some(s) = cx.spec.sandboxes.iter().find(|s| s.service == service) else { return Ok(None) };
    let kind = kind(service);
    Ok(Some(Artifact {
        kind,
        instance: None,
        install: kind.install(cx.spec),
        apply: format!("systemctl daemon-reload && systemctl restart {}", instance(cx.spec, service)),
        env: vec![],
        content: render(env, cx, kind, "sandbox", s, &[])?,
    }))
}

/// The unit systemd runs for `service` on this spec's host: PostgreSQL's is its cluster's.
pub(crate) fn instance(spec: &Spec, service: Daemon) -> String {
    match service {
        Daemon::Nginx => "nginx.service".into(),
        Daemon::Fail2ban => "fail2ban.service".into(),
        Daemon::Postgresql => {
            format!("postgresql@{}-main.service", spec.postgres.as_ref().map_or(15, |p| p.version))
        }
    }
}

/// Debian's unit with the drop-in beside it in a scratch root: `systemd-analyze security
/// --offline` must parse every line without a complaint and score the unit at most the
/// catalog's threshold. The unit comes from this machine's package (nginx, postgresql-common,
/// fail2ban); without it the check says SKIP with the package to install.
pub(super) fn check(file: &Utf8Path, service: Daemon) -> Status {
    if let Err(s) = need(&["systemd-analyze"]) {
        return s;
    }
    let Some(cat) = crate::stdlib::sandbox().unit(service) else {
        return Status::Fail(format!("no sandbox of `{}` in the catalog", service.name()));
    };
    let Some(unit_file) = ["/usr/lib/systemd/system", "/lib/systemd/system"]
        .iter()
        .map(|d| std::path::Path::new(d).join(&cat.unit))
        .find(|p| p.is_file())
    else {
        return Status::Skip(format!("{} is not installed here (its Debian package ships it)", cat.unit));
    };
    match scored(file, &unit_file, &cat.unit, cat.threshold) {
        Ok(()) => Status::Pass,
        Err(why) => Status::Fail(why),
    }
}

fn scored(file: &Utf8Path, unit_file: &std::path::Path, unit: &str, threshold: f64) -> Result<(), String> {
    let root = tempfile::tempdir().map_err(|e| format!("no scratch root: {e}"))?;
    let units = root.path().join("usr/lib/systemd/system");
    let drop_ins = root.path().join(format!("etc/systemd/system/{unit}.d"));
    let io = |e: std::io::Error| format!("cannot lay out the scratch root: {e}");
    std::fs::create_dir_all(&units).map_err(io)?;
    std::fs::create_dir_all(&drop_ins).map_err(io)?;
    std::fs::copy(unit_file, units.join(unit)).map_err(io)?;
    std::fs::copy(file, drop_ins.join("50-pynoc-sandbox.conf")).map_err(io)?;
    // A template unit is scored as one of its instances.
    let name = unit.replace("@.", "@pynoc.");
    let tenths = (threshold * 10.0).round() as u32;
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager", &format!("--threshold={tenths}")])
        .arg(format!("--root={}", root.path().display()))
        .arg(&name)
        .output()
        .map_err(|e| format!("cannot run systemd-analyze: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Every complaint about a line of the drop-in (an unknown key, a value it cannot parse).
    let complaints: Vec<&str> = stderr.lines().filter(|l| l.contains("50-pynoc-sandbox.conf")).collect();
    if !complaints.is_empty() {
        return Err(format!("systemd reads the drop-in with complaints: {}", complaints.join(" | ")));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let overall = stdout.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_default().trim();
    if out.status.success() && !overall.is_empty() {
        Ok(())
    } else if overall.is_empty() {
        Err(format!("systemd-analyze security gave no score: {}", brief(&stderr)))
    } else {
        Err(format!("{overall}, above the threshold {threshold:.1}"))
    }
}

/// A line the drop-in may hold: one of the catalog's settings as written there, or the paths
/// and networks, values of printable ASCII with no `%` (a systemd specifier) and no `\` (an
/// escape or a continuation).
fn known(key: &str, value: &str) -> bool {
    let cat = crate::stdlib::sandbox();
    let printable = value.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !value.contains(['%', '\\']);
    match key {
        "ReadWritePaths" | "IPAddressAllow" => printable && !value.is_empty(),
        "IPAddressDeny" => value == "any",
        _ => {
            cat.common.iter().chain(cat.unit.iter().flat_map(|u| &u.settings)).any(|s| s.key == key && s.value == value)
        }
    }
}

/// `[Service]` and the lines [`known`] allows.
pub(super) fn lines(p: &mut Vec<String>, text: &str, _comment: &str) {
    for l in text.lines().filter(|l| !l.trim().is_empty() && code(l)) {
        if l == "[Service]" {
            continue;
        }
        let ok = l.split_once('=').is_some_and(|(k, v)| known(k, v));
        if !ok {
            p.push(format!("not a sandbox setting: {l:?}"));
        }
    }
}

/// What a root process may write under the sandbox: the catalog's directories, nginx's log
/// directories where nginx's logs may go, and ufw's rules for fail2ban's ufw action.
pub(super) fn meaning(p: &mut Vec<String>, text: &str) {
    let cat = crate::stdlib::sandbox();
    let fixed: Vec<&str> = cat.unit.iter().flat_map(|u| &u.read_write).map(String::as_str).collect();
    for l in text.lines().filter(|l| code(l)) {
        let Some(paths) = l.strip_prefix("ReadWritePaths=") else { continue };
        for path in paths.split_whitespace() {
            if fixed.contains(&path) || path == "/etc/ufw" {
                continue;
            }
            placed(p, Place::NginxLog, path);
        }
    }
}

/// The drop-in installed, systemd reloaded and the service restarted under it; when it does
/// not start, the previous state is put back and the run fails.
pub(crate) fn install(a: &Artifact, unit: &str) -> Vec<Task> {
    let dir = a.install.rsplit_once('/').map_or("/", |(d, _)| d);
    let restart = format!("systemctl daemon-reload && systemctl restart {unit} && systemctl is-active --quiet {unit}");
    let argv = |s: &str| vec![plain("sh"), plain("-c"), plain(s)];
    let undo = format!("systemctl daemon-reload && systemctl restart {unit}");
    vec![
        root_dir(&format!("a drop-in directory for {unit}"), dir),
        guarded(&format!("{unit} sandbox"), a, Registered::Sandbox, argv(&restart), argv(&undo)),
    ]
}

/// A service the spec leaves unsandboxed: a drop-in an earlier run installed is removed.
pub(crate) fn removed(kind: Kind, spec: &Spec, unit: &str) -> Vec<Task> {
    let gone = File {
        path: plain(kind.install(spec)),
        state: FileState::Absent,
        owner: None,
        group: None,
        mode: None,
        follow: None,
    };
    let restart = format!("systemctl daemon-reload && systemctl restart {unit}");
    vec![
        Step::new(&format!("no sandbox drop-in for {unit} (the spec leaves it out)"), Module::File(gone))
            .register(Registered::Sandbox)
            .task(),
        Step::new(&format!("{unit} restarted without it"), Cmd::argv(vec![plain("sh"), plain("-c"), plain(&restart)]))
            .when(Registered::Sandbox.cond("{var} is changed"))
            .task(),
    ]
}

/// fail2ban's, in the host play right after jail.local.
pub(super) fn steps(p: &mut Steps, a: &Artifact, _host: &Host) {
    p.tasks.extend(install(a, "fail2ban.service"));
}

#[cfg(test)]
mod tests {
    use super::{Daemon, Kind, check};
    use crate::verify::Status;
    use crate::verify::shape::check_one;

    /// `systemd-analyze security --offline` judges a drop-in: pynoc's for each service passes,
    /// an empty one (Debian's unit as shipped) is above every threshold, and a line systemd
    /// cannot read fails. A machine without systemd-analyze or a unit says SKIP, a failure in CI.
    #[test]
    fn systemd_scores_the_drop_ins_and_refuses_weak_or_unreadable_ones() {
        let dir = tempfile::tempdir().unwrap();
        let spec = include_str!("../../examples/ledger/spec.kdl");
        let c = crate::compile(spec, "spec.kdl").expect("the ledger compiles");
        for service in Daemon::ALL {
            let Some(a) = c.artifacts.iter().find(|a| a.kind == super::kind(service)) else {
                panic!("the ledger sandboxes {}", service.name())
            };
            let file = camino::Utf8PathBuf::from_path_buf(dir.path().join("drop-in.conf")).unwrap();
            let run = |text: &str| {
                std::fs::write(&file, text).unwrap();
                check(&file, service)
            };
            match run(&a.content) {
                Status::Skip(why) => {
                    assert!(std::env::var("CI").is_err(), "SKIP in CI: {why}");
                    eprintln!("SKIP {}: {why}", service.name());
                    return;
                }
                s => assert!(matches!(s, Status::Pass), "{}: {s:?}", service.name()),
            }
            let weak = run("[Service]\n");
            assert!(matches!(&weak, Status::Fail(w) if w.contains("above the threshold")), "{weak:?}");
            let bad = run(&format!("{}ProtectSystem=sometimes\n", a.content));
            assert!(matches!(&bad, Status::Fail(w) if w.contains("complaints")), "{bad:?}");
        }
    }

    /// The shape and meaning rules: only the catalog's keys, no specifier, writable paths
    /// only where the catalog or nginx's logs are.
    #[test]
    fn a_drop_in_outside_its_rules_is_caught() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n[Service]\n";
        let unit = |body: &str| check_one(Kind::NginxUnit, &format!("{h}{body}\n"));
        assert!(unit("ProtectSystem=strict").is_empty());
        assert!(unit("ReadWritePaths=/var/lib/nginx /var/log/nginx/site").is_empty());
        for bad in [
            "ExecStartPre=/bin/sh -c id",
            "ExecStop=/bin/sh -c id",
            "IPAddressAllow=10.0.0.0/8%i",
            "IPAddressDeny=",
            "ProtectSystem=strict %h",
            "ReadWritePaths=/etc",
            "ReadWritePaths=/var/log/nginx/../../etc",
            "ReadWritePaths=/var/lib/nginx /",
            "User=root\\",
            "[Install]",
        ] {
            assert!(!unit(bad).is_empty(), "{bad}");
        }
    }
}
