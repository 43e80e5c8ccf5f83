//! The deployment: `ansible-playbook --syntax-check` (ansible-core from PyPI, in the
//! validators' venv) with the generated inventory, every artifact the playbook copies
//! present beside it, and `ansible-inventory` reading the inventory. The playbook's
//! behaviour is proven on a real Debian 12 machine by `tests/vm/run.sh`.

use std::process::Command;

use camino::Utf8Path;

use super::{Status, brief, need, sandbox, which};

pub(crate) fn playbook(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["ansible-playbook"]) {
        return s;
    }
    let Some(dir) = file.parent() else { return Status::Fail("the playbook has no directory".into()) };
    let Ok(text) = std::fs::read_to_string(file) else { return Status::Fail("cannot read the playbook".into()) };
    for (i, _) in text.match_indices("{{ playbook_dir }}/../") {
        let rest = &text[i + "{{ playbook_dir }}/../".len()..];
        let rel: String = rest.chars().take_while(|c| !matches!(c, '\'' | '"' | '\n')).collect();
        if !dir.join("..").join(&rel).is_file() {
            return Status::Fail(format!("the playbook installs `{rel}`, which is not in the output"));
        }
    }
    let tool = which("ansible-playbook").expect("checked");
    run(Command::new(tool.as_str())
        .args(["--syntax-check", "-i"])
        .arg(dir.join("inventory.ini").as_str())
        .arg(file.as_str()))
}

pub(crate) fn inventory(file: &Utf8Path) -> Status {
    if let Err(s) = need(&["ansible-inventory"]) {
        return s;
    }
    let tool = which("ansible-inventory").expect("checked");
    run(Command::new(tool.as_str()).args(["--list", "-i"]).arg(file.as_str()))
}

fn run(cmd: &mut Command) -> Status {
    // A throwaway home: Ansible writes its local temp and cache there.
    let Ok(home) = tempfile::tempdir() else { return Status::Fail("cannot make a temporary directory".into()) };
    cmd.env("ANSIBLE_HOME", home.path()).env("ANSIBLE_LOCAL_TEMP", home.path().join("tmp")).env("ANSIBLE_NOCOLOR", "1");
    match cmd.output() {
        Ok(o) if o.status.success() && !sandbox::text(&o).contains("[WARNING]: Could not match") => Status::Pass,
        Ok(o) if o.status.success() => Status::Fail(brief(&sandbox::text(&o))),
        Ok(o) => Status::Fail(format!("ansible: {}", brief(&sandbox::text(&o)))),
        Err(e) => Status::Fail(format!("cannot run ansible: {e}")),
    }
}
