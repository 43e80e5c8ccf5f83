//! Every spec in tests/bad/ must fail, and its colour-free rendered diagnostics must equal
//! the snapshot in tests/snapshots/. Review changes with `cargo insta review`.

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

/// The compile never panics, whatever the input: every prefix of the example, and many
/// deterministic byte mutations of it.
#[test]
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
    for _ in 0..300 {
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
}
