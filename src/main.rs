//! The `pynoc` command line. Exit codes: 0 ok; 1 the spec has errors, an artifact failed
//! verification, or the output is stale; 2 usage or I/O error.

use std::io::IsTerminal;
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::{Parser, Subcommand};

use pynoc::diag::Diagnostic;
use pynoc::report::{FileReport, Format};
use pynoc::term::clean_lines;

/// `eprintln!` with the line made safe for a terminal: a spec's file name, a value or a
/// file's line in a diff never writes a control or hidden character raw ([`pynoc::term`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", clean_lines(&format!($($arg)*)))
    };
}
use pynoc::verify::{self, Status};

#[derive(Parser)]
#[command(name = "pynoc", version, about = "Compile one KDL security spec into validated hardening configs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `--deny` turns into failures.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Deny {
    Warnings,
}

#[derive(Subcommand)]
enum Command {
    /// Compile SPEC and write every artifact and manifest.json into DIR.
    Build {
        /// The KDL spec, e.g. examples/pynomaly/spec.kdl.
        spec: Utf8PathBuf,
        /// The output directory; nothing is written outside it.
        #[arg(short, long, value_name = "DIR")]
        out: Utf8PathBuf,
        /// Write nothing; fail with a diff when DIR differs from what SPEC compiles to.
        #[arg(long)]
        check: bool,
        /// Allow DIR to be `/` or a system directory such as /etc or /usr (refused otherwise:
        /// the build would overwrite live files).
        #[arg(long)]
        force_system_dir: bool,
        /// How diagnostics are printed: human on stderr, json or sarif on stdout (the
        /// list of written files then goes to stderr).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// `--deny warnings`: warnings fail the run (and, for build, nothing is written).
        #[arg(long, value_enum, value_name = "LEVEL")]
        deny: Option<Deny>,
    },
    /// Parse, lower and check each SPEC; write nothing. The exit code is the worst of them.
    Check {
        /// The KDL specs (pre-commit passes every matching file at once).
        #[arg(required = true, num_args = 1..)]
        specs: Vec<Utf8PathBuf>,
        /// How diagnostics are printed: human on stderr, json or sarif on stdout.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// `--deny warnings`: warnings fail the run (and, for build, nothing is written).
        #[arg(long, value_enum, value_name = "LEVEL")]
        deny: Option<Deny>,
    },
    /// Explain a diagnostic code (`pynoc explain E016`), list them all (`--list`), or say
    /// which spec lines produced a line of a generated file (`pynoc explain out/nginx/nginx.conf:42`).
    Explain {
        /// A code such as E016, its name such as `shadowed`, or OUT/FILE:LINE.
        #[arg(required_unless_present = "list")]
        what: Option<String>,
        /// Print every code with its one-line summary.
        #[arg(long, conflicts_with = "what")]
        list: bool,
        /// With --list, print the list as a markdown table (the one in docs/diagnostics.md).
        #[arg(long, requires = "list")]
        markdown: bool,
        /// With OUT/FILE:LINE, the spec that built OUT (default: the manifest's spec next to
        /// OUT, or in the current directory).
        #[arg(long, value_name = "SPEC")]
        spec: Option<Utf8PathBuf>,
    },
    /// Rewrite each SPEC in pynoc's one layout (comments kept, meaning unchanged).
    Fmt {
        #[arg(required = true, num_args = 1..)]
        specs: Vec<Utf8PathBuf>,
        /// Write nothing; print the diff and fail when a SPEC is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Write a commented starter spec, DIR/spec.kdl (DIR defaults to the current directory;
    /// an existing spec.kdl is never overwritten).
    Init { dir: Option<Utf8PathBuf> },
    /// Print the JSON Schema of the spec language (a spec as JSON: nodes with their `args`,
    /// `props` and `children`), for editors and linters.
    Schema {
        /// Print the schema of the model a spec lowers to (the IR) instead.
        #[arg(long, conflicts_with = "of")]
        ir: bool,
        /// Print this spec in the JSON form the schema describes, to check it with any JSON
        /// Schema validator.
        #[arg(long, value_name = "SPEC")]
        of: Option<Utf8PathBuf>,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `pynoc man > /usr/local/share/man/man1/pynoc.1`.
    Man,
    /// Say, for each item of a public baseline, whether SPEC's output meets it, and if not,
    /// why (the spec's reason, an option left off, or pynoc's reason for declining it).
    Report {
        /// The KDL spec.
        spec: Utf8PathBuf,
        /// The baseline (`pynoc explain BASELINE:ID` explains one item).
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(pynoc::stdlib::BASELINES.iter().copied()))]
        baseline: String,
        /// human (on stdout) or json.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
        /// Fail when fewer than PERCENT of the items pynoc can meet are met.
        #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u32).range(0..=100))]
        min: Option<u32>,
    },
    /// Check every artifact in DIR with its consumer's own tool, sandboxed.
    Verify {
        /// A directory written by `pynoc build`.
        dir: Utf8PathBuf,
        /// Count a SKIP as a failure (also on with PYNOC_VERIFY_STRICT=1; CI sets it).
        #[arg(long)]
        strict: bool,
        /// Judge the files with the programs of this root file system (another release's,
        /// e.g. an mmdebstrap of Debian 13), under chroot; needs root.
        #[arg(long)]
        root: Option<Utf8PathBuf>,
    },
}

