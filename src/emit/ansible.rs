//! The part of Ansible's playbook language the deployment uses, as Rust types that serialize
//! (through serde_norway) to the YAML Ansible reads: plays, tasks, blocks, the modules with
//! their arguments, handlers named once, registered variables named once. A key the playbook
//! may not write does not type-check; a value from the spec is a [`Word::Unsafe`].

use serde::{Serialize, Serializer};

/// One word of YAML: pynoc's own text, or a value from the spec that Ansible must read as
/// data (`!unsafe`: never evaluated as a Jinja expression).
#[derive(Debug, Clone)]
pub(crate) enum Word {
    Plain(String),
    Unsafe(String),
}

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Word::Plain(w) => s.serialize_str(w),
            // serde_norway writes a newtype variant as a tagged value: `!unsafe 'text'`.
            Word::Unsafe(w) => s.serialize_newtype_variant("Word", 1, "unsafe", w),
        }
    }
}

pub(crate) fn plain(w: &str) -> Word {
    Word::Plain(w.to_string())
}

pub(crate) fn words(ws: &[&str]) -> Vec<Word> {
    ws.iter().map(|w| plain(w)).collect()
}

/// The inventory groups, one per role a host can play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Host,
    Containers,
    Web,
    Database,
}

impl Group {
    pub(crate) const ALL: [Group; 4] = [Group::Host, Group::Containers, Group::Web, Group::Database];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Group::Host => "pynoc_host",
            Group::Containers => "pynoc_containers",
            Group::Web => "pynoc_web",
            Group::Database => "pynoc_database",
        }
    }

    pub(crate) fn what(self) -> &'static str {
        match self {
            Group::Host => "kernel, SSH, fail2ban, audit, firewall and mounts of the host itself",
            Group::Containers => "runs the container stack (Docker)",
            Group::Web => "runs nginx",
            Group::Database => "runs PostgreSQL",
        }
    }
}

impl Serialize for Group {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Play {
    pub(crate) name: String,
    pub(crate) hosts: Group,
    pub(crate) r#become: bool,
    pub(crate) gather_facts: bool,
    pub(crate) tasks: Vec<Task>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) handlers: Vec<HandlerTask>,
}

impl Play {
    pub(crate) fn new(name: &str, hosts: Group, tasks: Vec<Task>, handlers: Vec<HandlerTask>) -> Play {
        Play { name: name.into(), hosts, r#become: true, gather_facts: false, tasks, handlers }
    }
}

/// What a handler does when notified: one name, written by [`Handler::topic`] in every
/// `notify` and every `listen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    ApplySysctl,
    ReloadSsh,
    ReloadNftables,
    RestartFail2ban,
    MountTmpfs,
    ReloadNginx,
    RestartPostgresql,
    RestartJournald,
    RestartTimesyncd,
    UpdateGrub,
    ReloadAuditd,
}

impl Handler {
    pub(crate) fn topic(self) -> &'static str {
        match self {
            Handler::ApplySysctl => "apply sysctl",
            Handler::ReloadSsh => "reload ssh",
            Handler::ReloadNftables => "reload nftables",
            Handler::RestartFail2ban => "restart fail2ban",
            Handler::MountTmpfs => "mount tmpfs",
            Handler::ReloadNginx => "reload nginx",
            Handler::RestartPostgresql => "restart postgresql",
            Handler::RestartJournald => "restart journald",
            Handler::RestartTimesyncd => "restart timesyncd",
            Handler::UpdateGrub => "update grub",
            Handler::ReloadAuditd => "reload auditd",
        }
    }
}

impl Serialize for Handler {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.topic())
    }
}

/// A variable a task registers its result in: one name, used by the conditions that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registered {
    Moduli,
    Audit,
    Hba,
    Preload,
    Db,
    Missing,
    Up,
    Sandbox,
    Permissions,
    Aide,
    KeyOnly,
    Absent,
    Homes,
    Pam,
    Ufw,
    Sugroup,
    Schedulers,
    AideInit,
    AuditPermissions,
    Shells,
    AppArmorEnforce,
}

