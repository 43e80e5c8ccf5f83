//! `deploy/`: an Ansible playbook (ansible-core builtins only) that installs every host
//! artifact the way manifest.json says, checks each with its consumer's tool before it
//! replaces the live file (`validate:`, or a check that rolls the file back), and enables,
//! starts or reloads the services through handlers. One play per host role, so the same
//! playbook serves many hosts: `deploy/inventory.ini` names the groups.
//!
//! The YAML is built as values and written by serde_norway, never by a text template:
//! every value that comes from the spec is tagged `!unsafe`, so Ansible never evaluates
//! it as a Jinja expression, and reaches a command only as one `argv` word.

use super::ansible::{
    Apt, Assert, Block, Changed, Command, Copy, Fail, File, FileState, Group, Handler, HandlerTask, Module, Play,
    Registered, Step, Systemd, Task, UnitState, Word, plain, words,
};
use super::{Artifact, Context};
use crate::artifact::{Kind, unit};
use crate::ir::{Daemon, Postgres};

/// The shell scripts the playbook runs on a host: files of their own, checked by shellcheck.
const EXISTS: &str = include_str!("../../stdlib/deploy/exists.sh");
const COMPOSE_V2: &str = include_str!("../../stdlib/deploy/compose-v2.sh");
const IMAGES: &str = include_str!("../../stdlib/deploy/images.sh");
const COMPOSE_WAIT: &str = include_str!("../../stdlib/deploy/compose-wait.sh");
const PERMISSIONS: &str = include_str!("../../stdlib/deploy/permissions.sh");
const ABSENT: &str = include_str!("../../stdlib/deploy/absent.sh");
const HOMES: &str = include_str!("../../stdlib/deploy/homes.sh");
const ACCOUNTS_CHECK: &str = include_str!("../../stdlib/deploy/accounts-check.sh");
const SCHEDULERS: &str = include_str!("../../stdlib/deploy/schedulers.sh");
const MAIL_LOCAL: &str = include_str!("../../stdlib/deploy/mail-local.sh");

/// A one-line script as the single-quoted program of `sh -c`.
pub(crate) fn one_line(script: &str) -> &str {
    script.trim_end_matches('\n')
}

pub(crate) fn emit(cx: &Context, arts: &[Artifact]) -> Result<Vec<Artifact>, minijinja::Error> {
    let spec = cx.spec;
    let art = |kind: Kind| arts.iter().find(|a| a.kind == kind);
    let mut plays = Vec::new();
    let stack = spec.container.as_ref().and_then(|c| c.compose.as_ref());
    if let Some(host) = &spec.host {
        let mut play = host_play(host, &art);
        if host.fail2ban.is_some() && art(Kind::Fail2banUnit).is_none() {
            play.tasks.extend(sandbox(spec, Daemon::Fail2ban, None));
        }
        plays.push(play);
    }
    // The engine where the host runs containers, and the stack brought up where there is one.
    if spec.host.as_ref().is_some_and(|h| h.containers.is_some()) || stack.is_some() {
        plays.push(containers_play(cx, stack.map(|s| (s, arts))));
    }
    if let (Some(a), Some(n)) = (art(Kind::Nginx), &spec.nginx) {
        let mut play = web_play(a, n, art(Kind::NginxUnit).is_some());
        play.tasks.extend(sandbox(spec, Daemon::Nginx, art(Kind::NginxUnit)));
        plays.push(play);
    }
    // A host PostgreSQL only where the database runs on the host: a compose database is
    // the stack's (prepare.sh writes its files, postgres-apply.sh applies the SQL).
    if let (Some(p), Some(sql), Some(hba)) = (&spec.postgres, art(Kind::PostgresSql), art(Kind::PgHba))
        && p.on_host()
    {
        plays.push(database_play(p, sql, hba, sandbox(spec, Daemon::Postgresql, art(Kind::PostgresUnit))));
    }
    // The variables the security SQL reads its passwords from: the playbook needs the same.
    let passwords = art(Kind::PostgresSql).map(|a| a.env.clone()).unwrap_or_default();
    let yaml = super::ansible::to_yaml(&plays)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))?;
    let site = format!(
        "{}\n# Deploys the artifacts beside this directory as manifest.json lists them. Run from the\n\
         # output directory's parent or anywhere: paths are relative to this playbook.\n\
         #   ansible-playbook -i deploy/inventory.ini deploy/site.yml            # apply\n\
         #   ansible-playbook -i deploy/inventory.ini deploy/site.yml --check --diff   # dry run\n{}{}{yaml}",
        cx.header(Kind::Deploy),
        password_note(&passwords),
        unsandboxed_note(spec),
    );
    Ok(vec![
        Artifact {
            kind: Kind::Deploy,
            instance: None,
            install: Kind::Deploy.install(cx.spec),
            apply: "ansible-playbook -i deploy/inventory.ini deploy/site.yml".into(),
            env: passwords,
            content: site,
        },
        Artifact {
            kind: Kind::Inventory,
            instance: None,
            install: Kind::Inventory.install(cx.spec),
            apply: "put each host under the groups of its roles".into(),
            env: vec![],
            content: inventory(cx),
        },
    ])
}

