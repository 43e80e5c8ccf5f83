//! What the lowerer accepts, recorded while it reads: the language a user writes.
//!
//! The readers (`node.rs`) already know, node by node, every property they ask for, every
//! child they allow, the type each value converts to and the words a value may be. When a
//! trace is on (never during a normal run), they report that here, and [`Language`] is the
//! union over the specs lowered: `pynoc schema` prints it as a JSON Schema, and a test proves
//! the checked-in schema equal to the trace over every spec of the test suite, so the schema
//! cannot drift from what `pynoc check` accepts.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::ast::{Document, Node, Span};

/// The type of one value, as the reader converts it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Ty {
    /// Read without a conversion of the reader's (a parameter's value, checked later).
    Any,
    String,
    Bool,
    Int {
        min: i128,
        max: i128,
    },
    /// Whole seconds or a string with a unit.
    Duration,
    /// One of a closed set of words.
    OneOf {
        words: Vec<String>,
    },
    /// Only `#false`: the spec may say so, never the opposite (a role's `superuser`).
    False,
    /// Never allowed: asked for only to refuse it with its own diagnostic (a password).
    Refused,
}

impl Ty {
    /// The more precise of two observations of one value.
    fn merge(self, other: Ty) -> Ty {
        match (self, other) {
            (Ty::Refused, _) | (_, Ty::Refused) => Ty::Refused,
            (Ty::False, _) | (_, Ty::False) => Ty::False,
            (Ty::Any, t) | (t, Ty::Any) => t,
            (Ty::OneOf { mut words }, Ty::OneOf { words: more }) => {
                words.extend(more);
                words.sort();
                words.dedup();
                Ty::OneOf { words }
            }
            (Ty::String, t @ Ty::OneOf { .. }) | (t @ Ty::OneOf { .. }, Ty::String) => t,
            (Ty::Int { min: a, max: b }, Ty::Int { min: c, max: d }) => Ty::Int { min: a.min(c), max: b.max(d) },
            (a, _) => a,
        }
    }
}

/// One node of the language: where it is (`host/ssh/client-alive`), what it takes.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NodeLang {
    /// Its properties by name.
    pub props: BTreeMap<String, Ty>,
    /// Its positional arguments by position.
    pub args: BTreeMap<usize, Ty>,
    /// From this position on, any number of arguments of the type of that position.
    pub rest: Option<usize>,
    /// The names of its children.
    pub children: BTreeSet<String>,
    /// True when it takes no `{ … }` block.
    pub leaf: bool,
}

/// The whole language: every node by its path from the top.
pub type Language = BTreeMap<String, NodeLang>;

#[derive(Clone)]
enum Site {
    Prop(String, String),
    Arg(String, usize),
}

#[derive(Default)]
struct Tracer {
    sites: HashMap<usize, Site>,
    paths: HashMap<usize, String>,
    lang: Language,
}

thread_local! {
    static TRACE: RefCell<Option<Tracer>> = const { RefCell::new(None) };
}

fn with(f: impl FnOnce(&mut Tracer)) {
    TRACE.with(|t| {
        if let Some(t) = t.borrow_mut().as_mut() {
            f(t);
        }
    });
}

/// Starts recording for one document: every node, property value and argument is placed
/// by its span's offset.
pub(crate) fn begin(doc: &Document, lang: Language) {
    fn walk(t: &mut Tracer, nodes: &[Node], parent: &str) {
        for n in nodes {
            let path = if parent.is_empty() { n.name().to_string() } else { format!("{parent}/{}", n.name()) };
            t.paths.insert(n.name.span.offset, path.clone());
            for p in &n.props {
                t.sites.insert(p.value.span.offset, Site::Prop(path.clone(), p.name.value.clone()));
            }
            for (i, a) in n.args.iter().enumerate() {
                t.sites.insert(a.span.offset, Site::Arg(path.clone(), i));
            }
            walk(t, n.children(), &path);
        }
    }
    let mut t = Tracer { lang, ..Tracer::default() };
    walk(&mut t, &doc.nodes, "");
    TRACE.with(|c| *c.borrow_mut() = Some(t));
}

/// Stops recording, returning the language recorded so far.
pub(crate) fn end() -> Language {
    TRACE.with(|c| c.borrow_mut().take()).map(|t| t.lang).unwrap_or_default()
}

/// The node at `at` (its name's span) is read.
fn node_at(t: &mut Tracer, at: Span) -> Option<&mut NodeLang> {
    let path = t.paths.get(&at.offset)?.clone();
    Some(t.lang.entry(path).or_default())
}

/// The top level allows `names`.
pub(crate) fn top(names: &[&str]) {
    with(|t| t.lang.entry(String::new()).or_default().children.extend(names.iter().map(|s| (*s).to_string())));
}

/// The node at `at` allows the children `names`.
pub(crate) fn children(at: Span, names: &[&str]) {
    with(|t| {
        if let Some(n) = node_at(t, at) {
            n.children.extend(names.iter().map(|s| (*s).to_string()));
        }
    });
}

/// The node at `at` was read whole: the properties it knows, how many arguments it read,
/// whether it takes a block.
pub(crate) fn done(at: Span, props: &[&str], args: usize, leaf: bool) {
    with(|t| {
        if let Some(n) = node_at(t, at) {
            for p in props {
                n.props.entry((*p).to_string()).or_insert(Ty::Any);
            }
            for i in 0..args {
                n.args.entry(i).or_insert(Ty::Any);
            }
            n.leaf = leaf;
        }
    });
}

/// The node at `at` takes a property `name` of type `ty` (whether or not it has one).
pub(crate) fn prop(at: Span, name: &str, ty: Ty) {
    with(|t| {
        if let Some(n) = node_at(t, at) {
            let old = n.props.remove(name).unwrap_or(Ty::Any);
            n.props.insert(name.to_string(), old.merge(ty));
        }
    });
}

/// The node at `at` takes an argument at `i` of type `ty`; with `rest`, any number from there.
pub(crate) fn arg(at: Span, i: usize, ty: Ty, rest: bool) {
    with(|t| {
        if let Some(n) = node_at(t, at) {
            let old = n.args.remove(&i).unwrap_or(Ty::Any);
            n.args.insert(i, old.merge(ty));
            if rest {
                n.rest = Some(n.rest.map_or(i, |r| r.min(i)));
            }
        }
    });
}

/// The value at `at` (a property's or an argument's) was converted to `ty`.
pub(crate) fn value(at: Span, ty: Ty) {
    with(|t| {
        let Some(site) = t.sites.get(&at.offset).cloned() else { return };
        let (Site::Prop(path, _) | Site::Arg(path, _)) = &site;
        let n = t.lang.entry(path.clone()).or_default();
        match site {
            Site::Prop(_, name) => {
                let old = n.props.remove(&name).unwrap_or(Ty::Any);
                n.props.insert(name, old.merge(ty));
            }
            Site::Arg(_, i) => {
                let old = n.args.remove(&i).unwrap_or(Ty::Any);
                n.args.insert(i, old.merge(ty));
            }
        }
    });
}
