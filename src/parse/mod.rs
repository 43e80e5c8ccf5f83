//! Stage 1: KDL 2.0 text into the spanned AST. [`kdl2`] reads the KDL (one pass, spans on
//! everything); this module applies pynoc's own rules to what it read: no type
//! annotations, each property once.

pub mod kdl2;

use crate::ast::{Document, Node, Prop, Span, Spanned};
use crate::diag::{Diagnostic, Diags, Kind};

pub(crate) fn parse(text: &str, diags: &Diags) -> Option<Document> {
    match kdl2::parse(text) {
        Ok(nodes) => Some(Document { nodes: nodes.into_iter().map(|n| node(n, diags)).collect() }),
        Err(e) => {
            let mut diag = Diagnostic::new(Kind::Syntax, format!("syntax error: {}", e.message))
                .at(clamp(e.span, text), e.label)
                .help(e.help);
            if let Some((span, label)) = e.opened {
                diag = diag.also(clamp(span, text), label);
            }
            diags.push(diag);
            None
        }
    }
}

/// The spec's text, or a diagnostic at the first byte that is not UTF-8.
/// The label points into the lossy text, where that byte became U+FFFD.
pub(crate) fn decode(bytes: &[u8], diags: &Diags) -> Option<String> {
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

/// Keeps a span inside the text, so a label never points past the end.
fn clamp(span: Span, text: &str) -> Span {
    let offset = span.offset.min(text.len());
    Span { offset, len: span.len.min(text.len() - offset) }
}

fn annotation(ty: Option<Spanned<String>>, diags: &Diags, before: &str) {
    if let Some(ty) = ty {
        diags.push(
            Diagnostic::new(Kind::Unsupported, "type annotations are not used in pynoc specs")
                .at(ty.span, "this annotation")
                .help(format!("remove the `(…)` before the {before}")),
        );
    }
}

fn node(n: kdl2::RawNode, diags: &Diags) -> Node {
    annotation(n.ty, diags, "node name");
    let mut args = Vec::new();
    let mut props: Vec<Prop> = Vec::new();
    // Where each property was first given: a search of the few of a usual node, an index of
    // `props` once a node has many (so a hostile node is still read in linear time).
    let mut index: std::collections::HashMap<String, Span> = std::collections::HashMap::new();
    for e in n.entries {
        annotation(e.ty, diags, "value");
        match e.key {
            None => args.push(e.value),
            Some(key) => {
                let first = if props.len() < 16 {
                    props.iter().find(|p| p.name.value == key.value).map(|p| p.name.span)
                } else {
                    index.extend(props[index.len()..].iter().map(|p| (p.name.value.clone(), p.name.span)));
                    index.get(&key.value).copied()
                };
                if let Some(first) = first {
                    diags.push(
                        Diagnostic::new(Kind::Duplicate, format!("property `{}` is given twice", key.value))
                            .at(key.span, "given again here")
                            .also(first, "first given here")
                            .help("keep one of them"),
                    );
                    continue;
                }
                props.push(Prop { name: key, value: e.value });
            }
        }
    }
    let children = n.children.map(|c| c.into_iter().map(|c| node(c, diags)).collect());
    // The node's span starts at its name (an annotation is reported on its own).
    let end = n.span.offset + n.span.len;
    let span = Span { offset: n.name.span.offset, len: end - n.name.span.offset };
    Node { name: n.name, args, props, children, span }
}
