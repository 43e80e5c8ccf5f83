//! Every value grammar of the spec language, in one place: pure predicates over the text a
//! spec wrote, with no diagnostics. Lowering (`src/lower/validate.rs` and the sections) turns
//! a `false` into an error at the value; the shape checks (`src/verify/shape.rs`) use the same
//! predicate for what an artifact may contain. A grammar is written once: a second copy is a
//! second place to forget a character.
//!
//! Each grammar is tested below with a table of values it accepts and values it rejects, and
//! every grammar whose values reach an artifact as a bare word rejects every character that
//! means something to a shell, a config syntax or a terminal, at every position.

/// A lowercase name: project, network, image, key names. `[a-z][a-z0-9_-]*`, 1 to `max`.
pub(crate) fn name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The characters a path may hold: letters, digits and `/._-+@` (and `*` for a glob).
pub(crate) fn path_chars(s: &str, glob: bool) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+@".contains(c) || (glob && c == '*'))
}

/// A plain absolute path: starts with `/`, safe characters, no `..`, at most 255 bytes.
pub(crate) fn absolute_path(s: &str, glob: bool) -> bool {
    s.starts_with('/') && path_chars(s, glob) && !s.split('/').any(|c| c == "..") && s.len() <= 255
}

/// A comment every firewall and config syntax can carry as data.
pub(crate) fn comment(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || " _.,:/()+-".contains(c))
}

/// One line of free text of at most `max` bytes that is not blank (a waiver's reason, an
/// environment value): no control, separator, format or tag character.
pub(crate) fn one_line(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.len() <= max && !s.chars().any(crate::term::hidden_char)
}

/// A login banner: printable ASCII lines (at most 30, 2048 bytes) and no backslash, the
/// escape character of agetty's /etc/issue; not blank.
pub(crate) fn banner(s: &str) -> bool {
    !s.trim().is_empty()
        && s.len() <= 2048
        && s.lines().count() <= 30
        && s.chars().all(|c| c == '\n' || (c.is_ascii_graphic() || c == ' ') && c != '\\')
}

/// Whether a banner names the system: CIS 1.6.1–1.6.3 look for the release's `ID`.
pub(crate) fn names_system(s: &str) -> bool {
    s.to_ascii_lowercase().contains("debian")
}

/// A journald size (`512M`, `2G`): digits and a unit `K`, `M`, `G` or `T`, as bytes.
pub(crate) fn journal_size(s: &str) -> Option<u64> {
    // The unit is the last character, whatever its width (a fuzzer's `5€` is no size).
    let unit = s.chars().next_back()?;
    let digits = &s[..s.len() - unit.len_utf8()];
    let shift = match unit {
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return None,
    };
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(|n| n << shift)
}

/// An environment value: any one line of at most 1024 bytes, empty or blank included
/// (`env DEBUG ""`); it is written as quoted data.
pub(crate) fn env_value(s: &str) -> bool {
    s.len() <= 1024 && !s.chars().any(crate::term::hidden_char)
}

/// A lowercase DNS name of two labels or more.
pub(crate) fn hostname(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').count() >= 2
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A server name: a host name, or `*.` and a host name.
pub(crate) fn server_name(s: &str) -> bool {
    hostname(s.strip_prefix("*.").unwrap_or(s))
}

/// An upstream's host: dot-separated labels of lowercase letters, digits and `-` (one label
/// is a compose service name).
pub(crate) fn upstream_host(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
}

/// An e-mail address of plain characters.
pub(crate) fn email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
            && domain.contains('.')
            && domain.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
    })
}

