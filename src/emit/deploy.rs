//! `deploy/`: an Ansible playbook (ansible-core builtins only) that installs every host
//! artifact the way manifest.json says, checks each with its consumer's tool before it
//! replaces the live file (`validate:`, or a check that rolls the file back), and enables,
//! starts or reloads the services through handlers. One play per host role, so the same
//! playbook serves many hosts: `deploy/inventory.ini` names the groups.
//!
//! The YAML is built as values and written by serde_norway, never by a text template:
//! every value that comes from the spec is tagged `!unsafe`, so Ansible never evaluates
//! it as a Jinja expression, and reaches a command only as one `argv` word.

use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

use super::{Artifact, Context};
use crate::artifact::Kind;
use crate::ir::Postgres;

/// The host groups of the inventory, one per role a host can play.
pub const GROUPS: [(&str, &str); 4] = [
    ("pynoc_host", "kernel, SSH, fail2ban, audit, firewall and mounts of the host itself"),
    ("pynoc_containers", "runs the container stack (Docker)"),
    ("pynoc_web", "runs nginx"),
    ("pynoc_database", "runs PostgreSQL"),
];

pub fn emit(cx: &Context, arts: &[Artifact]) -> Result<Vec<Artifact>, minijinja::Error> {
    let spec = cx.spec;
    let art = |kind: Kind| arts.iter().find(|a| a.kind == kind);
    let mut plays = Vec::new();
    if let Some(host) = &spec.host {
        plays.push(host_play(host, &art));
        if host.containers.is_some() {
            plays.push(containers_play());
        }
    }
    if let (Some(a), Some(n)) = (art(Kind::Nginx), &spec.nginx) {
        plays.push(web_play(a, n));
    }
    if let (Some(p), Some(sql), Some(hba)) = (&spec.postgres, art(Kind::PostgresSql), art(Kind::PgHba)) {
        plays.push(database_play(p, sql, hba));
    }
    // The variables the security SQL reads its passwords from: the playbook needs the same.
    let passwords = art(Kind::PostgresSql).map(|a| a.env.clone()).unwrap_or_default();
    let playbook = Value::Sequence(plays);
    let yaml = serde_norway::to_string(&playbook)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))?;
    let site = format!(
        "{}\n# Deploys the artifacts beside this directory as manifest.json lists them. Run from the\n\
         # output directory's parent or anywhere: paths are relative to this playbook.\n\
         #   ansible-playbook -i deploy/inventory.ini deploy/site.yml            # apply\n\
         #   ansible-playbook -i deploy/inventory.ini deploy/site.yml --check --diff   # dry run\n{}{yaml}",
        cx.header("#"),
        password_note(&passwords),
    );
    Ok(vec![
        Artifact {
            kind: Kind::Deploy,
            install: Kind::Deploy.install(cx.spec),
            apply: "ansible-playbook -i deploy/inventory.ini deploy/site.yml".into(),
            env: passwords,
            content: site,
        },
        Artifact {
            kind: Kind::Inventory,
            install: Kind::Inventory.install(cx.spec),
            apply: "put each host under the groups of its roles".into(),
            env: vec![],
            content: inventory(cx),
        },
    ])
}

fn password_note(vars: &[String]) -> String {
    if vars.is_empty() {
        return String::new();
    }
    format!(
        "# Passwords come from the controller's environment:\n#   {}\n\
         # They reach psql through its standard input (pipelining on: never a file, an argument\n\
         # or a log line), and are hidden from Ansible's output (no_log).\n",
        vars.join(", ")
    )
}

fn inventory(cx: &Context) -> String {
    let mut s = format!(
        "{}\n# One group per role a host plays; put each host under every role it has, e.g.\n\
         #   web1 ansible_host=203.0.113.10\n\
         # The playbook connects as a user that sshd allows (root logins are off once the host\n\
         # is hardened) and becomes root with sudo.\n\n[all:vars]\n\
         # Module arguments (passwords among them) go over SSH's standard input, never to a file.\n\
         ansible_pipelining=true\n",
        cx.header("#")
    );
    for (group, what) in GROUPS {
        s.push_str(&format!("\n# {what}\n[{group}]\n"));
    }
    s
}

