//! Every spec in tests/bad/ must fail, and its colour-free rendered diagnostics must equal
//! the snapshot in tests/snapshots/; every spec in tests/warn/ compiles with warnings. Review changes with `cargo insta review`.

use std::fs;

#[test]
fn bad_specs() {
    insta::glob!("bad/*.kdl", |path| {
        let text = fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let diags = match pynoc::analyze(&text, name) {
            Ok(_) => panic!("{name} compiled, but every spec in tests/bad must fail"),
            Err(d) => d,
        };
        assert!(diags.iter().any(|d| d.is_error()), "{name}: no error diagnostic");
        for d in &diags {
            assert!(d.primary.is_some(), "{name}: `{}` points nowhere into the spec", d.message);
            assert!(d.help.is_some(), "{name}: `{}` has no help line", d.message);
            assert!(d.message.starts_with(|c: char| !c.is_uppercase()), "{name}: message not lowercase: {}", d.message);
        }
        let rendered: String = diags.iter().map(|d| d.render(false)).collect();
        insta::assert_snapshot!(rendered);
    });
}

/// Every spec in tests/warn/ compiles, with warnings (and waived findings) only: what is
/// reported, and what the spec waived, equals its snapshot.
#[test]
fn warning_specs() {
    insta::glob!("warn/*.kdl", |path| {
        let text = fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let a = pynoc::analyze(&text, name).unwrap_or_else(|d| {
            panic!("{name} must compile: {}", d.iter().map(|d| d.render(false)).collect::<String>())
        });
        assert!(!a.warnings.is_empty() || !a.waived.is_empty(), "{name}: no warning and nothing waived");
        for d in &a.warnings {
            assert!(!d.is_error() && d.primary.is_some() && d.help.is_some(), "{name}: {}", d.message);
        }
        let mut rendered: String = a.warnings.iter().map(|d| d.render(false)).collect();
        for w in &a.waived {
            rendered.push_str(&format!("waived {} ({}): {} (reason: {})\n", w.code, w.slug, w.message, w.reason));
        }
        insta::assert_snapshot!(rendered);
    });
}

/// The compile never panics, whatever the input: every prefix of the example, and many
/// deterministic byte mutations of it.
#[test]
#[allow(clippy::too_many_lines, reason = "a test reads as one script")]
fn no_panic_on_mangled_input() {
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pynomaly/spec.kdl")).unwrap();
    let bytes = text.as_bytes();
    for cut in (0..bytes.len()).step_by(17) {
        let prefix = String::from_utf8_lossy(&bytes[..cut]);
        let _ = pynoc::compile(&prefix, "spec.kdl");
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"{}\"=#;/\\\n 0123456789-abcxyz.:*()";
    // PYNOC_FUZZ_ITERS raises the count for a longer local run.
    let iters: usize = std::env::var("PYNOC_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    for _ in 0..iters {
        let mut m = bytes.to_vec();
        for _ in 0..(1 + next() % 4) {
            let at = (next() as usize) % m.len();
            match next() % 3 {
                0 => m[at] = alphabet[(next() as usize) % alphabet.len()],
                1 => {
                    m.remove(at);
                }
                _ => m.insert(at, alphabet[(next() as usize) % alphabet.len()]),
            }
        }
        let s = String::from_utf8_lossy(&m);
        if let Err(diags) = pynoc::compile(&s, "spec.kdl") {
            for d in diags {
                let _ = d.render(false);
            }
        }
    }
    // Values replaced by hostile or out-of-range ones: lowering, checks and emission see
    // every kind of wrong value at every place.
    let hostile = [
        "\"\"",
        "\"a\\nb\"",
        "0",
        "-1",
        "65536",
        "99999999999999999999",
        "#true",
        "#false",
        "#null",
        "1.5",
        "\"/\"",
        "\"..\"",
        "\"$(id)\"",
        "\"a;b\"",
        "\"{}\"",
        "\"0.0.0.0/0\"",
        "\"::/0\"",
        "\"10.0.0.1/8\"",
        "\"x\"",
        "\"%(x)s\"",
        "\"'\"",
        "\"\\\"\"",
    ];
    let mut spots = Vec::new();
    let mut in_str = false;
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' if !in_str => {
                in_str = true;
                start = i;
            }
            b'"' if in_str && bytes[i - 1] != b'\\' => {
                in_str = false;
                spots.push((start, i + 1));
            }
            _ => {}
        }
    }
    for i in 0..iters {
        let (a, b) = spots[(next() as usize) % spots.len()];
        let with = hostile[(i + next() as usize) % hostile.len()];
        let text = format!("{}{}{}", &text[..a], with, &text[b..]);
        if let Err(diags) = pynoc::compile(&text, "spec.kdl") {
            assert!(!diags.iter().any(|d| d.kind == pynoc::diag::Kind::Internal), "internal error for `{with}` at {a}");
            for d in diags {
                let _ = d.render(false);
            }
        }
    }
}
