//! The output directory is hostile too (issue 9, item 9): a checkout may plant symlinks in
//! it or a manifest that lists files pynoc never wrote, and `-o` may name a system directory.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::{example, pynoc, tree};

fn build(out: &Path) -> common::Run {
    pynoc().arg("build").arg(example()).arg("-o").arg(out).run()
}

#[test]
fn a_symlinked_folder_inside_the_output_is_refused_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let (out, elsewhere) = (dir.path().join("out"), dir.path().join("elsewhere"));
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    symlink(&elsewhere, out.join("nginx")).unwrap();
    let r = build(&out).expect(2);
    assert!(r.stderr().contains("symlink"), "{}", r.stderr());
    assert!(tree(&elsewhere).is_empty(), "wrote through the link: {:?}", tree(&elsewhere));
}

#[test]
fn a_symlinked_artifact_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(&out).expect(0);
    let victim = dir.path().join("victim");
    fs::write(&victim, "precious\n").unwrap();
    fs::remove_file(out.join("host/sshd_config")).unwrap();
    symlink(&victim, out.join("host/sshd_config")).unwrap();
    let r = build(&out).expect(2);
    assert!(r.stderr().contains("symlink"), "{}", r.stderr());
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    // `build --check` does not read through it either (it would print the target in a diff).
    let r = pynoc().args(["build", "--check"]).arg(example()).arg("-o").arg(&out).run().expect(1);
    assert!(!r.stdout().contains("precious"), "{}", r.stdout());
    assert!(r.stdout().contains("symlink"), "{}", r.stdout());
}

/// Rewrites the manifest in `out` with `edit` applied to its artifact list.
fn edit_manifest(out: &Path, edit: impl FnOnce(&mut Vec<serde_json::Value>)) {
    let path = out.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(m["artifacts"].as_array_mut().unwrap());
    fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

/// A manifest entry of a kind pynoc writes, at `path` with `sha256`: every field typed, so
/// only the path and the hash are hostile.
fn entry(list: &[serde_json::Value], kind: &str, path: &str, sha256: &str) -> serde_json::Value {
    let mut e = list.iter().find(|e| e["name"] == kind).unwrap_or_else(|| panic!("no {kind} entry")).clone();
    e["path"] = path.into();
    e["sha256"] = sha256.into();
    e
}

#[test]
fn stale_removal_never_follows_a_link_and_never_leaves_the_owned_folders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(&out).expect(0);
    let outside = dir.path().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("victim"), "keep me\n").unwrap();
    symlink(&outside, out.join("old")).unwrap();
    fs::write(out.join("spec.kdl"), "pynoc 1\n").unwrap();
    fs::write(out.join("notes.txt"), "mine\n").unwrap();
    fs::write(out.join("host/notes.txt"), "mine\n").unwrap();
    let sha = |s: &str| pynoc::sha256_hex(s.as_bytes());
    edit_manifest(&out, |a| {
        for (path, content) in [
            ("old/victim", "keep me\n"),
            ("spec.kdl", "pynoc 1\n"),
            ("notes.txt", "mine\n"),
            ("manifest.json", ""),
            ("host/../notes.txt", "mine\n"),
            // Inside an owned folder, but not where pynoc writes a `sshd` artifact.
            ("host/notes.txt", "mine\n"),
        ] {
            let e = entry(a, "sshd", path, &sha(content));
            a.push(e);
        }
    });
    build(&out).expect(0);
    assert_eq!(fs::read_to_string(outside.join("victim")).unwrap(), "keep me\n");
    assert!(out.join("spec.kdl").exists() && out.join("notes.txt").exists() && out.join("manifest.json").exists());
    assert!(out.join("host/notes.txt").exists());
}

#[test]
fn a_hand_edited_stale_file_is_kept_with_a_warning_and_an_untouched_one_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(&out).expect(0);
    // The next build's spec has no nginx and no container: their files are stale, one of
    // them edited by hand since.
    fs::write(out.join("nginx/nginx.conf"), "edited by hand\n").unwrap();
    let small = dir.path().join("small.kdl");
    fs::write(&small, "pynoc 1\nproject demo\nhost {\n    ssh {\n        port 22\n    }\n}\n").unwrap();
    let r = pynoc().arg("build").arg(&small).arg("-o").arg(&out).run().expect(0);
    assert!(!out.join("container/Dockerfile").exists(), "{}", r.stdout());
    assert!(r.stdout().contains("removed") && r.stdout().contains("Dockerfile"), "{}", r.stdout());
    assert_eq!(fs::read_to_string(out.join("nginx/nginx.conf")).unwrap(), "edited by hand\n");
    assert!(r.stderr().contains("warning: kept") && r.stderr().contains("nginx.conf"), "{}", r.stderr());
}

