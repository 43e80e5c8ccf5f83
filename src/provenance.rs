//! Provenance for reviewers: which spec lines produced a line of a generated file, or which
//! stdlib default it comes from. `pynoc explain out/nginx/nginx.conf:42`.
//!
//! The map is recomputed from the spec, not stored: the artifact is compiled again (and must
//! equal the file on disk), then each spec node of the sections that feed the artifact is
//! scored against the line by the values and names it sets. A line no node accounts for is
//! traced to the stdlib: a fixed line of the artifact's template, or a key of a catalog.

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};

use crate::artifact::Kind;
use crate::ast::{Node, Span, Value};
use crate::diag::Diags;

/// Where a generated line comes from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Spec nodes whose values or names the line carries, best first.
    Spec(Vec<Span>),
    /// The generated-file header.
    Header,
    /// A fixed line of a stdlib template.
    Template { file: &'static str, line: usize },
    /// A default from a stdlib catalog (`key` found at `line` of `file`).
    Catalog { file: &'static str, line: usize, key: String },
    /// Rendered from the spec model as a whole (a blank line, a closing brace, a computed
    /// list); the spec's sections that feed the artifact.
    Computed { sections: &'static [&'static str] },
}

/// The nodes under `path` (`host/ssh`: every `ssh` child of a top-level `host`), leaves first.
fn nodes_under<'a>(doc: &'a [Node], path: &str, out: &mut Vec<&'a Node>) {
    let (head, rest) = path.split_once('/').unwrap_or((path, ""));
    for n in doc.iter().filter(|n| n.name() == head) {
        if rest.is_empty() {
            walk(n, out);
        } else {
            nodes_under(n.children(), rest, out);
        }
    }
}

fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    for c in n.children() {
        walk(c, out);
    }
    out.push(n);
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(_) | Value::Null => None,
    }
}

/// Lowercase letters and digits only: `permit-root-login` and `PermitRootLogin` meet.
fn squash(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn tokens(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || "\"'`;=,(){}[]<>".contains(c)).filter(|t| !t.is_empty()).collect()
}

/// How strongly `node` accounts for `line`: two points per value the line carries as a
/// token (or, for values of several words, as a substring), one per property name it spells,
/// two for the node's own name.
fn score(node: &Node, line: &str, toks: &[&str]) -> usize {
    let squashed_toks: Vec<String> = toks.iter().map(|t| squash(t)).collect();
    let carries = |v: &str| {
        if v.chars().count() < 2 {
            return false;
        }
        if v.contains(char::is_whitespace) || v.contains(';') {
            line.contains(v)
        } else {
            toks.iter().any(|t| {
                *t == v || t.split([':', '/']).any(|p| p == v) || (v.contains('/') && v.len() >= 4 && t.ends_with(v))
            })
        }
    };
    let spells = |name: &str| {
        let n = squash(name);
        n.len() >= 4 && squashed_toks.iter().any(|t| *t == n || (n.len() >= 8 && t.contains(&n)))
    };
    let mut s = 0;
    for a in &node.args {
        if value_text(&a.value).is_some_and(|v| carries(&v)) {
            s += 2;
        }
    }
    for p in &node.props {
        if value_text(&p.value.value).is_some_and(|v| carries(&v)) {
            s += 2;
        }
        if spells(&p.name.value) {
            s += 1;
        }
    }
    if (s > 0 || node.children.is_none()) && spells(node.name()) {
        s += 2;
    }
    s
}

