//! Diagnostics for machines: `--format json` and `--format sarif` (SARIF 2.1.0, for code
//! scanning UIs that show findings inline). Both carry, for each diagnostic, the spec file's
//! path and the 1-based line and column (in Unicode code points) of each label.

use serde_json::{Value, json};

use crate::codes::CATALOG;
use crate::diag::{Diagnostic, Label};

/// The output format of `check` and `build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Rendered for a terminal, on stderr.
    #[default]
    Human,
    /// One JSON document on stdout.
    Json,
    /// One SARIF 2.1.0 log on stdout.
    Sarif,
}

/// The diagnostics of one spec file.
pub struct FileReport<'a> {
    /// The spec's path as given on the command line, relative to where pynoc ran.
    pub path: &'a str,
    /// The spec's text (empty when the file could not be read).
    pub text: &'a str,
    pub diagnostics: &'a [Diagnostic],
    /// The findings the spec waived: kept in the document, marked as waived.
    pub waived: &'a [crate::waive::Waived],
}

/// A label's place in the text: 1-based lines and columns, the end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) start_line: usize,
    pub(crate) start_column: usize,
    pub(crate) end_line: usize,
    pub(crate) end_column: usize,
}

/// Where `offset..offset+len` (bytes) lies in `text`, clamped to the text. For one label;
/// a run over many builds one [`Lines`] per file.
pub(crate) fn region(text: &str, offset: usize, len: usize) -> Region {
    Lines::new(text).region(offset, len)
}

/// Where each line of a text starts: a label's line is found by binary search and its
/// column by counting within that line, so placing every diagnostic of a run takes time
/// linear in the text plus the labels, not their product.
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    pub(crate) fn region(&self, offset: usize, len: usize) -> Region {
        let (start_line, start_column) = self.line_col(offset);
        let (end_line, end_column) = self.line_col(offset.saturating_add(len));
        Region { start_line, start_column, end_line, end_column }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut at = offset.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        // The last line that starts at or before `at` (the first always starts at 0).
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        (line, self.text[start..at].chars().count() + 1)
    }
}

/// A file path as a relative URI reference: forward slashes, no `./`, reserved bytes
/// percent-encoded.
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.trim_start_matches("./");
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn severity(d: &Diagnostic) -> &'static str {
    if d.is_error() { "error" } else { "warning" }
}

fn json_label(lines: &Lines, l: &Label) -> Value {
    let r = lines.region(l.span.offset, l.span.len);
    json!({
        "label": l.text,
        "line": r.start_line,
        "column": r.start_column,
        "end_line": r.end_line,
        "end_column": r.end_column,
        "offset": l.span.offset,
        "length": l.span.len,
    })
}

fn json_diagnostic(lines: &Lines, d: &Diagnostic) -> Value {
    json!({
        "code": d.kind.code(),
        "name": d.kind.slug(),
        "severity": severity(d),
        "message": d.message,
        "help": d.help,
        "primary": d.primary.as_ref().map(|l| json_label(lines, l)),
        "secondary": d.secondary.iter().map(|l| json_label(lines, l)).collect::<Vec<_>>(),
    })
}

/// `--format json`: `{"files": [{"path", "ok", "diagnostics": [...], "waived": [...]}],
/// "errors", "warnings"}`; a waived finding has the waiver's `reason` and `until`.
pub fn json(files: &[FileReport]) -> String {
    let (mut errors, mut warnings) = (0, 0);
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let lines = Lines::new(f.text);
            let diags: Vec<Value> = f
                .diagnostics
                .iter()
                .map(|d| {
                    if d.is_error() {
                        errors += 1;
                    } else {
                        warnings += 1;
                    }
                    json_diagnostic(&lines, d)
                })
                .collect();
            let waived: Vec<Value> = f
                .waived
                .iter()
                .map(|w| {
                    let mut v = json_diagnostic(&lines, &w.finding);
                    v["reason"] = json!(w.reason);
                    v["until"] = json!(w.until);
                    v
                })
                .collect();
            json!({
                "path": f.path,
                "ok": !f.diagnostics.iter().any(Diagnostic::is_error),
                "diagnostics": diags,
                "waived": waived,
            })
        })
        .collect();
    let doc = json!({ "tool": "pynoc", "version": env!("CARGO_PKG_VERSION"), "files": files, "errors": errors, "warnings": warnings });
    let mut s = serde_json::to_string_pretty(&doc).expect("json serializes");
    s.push('\n');
    s
}