/// Prints a line to stdout; a closed pipe (`pynoc verify out | head`) ends the program
/// quietly with the I/O exit code instead of a panic.
fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    if writeln!(std::io::stdout().lock(), "{}", clean_lines(&line.to_string())).is_err() {
        std::process::exit(i32::from(USAGE));
    }
}

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(match cli.command {
        Command::Build { spec, out, check, force_system_dir, format, deny } => {
            let mut sink = Sink::new(format);
            let code = build(&spec, &out, check, force_system_dir, deny.is_some(), &mut sink);
            sink.finish();
            code
        }
        Command::Check { specs, format, deny } => {
            let mut sink = Sink::new(format);
            let code = specs.iter().map(|s| check(s, deny.is_some(), &mut sink)).max().unwrap_or(OK);
            sink.finish();
            code
        }
        Command::Explain { what, list, markdown, spec } => explain(what.as_deref(), list, markdown, spec.as_deref()),
        Command::Fmt { specs, check } => specs.iter().map(|s| fmt(s, check)).max().unwrap_or(OK),
        Command::Init { dir } => init(dir.as_deref().unwrap_or(Utf8Path::new("."))),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "pynoc", &mut out);
            say(String::from_utf8_lossy(&out).trim_end());
            OK
        }
        Command::Man => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out) {
                errln!("error: cannot render the manual page: {e}");
                return ExitCode::from(USAGE);
            }
            say(String::from_utf8_lossy(&out).trim_end());
            OK
        }
        Command::Schema { ir, of } => {
            if let Some(spec) = of {
                let mut sink = Sink::new(Format::Human);
                let text = match read(&spec, &mut sink) {
                    Ok((text, _)) => text,
                    Err(code) => {
                        sink.finish();
                        return ExitCode::from(code);
                    }
                };
                match pynoc::language::spec_as_json(&text, spec.as_str()) {
                    Ok(json) => say(json.trim_end()),
                    Err(diags) => {
                        eprint!("{}", pynoc::diag::render_all(&diags, color()));
                        return ExitCode::from(FAILED);
                    }
                }
            } else if ir {
                say(pynoc::schema_json().trim_end());
            } else {
                say(pynoc::language_schema_json().trim_end());
            }
            OK
        }
        Command::Report { spec, baseline, format, min } => compliance(&spec, &baseline, format, min),
        Command::Verify { dir, strict, root } => {
            let strict = strict || std::env::var("PYNOC_VERIFY_STRICT").is_ok_and(|v| v == "1");
            match root {
                None => verify(&dir, strict),
                Some(root) => match verify::root::verify_in(&dir, &root, strict) {
                    Ok(code) => u8::try_from(code).unwrap_or(FAILED),
                    Err(e) => {
                        errln!("error: {e}");
                        USAGE
                    }
                },
            }
        }
    })
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Where diagnostics go: rendered on stderr at once, or gathered for one JSON or SARIF
/// document on stdout at the end.
struct Sink {
    format: Format,
    files: Vec<(String, String, Vec<Diagnostic>, Vec<pynoc::waive::Waived>)>,
}

