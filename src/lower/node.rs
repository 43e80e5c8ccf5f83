//! Reading one KDL node: typed arguments and properties with range checks, and at the end
//! every property nobody asked for reported as unknown, with the closest known name.

use std::cell::{Cell, RefCell};

use crate::ast::{Node, Span, Spanned, Value};
use crate::diag::{Diagnostic, Diags, Kind, list, unknown_help};
use crate::lower::trace::{self, Ty};

pub(crate) struct Reader<'a> {
    pub(crate) node: &'a Node,
    pub(crate) d: &'a Diags,
    known: RefCell<Vec<&'static str>>,
    args_read: Cell<usize>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(node: &'a Node, d: &'a Diags) -> Self {
        Reader { node, d, known: RefCell::new(Vec::new()), args_read: Cell::new(0) }
    }

    pub(crate) fn name(&self) -> &'a str {
        &self.node.name.value
    }

    pub(crate) fn span(&self) -> Span {
        self.node.name.span
    }

    fn wrong_type(&self, what: &str, v: &Spanned<Value>, expected: &str, example: &str) {
        self.d.push(
            Diagnostic::new(Kind::WrongType, format!("{what} expects {expected}, found {}", v.value.type_name()))
                .at(v.span, format!("this is {}", v.value.type_name()))
                .help(format!("for example: {example}")),
        );
    }

    // ----- properties -----

    pub(crate) fn prop(&self, name: &'static str) -> Option<&'a Spanned<Value>> {
        self.known.borrow_mut().push(name);
        self.node.props.iter().find(|p| p.name.value == name).map(|p| &p.value)
    }

    /// A property asked for only to refuse it (a secret in the spec, a privilege never
    /// granted when `#true`): `ty` says which.
    pub(crate) fn refused_prop(&self, name: &'static str, ty: Ty) -> Option<&'a Spanned<Value>> {
        trace::prop(self.span(), name, ty);
        self.prop(name)
    }

    pub(crate) fn has_prop(&self, name: &'static str) -> bool {
        self.prop(name).is_some()
    }

    pub(crate) fn str_prop(&self, name: &'static str, example: &str) -> Option<Spanned<String>> {
        trace::prop(self.span(), name, Ty::String);
        let v = self.prop(name)?;
        self.as_str(&format!("`{name}`"), v, &format!("{name}={example}"))
    }

    pub(crate) fn bool_prop(&self, name: &'static str) -> Option<Spanned<bool>> {
        trace::prop(self.span(), name, Ty::Bool);
        let v = self.prop(name)?;
        self.as_bool(&format!("`{name}`"), v, &format!("{name}=#true"))
    }

    pub(crate) fn int_prop(&self, name: &'static str, min: i128, max: i128) -> Option<Spanned<i128>> {
        trace::prop(self.span(), name, Ty::Int { min, max });
        let v = self.prop(name)?;
        self.as_int(&format!("`{name}`"), v, min, max, &format!("{name}={min}"))
    }

    /// A duration: whole seconds, or a string with a unit (`30s`, `10m`, `1h`, `1d`, `1w`).
    pub(crate) fn duration_prop(&self, name: &'static str, min: u64, max: u64) -> Option<Spanned<u64>> {
        trace::prop(self.span(), name, Ty::Duration);
        let v = self.prop(name)?;
        self.as_duration(&format!("`{name}`"), v, min, max)
    }

    // ----- arguments -----

    pub(crate) fn arg(&self, i: usize) -> Option<&'a Spanned<Value>> {
        if self.args_read.get() < i + 1 {
            self.args_read.set(i + 1);
        }
        self.node.args.get(i)
    }

    fn missing(&self, what: &str, example: &str) {
        self.d.push(
            Diagnostic::new(Kind::Missing, format!("`{}` needs {what}", self.name()))
                .at(self.node.name.span, format!("{what} missing here"))
                .help(format!("for example: {example}")),
        );
    }

    pub(crate) fn str_arg(&self, i: usize, what: &str, example: &str) -> Option<Spanned<String>> {
        trace::arg(self.span(), i, Ty::String, false);
        match self.arg(i) {
            Some(v) => self.as_str(&format!("`{}`", self.name()), v, example),
            None => {
                self.missing(what, example);
                None
            }
        }
    }

    pub(crate) fn bool_arg(&self, example: &str) -> Option<Spanned<bool>> {
        trace::arg(self.span(), 0, Ty::Bool, false);
        match self.arg(0) {
            Some(v) => self.as_bool(&format!("`{}`", self.name()), v, example),
            None => {
                self.missing("a value (`#true` or `#false`)", example);
                None
            }
        }
    }

    pub(crate) fn int_arg(&self, min: i128, max: i128, example: &str) -> Option<Spanned<i128>> {
        trace::arg(self.span(), 0, Ty::Int { min, max }, false);
        match self.arg(0) {
            Some(v) => self.as_int(&format!("`{}`", self.name()), v, min, max, example),
            None => {
                self.missing("a number", example);
                None
            }
        }
    }

    pub(crate) fn duration_arg(&self, min: u64, max: u64, example: &str) -> Option<Spanned<u64>> {
        trace::arg(self.span(), 0, Ty::Duration, false);
        match self.arg(0) {
            Some(v) => self.as_duration(&format!("`{}`", self.name()), v, min, max),
            None => {
                self.missing("a duration", example);
                None
            }
        }
    }

    /// Every argument from `from` on, each a string; at least one.
    pub(crate) fn str_args(&self, from: usize, what: &str, example: &str) -> Vec<Spanned<String>> {
        trace::arg(self.span(), from, Ty::String, true);
        let n = self.node.args.len();
        if n <= from {
            self.missing(what, example);
            return Vec::new();
        }
        (from..n)
            .filter_map(|i| self.arg(i))
            .filter_map(|v| self.as_str(&format!("`{}`", self.name()), v, example))
            .collect()
    }

    // ----- conversions -----

    pub(crate) fn as_str(&self, what: &str, v: &Spanned<Value>, example: &str) -> Option<Spanned<String>> {
        trace::value(v.span, Ty::String);
        match &v.value {
            Value::String(s) => Some(Spanned { value: s.clone(), span: v.span }),
            _ => {
                self.wrong_type(what, v, "a string", example);
                None
            }
        }
    }

    pub(crate) fn as_bool(&self, what: &str, v: &Spanned<Value>, example: &str) -> Option<Spanned<bool>> {
        trace::value(v.span, Ty::Bool);
        match &v.value {
            Value::Bool(b) => Some(Spanned { value: *b, span: v.span }),
            Value::String(s) if matches!(s.as_str(), "true" | "false" | "yes" | "no") => {
                self.d.push(
                    Diagnostic::new(Kind::WrongType, format!("{what} expects a boolean, found a string"))
                        .at(v.span, "this is a string")
                        .help(format!("KDL 2.0 booleans are `#true` and `#false`: {example}")),
                );
                None
            }
            _ => {
                self.wrong_type(what, v, "a boolean (`#true` or `#false`)", example);
                None
            }
        }
    }

    pub(crate) fn as_int(
        &self,
        what: &str,
        v: &Spanned<Value>,
        min: i128,
        max: i128,
        example: &str,
    ) -> Option<Spanned<i128>> {
        trace::value(v.span, Ty::Int { min, max });
        match &v.value {
            Value::Int(i) if (*i < min || *i > max) => {
                self.d.push(
                    Diagnostic::new(
                        Kind::OutOfRange,
                        format!("{what} is out of range: {i} is not within {min}..={max}"),
                    )
                    .at(v.span, "out of range")
                    .help(format!("use a whole number from {min} to {max}")),
                );
                None
            }
            Value::Int(i) => Some(Spanned { value: *i, span: v.span }),
            Value::String(s) if s.parse::<i128>().is_ok() => {
                self.d.push(
                    Diagnostic::new(Kind::WrongType, format!("{what} expects an integer, found a string"))
                        .at(v.span, "this is a string")
                        .help(format!("write the number without quotes: {s}")),
                );
                None
            }
            _ => {
                self.wrong_type(what, v, "an integer", example);
                None
            }
        }
    }

    pub(crate) fn as_duration(&self, what: &str, v: &Spanned<Value>, min: u64, max: u64) -> Option<Spanned<u64>> {
        trace::value(v.span, Ty::Duration);
        let secs = match &v.value {
            Value::Int(i) if *i >= 0 => u64::try_from(*i).ok(),
            Value::String(s) => parse_duration(s),
            _ => {
                self.wrong_type(what, v, "a duration", "`600` (seconds) or `\"10m\"`");
                return None;
            }
        };
        match secs {
            None => {
                self.d.push(
                    Diagnostic::new(Kind::InvalidValue, format!("{what} is not a duration"))
                        .at(v.span, "not a duration")
                        .help("write whole seconds (`600`) or a number with a unit: `30s`, `10m`, `1h`, `1d`, `1w`"),
                );
                None
            }
            Some(s) if s < min || s > max => {
                self.d.push(
                    Diagnostic::new(
                        Kind::OutOfRange,
                        format!("{what} is out of range: {s} seconds is not within {min}..={max}"),
                    )
                    .at(v.span, "out of range")
                    .help(format!("use a duration from {min} to {max} seconds")),
                );
                None
            }
            Some(s) => Some(Spanned { value: s, span: v.span }),
        }
    }

    // ----- the end of a node -----

    /// The end of a node that takes no block: reports unknown properties, extra arguments
    /// and a `{ … }` block.
    pub(crate) fn leaf_done(&self) {
        self.finish(true);
    }

    /// The end of a node whose block its section reads: reports unknown properties and extra
    /// arguments (its children are checked by [`children`]).
    pub(crate) fn block_done(&self) {
        self.finish(false);
    }

    fn finish(&self, leaf: bool) {
        let known = self.known.borrow();
        trace::done(self.span(), &known, self.args_read.get(), leaf);
        for p in &self.node.props {
            if !known.contains(&p.name.value.as_str()) {
                let help = if known.is_empty() {
                    format!("`{}` takes no properties", self.name())
                } else {
                    unknown_help(&p.name.value, &known)
                };
                self.d.push(
                    Diagnostic::new(
                        Kind::UnknownProperty,
                        format!("unknown property `{}` on `{}`", p.name.value, self.name()),
                    )
                    .at(p.name.span, "unknown property")
                    .help(help),
                );
            }
        }
        for a in self.node.args.iter().skip(self.args_read.get()) {
            self.d.push(
                Diagnostic::new(Kind::UnexpectedArgument, format!("unexpected argument to `{}`", self.name()))
                    .at(a.span, "not expected here")
                    .help(match self.args_read.get() {
                        0 => format!("`{}` takes no arguments", self.name()),
                        n => format!("`{}` takes {n} argument{}", self.name(), if n == 1 { "" } else { "s" }),
                    }),
            );
        }
        if leaf && let Some(first) = self.node.children.as_ref().and_then(|c| c.first()) {
            self.d.push(
                Diagnostic::new(Kind::UnexpectedArgument, format!("`{}` takes no block", self.name()))
                    .at(first.name.span, "not expected inside this node")
                    .help("remove the `{ … }` block"),
            );
        }
    }
}