// ---- YAML building blocks --------------------------------------------------------------

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

/// A value from the spec: Ansible reads `!unsafe` strings as data, never as a template.
fn unsafe_str(x: &str) -> Value {
    Value::Tagged(Box::new(TaggedValue { tag: Tag::new("unsafe"), value: Value::String(x.to_string()) }))
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(s(k), v);
    }
    Value::Mapping(m)
}

fn seq(items: Vec<Value>) -> Value {
    Value::Sequence(items)
}

fn task(name: &str, module: &str, args: Value, extra: Vec<(&str, Value)>) -> Value {
    let mut pairs = vec![("name", s(name)), (module, args)];
    pairs.extend(extra);
    map(pairs)
}

fn argv(words: &[Value]) -> Value {
    map(vec![("argv", seq(words.to_vec()))])
}

fn words(ws: &[&str]) -> Vec<Value> {
    ws.iter().map(|w| s(w)).collect()
}

/// The artifact's file beside the playbook.
fn src(a: &Artifact) -> Value {
    s(&format!("{{{{ playbook_dir }}}}/../{}", a.path()))
}

fn owner_group(a: &Artifact) -> (Value, Value) {
    let (o, g) = a.desc().owner.split_once(':').unwrap_or(("root", "root"));
    (s(o), s(g))
}

/// `copy` of an artifact to its install path, with owner, mode and an optional validator.
fn copy(a: &Artifact, validate: Option<&str>, extra: Vec<(&str, Value)>) -> Value {
    let (o, g) = owner_group(a);
    let mut args = vec![
        ("src", src(a)),
        ("dest", s(a.install)),
        ("owner", o),
        ("group", g),
        ("mode", s(&a.desc().mode.to_string())),
    ];
    if let Some(v) = validate {
        args.push(("validate", s(v)));
    }
    args.extend(extra);
    map(args)
}

fn apt(names: &[&str]) -> Value {
    task("packages", "ansible.builtin.apt", map(vec![("name", seq(words(names))), ("state", s("present"))]), vec![])
}

fn service(name: &str, unit: &str, state: Option<&str>) -> Value {
    let mut args = vec![("name", s(unit)), ("enabled", Value::Bool(true))];
    if let Some(st) = state {
        args.push(("state", s(st)));
    }
    task(name, "ansible.builtin.systemd_service", map(args), vec![])
}

fn handler(name: &str, listen: &str, module: &str, args: Value) -> Value {
    task(name, module, args, vec![("listen", s(listen))])
}

/// A handler that reloads, restarts or starts a systemd unit.
fn unit_handler(name: &str, listen: &str, unit: &str, state: &str) -> Value {
    handler(name, listen, "ansible.builtin.systemd_service", map(vec![("name", s(unit)), ("state", s(state))]))
}

fn play(name: &str, group: &str, tasks: Vec<Value>, handlers: Vec<Value>) -> Value {
    let mut pairs = vec![
        ("name", s(name)),
        ("hosts", s(group)),
        ("become", Value::Bool(true)),
        ("gather_facts", Value::Bool(false)),
        ("tasks", seq(tasks)),
    ];
    if !handlers.is_empty() {
        pairs.push(("handlers", seq(handlers)));
    }
    map(pairs)
}

