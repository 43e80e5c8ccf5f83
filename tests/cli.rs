//! The command line: exit codes, nothing written on error, atomic and complete output.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{example, pynoc, root, strict, tree};

const BAD: &str = "pynoc 1\nproject demo\nhost {\n    ssh {\n        port 70000\n    }\n}\n";

#[test]
fn check_accepts_the_example_and_writes_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    pynoc().arg("check").arg(example()).cwd(cwd.path()).run().expect(0);
    assert!(tree(cwd.path()).is_empty());
}

#[test]
fn check_rejects_a_bad_spec_with_a_located_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.kdl");
    fs::write(&spec, BAD).unwrap();
    let r = pynoc().arg("check").arg(&spec).run().expect(1);
    let err = r.stderr();
    assert!(err.contains("pynoc::E006::out-of-range"), "{err}");
    assert!(err.contains("bad.kdl:5:14"), "{err}");
    assert!(err.contains("help:"), "{err}");
    assert!(!err.contains('\u{1b}'), "NO_COLOR output has escape codes: {err}");
}

#[test]
fn build_writes_every_artifact_and_a_true_manifest() {
    let out = tempfile::tempdir().unwrap();
    pynoc().arg("build").arg(example()).arg("-o").arg(out.path()).run().expect(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("manifest.json")).unwrap()).unwrap();
    let arts = manifest["artifacts"].as_array().unwrap();
    let mut paths: Vec<&str> = arts.iter().map(|a| a["path"].as_str().unwrap()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "container/.dockerignore",
            "container/.gitignore",
            "container/Dockerfile",
            "container/docker-compose.yml",
            "container/postgres-apply.sh",
            "container/prepare.sh",
            "deploy/inventory.ini",
            "deploy/site.yml",
            "host/aide.conf",
            "host/apparmor-grub.cfg",
            "host/audit.rules",
            "host/faillock.conf",
            "host/fstab",
            "host/ip6tables.rules",
            "host/iptables.rules",
            "host/issue",
            "host/issue.net",
            "host/jail.local",
            "host/journald.conf",
            "host/limits.conf",
            "host/login.defs",
            "host/modprobe.conf",
            "host/motd",
            "host/nftables.conf",
            "host/pam-profile",
            "host/profile.sh",
            "host/pwquality.conf",
            "host/sshd_config",
            "host/sudoers",
            "host/sysctl.conf",
            "host/timesyncd.conf",
            "host/ufw.sh",
            "host/unattended-upgrades.conf",
            "nginx/nginx.conf",
            "postgres/pg_hba.conf",
            "postgres/postgresql-security.sql",
            "systemd/fail2ban.service.conf",
            "systemd/nginx.service.conf"
        ]
    );
    for a in arts {
        let file = out.path().join(a["path"].as_str().unwrap());
        let bytes = fs::read(&file).unwrap();
        assert_eq!(a["sha256"].as_str().unwrap(), pynoc::sha256_hex(&bytes), "{}", file.display());
        let install = a["install"].as_str().unwrap();
        assert!(install.starts_with('/') || install.starts_with("./"), "{install}");
        assert!(!a["apply"].as_str().unwrap().is_empty());
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        if a["mode"] == "0755" {
            assert_eq!(mode & 0o111, 0o111, "{} should be executable", file.display());
        }
    }
    // Exactly the manifest's files and the manifest: nothing else, nothing outside.
    assert_eq!(tree(out.path()).len(), arts.len() + 1);
}

#[test]
fn build_with_errors_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.kdl");
    fs::write(&spec, BAD).unwrap();
    let out = dir.path().join("out");
    let r = pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(1);
    assert!(r.stderr().contains("nothing was written"));
    assert!(!out.exists());
}

#[test]
fn build_with_errors_leaves_an_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let before = tree(&out);
    let spec = dir.path().join("bad.kdl");
    fs::write(&spec, BAD).unwrap();
    pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(1);
    assert_eq!(tree(&out), before);
}

#[test]
fn build_check_reports_a_stale_output_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    pynoc().args(["build", "--check"]).arg(example()).arg("-o").arg(&out).run().expect(0);
    let sshd = out.join("host/sshd_config");
    let edited = fs::read_to_string(&sshd).unwrap().replace("PermitRootLogin no", "PermitRootLogin yes");
    fs::write(&sshd, edited).unwrap();
    let before = tree(&out);
    let r = pynoc().args(["build", "--check"]).arg(example()).arg("-o").arg(&out).run().expect(1);
    assert!(
        r.stdout().contains("-PermitRootLogin yes") && r.stdout().contains("+PermitRootLogin no"),
        "{}",
        r.stdout()
    );
    assert_eq!(tree(&out), before, "--check must not write");
}