/// A service's sandbox drop-in installed, or removed where the spec leaves it out.
fn sandbox(spec: &crate::ir::Spec, service: Daemon, a: Option<&Artifact>) -> Vec<Task> {
    let instance = unit::instance(spec, service);
    match a {
        Some(a) => unit::install(a, &instance),
        None => unit::removed(unit::kind(service), spec, &instance),
    }
}

/// The services the spec leaves without their sandbox, with its reasons.
fn unsandboxed_note(spec: &crate::ir::Spec) -> String {
    let Some(host) = &spec.host else { return String::new() };
    let mut s = String::new();
    for u in &host.unsandboxed {
        if s.is_empty() {
            s.push_str("# Left without their systemd sandbox by the spec (the drop-in is removed):\n");
        }
        s.push_str(&format!("#   {}: {}\n", u.service.name(), u.reason));
    }
    s
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
        cx.header(Kind::Inventory)
    );
    for g in Group::ALL {
        s.push_str(&format!("\n# {}\n[{}]\n", g.what(), g.name()));
    }
    s
}

// ---- building blocks -------------------------------------------------------------------

/// A value from the spec: Ansible reads `!unsafe` strings as data, never as a template.
pub(crate) fn unsafe_str(x: &str) -> Word {
    Word::Unsafe(x.to_string())
}

/// The artifact's file beside the playbook.
fn src(a: &Artifact) -> String {
    format!("{{{{ playbook_dir }}}}/../{}", a.path())
}

/// `copy` of an artifact to its install path, with owner, mode and an optional validator.
pub(crate) fn copy(a: &Artifact, validate: Option<String>) -> Copy {
    let (o, g) = a.desc().owner.split_once(':').unwrap_or(("root", "root"));
    Copy {
        src: src(a),
        dest: a.install.into(),
        owner: Some(o.into()),
        group: Some(g.into()),
        mode: Some(a.desc().mode.to_string()),
        validate,
        ..Copy::default()
    }
}

fn apt(names: &[&str]) -> Task {
    let names = names.iter().map(|n| n.to_string()).collect();
    Step::new("packages", Module::Apt(Apt { name: names, state: "present" })).task()
}

pub(crate) fn service(name: &str, unit: &str, state: Option<UnitState>) -> Task {
    Step::new(name, Module::Systemd(Systemd { name: unit.into(), enabled: Some(true), state, masked: None })).task()
}

/// A directory of root's that others may read (a drop-in directory), not followed if a link.
pub(crate) fn root_dir(name: &str, path: &str) -> Task {
    let dir = File {
        path: plain(path),
        state: FileState::Directory,
        owner: Some("root"),
        group: Some("root"),
        mode: Some("0755"),
        follow: Some(false),
    };
    Step::new(name, Module::File(dir)).task()
}

/// A file no tool can check on its own: install it with a backup, run `check` (which also
/// applies it), and on failure put the previous file back, apply that, and fail.
pub(crate) fn guarded(what: &str, a: &Artifact, reg: Registered, check: Vec<Word>, undo: Vec<Word>) -> Task {
    let mut rescue = vec![
        Step::new(
            &format!("restore the previous {what}"),
            Module::Copy(Copy {
                src: format!("{{{{ {}.backup_file }}}}", reg.var()),
                dest: a.install.into(),
                remote_src: Some(true),
                ..Copy::default()
            }),
        )
        .when(reg.cond("{var}.backup_file is defined"))
        .task(),
        Step::new(
            &format!("remove the new {what} (there was none before)"),
            Module::File(File {
                path: plain(a.install),
                state: FileState::Absent,
                owner: None,
                group: None,
                mode: None,
                follow: None,
            }),
        )
        .when(reg.cond("{var}.backup_file is not defined"))
        .task(),
    ];
    if !undo.is_empty() {
        rescue.push(Step::new(&format!("apply the previous {what}"), Command::argv(undo)).task());
    }
    rescue.push(
        Step::new(
            &format!("refuse the new {what}"),
            Module::Fail(Fail { msg: format!("the new {what} failed its check; the previous file is back in place") }),
        )
        .task(),
    );
    let install = Copy { backup: Some(true), ..copy(a, None) };
    Task::Block(Block {
        name: what.into(),
        block: vec![
            Step::new(&format!("install {what}"), Module::Copy(install)).register(reg).task(),
            Step::new(&format!("check and apply {what}"), Command::argv(check))
                .when(reg.cond("{var} is changed"))
                .task(),
        ],
        rescue,
    })
}

