//! The spanned AST: the KDL document as pynoc reads it, every name and value with its place
//! in the spec. Nothing here is serialized; lowering turns it into the plain IR.

use miette::SourceSpan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl From<Span> for SourceSpan {
    fn from(s: Span) -> Self {
        SourceSpan::new(s.offset.into(), s.len)
    }
}

impl From<SourceSpan> for Span {
    fn from(s: SourceSpan) -> Self {
        Span { offset: s.offset(), len: s.len() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Null,
}

impl Value {
    /// How a diagnostic names the type of this value.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number with a fraction",
            Value::Bool(_) => "a boolean",
            Value::Null => "#null",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub(crate) name: Spanned<String>,
    pub(crate) value: Spanned<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) name: Spanned<String>,
    pub(crate) args: Vec<Spanned<Value>>,
    pub(crate) props: Vec<Prop>,
    pub(crate) children: Option<Vec<Node>>,
    /// The whole node, name to end of its children.
    pub(crate) span: Span,
}

impl Node {
    pub(crate) fn name(&self) -> &str {
        &self.name.value
    }

    pub(crate) fn children(&self) -> &[Node] {
        self.children.as_deref().unwrap_or(&[])
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) nodes: Vec<Node>,
}