/// A file no tool can check on its own: install it with a backup, run `check` (which also
/// applies it), and on failure put the previous file back, apply that, and fail.
fn guarded(what: &str, a: &Artifact, register: &str, check: Vec<Value>, undo: Vec<Value>) -> Value {
    let reg = format!("pynoc_{register}");
    let changed = s(&format!("{reg} is changed"));
    let mut rescue = vec![
        task(
            &format!("restore the previous {what}"),
            "ansible.builtin.copy",
            map(vec![
                ("src", s(&format!("{{{{ {reg}.backup_file }}}}"))),
                ("dest", s(a.install)),
                ("remote_src", Value::Bool(true)),
            ]),
            vec![("when", s(&format!("{reg}.backup_file is defined")))],
        ),
        task(
            &format!("remove the new {what} (there was none before)"),
            "ansible.builtin.file",
            map(vec![("path", s(a.install)), ("state", s("absent"))]),
            vec![("when", s(&format!("{reg}.backup_file is not defined")))],
        ),
    ];
    if !undo.is_empty() {
        rescue.push(task(&format!("apply the previous {what}"), "ansible.builtin.command", argv(&undo), vec![]));
    }
    rescue.push(task(
        &format!("refuse the new {what}"),
        "ansible.builtin.fail",
        map(vec![("msg", s(&format!("the new {what} failed its check; the previous file is back in place")))]),
        vec![],
    ));
    map(vec![
        ("name", s(what)),
        (
            "block",
            seq(vec![
                task(
                    &format!("install {what}"),
                    "ansible.builtin.copy",
                    copy(a, None, vec![("backup", Value::Bool(true))]),
                    vec![("register", s(&reg))],
                ),
                task(
                    &format!("check and apply {what}"),
                    "ansible.builtin.command",
                    argv(&check),
                    vec![("when", changed)],
                ),
            ]),
        ),
        ("rescue", seq(rescue)),
    ])
}

// ---- plays -----------------------------------------------------------------------------

/// Loads the audit rules, unless the running ones are locked (`-e 2`).
pub(crate) const AUDIT_LOAD: &str = "if auditctl -s | grep -qx 'enabled 2'; then echo 'the running audit rules are locked (-e 2): the new rules load at the next boot' >&2; else augenrules --load; fi";

/// Keeps the group-exchange moduli of 3072 bits or more (field 5 is the size minus one),
/// refuses to leave none, and reports `changed` only when it rewrote the file.
pub(crate) const MODULI: &str = "set -eu
f=/etc/ssh/moduli
awk '/^#/ || $5 >= 3071' \"$f\" > \"$f.pynoc\"
if ! grep -qv '^#' \"$f.pynoc\"; then rm -f \"$f.pynoc\"; echo \"no modulus of 3072 bits or more in $f\" >&2; exit 1; fi
if cmp -s \"$f\" \"$f.pynoc\"; then rm -f \"$f.pynoc\"; echo unchanged; else chmod 0644 \"$f.pynoc\"; mv \"$f.pynoc\" \"$f\"; echo changed; fi
";