#[test]
fn rebuilding_removes_artifacts_the_spec_no_longer_produces() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let text = fs::read_to_string(example()).unwrap();
    let start = text.find("    fstab {").unwrap();
    let end = start + text[start..].find("\n    }\n").unwrap() + 7;
    let smaller = dir.path().join("spec.kdl");
    fs::write(&smaller, format!("{}{}", &text[..start], &text[end..])).unwrap();
    pynoc().arg("build").arg(&smaller).arg("-o").arg(&out).run().expect(0);
    assert!(!out.join("host/fstab").exists());
    assert!(out.join("host/sshd_config").exists());
}

#[test]
fn usage_and_io_errors_exit_2() {
    pynoc().run().expect(2);
    pynoc().arg("frobnicate").run().expect(2);
    pynoc().arg("check").arg("/nonexistent/spec.kdl").run().expect(2);
    let empty = tempfile::tempdir().unwrap();
    pynoc().arg("verify").arg(empty.path()).run().expect(2);
}

#[test]
fn schema_file_matches_the_model() {
    let r = pynoc().args(["schema", "--ir"]).run().expect(0);
    let file = fs::read_to_string(root().join("schema/ir.schema.json")).unwrap();
    assert!(
        r.stdout() == file,
        "schema/ir.schema.json is stale: run `cargo run -- schema --ir > schema/ir.schema.json`"
    );
    let json: serde_json::Value = serde_json::from_str(&file).unwrap();
    assert_eq!(json["title"], "Spec");
    assert!(json["$defs"]["FirewallRule"]["properties"]["proto"].is_object());
}

#[test]
fn verify_fails_a_hand_edited_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let f = out.join("host/fstab");
    let mut text = fs::read_to_string(&f).unwrap();
    text.push_str("tmpfs /home tmpfs defaults 0 0\n");
    fs::write(&f, text).unwrap();
    let r = pynoc().arg("verify").arg(&out).run().expect(1);
    assert!(r.stdout().contains("FAIL fstab:") && r.stdout().contains("sha256"), "{}", r.stdout());
}

#[test]
fn check_takes_many_specs_and_exits_with_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.kdl");
    fs::write(&bad, BAD).unwrap();
    let everything = root().join("examples/everything/spec.kdl");
    // Every spec is checked and reported, whatever its place in the list.
    let r = pynoc().arg("check").arg(&bad).arg(example()).arg(&everything).run().expect(1);
    assert!(r.stderr().contains("bad.kdl:5:14"), "{}", r.stderr());
    assert!(r.stderr().contains("examples/pynomaly/spec.kdl: ok"), "{}", r.stderr());
    assert!(r.stderr().contains("examples/everything/spec.kdl: ok"), "{}", r.stderr());
    pynoc().arg("check").arg(example()).arg(&everything).run().expect(0);
    // A missing file is a usage error (2), worse than a spec error (1).
    pynoc().arg("check").arg(&bad).arg(dir.path().join("missing.kdl")).run().expect(2);
    pynoc().arg("check").run().expect(2);
}

#[test]
fn completions_and_the_manual_page() {
    for (shell, marker) in [("bash", "complete -F _pynoc"), ("zsh", "#compdef pynoc"), ("fish", "complete -c pynoc")] {
        let r = pynoc().args(["completions", shell]).run().expect(0);
        let out = r.stdout();
        assert!(out.contains(marker), "{shell}: {out}");
        for sub in ["build", "check", "verify", "schema"] {
            assert!(out.contains(sub), "{shell} completion lacks `{sub}`");
        }
    }
    pynoc().args(["completions", "tcsh"]).run().expect(2);
    let man = pynoc().arg("man").run().expect(0).stdout();
    assert!(man.contains(".TH pynoc 1") && man.contains(".SH SUBCOMMANDS") && man.contains("pynoc\\-build"), "{man}");
}

