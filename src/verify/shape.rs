//! The shape of each artifact, read by its consumer's rules: which directives, sections,
//! statements and instructions a file may contain at all. A spec value that broke out of its
//! quoting (a newline in a header, a `;` in nginx, a `'` in SQL, a YAML key) shows up as a
//! line or a statement the file's template never writes. The examples' output and every
//! accepted fuzz input are held to these rules, in memory and without the consumers' tools
//! (those run in `verify`); an empty list means the artifact is well-formed.

use crate::artifact::{Kind, Lines};
use crate::emit::Artifact;
use crate::syspaths::{Place, permitted};

/// The problems of every artifact, each prefixed by its path.
pub fn check(artifacts: &[Artifact]) -> Vec<String> {
    let mut problems = Vec::new();
    for a in artifacts {
        for p in check_one(a.kind, &a.content) {
            problems.push(format!("{}: {p}", a.path()));
        }
    }
    problems
}

/// The problems of one artifact, by its name in the manifest.
pub(crate) fn check_one(kind: Kind, text: &str) -> Vec<String> {
    let mut p = shape(kind, text);
    meaning(&mut p, kind, text);
    p
}

/// The problems of meaning alone ([`meaning`]), for `pynoc verify` beside the consumer's tool.
pub(crate) fn meaning_of(kind: Kind, text: &str) -> Vec<String> {
    let mut p = Vec::new();
    meaning(&mut p, kind, text);
    p
}

/// What a root process does with the artifact's values, by meaning (issue 24): no writer
/// that runs as root outside its directory, no kernel helper key without its reason. Each
/// kind's check is in the registry ([`Kind::behaviour`]).
fn meaning(p: &mut Vec<String>, kind: Kind, text: &str) {
    if let Some(check) = kind.behaviour().meaning {
        check(p, text);
    }
}

/// A line that is not a `#` comment.
pub(crate) fn code(l: &str) -> bool {
    !l.trim_start().starts_with('#')
}

/// A path a root process writes is canonical and where its place's allow-list says (a
/// project directory's name is the second component: the allow-list's `{project}`).
pub(crate) fn placed(p: &mut Vec<String>, place: Place, path: &str) {
    let project = path.split('/').nth(2).unwrap_or_default();
    let canonical = crate::syspaths::canonical(path);
    if canonical.as_deref() != Some(path) || !permitted(place, path, project) {
        p.push(format!("{} outside its directories: {path:?}", place.rule().what));
    }
}

/// nginx's logs and TLS files.
pub(crate) fn nginx_paths(p: &mut Vec<String>, text: &str) {
    for l in text.lines().map(str::trim).filter(|l| code(l)) {
        if let Some(rest) = l.strip_prefix("access_log ").or_else(|| l.strip_prefix("error_log ")) {
            let path = rest.split_whitespace().next().unwrap_or_default().trim_end_matches(';');
            if path != "off" {
                placed(p, Place::NginxLog, path);
            }
        }
        if let Some(rest) = l.strip_prefix("ssl_certificate ").or_else(|| l.strip_prefix("ssl_certificate_key ")) {
            placed(p, Place::TlsMaterial, rest.trim_end_matches(';'));
        }
    }
}

/// The directories prepare.sh makes and the files it copies.
pub(crate) fn prepare_paths(p: &mut Vec<String>, text: &str) {
    for l in text.lines().map(str::trim) {
        if let Some(rest) = l.strip_prefix("dir ") {
            placed(p, Place::VolumeDevice, rest.split_whitespace().next().unwrap_or_default());
        }
        if let Some((_, from)) = l.strip_prefix("copy \"${").and_then(|r| r.split_once("_FROM:-"))
            && let Some(path) = from.split('}').next().filter(|f| f.starts_with('/'))
        {
            placed(p, Place::TlsMaterial, path);
        }
    }
}

/// The ACME webroot the playbook makes (`path:` after the task's name), never through a link.
pub(crate) fn acme_webroots(p: &mut Vec<String>, text: &str) {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (i, _) in lines.iter().enumerate().filter(|(_, l)| **l == "- name: ACME webroot") {
        let path = lines[i..].iter().find_map(|l| l.strip_prefix("path: !unsafe ")).unwrap_or_default();
        placed(p, Place::AcmeWebroot, path);
        if !lines[i..].iter().take(7).any(|l| *l == "follow: false") {
            p.push(format!("the ACME webroot task follows links: {path:?}"));
        }
    }
}