// ---- plays -----------------------------------------------------------------------------

fn host_play<'a>(host: &crate::ir::Host, art: &dyn Fn(Kind) -> Option<&'a Artifact>) -> Play {
    let containers = host.containers.is_some();
    // The packages whose files this play installs, in the registry's order.
    let packages: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| k.play() == Some(Group::Host) && art(*k).is_some())
        .flat_map(|k| k.packages())
        .copied()
        .collect();
    let mut p = Steps { tasks: if packages.is_empty() { vec![] } else { vec![apt(&packages)] }, handlers: Vec::new() };
    p.tasks.push(critical_files());
    p.tasks.push(accounts_check());
    p.tasks.push(schedulers());
    if let Some(s) = &host.services {
        p.tasks.push(absent_services(s));
        let argv = vec![plain("sh"), plain("-c"), unsafe_str(MAIL_LOCAL), plain("pynoc-mail-local")];
        p.tasks.push(
            Step::new("a mail transfer agent listens on loopback alone (CIS Debian 12 2.1.21)", Command::argv(argv))
                .read_only()
                .task(),
        );
    }
    if !host.accounts.is_empty() {
        p.tasks.push(homes(&host.accounts));
    }
    for kind in crate::artifact::HOST_PLAY {
        if let (Some(a), Some(steps)) = (art(kind), kind.behaviour().steps) {
            steps(&mut p, a, host);
        }
    }
    let name = if containers {
        "host hardening (containers run here: forwarding on, container traffic routed)"
    } else {
        "host hardening"
    };
    Play::new(name, Group::Host, p.tasks, p.handlers)
}

/// The catalog's servers and clients the spec does not keep (stdlib/services/absent.toml):
/// units masked, installed packages purged, unless apt would take other packages with them
/// (stdlib/deploy/absent.sh fails then, naming them).
fn absent_services(s: &crate::ir::Services) -> Task {
    let mut argv = vec![plain("sh"), plain("-c"), unsafe_str(ABSENT), plain("pynoc-absent"), plain("--mask")];
    argv.extend(s.absent.iter().flat_map(|x| &x.units).map(|u| plain(u)));
    argv.push(plain("--purge"));
    argv.extend(s.absent.iter().flat_map(|x| &x.packages).map(|p| plain(p)));
    let names: Vec<&str> = s.absent.iter().map(|x| x.name.as_str()).collect();
    let mut step =
        Step::new(&format!("servers and clear-text clients not in use: {}", names.join(", ")), Command::argv(argv))
            .register(Registered::Absent);
    step.changed_when = Some(Changed::When(Registered::Absent.cond("{var}.stdout == 'changed'")));
    step.task()
}

/// The spec's accounts' home directories at most 0750 (stdlib/deploy/homes.sh).
fn homes(accounts: &[crate::ir::LoginUser]) -> Task {
    let mut argv = vec![plain("sh"), plain("-c"), unsafe_str(HOMES), plain("pynoc-homes")];
    argv.extend(accounts.iter().map(|u| Word::Unsafe(u.name.clone())));
    let mut step =
        Step::new("the login accounts' home directories: no group write, nothing for others", Command::argv(argv))
            .register(Registered::Homes);
    step.changed_when = Some(Changed::When(Registered::Homes.cond("{var}.stdout == 'changed'")));
    step.task()
}

/// The accounts and groups as CIS asks (stdlib/deploy/accounts-check.sh): read only; the play
/// stops on a host that breaks one, naming each finding.
fn accounts_check() -> Task {
    let argv = vec![plain("sh"), plain("-c"), unsafe_str(ACCOUNTS_CHECK), plain("pynoc-accounts-check"), plain("/")];
    let items: Vec<&str> =
        crate::stdlib::accounts_claims().satisfies.iter().filter_map(|i| i.strip_prefix("cis-debian12:")).collect();
    Step::new(
        &format!("accounts and groups: one root, shadowed, no duplicates (CIS Debian 12 {})", items.join(" ")),
        Command::argv(argv),
    )
    .read_only()
    .task()
}