#[test]
fn init_writes_a_starter_that_builds_and_verifies_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("infra");
    pynoc().arg("init").arg(&project).run().expect(0);
    let spec = project.join("spec.kdl");
    let text = fs::read_to_string(&spec).unwrap();
    assert!(text.contains("CHANGE") && text.starts_with("// A starter spec"), "{text}");
    pynoc().arg("check").arg(&spec).run().expect(0);
    let out = dir.path().join("out");
    pynoc().arg("build").arg(&spec).arg("-o").arg(&out).run().expect(0);
    // Every artifact passes its consumer's tool (strict in CI: a SKIP fails there).
    let mut verify = pynoc().arg("verify").arg(&out);
    if strict() {
        verify = verify.arg("--strict");
    }
    let r = verify.run();
    assert_eq!(r.code(), 0, "{}{}", r.stdout(), r.stderr());
    assert!(!r.stdout().contains("FAIL"), "{}", r.stdout());
    // A second init keeps the user's spec, even through a link.
    fs::write(&spec, "pynoc 1\n// mine\n").unwrap();
    let r = pynoc().arg("init").arg(&project).run().expect(2);
    assert!(r.stderr().contains("already exists"), "{}", r.stderr());
    assert_eq!(fs::read_to_string(&spec).unwrap(), "pynoc 1\n// mine\n");
    let other = dir.path().join("other");
    fs::create_dir_all(&other).unwrap();
    std::os::unix::fs::symlink(dir.path().join("victim"), other.join("spec.kdl")).unwrap();
    pynoc().arg("init").arg(&other).run().expect(2);
    assert!(!dir.path().join("victim").exists());
}

/// A waived finding leaves the report and is repeated under the header of each artifact its
/// rule affects; warnings pass unless `--deny warnings`.
#[test]
fn waivers_are_repeated_and_warnings_can_be_denied() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let waived = root().join("tests/warn/waived.kdl");
    let r = pynoc().arg("build").arg(&waived).arg("-o").arg(&out).run().expect(0);
    assert!(r.stderr().contains("waived: E015 (lockout)"), "{}", r.stderr());
    for f in ["host/nftables.conf", "host/iptables.rules", "host/ufw.sh"] {
        let text = fs::read_to_string(out.join(f)).unwrap();
        let second = text.lines().nth(1).unwrap_or_default();
        let third = text.lines().nth(2).unwrap_or_default();
        assert!(
            [second, third].iter().any(|l| l.starts_with("# waived E015 (lockout) until 2099-12-31: ")
                && l.ends_with("(reason: console access only, until the bastion is up)")),
            "{f}:\n{text}"
        );
    }
    let sshd = fs::read_to_string(out.join("host/sshd_config")).unwrap();
    assert!(!sshd.contains("# waived E015"), "the lockout waiver is not repeated in sshd_config:\n{sshd}");

    let warned = root().join("tests/warn/audit-coverage.kdl");
    let r = pynoc().arg("check").arg(&warned).run().expect(0);
    assert!(r.stderr().contains("W002") && r.stderr().contains("W003"), "{}", r.stderr());
    let r = pynoc().args(["check", "--deny", "warnings"]).arg(&warned).run().expect(1);
    assert!(r.stderr().contains("`--deny warnings`"), "{}", r.stderr());
    let denied = dir.path().join("denied");
    pynoc().args(["build", "--deny", "warnings"]).arg(&warned).arg("-o").arg(&denied).run().expect(1);
    assert!(!denied.exists(), "nothing is written when warnings are denied");
}

/// `pynoc init`'s spec checks without a warning on either release, and its nginx follows the
/// release (it once pinned 1.22, and Debian 13's 1.26 got the deprecated `listen … http2`).
#[test]
fn the_starter_spec_is_clean_and_follows_the_release() {
    for release in ["debian-12", "debian-13"] {
        let text = pynoc::stdlib::STARTER.replacen("release=debian-12", &format!("release={release}"), 1);
        assert!(text.contains(&format!("release={release}")));
        let a = pynoc::analyze(&text, "spec.kdl").unwrap_or_else(|e| panic!("{release}: {:?}", e[0].message));
        let warned: Vec<String> = a.warnings.iter().map(|w| w.render(false)).collect();
        assert!(warned.is_empty(), "{release}: {warned:?}");
        let c = pynoc::compile(&text, "spec.kdl").unwrap();
        let nginx = &c.artifacts.iter().find(|x| x.name() == "nginx").unwrap().content;
        assert_eq!(nginx.contains("http2 on;"), release == "debian-13", "{release}");
    }
}