/// Seconds of a duration string: `90`, `30s`, `10m`, `1h`, `1d`, `1w`.
pub(crate) fn parse_duration(s: &str) -> Option<u64> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num.parse().ok()?;
    let mul = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// The children of `node`, each checked against `known` names; unknown ones are reported
/// with a suggestion, and a name that may appear once but appears twice is a duplicate.
pub(crate) fn children<'a>(node: &'a Node, known: &[&str], once: &[&str], d: &Diags) -> Vec<&'a Node> {
    trace::children(node.name.span, known);
    let mut out: Vec<&Node> = Vec::new();
    for c in node.children() {
        if !known.contains(&c.name()) {
            d.push(
                Diagnostic::new(Kind::UnknownNode, format!("unknown node `{}` in `{}`", c.name(), node.name()))
                    .at(c.name.span, "unknown node")
                    .help(unknown_help(c.name(), known)),
            );
            continue;
        }
        if once.contains(&c.name())
            && let Some(first) = out.iter().find(|o| o.name() == c.name())
        {
            d.push(duplicate(c.name(), c.name.span, first.name.span));
            continue;
        }
        out.push(c);
    }
    out
}

/// The names a block has defined so far, each with where: the one helper for duplicates.
/// `kind` is the node that defines them (`tmpfs`, `role`), named in the diagnostic with the
/// name (`tmpfs /tmp is defined twice`); empty when the name speaks for itself (a sysctl key).
pub(crate) struct Seen {
    kind: &'static str,
    names: Vec<(String, Span)>,
}

