//! ARCHITECTURE.md stays true: the artifact registry is the one place a kind is declared,
//! each kind is named in few Rust files (the recipe's count), and every path the map and the
//! recipes name exists.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The variants of `pub enum Kind` in src/artifact/mod.rs, as written.
fn kinds(text: &str) -> Vec<String> {
    let body = text.split("enum Kind {").nth(1).unwrap().split('}').next().unwrap();
    body.lines().map(str::trim).filter_map(|l| l.strip_suffix(',')).map(String::from).collect()
}

#[test]
fn every_kind_is_in_the_registry_list_and_named_in_at_most_five_rust_files() {
    let r = root();
    let registry = fs::read_to_string(r.join("src/artifact/mod.rs")).unwrap();
    let kinds = kinds(&registry);
    assert!(kinds.len() >= 20, "{kinds:?}");
    let all = registry.split("const ALL:").nth(1).unwrap().split("];").next().unwrap();
    let mut files = Vec::new();
    rust_files(&r.join("src"), &mut files);
    files.sort();
    for k in &kinds {
        let name = format!("Kind::{k}");
        assert!(all.contains(&format!("{name},")), "{name} is not in Kind::ALL");
        let naming: Vec<String> = files
            .iter()
            .filter(|f| {
                let text = fs::read_to_string(f).unwrap();
                text.match_indices(&name)
                    .any(|(i, _)| !text[i + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
            })
            .map(|f| f.strip_prefix(&r).unwrap().display().to_string())
            .collect();
        assert!(naming.iter().any(|f| f == "src/artifact/mod.rs"), "{name}: {naming:?}");
        assert!(naming.len() <= 5, "{name} is named in {} Rust files, the recipe allows 5: {naming:?}", naming.len());
    }
}

#[test]
fn every_path_the_architecture_names_exists() {
    let r = root();
    let text = fs::read_to_string(r.join("ARCHITECTURE.md")).unwrap();
    let mut named = 0;
    // `foo` and `CODE` are the recipes' placeholders.
    for span in text.split('`').skip(1).step_by(2) {
        let path = span.trim_end_matches('/');
        let looks_like_a_path = (path.starts_with("src/")
            || path.starts_with("stdlib/")
            || path.starts_with("tests/")
            || path.starts_with("schema/"))
            && !path.contains(['<', ' ', '*'])
            && !path.contains("foo")
            && !path.contains("CODE");
        if looks_like_a_path {
            named += 1;
            assert!(r.join(path).exists(), "ARCHITECTURE.md names `{span}`, which does not exist");
        }
    }
    assert!(named >= 20, "only {named} paths named");
}

/// The hand-written files that a host artifact lives in, traced through fstab (a section of
/// its own, a template, a checker): every file of `src/` that names it (`Fstab`, `fstab::`,
/// `mod fstab`) or is its own (`fstab.rs`), and its `stdlib/fstab/` folder. Generated files (goldens, the schema,
/// snapshots) and specs that merely use the section are not counted. The recipe in
/// ARCHITECTURE.md names each of them (with `foo` for `fstab`), and the count may only fall:
/// `LIMIT` is the issue's: 8.
#[test]
fn a_host_artifact_lives_in_the_files_the_recipe_names() {
    const LIMIT: usize = 8;
    let r = root();
    let mut files = Vec::new();
    rust_files(&r.join("src"), &mut files);
    let names = |text: &str| {
        ["Fstab", "fstab::", "mod fstab;"].iter().any(|n| {
            text.match_indices(n).any(|(i, m)| {
                let before = text[..i].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
                let after = text[i + m.len()..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
                before && (after || m.ends_with([':', ';']))
            })
        })
    };
    let mut used: Vec<String> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "fstab.rs") || names(&fs::read_to_string(f).unwrap()))
        .map(|f| f.strip_prefix(&r).unwrap().display().to_string())
        .collect();
    for e in fs::read_dir(r.join("stdlib/fstab")).unwrap().flatten() {
        used.push(format!("stdlib/fstab/{}", e.file_name().to_string_lossy()));
    }
    used.sort();
    let recipe = fs::read_to_string(r.join("ARCHITECTURE.md")).unwrap();
    let recipe = recipe.split("## Recipe: a new artifact").nth(1).unwrap().split("\n## ").next().unwrap();
    let unnamed: Vec<&String> = used
        .iter()
        .filter(|f| {
            let generic = f.replace("fstab.j2", "foo.conf.j2").replace("fstab", "foo");
            !recipe.contains(&format!("`{generic}`"))
        })
        .collect();
    assert!(unnamed.is_empty(), "the recipe does not name {unnamed:?} (all: {used:?})");
    assert!(used.len() <= LIMIT, "a host artifact now takes {} files, more than {LIMIT}: {used:?}", used.len());
    assert!(recipe.contains(&format!("{} files", used.len())), "the recipe must state the count, {}", used.len());
}
