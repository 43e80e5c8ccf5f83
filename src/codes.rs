//! The catalog of diagnostic codes: one table that the diagnostics, `pynoc explain`, the
//! codes table of docs/diagnostics.md, the SARIF rule list and the tests all read. A code is stable: once
//! published it keeps its meaning; a retired rule keeps its number unused.
//!
//! Each row: the [`Kind`] it defines, its code, a slug, a one-line summary, why the rule
//! exists, how to fix it, and an example spec that triggers it (`stdlib/codes/CODE.kdl`).

/// A rule's example: the spec `stdlib/codes/CODE.kdl`, which a test compiles.
macro_rules! example {
    (spec, $code:literal) => {
        Some(include_str!(concat!("../stdlib/codes/", $code, ".kdl")))
    };
    (none, $code:literal) => {
        None
    };
}

macro_rules! catalog {
    ($( $kind:ident $code:literal $slug:literal {
        summary: $summary:literal,
        why: $why:literal,
        example: $example:ident,
        fix: $fix:literal
        $(, waive: [$($artifact:ident),* $(,)?])? $(,)?
    } )*) => {
        /// What went wrong: one rule each, with a stable code that scripts and docs rely on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $($kind),* }

        /// Every rule, in code order.
        pub const CATALOG: &[Rule] = &[$(Rule {
            kind: Kind::$kind,
            code: $code,
            slug: $slug,
            summary: $summary,
            why: $why,
            example: example!($example, $code),
            fix: $fix,
            level: if $code.as_bytes()[0] == b'W' { Level::Warning } else { Level::Error },
            waive: waive!($([$($artifact),*])?),
        }),*];

        impl Kind {
            pub(crate) fn rule(self) -> &'static Rule {
                let i = match self { $(Kind::$kind => $code),* };
                CATALOG.iter().find(|r| r.code == i).expect("every kind is in the catalog")
            }
        }
    };
}

/// A rule's waiver list: the artifacts whose header repeats a waived finding; `None` when
/// the rule cannot be waived.
macro_rules! waive {
    () => {
        None
    };
    ([$($artifact:ident),*]) => {
        Some(&[$(crate::artifact::Kind::$artifact),*])
    };
}

/// How a finding weighs: an error stops the build; a warning is reported and fails only
/// under `--deny warnings`. `E` codes are errors, `W` codes warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One row of the catalog.
#[derive(Debug)]
pub struct Rule {
    pub kind: Kind,
    pub code: &'static str,
    pub slug: &'static str,
    pub summary: &'static str,
    pub why: &'static str,
    /// A whole spec that triggers the rule (`stdlib/codes/CODE.kdl`); none for E100.
    pub example: Option<&'static str>,
    pub fix: &'static str,
    pub level: Level,
    /// `allow CODE reason="…"` can waive a finding of this rule; the finding is then repeated
    /// in the header of these artifacts. `None`: the spec must be fixed.
    pub waive: Option<&'static [crate::artifact::Kind]>,
}

impl Kind {
    pub fn code(self) -> &'static str {
        self.rule().code
    }

    pub(crate) fn slug(self) -> &'static str {
        self.rule().slug
    }
}

/// The rule of a code (`E016`, `e016`) or a slug (`shadowed`).
/// Codes no longer in use, and what became of each: a waiver or `explain` naming one says so.
const RETIRED: &[(&str, &str)] =
    &[("W005", "it became E048: a database image without pgAudit, when the spec loads it, is an error now")];

/// What became of a retired code.
pub fn retired(name: &str) -> Option<&'static str> {
    RETIRED.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)).map(|(_, why)| *why)
}

pub fn find(name: &str) -> Option<&'static Rule> {
    CATALOG.iter().find(|r| r.code.eq_ignore_ascii_case(name) || r.slug == name)
}

/// The table of codes in docs/diagnostics.md, generated from the catalog; a test keeps it equal.
pub fn markdown_table() -> String {
    let mut s = String::from("| code | name | level | waivable | what it catches |\n|---|---|---|---|---|\n");
    for r in CATALOG {
        let waivable = if r.waive.is_some() { "yes" } else { "no" };
        s.push_str(&format!("| {} | {} | {} | {waivable} | {} |\n", r.code, r.slug, r.level.as_str(), r.summary));
    }
    s
}

