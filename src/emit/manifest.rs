//! `manifest.json`: for every artifact its place in the output, its install path, owner,
//! mode, sha256, and the command that applies it on a host.

use serde::Serialize;

use super::Artifact;

#[derive(Serialize)]
struct Manifest<'a> {
    generator: String,
    spec: &'a str,
    spec_sha256: &'a str,
    /// The distribution release the files are for (stdlib/targets.toml).
    release: &'a str,
    artifacts: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    path: &'a str,
    install: &'a str,
    owner: &'a str,
    mode: &'a str,
    how: &'a str,
    sha256: String,
    apply: &'a str,
    /// Environment variables `apply` needs (passwords), set by whoever runs it.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    env: &'a [String],
}

pub fn render(arts: &[Artifact], spec: &str, spec_sha256: &str, release: &str) -> String {
    let m = Manifest {
        generator: format!("pynoc {}", env!("CARGO_PKG_VERSION")),
        spec,
        spec_sha256,
        release,
        artifacts: arts
            .iter()
            .map(|a| Entry {
                name: a.name,
                path: a.path,
                install: a.install,
                owner: a.owner,
                mode: a.mode,
                how: a.how,
                sha256: crate::sha256_hex(a.content.as_bytes()),
                apply: &a.apply,
                env: &a.env,
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&m).expect("manifest serializes");
    s.push('\n');
    s
}
