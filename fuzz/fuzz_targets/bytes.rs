//! Arbitrary bytes as a spec file: parse → lower → check → emit never panic, and an
//! accepted spec's artifacts keep their consumers' shape (`pynoc::fuzzing::bytes`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pynoc::fuzzing::bytes(data));
