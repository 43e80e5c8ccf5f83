//! The firewall artifacts, applied for real to a test host in its own network namespace,
//! mean the same thing: a client namespace probes it from an internal and an external
//! address, over TCP and UDP, IPv4 and IPv6, and every firewall (ufw.sh, the iptables pair,
//! nftables.conf) must let through and drop exactly the same connections, SSH's per-source
//! limit included. Only namespaces this test creates are ever addressed.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{example, pynoc, root, strict};

const PEER: &str = "tests/support/netpeer.py";
const INTERNAL: (&str, &str) = ("10.1.0.2", "10.1.0.1");
const EXTERNAL: (&str, &str) = ("198.51.100.2", "198.51.100.1");
const EXTERNAL6: (&str, &str) = ("fd10::2", "fd10::1");

fn sh(cmd: &str) -> std::process::Output {
    Command::new("sh").arg("-c").arg(cmd).output().expect("sh")
}

fn ok(cmd: &str) {
    let o = sh(cmd);
    assert!(o.status.success(), "{cmd}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// A server and a client namespace joined by a veth pair; removed on drop.
struct Lab {
    server: String,
    client: String,
    peer: Option<Child>,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let id = std::process::id();
        let lab = Lab { server: format!("pynoc-s-{tag}-{id}"), client: format!("pynoc-c-{tag}-{id}"), peer: None };
        let (s, c) = (&lab.server, &lab.client);
        ok(&format!("ip netns add {s} && ip netns add {c}"));
        ok(&format!("ip link add vs-{id} netns {s} type veth peer name vc-{id} netns {c}"));
        for (ns, dev, a, b, six) in [
            (s, format!("vs-{id}"), INTERNAL.1, EXTERNAL.1, EXTERNAL6.1),
            (c, format!("vc-{id}"), INTERNAL.0, EXTERNAL.0, EXTERNAL6.0),
        ] {
            ok(&format!(
                "ip -n {ns} addr add {a}/24 dev {dev} && ip -n {ns} addr add {b}/24 dev {dev} && ip -n {ns} -6 addr add {six}/64 dev {dev} nodad && ip -n {ns} link set {dev} up && ip -n {ns} link set lo up"
            ));
        }
        lab
    }

    fn serve(&mut self, ports: &[u16]) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.server, "python3", &root().join(PEER).to_string_lossy()])
            .arg("serve")
            .args(ports.iter().map(|p| p.to_string()))
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the test server");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        self.peer = Some(child);
    }

    /// `open`/`closed` for each probe `(proto, (src, dst), port)`.
    fn probe(&self, probes: &[(&str, (&str, &str), u16)]) -> Vec<String> {
        let specs: Vec<String> = probes.iter().map(|(p, (s, d), port)| format!("{p},{s},{d},{port}")).collect();
        let o = Command::new("ip")
            .args(["netns", "exec", &self.client, "python3", &root().join(PEER).to_string_lossy(), "probe"])
            .args(&specs)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.peer.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = sh(&format!("ip netns del {} ; ip netns del {}", self.server, self.client));
    }
}

fn can_run() -> bool {
    let ready = pynoc::verify::sandbox::is_root()
        && ["ip", "python3", "iptables-restore", "nft", "ufw"].iter().all(|t| pynoc::verify::which(t).is_some());
    if !ready {
        assert!(!strict(), "the firewall behaviour test needs root, ip, python3, iptables, nft and ufw");
        eprintln!("SKIP firewall behaviour: needs root, ip, python3, iptables, nft and ufw");
    }
    ready
}

fn build(dir: &Path) {
    pynoc().arg("build").arg(example()).arg("-o").arg(dir).run().expect(0);
}

