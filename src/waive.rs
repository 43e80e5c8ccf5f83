//! Waivers: `allow CODE reason="…" [until="YYYY-MM-DD"]`, at the node a finding concerns
//! or at the top of the spec for all of it. Taken out of the document before lowering, then
//! matched against the findings after the checks: a waived finding leaves the report and is
//! repeated in the header of the artifacts its rule affects, so reviewers still see it.
//!
//! A waiver needs a reason; an expired one is an error (and waives nothing); one that
//! matches no finding is a warning. Only rules the catalog marks waivable can be waived.

use std::cell::Cell;

use crate::ast::{Document, Node, Span, Value};
use crate::codes::{self, Rule};
use crate::diag::{Diagnostic, Diags, Kind};

/// A finding a waiver excused: what the artifacts repeat.
#[derive(Debug, Clone)]
pub struct Waived {
    pub code: &'static str,
    pub slug: &'static str,
    pub message: String,
    pub reason: String,
    pub(crate) until: Option<String>,
    /// The artifacts whose header repeats it.
    pub(crate) artifacts: &'static [crate::artifact::Kind],
    /// The finding itself, with its place in the spec: `--format json` and `sarif` keep it
    /// (as a suppressed result), so a waived finding never vanishes from a machine's view.
    pub(crate) finding: Diagnostic,
}

pub(crate) struct Waiver {
    rule: &'static Rule,
    reason: String,
    until: Option<String>,
    /// The node the waiver sits in: findings whose primary label lies inside it.
    scope: Span,
    at: Span,
    expired: bool,
    used: Cell<bool>,
}

/// `E015`, `w001`: the shape of a code, which no firewall service name has.
fn is_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && matches!(b[0], b'E' | b'W' | b'e' | b'w') && b[1..].iter().all(u8::is_ascii_digit)
}

fn is_waiver(n: &Node) -> bool {
    n.name() == "allow" && matches!(n.args.first().map(|a| &a.value), Some(Value::String(s)) if is_code(s))
}

/// Takes every waiver out of the document, checking each.
pub(crate) fn collect(doc: &mut Document, today: (i32, u32, u32), d: &Diags) -> Vec<Waiver> {
    let mut out = Vec::new();
    let whole = Span { offset: 0, len: usize::MAX };
    take(&mut doc.nodes, whole, today, d, &mut out);
    out
}

fn take(nodes: &mut Vec<Node>, scope: Span, today: (i32, u32, u32), d: &Diags, out: &mut Vec<Waiver>) {
    let mut i = 0;
    while i < nodes.len() {
        if is_waiver(&nodes[i]) {
            let n = nodes.remove(i);
            if let Some(w) = waiver(&n, scope, today, d) {
                out.push(w);
            }
            continue;
        }
        let span = nodes[i].span;
        if let Some(children) = nodes[i].children.as_mut() {
            take(children, span, today, d, out);
        }
        i += 1;
    }
}

fn waiver(n: &Node, scope: Span, today: (i32, u32, u32), d: &Diags) -> Option<Waiver> {
    let code_arg = &n.args[0];
    let Value::String(code) = &code_arg.value else { return None };
    let (mut ok, reason, until) = parts(n, d);
    let Some(rule) = codes::find(code) else {
        invalid(
            d,
            code_arg.span,
            match codes::retired(code) {
                Some(why) => format!("`{code}` is retired: {why}"),
                None => format!("no rule has the code `{code}`"),
            },
            "unknown code",
            "`pynoc explain --list` lists the codes",
        );
        return None;
    };
    if rule.waive.is_none() {
        invalid(
            d,
            code_arg.span,
            format!("`{}` ({}) cannot be waived", rule.code, rule.slug),
            "not waivable",
            "the spec must be fixed: `pynoc explain --list` shows which rules a waiver can excuse",
        );
        ok = false;
    }
    let reason = match reason {
        Some((r, span)) => {
            let clean = r.trim();
            // Repeated in a comment of each artifact: one line, nothing a reader of the
            // comment syntax would take for a line break or hide (the same rule as `reason=`).
            if !crate::grammar::one_line(clean, 200) {
                invalid(
                    d,
                    span,
                    "a waiver's reason is one line of text".into(),
                    "not a reason",
                    "say in one line (at most 200 characters) why the finding is accepted",
                );
                ok = false;
            }
            clean.to_string()
        }
        None => {
            invalid(
                d,
                n.name.span,
                format!("the waiver of {} has no reason", rule.code),
                "no `reason`",
                "add `reason=\"…\"`: it is repeated in the artifacts for reviewers",
            );
            ok = false;
            String::new()
        }
    };
    let (valid, expired) = until.as_ref().map_or((true, false), |(u, span)| date(d, rule.code, u, *span, today));
    ok &= valid;
    ok.then(|| Waiver {
        rule,
        reason,
        until: until.map(|(u, _)| u),
        scope,
        at: n.span,
        expired,
        used: Cell::new(false),
    })
}

fn invalid(d: &Diags, span: Span, message: String, label: &str, help: &str) {
    d.push(Diagnostic::new(Kind::Waiver, message).at(span, label).help(help.to_string()));
}

type Text = Option<(String, Span)>;

