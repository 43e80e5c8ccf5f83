//! pynoc compiles one KDL security spec into the files that harden a production stack.
//!
//! The pipeline, one module per stage:
//! `parse` (KDL text → spanned AST) → `waive` (waivers taken out) → `lower` (AST → typed
//! IR, stdlib merged; partial when sections have errors) → `check` (cross-section rules) →
//! `waive` (findings matched to waivers) → `emit` (IR → artifacts, through stdlib
//! templates) → `write` (atomic output and manifest). `verify` runs each artifact's
//! consumer's own tool.

pub mod artifact;
pub mod ast;
pub mod check;
pub mod codes;
pub mod compliance;
pub mod diag;
pub mod emit;
pub mod fmt;
#[doc(hidden)]
pub mod fuzzing;
mod grammar;
#[doc(hidden)]
pub mod input;
pub mod ir;
pub mod language;
pub mod lower;
pub mod parse;
pub mod provenance;
pub mod report;
pub mod stdlib;
mod syspaths;
pub mod term;
pub mod verify;
pub mod waive;
pub mod write;

use std::sync::Arc;

use miette::NamedSource;
use sha2::{Digest, Sha256};

use diag::{Diagnostic, Diags, Kind};
use emit::Artifact;

/// What a successful compile produces, still in memory.
pub struct Compiled {
    pub spec: ir::Spec,
    pub artifacts: Vec<Artifact>,
    pub manifest: String,
    pub warnings: Vec<Diagnostic>,
    pub waived: Vec<waive::Waived>,
}

/// What the analysis of a spec found: its model, the warnings, the waived findings.
#[derive(Debug)]
pub struct Analysis {
    pub spec: ir::Spec,
    pub warnings: Vec<Diagnostic>,
    pub waived: Vec<waive::Waived>,
}

/// The spec's bytes as text, or a diagnostic at the first byte that is not UTF-8.
pub fn decode(bytes: &[u8], file_name: &str) -> Result<String, Vec<Diagnostic>> {
    let d = Diags::default();
    parse::decode(bytes, &d).ok_or_else(|| {
        let source = Arc::new(NamedSource::new(file_name, Arc::new(String::from_utf8_lossy(bytes).into_owned())));
        d.into_sorted().into_iter().map(|x| x.with_source(source.clone())).collect()
    })
}

/// Parse, lower and check: the spec model with its warnings and waived findings, or every
/// diagnostic of the spec. The checks run on what lowered even when a section has errors,
/// so one run reports the cross-section findings with the section errors.
pub fn analyze(text: &str, file_name: &str) -> Result<Analysis, Vec<Diagnostic>> {
    let d = Diags::default();
    let mut waivers = Vec::new();
    let lowered = parse::parse(text, &d).map(|mut doc| {
        waivers = waive::collect(&mut doc, waive::today(), &d);
        let spec = lower::lower(&doc, &d);
        check::check(&spec, &d);
        spec
    });
    let (diags, waived) = waive::apply(d.into_sorted(), &waivers);
    let source = Arc::new(NamedSource::new(file_name, Arc::new(text.to_string())));
    let failed = diags.iter().any(Diagnostic::is_error);
    let diags: Vec<Diagnostic> = diags.into_iter().map(|x| x.with_source(source.clone())).collect();
    match lowered {
        Some(spec) if !failed => Ok(Analysis { spec, warnings: diags, waived }),
        _ => Err(diags),
    }
}

/// The whole pipeline up to, not including, writing.
pub fn compile(text: &str, file_name: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let Analysis { spec, warnings, waived } = analyze(text, file_name)?;
    let digest = sha256_hex(text.as_bytes());
    let cx = emit::Context { spec: &spec, spec_name: file_name, waived: &waived };
    let artifacts = emit::emit(&cx).map_err(|e| {
        vec![
            Diagnostic::new(Kind::Internal, format!("internal error while rendering: {e:#}"))
                .help("this is a bug in pynoc; please report it with the spec"),
        ]
    })?;
    let manifest = emit::manifest::Manifest::new(&artifacts, file_name, &digest, &spec).render();
    Ok(Compiled { spec, artifacts, manifest, warnings, waived })
}