/// cron and at for root only, where installed (stdlib/deploy/schedulers.sh).
fn schedulers() -> Task {
    let argv = vec![plain("sh"), plain("-c"), unsafe_str(SCHEDULERS), plain("pynoc-schedulers"), plain("/")];
    let mut step = Step::new("cron and at for root only, where installed (cron.allow, at.allow)", Command::argv(argv))
        .register(Registered::Schedulers);
    step.changed_when = Some(Changed::When(Registered::Schedulers.cond("{var}.stdout == 'changed'")));
    step.task()
}

/// The owners and modes of the host's critical files (stdlib/permissions/files.toml): a
/// mode only loses bits, a missing file or a link is left alone.
fn critical_files() -> Task {
    permissions("critical files'", &crate::stdlib::critical_files().file, Registered::Permissions)
}

/// Files' owners and modes by stdlib/deploy/permissions.sh, the CIS items they meet named.
pub(crate) fn permissions(what: &str, files: &[crate::stdlib::CriticalFile], reg: Registered) -> Task {
    let mut argv = vec![plain("sh"), plain("-c"), unsafe_str(PERMISSIONS), plain("pynoc-permissions")];
    for f in files {
        argv.extend([plain(&f.path), plain(&f.owner), plain(&f.group), plain(&f.mode.to_string())]);
    }
    let mut items: Vec<&str> =
        files.iter().flat_map(|f| &f.satisfies).filter_map(|i| i.strip_prefix("cis-debian12:")).collect();
    items.dedup();
    let mut step =
        Step::new(&format!("{what} owners and modes (CIS Debian 12 {})", items.join(" ")), Command::argv(argv))
            .register(reg);
    step.changed_when = Some(Changed::When(reg.cond("{var}.stdout == 'changed'")));
    step.task()
}

/// A play's tasks and handlers, as each artifact adds its own.
pub(crate) struct Steps {
    pub(crate) tasks: Vec<Task>,
    pub(crate) handlers: Vec<HandlerTask>,
}

/// The nftables firewall, loaded at boot, reloaded (never restarted).
pub(crate) fn nftables(p: &mut Steps, a: &Artifact, _host: &crate::ir::Host) {
    // One firewall utility (CIS 4.1.1, 4.3.2): an installed ufw is turned off (its rules
    // flushed, ENABLED=no), and its unit and iptables-persistent's masked, so that nothing
    // else loads rules at boot.
    let ufw = "c=; \
               if command -v ufw >/dev/null && ufw status | grep -q '^Status: active'; then \
               ufw disable >/dev/null && c=1 || exit 1; fi; \
               for u in ufw netfilter-persistent; do \
               [ -e /lib/systemd/system/$u.service ] || continue; \
               [ \"$(systemctl is-enabled $u.service 2>/dev/null)\" = masked ] && continue; \
               systemctl mask --now $u.service >/dev/null 2>&1 && c=1 || exit 1; done; \
               [ -z \"$c\" ] || echo changed";
    let mut step = Step::new("ufw off: nftables is the one firewall utility", Command::argv(words(&["sh", "-c", ufw])))
        .register(Registered::Ufw);
    step.changed_when = Some(Changed::When(Registered::Ufw.cond("{var}.stdout == 'changed'")));
    p.tasks.push(step.task());
    p.tasks.push(
        Step::new(
            "firewall (nftables; ufw.sh and iptables rules are the alternatives, not deployed)",
            Module::Copy(copy(a, Some("/usr/sbin/nft -c -f %s".into()))),
        )
        .notify(Handler::ReloadNftables)
        .task(),
    );
    // Enabled, nftables.service loads the file at boot. Never restarted: its stop
    // flushes every table, Docker's and fail2ban's included.
    p.tasks.push(service("nftables loads the firewall at boot", "nftables", None));
    p.handlers.push(HandlerTask::unit(Handler::ReloadNftables, "nftables", UnitState::Reloaded));
}

/// Where the playbook puts a project's stack on a host: the files of `container/` it needs,
/// and what prepare.sh makes beside them (secrets/, postgres-conf/).
pub(crate) fn stack_dir(project: &str) -> String {
    format!("/var/lib/pynoc/stacks/{project}")
}