impl Sink {
    fn new(format: Format) -> Self {
        Sink { format, files: Vec::new() }
    }

    fn human(&self) -> bool {
        self.format == Format::Human
    }

    /// Records `diags` of the spec at `path` (with its text).
    fn add(&mut self, path: &Utf8Path, text: &str, diags: &[Diagnostic]) {
        self.add_waived(path, text, diags, &[]);
    }

    /// As [`Sink::add`], with the findings the spec waived (kept in JSON and SARIF).
    fn add_waived(&mut self, path: &Utf8Path, text: &str, diags: &[Diagnostic], waived: &[pynoc::waive::Waived]) {
        if self.human() {
            report(diags);
        } else {
            self.files.push((path.to_string(), text.to_string(), diags.to_vec(), waived.to_vec()));
        }
    }

    /// A line for a person: stdout in human mode, stderr when stdout carries a document.
    fn say(&self, line: impl std::fmt::Display) {
        if self.human() { say(line) } else { errln!("{line}") }
    }

    fn finish(self) {
        let files: Vec<FileReport> = self
            .files
            .iter()
            .map(|(path, text, diagnostics, waived)| FileReport { path, text, diagnostics, waived })
            .collect();
        match self.format {
            Format::Human => {}
            Format::Json => say(pynoc::term::json_safe(pynoc::report::json(&files).trim_end())),
            Format::Sarif => say(pynoc::term::json_safe(pynoc::report::sarif(&files).trim_end())),
        }
    }
}

fn report(diags: &[Diagnostic]) {
    eprint!("{}", pynoc::diag::render_all(diags, color()));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        errln!("error: the spec has {errors} error{}; nothing was written", if errors == 1 { "" } else { "s" });
    }
}

fn read(spec: &Utf8Path, sink: &mut Sink) -> Result<(String, String), u8> {
    let bytes = pynoc::input::read_spec(spec).map_err(|e| {
        errln!("error: cannot read {spec}: {e}");
        USAGE
    })?;
    let name = spec.file_name().unwrap_or(spec.as_str()).to_string();
    let text = pynoc::decode(&bytes, &name).map_err(|diags| {
        sink.add(spec, &String::from_utf8_lossy(&bytes), &diags);
        FAILED
    })?;
    Ok((text, name))
}

/// With `--deny warnings`, a run with warnings fails; says so.
fn denied(spec: &Utf8Path, warnings: &[Diagnostic], deny: bool) -> bool {
    let n = warnings.iter().filter(|d| !d.is_error()).count();
    if deny && n > 0 {
        errln!("error: {spec} has {n} warning{} and `--deny warnings` is set", if n == 1 { "" } else { "s" });
    }
    deny && n > 0
}

/// Says which findings the spec waived (they are repeated in the artifacts).
fn report_waived(waived: &[pynoc::waive::Waived]) {
    for w in waived {
        errln!("waived: {} ({}): {} (reason: {})", w.code, w.slug, w.message, w.reason);
    }
}

fn check(spec: &Utf8Path, deny: bool, sink: &mut Sink) -> u8 {
    let (text, name) = match read(spec, sink) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match pynoc::analyze(&text, &name) {
        Ok(analysis) => {
            sink.add_waived(spec, &text, &analysis.warnings, &analysis.waived);
            if sink.human() {
                report_waived(&analysis.waived);
                for note in pynoc::notes(&analysis.spec) {
                    errln!("note: {note}");
                }
            }
            if denied(spec, &analysis.warnings, deny) {
                return FAILED;
            }
            errln!("{spec}: ok");
            OK
        }
        Err(diags) => {
            sink.add(spec, &text, &diags);
            FAILED
        }
    }
}