/// A relative path is relative to the checkout (`%SRCROOT%`); an absolute one is a file URI.
fn artifact_location(path: &str) -> Value {
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", uri(path)) })
    } else {
        json!({ "uri": uri(path), "uriBaseId": "%SRCROOT%" })
    }
}

fn sarif_location(path: &str, lines: &Lines, l: &Label, id: Option<usize>) -> Value {
    let r = lines.region(l.span.offset, l.span.len);
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": artifact_location(path),
            "region": {
                "startLine": r.start_line,
                "startColumn": r.start_column,
                "endLine": r.end_line,
                "endColumn": r.end_column,
            },
        },
        "message": { "text": l.text },
    });
    if let Some(id) = id {
        loc["id"] = json!(id);
    }
    loc
}

/// `--format sarif`: one run of pynoc with the whole rule catalog under `tool.driver.rules`.
pub fn sarif(files: &[FileReport]) -> String {
    let rules: Vec<Value> = CATALOG
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.slug,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.why },
                "help": { "text": match r.example {
                    Some(e) => format!("{}\n\nExample:\n{e}", r.fix),
                    None => r.fix.to_string(),
                } },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in files {
        let lines = Lines::new(f.text);
        let findings = f.diagnostics.iter().map(|d| (d, None)).chain(f.waived.iter().map(|w| (&w.finding, Some(w))));
        for (d, waiver) in findings {
            let index = CATALOG.iter().position(|r| r.kind == d.kind).expect("every kind is in the catalog");
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!(" (help: {h})"));
            }
            let mut result = json!({
                "ruleId": d.kind.code(),
                "ruleIndex": index,
                "level": severity(d),
                "message": { "text": text },
            });
            if let Some(p) = &d.primary {
                result["locations"] = json!([sarif_location(f.path, &lines, p, None)]);
            } else {
                result["locations"] = json!([{
                    "physicalLocation": { "artifactLocation": artifact_location(f.path) }
                }]);
            }
            if !d.secondary.is_empty() {
                result["relatedLocations"] = Value::Array(
                    d.secondary
                        .iter()
                        .enumerate()
                        .map(|(i, l)| sarif_location(f.path, &lines, l, Some(i + 1)))
                        .collect(),
                );
            }
            if let Some(w) = waiver {
                // SARIF 2.1.0 §3.35: a suppressed result, with the waiver's reason and expiry.
                let mut suppression = json!({ "kind": "inSource", "status": "accepted", "justification": w.reason });
                if let Some(until) = &w.until {
                    suppression["properties"] = json!({ "until": until });
                }
                result["suppressions"] = json!([suppression]);
            }
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "pynoc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("sarif serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_count_lines_and_code_points() {
        let t = "ab\nçd ef\n";
        assert_eq!(region(t, 0, 2), Region { start_line: 1, start_column: 1, end_line: 1, end_column: 3 });
        // `ç` is two bytes, one code point: `e` is the fourth column.
        let e = t.find('e').unwrap();
        assert_eq!(region(t, e, 2), Region { start_line: 2, start_column: 4, end_line: 2, end_column: 6 });
        assert_eq!(region(t, 1000, 3).start_line, 3);
        // A newline belongs to the line it ends; the byte after it starts the next.
        assert_eq!((region(t, 2, 0).start_line, region(t, 2, 0).start_column), (1, 3));
        assert_eq!((region(t, 3, 0).start_line, region(t, 3, 0).start_column), (2, 1));
        // Inside `ç`: the character it is part of.
        assert_eq!(region(t, 4, 0).start_column, 1);
        // One index answers like a scan from the start, for every offset.
        let scan = |at: usize| {
            let at = (0..=at.min(t.len())).rev().find(|&i| t.is_char_boundary(i)).unwrap();
            let before = &t[..at];
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            (before.matches('\n').count() + 1, before[start..].chars().count() + 1)
        };
        let lines = Lines::new(t);
        for at in 0..=t.len() + 1 {
            let r = lines.region(at, 1);
            assert_eq!((r.start_line, r.start_column), scan(at), "offset {at}");
        }
    }

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri("./infra/spec.kdl"), "infra/spec.kdl");
        assert_eq!(uri("a b#c.kdl"), "a%20b%23c.kdl");
        assert_eq!(artifact_location("/srv/spec.kdl")["uri"], "file:///srv/spec.kdl");
        assert_eq!(artifact_location("spec.kdl")["uriBaseId"], "%SRCROOT%");
    }
}
