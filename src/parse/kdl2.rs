//! A KDL 2.0 parser for compiling: one pass over the bytes, straight into a tree whose every
//! name, value, property key and type annotation carries its span. It keeps no formatting
//! (`pynoc fmt` edits through the `kdl` crate's format-preserving document instead), and it
//! stops at the first syntax error with a message, a label and a help line.
//!
//! It follows the KDL 2.0 grammar (<https://kdl.dev/spec>); `tests/kdl_parser.rs` holds it
//! to the `kdl` crate on the specification's own test suite, on every spec of this
//! repository and on generated documents: both accept and reject the same texts and read
//! the same values.
//!
//! Nesting is bounded ([`MAX_DEPTH`]) because children blocks recurse; block comments nest
//! by counting, without recursion.

use crate::ast::{Span, Spanned, Value};

/// How deep blocks (`{ … }`) and block comments (`/* /* … */ */`) may nest. pynoc's own
/// grammar needs four levels; the limit keeps a hostile spec from exhausting the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// A node as KDL reads it, before pynoc's own rules (no type annotations, each property once).
#[derive(Debug, Clone)]
pub struct RawNode {
    pub ty: Option<Spanned<String>>,
    pub name: Spanned<String>,
    pub entries: Vec<RawEntry>,
    pub children: Option<Vec<RawNode>>,
    /// From the annotation or name to the last entry or the closing brace.
    pub(crate) span: Span,
}

/// An argument (no key) or a property.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub key: Option<Spanned<String>>,
    pub ty: Option<Spanned<String>>,
    /// The value's span covers its type annotation, if any.
    pub value: Spanned<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub(crate) span: Span,
    pub(crate) label: &'static str,
    pub(crate) help: String,
    /// Where the construct that is not finished began (an unclosed block or string).
    pub(crate) opened: Option<(Span, &'static str)>,
}

type Result<T> = std::result::Result<T, SyntaxError>;

/// Parses a whole document.
pub fn parse(text: &str) -> Result<Vec<RawNode>> {
    let mut p = Parser { s: text, b: text.as_bytes(), i: 0, depth: 0 };
    if text.starts_with('\u{FEFF}') {
        p.i = 3;
    }
    p.nodes(None)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
}

fn is_unicode_space(c: char) -> bool {
    matches!(c, '\t' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}')
}

fn is_newline(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}')
}