/// What the artifact's consumer reads: its directives, sections and statements.
fn shape(kind: Kind, text: &str) -> Vec<String> {
    let mut p = Vec::new();
    // Every consumer reads lines; no character may hide a line break from a reviewer or
    // start one for a consumer, and none may reorder or hide text from a reviewer
    // (bidirectional and zero-width formatting).
    let hidden = |c: char| c != '\n' && c != '\t' && crate::lower::validate::hidden_char(c);
    if let Some(c) = text.chars().find(|c| hidden(*c)) {
        p.push(format!("holds the control, line-separator or formatting character {c:?}"));
    }
    // A file shown as it is has no comment syntax, and no header: nothing in it is a comment.
    let comment = kind.desc().comment.unwrap_or("");
    let first = text.lines().next().unwrap_or("");
    let header_at = usize::from(first.starts_with("#!"));
    match (kind.desc().comment, text.lines().nth(header_at)) {
        (None, _) => {}
        (Some(_), Some(h)) if h.starts_with(&format!("{comment} generated by pynoc ")) => {}
        (Some(_), other) => p.push(format!("no generated-file header, found {other:?}")),
    }
    match kind.behaviour().lines {
        Lines::Each(ok, what) => p.extend(lines(text, comment).filter(|l| !ok(l)).map(|l| format!("{what}: {l:?}"))),
        Lines::Whole(check) => check(&mut p, text, comment),
    }
    p
}

/// The lines a consumer reads: trimmed, neither blank nor a comment.
pub(crate) fn lines<'a>(text: &'a str, comment: &'a str) -> impl Iterator<Item = &'a str> {
    text.lines().map(str::trim).filter(move |l| !l.is_empty() && (comment.is_empty() || !l.starts_with(comment)))
}

fn each(p: &mut Vec<String>, text: &str, comment: &str, ok: fn(&str) -> bool, what: &str) {
    p.extend(lines(text, comment).filter(|l| !ok(l)).map(|l| format!("{what}: {l:?}")));
}

pub(crate) fn iptables(p: &mut Vec<String>, text: &str, comment: &str) {
    each(p, text, comment, iptables_line, "not an iptables-restore line");
    quotes(p, text, comment);
}

pub(crate) fn nftables(p: &mut Vec<String>, text: &str, comment: &str) {
    braces(p, text, comment);
}

pub(crate) fn nginx(p: &mut Vec<String>, text: &str, comment: &str) {
    braces(p, text, comment);
    for l in lines(text, comment) {
        if !(l.ends_with(';') || l.ends_with('{') || l == "}") {
            p.push(format!("a statement that does not end with `;`, `{{` or `}}`: {l:?}"));
        }
        if !nginx_loads_nothing(l) {
            p.push(format!("a directive that loads code or files: {l:?}"));
        }
    }
}

pub(crate) fn ufw(p: &mut Vec<String>, text: &str, comment: &str) {
    each(p, text, comment, |l| UFW_SCRIPT.contains(&first_word(l)), "a command the ufw script never runs");
    quotes(p, text, comment);
}

pub(crate) fn prepare(p: &mut Vec<String>, text: &str, comment: &str) {
    let (script, bodies) = heredocs(p, text);
    each(p, &script, comment, |l| PREPARE_SCRIPT.contains(&first_word(l)), "a command prepare.sh never runs");
    quotes(p, &script, comment);
    // The database's files it writes from its own text are checked as those files are.
    for (kind, body) in bodies {
        p.extend(shape(kind, &body).into_iter().map(|x| format!("its {}: {x}", kind.name())));
    }
}

/// prepare.sh without the bodies of its here-documents, and the bodies: only
/// `put postgres-conf/FILE OWNER MODE <<'PYNOC_HEX'` opens one, for pg_hba.conf or the
/// security SQL, and only its delimiter alone on a line ends it.
fn heredocs(p: &mut Vec<String>, text: &str) -> (String, Vec<(Kind, String)>) {
    let mut script = String::new();
    let mut bodies = Vec::new();
    let mut open: Option<(Kind, String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some((kind, delim, body)) = &mut open {
            if line.trim_end_matches('\n') == delim {
                bodies.push((*kind, std::mem::take(body)));
                open = None;
            } else {
                body.push_str(line);
            }
            continue;
        }
        script.push_str(line);
        if let Some(rest) = line.trim_end().strip_prefix("put postgres-conf/") {
            let f: Vec<&str> = rest.split(' ').collect();
            let delim = f.get(3).and_then(|d| d.strip_prefix("<<'")).and_then(|d| d.strip_suffix('\''));
            // A file of postgres/ in pynoc's output, by its name there.
            let kind = Kind::ALL
                .into_iter()
                .find(|k| k.desc().path.strip_prefix("postgres/").is_some_and(|n| f.first() == Some(&n)));
            match (kind, delim) {
                (Some(k), Some(d)) if f.len() == 4 && d.len() == 22 && d.starts_with("PYNOC_") => {
                    open = Some((k, d.to_string(), String::new()));
                }
                _ => p.push(format!("a file prepare.sh never writes this way: {:?}", line.trim_end())),
            }
        }
    }
    if open.is_some() {
        p.push("a here-document that never ends".into());
    }
    (script, bodies)
}

