//! Structure-aware: the bundled examples with fuzzed text in their values, so every field
//! of every section is reached past the parser (`pynoc::fuzzing::mutated`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pynoc::fuzzing::mutated(data);
});