/// Code points that may not appear literally anywhere in a KDL document.
fn is_disallowed(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{E}'..='\u{1F}' | '\u{7F}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn is_ident_char(c: char) -> bool {
    !(is_unicode_space(c)
        || is_newline(c)
        || is_disallowed(c)
        || matches!(c, '\\' | '/' | '(' | ')' | '{' | '}' | '[' | ']' | ';' | '"' | '#' | '='))
}

const KEYWORDS: &[&str] = &["true", "false", "null", "inf", "-inf", "nan"];

fn err(message: impl Into<String>, span: Span, label: &'static str, help: impl Into<String>) -> SyntaxError {
    SyntaxError { message: message.into(), span, label, help: help.into(), opened: None }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        let b = *self.b.get(self.i)?;
        if b < 0x80 { Some(b as char) } else { self.s[self.i..].chars().next() }
    }

    fn peek_at(&self, at: usize) -> Option<char> {
        let b = *self.b.get(at)?;
        if b < 0x80 { Some(b as char) } else { self.s[at..].chars().next() }
    }

    fn starts(&self, p: &str) -> bool {
        self.b[self.i.min(self.b.len())..].starts_with(p.as_bytes())
    }

    fn here(&self, len: usize) -> Span {
        if self.i >= self.b.len() {
            // At the end of the text a label would point past the last line: it points at
            // the last character that is not a space instead.
            return match self.s.trim_end().char_indices().next_back() {
                Some((at, c)) => Span { offset: at, len: c.len_utf8() },
                None => Span { offset: 0, len: 0 },
            };
        }
        Span { offset: self.i, len: len.min(self.b.len() - self.i) }
    }

    fn span_from(&self, start: usize) -> Span {
        Span { offset: start, len: self.i - start }
    }

    /// The error for the character at the cursor, whatever was expected there.
    fn unexpected(&self, expected: &str, help: &str) -> SyntaxError {
        match self.peek() {
            None => err(
                format!("unexpected end of the spec, expected {expected}"),
                self.here(0),
                "the spec ends after this",
                help,
            ),
            Some(c) if is_disallowed(c) => self.disallowed(c),
            Some(c) => {
                err(format!("unexpected {}, expected {expected}", describe(c)), self.here(c.len_utf8()), "here", help)
            }
        }
    }

    fn disallowed(&self, c: char) -> SyntaxError {
        err(
            format!("the code point U+{:04X} may not appear in a KDL document", c as u32),
            self.here(c.len_utf8()),
            "this character",
            "KDL forbids control characters, direction overrides and a byte order mark past the start; write it as a `\\u{…}` escape inside a quoted string",
        )
    }

    /// A newline at the cursor: its length in bytes (CRLF is one newline).
    fn newline_len(&self) -> Option<usize> {
        self.newline_len_at(self.i)
    }

    fn newline_len_at(&self, at: usize) -> Option<usize> {
        match self.b.get(at)? {
            b'\r' if self.b.get(at + 1) == Some(&b'\n') => Some(2),
            b'\r' | b'\n' | 0x0B | 0x0C => Some(1),
            b if *b < 0x80 => None,
            _ => self.peek_at(at).filter(|&c| is_newline(c)).map(char::len_utf8),
        }
    }

    /// `/* … */`, nested, at the cursor.
    fn block_comment(&mut self) -> Result<()> {
        let start = self.i;
        self.i += 2;
        let mut level = 1usize;
        loop {
            match self.b.get(self.i) {
                None => {
                    return Err(SyntaxError {
                        opened: Some((Span { offset: start, len: 2 }, "the comment starts here")),
                        ..err(
                            "unexpected end of the spec inside a block comment",
                            self.here(0),
                            "here",
                            "close the comment with `*/`",
                        )
                    });
                }
                Some(b'/') if self.b.get(self.i + 1) == Some(&b'*') => {
                    level += 1;
                    if level > MAX_DEPTH {
                        return Err(self.too_deep());
                    }
                    self.i += 2;
                }
                Some(b'*') if self.b.get(self.i + 1) == Some(&b'/') => {
                    self.i += 2;
                    level -= 1;
                    if level == 0 {
                        return Ok(());
                    }
                }
                Some(&b) if b < 0x80 => {
                    if is_disallowed(b as char) {
                        return Err(self.disallowed(b as char));
                    }
                    self.i += 1;
                }
                Some(_) => {
                    let c = self.peek().unwrap_or('\u{FFFD}');
                    if is_disallowed(c) {
                        return Err(self.disallowed(c));
                    }
                    self.i += c.len_utf8();
                }
            }
        }
    }

    fn too_deep(&self) -> SyntaxError {
        err(
            format!("the spec nests deeper than {MAX_DEPTH} levels"),
            self.here(1),
            "this level is too deep",
            "pynoc specs nest blocks a few levels deep; flatten the blocks or close the comments",
        )
    }

    /// `// …` up to, not including, the newline.
    fn line_comment(&mut self) -> Result<()> {
        self.i += 2;
        while let Some(c) = self.peek() {
            if is_newline(c) {
                break;
            }
            if is_disallowed(c) {
                return Err(self.disallowed(c));
            }
            self.i += c.len_utf8();
        }
        Ok(())
    }

    /// `ws*`: unicode spaces and block comments. True when it moved.
    fn ws(&mut self) -> Result<bool> {
        let start = self.i;
        loop {
            match self.b.get(self.i) {
                Some(b' ' | b'\t') => self.i += 1,
                Some(b'/') if self.b.get(self.i + 1) == Some(&b'*') => self.block_comment()?,
                Some(&b) if b >= 0x80 => match self.peek() {
                    Some(c) if is_unicode_space(c) => self.i += c.len_utf8(),
                    _ => break,
                },
                _ => break,
            }
        }
        Ok(self.i > start)
    }

    /// `node-space*`: spaces, block comments and line continuations (`\` to the end of the
    /// line). True when it moved.
    fn node_space(&mut self) -> Result<bool> {
        let start = self.i;
        loop {
            self.ws()?;
            if self.b.get(self.i) != Some(&b'\\') {
                break;
            }
            let slash = self.i;
            self.i += 1;
            self.ws()?;
            if self.starts("//") {
                self.line_comment()?;
            }
            match self.newline_len() {
                Some(n) => self.i += n,
                None if self.i >= self.b.len() => {}
                None => {
                    self.i = slash;
                    return Err(err(
                        "a `\\` outside a string must end its line",
                        self.here(1),
                        "this line continuation",
                        "a backslash continues a node on the next line; nothing but spaces or a comment may follow it",
                    ));
                }
            }
        }
        Ok(self.i > start)
    }

    /// `line-space*`: node space, newlines and line comments.
    fn line_space(&mut self) -> Result<()> {
        loop {
            self.node_space()?;
            if let Some(n) = self.newline_len() {
                self.i += n;
            } else if self.starts("//") {
                self.line_comment()?;
            } else {
                return Ok(());
            }
        }
    }

    /// `nodes`: until end of file (top level) or the `}` of the block opened at `open`.
    fn nodes(&mut self, open: Option<usize>) -> Result<Vec<RawNode>> {
        let mut out = Vec::new();
        loop {
            self.line_space()?;
            match self.peek() {
                None => {
                    return match open {
                        None => Ok(out),
                        Some(at) => Err(SyntaxError {
                            opened: Some((Span { offset: at, len: 1 }, "this block is not closed")),
                            ..err(
                                "unexpected end of the spec inside a block",
                                self.here(0),
                                "the spec ends after this",
                                "close the block with `}`",
                            )
                        }),
                    };
                }
                Some('}') => {
                    return match open {
                        Some(_) => Ok(out),
                        None => Err(err(
                            "unexpected `}`: no block is open",
                            self.here(1),
                            "this brace closes nothing",
                            "remove it, or open the block it should close with `{`",
                        )),
                    };
                }
                Some('/') if self.starts("/-") => {
                    self.slashdash()?;
                    if matches!(self.peek(), None | Some('}')) {
                        return Err(self.unexpected("a node after `/-`", "`/-` comments out the node that follows it"));
                    }
                    self.node()?;
                }
                Some(_) => out.push(self.node()?),
            }
        }
    }

    /// `(type)`.
    fn annotation(&mut self) -> Result<Spanned<String>> {
        let open = self.i;
        self.i += 1;
        self.node_space()?;
        let name = self.string("a type name", "a type annotation is a name in parentheses, like `(u8)`")?;
        self.node_space()?;
        if self.peek() != Some(')') {
            return Err(SyntaxError {
                opened: Some((Span { offset: open, len: 1 }, "the annotation starts here")),
                ..self.unexpected("`)`", "a type annotation is a name in parentheses, like `(u8)`")
            });
        }
        self.i += 1;
        Ok(Spanned { value: name.value, span: self.span_from(open) })
    }

    /// One node, through its terminator (a newline, `;`, a line comment, the end of the
    /// file) or up to the `}` that closes its parent.
    fn node(&mut self) -> Result<RawNode> {
        let start = self.i;
        let ty = if self.peek() == Some('(') { Some(self.annotation()?) } else { None };
        self.node_space()?;
        let name = self.string("a node name", "a node starts with its name: an identifier or a quoted string")?;
        let mut end = self.i;
        let mut entries = Vec::new();
        let mut children: Option<Vec<RawNode>> = None;
        // Once any children block is seen (real or commented out), only more commented-out
        // blocks may follow.
        let mut block_seen = false;
        loop {
            let spaced = self.node_space()?;
            match self.peek() {
                None | Some('}') => break,
                Some(';') => {
                    self.i += 1;
                    break;
                }
                Some('/') if self.starts("//") => {
                    self.line_comment()?;
                    break;
                }
                Some(c) if is_newline(c) => {
                    self.i += self.newline_len().unwrap_or(1);
                    break;
                }
                Some('{') => {
                    if children.is_some() {
                        return Err(err(
                            "a node has one children block",
                            self.here(1),
                            "a second block",
                            "merge the two blocks into one",
                        ));
                    }
                    children = Some(self.children()?);
                    block_seen = true;
                    end = self.i;
                }
                Some('/') if self.starts("/-") => {
                    if !spaced {
                        return Err(self.unexpected("a space before `/-`", "separate `/-` from what comes before it"));
                    }
                    self.slashdash()?;
                    if self.peek() == Some('{') {
                        self.children()?;
                        block_seen = true;
                    } else if block_seen {
                        return Err(self.after_children());
                    } else if matches!(self.peek(), None | Some('}' | ';')) {
                        return Err(self.unexpected(
                            "an argument, a property or a block after `/-`",
                            "`/-` comments out the entry or block that follows it",
                        ));
                    } else {
                        self.entry()?;
                    }
                }
                Some(_) => {
                    if block_seen {
                        return Err(self.after_children());
                    }
                    if !spaced {
                        return Err(self.unexpected(
                            "a space, a newline or `;`",
                            "separate a node's name, arguments and properties with spaces",
                        ));
                    }
                    entries.push(self.entry()?);
                    end = self.i;
                }
            }
        }
        Ok(RawNode { ty, name, entries, children, span: Span { offset: start, len: end - start } })
    }

    /// `/-` and the line space after it, at the cursor.
    fn slashdash(&mut self) -> Result<()> {
        let at = self.i;
        self.i += 2;
        self.line_space()?;
        if self.starts("/-") {
            return Err(err(
                "`/-` comments out a node, an entry or a block, not another `/-`",
                Span { offset: at, len: self.i + 2 - at },
                "two slashdashes",
                "remove one of them",
            ));
        }
        Ok(())
    }

    fn after_children(&self) -> SyntaxError {
        let found = match self.peek() {
            Some(c) => describe(c),
            None => "end of the spec".into(),
        };
        err(
            format!("unexpected {found} after the children block"),
            self.here(self.peek().map_or(0, char::len_utf8)),
            "here",
            "a node's arguments and properties come before its `{ … }` block; end the node with a newline or `;`",
        )
    }

    /// `{ nodes }` at the cursor.
    fn children(&mut self) -> Result<Vec<RawNode>> {
        let open = self.i;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        self.i += 1;
        let nodes = self.nodes(Some(open))?;
        self.i += 1; // the `}` that `nodes` stopped at
        self.depth -= 1;
        Ok(nodes)
    }

    /// An argument or a property.
    fn entry(&mut self) -> Result<RawEntry> {
        let start = self.i;
        if self.peek() == Some('(') {
            let ty = self.annotation()?;
            self.node_space()?;
            let value = self.value_token()?;
            let span = self.span_from(start);
            let save = self.i;
            self.node_space()?;
            if self.peek() == Some('=') {
                return Err(err(
                    "a property's key has no type annotation",
                    ty.span,
                    "this annotation",
                    "annotate the value instead: `key=(type)value`",
                ));
            }
            self.i = save;
            return Ok(RawEntry { key: None, ty: Some(ty), value: Spanned { value, span } });
        }
        let value = self.value_token()?;
        let span = self.span_from(start);
        let save = self.i;
        self.node_space()?;
        if self.peek() != Some('=') {
            self.i = save;
            return Ok(RawEntry { key: None, ty: None, value: Spanned { value, span } });
        }
        let Value::String(key) = value else {
            return Err(err("a property's key is a string", span, "not a string", "quote the key: `\"1\"=value`"));
        };
        self.i += 1;
        self.node_space()?;
        let vstart = self.i;
        let ty = if self.peek() == Some('(') {
            let ty = self.annotation()?;
            self.node_space()?;
            Some(ty)
        } else {
            None
        };
        if self.starts("/-") {
            return Err(self.unexpected("the property's value", "`/-` cannot comment out only the value of a property"));
        }
        let value = self.value_token()?;
        Ok(RawEntry {
            key: Some(Spanned { value: key, span }),
            ty,
            value: Spanned { value, span: self.span_from(vstart) },
        })
    }

    /// A string, a number or a keyword.
    fn value_token(&mut self) -> Result<Value> {
        match self.peek() {
            Some('"') => Ok(Value::String(self.quoted()?)),
            Some('#') => {
                let hashes = self.b[self.i..].iter().take_while(|&&b| b == b'#').count();
                if self.b.get(self.i + hashes) == Some(&b'"') {
                    Ok(Value::String(self.raw(hashes)?))
                } else {
                    self.keyword()
                }
            }
            _ => self.bare("a value", "a value is a string, a number, `#true`, `#false` or `#null`"),
        }
    }

    /// A string where KDL wants one: a name, a key, a type.
    fn string(&mut self, what: &str, help: &str) -> Result<Spanned<String>> {
        let start = self.i;
        let value = match self.peek() {
            Some('"') => self.quoted()?,
            Some('#') if self.b[self.i..].iter().find(|&&b| b != b'#') == Some(&b'"') => {
                let hashes = self.b[self.i..].iter().take_while(|&&b| b == b'#').count();
                self.raw(hashes)?
            }
            _ => match self.bare(what, help)? {
                Value::String(s) => s,
                _ => {
                    return Err(err(
                        format!("expected {what}, found a number"),
                        self.span_from(start),
                        "a number",
                        format!("{help}; quote it if it is a name: `\"{}\"`", &self.s[start..self.i]),
                    ));
                }
            },
        };
        Ok(Spanned { value, span: self.span_from(start) })
    }

    /// An identifier or a number: a run of identifier characters.
    fn bare(&mut self, what: &str, help: &str) -> Result<Value> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if !is_ident_char(c) {
                break;
            }
            self.i += c.len_utf8();
        }
        if self.i == start {
            return Err(self.unexpected(what, help));
        }
        let text = &self.s[start..self.i];
        let span = self.span_from(start);
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        if unsigned.starts_with(|c: char| c.is_ascii_digit()) {
            return number(text).ok_or_else(|| {
                err(
                    format!("`{text}` is not a valid number"),
                    span,
                    "not a number",
                    "numbers are decimal (`1_000`, `1.5`, `2e3`) or `0x`/`0o`/`0b` integers; quote it if it is a string",
                )
            });
        }
        if unsigned.strip_prefix('.').is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
            return Err(err(
                format!("`{text}` is neither a number nor an identifier"),
                span,
                "ambiguous",
                "write a leading zero for a number (`0.5`), or quote it for a string",
            ));
        }
        if KEYWORDS.contains(&text) {
            return Err(err(
                format!("`{text}` is a keyword, not an identifier"),
                span,
                "a bare keyword",
                format!("KDL 2.0 writes keywords with `#`: `#{text}`; quote it for the string: `\"{text}\"`"),
            ));
        }
        Ok(Value::String(text.to_string()))
    }

    /// `#true`, `#false`, `#null`, `#inf`, `#-inf`, `#nan`.
    fn keyword(&mut self) -> Result<Value> {
        let start = self.i;
        self.i += 1;
        while let Some(c) = self.peek() {
            if !is_ident_char(c) {
                break;
            }
            self.i += c.len_utf8();
        }
        Ok(match &self.s[start..self.i] {
            "#true" => Value::Bool(true),
            "#false" => Value::Bool(false),
            "#null" => Value::Null,
            "#inf" => Value::Float(f64::INFINITY),
            "#-inf" => Value::Float(f64::NEG_INFINITY),
            "#nan" => Value::Float(f64::NAN),
            other => {
                return Err(err(
                    format!("`{other}` is not a KDL keyword"),
                    self.span_from(start),
                    "unknown keyword",
                    "the keywords are `#true`, `#false`, `#null`, `#inf`, `#-inf` and `#nan`; a raw string is `#\"…\"#`",
                ));
            }
        })
    }

    fn unterminated(&self, start: usize, what: &'static str, help: &str) -> SyntaxError {
        SyntaxError {
            opened: Some((Span { offset: start, len: 1 }, "the string starts here")),
            ..err(format!("unexpected end of the spec inside {what}"), self.here(0), "the spec ends after this", help)
        }
    }

    /// A backslash escape at the cursor, in a quoted string: the character it stands for,
    /// or `None` for a whitespace escape (which stands for nothing).
    fn escape(&mut self) -> Result<Option<char>> {
        let at = self.i;
        self.i += 1;
        let c = match self.peek() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('b') => '\u{8}',
            Some('f') => '\u{C}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('s') => ' ',
            Some('u') if self.b.get(self.i + 1) == Some(&b'{') => {
                let digits = self.b[self.i + 2..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
                let end = self.i + 2 + digits;
                let code = (1..=6)
                    .contains(&digits)
                    .then(|| u32::from_str_radix(&self.s[self.i + 2..end], 16).ok())
                    .flatten()
                    .filter(|_| self.b.get(end) == Some(&b'}'))
                    .and_then(char::from_u32);
                let Some(c) = code else {
                    return Err(err(
                        "invalid unicode escape",
                        Span { offset: at, len: (end + 1).min(self.b.len()) - at },
                        "this escape",
                        "write `\\u{` and one to six hex digits of a Unicode scalar value, then `}`",
                    ));
                };
                self.i = end + 1;
                return Ok(Some(c));
            }
            Some(c) if is_unicode_space(c) || is_newline(c) => {
                while let Some(c) = self.peek() {
                    if is_unicode_space(c) {
                        self.i += c.len_utf8();
                    } else if let Some(n) = self.newline_len() {
                        self.i += n;
                    } else {
                        break;
                    }
                }
                return Ok(None);
            }
            _ => {
                return Err(err(
                    "invalid escape in a quoted string",
                    Span { offset: at, len: 1 + self.peek().map_or(0, char::len_utf8) },
                    "this escape",
                    "the escapes are `\\\"`, `\\\\`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t`, `\\s` and `\\u{…}`; a backslash before spaces or a newline removes them",
                ));
            }
        };
        self.i += 1;
        Ok(Some(c))
    }

    /// `"…"` or `"""` multi-line `"""` at the cursor.
    fn quoted(&mut self) -> Result<String> {
        let start = self.i;
        if self.starts("\"\"\"") {
            self.i += 3;
            return match self.newline_len() {
                Some(n) => {
                    self.i += n;
                    self.multiline(start)
                }
                None => Err(err(
                    "a multi-line string starts with a newline",
                    Span { offset: start, len: 3 },
                    "these quotes",
                    "put a newline right after the opening `\"\"\"`",
                )),
            };
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            // The run of plain characters up to the next quote, backslash or special byte.
            let run =
                self.b[self.i..].iter().take_while(|&&b| b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7F).count();
            if run > 0 {
                let chunk = &self.s[self.i..self.i + run];
                if let Some((k, c)) = chunk.char_indices().find(|&(_, c)| is_disallowed(c) || is_newline(c)) {
                    out.push_str(&chunk[..k]);
                    self.i += k;
                    if is_newline(c) {
                        return Err(self.newline_in_string(start));
                    }
                    return Err(self.disallowed(c));
                }
                out.push_str(chunk);
                self.i += run;
            }
            match self.peek() {
                None => {
                    return Err(self.unterminated(start, "a quoted string", "close the string with `\"`"));
                }
                Some('"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    if let Some(c) = self.escape()? {
                        out.push(c);
                    }
                }
                Some(c) if is_newline(c) => return Err(self.newline_in_string(start)),
                Some(c) if is_disallowed(c) => return Err(self.disallowed(c)),
                Some(c) => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }

    fn newline_in_string(&self, start: usize) -> SyntaxError {
        SyntaxError {
            opened: Some((Span { offset: start, len: 1 }, "the string starts here")),
            ..err(
                "unexpected newline in a single-line quoted string",
                self.here(0),
                "the line ends before the string is closed",
                "close the string with `\"` on this line; a multi-line string is wrapped in `\"\"\"`, with a newline right after the opening quotes",
            )
        }
    }

    /// The body of a multi-line quoted string, after the opening `"""` and its newline.
    /// Lines are found first (a whitespace escape joins a line to the next), the last one
    /// gives the indentation every other line must start with, then escapes are read.
    fn multiline(&mut self, start: usize) -> Result<String> {
        // (start, end) of each line's text, the newline excluded.
        let mut lines = Vec::new();
        let mut line_start = self.i;
        loop {
            match self.peek() {
                None => {
                    return Err(self.unterminated(
                        start,
                        "a multi-line string",
                        "close the string with `\"\"\"` on a line of its own",
                    ));
                }
                Some('"') if self.starts("\"\"\"") => break,
                Some('\\') => {
                    self.escape()?;
                }
                Some(c) if is_newline(c) => {
                    lines.push((line_start, self.i));
                    self.i += self.newline_len().unwrap_or(1);
                    line_start = self.i;
                }
                Some(c) if is_disallowed(c) => return Err(self.disallowed(c)),
                Some(c) => self.i += c.len_utf8(),
            }
        }
        let close = self.i;
        let last = &self.s[line_start..close];
        let indent = &last[..last.len() - last.trim_start_matches(is_unicode_space).len()];
        if !only_space(&last[indent.len()..]) {
            return Err(SyntaxError {
                opened: Some((Span { offset: start, len: 3 }, "the string starts here")),
                ..err(
                    "the closing `\"\"\"` of a multi-line string must be on a line of its own",
                    Span { offset: line_start, len: close - line_start },
                    "text before the closing quotes",
                    "move the closing `\"\"\"` to the next line, indented like the text",
                )
            });
        }
        self.i += 3;
        self.dedent(&lines, indent, true)
    }

    /// A multi-line string's lines joined by `\n`, each without `indent` (which it must start
    /// with unless it is blank), escapes read when the string is not raw.
    fn dedent(&self, lines: &[(usize, usize)], indent: &str, escapes: bool) -> Result<String> {
        let mut out = String::new();
        for (n, &(a, b)) in lines.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let line = &self.s[a..b];
            // Blank: spaces only (and, in a quoted string, whitespace escapes).
            if if escapes { only_space(line) } else { line.chars().all(is_unicode_space) } {
                continue;
            }
            let Some(rest) = line.strip_prefix(indent) else {
                return Err(self.bad_indent(a, line, indent));
            };
            if escapes {
                unescape_into(&mut out, rest);
            } else {
                out.push_str(rest);
            }
        }
        Ok(out)
    }

    fn bad_indent(&self, at: usize, line: &str, indent: &str) -> SyntaxError {
        let own = line.len() - line.trim_start_matches(is_unicode_space).len();
        err(
            "a line of a multi-line string is not indented like its closing quotes",
            Span { offset: at, len: own.max(1).min(line.len()) },
            "this indentation",
            format!(
                "every line must start with the {} whitespace characters before the closing `\"\"\"`, the same characters",
                indent.chars().count()
            ),
        )
    }

    /// `#"…"#`, `##"…"##`, `#"""` multi-line `"""#` at the cursor.
    fn raw(&mut self, hashes: usize) -> Result<String> {
        let start = self.i;
        self.i += hashes;
        let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
        if self.starts("\"\"\"") {
            if self.newline_len_at(self.i + 3).is_none() {
                return Err(err(
                    "a raw string that opens with `\"\"\"` is multi-line: a newline must follow the quotes",
                    Span { offset: start, len: hashes + 3 },
                    "these quotes",
                    format!(
                        "put a newline after the opening quotes, or open a single-line raw string with `{}\"`",
                        "#".repeat(hashes)
                    ),
                ));
            }
            self.i += 3;
            self.i += self.newline_len().unwrap_or(1);
            let close3 = format!("\"\"{close}");
            let mut lines = Vec::new();
            let mut line_start = self.i;
            loop {
                match self.peek() {
                    None => {
                        return Err(self.unterminated(
                            start,
                            "a raw string",
                            &format!("close the string with `{close3}`"),
                        ));
                    }
                    Some('"') if self.starts(&close3) => break,
                    Some(c) if is_newline(c) => {
                        lines.push((line_start, self.i));
                        self.i += self.newline_len().unwrap_or(1);
                        line_start = self.i;
                    }
                    Some(c) if is_disallowed(c) => return Err(self.disallowed(c)),
                    Some(c) => self.i += c.len_utf8(),
                }
            }
            let last = &self.s[line_start..self.i];
            if !last.chars().all(is_unicode_space) {
                return Err(err(
                    "the closing quotes of a multi-line raw string must be on a line of their own",
                    Span { offset: line_start, len: self.i - line_start },
                    "text before the closing quotes",
                    "move the closing quotes to the next line, indented like the text",
                ));
            }
            self.i += close3.len();
            return self.dedent(&lines, last, false);
        }
        self.i += 1;
        let body = self.i;
        loop {
            match self.peek() {
                None => {
                    return Err(self.unterminated(start, "a raw string", &format!("close the string with `{close}`")));
                }
                Some('"') if self.starts(&close) => break,
                Some(c) if is_newline(c) => return Err(self.newline_in_string(start)),
                Some(c) if is_disallowed(c) => return Err(self.disallowed(c)),
                Some(c) => self.i += c.len_utf8(),
            }
        }
        let text = &self.s[body..self.i];
        self.i += close.len();
        if text == "\"" {
            return Err(err(
                "a single-line raw string cannot be only `\"`",
                self.span_from(start),
                "this string",
                "a raw string that starts with `\"\"\"` is multi-line and needs a newline after the quotes; for one quote write `\"\\\"\"`",
            ));
        }
        Ok(text.to_string())
    }
}