/// What the example's rule list means, probe by probe.
const EXPECTED: &[(&str, (&str, &str), u16, &str)] = &[
    ("tcp", INTERNAL, 8000, "open"),    // allow 8000 from=internal
    ("tcp", EXTERNAL, 8000, "closed"),  // not from outside
    ("tcp", EXTERNAL6, 8000, "closed"), // internal is IPv4 only
    ("udp", INTERNAL, 8000, "closed"),  // TCP only: the guide's ufw line opened UDP too
    ("tcp", EXTERNAL, 443, "open"),     // allow https
    ("tcp", EXTERNAL6, 443, "open"),    // … over IPv6 too
    ("tcp", EXTERNAL, 80, "open"),      // allow http
    ("tcp", EXTERNAL, 9999, "closed"),  // default deny
    ("udp", EXTERNAL, 9999, "closed"),  // default deny
    ("tcp", INTERNAL, 5432, "open"),    // PostgreSQL from internal
    ("tcp", EXTERNAL, 5432, "closed"),
];

fn check(variant: &str, apply: impl Fn(&Lab, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let mut lab = Lab::new(variant);
    lab.serve(&[22, 80, 443, 5432, 8000, 9999]);
    // Before the firewall, everything is reachable: the probes themselves work.
    let open = lab.probe(&EXPECTED.iter().map(|(p, a, port, _)| (*p, *a, *port)).collect::<Vec<_>>());
    assert!(open.iter().all(|r| r == "open"), "{variant}: the lab does not work without a firewall: {open:?}");
    apply(&lab, dir.path());
    let got = lab.probe(&EXPECTED.iter().map(|(p, a, port, _)| (*p, *a, *port)).collect::<Vec<_>>());
    for ((proto, (src, dst), port, want), got) in EXPECTED.iter().zip(&got) {
        assert_eq!(got, want, "{variant}: {proto} {src} -> {dst}:{port}");
    }
    assert_eq!(got.len(), EXPECTED.len(), "{variant}: probes lost: {got:?}");
    // SSH: per-source limit on new connections. The first five always pass; by the
    // eighth within a few seconds the source is being dropped.
    let ssh = lab.probe(&[("tcp", EXTERNAL, 22); 8]);
    assert!(ssh[..5].iter().all(|r| r == "open"), "{variant}: ssh limited too early: {ssh:?}");
    assert_eq!(ssh[7], "closed", "{variant}: ssh not rate-limited: {ssh:?}");
    // Another source is not affected by the first one's limit.
    assert_eq!(lab.probe(&[("tcp", INTERNAL, 22)]), ["open"], "{variant}: the limit is not per source");
}

#[test]
fn iptables_rules_behave_as_the_spec_says() {
    if !can_run() {
        return;
    }
    check("ipt", |lab, dir| {
        ok(&format!("ip netns exec {} iptables-restore {}", lab.server, dir.join("host/iptables.rules").display()));
        ok(&format!("ip netns exec {} ip6tables-restore {}", lab.server, dir.join("host/ip6tables.rules").display()));
    });
}

#[test]
fn nftables_behaves_as_the_spec_says() {
    if !can_run() {
        return;
    }
    check("nft", |lab, dir| {
        ok(&format!("ip netns exec {} nft -f {}", lab.server, dir.join("host/nftables.conf").display()))
    });
}

#[test]
fn ufw_script_behaves_as_the_spec_says() {
    if !can_run() {
        return;
    }
    check("ufw", |lab, dir| {
        // ufw writes /etc/ufw, /etc/default/ufw and /var, /run: give it throwaway overlays.
        let scratch = tempfile::tempdir().unwrap();
        let s = scratch.path().display();
        let mut script = format!("set -e\nmount -t tmpfs pynoc {s}\n");
        for (i, d) in ["/etc", "/var", "/run"].iter().enumerate() {
            script.push_str(&format!("mkdir -p {s}/u{i} {s}/w{i}\nmount -t overlay overlay -o lowerdir={d},upperdir={s}/u{i},workdir={s}/w{i} {d}\n"));
        }
        script.push_str(&format!("sh {} > /dev/null\n", dir.join("host/ufw.sh").display()));
        let o = Command::new("ip")
            .args(["netns", "exec", &lab.server, "unshare", "--mount", "--propagation", "private", "sh", "-c", &script])
            .output()
            .unwrap();
        assert!(o.status.success(), "ufw.sh: {}", String::from_utf8_lossy(&o.stderr));
        let _ = fs::metadata(dir);
    });
}