fn host_play<'a>(host: &crate::ir::Host, art: &dyn Fn(Kind) -> Option<&'a Artifact>) -> Value {
    let containers = host.containers.is_some();
    // The packages whose files this play installs; python3-systemd lets fail2ban read the journal.
    let packages: Vec<&str> = [
        (Kind::Sshd, &["openssh-server"][..]),
        (Kind::Fail2ban, &["fail2ban", "python3-systemd"][..]),
        (Kind::Audit, &["auditd"][..]),
        (Kind::Nftables, &["nftables"][..]),
    ]
    .iter()
    .filter(|(kind, _)| art(*kind).is_some())
    .flat_map(|(_, p)| p.iter().copied())
    .collect();
    let mut tasks = if packages.is_empty() { vec![] } else { vec![apt(&packages)] };
    let mut handlers = Vec::new();
    if let Some(a) = art(Kind::Sysctl) {
        // Every key without a leading `-` must exist in this kernel, or `sysctl --system` fails.
        tasks.push(task(
            "kernel parameters (sysctl drop-in)",
            "ansible.builtin.copy",
            copy(
                a,
                Some(
                    "sh -c 'grep -Ev \"^[[:space:]]*(#|$|-)\" \"$1\" | cut -d= -f1 | tr -d \" \" | tr . / | \
                     while read -r k; do test -e \"/proc/sys/$k\" || { echo \"no such key: $k\" >&2; exit 1; }; done' sysctl %s",
                ),
                vec![],
            ),
            vec![("notify", s("apply sysctl"))],
        ));
        handlers.push(handler(
            "apply sysctl",
            "apply sysctl",
            "ansible.builtin.command",
            argv(&words(&["sysctl", "--system"])),
        ));
    }
    if let Some(a) = art(Kind::Sshd) {
        if !host.accounts.is_empty() {
            // `AllowUsers` names only declared accounts: each must exist before sshd is
            // restricted to them (getent exits 2 when one is missing).
            let mut argv_words = vec![s("getent"), s("passwd"), s("--")];
            argv_words.extend(host.accounts.iter().map(|a| unsafe_str(&a.name)));
            tasks.push(task(
                "the login accounts exist",
                "ansible.builtin.command",
                argv(&argv_words),
                vec![("changed_when", Value::Bool(false)), ("check_mode", Value::Bool(false))],
            ));
        }
        tasks.push(task(
            "sshd drop-in",
            "ansible.builtin.copy",
            copy(a, Some("/usr/sbin/sshd -t -f %s"), vec![]),
            vec![("notify", s("reload ssh"))],
        ));
        if host.ssh.as_ref().is_some_and(|x| x.steps.iter().any(|s| s == "moduli-3072")) {
            tasks.push(task(
                "Diffie-Hellman moduli under 3072 bits removed from /etc/ssh/moduli",
                "ansible.builtin.shell",
                map(vec![("cmd", s(MODULI)), ("executable", s("/bin/sh"))]),
                vec![
                    ("register", s("pynoc_moduli")),
                    ("changed_when", s("pynoc_moduli.stdout == 'changed'")),
                    ("notify", s("reload ssh")),
                ],
            ));
        }
        tasks.push(service("ssh enabled and running", "ssh", Some("started")));
        handlers.push(handler(
            "sshd accepts the whole configuration",
            "reload ssh",
            "ansible.builtin.command",
            argv(&words(&["/usr/sbin/sshd", "-t"])),
        ));
        handlers.push(unit_handler("reload ssh", "reload ssh", "ssh", "reloaded"));
    }
    if let Some(a) = art(Kind::Nftables) {
        tasks.push(task(
            "firewall (nftables; ufw.sh and iptables rules are the alternatives, not deployed)",
            "ansible.builtin.copy",
            copy(a, Some("/usr/sbin/nft -c -f %s"), vec![]),
            vec![("notify", s("reload nftables"))],
        ));
        // Enabled, nftables.service loads the file at boot. Never restarted: its stop
        // flushes every table, Docker's and fail2ban's included.
        tasks.push(service("nftables loads the firewall at boot", "nftables", None));
        handlers.push(unit_handler("reload nftables", "reload nftables", "nftables", "reloaded"));
    }
    if let Some(a) = art(Kind::Fail2ban) {
        tasks.push(task(
            "fail2ban jail.local",
            "ansible.builtin.copy",
            copy(
                a,
                Some(
                    "sh -c 'd=$(mktemp -d) && cp -a /etc/fail2ban/. \"$d\" && cp \"$1\" \"$d/jail.local\" && \
                     fail2ban-client -c \"$d\" -t; rc=$?; rm -rf \"$d\"; exit $rc' fail2ban %s",
                ),
                vec![],
            ),
            vec![("notify", s("restart fail2ban"))],
        ));
        // Stock Debian 12 fail2ban is failed until jail.local exists: started now, with it.
        tasks.push(service("fail2ban enabled and running", "fail2ban", Some("started")));
        handlers.push(unit_handler("restart fail2ban", "restart fail2ban", "fail2ban", "restarted"));
    }
    if let Some(a) = art(Kind::Audit) {
        // Rules locked by `-e 2` cannot change until reboot: then the new file waits for the
        // next boot (augenrules loads it there) instead of failing the run.
        let load = || vec![s("sh"), s("-c"), s(AUDIT_LOAD)];
        tasks.push(guarded("audit rules", a, "audit", load(), load()));
        tasks.push(service("auditd enabled and running", "auditd", Some("started")));
    }
    if let Some(a) = art(Kind::Fstab) {
        tasks.push(task(
            "tmpfs mounts in /etc/fstab",
            "ansible.builtin.blockinfile",
            map(vec![
                ("path", s("/etc/fstab")),
                ("marker", s("# {mark} pynoc tmpfs mounts")),
                // A lookup's result is data to Ansible: never evaluated as a template.
                ("block", s(&format!("{{{{ lookup('ansible.builtin.file', playbook_dir ~ '/../{}') }}}}", a.path()))),
                ("validate", s("findmnt --verify --tab-file %s")),
            ]),
            vec![("notify", s("mount tmpfs"))],
        ));
        let mut h = handler(
            "mount and remount every tmpfs (mount -a skips what is already mounted)",
            "mount tmpfs",
            "ansible.builtin.shell",
            unsafe_str(&a.apply),
        );
        // The module runs from a temporary directory: not in /tmp, which this mounts over.
        if let Value::Mapping(m) = &mut h {
            m.insert(s("environment"), map(vec![("TMPDIR", s("/run"))]));
        }
        handlers.push(h);
    }
    let name = if containers {
        "host hardening (containers run here: forwarding on, container traffic routed)"
    } else {
        "host hardening"
    };
    play(name, "pynoc_host", tasks, handlers)
}