fn build(spec: &Utf8Path, out: &Utf8Path, check_only: bool, force_system_dir: bool, deny: bool, sink: &mut Sink) -> u8 {
    if let Some(system) = pynoc::write::system_dir(out) {
        if !force_system_dir {
            errln!(
                "error: the output directory {out} is (or is inside) the system directory {system}; a build \
                 there would overwrite live files. Write to a project folder, or pass --force-system-dir"
            );
            return USAGE;
        }
        errln!("warning: writing into the system directory {system} because of --force-system-dir");
    }
    let (text, name) = match read(spec, sink) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let compiled = match pynoc::compile(&text, &name) {
        Ok(c) => c,
        Err(diags) => {
            sink.add(spec, &text, &diags);
            return FAILED;
        }
    };
    sink.add_waived(spec, &text, &compiled.warnings, &compiled.waived);
    if sink.human() {
        report_waived(&compiled.waived);
    }
    if denied(spec, &compiled.warnings, deny) {
        errln!("error: nothing was written");
        return FAILED;
    }
    if check_only {
        let diffs = pynoc::write::stale(&compiled, out);
        if diffs.is_empty() {
            errln!("{out} is up to date with {spec}");
            return OK;
        }
        for d in &diffs {
            sink.say(d.trim_end());
        }
        errln!(
            "error: {} file(s) in {out} differ from what {spec} compiles to; run `pynoc build {spec} -o {out}`",
            diffs.len()
        );
        return FAILED;
    }
    match pynoc::write::write(&compiled, out) {
        Ok(report) => {
            for f in &report.written {
                sink.say(format!("wrote {f}"));
            }
            for f in &report.removed {
                sink.say(format!("removed {f} (the previous build wrote it; this one does not)"));
            }
            for (f, why) in &report.kept {
                errln!("warning: kept {f}: {why}");
            }
            for w in &report.warnings {
                errln!("warning: {w}");
            }
            OK
        }
        Err(e) => {
            errln!("error: cannot write to {out}: {e}");
            USAGE
        }
    }
}

fn init(dir: &Utf8Path) -> u8 {
    use std::io::Write;
    let spec = dir.join("spec.kdl");
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        // `create_new` refuses an existing file, and a symlink planted in its place.
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&spec)?;
        f.write_all(pynoc::stdlib::STARTER.as_bytes())
    });
    match written {
        Ok(()) => {
            say(format!("wrote {spec}"));
            errln!("next: edit the values marked CHANGE, then `pynoc check {spec}` and `pynoc build {spec} -o out`");
            OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            errln!("error: {spec} already exists; pynoc init never overwrites a spec");
            USAGE
        }
        Err(e) => {
            errln!("error: cannot write {spec}: {e}");
            USAGE
        }
    }
}

fn verify(dir: &Utf8Path, strict: bool) -> u8 {
    let result = verify::verify(dir, |o| say(o));
    let outcomes = match result {
        Ok(o) => o,
        Err(e) => {
            errln!("error: {e}");
            return USAGE;
        }
    };
    let count = |f: fn(&Status) -> bool| outcomes.iter().filter(|o| f(&o.status)).count();
    let (pass, fail, skip) = (
        count(|s| *s == Status::Pass),
        count(|s| matches!(s, Status::Fail(_))),
        count(|s| matches!(s, Status::Skip(_))),
    );
    say(format!(
        "verify: {pass} pass, {fail} fail, {skip} skip{}",
        if strict && skip > 0 { " (strict: a skip is a failure)" } else { "" }
    ));
    if fail > 0 || (strict && skip > 0) { FAILED } else { OK }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Human,
    Json,
}

