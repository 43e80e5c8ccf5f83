//! What the fuzz targets (`fuzz/`) run, kept in the library so that `cargo test` replays
//! their seed corpus and every saved crash on a stable toolchain.
//!
//! Two inputs: arbitrary bytes as a spec file, and structure-aware mutations of the bundled
//! examples, where fuzzed text replaces the values of the spec (written as valid KDL
//! strings, so every field of every section is reached past the parser). For each input the
//! whole pipeline runs; it must not panic, and when the spec is accepted, every artifact
//! must keep the shape its consumer reads ([`crate::verify::shape`]) and the diagnostics of a
//! rejected spec must render.

use crate::verify::shape;

pub const EXAMPLES: &[&str] = &[
    include_str!("../examples/pynomaly/spec.kdl"),
    include_str!("../examples/everything/spec.kdl"),
    include_str!("../examples/ledger/spec.kdl"),
    include_str!("../examples/atelier/spec.kdl"),
];

/// Runs arbitrary bytes through the pipeline as a spec file.
pub fn bytes(data: &[u8]) {
    match crate::decode(data, "fuzz.kdl") {
        Ok(text) => {
            run(&text);
        }
        Err(diags) => {
            crate::diag::render_all(&diags, false);
        }
    }
}

/// Runs a mutation of an example, chosen and shaped by `data`; true when it was accepted.
pub fn mutated(data: &[u8]) -> bool {
    run(&mutate(data))
}

/// The example `data[0]` picks, with values replaced as the rest of `data` says: chunks of
/// `[which value: 2 bytes][length: 1 byte][that many bytes of new text]`. A chunk whose
/// length byte has the top bit set is spliced in raw (not as a KDL string), to reach the
/// syntax around the values too; a raw chunk of length 0 is followed by 2 more bytes that
/// name another value, copied over this one as written (a value of one field in another).
pub(crate) fn mutate(data: &[u8]) -> String {
    let Some((&pick, mut rest)) = data.split_first() else {
        return EXAMPLES[0].to_string();
    };
    let mut text = EXAMPLES[usize::from(pick) % EXAMPLES.len()].to_string();
    while rest.len() >= 3 {
        let which = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let raw = rest[2] & 0x80 != 0;
        let len = usize::from(rest[2] & 0x7f).min(rest.len() - 3);
        let values = values(&text);
        if values.is_empty() {
            break;
        }
        let (start, end) = values[which % values.len()];
        let replacement = if raw && len == 0 && rest.len() >= 5 {
            let (a, b) = values[usize::from(u16::from_le_bytes([rest[3], rest[4]])) % values.len()];
            rest = &rest[5..];
            text[a..b].to_string()
        } else {
            let new = String::from_utf8_lossy(&rest[3..3 + len]).into_owned();
            rest = &rest[3 + len..];
            if raw { new } else { kdl_string(&new) }
        };
        text.replace_range(start..end, &replacement);
    }
    text
}

/// Runs one spec text through the pipeline and asserts what must hold for every input;
/// true when the spec was accepted.
pub(crate) fn run(text: &str) -> bool {
    // `pynoc fmt`: never an internal error (a layout that would change the meaning or not
    // parse), and formatting its own output changes nothing.
    match crate::fmt::format(text, "spec.kdl") {
        Ok(once) => {
            let twice = crate::fmt::format(&once, "spec.kdl");
            assert!(
                twice.as_ref().is_ok_and(|t| *t == once),
                "fmt is not idempotent:\n--- spec ---\n{text}\n--- once ---\n{once}\n--- twice ---\n{twice:?}"
            );
        }
        Err(diags) => assert!(
            !diags.iter().any(|d| d.kind == crate::diag::Kind::Internal),
            "fmt failed inside: {}\n--- spec ---\n{text}",
            crate::diag::render_all(&diags, false)
        ),
    }
    match crate::compile(text, "spec.kdl") {
        Ok(c) => {
            let problems = shape::check(&c.artifacts);
            assert!(
                problems.is_empty(),
                "an accepted spec produced a malformed artifact:\n{}\n--- spec ---\n{text}",
                problems.join("\n")
            );
            serde_json::from_str::<serde_json::Value>(&c.manifest).expect("the manifest is JSON");
            true
        }
        Err(diags) => {
            assert!(diags.iter().any(|d| d.is_error()), "a rejected spec has an error");
            crate::diag::render_all(&diags, false);
            false
        }
    }
}

/// The byte ranges of the example's values: quoted strings, and the words after `=` and
/// after a node name (numbers, `#true`, bare identifiers), outside comments.
pub fn values(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    let mut words_on_line = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line_start = true;
                words_on_line = 0;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push((start, i));
                words_on_line += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'{' | b'}' | b';' => i += 1,
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && !b"{}\";".contains(&b[i]) {
                    i += 1;
                }
                let word = &text[start..i];
                if let Some(eq) = word.find('=') {
                    if i > start + eq + 1 {
                        out.push((start + eq + 1, i));
                    }
                } else if !line_start || words_on_line > 0 {
                    out.push((start, i));
                }
                line_start = false;
                words_on_line += 1;
            }
        }
    }
    out
}

/// `s` as a KDL 2.0 quoted string.
fn kdl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // KDL refuses these as written (controls, line separators, bidi marks); the
            // escape gives the same character.
            c if crate::lower::validate::hidden_char(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutation_replaces_one_value_with_a_kdl_string() {
        let values = values(EXAMPLES[0]);
        assert!(values.len() > 100, "{}", values.len());
        // Replace value 0 with a hostile string: the spec still parses as KDL.
        let data = [0u8, 0, 0, 12, b'a', b'\n', b'P', b'e', b'r', b'm', b'i', b't', b'"', b';', b'{', b'}'];
        let text = mutate(&data);
        assert_ne!(text, EXAMPLES[0]);
        assert!(kdl::KdlDocument::parse_v2(&text).is_ok(), "{text}");
        run(&text);
    }
}
