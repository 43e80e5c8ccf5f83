//! `pynoc fmt`: one canonical layout for a spec. Four spaces per level, one node per line,
//! properties in the order written, strings quoted only where KDL needs it, comments kept.
//! The layout is the `kdl` crate's autoformat; pynoc then parses the result again and refuses
//! it unless it means exactly what the input meant (same nodes, values and types, in order).

use std::sync::Arc;

use kdl::KdlDocument;
use miette::NamedSource;

use crate::ast::{Node, Value};
use crate::diag::{Diagnostic, Diags, Kind};

/// The formatted text of `text`, or the diagnostics that stop it: a syntax error, a
/// comment the layout cannot keep, or a spec it cannot lay out stably (formatting the
/// result again must change nothing; block comments are where the kdl crate's layout is
/// not stable, so they are refused up front).
pub fn format(text: &str, file_name: &str) -> Result<String, Vec<Diagnostic>> {
    let once = layout(text, file_name)?;
    let source = Arc::new(NamedSource::new(file_name, Arc::new(text.to_string())));
    let refuse = |at: crate::ast::Span, label: &str, help: &str| {
        vec![
            Diagnostic::new(Kind::Unsupported, "`pynoc fmt` cannot lay this spec out stably")
                .at(at, label.to_string())
                .help(help.to_string())
                .with_source(source.clone()),
        ]
    };
    if let Some((_, at)) = comments(text).into_iter().find(|(c, _)| c.starts_with("/*")) {
        return Err(refuse(at, "a block comment", "write it as `//` lines"));
    }
    match layout(&once, file_name) {
        Ok(twice) if twice == once => Ok(once),
        _ => {
            Err(refuse(crate::ast::Span { offset: 0, len: 0 }, "here", "please report the spec; it was left as it is"))
        }
    }
}

/// One pass of the layout.
fn layout(text: &str, file_name: &str) -> Result<String, Vec<Diagnostic>> {
    let source = Arc::new(NamedSource::new(file_name, Arc::new(text.to_string())));
    let with_source = |d: Diags| d.into_sorted().into_iter().map(|x| x.with_source(source.clone())).collect::<Vec<_>>();
    let d = Diags::default();
    let Some(before) = crate::parse::parse(text, &d) else {
        return Err(with_source(d));
    };
    let internal = |why: &str| {
        vec![
            Diagnostic::new(Kind::Internal, format!("internal error while formatting: {why}"))
                .help("this is a bug in pynoc; the spec was left as it is. Please report it with the spec"),
        ]
    };
    // pynoc's parser follows the KDL specification; the layout comes from the `kdl` crate,
    // which refuses a few valid spellings (a float whose digits overflow an i128, such as
    // `1000…0.5e2` with forty digits). Such a spec is valid, only not laid out: the value
    // is named, and the spec is left as it is.
    let mut doc = KdlDocument::parse_v2(text).map_err(|e| {
        let at = e.diagnostics.first().map_or(crate::ast::Span { offset: 0, len: 0 }, |x| crate::ast::Span {
            offset: x.span.offset(),
            len: x.span.len(),
        });
        vec![
            Diagnostic::new(Kind::Unsupported, "`pynoc fmt` cannot lay out this spelling of a value")
                .at(at, "valid KDL, but not read by the layout")
                .help("write the value in a shorter form (a number with fewer digits, as `1e46`); the spec was left as it is")
                .with_source(source.clone()),
        ]
    })?;
    let mut kept = Vec::new();
    terminators(&mut doc, &mut kept);
    doc.autoformat();
    let mut kept = kept.into_iter();
    restore(&mut doc, &mut kept, 0);
    escape(&mut doc, 0);
    let mut out = doc.to_string();
    // One newline at the end, none before the first node's leading comments.
    let trimmed = out.trim_end_matches(['\n', ' ']).len();
    out.truncate(trimmed);
    out.push('\n');
    // Every comment of the input is in the output; one the layout would drop is an error
    // at the comment, and the spec is left as it is.
    let have = comments(&out);
    let lost: Vec<Diagnostic> = comments(text)
        .into_iter()
        .filter(|(c, _)| !have.iter().any(|(h, _)| h == c))
        .map(|(_, at)| {
            Diagnostic::new(Kind::Unsupported, "`pynoc fmt` cannot keep this comment where it is")
                .at(at, "a comment inside a node")
                .help("move the comment onto a line of its own, above the node")
                .with_source(source.clone())
        })
        .collect();
    if !lost.is_empty() {
        return Err(lost);
    }
    let d = Diags::default();
    match crate::parse::parse(&out, &d) {
        Some(after) if same_nodes(&before.nodes, &after.nodes) => Ok(out),
        Some(_) => Err(internal("the formatted spec would mean something else")),
        None => Err(internal("the formatted spec does not parse")),
    }
}