impl Registered {
    pub(crate) fn var(self) -> &'static str {
        match self {
            Registered::Moduli => "pynoc_moduli",
            Registered::Audit => "pynoc_audit",
            Registered::Hba => "pynoc_hba",
            Registered::Preload => "pynoc_preload",
            Registered::Db => "pynoc_db",
            Registered::Missing => "pynoc_missing",
            Registered::Up => "pynoc_up",
            Registered::Sandbox => "pynoc_sandbox",
            Registered::Permissions => "pynoc_permissions",
            Registered::Aide => "pynoc_aide",
            Registered::KeyOnly => "pynoc_key_only",
            Registered::Absent => "pynoc_absent",
            Registered::Homes => "pynoc_homes",
            Registered::Pam => "pynoc_pam",
            Registered::Ufw => "pynoc_ufw",
            Registered::Sugroup => "pynoc_sugroup",
            Registered::Schedulers => "pynoc_schedulers",
            Registered::AideInit => "pynoc_aide_init",
            Registered::AuditPermissions => "pynoc_audit_permissions",
            Registered::Shells => "pynoc_shells",
            Registered::AppArmorEnforce => "pynoc_apparmor_enforce",
        }
    }

    /// A condition on the registered result: `{var}` in `expr` is its name.
    pub(crate) fn cond(self, expr: &str) -> Cond {
        Cond(expr.replace("{var}", self.var()))
    }
}

impl Serialize for Registered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.var())
    }
}

/// A Jinja condition (`when`, `changed_when`, `failed_when`), built by [`Registered::cond`]
/// or from pynoc's own text: never from a spec value.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub(crate) struct Cond(String);

/// `changed_when:` a fixed answer, or a condition.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum Changed {
    Never(bool),
    When(Cond),
}

/// A task or a block of tasks.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Task {
    Step(Box<Step>),
    Block(Block),
}

/// One module run. The keys are written in this order.
#[derive(Debug, Serialize)]
pub(crate) struct Step {
    pub(crate) name: String,
    #[serde(flatten)]
    pub(crate) module: Module,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) register: Option<Registered>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) changed_when: Option<Changed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) check_mode: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) failed_when: Option<Cond>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) when: Option<Cond>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) no_log: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) notify: Option<Handler>,
}

impl Step {
    pub(crate) fn new(name: &str, module: Module) -> Step {
        Step {
            name: name.into(),
            module,
            register: None,
            changed_when: None,
            check_mode: None,
            failed_when: None,
            when: None,
            no_log: None,
            notify: None,
        }
    }

    pub(crate) fn notify(mut self, h: Handler) -> Step {
        self.notify = Some(h);
        self
    }

    pub(crate) fn when(mut self, c: Cond) -> Step {
        self.when = Some(c);
        self
    }

    pub(crate) fn changed_when(mut self, c: Cond) -> Step {
        self.changed_when = Some(Changed::When(c));
        self
    }

    pub(crate) fn register(mut self, r: Registered) -> Step {
        self.register = Some(r);
        self
    }

    /// Reads the host and changes nothing: never `changed`, and run in check mode too.
    pub(crate) fn read_only(mut self) -> Step {
        self.changed_when = Some(Changed::Never(false));
        self.check_mode = Some(false);
        self
    }

    pub(crate) fn task(self) -> Task {
        Task::Step(Box::new(self))
    }
}

/// A task that, if it fails, runs `rescue`.
#[derive(Debug, Serialize)]
pub(crate) struct Block {
    pub(crate) name: String,
    pub(crate) block: Vec<Task>,
    pub(crate) rescue: Vec<Task>,
}

/// A handler: a module run that listens to one [`Handler`].
#[derive(Debug, Serialize)]
pub(crate) struct HandlerTask {
    pub(crate) name: String,
    #[serde(flatten)]
    pub(crate) module: Module,
    pub(crate) listen: Handler,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) environment: Option<Environment>,
}