/// The span of the `image` node whose files `artifact` is (a Dockerfile or an ignore file):
/// the first image for the kind's own path, the image it is named by for another.
fn image_of(nodes: &[Node], kind: Kind, artifact: &str) -> Option<crate::ast::Span> {
    if !matches!(kind, Kind::Dockerfile | Kind::Dockerignore) {
        return None;
    }
    let images: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.name() == "container")
        .flat_map(|c| c.children().iter().filter(|i| i.name() == "image"))
        .collect();
    let name = |n: &Node| match n.args.first().map(|a| &a.value) {
        Some(crate::ast::Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let found = if artifact == kind.desc().path {
        images.first().copied()
    } else {
        images.into_iter().find(|i| kind.instance_path(&name(i)).as_deref() == Some(artifact))
    };
    found.map(|n| n.span)
}

/// Traces `line` (1-based) of the artifact at `artifact` (its path in the output directory)
/// compiled from `text`. `generated` is the artifact's content.
pub(crate) fn trace(text: &str, artifact: &str, generated: &str, line: usize) -> Result<Source, String> {
    let Some(content) = generated.lines().nth(line.wrapping_sub(1)) else {
        return Err(format!("{artifact} has {} lines; there is no line {line}", generated.lines().count()));
    };
    let d = Diags::default();
    let doc = crate::parse::parse(text, &d).ok_or("the spec does not parse; run `pynoc check` on it")?;
    if content.contains("generated by pynoc") && line <= 3 {
        return Ok(Source::Header);
    }
    let kind = Kind::from_path(artifact).ok_or_else(|| format!("{artifact} is not a file pynoc writes"))?;
    let (secs, by) = (kind.desc().sections, kind.desc().source);
    let trimmed = content.trim();
    if let Some((file, body)) = crate::stdlib::TEMPLATES.iter().find(|(f, _)| *f == by)
        && !trimmed.is_empty()
        && let Some(i) = body.lines().position(|l| l.trim() == trimmed && !l.contains("{{") && !l.contains("{%"))
    {
        return Ok(Source::Template { file, line: i + 1 });
    }
    if let Some(spans) = derived(&doc.nodes, kind, trimmed) {
        return Ok(Source::Spec(spans));
    }
    let toks = tokens(content);
    let mut scored: Vec<(usize, usize, &Node)> = Vec::new();
    let mut order = 0;
    let within = image_of(&doc.nodes, kind, artifact);
    for sec in secs {
        let mut nodes = Vec::new();
        nodes_under(&doc.nodes, sec, &mut nodes);
        // An image's files come from that image's node only.
        nodes.retain(|n| within.is_none_or(|w| n.span.offset >= w.offset && n.span.offset < w.offset + w.len));
        for n in nodes {
            let s = score(n, content, &toks);
            if s >= 2 && !scored.iter().any(|(_, _, m)| std::ptr::eq(*m, n)) {
                scored.push((s, order, n));
                order += 1;
            }
        }
    }
    if !scored.is_empty() {
        // Highest score first; among equals, the earlier section and the innermost node.
        scored.sort_by_key(|(s, o, _)| (std::cmp::Reverse(*s), *o));
        let best = scored[0].0;
        let spans = scored.iter().filter(|(s, _, _)| *s == best).map(|(_, _, n)| n.span).take(3).collect();
        return Ok(Source::Spec(spans));
    }
    let dir = by.split('/').next().unwrap_or("");
    for (file, body) in crate::stdlib::DATA.iter().filter(|(f, _)| {
        f.starts_with(dir) || (dir == "ufw" || dir == "iptables" || dir == "nftables") && f.starts_with("firewall/")
    }) {
        for tok in toks.iter().filter(|t| t.len() >= 4 && t.chars().any(|c| c.is_ascii_alphabetic())) {
            if let Some(i) = body.lines().position(|l| {
                let l = l.trim_start();
                !l.starts_with('#')
                    && (l.starts_with(tok) || l.starts_with(&format!("\"{tok}\"")) || l.contains(&format!("\"{tok}\"")))
            }) {
                return Ok(Source::Catalog { file, line: i + 1, key: tok.to_string() });
            }
        }
    }
    Ok(Source::Computed { sections: secs })
}

/// Lines that no single value of the spec carries but that a few nodes decide together: the
/// artifact, how the line starts, and the nodes (a path as in [`nodes_under`], `[prop]` for
/// only the nodes that have that property; the node itself, not its children).
const DERIVED: &[(Kind, &str, &[&str])] = &[
    // The TLS profile's key exchange groups, and what the release's OpenSSL has.
    (Kind::Nginx, "ssl_ecdh_curve", &["nginx/site/tls", "host[release]"]),
    (Kind::Nginx, "http2", &["host[release]", "nginx[version]"]),
    (Kind::Nginx, "listen 443", &["nginx/site/tls", "host[release]", "nginx[version]"]),
    // The catch-all of a site without `location "/"`.
    (Kind::Nginx, "location / {", &["nginx/site"]),
    (Kind::Nginx, "return 404", &["nginx/site"]),
    // The database's command line: the `postgres` section run by the `database=` service.
    (Kind::Compose, "- postgres", &["container/compose/service[database]", "postgres"]),
    (Kind::Compose, "- -c", &["container/compose/service[database]", "postgres"]),
    (Kind::Compose, "- hba_file=", &["postgres/hba", "container/compose/service[database]"]),
    (Kind::Compose, "- ssl", &["postgres/ssl", "container/compose/service[database]"]),
    (Kind::Compose, "- shared_preload_libraries", &["postgres/pgaudit", "postgres"]),
    (Kind::PostgresSql, "ALTER SYSTEM SET \"ssl\"", &["postgres/ssl"]),
];

/// The nodes of a [`DERIVED`] rule that matches `line`, when the spec has any.
fn derived(doc: &[Node], kind: Kind, line: &str) -> Option<Vec<Span>> {
    let (_, _, paths) = DERIVED.iter().find(|(k, start, _)| *k == kind && line.starts_with(start))?;
    let mut spans = Vec::new();
    for path in *paths {
        let (path, prop) = match path.split_once('[') {
            Some((p, rest)) => (p, Some(rest.trim_end_matches(']'))),
            None => (*path, None),
        };
        let mut nodes = Vec::new();
        heads(doc, path, &mut nodes);
        for n in nodes.into_iter().filter(|n| prop.is_none_or(|p| n.props.iter().any(|x| x.name.value == p))) {
            if spans.len() < 3 {
                spans.push(n.span);
            }
        }
    }
    (!spans.is_empty()).then_some(spans)
}

/// The nodes at exactly `path` (`nginx/site`: every `site` of the top-level `nginx`).
fn heads<'a>(doc: &'a [Node], path: &str, out: &mut Vec<&'a Node>) {
    let (head, rest) = path.split_once('/').unwrap_or((path, ""));
    for n in doc.iter().filter(|n| n.name() == head) {
        if rest.is_empty() {
            out.push(n);
        } else {
            heads(n.children(), rest, out);
        }
    }
}