/// What the layout would lose of a node: its end-of-line comment (`port 22 // why`), and
/// whether a blank line sets it apart from the node before (kept, one at most).
struct Kept {
    comment: Option<String>,
    blank: bool,
}

fn terminators(doc: &mut KdlDocument, kept: &mut Vec<Kept>) {
    for (i, node) in doc.nodes_mut().iter_mut().enumerate() {
        let comment = node.format().map(|f| f.terminator.trim()).filter(|t| t.starts_with("//")).map(String::from);
        let blank = i > 0
            && node.format().is_some_and(|f| {
                let before = &f.leading[..f.leading.find(|c: char| !c.is_whitespace()).unwrap_or(f.leading.len())];
                before.contains('\n')
            });
        kept.push(Kept { comment, blank });
        if let Some(children) = node.children_mut() {
            terminators(children, kept);
        }
    }
}

/// Puts the comments and blank lines back, in the same walk order, and indents the comments
/// after a block's last node as the nodes are.
fn restore(doc: &mut KdlDocument, kept: &mut impl Iterator<Item = Kept>, depth: usize) {
    if let Some(f) = doc.format_mut()
        && !f.trailing.trim().is_empty()
    {
        let indent = "    ".repeat(depth);
        let mut t: String =
            f.trailing.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| format!("{indent}{l}\n")).collect();
        t.push_str(&"    ".repeat(depth.saturating_sub(1)));
        f.trailing = t;
    }
    for node in doc.nodes_mut() {
        if let Some(k) = kept.next()
            && let Some(f) = node.format_mut()
        {
            if let Some(c) = k.comment {
                f.terminator = format!(" {c}\n");
            }
            if k.blank {
                f.leading.insert(0, '\n');
            }
        }
        if let Some(children) = node.children_mut() {
            restore(children, kept, depth + 1);
        }
    }
}