impl HandlerTask {
    pub(crate) fn new(name: &str, listen: Handler, module: Module) -> HandlerTask {
        HandlerTask { name: name.into(), module, listen, environment: None }
    }

    /// A handler named after its topic that sets a systemd unit's state.
    pub(crate) fn unit(listen: Handler, unit: &str, state: UnitState) -> HandlerTask {
        HandlerTask::new(
            listen.topic(),
            listen,
            Module::Systemd(Systemd { name: unit.into(), enabled: None, state: Some(state), masked: None }),
        )
    }
}

#[derive(Debug, Serialize)]
#[allow(non_snake_case)]
pub(crate) struct Environment {
    pub(crate) TMPDIR: &'static str,
}

/// The ansible.builtin modules the playbook uses, each with the arguments it writes.
#[derive(Debug, Serialize)]
pub(crate) enum Module {
    #[serde(rename = "ansible.builtin.apt")]
    Apt(Apt),
    #[serde(rename = "ansible.builtin.copy")]
    Copy(Copy),
    #[serde(rename = "ansible.builtin.file")]
    File(File),
    #[serde(rename = "ansible.builtin.blockinfile")]
    BlockInFile(BlockInFile),
    #[serde(rename = "ansible.builtin.lineinfile")]
    LineInFile(LineInFile),
    #[serde(rename = "ansible.builtin.systemd_service")]
    Systemd(Systemd),
    #[serde(rename = "ansible.builtin.command")]
    Command(Command),
    #[serde(rename = "ansible.builtin.shell")]
    Shell(Shell),
    #[serde(rename = "ansible.builtin.assert")]
    Assert(Assert),
    #[serde(rename = "ansible.builtin.fail")]
    Fail(Fail),
}

#[derive(Debug, Serialize)]
pub(crate) struct Apt {
    pub(crate) name: Vec<String>,
    pub(crate) state: &'static str,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Copy {
    pub(crate) src: String,
    pub(crate) dest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backup: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) remote_src: Option<bool>,
}

#[derive(Debug, Serialize)]
pub(crate) struct File {
    pub(crate) path: Word,
    pub(crate) state: FileState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) follow: Option<bool>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FileState {
    Directory,
    Absent,
}

#[derive(Debug, Serialize)]
pub(crate) struct BlockInFile {
    pub(crate) path: &'static str,
    pub(crate) marker: &'static str,
    pub(crate) block: String,
    pub(crate) validate: &'static str,
}

/// One line of a file of the distribution's, replaced where `regexp` matches (else added).
#[derive(Debug, Serialize)]
pub(crate) struct LineInFile {
    pub(crate) path: &'static str,
    pub(crate) regexp: &'static str,
    pub(crate) line: Word,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validate: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Systemd {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<UnitState>,
    /// `false`: a unit someone masked is unmasked first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) masked: Option<bool>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UnitState {
    Started,
    Reloaded,
    Restarted,
}

/// A command run without a shell: `argv` words, optionally fed `stdin`.
#[derive(Debug, Serialize)]
pub(crate) struct Command {
    pub(crate) argv: Vec<Word>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) creates: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stdin: Option<Word>,
}

impl Command {
    pub(crate) fn argv(argv: Vec<Word>) -> Module {
        Module::Command(Command { argv, creates: None, stdin: None })
    }
}

/// A shell script of pynoc's (stdlib/deploy/), or a command line the manifest also gives.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Shell {
    Line(Word),
    Script { cmd: &'static str, executable: &'static str },
}

#[derive(Debug, Serialize)]
pub(crate) struct Assert {
    pub(crate) that: Vec<String>,
    pub(crate) fail_msg: String,
    pub(crate) quiet: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct Fail {
    pub(crate) msg: String,
}

/// The playbook as YAML.
pub(crate) fn to_yaml(plays: &[Play]) -> Result<String, serde_norway::Error> {
    serde_norway::to_string(plays)
}