fn compliance(spec: &Utf8Path, baseline: &str, format: ReportFormat, min: Option<u32>) -> u8 {
    let Some(catalog) = pynoc::stdlib::baseline(baseline) else {
        errln!("error: no baseline `{baseline}`");
        return USAGE;
    };
    let mut sink = Sink::new(Format::Human);
    let (text, name) = match read(spec, &mut sink) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let analysis = match pynoc::analyze(&text, &name) {
        Ok(a) => a,
        Err(diags) => {
            sink.add(spec, &text, &diags);
            sink.finish();
            errln!("error: {spec} has errors; fix them before asking for a report");
            return FAILED;
        }
    };
    let r = pynoc::compliance::report(&analysis.spec, catalog, &analysis.waived);
    match format {
        ReportFormat::Human => say(r.human(spec.as_str()).trim_end()),
        ReportFormat::Json => match serde_json::to_string_pretty(&r) {
            Ok(j) => say(j),
            Err(e) => {
                errln!("error: cannot write the report as JSON: {e}");
                return FAILED;
            }
        },
    }
    match min {
        Some(m) if r.summary.percent < m => {
            errln!("error: {}% of the items are met, under the required {m}%", r.summary.percent);
            FAILED
        }
        _ => OK,
    }
}

fn explain(what: Option<&str>, list: bool, markdown: bool, spec: Option<&Utf8Path>) -> u8 {
    use pynoc::codes;
    if list {
        if markdown {
            say(codes::markdown_table().trim_end());
        } else {
            for r in codes::CATALOG {
                say(format!("{} {:<20} {}", r.code, r.slug, r.summary));
            }
        }
        return OK;
    }
    let what = what.unwrap_or_default();
    if let Some(r) = codes::find(what) {
        say(codes::explain(r).trim_end());
        return OK;
    }
    if let Some(why) = codes::retired(what) {
        say(format!("{}: retired; {why}", what.to_ascii_uppercase()));
        return OK;
    }
    if let Some(text) = pynoc::compliance::explain(what) {
        say(text.trim_end());
        return OK;
    }
    if let Some((file, line)) = what.rsplit_once(':').and_then(|(f, l)| Some((f, l.parse::<usize>().ok()?))) {
        return provenance(Utf8Path::new(file), line, spec);
    }
    let names: Vec<&str> = codes::CATALOG.iter().map(|r| r.code).collect();
    errln!(
        "error: `{what}` is neither a diagnostic code nor OUT/FILE:LINE; {}; `pynoc explain --list` lists them",
        pynoc::diag::unknown_help(what, &names)
    );
    USAGE
}

fn provenance(file: &Utf8Path, line: usize, spec: Option<&Utf8Path>) -> u8 {
    match pynoc::provenance::explain_line(file, line, spec) {
        Ok(text) => {
            say(text.trim_end());
            OK
        }
        Err(e) => {
            errln!("error: {e}");
            USAGE
        }
    }
}

fn fmt(spec: &Utf8Path, check_only: bool) -> u8 {
    let mut sink = Sink::new(Format::Human);
    let (text, name) = match read(spec, &mut sink) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let formatted = match pynoc::fmt::format(&text, &name) {
        Ok(f) => f,
        Err(diags) => {
            eprint!("{}", pynoc::diag::render_all(&diags, color()));
            errln!("error: {spec} was left as it is");
            return FAILED;
        }
    };
    if formatted == text {
        return OK;
    }
    if check_only {
        let diff = similar::TextDiff::from_lines(&text, &formatted);
        say(diff.unified_diff().header(spec.as_str(), &format!("{spec} (formatted)")).to_string().trim_end());
        errln!("error: {spec} is not formatted; run `pynoc fmt {spec}`");
        return FAILED;
    }
    match pynoc::write::replace_file(spec, formatted.as_bytes()) {
        Ok(()) => {
            say(format!("formatted {spec}"));
            OK
        }
        Err(e) => {
            errln!("error: cannot write {spec}: {e}");
            USAGE
        }
    }
}