/// Whether KDL cannot hold `c` as itself in a quoted string (a newline of KDL's own, a
/// control or a disallowed code point), or a reader could not see it (bidirectional and
/// zero-width formatting): written as `\u{…}`. The `kdl` crate writes such characters as
/// they are, and U+2028 in a string then ends the line.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
        || crate::lower::validate::hidden_char(c)
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string of several lines (a banner's text) as a KDL multi-line string, each line indented
/// one step under its node at `depth`: when every line is plain text (no escape to write, no
/// backslash or `"""` a reader would take for one) and it does not end with a newline.
fn multi_line(s: &str, depth: usize) -> Option<String> {
    let plain = s.contains('\n')
        && !s.ends_with('\n')
        && !s.contains(['\\', '\r'])
        && !s.contains("\"\"\"")
        && !s.chars().any(|c| c != '\n' && needs_escape(c))
        // KDL reads a line of white space alone as an empty one.
        && !s.split('\n').any(|l| !l.is_empty() && l.trim().is_empty());
    if !plain {
        return None;
    }
    let indent = "    ".repeat(depth + 1);
    let mut out = String::from("\"\"\"\n");
    for line in s.split('\n') {
        if !line.is_empty() {
            out.push_str(&indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push_str(&indent);
    out.push_str("\"\"\"");
    Some(out)
}

/// Whether a string starts as a KDL number does with a sign, a dot and a digit (`-.8x`):
/// the `kdl` crate (6.7) writes it bare, and a reader then fails on it as a bad number.
fn looks_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b, [b'-' | b'+', b'.', d, ..] if d.is_ascii_digit())
}

/// Writes every name and string that holds a character of [`needs_escape`] with escapes, or
/// that [`looks_numeric`], quoted; a string of several plain lines as a multi-line string.
fn escape(doc: &mut KdlDocument, depth: usize) {
    let fix = |id: &mut kdl::KdlIdentifier| {
        if id.value().chars().any(needs_escape) || looks_numeric(id.value()) {
            let q = quoted(id.value());
            id.set_repr(q);
        }
    };
    for node in doc.nodes_mut() {
        fix(node.name_mut());
        if let Some(ty) = node.ty_mut() {
            fix(ty);
        }
        for e in node.entries_mut() {
            if let Some(name) = e.name_mut() {
                fix(name);
            }
            if let Some(ty) = e.ty_mut() {
                fix(ty);
            }
            if let kdl::KdlValue::String(s) = e.value()
                && (s.chars().any(needs_escape) || looks_numeric(s))
            {
                let value_repr = multi_line(s, depth).unwrap_or_else(|| quoted(s));
                let leading = e.format().map_or_else(|| " ".to_string(), |f| f.leading.clone());
                e.set_format(kdl::KdlEntryFormat { value_repr, leading, ..Default::default() });
            }
        }
        if let Some(children) = node.children_mut() {
            escape(children, depth + 1);
        }
    }
}

/// Every comment of a KDL text (`//…`, `/*…*/`, the `/-` marker), whitespace-normalised,
/// with where it starts; strings are skipped.
fn comments(text: &str) -> Vec<(String, crate::ast::Span)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
            out.push((text[i..end].split_whitespace().collect::<Vec<_>>().join(" "), span(i, end)));
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, i);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            out.push((text[i..j].split_whitespace().collect::<Vec<_>>().join(" "), span(i, j)));
            i = j;
        } else if b[i..].starts_with(b"/-") {
            out.push(("/-".into(), span(i, i + 2)));
            i += 2;
        } else if b[i] == b'#' || b[i] == b'"' {
            // A raw string `#"…"#` (any number of `#`) or a quoted one, single or multi-line.
            let hashes = b[i..].iter().take_while(|c| **c == b'#').count();
            let q = i + hashes;
            if q >= b.len() || b[q] != b'"' {
                i = q.max(i + 1);
                continue;
            }
            let triple = b[q..].starts_with(b"\"\"\"");
            let open = if triple { 3 } else { 1 };
            let close: Vec<u8> = std::iter::repeat_n(b'"', open).chain(std::iter::repeat_n(b'#', hashes)).collect();
            let mut j = q + open;
            while j < b.len() && !b[j..].starts_with(&close) {
                j += if hashes == 0 && b[j] == b'\\' { 2 } else { 1 };
            }
            i = (j + close.len()).min(b.len());
        } else {
            i += 1;
        }
    }
    out
}

fn span(start: usize, end: usize) -> crate::ast::Span {
    crate::ast::Span { offset: start, len: end - start }
}