/// `pynoc explain CODE`: title, why, example, fix.
pub fn explain(r: &Rule) -> String {
    let example: String = match r.example {
        Some(e) => e.lines().map(|l| format!("    {l}\n")).collect(),
        None => "    (no spec triggers it on purpose)\n".to_string(),
    };
    let waiver = match r.waive {
        Some(artifacts) => format!(
            "a spec can waive it with `allow {} reason=\"…\"` at the node it concerns; the waived finding is \
             repeated in: {}.",
            r.code,
            artifacts.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        ),
        None => "it cannot be waived: the spec must be fixed.".to_string(),
    };
    format!(
        "{} {} ({}): {}\n\nWhy it matters\n{}\nExample that triggers it\n{}\nHow to fix it\n{}\nWaiver\n{}",
        r.code,
        r.slug,
        r.level.as_str(),
        r.summary,
        wrap(r.why),
        example,
        wrap(r.fix),
        wrap(&waiver)
    )
}

fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 92 {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

catalog! {
    Syntax "E001" "syntax" {
        summary: "the spec is not valid KDL 2.0, not UTF-8, or nested deeper than 64 levels",
        why: "pynoc reads nothing it cannot parse exactly: a guess at a half-parsed spec could harden the wrong thing.",
        example: spec,
        fix: "close the block, quote the string or fix the byte the label points at; KDL 2.0 writes booleans as `#true` and `#false`.",
    }
    Version "E002" "version" {
        summary: "the spec does not start with `pynoc 1`, or names another version",
        why: "the first node fixes the meaning of every other node; a spec written for another version would compile to something its author did not mean.",
        example: spec,
        fix: "make `pynoc 1` the first node of the spec.",
    }
    UnknownNode "E003" "unknown-node" {
        summary: "a node pynoc does not know, e.g. `hots {` or `pasword-authentication`",
        why: "a misspelt setting silently ignored is a hardening that silently does not happen.",
        example: spec,
        fix: "use the name the help line suggests (the closest known one), or remove the node.",
    }
    UnknownProperty "E004" "unknown-property" {
        summary: "a property pynoc does not know, e.g. `findtim=\"10m\"`",
        why: "an ignored property is a setting the author believes is in force and is not.",
        example: spec,
        fix: "use the property the help line suggests, or remove it.",
    }
    WrongType "E005" "wrong-type" {
        summary: "a value of the wrong type, e.g. `port \"22\"` or `x11-forwarding \"no\"`",
        why: "the string \"no\" is not the boolean `#false`: pynoc does not guess which one was meant.",
        example: spec,
        fix: "write the type the label names: a number unquoted, a boolean as `#true`/`#false`.",
    }
    OutOfRange "E006" "out-of-range" {
        summary: "a number outside its range, e.g. `port 70000` or `maxretry=0`",
        why: "the consumer would refuse it at start, or worse, wrap or clamp it to something else.",
        example: spec,
        fix: "give a value inside the range the help line states.",
    }
    InvalidValue "E007" "invalid-value" {
        summary: "a value that does not parse as what it names: a network with host bits, a bad size, mode, duration or name",
        why: "`10.0.0.1/8` is ambiguous (the host or the network?); pynoc accepts only values whose meaning is exact.",
        example: spec,
        fix: "write the value in the form the help line shows, e.g. `10.0.0.0/8`.",
    }
    Missing "E008" "missing" {
        summary: "something required is absent: a `jail` with no name, a `watch` with no `key`, a section an artifact needs",
        why: "an artifact rendered without a required part is either refused by its consumer or silently weaker.",
        example: spec,
        fix: "add what the label asks for.",
    }
    Duplicate "E009" "duplicate" {
        summary: "something given twice: two `ssh` nodes, a jail or a network named twice",
        why: "when a setting is given twice one of them is ignored, and the reader cannot tell which.",
        example: spec,
        fix: "keep one; the secondary label points at the first definition.",
    }
    Unsupported "E010" "unsupported" {
        summary: "a feature pynoc does not support: type annotations, a base image its Dockerfile does not target",
        why: "pynoc emits only what it can prove correct for the consumer; an unsupported feature is refused, not approximated.",
        example: spec,
        fix: "remove the feature, or use one of the supported values the help line lists.",
    }
    UnknownReference "E011" "unknown-reference" {
        summary: "a reference to a network, jail, rule set, syscall, zone or service that does not exist",
        why: "a rule that names nothing protects nothing; the reference is checked where it is used.",
        example: spec,
        fix: "define what is referenced, or fix the name (the help line suggests the closest one).",
    }
    UnexpectedArgument "E012" "unexpected-argument" {
        summary: "an extra argument, or a block where none belongs",
        why: "an argument pynoc ignores is a setting the author believes is in force and is not.",
        example: spec,
        fix: "remove the argument or the block.",
    }
    UnsafeValue "E013" "unsafe-value" {
        summary: "a value that could inject syntax into an artifact: quotes, newlines, `%`, `$`, `;`, spaces in paths, control characters",
        why: "the artifacts are installed as root: a value that closes a quote or starts a new line would add directives the spec never stated.",
        example: spec,
        fix: "write the value with the characters the help line allows; pynoc quotes what it can and refuses what it cannot.",
    }
    NeedsReason "E014" "needs-reason" {
        summary: "a hardening weakened, or a dangerous PostgreSQL setting, without `reason=\"…\"`",
        why: "weakening a default may be right, but the reviewer must see why; pynoc repeats the reason in the output.",
        example: spec,
        fix: "restore the default, or add `reason=\"…\"` saying why.",
    }
    Lockout "E015" "lockout" {
        summary: "a firewall that drops incoming traffic but does not let SSH in",
        why: "applied over SSH, such a firewall cuts the session that applies it and every one after.",
        example: spec,
        fix: "add `allow ssh` (it follows sshd's `port`), limited with `from=NETWORK` if you like.",
        waive: [Ufw, Nftables, Iptables, Ip6tables],
    }
    Shadowed "E016" "shadowed" {
        summary: "a firewall rule or pg_hba.conf line that an earlier one shadows: it never applies",
        why: "first match wins: a rule after a broader one is dead, and the reader believes it is in force.",
        example: spec,
        fix: "move the narrower rule first, or remove it.",
    }
    BroadNetwork "E017" "broad-network" {
        summary: "a network that grants access to nearly everyone: wider than /8 (IPv4) or /32 (IPv6)",
        why: "`0.0.0.0/1` is half the internet; a typo in a prefix should not open a database or SSH to the world.",
        example: spec,
        fix: "name the network you mean; for the world, use the rule's own wording (e.g. an `allow` without `from`).",
    }
    SystemPath "E018" "system-path" {
        summary: "a path outside where its consumer may act: a system directory handed to a service, a tmpfs that would hide one, or a path a root process writes, copies or chowns outside its allow-list",
        why: "nginx's master appends client text to its logs, prepare.sh chowns volume directories and copies TLS files, the playbook makes the webroot and mounts each tmpfs, all as root: a log path of `/etc/profile.d/x.sh`, a volume on `//etc` or a tmpfs over `/usr` turns the hardening against the host it hardens. Paths are compared in their canonical form.",
        example: spec,
        fix: "use the directory the help names (each place has an allow-list in src/syspaths.rs), e.g. `/var/log/nginx/NAME.log` or `/srv/PROJECT/data`.",
    }
    ZeroLimit "E019" "zero-limit" {
        summary: "a limit of zero, which its consumer reads as no limit at all",
        why: "`client_max_body_size 0` and a zero memory limit switch the limit off instead of making it tight.",
        example: spec,
        fix: "give a real bound; to allow more, write a larger value.",
    }
    PlaintextSecret "E020" "plaintext-secret" {
        summary: "a password, token or key written in the spec, or read from a variable that is not a secret",
        why: "the spec and its output are committed and reviewed; a secret in them is a secret published.",
        example: spec,
        fix: "reference the secret: `password-env=NAME` for PostgreSQL, a compose `secret` file (`*_FILE`) for containers.",
    }
    ReservedName "E021" "reserved-name" {
        summary: "a name the software reserves: a PostgreSQL system database or a built-in role",
        why: "revoking rights on `template1` or granting to `pg_read_server_files` changes the server, not the application.",
        example: spec,
        fix: "name the application's own database and roles.",
    }
    RootUser "E022" "root-user" {
        summary: "a container that would run as root (uid 0 or gid 0), or a user that is not a numeric UID:GID",
        why: "a process that escapes a root container is root on the host; names resolve differently inside each image.",
        example: spec,
        fix: "run as a numeric non-root user, e.g. `user=\"1001:1001\"`.",
    }
    ClosedPort "E023" "closed-port" {
        summary: "nginx listens on a port that the firewall does not let the world in on",
        why: "the site would be unreachable: the two artifacts disagree.",
        example: spec,
        fix: "allow nginx's ports in the firewall, or stop listening on them.",
        waive: [Nginx, Ufw, Nftables, Iptables, Ip6tables],
    }
    FirewallBypass "E024" "firewall-bypass" {
        summary: "a container publishes a port on a public address, past the host firewall",
        why: "Docker's own iptables rules accept published ports before ufw or the firewall's INPUT chain sees them.",
        example: spec,
        fix: "publish with `host-ip=\"127.0.0.1\"` and let nginx expose the service.",
        waive: [Compose],
    }
    DanglingUpstream "E025" "dangling-upstream" {
        summary: "nginx proxies to an address where no container publishes the port",
        why: "every request would fail with 502: the nginx config and the compose file disagree.",
        example: spec,
        fix: "publish the service on that address and port, or point the upstream at one that is.",
        waive: [Nginx],
    }
    HbaGap "E026" "hba-gap" {
        summary: "an application connects to PostgreSQL from a network that pg_hba.conf has no line for",
        why: "the server would refuse every connection of the application: the compose file and pg_hba.conf disagree.",
        example: spec,
        fix: "add a `hostssl` line for that role and network.",
        waive: [PgHba],
    }
    TlsRequired "E027" "tls-required" {
        summary: "a `hostssl` pg_hba line on a server without TLS",
        why: "`hostssl` matches only TLS connections: without `ssl` on the server the line never matches and clients are refused.",
        example: spec,
        fix: "add `ssl cert=\"…\" key=\"…\"` to `postgres`.",
    }
    RlsBypass "E028" "rls-bypass" {
        summary: "a role that would bypass row-level security: the tables' owner used by the application or given a policy",
        why: "the owner of a table is exempt from its policies unless forced: tenants would see each other's rows.",
        example: spec,
        fix: "connect as a separate least-privilege role; keep the owner for migrations.",
    }
    ExcessPrivilege "E029" "excess-privilege" {
        summary: "a role given `superuser`, `createrole`, `bypassrls` or another privilege beyond least privilege",
        why: "an application role with superuser can read server files and run programs as the server.",
        example: spec,
        fix: "remove the privilege; grant only table rights.",
    }
    ExposedService "E030" "exposed-service" {
        summary: "a database or cache container that publishes ports or sits on a network that is not internal",
        why: "a database reachable from outside its stack is one leaked password from a breach.",
        example: spec,
        fix: "keep it on an `internal` network and let the application reach it there.",
    }
    UserMismatch "E031" "user-mismatch" {
        summary: "a service runs as another user than its image or stack declares",
        why: "files owned by one uid and a process running as another fail at run time, or get loosened to world-writable.",
        example: spec,
        fix: "use the same UID:GID in the image and the service.",
    }
    LogMismatch "E032" "log-mismatch" {
        summary: "a fail2ban jail reads another log than the service writes, or gives a `logpath` to a journal jail",
        why: "a jail watching the wrong file never bans anyone, and fail2ban does not say so.",
        example: spec,
        fix: "point the jail at the log nginx writes, or drop `logpath` on a journal jail.",
    }
    ForwardingOff "E033" "forwarding-off" {
        summary: "forwarding turned off on a host that runs containers",
        why: "`net.ipv4.ip_forward = 0` cuts every container from the network at the next `sysctl --system`.",
        example: spec,
        fix: "leave forwarding on for a container host; pynoc's firewall routes only the container networks.",
    }
    ExclusiveOptions "E034" "exclusive-options" {
        summary: "options that exclude or need each other: `burst` without `zone`, `limit` on a rule that is not an incoming `allow`, `deny-all` with `column`",
        why: "a combination the consumer would reject, or read differently than the spec says, is refused where it is written.",
        example: spec,
        fix: "follow the help line: add the missing option, or remove one of the two.",
    }
    StackWiring "E035" "stack-wiring" {
        summary: "a container stack that cannot run the spec's `postgres` section: no section, another version, an application role without a password, no shared network",
        why: "the stack's database must be the hardened server the spec describes, and the application must reach it as its own role over TLS; otherwise the stack runs something else than what was reviewed.",
        example: spec,
        fix: "add the `postgres` section, match the image's version, give the application's role `login=#true password-env=NAME`, and put the application on the database's network.",
    }
    AccountUnknown "E036" "unknown-account" {
        summary: "`allow-users` names a user the host does not declare in `accounts`, or `root` while root logins are off",
        why: "sshd's `AllowUsers` lets in only the users it names: a name that is not an account on the host (a typo, an account never made) locks out whoever was meant, and with password logins off nobody else can get in to fix it.",
        example: spec,
        fix: "declare the host's login accounts with `host { accounts \"deploy\" … }` (the playbook checks they exist before it restricts sshd), and name only those in `allow-users`.",
        waive: [Sshd],
    }
    Waiver "E037" "waiver" {
        summary: "an `allow` waiver that is not valid: an unknown code, a rule that cannot be waived, no `reason`, a date that is not `YYYY-MM-DD`",
        why: "a waiver is a reviewed exception: it must name one rule, say why, and be one that a reviewer can weigh; an error that leaves no valid artifact cannot be waived.",
        example: spec,
        fix: "write `allow CODE reason=\"why\" until=\"2027-06-30\"` with a code that `pynoc explain --list` shows as waivable, at the node the finding points into.",
    }
    WaiverExpired "E038" "waiver-expired" {
        summary: "a waiver whose `until` date has passed",
        why: "an exception granted until a date was meant to be fixed by then; past it, the finding stands again.",
        example: spec,
        fix: "fix what the waiver excused, or, after a new review, move `until` forward.",
    }
    FrameConflict "E039" "frame-conflict" {
        summary: "`frame-options` contradicts the CSP's `frame-ancestors` (e.g. `sameorigin` with `frame-ancestors 'none'`)",
        why: "browsers that know CSP obey `frame-ancestors` and ignore X-Frame-Options, older ones do the reverse: with two different answers the page is framable by some browsers and not by others, and the reviewed policy is not the one in force.",
        example: spec,
        fix: "make them agree: `frame-options deny` with `frame-ancestors 'none'`, `frame-options sameorigin` with `frame-ancestors 'self'`.",
        waive: [Nginx],
    }
    HstsNoRedirect "E040" "hsts-without-redirect" {
        summary: "a site that sends HSTS while its plain-HTTP server does not redirect to HTTPS",
        why: "browsers learn HSTS only over HTTPS: a first visit over plain HTTP that is not redirected never gets there, and the preload list refuses such a site.",
        example: spec,
        fix: "remove `http redirect=#false`, so port 80 answers everything but ACME challenges with a redirect to HTTPS.",
        waive: [Nginx],
    }
    CertWithoutCa "E041" "cert-without-ca" {
        summary: "a `hostssl … method=cert` line on a server without `ssl_ca_file`",
        why: "certificate authentication checks the client's certificate against the server's CA file; without one, the server asks for no client certificate and every `cert` login fails.",
        example: spec,
        fix: "add `ssl … ca=\"/etc/postgresql/root.crt\"` (the CA that signs client certificates), or use `method=scram-sha-256`.",
    }
    ListenMismatch "E042" "listen-mismatch" {
        summary: "pg_hba.conf admits clients from other hosts while `listen_addresses` keeps the server on localhost",
        why: "the server never accepts a connection from those networks: the lines are dead, and the applications that rely on them cannot connect.",
        example: spec,
        fix: "set `set listen_addresses \"*\"` (or the address the clients reach), or remove the network lines.",
        waive: [PgHba],
    }
    UnmountedSecret "E043" "unmounted-secret" {
        summary: "a service reads `/run/secrets/NAME` (an `*_FILE` variable) that no secret of the service provides",
        why: "compose mounts only the secrets a service lists: the variable points at a file that does not exist, and the service fails at start, or falls back to a default password.",
        example: spec,
        fix: "add `secret NAME` to the service (and define it in `compose`), or point the variable at a secret the service has.",
    }
    PathOverlap "E044" "path-overlap" {
        summary: "two paths the spec hands to different owners lie one inside the other: nested volume directories, an ACME webroot on a volume's directory",
        why: "each path is fine alone; together, a container user who owns an outer volume directory can swap the inner one that root chowns and binds, and the playbook makes a webroot on a volume's directory 0755 (readable by every local user).",
        example: spec,
        fix: "give each its own directory, side by side.",
    }
    MetadataAddress "E045" "metadata-address" {
        summary: "nginx proxies to a link-local address (169.254.0.0/16, fe80::/10), where clouds serve instance credentials",
        why: "`169.254.169.254` answers with the machine's cloud credentials to whoever asks from the host: a location that proxies there hands them to every client of the site (the SSRF of the Capital One breach).",
        example: spec,
        fix: "proxy to the application's own address, e.g. `127.0.0.1:8000`.",
    }
    CodePath "E046" "code-path" {
        summary: "the application's code made writable or redirected: a volume over `/app` or the Python environment, or a loader variable (`LD_PRELOAD`, `PYTHONPATH`, …) in the environment",
        why: "the image keeps the code root-owned and read-only so that a compromised application cannot change what runs next; a volume over the code, or a variable that makes the interpreter or the loader read another directory, undoes it.",
        example: spec,
        fix: "mount volumes on directories of `writable`, and leave the loader's and the interpreter's search paths as the image sets them.",
    }
    ApplyPath "E047" "apply-path" {
        summary: "pg_hba.conf that locks out pynoc's own way in: the superuser `postgres` on the local socket by `peer`, for the `postgres` and `template1` databases and the spec's",
        why: "the playbook (`runuser -u postgres -- psql`), the image's first start and `postgres-apply.sh` all connect as `postgres` on the socket with no password; if the first line that matches them is not `peer` (or none matches), every one of them is refused and the server keeps none of the spec's roles, grants or settings.",
        example: spec,
        fix: "put `local all postgres method=peer` first in `hba` (a `local` line needs `method=peer` to let the operating-system user in without a password).",
    }
    PgauditImage "E048" "pgaudit-image" {
        summary: "the spec loads pgAudit while the stack's database runs the official `postgres` image, which has no pgAudit",
        why: "the server preloads pgAudit from its first start (the image's initialisation included), so a server without it does not start; and the security SQL refuses to run without it.",
        example: spec,
        fix: "let pynoc build the image: `image=\"NAME:TAG\" base=\"postgres:15-bookworm\"` on the database's service writes container/postgres.Dockerfile, which installs `postgresql-15-pgaudit` from the PGDG repository the official image has; or name an image of your own built that way.",
    }
    HbaNeverMatches "E049" "hba-never-matches" {
        summary: "a pg_hba line for an address no client of the stack's database can have",
        why: "a compose database is never published: only the containers on its service's networks reach it, so a line for any other address never matches. It reads as access that does not exist, and hides that the client it names is refused.",
        example: spec,
        fix: "remove the line, or write a network the database's service is on (its `subnet`, or the project network's name that holds it); a network without `subnet` gets an address from Docker's default pools (172.17.0.0/16 to 172.31.0.0/16, 192.168.0.0/16).",
    }
    Internal "E100" "internal" {
        summary: "an internal error in pynoc, not in the spec",
        why: "pynoc reports its own bugs instead of writing a half-rendered artifact.",
        example: none,
        fix: "report it with the spec; nothing was written.",
    }
    UnusedWaiver "W001" "unused-waiver" {
        summary: "a waiver that matches no finding",
        why: "a waiver left after its finding was fixed would silently excuse the next, unrelated finding of the same rule at that node.",
        example: spec,
        fix: "remove the `allow` node.",
    }
    UnwatchedFile "W002" "unwatched-file" {
        summary: "a file pynoc installs that no audit watch covers",
        why: "the audit rules exist to record who changes the security configuration; a change to an unwatched file (the sshd drop-in, nginx.conf, jail.local, the firewall rules, pg_hba.conf) leaves no trace.",
        example: spec,
        fix: "add `watch \"PATH\" perms=wa key=config` to `audit` (the help names each file), or keep the rule set that watches it.",
        waive: [Audit],
    }
    WideListener "W003" "wide-listener" {
        summary: "the server listens on other addresses while pg_hba.conf admits only local connections",
        why: "a listening socket that admits nobody is attack surface with no use: every client that reaches it gets to the authentication code.",
        example: spec,
        fix: "keep `listen_addresses` at `localhost`, or add the `hostssl` lines the network clients need.",
        waive: [PgHba],
    }
    UncheckedNetwork "W004" "unchecked-network" {
        summary: "an application reaches the database over a compose network without a `subnet`, so pg_hba.conf cannot be checked against it",
        why: "Docker picks such a network's addresses when the stack starts; pynoc cannot tell whether pg_hba.conf admits them, and a change of Docker's address pool silently locks the application out or lets it in through a broader line.",
        example: spec,
        fix: "give the network `subnet=\"172.20.0.0/16\"` and a `hostssl DATABASE ROLE \"172.20.0.0/16\"` line in `hba`.",
        waive: [Compose, PgHba],
    }
    ReleaseVersion "W006" "release-version" {
        summary: "a section's `version` is not the one the host's release ships (nginx)",
        why: "the playbook installs the release's package, and pynoc writes the settings of the version the spec names: an older one gets deprecated syntax (`listen … http2` on nginx 1.26 warns at every reload) and misses what the newer has, a newer one gets directives the installed daemon refuses.",
        example: spec,
        fix: "remove `version` (the release's is used), or waive W006 where the daemon comes from another repository than the release's.",
        waive: [Nginx],
    }
}