/// What the spec decided that no single line says: printed by `pynoc check`.
pub fn notes(spec: &ir::Spec) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(host) = &spec.host {
        notes.push(match &host.containers {
            Some(why) => format!(
                "host: containers run on it ({why}): forwarding stays on, the firewall routes only the \
                 container networks' traffic, and iptables rules leave Docker's chains alone"
            ),
            None => "host: no containers run on it (no `compose` stack, no `host containers=#true`): \
                     forwarding stays off and the firewall routes nothing"
                .to_string(),
        });
    }
    // Forced row-level security hides every row from the owner, and so from migrations run
    // as it: said once, with the way the spec offers.
    if let Some(pg) = &spec.postgres
        && let Some(owner) = &pg.owner
        && !pg.row_security.is_empty()
        && !pg.roles.iter().any(|r| r.migrations)
    {
        notes.push(format!(
            "postgres: row-level security is forced on {} table(s), so their owner `{owner}` sees none of their rows: \
             a data migration run as it changes nothing; a role with `migrations=#true` gets the owner's rights and \
             every row",
            pg.row_security.len()
        ));
    }
    notes
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The language the lowerer accepts, as it read `texts`: the union, over the specs, of every
/// node, property, argument and word it asked for (`src/lower/trace.rs`).
#[doc(hidden)]
pub fn trace_language(texts: &[String]) -> lower::trace::Language {
    let mut lang = lower::trace::Language::new();
    for text in texts {
        let d = Diags::default();
        if let Some(mut doc) = parse::parse(text, &d) {
            waive::collect(&mut doc, waive::today(), &d);
            lower::trace::begin(&doc, lang);
            let _ = lower::lower(&doc, &d);
            lang = lower::trace::end();
        }
    }
    lang
}

/// The JSON Schema of the language a user writes, as `pynoc schema` prints it: the trace of
/// the lowerer over the test suite's specs, kept equal to it by tests/language.rs.
pub fn language_schema_json() -> &'static str {
    include_str!("../schema/spec.schema.json")
}

/// The JSON Schema of `lang` with the stdlib's descriptions: what tests/language.rs compares
/// with [`language_schema_json`].
#[doc(hidden)]
pub fn language_schema_of(lang: &lower::trace::Language) -> String {
    language::schema(lang, stdlib::language())
}

/// The JSON Schema of the spec model (the IR the spec lowers to), as `pynoc schema --ir`
/// prints it.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ir::Spec);
    let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
    s.push('\n');
    s
}

/// How long each stage takes on `text` (parse, waivers, lower, check, waivers matched,
/// rendering the diagnostics shown, emit): what `cargo bench` prints to say where the time
/// of a run goes. A measurement, not part of the pipeline.
#[doc(hidden)]
pub fn stage_times(text: &str, file_name: &str) -> Vec<(&'static str, std::time::Duration)> {
    use std::time::Instant;
    let mut times = Vec::new();
    let mut t = Instant::now();
    let mut lap = |name: &'static str, times: &mut Vec<_>| {
        times.push((name, t.elapsed()));
        t = Instant::now();
    };
    let d = Diags::default();
    let doc = parse::parse(text, &d);
    lap("parse", &mut times);
    let mut waivers = Vec::new();
    let spec = doc.map(|mut doc| {
        waivers = waive::collect(&mut doc, waive::today(), &d);
        lap("waivers", &mut times);
        let spec = lower::lower(&doc, &d);
        lap("lower", &mut times);
        check::check(&spec, &d);
        lap("check", &mut times);
        drop(doc);
        lap("drop the AST", &mut times);
        spec
    });
    let sorted = d.into_sorted();
    let (diags, waived) = waive::apply(sorted, &waivers);
    lap("sort and match waivers", &mut times);
    let source = Arc::new(NamedSource::new(file_name, Arc::new(text.to_string())));
    let diags: Vec<Diagnostic> = diags.into_iter().map(|x| x.with_source(source.clone())).collect();
    std::hint::black_box(diag::render_all(&diags, false));
    lap("render diagnostics", &mut times);
    if let Some(spec) = spec.filter(|_| !diags.iter().any(Diagnostic::is_error)) {
        let cx = emit::Context { spec: &spec, spec_name: file_name, waived: &waived };
        std::hint::black_box(emit::emit(&cx).map(|a| a.len()).ok());
        lap("emit", &mut times);
    }
    times
}