/// The same nodes with the same names, values (and their types) and children, spans aside.
fn same_nodes(a: &[Node], b: &[Node]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name.value == y.name.value
                && x.args.len() == y.args.len()
                && x.args.iter().zip(&y.args).all(|(p, q)| same_value(&p.value, &q.value))
                && x.props.len() == y.props.len()
                && x.props
                    .iter()
                    .zip(&y.props)
                    .all(|(p, q)| p.name.value == q.name.value && same_value(&p.value.value, &q.value.value))
                && x.children.is_some() == y.children.is_some()
                && same_nodes(x.children(), y.children())
        })
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // The same bits: a float that prints differently must still be the same float.
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn layout_is_canonical_and_comments_stay() {
        let messy = "pynoc   1\n// the project\nproject \"demo\"   {\n  network \"internal\" \"10.0.0.0/8\" // trailing\n}\nhost {\nssh { port 22; x11-forwarding #false }\n}\n";
        let out = format(messy, "spec.kdl").unwrap();
        assert!(out.contains("// the project\n"), "{out}");
        assert!(out.contains("// trailing"), "{out}");
        assert!(out.contains("project demo {\n    network internal \"10.0.0.0/8\""), "{out}");
        assert!(out.contains("    ssh {\n        port 22\n        x11-forwarding #false\n    }"), "{out}");
        assert_eq!(format(&out, "spec.kdl").unwrap(), out, "idempotent");
    }

    #[test]
    fn characters_kdl_cannot_hold_are_escaped() {
        let text = "pynoc 1\nnode \"a\\u{2028}b\" k=\"\\u{202e}x\" \"\\u{85}\"=1\n";
        let out = format(text, "spec.kdl").unwrap();
        assert!(
            out.contains(r#""a\u{2028}b""#) && out.contains(r#"k="\u{202e}x""#) && out.contains(r#""\u{85}"=1"#),
            "{out}"
        );
        assert!(!out.contains('\u{2028}') && !out.contains('\u{202e}'), "{out}");
        assert_eq!(format(&out, "spec.kdl").unwrap(), out);
    }

    #[test]
    fn a_string_that_starts_like_a_number_stays_quoted() {
        // Found by the fuzzer: `"-.8.0.0"` came out bare, and a bare `-.8…` is a bad number.
        for sign in ["-", "+"] {
            for tail in ["8", "8.0.0", "5x", "0e"] {
                let s = format!("{sign}.{tail}");
                let text = format!("pynoc 1\nnode \"{s}\" k=\"{s}\" \"{s}\"=1 {{\n    \"{s}\"\n}}\n");
                let out = format(&text, "spec.kdl").unwrap_or_else(|d| panic!("{s}: {d:?}"));
                assert_eq!(out.matches(&format!("\"{s}\"")).count(), 4, "{out}");
                assert_eq!(format(&out, "spec.kdl").unwrap(), out);
            }
        }
    }

    #[test]
    fn a_text_of_several_lines_stays_on_several_lines() {
        let text = "pynoc 1\nhost {\n  banner \"Authorized only.\\n\\nAll use is logged.\"\n  x \"a\\nb\\\\c\"\n}\n";
        let out = format(text, "spec.kdl").unwrap();
        assert!(
            out.contains("    banner \"\"\"\n        Authorized only.\n\n        All use is logged.\n        \"\"\"\n"),
            "{out}"
        );
        // A backslash would be read as an escape in a multi-line string: one line then.
        assert!(out.contains(r#"x "a\nb\\c""#), "{out}");
        assert_eq!(format(&out, "spec.kdl").unwrap(), out);
        let d = crate::diag::Diags::default();
        let parsed = crate::parse::parse(&out, &d).unwrap();
        let banner = &parsed.nodes[1].children()[0];
        assert!(
            matches!(&banner.args[0].value, crate::ast::Value::String(s) if s == "Authorized only.\n\nAll use is logged.")
        );
    }

    #[test]
    fn a_valid_number_the_layout_cannot_read_is_refused_at_the_value() {
        // Found by the fuzzer: valid KDL floats whose integer digits overflow an i128.
        for number in ["9".repeat(40) + "E023", "9".repeat(45) + ".0", format!("-{}e-2", "1".repeat(40))] {
            let text = format!("pynoc 1\nproject demo\nallow {number}\n");
            let e = format(&text, "spec.kdl").unwrap_err();
            assert!(e.iter().all(|d| d.kind == crate::diag::Kind::Unsupported), "{number}: {e:?}");
            let rendered = crate::diag::render_all(&e, false);
            assert!(rendered.contains("spec.kdl:3:"), "{rendered}");
        }
    }

    #[test]
    fn a_syntax_error_is_a_diagnostic() {
        let e = format("pynoc 1\nhost {\n", "spec.kdl").unwrap_err();
        assert!(e.iter().all(|d| d.kind.code() == "E001"));
    }
}