/// A manifest the build cannot read (hand-edited, another tool's, a link) names no file to
/// remove: the stale files stay, and the build says why instead of keeping quiet.
#[test]
fn an_unreadable_earlier_manifest_is_a_warning_and_removes_nothing() {
    for (what, bad) in [("not JSON", "{ not json"), ("another shape", "{\"artifacts\": 3}"), ("empty", "")] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        build(&out).expect(0);
        fs::write(out.join("manifest.json"), bad).unwrap();
        let small = dir.path().join("small.kdl");
        fs::write(&small, "pynoc 1\nproject demo\nhost {\n    ssh {\n        port 22\n    }\n}\n").unwrap();
        let r = pynoc().arg("build").arg(&small).arg("-o").arg(&out).run().expect(0);
        assert!(out.join("container/Dockerfile").exists(), "{what}: a stale file was removed");
        assert!(!r.stdout().contains("removed"), "{what}: {}", r.stdout());
        assert!(
            r.stderr().contains("warning:") && r.stderr().contains("manifest.json could not be read"),
            "{what}: {}",
            r.stderr()
        );
        // The new manifest is this build's: the next build reads it again without a warning.
        let again = pynoc().arg("build").arg(&small).arg("-o").arg(&out).run().expect(0);
        assert!(!again.stderr().contains("could not be read"), "{what}: {}", again.stderr());
    }
}

#[test]
fn system_directories_are_refused_without_the_flag() {
    for dir in
        ["/", "/etc", "/etc/ssh", "/usr", "/usr/local/etc", "/boot", "/var/lib/pynoc-never", "/tmp", "/etc/../etc"]
    {
        let r = build(Path::new(dir)).expect(2);
        assert!(r.stderr().contains("--force-system-dir"), "{dir}: {}", r.stderr());
    }
    // A relative path that resolves into one is refused as well.
    let r =
        pynoc().arg("build").arg(example()).args(["-o", "../../../../../../../../etc"]).cwd(Path::new("/tmp")).run();
    assert_eq!(r.code(), 2, "{}", r.stderr());
    // A symlink to one too.
    let dir = tempfile::tempdir().unwrap();
    symlink("/etc", dir.path().join("out")).unwrap();
    build(&dir.path().join("out")).expect(2);
}

#[test]
fn the_flag_allows_a_system_directory_with_a_warning() {
    // The flag lets the build through to the file system, with a warning; /proc is used
    // because nothing can be written there, so the test cannot harm the machine.
    let r = pynoc().arg("build").arg(example()).args(["-o", "/proc/pynoc-never", "--force-system-dir"]).run();
    assert!(r.stderr().contains("warning: writing into the system directory /proc"), "{}", r.stderr());
    assert_eq!(r.code(), 2, "writing into /proc must fail as an I/O error: {}", r.stderr());
}

#[test]
fn verify_reads_no_link_and_no_path_outside_the_owned_folders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(&out).expect(0);
    let secret = dir.path().join("secret");
    fs::write(&secret, "the secret line\n").unwrap();
    let sha = pynoc::sha256_hex(b"the secret line\n");
    // A link in place of an artifact, with the manifest's sha256 forged to match its target;
    // and a manifest entry that climbs out of the output directory.
    fs::remove_file(out.join("host/fstab")).unwrap();
    symlink(&secret, out.join("host/fstab")).unwrap();
    edit_manifest(&out, |a| {
        for e in a.iter_mut() {
            if e["path"] == "host/fstab" {
                e["sha256"] = sha.clone().into();
            }
        }
        let e = entry(a, "sshd", "../secret", &sha);
        a.push(e);
    });
    let r = pynoc().arg("verify").arg(&out).run().expect(1);
    let text = format!("{}{}", r.stdout(), r.stderr());
    assert!(!text.contains("the secret line"), "{text}");
    assert!(text.contains("FAIL fstab:") && text.contains("symlink"), "{text}");
    assert!(text.contains("is not where pynoc writes the `sshd` artifact"), "{text}");
}