/// Only unicode spaces and whitespace escapes (a backslash before spaces and newlines).
fn only_space(s: &str) -> bool {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if !chars.peek().is_some_and(|&n| is_unicode_space(n) || is_newline(n)) {
                return false;
            }
        } else if !(is_unicode_space(c) || is_newline(c)) {
            return false;
        }
    }
    true
}

/// The characters of a multi-line string's line, its escapes read (they were checked when
/// the string's extent was found).
fn unescape_into(out: &mut String, s: &str) {
    let mut p = Parser { s, b: s.as_bytes(), i: 0, depth: 0 };
    while let Some(c) = p.peek() {
        if c == '\\' {
            if let Ok(Some(c)) = p.escape() {
                out.push(c);
            }
        } else {
            out.push(c);
            p.i += c.len_utf8();
        }
    }
}

/// A KDL number: decimal (an integer, or a float with a fraction or an exponent), or a
/// `0x`/`0o`/`0b` integer; underscores after the first digit.
fn number(text: &str) -> Option<Value> {
    let (sign, unsigned) = match text.as_bytes()[0] {
        b'-' => ("-", &text[1..]),
        b'+' => ("", &text[1..]),
        _ => ("", text),
    };
    let radix = |digits: &str, radix: u32| -> Option<Value> {
        let first = digits.chars().next()?;
        if !first.is_digit(radix) || !digits.chars().all(|c| c == '_' || c.is_digit(radix)) {
            return None;
        }
        let clean: String = std::iter::once(sign).chain(digits.split('_')).collect();
        i128::from_str_radix(&clean, radix).ok().map(Value::Int)
    };
    if let Some(d) = unsigned.strip_prefix("0x") {
        return radix(d, 16);
    }
    if let Some(d) = unsigned.strip_prefix("0o") {
        return radix(d, 8);
    }
    if let Some(d) = unsigned.strip_prefix("0b") {
        return radix(d, 2);
    }
    // integer ('.' integer)? (('e' | 'E') sign? integer)?
    let digits = |s: &str| -> usize {
        let b = s.as_bytes();
        if b.first().is_some_and(u8::is_ascii_digit) {
            b.iter().take_while(|b| b.is_ascii_digit() || **b == b'_').count()
        } else {
            0
        }
    };
    let int = digits(unsigned);
    if int == 0 {
        return None;
    }
    let mut rest = &unsigned[int..];
    let mut float = false;
    if let Some(r) = rest.strip_prefix('.') {
        let n = digits(r);
        if n == 0 {
            return None;
        }
        rest = &r[n..];
        float = true;
    }
    if let Some(r) = rest.strip_prefix(['e', 'E']) {
        let r = r.strip_prefix(['+', '-']).unwrap_or(r);
        let n = digits(r);
        if n == 0 {
            return None;
        }
        rest = &r[n..];
        float = true;
    }
    if !rest.is_empty() {
        return None;
    }
    let clean: String = std::iter::once(sign).chain(unsigned.split('_')).collect();
    if float { clean.parse::<f64>().ok().map(Value::Float) } else { clean.parse::<i128>().ok().map(Value::Int) }
}

/// How a message names a character.
fn describe(c: char) -> String {
    match c {
        '\n' | '\r' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}' => "newline".into(),
        c if c.is_control() || is_unicode_space(c) => format!("U+{:04X}", c as u32),
        c => format!("`{c}`"),
    }
}