/// A waiver's shape: one code, no block, only `reason` and `until` as strings; false when
/// it breaks one of these (each reported).
fn parts(n: &Node, d: &Diags) -> (bool, Text, Text) {
    let mut ok = true;
    for extra in &n.args[1..] {
        invalid(d, extra.span, "a waiver names one code".into(), "extra argument", "write one `allow` per code");
        ok = false;
    }
    if let Some(c) = &n.children {
        let at = c.first().map(|c| c.span).unwrap_or(n.span);
        invalid(d, at, "a waiver has no block".into(), "unexpected block", "write `allow CODE reason=\"…\"`");
        ok = false;
    }
    let mut reason = None;
    let mut until = None;
    for p in &n.props {
        match (p.name.value.as_str(), &p.value.value) {
            ("reason", Value::String(s)) => reason = Some((s.clone(), p.value.span)),
            ("until", Value::String(s)) => until = Some((s.clone(), p.value.span)),
            (name @ ("reason" | "until"), other) => {
                invalid(
                    d,
                    p.value.span,
                    format!("`{name}` expects a string, found {}", other.type_name()),
                    "not a string",
                    if name == "until" { "write `until=\"2027-06-30\"`" } else { "write `reason=\"why\"`" },
                );
                ok = false;
            }
            (name, _) => {
                invalid(
                    d,
                    p.name.span,
                    format!("unknown property `{name}` on a waiver"),
                    "unknown property",
                    "a waiver takes `reason=\"…\"` and `until=\"YYYY-MM-DD\"`",
                );
                ok = false;
            }
        }
    }
    (ok, reason, until)
}

/// `until="YYYY-MM-DD"`: (a real date, already past); a past date is reported as expired.
fn date(d: &Diags, code: &str, u: &str, span: Span, today: (i32, u32, u32)) -> (bool, bool) {
    match parse_date(u) {
        None => {
            invalid(
                d,
                span,
                format!("`{}` is not a date", u.escape_debug()),
                "not YYYY-MM-DD",
                "write a date such as `until=\"2027-06-30\"`",
            );
            (false, false)
        }
        Some(date) if date < today => {
            d.push(
                Diagnostic::new(Kind::WaiverExpired, format!("the waiver of {code} expired on {u}"))
                    .at(span, "expired")
                    .help("fix what it excused, or move `until` forward after a new review"),
            );
            (true, true)
        }
        Some(_) => (true, false),
    }
}

/// `YYYY-MM-DD`, a real calendar date: four, two and two ASCII digits (no sign, no space).
fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let day: u32 = s[8..].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&m).then_some(())?;
    (1..=days[m as usize - 1]).contains(&day).then_some((y, m, day))
}

/// Today's date (UTC), or `PYNOC_TODAY=YYYY-MM-DD` (for tests and reproducible reviews).
pub(crate) fn today() -> (i32, u32, u32) {
    if let Some(d) = std::env::var("PYNOC_TODAY").ok().and_then(|s| parse_date(&s)) {
        return d;
    }
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    civil((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to a calendar date (H. Hinnant's `civil_from_days`).
fn civil(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, day)
}

/// Splits the findings into those reported and those waived; an unused waiver is reported
/// as a warning.
pub(crate) fn apply(diags: Vec<Diagnostic>, waivers: &[Waiver]) -> (Vec<Diagnostic>, Vec<Waived>) {
    let mut kept = Vec::new();
    let mut waived = Vec::new();
    for diag in diags {
        let at = diag.primary.as_ref().map(|l| l.span);
        let w = waivers.iter().find(|w| {
            !w.expired
                && w.rule.kind == diag.kind
                && at.is_some_and(|s| s.offset >= w.scope.offset && s.offset - w.scope.offset < w.scope.len)
        });
        match w {
            Some(w) => {
                w.used.set(true);
                waived.push(Waived {
                    code: w.rule.code,
                    slug: w.rule.slug,
                    message: diag.message.clone(),
                    reason: w.reason.clone(),
                    until: w.until.clone(),
                    artifacts: w.rule.waive.unwrap_or(&[]),
                    finding: diag,
                });
            }
            None => kept.push(diag),
        }
    }
    for w in waivers.iter().filter(|w| !w.used.get() && !w.expired) {
        kept.push(
            Diagnostic::new(Kind::UnusedWaiver, format!("the waiver of {} matches no finding", w.rule.code))
                .at(w.at, "nothing to waive here")
                .help(format!(
                    "remove it (a waiver excuses findings of {} whose label points inside the node that holds it)",
                    w.rule.code
                )),
        );
    }
    crate::diag::sort_by_place(&mut kept);
    (kept, waived)
}

/// The lines a waived finding adds to an artifact's header, after `prefix`: one printable
/// line each, so nothing of the spec can end the comment.
pub(crate) fn header_lines(prefix: &str, artifact: crate::artifact::Kind, waived: &[Waived]) -> String {
    let mut out = String::new();
    for w in waived.iter().filter(|w| w.artifacts.contains(&artifact)) {
        let until = w.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
        let line = format!("waived {} ({}){until}: {} (reason: {})", w.code, w.slug, w.message, w.reason);
        let line: String = line.chars().map(|c| if crate::lower::validate::hidden_char(c) { ' ' } else { c }).collect();
        out.push_str(&format!("{prefix} {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_000), (2024, 10, 4));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2027-13-01"), None);
        assert_eq!(parse_date("27-06-30"), None);
        for bad in ["2099-+1-01", "2099-01-+1", "+099-01-01", "2099- 1-01", "2099-1-001", "２０９９-01-01"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes() {
        assert!(is_code("E015") && is_code("w001"));
        assert!(!is_code("ssh") && !is_code("E15") && !is_code("E0155"));
    }
}