fn containers_play(cx: &Context, stack: Option<(&crate::ir::Stack, &[Artifact])>) -> Play {
    let release = crate::stdlib::targets().get(&cx.spec.release);
    let mut packages: Vec<&str> = release.docker.iter().map(String::as_str).collect();
    if stack.is_some() && !release.compose.is_empty() {
        packages.push(&release.compose);
    }
    let mut tasks = vec![apt(&packages), service("Docker enabled and running", "docker", Some(UnitState::Started))];
    let Some((stack, arts)) = stack else {
        return Play::new("container engine", Group::Containers, tasks, vec![]);
    };
    tasks.extend(stack_tasks(cx, stack, arts));
    Play::new("container engine and the compose stack", Group::Containers, tasks, vec![])
}

/// `docker compose -f FILE` followed by `rest`.
fn compose_cmd(file: &str, rest: &[Word]) -> Vec<Word> {
    let mut w = words(&["docker", "compose", "-f", file]);
    w.extend(rest.iter().cloned());
    w
}

/// `up -d` of `services` (all when empty), without building, waiting until each is healthy;
/// changed only when a container was created or started.
fn compose_up(name: &str, file: &str, services: &[Word]) -> Task {
    let mut rest = words(&["up", "-d", "--no-build", "--wait", "--wait-timeout", "300"]);
    rest.extend(services.iter().cloned());
    up_step(name, file, &rest)
}

/// `docker compose -f FILE REST`, changed only when a container was created or started.
fn up_step(name: &str, file: &str, rest: &[Word]) -> Task {
    let mut step = Step::new(name, Command::argv(compose_cmd(file, rest))).register(Registered::Up);
    step.changed_when =
        Some(Changed::When(Registered::Up.cond("'Started' in {var}.stderr or 'Created' in {var}.stderr")));
    step.task()
}

/// Every service started, then waited for by pynoc's own loop, not `up --wait`: that refuses
/// a service whose image's health check is turned off (a worker's `NONE`: "has no
/// healthcheck configured", docker/compose#13522, found by the Debian 13 VM proof).
fn every_service_up(file: &str) -> [Task; 2] {
    [
        up_step("every service is up", file, &words(&["up", "-d", "--no-build"])),
        one_line_check(
            "every service is running, and healthy where it has a health check",
            COMPOSE_WAIT,
            &[unsafe_str(file)],
        ),
    ]
}

