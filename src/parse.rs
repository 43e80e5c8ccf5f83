//! Stage 1: KDL 2.0 text into the spanned AST, through the `kdl` crate's parser.

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::ast::{Document, Node, Prop, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind};

pub fn parse(text: &str, diags: &Diags) -> Option<Document> {
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Some(Document { nodes: doc.nodes().iter().map(|n| node(n, text, diags)).collect() }),
        Err(err) => {
            for d in &err.diagnostics {
                let message = d.message.clone().unwrap_or_else(|| "invalid KDL".into());
                let mut diag = Diagnostic::error(Kind::Syntax, format!("syntax error: {}", lower_first(&message)))
                    .at(clamp(d.span.into(), text), d.label.clone().unwrap_or_else(|| "here".into()));
                diag = diag.help(
                    d.help.clone().unwrap_or_else(|| "pynoc specs are KDL 2.0 documents: https://kdl.dev".into()),
                );
                diags.push(diag);
            }
            if err.diagnostics.is_empty() {
                diags.push(Diagnostic::error(Kind::Syntax, "syntax error: the spec is not a valid KDL 2.0 document"));
            }
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
            Diagnostic::error(Kind::Unsupported, "type annotations are not used in pynoc specs")
                .at(ty.span().into(), "this annotation")
                .help("remove the `(…)` before the node name"),
        );
    }
    let mut args = Vec::new();
    let mut props: Vec<Prop> = Vec::new();
    for e in n.entries() {
        if let Some(ty) = e.ty() {
            diags.push(
                Diagnostic::error(Kind::Unsupported, "type annotations are not used in pynoc specs")
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
                        Diagnostic::error(Kind::Duplicate, format!("property `{}` is given twice", prop.name.value))
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