pub(crate) fn compose(p: &mut Vec<String>, text: &str, _comment: &str) {
    yaml_keys(p, text, &["name", "services", "networks", "volumes", "secrets"]);
}

pub(crate) fn first_word(l: &str) -> &str {
    l.split_whitespace().next().unwrap_or("")
}

pub(crate) fn iptables_line(l: &str) -> bool {
    l == "COMMIT"
        || l.starts_with("*filter")
        || l.starts_with(':')
        || ["-A ", "-F ", "-N ", "-I "].iter().any(|s| l.starts_with(s))
}

/// No directive that loads code or files, but the includes pynoc writes itself.
fn nginx_loads_nothing(l: &str) -> bool {
    !["include", "load_module", "lua_code_cache", "perl", "js_import", "access_by_lua"].contains(&first_word(l))
        || NGINX_INCLUDES.contains(&l)
}

pub(crate) fn pg_hba_line(l: &str) -> bool {
    let f: Vec<&str> = l.split_whitespace().collect();
    match f.first() {
        Some(&"local") => f.len() == 4 || f.len() == 5,
        Some(&("host" | "hostssl" | "hostnossl")) => f.len() == 5 || f.len() == 6,
        _ => false,
    }
}

/// Dockerfile instructions; a line after one ending with `\` continues it.
pub(crate) fn dockerfile(p: &mut Vec<String>, text: &str, comment: &str) {
    let mut continued = false;
    for l in lines(text, comment) {
        if !continued && !DOCKERFILE.contains(&first_word(l)) {
            p.push(format!("not a Dockerfile instruction: {l:?}"));
        }
        continued = l.ends_with('\\');
    }
}

pub(crate) fn inventory_line(l: &str) -> bool {
    l.strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .is_some_and(|g| g.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == ':'))
        || l.split_once('=').is_some_and(|(k, _)| k.starts_with("ansible_"))
}

/// A list of plays, each with only the keys the playbook writes.
pub(crate) fn plays(p: &mut Vec<String>, text: &str, _comment: &str) {
    match serde_norway::from_str::<serde_norway::Value>(text) {
        Ok(serde_norway::Value::Sequence(plays)) => {
            for play in plays {
                let keys = play.as_mapping().map(|m| m.keys().filter_map(|k| k.as_str()).collect::<Vec<_>>());
                for k in keys.unwrap_or_default() {
                    if !PLAY.contains(&k) {
                        p.push(format!("a play key the playbook never writes: `{k}`"));
                    }
                }
            }
        }
        Ok(_) => p.push("not a list of plays".into()),
        Err(e) => p.push(format!("not YAML: {e}")),
    }
}