fn containers_play() -> Value {
    let tasks = vec![apt(&["docker.io"]), service("Docker enabled and running", "docker", Some("started"))];
    play("container engine", "pynoc_containers", tasks, vec![])
}

fn web_play(a: &Artifact, n: &crate::ir::Nginx) -> Value {
    let mut tasks = vec![apt(&["nginx"])];
    let mut files: Vec<&str> = Vec::new();
    for site in &n.sites {
        files.push(&site.tls.certificate);
        files.push(&site.tls.key);
        if let Some(d) = &site.tls.dhparam {
            files.push(d);
        }
    }
    files.sort_unstable();
    files.dedup();
    if !files.is_empty() {
        tasks.push(exists("the TLS files", &files));
    }
    let mut webroots: Vec<&str> = n.sites.iter().filter_map(|s| s.acme_webroot.as_deref()).collect();
    webroots.sort_unstable();
    webroots.dedup();
    for w in webroots {
        tasks.push(task(
            "ACME webroot",
            "ansible.builtin.file",
            // `follow: false`: a link planted at the webroot fails the task instead of
            // having its target chmodded (the path itself is where stdlib's table allows).
            map(vec![
                ("path", unsafe_str(w)),
                ("state", s("directory")),
                ("mode", s("0755")),
                ("follow", Value::Bool(false)),
            ]),
            vec![],
        ));
    }
    tasks.push(task(
        "nginx.conf",
        "ansible.builtin.copy",
        copy(a, Some("/usr/sbin/nginx -t -q -c %s"), vec![]),
        vec![("notify", s("reload nginx"))],
    ));
    tasks.push(service("nginx enabled and running", "nginx", Some("started")));
    let handlers = vec![unit_handler("reload nginx", "reload nginx", "nginx", "reloaded")];
    play("nginx", "pynoc_web", tasks, handlers)
}

/// Fails, naming the files, when a file the artifacts need is missing on the host. One
/// task for all of them: every task costs a module run on the host.
fn exists(what: &str, paths: &[&str]) -> Value {
    let script = "missing=; for f in \"$@\"; do [ -f \"$f\" ] || missing=\"$missing $f\"; done; \
                  [ -z \"$missing\" ] || { echo \"missing:$missing\" >&2; exit 1; }";
    let mut words = vec![s("sh"), s("-c"), s(script), s("exists")];
    words.extend(paths.iter().map(|p| unsafe_str(p)));
    task(
        &format!("{what} exist (provided by the operator, not by pynoc)"),
        "ansible.builtin.command",
        argv(&words),
        vec![("changed_when", Value::Bool(false)), ("check_mode", Value::Bool(false))],
    )
}