impl Seen {
    pub(crate) fn new(kind: &'static str) -> Self {
        Self { kind, names: Vec::new() }
    }

    /// True, after reporting a duplicate at `at` that points at the first definition, when
    /// `name` was defined before; false (nothing recorded) otherwise.
    pub(crate) fn again(&self, d: &Diags, name: &str, at: Span) -> bool {
        let Some(first) = self.get(name) else { return false };
        let shown = if self.kind.is_empty() { name.to_string() } else { format!("{} {name}", self.kind) };
        d.push(duplicate(&shown, at, first));
        true
    }

    /// Records `name` as defined at `at`.
    pub(crate) fn add(&mut self, name: &str, at: Span) {
        self.names.push((name.to_string(), at));
    }

    /// Records `name` and returns true when it is new; reports the duplicate otherwise.
    pub(crate) fn first(&mut self, d: &Diags, name: &str, at: Span) -> bool {
        if self.again(d, name, at) {
            return false;
        }
        self.add(name, at);
        true
    }

    /// Where `name` was defined, if it was.
    pub(crate) fn get(&self, name: &str) -> Option<Span> {
        self.names.iter().find(|(n, _)| n == name).map(|(_, at)| *at)
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every name with where it was defined, in the order defined.
    pub(crate) fn all(&self) -> &[(String, Span)] {
        &self.names
    }
}

pub(crate) fn duplicate(name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Kind::Duplicate, format!("`{name}` is defined twice"))
        .at(again, "defined again here")
        .also(first, "first defined here")
        .help(format!("merge the two `{name}` nodes into one"))
}

/// A string that must be one of `allowed`.
pub(crate) fn one_of(d: &Diags, what: &str, v: &Spanned<String>, allowed: &[&str]) -> Option<String> {
    trace::value(v.span, Ty::OneOf { words: allowed.iter().map(|s| (*s).to_string()).collect() });
    if allowed.contains(&v.value.as_str()) {
        return Some(v.value.clone());
    }
    d.push(
        Diagnostic::new(Kind::InvalidValue, format!("{what} cannot be `{}`", v.value))
            .at(v.span, "not a valid choice")
            .help(match crate::diag::suggest(&v.value, allowed.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? expected one of: {}", list(allowed)),
                None => format!("expected one of: {}", list(allowed)),
            }),
    );
    None
}
