//! `fail2ban bantime=… findtime=… maxretry=… { ignore NET; jail NAME … }`

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use crate::stdlib::{self, LogSource};

use super::node::{Reader, Seen, children, one_of};
use super::{Scope, networks, validate};

const DAY: u64 = 86_400;

pub(crate) fn lower(
    n: &Node,
    d: &Diags,
    o: &Scope,
    ssh_port: u16,
    nginx: Option<&super::NginxLogs>,
) -> Option<ir::Fail2ban> {
    let r = Reader::new(n, d);
    let bantime = r.duration_prop("bantime", 60, 365 * DAY).map(|v| v.value).unwrap_or(3600);
    let findtime = r.duration_prop("findtime", 10, 30 * DAY).map(|v| v.value).unwrap_or(600);
    let maxretry = r.int_prop("maxretry", 1, 100).map(|v| v.value as u32).unwrap_or(3);
    let catalog = stdlib::jails();
    let actions: Vec<&str> = catalog.banactions.names.iter().map(String::as_str).collect();
    let banaction = r.str_prop("banaction", "nftables-multiport").and_then(|v| one_of(d, "`banaction`", &v, &actions));
    r.block_done();
    let mut ignoreip = vec!["127.0.0.1/8".to_string(), "::1".to_string()];
    let mut jails: Vec<ir::Jail> = Vec::new();
    let mut seen = Seen::new("jail");
    for c in children(n, &["jail", "ignore"], &[], d) {
        let cr = Reader::new(c, d);
        if c.name() == "ignore" {
            ignore(&cr, o, &mut ignoreip);
        } else {
            jails.extend(jail(&cr, &mut seen, ssh_port, nginx));
        }
        cr.leaf_done();
    }
    Some(ir::Fail2ban { bantime, findtime, maxretry, banaction, ignoreip, jails })
}

/// `ignore NET…`: networks fail2ban never bans, each once.
fn ignore(cr: &Reader, o: &Scope, ignoreip: &mut Vec<String>) {
    for v in cr.str_args(0, "a network", "`ignore internal`") {
        for net in networks(cr.d, o, &v, Some("fail2ban would never ban an address in it")).unwrap_or_default() {
            let s = net.to_string();
            if !ignoreip.contains(&s) {
                ignoreip.push(s);
            }
        }
    }
}

/// `jail NAME [maxretry=…] [bantime=…] [findtime=…] [source=…] [logpath=…] [reason=…]`: a
/// jail of the catalog, reading what its daemon writes.
fn jail(cr: &Reader, seen: &mut Seen, ssh_port: u16, nginx: Option<&super::NginxLogs>) -> Option<ir::Jail> {
    let d = cr.d;
    let name = cr.str_arg(0, "a jail name", "`jail sshd`")?;
    let maxretry = cr.int_prop("maxretry", 1, 100).map(|v| v.value as u32);
    let bantime = cr.duration_prop("bantime", 60, 365 * DAY).map(|v| v.value);
    let findtime = cr.duration_prop("findtime", 10, 30 * DAY).map(|v| v.value);
    let source = cr.str_prop("source", "journal").and_then(|v| one_of(d, "`source`", &v, &["journal", "file"]));
    let logpath = cr
        .str_prop("logpath", "\"/var/log/nginx/error.log\"")
        .map(|v| (validate::path(d, &v, "log path", true), v.span));
    let reason = cr.str_prop("reason", "\"rsyslog writes /var/log/auth.log\"");
    let catalog = stdlib::jails();
    let Some(entry) = catalog.jail.get(&name.value) else {
        let names: Vec<&str> = catalog.jail.keys().map(String::as_str).collect();
        d.push(
            Diagnostic::new(Kind::UnknownReference, format!("no jail named `{}` in the catalog", name.value))
                .at(name.span, "unknown jail")
                .help(unknown_help(&name.value, &names)),
        );
        return None;
    };
    if !seen.first(d, &name.value, name.span) {
        return None;
    }
    let (source, logpath) = reads(d, &name, entry, source.as_deref(), logpath, reason.is_some(), nginx)?;
    Some(ir::Jail {
        name: name.value.clone(),
        filter: entry.filter.clone(),
        port: if entry.port == "ssh" { ssh_port.to_string() } else { entry.port.clone() },
        backend: match source {
            LogSource::Journal => "systemd".into(),
            LogSource::File => "auto".into(),
        },
        logpath,
        maxretry,
        bantime,
        findtime,
    })
}

/// What a jail reads: the journal, or a file its daemon writes (nginx's own logs with an
/// nginx section); a file nobody writes, or a `logpath` the journal ignores, is an error.
fn reads(
    d: &Diags,
    name: &crate::ast::Spanned<String>,
    entry: &stdlib::JailEntry,
    source: Option<&str>,
    logpath: Option<(Option<String>, crate::ast::Span)>,
    has_reason: bool,
    nginx: Option<&super::NginxLogs>,
) -> Option<(LogSource, Option<String>)> {
    let source = match source {
        Some("file") => LogSource::File,
        Some(_) => LogSource::Journal,
        None if logpath.is_some() => LogSource::File,
        None => entry.source,
    };
    // The daemon logs to the journal (Debian 12 has no syslog daemon): a file jail reads
    // a log nobody writes, unless the spec says who does.
    if entry.source == LogSource::Journal && source == LogSource::File && !has_reason {
        let at = logpath.as_ref().map(|(_, s)| *s).unwrap_or(name.span);
        d.push(
            Diagnostic::new(
                Kind::LogMismatch,
                format!("`{}` logs to the journal on Debian 12: a file jail would read nothing", name.value),
            )
            .at(at, "no daemon writes this file")
            .help("remove `logpath` and `source` (the jail reads the journal), or, if a syslog daemon writes the file, add `reason=\"…\"` saying so"),
        );
        return None;
    }
    // With an nginx section, the nginx jails read exactly the files it writes.
    let nginx_log = match (entry.nginx_log.as_deref(), nginx) {
        (Some("access"), Some(l)) => Some(l.access.clone()),
        (Some(_), Some(l)) => Some(l.error.clone()),
        _ => None,
    };
    if let (Some(want), Some((Some(p), span))) = (&nginx_log, &logpath)
        && want != p
    {
        d.push(
            Diagnostic::new(Kind::LogMismatch, format!("jail `{}` reads `{p}`, but nginx writes `{want}`", name.value))
                .at(*span, "not nginx's log")
                .help("remove `logpath`: the jail follows the `logs` of the `nginx` section"),
        );
        return None;
    }
    let logpath = match (source, logpath) {
        (LogSource::Journal, Some((_, span))) => {
            d.push(
                Diagnostic::new(
                    Kind::LogMismatch,
                    format!("jail `{}` reads the journal, which ignores `logpath`", name.value),
                )
                .at(span, "ignored with the journal")
                .help("remove `logpath`, or add `source=\"file\"` if this host logs to that file"),
            );
            return None;
        }
        (LogSource::Journal, None) => None,
        (LogSource::File, Some((p, _))) => p,
        (LogSource::File, None) => match nginx_log.as_ref().or(entry.logpath.as_ref()) {
            Some(p) => Some(p.clone()),
            None => {
                d.push(
                    Diagnostic::new(Kind::Missing, format!("jail `{}` needs a `logpath` to read a file", name.value))
                        .at(name.span, "no log file")
                        .help("add `logpath=\"/var/log/…\"`"),
                );
                return None;
            }
        },
    };
    Some((source, logpath))
}