/// The stack's tasks: its files in [`stack_dir`], prepare.sh (once per content), the images
/// compose builds present, the database up, the application's tables there, the security
/// SQL applied in the container (once per content), then every service up and healthy.
fn stack_tasks(cx: &Context, stack: &crate::ir::Stack, arts: &[Artifact]) -> Vec<Task> {
    let dir = stack_dir(&cx.spec.project.name);
    let file = format!("{dir}/docker-compose.yml");
    let mut tasks =
        vec![exists_dir("the stack's directory", &dir), one_line_check("Docker Compose v2", COMPOSE_V2, &[])];
    let of = |k: Kind| arts.iter().find(|a| a.kind == k);
    for kind in [
        Kind::Compose,
        Kind::Prepare,
        Kind::PostgresApply,
        Kind::Dockerfile,
        Kind::Dockerignore,
        Kind::PostgresDockerfile,
    ] {
        // Every file of the kind: each application image has its own Dockerfile.
        for a in arts.iter().filter(|a| a.kind == kind) {
            let path = a.path();
            let name = path.rsplit('/').next().unwrap_or_default();
            let c = Copy {
                dest: format!("{dir}/{name}"),
                owner: Some("root".into()),
                group: Some("root".into()),
                mode: Some(if kind == Kind::Prepare { "0700" } else { "0600" }.into()),
                ..copy(a, None)
            };
            tasks.push(Step::new(&format!("the stack's {name}"), Module::Copy(c)).task());
        }
    }
    let prepare = of(Kind::Prepare).map(|a| crate::sha256_hex(a.content.as_bytes())).unwrap_or_default();
    tasks.push(stamped(
        "prepare.sh: secrets, volume directories, the database's files (once per content)",
        "sh \"$1/prepare.sh\"",
        &dir,
        &format!("prepared-{}", &prepare[..16]),
        vec![],
    ));
    // The images compose builds (never the play: `--no-build`) are the operator's to build
    // where the code is; each is asked for just before the first service that runs it.
    let built = |only: Option<&str>| -> Vec<Word> {
        let mut images: Vec<&str> = stack
            .services
            .iter()
            .filter(|s| s.kind == crate::ir::ServiceKind::App || s.build.is_some())
            .filter(|s| only.is_none_or(|n| n == s.name))
            .map(|s| s.image.as_str())
            .collect();
        images.sort_unstable();
        images.dedup();
        images.into_iter().map(unsafe_str).collect()
    };
    if let (Some(db), Some(p)) = (&stack.database, &cx.spec.postgres) {
        let svc = unsafe_str(&db.service);
        let own = built(Some(&db.service));
        if !own.is_empty() {
            tasks.push(one_line_check("the database's image is on the host", IMAGES, &own));
        }
        tasks.push(compose_up("the database is up and healthy", &file, std::slice::from_ref(&svc)));
        let mut exec = compose_cmd(&file, &[plain("exec"), plain("-T"), svc.clone()]);
        exec.extend(words(PSQL));
        exec.extend(words(&["-U", "postgres", "-d"]));
        exec.push(unsafe_str(&p.database));
        if !p.tables.is_empty() {
            tasks.push(tables_exist(p, exec));
        }
        let apply = format!("{prepare}{}", of(Kind::PostgresApply).map(|a| a.content.as_str()).unwrap_or_default());
        tasks.push(stamped(
            "apply the security SQL in the database's container, reload pg_hba.conf (once per content)",
            "docker compose -f \"$1/docker-compose.yml\" exec -T \"$3\" sh /etc/pynoc/postgres-apply.sh; \
             docker compose -f \"$1/docker-compose.yml\" exec -T \"$3\" psql -X -q -U postgres -d postgres -c 'SELECT pg_reload_conf()'",
            &dir,
            &format!("applied-{}", &crate::sha256_hex(apply.as_bytes())[..16]),
            vec![svc],
        ));
    }
    let all = built(None);
    if !all.is_empty() {
        tasks.push(one_line_check("the images compose builds are on the host", IMAGES, &all));
    }
    tasks.extend(every_service_up(&file));
    tasks
}
fn web_play(a: &Artifact, n: &crate::ir::Nginx, sandboxed: bool) -> Play {
    let mut tasks = vec![apt(a.kind.packages())];
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
        // `follow: false`: a link planted at the webroot fails the task instead of having
        // its target chmodded (the path itself is where stdlib's table allows).
        let dir = File {
            path: unsafe_str(w),
            state: FileState::Directory,
            owner: None,
            group: None,
            mode: Some("0755"),
            follow: Some(false),
        };
        tasks.push(Step::new("ACME webroot", Module::File(dir)).task());
    }
    if sandboxed {
        // The sandbox's RuntimeDirectory, made now: `nginx -t` opens the pid file there.
        let run = File {
            path: plain("/run/nginx"),
            state: FileState::Directory,
            owner: Some("root"),
            group: Some("root"),
            mode: Some("0755"),
            follow: Some(false),
        };
        tasks
            .push(Step::new("/run/nginx for the pid file (the sandbox's runtime directory)", Module::File(run)).task());
    }
    tasks.push(
        Step::new("nginx.conf", Module::Copy(copy(a, Some("/usr/sbin/nginx -t -q -c %s".into()))))
            .notify(Handler::ReloadNginx)
            .task(),
    );
    tasks.push(service("nginx enabled and running", "nginx", Some(UnitState::Started)));
    let handlers = vec![HandlerTask::unit(Handler::ReloadNginx, "nginx", UnitState::Reloaded)];
    Play::new("nginx", Group::Web, tasks, handlers)
}

/// `script` (pynoc's) run by `sh -c` with the stack's directory as `$1`, the stamp as `$2`
/// and `extra` after, once per stamp: the stamp is written only once the script succeeded
/// (a failed run is tried again), and the step's older stamps are removed.
fn stamped(name: &str, script: &str, dir: &str, stamp: &str, extra: Vec<Word>) -> Task {
    let path = format!("{dir}/.{stamp}");
    let step = stamp.split('-').next().unwrap_or(stamp);
    let body = format!("set -e; {script}; rm -f \"$1\"/.{step}-*; : > \"$2\"");
    let mut argv = vec![plain("sh"), plain("-c"), plain(&body), plain("pynoc-stack"), plain(dir), plain(&path)];
    argv.extend(extra);
    Step::new(name, Module::Command(Command { argv, creates: Some(path), stdin: None })).task()
}

/// A one-line script of stdlib/deploy/ that reads the host and fails with its reason.
fn one_line_check(name: &str, script: &str, args: &[Word]) -> Task {
    // The script is data to Ansible (`!unsafe`): one that uses Go templates (`docker compose
    // ps --format '{{.State}}'`) must never be read as Jinja.
    let mut argv = vec![plain("sh"), plain("-c"), unsafe_str(one_line(script)), plain("pynoc-check")];
    argv.extend(args.iter().cloned());
    Step::new(name, Command::argv(argv)).read_only().task()
}