/// Finds the output directory (the nearest ancestor with manifest.json) and the spec that
/// built it, recompiles, and explains `line` of `file`.
pub fn explain_line(file: &Utf8Path, line: usize, spec: Option<&Utf8Path>) -> Result<String, String> {
    let abs = Utf8PathBuf::from_path_buf(std::path::absolute(file).map_err(|e| format!("{file}: {e}"))?)
        .map_err(|p| format!("{} is not UTF-8", p.display()))?;
    let out = abs.ancestors().skip(1).find(|d| d.join("manifest.json").is_file()).ok_or_else(|| {
        format!("{file} is not inside a directory written by `pynoc build` (no manifest.json above it)")
    })?;
    let rel = abs.strip_prefix(out).map_err(|_| format!("{file} is outside {out}"))?.as_str().replace('\\', "/");
    let manifest: serde_json::Value = std::fs::read_to_string(out.join("manifest.json"))
        .ok()
        .and_then(|m| serde_json::from_str(&m).ok())
        .ok_or_else(|| format!("{out}/manifest.json cannot be read as JSON"))?;
    let spec_name = manifest["spec"].as_str().unwrap_or("spec.kdl");
    let shown_out = file.ancestors().nth(rel.split('/').count()).filter(|p| !p.as_str().is_empty());
    let spec_path = match spec {
        Some(s) => s.to_path_buf(),
        None => [
            shown_out.and_then(Utf8Path::parent).map(|p| p.join(spec_name)),
            Some(Utf8PathBuf::from(spec_name)),
            out.parent().map(|p| p.join(spec_name)),
        ]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .ok_or_else(|| format!("cannot find {spec_name}, the spec that built {out}; name it with --spec"))?,
    };
    // The spec's name comes from a manifest that may be hostile: read it as any spec is
    // read (a regular file on an ordinary file system, within the size limit).
    let bytes = crate::input::read_spec(&spec_path).map_err(|e| format!("cannot read {spec_path}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{spec_path} is not UTF-8"))?;
    let name = spec_path.file_name().unwrap_or("spec.kdl");
    let compiled =
        crate::compile(&text, name).map_err(|_| format!("{spec_path} has errors; run `pynoc check {spec_path}`"))?;
    let art = compiled
        .artifacts
        .iter()
        .find(|a| a.path() == rel)
        .ok_or_else(|| format!("{rel} is not an artifact that {spec_path} compiles to"))?;
    let on_disk = std::fs::read_to_string(&abs).map_err(|e| format!("cannot read {file}: {e}"))?;
    if on_disk != art.content {
        return Err(format!(
            "{file} differs from what {spec_path} compiles to; rebuild it first (`pynoc build --check`)"
        ));
    }
    let source = trace(&text, &rel, &art.content, line)?;
    Ok(render(file.as_str(), line, art.content.lines().nth(line - 1).unwrap_or(""), spec_path.as_str(), &text, &source))
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let r = crate::report::region(text, offset, 0);
    (r.start_line, r.start_column)
}

pub(crate) fn render(file: &str, line: usize, content: &str, spec_path: &str, text: &str, source: &Source) -> String {
    let mut s = format!("{file}:{line}: {}\n", content.trim_end());
    match source {
        Source::Header => {
            s.push_str("  the generated-file header: it names the generator and the spec, nothing else\n")
        }
        Source::Template { file, line } => {
            let _ = writeln!(s, "  a fixed line of the template stdlib/{file}:{line}, the same for every spec");
        }
        Source::Catalog { file, line, key } => {
            let _ = writeln!(s, "  a default: `{key}` from stdlib/{file}:{line}");
        }
        Source::Computed { sections } => {
            let names: Vec<String> = sections.iter().map(|s| format!("`{}`", s.replace('/', " "))).collect();
            let _ = writeln!(
                s,
                "  computed from the spec's {} as a whole; no single spec line sets it",
                if names.is_empty() { "sections".to_string() } else { names.join(", ") }
            );
        }
        Source::Spec(spans) => {
            for span in spans {
                let (l, c) = line_col(text, span.offset);
                let first = text.lines().nth(l - 1).unwrap_or("");
                let width = first
                    .chars()
                    .count()
                    .saturating_sub(c - 1)
                    .min(text[span.offset..].chars().take_while(|ch| *ch != '\n').count())
                    .max(1);
                let _ = writeln!(s, "  from {spec_path}:{l}:{c}");
                let gutter = l.to_string().len();
                let _ = writeln!(s, "  {:gutter$} |", "");
                let _ = writeln!(s, "  {l} | {first}");
                let _ = writeln!(s, "  {:gutter$} | {}{}", "", " ".repeat(c - 1), "^".repeat(width));
            }
        }
    }
    s
}