fn psql(db: &Value, extra: &[Value]) -> Vec<Value> {
    let mut w =
        words(&["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"]);
    w.push(db.clone());
    w.extend(extra.iter().cloned());
    w
}

/// psql reading one query from its standard input (no shell, no argument parsing).
fn query(db: &Value, sql: &str) -> Value {
    map(vec![("argv", seq(psql(db, &[]))), ("stdin", unsafe_str(sql))])
}

fn sql_literal(x: &str) -> String {
    format!("'{}'", x.replace('\'', "''"))
}

/// pgAudit's settings and event triggers exist only once the library is loaded, so it is
/// loaded (and the server restarted) before the security SQL runs, which then sets them.
fn pgaudit_loaded(p: &Postgres, cluster: &str, tasks: &mut Vec<Value>) {
    const NOT_LOADED: &str = "'pgaudit' not in pynoc_preload.stdout.split(',')";
    let preload = p.settings.iter().find(|x| x.name == "shared_preload_libraries").map_or("pgaudit", |x| &x.value);
    tasks.push(task(
        "the libraries the server has loaded",
        "ansible.builtin.command",
        query(&s("postgres"), "SELECT replace(current_setting('shared_preload_libraries'), ' ', '');"),
        vec![
            ("register", s("pynoc_preload")),
            ("changed_when", Value::Bool(false)),
            ("check_mode", Value::Bool(false)),
        ],
    ));
    tasks.push(task(
        "load pgAudit: shared_preload_libraries, then a restart",
        "ansible.builtin.command",
        map(vec![(
            "argv",
            seq(psql(
                &s("postgres"),
                &[
                    s("-c"),
                    unsafe_str(&format!("ALTER SYSTEM SET shared_preload_libraries = {}", sql_literal(preload))),
                ],
            )),
        )]),
        vec![("when", s(NOT_LOADED))],
    ));
    tasks.push(task(
        "restart so that pgAudit is loaded",
        "ansible.builtin.systemd_service",
        map(vec![("name", s(cluster)), ("state", s("restarted"))]),
        vec![("when", s(NOT_LOADED))],
    ));
}