pub(crate) fn postgres_apply_line(l: &str) -> bool {
    l == "set -eu"
        || l.starts_with("exec psql -X -v ON_ERROR_STOP=1 --username postgres --dbname ")
        || l.strip_prefix("export ").is_some_and(crate::grammar::env_name)
        || l.split_once("=\"$(cat /run/secrets/").is_some_and(|(k, rest)| {
            crate::grammar::env_name(k)
                && rest.strip_suffix(")\"").is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
}

const NGINX_INCLUDES: &[&str] = &["include /etc/nginx/mime.types;", "include /etc/nginx/modules-enabled/*.conf;"];

const PREPARE_SCRIPT: &[&str] = &[
    "set",
    "umask",
    "cd",
    "fail()",
    "echo",
    "exit",
    "}",
    "[",
    "random()",
    "copy()",
    "if",
    "fi",
    "LC_ALL=C",
    "mv",
    "chown",
    "chmod",
    "mkdir",
    "random",
    "copy",
    "for",
    "done",
    "dir()",
    "dir",
    "root_dir()",
    "root_dir",
    "parents()",
    "parents",
    "put()",
    "owner=$(stat",
    "mode=$(stat",
    "p=\"\"",
    "rest=\"${1#/}\"",
    "while",
    "case",
    "*/*)",
    "*)",
    "esac",
    "tmp=$(mktemp",
    "cat",
    "src=$(realpath",
    "fail",
    "put",
];

const UFW_SCRIPT: &[&str] = &["set", "if", "then", "else", "fi", "echo", "exit", "ufw", "sed"];

const DOCKERFILE: &[&str] = &[
    "FROM",
    "RUN",
    "COPY",
    "WORKDIR",
    "ENV",
    "USER",
    "EXPOSE",
    "HEALTHCHECK",
    "CMD",
    "LABEL",
    "ARG",
    "STOPSIGNAL",
    "ENTRYPOINT",
    "SHELL",
];

const PLAY: &[&str] =
    &["name", "hosts", "become", "gather_facts", "vars", "pre_tasks", "tasks", "handlers", "environment"];

/// Statements (outside quotes, comments and dollar quotes) must begin with a keyword the
/// template writes, and psql meta-commands must be the template's.
const SQL: &[&str] = &[
    "ALTER",
    "CREATE",
    "DO",
    "GRANT",
    "REVOKE",
    "SELECT",
    "SET",
    "BEGIN",
    "COMMIT",
    "COMMENT",
    "DROP POLICY",
    "RESET",
];
const PSQL_META: &[&str] =
    &["\\set", "\\getenv", "\\if", "\\else", "\\endif", "\\unset", "\\echo", "\\warn", "\\quit", "\\connect"];

pub(crate) fn sql(p: &mut Vec<String>, text: &str, _comment: &str) {
    // Split into statements with PostgreSQL's lexical rules for the parts that hide a `;`.
    let b = text.as_bytes();
    let (mut i, mut start) = (0, 0);
    let mut statements = Vec::new();
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\\' if text[..i].ends_with('\n') || i == 0 => {
                // A psql meta-command: one line of its own.
                let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
                let word = text[i..end].split_whitespace().next().unwrap_or("");
                if !PSQL_META.contains(&word) {
                    p.push(format!("a psql meta-command the template never writes: {:?}", &text[i..end]));
                }
                i = end;
                start = end;
            }
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                if i >= b.len() {
                    p.push("an unterminated quoted literal or identifier".into());
                }
            }
            b'$' => {
                let tag_end = text[i + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(|e| i + 1 + e);
                if let Some(te) = tag_end.filter(|te| b.get(*te) == Some(&b'$')) {
                    let tag = &text[i..=te];
                    match text[te + 1..].find(tag) {
                        Some(close) => i = te + close + tag.len(),
                        None => {
                            p.push(format!("an unterminated dollar quote {tag}"));
                            return;
                        }
                    }
                }
            }
            b';' => {
                statements.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !text[start.min(text.len())..].lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with("--")) {
        p.push("text after the last statement".into());
    }
    for s in statements {
        let body: String = s.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join(" ");
        let body = body.trim();
        if !SQL.iter().any(|k| body.starts_with(k)) {
            p.push(format!("a statement the template never writes: {:?}", body.chars().take(80).collect::<String>()));
        }
    }
}

/// Every `{` has its `}`, outside quotes and comments.
fn braces(p: &mut Vec<String>, text: &str, comment: &str) {
    let mut depth = 0i32;
    for line in text.lines() {
        let mut quoted: Option<char> = None;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (Some(_), '\\') => {
                    chars.next();
                }
                (Some(q), c) if c == q => quoted = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quoted = Some(c),
                (None, '#') if comment == "#" => break,
                (None, '{') => depth += 1,
                (None, '}') => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                p.push(format!("a `}}` closes more than was opened: {line:?}"));
                return;
            }
        }
        if quoted.is_some() {
            p.push(format!("a quote left open at the end of a line: {line:?}"));
        }
    }
    if depth != 0 {
        p.push(format!("{depth} block(s) left open"));
    }
}

/// Quotes come in pairs on every line.
fn quotes(p: &mut Vec<String>, text: &str, comment: &str) {
    for line in text.lines().filter(|l| !l.trim_start().starts_with(comment)) {
        if line.matches('"').count() % 2 == 1 || line.matches('\'').count() % 2 == 1 {
            p.push(format!("an odd number of quotes: {line:?}"));
        }
    }
}

