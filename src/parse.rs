//! Stage 1: KDL 2.0 text into the spanned AST, through the `kdl` crate's parser.

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::ast::{Document, Node, Prop, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind};

/// How deep blocks (`{ … }`) and block comments (`/* /* … */ */`) may nest. pynoc's own
/// grammar needs four levels; the KDL parser recurses once per level, so a hostile spec
/// with thousands of levels would overflow the stack. It is refused before parsing.
pub const MAX_DEPTH: usize = 64;

pub fn parse(text: &str, diags: &Diags) -> Option<Document> {
    if let Some(at) = too_deep(text) {
        diags.push(
            Diagnostic::new(Kind::Syntax, format!("the spec nests deeper than {MAX_DEPTH} levels"))
                .at(Span { offset: at, len: 1 }, "this level is too deep")
                .help("pynoc specs nest blocks a few levels deep; flatten the blocks or close the comments"),
        );
        return None;
    }
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Some(Document { nodes: doc.nodes().iter().map(|n| node(n, text, diags)).collect() }),
        Err(err) => {
            for d in &err.diagnostics {
                let message = d.message.clone().unwrap_or_else(|| "invalid KDL".into());
                let mut diag = Diagnostic::new(Kind::Syntax, format!("syntax error: {}", lower_first(&message)))
                    .at(clamp(d.span.into(), text), d.label.clone().unwrap_or_else(|| "here".into()));
                diag = diag.help(
                    d.help.clone().unwrap_or_else(|| "pynoc specs are KDL 2.0 documents: https://kdl.dev".into()),
                );
                diags.push(diag);
            }
            if err.diagnostics.is_empty() {
                diags.push(Diagnostic::new(Kind::Syntax, "syntax error: the spec is not a valid KDL 2.0 document"));
            }
            None
        }
    }
}

/// The offset of the first `{` or `/*` that opens level [`MAX_DEPTH`] + 1, found by a
/// scan that knows KDL's strings and comments well enough not to count braces inside them.
/// It errs on the safe side: a brace it miscounts can only make it refuse a spec the parser
/// would have read, never let one through to the recursive parser.
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut blocks, mut comments) = (0, 0usize, 0usize);
    while i < b.len() {
        if comments > 0 {
            if b[i..].starts_with(b"/*") {
                comments += 1;
                if comments > MAX_DEPTH {
                    return Some(i);
                }
                i += 2;
            } else if b[i..].starts_with(b"*/") {
                comments -= 1;
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'*') => {
                comments = 1;
                i += 2;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => {
                blocks += 1;
                if blocks > MAX_DEPTH {
                    return Some(i);
                }
                i += 1;
            }
            b'}' => {
                blocks = blocks.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                // A quoted string (a multi-line `"""` is read as an empty string, then a
                // quoted one, then another empty one: the same extent).
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => {
                let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                i += hashes;
                if b.get(i) == Some(&b'"') {
                    // A raw string: it ends at a quote followed by as many hashes.
                    i += 1;
                    while i < b.len()
                        && !(b[i] == b'"' && b[i + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes)
                    {
                        i += 1;
                    }
                    i += 1 + hashes;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The spec's text, or a diagnostic at the first byte that is not UTF-8.
/// The label points into the lossy text, where that byte became U+FFFD.
pub fn decode(bytes: &[u8], diags: &Diags) -> Option<String> {
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Some(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            diags.push(
                Diagnostic::new(
                    Kind::Syntax,
                    format!("the spec is not valid UTF-8: byte {at} is not part of a UTF-8 character"),
                )
                .at(Span { offset: at, len: char::REPLACEMENT_CHARACTER.len_utf8() }, "here")
                .help("KDL documents are UTF-8; save the spec as UTF-8"),
            );
            None
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Keeps a span inside the text, so a label never points past the end.
fn clamp(span: Span, text: &str) -> Span {
    let offset = span.offset.min(text.len());
    Span { offset, len: span.len.min(text.len() - offset) }
}

fn node(n: &KdlNode, text: &str, diags: &Diags) -> Node {
    let name_span: Span = n.name().span().into();
    if let Some(ty) = n.ty() {
        diags.push(
            Diagnostic::new(Kind::Unsupported, "type annotations are not used in pynoc specs")
                .at(ty.span().into(), "this annotation")
                .help("remove the `(…)` before the node name"),
        );
    }
    let mut args = Vec::new();
    let mut props: Vec<Prop> = Vec::new();
    for e in n.entries() {
        if let Some(ty) = e.ty() {
            diags.push(
                Diagnostic::new(Kind::Unsupported, "type annotations are not used in pynoc specs")
                    .at(ty.span().into(), "this annotation")
                    .help("remove the `(…)` before the value"),
            );
        }
        match e.name() {
            None => args.push(Spanned { value: value(e.value()), span: trim(e.span().into(), text) }),
            Some(key) => {
                let key_span: Span = key.span().into();
                let prop = Prop {
                    name: Spanned { value: key.value().to_string(), span: key_span },
                    value: Spanned { value: value(e.value()), span: prop_value_span(e, key_span, text) },
                };
                if let Some(first) = props.iter().find(|p| p.name.value == prop.name.value) {
                    diags.push(
                        Diagnostic::new(Kind::Duplicate, format!("property `{}` is given twice", prop.name.value))
                            .at(prop.name.span, "given again here")
                            .also(first.name.span, "first given here")
                            .help("keep one of them"),
                    );
                    continue;
                }
                props.push(prop);
            }
        }
    }
    let children = n.children().map(|d| d.nodes().iter().map(|c| node(c, text, diags)).collect());
    let full: Span = n.span().into();
    let span =
        trim(Span { offset: name_span.offset, len: (full.offset + full.len).saturating_sub(name_span.offset) }, text);
    Node { name: Spanned { value: n.name().value().to_string(), span: name_span }, args, props, children, span }
}

/// The span of a property's value: what follows the `=` after its key.
fn prop_value_span(e: &KdlEntry, key: Span, text: &str) -> Span {
    let entry = trim(e.span().into(), text);
    let end = entry.offset + entry.len;
    let after_key = key.offset + key.len;
    let rest = text.get(after_key..end).unwrap_or("");
    let skip = rest.find('=').map(|i| i + 1).unwrap_or(0);
    let lead = rest[skip..].len() - rest[skip..].trim_start().len();
    let start = (after_key + skip + lead).min(end);
    Span { offset: start, len: end - start }
}

/// Drops surrounding whitespace from a span.
fn trim(span: Span, text: &str) -> Span {
    let span = clamp(span, text);
    let Some(s) = text.get(span.offset..span.offset + span.len) else {
        return span;
    };
    let lead = s.len() - s.trim_start().len();
    let inner = s.trim();
    Span { offset: span.offset + lead, len: inner.len() }
}

fn value(v: &KdlValue) -> Value {
    match v {
        KdlValue::String(s) => Value::String(s.clone()),
        KdlValue::Integer(i) => Value::Int(*i),
        KdlValue::Float(f) => Value::Float(*f),
        KdlValue::Bool(b) => Value::Bool(*b),
        KdlValue::Null => Value::Null,
    }
}
