//! `fail2ban bantime=… findtime=… maxretry=… { ignore NET; jail NAME … }`

use crate::ast::Node;
use crate::diag::{Diagnostic, Diags, Kind, unknown_help};
use crate::ir;
use crate::stdlib::{self, LogSource};

use super::node::{Reader, Seen, children, one_of};
use super::{Scope, networks, validate};

const DAY: u64 = 86_400;

#[expect(clippy::too_many_lines, reason = "to split into a dispatcher and a function per child")]
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
    let mut jail_spans = Seen::new("jail");
    let names: Vec<&str> = catalog.jail.keys().map(String::as_str).collect();
    for c in children(n, &["jail", "ignore"], &[], d) {
        let cr = Reader::new(c, d);
        if c.name() == "ignore" {
            for v in cr.str_args(0, "a network", "`ignore internal`") {
                for net in networks(d, o, &v, Some("fail2ban would never ban an address in it")).unwrap_or_default() {
                    let s = net.to_string();
                    if !ignoreip.contains(&s) {
                        ignoreip.push(s);
                    }
                }
            }
            cr.leaf_done();
            continue;
        }
        let Some(name) = cr.str_arg(0, "a jail name", "`jail sshd`") else {
            cr.leaf_done();
            continue;
        };
        let maxretry = cr.int_prop("maxretry", 1, 100).map(|v| v.value as u32);
        let bantime = cr.duration_prop("bantime", 60, 365 * DAY).map(|v| v.value);
        let findtime = cr.duration_prop("findtime", 10, 30 * DAY).map(|v| v.value);
        let source = cr.str_prop("source", "journal").and_then(|v| one_of(d, "`source`", &v, &["journal", "file"]));
        let logpath = cr
            .str_prop("logpath", "\"/var/log/nginx/error.log\"")
            .map(|v| (validate::path(d, &v, "log path", true), v.span));
        let reason = cr.str_prop("reason", "\"rsyslog writes /var/log/auth.log\"");
        cr.leaf_done();
        let Some(entry) = catalog.jail.get(&name.value) else {
            d.push(
                Diagnostic::new(Kind::UnknownReference, format!("no jail named `{}` in the catalog", name.value))
                    .at(name.span, "unknown jail")
                    .help(unknown_help(&name.value, &names)),
            );
            continue;
        };
        if !jail_spans.first(d, &name.value, name.span) {
            continue;
        }
        let source = match source.as_deref() {
            Some("file") => LogSource::File,
            Some(_) => LogSource::Journal,
            None if logpath.is_some() => LogSource::File,
            None => entry.source,
        };
        // The daemon logs to the journal (Debian 12 has no syslog daemon): a file jail reads
        // a log nobody writes, unless the spec says who does.
        if entry.source == LogSource::Journal && source == LogSource::File && reason.is_none() {
            let at = logpath.as_ref().map(|(_, s)| *s).unwrap_or(name.span);
            d.push(
                Diagnostic::new(
                    Kind::LogMismatch,
                    format!("`{}` logs to the journal on Debian 12: a file jail would read nothing", name.value),
                )
                .at(at, "no daemon writes this file")
                .help("remove `logpath` and `source` (the jail reads the journal), or, if a syslog daemon writes the file, add `reason=\"…\"` saying so"),
            );
            continue;
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
                Diagnostic::new(
                    Kind::LogMismatch,
                    format!("jail `{}` reads `{p}`, but nginx writes `{want}`", name.value),
                )
                .at(*span, "not nginx's log")
                .help("remove `logpath`: the jail follows the `logs` of the `nginx` section"),
            );
            continue;
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
                continue;
            }
            (LogSource::Journal, None) => None,
            (LogSource::File, Some((p, _))) => p,
            (LogSource::File, None) => match nginx_log.as_ref().or(entry.logpath.as_ref()) {
                Some(p) => Some(p.clone()),
                None => {
                    d.push(
                        Diagnostic::new(
                            Kind::Missing,
                            format!("jail `{}` needs a `logpath` to read a file", name.value),
                        )
                        .at(name.span, "no log file")
                        .help("add `logpath=\"/var/log/…\"`"),
                    );
                    continue;
                }
            },
        };
        jails.push(ir::Jail {
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
        });
    }
    Some(ir::Fail2ban { bantime, findtime, maxretry, banaction, ignoreip, jails })
}