/// A directory of root's alone (prepare.sh refuses one that others could write).
fn exists_dir(name: &str, path: &str) -> Task {
    let dir = File {
        path: plain(path),
        state: FileState::Directory,
        owner: Some("root"),
        group: Some("root"),
        mode: Some("0700"),
        follow: Some(false),
    };
    Step::new(name, Module::File(dir)).task()
}

/// Fails, naming the files, when a file the artifacts need is missing on the host. One
/// task for all of them: every task costs a module run on the host.
fn exists(what: &str, paths: &[&str]) -> Task {
    let paths: Vec<Word> = paths.iter().map(|p| unsafe_str(p)).collect();
    one_line_check(&format!("{what} exist (provided by the operator, not by pynoc)"), EXISTS, &paths)
}

/// psql as the playbook runs it, quiet and unaligned, stopping at the first error; the
/// connection (the database, `-d`) follows.
const PSQL: &[&str] = &["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"];

fn psql(db: &Word, extra: &[Word]) -> Vec<Word> {
    let mut w = words(&["runuser", "-u", "postgres", "--"]);
    w.extend(words(PSQL));
    w.push(plain("-d"));
    w.push(db.clone());
    w.extend(extra.iter().cloned());
    w
}

/// psql reading one query from its standard input (no shell, no argument parsing).
fn query(db: &Word, sql: &str) -> Module {
    query_with(psql(db, &[]), sql)
}

fn query_with(psql: Vec<Word>, sql: &str) -> Module {
    Module::Command(Command { argv: psql, creates: None, stdin: Some(unsafe_str(sql)) })
}

fn sql_literal(x: &str) -> String {
    format!("'{}'", x.replace('\'', "''"))
}

/// pgAudit's settings and event triggers exist only once the library is loaded, so it is
/// loaded (and the server restarted) before the security SQL runs, which then sets them.
fn pgaudit_loaded(p: &Postgres, cluster: &str, tasks: &mut Vec<Task>) {
    let not_loaded = || Registered::Preload.cond("'pgaudit' not in {var}.stdout.split(',')");
    let preload = p.settings.iter().find(|x| x.name == "shared_preload_libraries").map_or("pgaudit", |x| &x.value);
    tasks.push(
        Step::new(
            "the libraries the server has loaded",
            query(&plain("postgres"), "SELECT replace(current_setting('shared_preload_libraries'), ' ', '');"),
        )
        .register(Registered::Preload)
        .read_only()
        .task(),
    );
    let alter = format!("ALTER SYSTEM SET shared_preload_libraries = {}", sql_literal(preload));
    tasks.push(
        Step::new(
            "load pgAudit: shared_preload_libraries, then a restart",
            Command::argv(psql(&plain("postgres"), &[plain("-c"), unsafe_str(&alter)])),
        )
        .when(not_loaded())
        .task(),
    );
    tasks.push(
        Step::new(
            "restart so that pgAudit is loaded",
            Module::Systemd(Systemd {
                name: cluster.into(),
                enabled: None,
                state: Some(UnitState::Restarted),
                masked: None,
            }),
        )
        .when(not_loaded())
        .task(),
    );
}

