//! `manifest.json`: for every artifact its place in the output, its install path, owner,
//! mode, sha256, and the command that applies it on a host. One typed struct, written by
//! `build` and read back by `build` (the files it wrote before) and `verify`.

use serde::{Deserialize, Serialize};

use super::Artifact;
use crate::artifact::{How, Kind, Mode};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) generator: String,
    pub(crate) spec: String,
    pub(crate) spec_sha256: String,
    /// The distribution release the files are for (stdlib/targets.toml).
    pub(crate) release: String,
    /// Where the spec's PostgreSQL runs, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database: Option<crate::ir::Place>,
    pub(crate) artifacts: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) name: Kind,
    pub(crate) path: String,
    pub(crate) install: String,
    pub(crate) owner: String,
    pub(crate) mode: Mode,
    pub(crate) how: How,
    pub(crate) sha256: String,
    pub(crate) apply: String,
    /// Environment variables `apply` needs (passwords), set by whoever runs it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) env: Vec<String>,
}

impl Manifest {
    pub(crate) fn new(arts: &[Artifact], spec: &str, spec_sha256: &str, ir: &crate::ir::Spec) -> Manifest {
        Manifest {
            generator: format!("pynoc {}", env!("CARGO_PKG_VERSION")),
            spec: spec.into(),
            spec_sha256: spec_sha256.into(),
            release: ir.release.clone(),
            database: ir.postgres.as_ref().map(|p| p.place.clone()),
            artifacts: arts
                .iter()
                .map(|a| {
                    let d = a.desc();
                    Entry {
                        name: a.kind,
                        path: a.path().into_owned(),
                        install: a.install_path().into_owned(),
                        owner: d.owner.into(),
                        mode: d.mode,
                        how: d.how,
                        sha256: crate::sha256_hex(a.content.as_bytes()),
                        apply: a.apply.clone(),
                        env: a.env.clone(),
                    }
                })
                .collect(),
        }
    }

    /// Pretty JSON with a final newline.
    pub(crate) fn render(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("manifest serializes");
        s.push('\n');
        s
    }

    /// A manifest read back: every field typed, every artifact one this pynoc writes.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