fn database_play(p: &Postgres, sql: &Artifact, hba: &Artifact) -> Value {
    let db = unsafe_str(&p.database);
    let cluster = format!("postgresql@{}-main", p.version);
    let envs: Vec<&str> = sql.env.iter().map(String::as_str).collect();
    let mut tasks = Vec::new();
    if !envs.is_empty() {
        // Runs on the controller: no module on the host.
        tasks.push(task(
            "the controller's environment has every password",
            "ansible.builtin.assert",
            map(vec![
                (
                    "that",
                    seq(envs
                        .iter()
                        .map(|e| s(&format!("lookup('ansible.builtin.env', '{e}') | length > 0")))
                        .collect()),
                ),
                (
                    "fail_msg",
                    s(&format!("export {} (the roles' passwords) before running the playbook", envs.join(", "))),
                ),
                ("quiet", Value::Bool(true)),
            ]),
            vec![("no_log", Value::Bool(true))],
        ));
    }
    let server = format!("postgresql-{}", p.version);
    let mut packages = vec![server.as_str()];
    if let Some(a) = &p.pgaudit {
        packages.push(&a.package);
    }
    tasks.push(apt(&packages));
    if let Some(ssl) = &p.ssl {
        tasks.push(exists("the server's certificate and key", &[&ssl.cert, &ssl.key]));
    }
    tasks.push(service("PostgreSQL enabled and running", &cluster, Some("started")));
    tasks.push(task(
        "the database exists",
        "ansible.builtin.command",
        query(
            &s("postgres"),
            &format!("SELECT 'exists' FROM pg_database WHERE datname = {};", sql_literal(&p.database)),
        ),
        vec![("register", s("pynoc_db")), ("changed_when", Value::Bool(false)), ("check_mode", Value::Bool(false))],
    ));
    tasks.push(task(
        "create the database",
        "ansible.builtin.command",
        argv(&[s("runuser"), s("-u"), s("postgres"), s("--"), s("createdb"), s("--"), db.clone()]),
        vec![("when", s("pynoc_db.stdout != 'exists'"))],
    ));
    if !p.tables.is_empty() {
        let names: Vec<String> = p.tables.iter().map(|t| sql_literal(&t.name)).collect();
        tasks.push(task(
            "the application's tables exist (its migrations create them)",
            "ansible.builtin.command",
            query(
                &db,
                &format!(
                    "SELECT string_agg(t, ', ') FROM unnest(ARRAY[{}]) AS t \
                     WHERE to_regclass(format('public.%I', t)) IS NULL;",
                    names.join(", ")
                ),
            ),
            vec![
                ("register", s("pynoc_missing")),
                ("changed_when", Value::Bool(false)),
                ("check_mode", Value::Bool(false)),
                ("failed_when", s("pynoc_missing.rc != 0 or pynoc_missing.stdout != ''")),
            ],
        ));
    }
    let check_hba = psql(
        &s("postgres"),
        &[
            s("-c"),
            s("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE error IS NOT NULL) THEN \
               RAISE EXCEPTION 'pg_hba.conf has errors'; END IF; END $$"),
            s("-c"),
            s("SELECT pg_reload_conf()"),
        ],
    );
    tasks.push(guarded(
        "pg_hba.conf",
        hba,
        "hba",
        check_hba,
        psql(&s("postgres"), &[s("-c"), s("SELECT pg_reload_conf()")]),
    ));
    let sql_dir = sql.install.rsplit_once('/').map_or("/", |(d, _)| d);
    tasks.push(task(
        "a directory for the security SQL",
        "ansible.builtin.file",
        map(vec![
            ("path", s(sql_dir)),
            ("state", s("directory")),
            ("owner", s("postgres")),
            ("group", s("postgres")),
            ("mode", s("0750")),
        ]),
        vec![],
    ));
    if p.pgaudit.is_some() {
        pgaudit_loaded(p, &cluster, &mut tasks);
    }
    tasks.push(task("security SQL", "ansible.builtin.copy", copy(sql, None, vec![]), vec![]));
    // Applied once per content: the stamp names the file's sha256, and is written only
    // after psql succeeded, so a failed run is tried again on the next one.
    let digest = crate::sha256_hex(sql.content.as_bytes());
    let stamp = format!("/var/lib/pynoc/postgres-sql.{digest}.applied");
    let mut script = String::from("set -eu\n");
    for (i, e) in envs.iter().enumerate() {
        script.push_str(&format!("IFS= read -r pw{i} || true\nexport {e}=\"$pw{i}\"\n"));
    }
    script.push_str(&format!(
        "cd /\nrunuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d \"$1\" -f {}\ninstall -D -m 0644 /dev/null \"$2\"\n",
        sql.install
    ));
    let stdin: Vec<String> = envs.iter().map(|e| format!("{{{{ lookup('ansible.builtin.env', '{e}') }}}}")).collect();
    let mut args = vec![
        ("argv", seq(vec![s("sh"), s("-c"), s(&script), s("pynoc-sql"), db.clone(), s(&stamp)])),
        ("creates", s(&stamp)),
    ];
    if !envs.is_empty() {
        args.push(("stdin", s(&stdin.join("\n"))));
    }
    let mut extra = vec![("no_log", Value::Bool(true))];
    if p.settings.iter().any(|x| x.apply == "restart") {
        extra.push(("notify", s("restart postgresql")));
    }
    tasks.push(task(
        "apply the security SQL (roles, grants, row-level security, settings)",
        "ansible.builtin.command",
        map(args),
        extra,
    ));
    let handlers = vec![unit_handler(
        "restart postgresql (settings that only a restart applies)",
        "restart postgresql",
        &cluster,
        "restarted",
    )];
    play("PostgreSQL", "pynoc_database", tasks, handlers)
}