fn database_play(p: &Postgres, sql: &Artifact, hba: &Artifact, sandboxed: Vec<Task>) -> Play {
    let db = unsafe_str(&p.database);
    let cluster = format!("postgresql@{}-main", p.version);
    let envs: Vec<&str> = sql.env.iter().map(String::as_str).collect();
    let mut tasks = Vec::new();
    if !envs.is_empty() {
        tasks.push(passwords_exported(&envs));
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
    tasks.push(service("PostgreSQL enabled and running", &cluster, Some(UnitState::Started)));
    // Its sandbox next: every later step talks to the cluster as it will run.
    tasks.extend(sandboxed);
    tasks.extend(database_exists(p, &db));
    if !p.tables.is_empty() {
        tasks.push(tables_exist(p, psql(&db, &[])));
    }
    tasks.push(hba_installed(hba));
    let sql_dir = sql.install.rsplit_once('/').map_or("/", |(d, _)| d);
    let dir = File {
        path: plain(sql_dir),
        state: FileState::Directory,
        owner: Some("postgres"),
        group: Some("postgres"),
        mode: Some("0750"),
        follow: None,
    };
    tasks.push(Step::new("a directory for the security SQL", Module::File(dir)).task());
    if p.pgaudit.is_some() {
        pgaudit_loaded(p, &cluster, &mut tasks);
    }
    tasks.push(Step::new("security SQL", Module::Copy(copy(sql, None))).task());
    tasks.push(sql_applied(p, sql, &db, &envs));
    let handlers = vec![HandlerTask::new(
        "restart postgresql (settings that only a restart applies)",
        Handler::RestartPostgresql,
        Module::Systemd(Systemd { name: cluster, enabled: None, state: Some(UnitState::Restarted), masked: None }),
    )];
    Play::new("PostgreSQL", Group::Database, tasks, handlers)
}

/// The roles' passwords are in the controller's environment (checked there, never logged).
fn passwords_exported(envs: &[&str]) -> Task {
    // Runs on the controller: no module on the host.
    let check = Assert {
        that: envs.iter().map(|e| format!("lookup('ansible.builtin.env', '{e}') | length > 0")).collect(),
        fail_msg: format!("export {} (the roles' passwords) before running the playbook", envs.join(", ")),
        quiet: true,
    };
    let mut step = Step::new("the controller's environment has every password", Module::Assert(check));
    step.no_log = Some(true);
    step.task()
}

/// The spec's database exists, created when it does not.
fn database_exists(p: &Postgres, db: &Word) -> Vec<Task> {
    let mut tasks = Vec::new();
    tasks.push(
        Step::new(
            "the database exists",
            query(
                &plain("postgres"),
                &format!("SELECT 'exists' FROM pg_database WHERE datname = {};", sql_literal(&p.database)),
            ),
        )
        .register(Registered::Db)
        .read_only()
        .task(),
    );
    let mut createdb = words(&["runuser", "-u", "postgres", "--", "createdb", "--"]);
    createdb.push(db.clone());
    tasks.push(
        Step::new("create the database", Command::argv(createdb))
            .when(Registered::Db.cond("{var}.stdout != 'exists'"))
            .task(),
    );
    tasks
}

/// The tables the SQL names exist: the application's migrations made them.
fn tables_exist(p: &Postgres, psql: Vec<Word>) -> Task {
    let names: Vec<String> = p.tables.iter().map(|t| sql_literal(&t.name)).collect();
    let mut step = Step::new(
        "the application's tables exist (its migrations create them)",
        query_with(
            psql,
            &format!(
                "SELECT string_agg(t, ', ') FROM unnest(ARRAY[{}]) AS t \
                 WHERE to_regclass(format('public.%I', t)) IS NULL;",
                names.join(", ")
            ),
        ),
    )
    .register(Registered::Missing)
    .read_only();
    step.failed_when = Some(Registered::Missing.cond("{var}.rc != 0 or {var}.stdout != ''"));
    step.task()
}

/// pg_hba.conf installed only when the server reads it without an error.
fn hba_installed(hba: &Artifact) -> Task {
    let check_hba = psql(
        &plain("postgres"),
        &[
            plain("-c"),
            plain(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_hba_file_rules WHERE error IS NOT NULL) THEN \
                 RAISE EXCEPTION 'pg_hba.conf has errors'; END IF; END $$",
            ),
            plain("-c"),
            plain("SELECT pg_reload_conf()"),
        ],
    );
    let reload = psql(&plain("postgres"), &[plain("-c"), plain("SELECT pg_reload_conf()")]);
    guarded("pg_hba.conf", hba, Registered::Hba, check_hba, reload)
}

/// The security SQL applied once per content, with the passwords on stdin.
fn sql_applied(p: &Postgres, sql: &Artifact, db: &Word, envs: &[&str]) -> Task {
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
    let apply = Command {
        argv: vec![plain("sh"), plain("-c"), plain(&script), plain("pynoc-sql"), db.clone(), plain(&stamp)],
        creates: Some(stamp.clone()),
        stdin: (!envs.is_empty()).then(|| plain(&stdin.join("\n"))),
    };
    let mut step =
        Step::new("apply the security SQL (roles, grants, row-level security, settings)", Module::Command(apply));
    step.no_log = Some(true);
    if p.settings.iter().any(|x| x.apply == "restart") {
        step.notify = Some(Handler::RestartPostgresql);
    }
    step.task()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validators_scripts_fit_in_one_single_quoted_word() {
        let stdlib =
            |name| std::fs::read_to_string(format!("{}/stdlib/deploy/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for script in [stdlib("sysctl-keys.sh"), stdlib("fail2ban-check.sh")] {
            let body = one_line(&script);
            assert!(!body.contains(['\'', '\n']), "{body}");
        }
        for script in [stdlib("audit-load.sh"), EXISTS.to_string()] {
            assert!(!one_line(&script).contains('\n'), "{script}");
        }
    }
}