fn yaml_keys(p: &mut Vec<String>, text: &str, allowed: &[&str]) {
    match serde_norway::from_str::<serde_norway::Value>(text) {
        Ok(serde_norway::Value::Mapping(m)) => {
            for k in m.keys() {
                if !k.as_str().is_some_and(|k| allowed.contains(&k)) {
                    p.push(format!("a top-level key the file never has: {k:?}"));
                }
            }
        }
        Ok(_) => p.push("not a YAML mapping".into()),
        Err(e) => p.push(format!("not YAML: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_shapes_are_caught() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        assert!(check_one(Kind::Sshd, &format!("{h}Port 22\nPermitRootLogin no\n")).is_empty());
        assert!(!check_one(Kind::Sshd, &format!("{h}Port 22\nMatch all\n")).is_empty());
        assert!(!check_one(Kind::Sshd, "Port 22\n").is_empty(), "no header");
        assert!(!check_one(Kind::Fail2ban, &format!("{h}[sshd]\nenabled = true\nevil = x\n")).is_empty());
        assert!(!check_one(Kind::Fail2ban, &format!("{h}[sshd]\nenabled = true\n[sshd x]\n")).is_empty());
        assert!(!check_one(Kind::Nginx, &format!("{h}http {{\n    server_name \"a\";\n}}\n}}\n")).is_empty());
        assert!(!check_one(Kind::Nginx, &format!("{h}http {{\n    include /etc/passwd;\n}}\n")).is_empty());
        let sql = |body: &str| check_one(Kind::PostgresSql, &format!("-- generated by pynoc 0.1.0\n{body}"));
        assert!(sql("ALTER SYSTEM SET a = 'b';\nDO $x$ BEGIN PERFORM 1; END $x$;\n").is_empty());
        assert!(!sql("ALTER SYSTEM SET a = 'b'; DROP TABLE t;\n").is_empty());
        assert!(!sql("ALTER SYSTEM SET a = 'b\n").is_empty());
        assert!(!sql("\\! rm -rf /\n").is_empty());
        assert!(!check_one(Kind::PgHba, &format!("{h}host all all 0.0.0.0/0 trust extra more\n")).is_empty());
        assert!(!check_one(Kind::Sysctl, &format!("{h}kernel.x = 1\nkernel.y=2\n")).is_empty());
        assert!(!check_one(Kind::Sshd, &format!("{h}Port 22\u{2028}\n")).is_empty());
        assert!(!check_one(Kind::Compose, &format!("{h}services: {{}}\nx-evil: 1\n")).is_empty());
    }

    /// The rules of meaning: a root-run writer outside its directory, a kernel helper key
    /// without its reason.
    #[test]
    fn writers_outside_their_directories_are_caught() {
        let h = "# generated by pynoc 0.1.0 from spec.kdl, do not edit\n";
        let nginx = |l: &str| check_one(Kind::Nginx, &format!("{h}http {{\n    {l}\n}}\n"));
        assert!(nginx("access_log /var/log/nginx/access.log;").is_empty());
        for bad in
            ["access_log /etc/ld.so.preload;", "error_log /var/log/nginx//x.log;", "ssl_certificate /etc/shadow;"]
        {
            assert!(!nginx(bad).is_empty(), "{bad}");
        }
        let prepare = |l: &str| meaning_of(Kind::Prepare, &format!("{h}{l}\n"));
        assert!(prepare("dir /opt/demo/data 999:999 0700").is_empty());
        assert!(!prepare("dir /etc 999:999 0700").is_empty());
        assert!(!prepare("copy \"${PYNOC_PG_TLS_KEY_FROM:-/etc/shadow}\" secrets/k.pem 999:999 0400").is_empty());
        assert!(
            prepare("copy \"${PYNOC_PG_TLS_KEY_FROM:-/etc/ssl/private/pg.key}\" secrets/k.pem 999:999 0400").is_empty()
        );
        let sysctl = |body: &str| check_one(Kind::Sysctl, &format!("{h}{body}"));
        assert!(!sysctl("kernel.modprobe = /tmp/x\n").is_empty());
        assert!(sysctl("# the vendor's appliance\nkernel.modprobe = /sbin/modprobe\n").is_empty());
        assert!(!sysctl("-net.ipv4.conf.lo.route_localnet = 1\n").is_empty());
        let deploy = |extra: &str| {
            meaning_of(
                Kind::Deploy,
                &format!("  - name: ACME webroot\n    ansible.builtin.file:\n      path: !unsafe /var/www/x\n{extra}"),
            )
        };
        assert!(deploy("      follow: false\n").is_empty());
        assert!(!deploy("").is_empty());
    }
}
