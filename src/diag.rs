//! The one diagnostic type: a kind with a stable code, a primary label into the spec,
//! optional secondary labels ("defined here"), and a help line.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, Severity, SourceSpan};

use crate::ast::Span;

pub use crate::codes::Kind;

#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub kind: Kind,
    pub(crate) severity: Severity,
    pub message: String,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    source: Option<Arc<NamedSource<Arc<String>>>>,
}

impl Diagnostic {
    /// A finding of rule `kind`, at the rule's level (error or warning) from the catalog.
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Diagnostic {
            kind,
            severity: match kind.rule().level {
                crate::codes::Level::Error => Severity::Error,
                crate::codes::Level::Warning => Severity::Warning,
            },
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            source: None,
        }
    }

    pub(crate) fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label { span, text: label.into() });
        self
    }

    pub(crate) fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label { span, text: label.into() });
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub(crate) fn with_source(mut self, source: Arc<NamedSource<Arc<String>>>) -> Self {
        self.source = Some(source);
        self
    }

    /// Renders the diagnostic as text; `color` picks the themed or the plain rendering.
    pub fn render(&self, color: bool) -> String {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let shown = self.for_terminal();
        let mut out = String::new();
        if handler.render_report(&mut out, &shown).is_err() {
            out = format!("{}: {}\n", self.kind.code(), crate::term::clean(&self.message));
        }
        out
    }

    /// This diagnostic with every piece of user text made safe for a terminal
    /// ([`crate::term`]): message, labels and help escaped, the source's name escaped and its
    /// text's hidden characters replaced by visible ones of the same length (the labels'
    /// offsets stay true).
    fn for_terminal(&self) -> Diagnostic {
        use crate::term::{clean, same_len};
        let label = |l: &Label| Label { span: l.span, text: clean(&l.text).into_owned() };
        let source = self.source.as_ref().map(|s| {
            let (name, text) = (clean(s.name()), same_len(s.inner()));
            if matches!((&name, &text), (std::borrow::Cow::Borrowed(_), std::borrow::Cow::Borrowed(_))) {
                s.clone()
            } else {
                Arc::new(NamedSource::new(&name, Arc::new(text.into_owned())))
            }
        });
        Diagnostic {
            kind: self.kind,
            severity: self.severity,
            message: crate::term::clean_lines(&self.message).into_owned(),
            primary: self.primary.as_ref().map(label),
            secondary: self.secondary.iter().map(label).collect(),
            help: self.help.as_deref().map(|h| clean(h).into_owned()),
            source,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("pynoc::{}::{}", self.kind.code(), self.kind.slug())))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_deref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let primary = self
            .primary
            .iter()
            .map(|l| LabeledSpan::new_primary_with_span(Some(l.text.clone()), SourceSpan::from(l.span)));
        let secondary =
            self.secondary.iter().map(|l| LabeledSpan::new_with_span(Some(l.text.clone()), SourceSpan::from(l.span)));
        Some(Box::new(primary.chain(secondary)))
    }
}

/// How many diagnostics a run shows; the rest are counted. Rendering one costs time
/// proportional to the spec's length (its line and column are found by scanning), so the cap
/// keeps a run over a spec of any size linear.
pub const MAX_SHOWN: usize = 50;

/// Renders the first [`MAX_SHOWN`] diagnostics, then one line that counts the rest.
pub fn render_all(diags: &[Diagnostic], color: bool) -> String {
    let mut out: String = diags.iter().take(MAX_SHOWN).map(|d| d.render(color)).collect();
    let rest = diags.len().saturating_sub(MAX_SHOWN);
    if rest > 0 {
        let errors = diags[MAX_SHOWN..].iter().filter(|d| d.is_error()).count();
        out.push_str(&format!(
            "… and {rest} more diagnostic{} ({errors} error{}, {} warning{}) not shown\n",
            plural(rest),
            plural(errors),
            rest - errors,
            plural(rest - errors)
        ));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Collects every diagnostic of a run; checks push here and go on.
#[derive(Default)]
pub(crate) struct Diags {
    list: RefCell<Vec<Diagnostic>>,
}

impl Diags {
    pub(crate) fn push(&self, d: Diagnostic) {
        self.list.borrow_mut().push(d);
    }

    pub(crate) fn error_count(&self) -> usize {
        self.list.borrow().iter().filter(|d| d.is_error()).count()
    }

    /// Sorted by position in the spec, so output is stable and reads top to bottom.
    pub(crate) fn into_sorted(self) -> Vec<Diagnostic> {
        let mut v = self.list.into_inner();
        sort_by_place(&mut v);
        v
    }
}

/// Orders diagnostics by where their primary label points in the spec.
pub(crate) fn sort_by_place(v: &mut [Diagnostic]) {
    v.sort_by_key(|d| d.primary.as_ref().map(|l| (l.span.offset, l.span.len)).unwrap_or((0, 0)));
}

/// The closest of `candidates` to `name`, for "did you mean" help.
pub(crate) fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or a list of what is allowed.
pub fn unknown_help(name: &str, candidates: &[&str]) -> String {
    match suggest(name, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("expected one of: {}", list(candidates)),
    }
}

pub(crate) fn list(items: &[&str]) -> String {
    items.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}
