//! The one place user text is made safe for a terminal: a spec's values, its file name, a
//! file's lines in a diff. A control or escape character (ESC, BEL, CSI…) or a hidden one
//! (bidi controls, tag characters, every format character) never reaches the terminal raw:
//! it could set the window title, write the clipboard (OSC 52) or hide a word from the
//! reviewer.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A character that must not appear raw in free text that a person reads or that an
/// artifact carries: control characters, the line and paragraph separators (a line break to
/// some readers), every format character (bidirectional controls, zero-width characters,
/// soft hyphen, U+061C, tag characters U+E0000–E007F: the "Trojan Source" and "ASCII
/// smuggling" attacks), variation selectors and the blank fillers that render as nothing
/// (U+115F, U+1160, U+3164, U+FFA0).
pub fn hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format | GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
        )
        || matches!(
            c,
            '\u{E0000}'..='\u{E007F}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// `s` with every hidden character but `keep` written as a visible `\u{…}` escape.
fn escaped<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| hidden_char(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden_char(c) && !keep.contains(&c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of user text for the terminal: every hidden character escaped, newlines too.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    escaped(s, &[])
}

/// Several lines of user text (a diff, a rendered report): newlines and tabs kept, every
/// other hidden character escaped.
pub fn clean_lines(s: &str) -> Cow<'_, str> {
    escaped(s, &['\n', '\t'])
}

/// A JSON document with every hidden character written as a `\uXXXX` escape (a UTF-16
/// surrogate pair above U+FFFF): still the same JSON, and safe for a terminal. serde_json
/// escapes the control characters itself; this covers the rest (bidi, tag characters, …),
/// which can only stand inside strings.
pub fn json_safe(doc: &str) -> Cow<'_, str> {
    if !doc.chars().any(|c| hidden_char(c) && c != '\n') {
        return Cow::Borrowed(doc);
    }
    let mut out = String::with_capacity(doc.len() + 16);
    for c in doc.chars() {
        if hidden_char(c) && c != '\n' {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` with each hidden character replaced by visible characters of the same length in
/// bytes, so byte offsets into it (a diagnostic's labels) stay true: `?` for a one-byte
/// character, U+FFFD `�` for a three-byte one, combinations of them for two and four bytes.
/// KDL's line breaks other than `\n` and `\r\n` (a lone CR, VT, FF, NEL, U+2028, U+2029)
/// become spaces and a `\n`, so lines are counted as the parser counted them.
pub(crate) fn same_len(s: &str) -> Cow<'_, str> {
    let shown = |c: char| c == '\n' || c == '\t' || c == '\r' || !hidden_char(c);
    let lone_cr = s.as_bytes().windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') || s.ends_with('\r');
    if !lone_cr && s.chars().all(shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => out.push(c),
            '\r' | '\u{b}' | '\u{c}' => out.push('\n'),
            '\u{85}' => out.push_str(" \n"),
            '\u{2028}' | '\u{2029}' => out.push_str("  \n"),
            c if shown(c) => out.push(c),
            c => match c.len_utf8() {
                3 => out.push('\u{FFFD}'),
                4 => out.push_str("?\u{FFFD}"),
                n => out.push_str(&"?".repeat(n)),
            },
        }
    }
    debug_assert_eq!(out.len(), s.len());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_and_tag_character_is_hidden() {
        for c in ['\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{ad}', '\u{61c}', '\u{200b}', '\u{202e}', '\u{2066}'] {
            assert!(hidden_char(c), "{:x}", u32::from(c));
        }
        for c in ['\u{2028}', '\u{2029}', '\u{feff}', '\u{3164}', '\u{115f}', '\u{fe0f}', '\u{e0001}', '\u{e0041}'] {
            assert!(hidden_char(c), "{:x}", u32::from(c));
        }
        // Every tag character, generated.
        assert!(('\u{E0000}'..='\u{E007F}').all(hidden_char));
        for c in ['a', 'é', ' ', '€', '日', '😀', '-'] {
            assert!(!hidden_char(c), "{c}");
        }
    }

    #[test]
    fn json_stays_json() {
        let doc = serde_json::json!({ "m": "a\u{202e}b\u{e0041}c\u{1b}d\u{2028}" }).to_string();
        let safe = json_safe(&doc);
        assert!(!safe.chars().any(|c| hidden_char(c) && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["m"], "a\u{202e}b\u{e0041}c\u{1b}d\u{2028}");
    }

    #[test]
    fn clean_escapes_and_same_len_keeps_offsets() {
        assert_eq!(clean("a\u{1b}]52;c;x\u{7}b"), "a\\u{1b}]52;c;x\\u{7}b");
        assert_eq!(clean_lines("a\n\u{1b}[2J\tb"), "a\n\\u{1b}[2J\tb");
        for s in ["a\u{1b}b", "x\u{202e}y", "t\u{e0041}g", "s\u{ad}h", "é\u{85}", "plain", "a\rb\r\n\u{2028}c\r"] {
            let r = same_len(s);
            assert_eq!(r.len(), s.len(), "{s:?}");
            assert!(!r.chars().any(|c| hidden_char(c) && c != '\n' && c != '\r'), "{r:?}");
            assert!(!r.replace("\r\n", "").contains('\r'), "{r:?}");
        }
    }
}