/// A Unix user name as sshd's `AllowUsers` and useradd read it.
pub(crate) fn user(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// An environment variable name: `[A-Z_][A-Z0-9_]*`, at most 64 bytes.
pub(crate) fn env_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A PostgreSQL identifier that never needs quoting or case folding: `[a-z_][a-z0-9_]*`, at
/// most 63 bytes (NAMEDATALEN - 1).
pub(crate) fn pg_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A custom PostgreSQL setting: `prefix.name`, lowercase, at most 63 bytes.
pub(crate) fn pg_setting(s: &str) -> bool {
    s.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// A dotted sysctl key: two components or more of letters, digits, `_` and `-`.
pub(crate) fn sysctl_key(s: &str) -> bool {
    s.len() <= 128
        && s.split('.').count() >= 2
        && s.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
}

/// Audit permissions: the letters `r`, `w`, `x`, `a`, each at most once, at least one.
pub(crate) fn audit_perms(s: &str) -> bool {
    !s.is_empty() && s.chars().enumerate().all(|(i, c)| "rwxa".contains(c) && !s[..i].contains(c))
}

/// An audit rule's key (`-k`): letters, digits, `-` and `_`, at most 31 bytes.
pub(crate) fn audit_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 31 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `"8000"` or `"6000:6007"`: ports from 1, a range's first below its last.
pub(crate) fn port_range(s: &str) -> Option<(u16, u16)> {
    let parse = |s: &str| s.parse::<u16>().ok().filter(|p| *p >= 1 && !s.starts_with('+'));
    match s.split_once(':') {
        Some((a, b)) => parse(a).zip(parse(b)).filter(|(a, b)| a < b),
        None => parse(s).map(|p| (p, p)),
    }
}

/// An nginx version pynoc writes for: `1.MINOR` or `1.MINOR.PATCH`, 1.18 or later.
pub(crate) fn nginx_version(s: &str) -> Option<(u32, u32, u32)> {
    let number = |p: &str| p.chars().all(|c| c.is_ascii_digit()).then(|| p.parse::<u32>().ok()).flatten();
    let parts: Vec<Option<u32>> = s.split('.').map(number).collect();
    match parts.as_slice() {
        [Some(1), Some(minor), rest @ ..] if rest.len() <= 1 && rest.iter().all(Option::is_some) && *minor >= 18 => {
            Some((1, *minor, rest.first().copied().flatten().unwrap_or(0)))
        }
        _ => None,
    }
}

/// An nginx size: up to six digits and an optional unit `k`, `m` or `g` (either case).
pub(crate) fn nginx_size(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    let digits = s.trim_end_matches(['k', 'm', 'g']);
    !digits.is_empty() && digits.len() <= 6 && digits.chars().all(|c| c.is_ascii_digit()) && s.len() - digits.len() <= 1
}

/// An nginx request rate: `10r/s`, `100r/m`; not zero.
pub(crate) fn rate(s: &str) -> bool {
    s.strip_suffix("r/s").or_else(|| s.strip_suffix("r/m")).is_some_and(|n| {
        !n.is_empty() && n.len() <= 6 && n.chars().all(|c| c.is_ascii_digit()) && n.chars().any(|c| c != '0')
    })
}

/// An HTTP header name: letters, digits and `-`.
pub(crate) fn header_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A header value nginx carries inside double quotes as data: one line, no `"`, `\` or `$`
/// (nginx would expand a variable).
pub(crate) fn header_value(s: &str) -> bool {
    one_line(s, 2048) && !s.contains(['"', '\\', '$'])
}

/// A CPU count for compose: a number above 0 and at most 256 (`0` is "no limit").
pub(crate) fn cpus(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || c == '.') && s.parse::<f64>().is_ok_and(|f| f > 0.0 && f <= 256.0)
}

/// A tmpfs size: digits and an optional unit `k`, `m`, `g` (either case) or `%` of RAM, at
/// most 12 bytes.
pub(crate) fn tmpfs_size(s: &str) -> bool {
    let digits = s.trim_end_matches(['k', 'm', 'g', 'K', 'M', 'G', '%']);
    s.len() <= 12 && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && s.len() - digits.len() <= 1
}

/// An octal file mode of three or four digits (`"644"`, `"1777"`), as its bits.
pub(crate) fn octal_mode(s: &str) -> Option<u32> {
    ((3..=4).contains(&s.len()) && s.chars().all(|c| ('0'..='7').contains(&c)))
        .then(|| u32::from_str_radix(s, 8).ok())
        .flatten()
}

/// A compose memory size: digits and one unit `K`, `M` or `G`.
pub(crate) fn mem(s: &str) -> bool {
    let digits = s.trim_end_matches(['K', 'M', 'G']);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && s.len() - digits.len() == 1
}

/// A size or limit whose number is zero: to compose, nginx, tmpfs and redis, `0` means
/// "no limit".
pub(crate) fn zero_size(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    !digits.is_empty() && digits.chars().all(|c| c == '0')
}

/// A word that is safe in a Dockerfile, YAML and a shell: letters, digits, `._-+` and the
/// characters of `extra`, at most 128 bytes.
pub(crate) fn word(s: &str, extra: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c) || extra.contains(c))
}

/// A Debian package name as policy defines it: lowercase letters, digits, `+`, `-`, `.`, at
/// least two characters, starting with a letter or digit (a leading `-` would be an option
/// to `apt-get install`).
pub(crate) fn package(s: &str) -> bool {
    s.len() >= 2
        && s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Grammar = (&'static str, fn(&str) -> bool, Vec<&'static str>, Vec<&'static str>);

    /// Found by the fuzzer: a unit of several bytes split inside its character.
    #[test]
    fn a_journal_size_is_read_by_characters() {
        assert_eq!(journal_size("2G"), Some(2 << 30));
        assert_eq!(journal_size("512M"), Some(512 << 20));
        for bad in ["", "G", "5\u{20ac}", "\u{fffd}", "1\u{fffd}G", "-1G", "12345678M", "1g", "1 G"] {
            assert_eq!(journal_size(bad), None, "{bad:?}");
        }
    }

    fn long(s: &str, n: usize) -> &'static str {
        Box::leak(s.repeat(n).into_boxed_str())
    }

    /// Each grammar: its name, the predicate, values it accepts, values it rejects.
    fn table() -> Vec<Grammar> {
        vec![
            (
                "name",
                |s| name(s, 63),
                vec!["a", "pynomaly", "api-v2", "a_b", "x9"],
                vec!["", "A", "9a", "-a", "_a", "a.b", "a b", "a;b", "é", long("a", 64)],
            ),
            (
                "absolute path",
                |s| absolute_path(s, false),
                vec!["/", "/etc", "/srv/app/data", "/a+b@c", "//etc"],
                vec!["etc", "./a", "/a/../b", "/..", "/a b", "/a;b", "/a$b", "/a*", "/a%b", "/a\nb", "/a\"b"],
            ),
            ("glob path", |s| absolute_path(s, true), vec!["/var/log/*.log", "/a/*"], vec!["*.log", "/a/../*", "/a?"]),
            (
                "comment",
                comment,
                vec!["ssh from the office", "a (b), c: d/e+f-g_h."],
                vec!["", "a#b", "a;b", "a\"b", "a'b", "a\nb", "a`b", "a$b", "a\\b", long("x", 65)],
            ),
            (
                "reason",
                |s| one_line(s, 200),
                vec!["console access during the migration", "ünïcödé is fine"],
                vec!["", "   ", "a\nb", "a\rb", "a\u{2028}b", "a\u{202e}b", "a\u{0}b", "a\u{85}b", long("x", 201)],
            ),
            (
                "env value",
                env_value,
                vec!["", " ", "production", "a=b; c 'd' \"e\" $f"],
                vec!["a\nb", "a\rb", "a\u{2028}b", "a\u{202e}b", "a\u{0}b", long("x", 1025)],
            ),
            (
                "hostname",
                hostname,
                vec!["example.com", "api.example.com", "a-b.c9.io", "xn--bcher-kva.example"],
                vec![
                    "",
                    "localhost",
                    "Example.com",
                    "a..b",
                    ".a.b",
                    "a.b.",
                    "-a.b",
                    "a-.b",
                    "a_b.c",
                    "a b.c",
                    "*.a.b",
                    Box::leak(format!("{}.com", "a".repeat(64)).into_boxed_str()),
                ],
            ),
            ("server name", server_name, vec!["example.com", "*.example.com"], vec!["*", "*.com", "a.*.com", "**.a.b"]),
            (
                "upstream host",
                upstream_host,
                vec!["app", "app.internal", "10.0.0.1"],
                vec!["", "a..b", "App", "a_b", "a b"],
            ),
            (
                "email",
                email,
                vec!["admin@example.com", "a.b+c-d@x.y"],
                vec!["", "admin", "@example.com", "a@b", "a b@c.d", "a@b.c;d", "a\"@b.c", "a@b@c.d"],
            ),
            (
                "user",
                user,
                vec!["deploy", "_apt", "a-b", "u1"],
                vec!["", "Root", "1a", "-a", "a.b", "a b", long("a", 33)],
            ),
            (
                "env name",
                env_name,
                vec!["A", "_A", "DATABASE_URL", "A1_B2"],
                vec!["", "a", "1A", "A-B", "A.B", "A B", "A=B", "A$", long("A", 65)],
            ),
            (
                "pg identifier",
                pg_ident,
                vec!["pynomaly", "_x", "app_2"],
                vec!["", "App", "1a", "a-b", "a.b", "a\"b", "a;b", long("a", 64)],
            ),
            (
                "pg setting",
                pg_setting,
                vec!["app.current_user_id", "a.b.c"],
                vec!["app", ".a", "a.", "App.x", "a.b-c", "a.b;c"],
            ),
            (
                "sysctl key",
                sysctl_key,
                vec!["net.ipv4.tcp_syncookies", "kernel.kptr_restrict", "net.ipv4.conf.eth-0.rp_filter"],
                vec!["", "kernel", "a..b", ".a", "a.b c", "a.b=1", "a/b.c", "a.b\n"],
            ),
            ("audit perms", audit_perms, vec!["r", "wa", "rwxa", "aw"], vec!["", "rr", "rwxq", "W", "r w", "-wa"]),
            ("audit key", audit_key, vec!["nginx-config", "a_b", "K1"], vec!["", "a b", "a/b", "a\"b", long("k", 32)]),
            (
                "port range",
                |s| port_range(s).is_some(),
                vec!["1", "22", "65535", "6000:6007"],
                vec!["", "0", "65536", "+22", "-1", "22:22", "23:22", "0:10", "1:", ":1", "1:2:3", " 22"],
            ),
            (
                "nginx version",
                |s| nginx_version(s).is_some(),
                vec!["1.18", "1.22", "1.26.3"],
                vec!["", "1", "1.17", "2.0", "1.22.1.1", "1.x", "1.+22", "1.22-r1", "v1.22"],
            ),
            (
                "nginx size",
                nginx_size,
                vec!["1", "10m", "10M", "512k", "1g", "999999"],
                vec!["", "m", "10mb", "1.5m", "1000000", "-1", "10 m", "1t"],
            ),
            (
                "rate",
                rate,
                vec!["10r/s", "100r/m", "01r/s"],
                vec!["", "r/s", "0r/s", "00r/s", "10r/h", "10/s", "1.5r/s", "1000000r/s"],
            ),
            ("header name", header_name, vec!["X-Frame-Options", "x1"], vec!["", "X Frame", "X:Y", "X_Y", "X\nY"]),
            (
                "header value",
                header_value,
                vec!["DENY", "max-age=63072000; includeSubDomains", "a, b 'c'"],
                vec!["", " ", "a\"b", "a\\b", "$host", "a\nb", "a\u{2028}b"],
            ),
            (
                "cpus",
                cpus,
                vec!["1", "0.5", "2.0", "256"],
                vec!["", "0", "0.0", "-1", "256.1", "inf", "NaN", "1e1", "+1"],
            ),
            ("mem", mem, vec!["512M", "1G", "64K", "0M"], vec!["", "512", "M", "512MB", "512m", "1.5G", "-1M"]),
            (
                "word",
                |s| word(s, ""),
                vec!["python3", "libpq5", "a.b-c+d_e"],
                vec!["", "a b", "a;b", "a/b", "a:b", "$a", "a\nb"],
            ),
            (
                "package",
                package,
                vec!["libpq5", "python3-venv", "g++", "0ad"],
                vec!["", "a", "-a", "+a", "Libpq", "a_b", "a b", "a;b", "--allow-unauthenticated"],
            ),
        ]
    }

    #[test]
    fn every_grammar_accepts_and_rejects_its_table() {
        let mut wrong = Vec::new();
        for (what, ok, accepts, rejects) in table() {
            wrong.extend(accepts.iter().filter(|s| !ok(s)).map(|s| format!("{what} should accept {s:?}")));
            wrong.extend(rejects.iter().filter(|s| ok(s)).map(|s| format!("{what} should reject {s:?}")));
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// The characters that mean something to a shell, to nginx, sshd, YAML, SQL, KDL or a
    /// terminal: none may reach an artifact inside a bare word.
    const HOSTILE: &[char] = &[
        ' ', '\t', '\n', '\r', '\0', '"', '\'', '`', '$', ';', '&', '|', '<', '>', '\\', '#', '{', '}', '(', ')', '=',
        '%', '!', '?', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}', '\u{202e}', '\u{200b}', '\u{feff}',
    ];

    /// Generated variants: each accepted value of each word-like grammar with each hostile
    /// character put at its start, in its middle and at its end is rejected.
    #[test]
    fn no_word_grammar_takes_a_hostile_character_anywhere() {
        let words = [
            "name",
            "absolute path",
            "glob path",
            "hostname",
            "server name",
            "upstream host",
            "email",
            "user",
            "env name",
            "pg identifier",
            "pg setting",
            "sysctl key",
            "audit perms",
            "audit key",
            "port range",
            "nginx version",
            "nginx size",
            "rate",
            "header name",
            "cpus",
            "mem",
            "tmpfs size",
            "octal mode",
            "word",
            "package",
        ];
        let mut taken = Vec::new();
        let mut tried = 0;
        for (what, ok, accepts, _) in table().into_iter().filter(|g| words.contains(&g.0)) {
            for s in accepts {
                for c in HOSTILE {
                    let mid = s.len() / 2;
                    let mid = (0..=mid).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                    for v in [format!("{c}{s}"), format!("{}{c}{}", &s[..mid], &s[mid..]), format!("{s}{c}")] {
                        tried += 1;
                        if ok(&v) {
                            taken.push(format!("{what} takes {v:?}"));
                        }
                    }
                }
            }
        }
        assert!(tried > 2000, "only {tried} variants");
        assert!(taken.is_empty(), "{}", taken.join("\n"));
    }

    /// Free text keeps to one line: a line break or an invisible character anywhere is refused.
    #[test]
    fn free_text_stays_on_one_visible_line() {
        for (what, ok) in [
            ("reason", (|s| one_line(s, 200)) as fn(&str) -> bool),
            ("env value", env_value),
            ("header value", header_value),
            ("comment", comment),
        ] {
            for c in [
                '\n',
                '\r',
                '\0',
                '\u{b}',
                '\u{c}',
                '\u{85}',
                '\u{2028}',
                '\u{2029}',
                '\u{202e}',
                '\u{200b}',
                '\u{e0041}',
            ] {
                for v in [format!("{c}text"), format!("te{c}xt"), format!("text{c}")] {
                    assert!(!ok(&v), "{what} takes {v:?}");
                }
            }
        }
    }
}
