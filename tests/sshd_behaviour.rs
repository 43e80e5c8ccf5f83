//! The sshd drop-in, run for real: sshd starts in a sandbox (own network, mount and pid
//! namespaces; throwaway overlays of /etc, /home, /run) with Debian's stock sshd_config and
//! the drop-in, and a real ssh client checks that only the allowed user gets in with a key,
//! that root is refused even with a valid key, and that no password method is offered.

mod common;

use common::{example, pynoc, strict};
use pynoc::verify::sandbox;

#[test]
fn sshd_lets_in_only_what_the_spec_allows() {
    let tools = ["sshd", "ssh", "ssh-keygen", "useradd", "ip"];
    if !sandbox::is_root() || tools.iter().any(|t| pynoc::verify::which(t).is_none()) {
        assert!(!strict(), "the sshd behaviour test needs root and {tools:?}");
        eprintln!("SKIP sshd behaviour: needs root and {tools:?}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    pynoc().arg("build").arg(example()).arg("-o").arg(&out).run().expect(0);
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let dropin = out.join("host/sshd_config");
    let script = format!(
        r#"
set -e
ip link set lo up
useradd -m -s /bin/sh pynomaly
useradd -m -s /bin/sh intruder
ssh-keygen -q -t ed25519 -N '' -f /run/client_key
ssh-keygen -q -t rsa -b 2048 -N '' -f /run/short_rsa
mkdir -p /etc/ssh/pynoc-test-keys
for u in pynomaly intruder root; do cp /run/client_key.pub /etc/ssh/pynoc-test-keys/$u; done
cat /run/short_rsa.pub >> /etc/ssh/pynoc-test-keys/pynomaly
rm -f /etc/ssh/sshd_config.d/*.conf
cp {dropin} /etc/ssh/sshd_config.d/00-pynoc.conf
cp {issue_net} /etc/issue.net
printf 'AuthorizedKeysFile /etc/ssh/pynoc-test-keys/%%u\n' > /etc/ssh/sshd_config.d/99-test.conf
printf 'PasswordAuthentication yes\nPermitRootLogin yes\n' > /etc/ssh/sshd_config.d/50-cloud-init.conf
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
/usr/sbin/sshd -D -e 2>/run/sshd.log &
pid=$!
for i in $(seq 50); do ssh-keyscan -p 22 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
set +e
opts="-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -i /run/client_key"
ssh $opts pynomaly@127.0.0.1 'echo in-as-$(id -un)'; echo "allowed=$?"
ssh $opts root@127.0.0.1 true 2>/dev/null; echo "root=$?"
ssh $opts intruder@127.0.0.1 true 2>/dev/null; echo "intruder=$?"
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no pynomaly@127.0.0.1 true 2>&1 | grep -o 'Permission denied ([a-z,-]*)'
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -i /run/short_rsa pynomaly@127.0.0.1 true 2>/dev/null; echo "short_rsa=$?"
ssh -v $opts pynomaly@127.0.0.1 true 2>&1 | grep -o 'remote software version .*' | sed 's/^/banner: /'
ssh $opts pynomaly@127.0.0.1 true 2>&1 | sed 's/^/notice: /'
ssh $opts -o Ciphers=aes128-ctr -o MACs=hmac-sha1 pynomaly@127.0.0.1 true 2>&1 | grep -o 'no matching [a-zA-Z ]* found' | sed "s/^/weak MACs=hmac-sha1: /"
for weak in Ciphers=aes128-cbc KexAlgorithms=ecdh-sha2-nistp256 KexAlgorithms=diffie-hellman-group14-sha256 HostKeyAlgorithms=ecdsa-sha2-nistp256; do
  ssh $opts -o "$weak" pynomaly@127.0.0.1 true 2>&1 | grep -o 'no matching [a-zA-Z ]* found' | sed "s/^/weak $weak: /"
done
ssh $opts -o Ciphers=aes128-ctr -o MACs=hmac-sha2-256-etm@openssh.com -o KexAlgorithms=diffie-hellman-group-exchange-sha256 pynomaly@127.0.0.1 'echo strong-in'
kill $pid
wait $pid 2>/dev/null
grep -E 'not allowed|ROOT LOGIN REFUSED|Accepted publickey|Accepted key|RSA key too small|refusing RSA key' /run/sshd.log | sed 's/^/log: /'
"#,
        dropin = sandbox::quote(&dropin.to_string_lossy()),
        issue_net = sandbox::quote(&out.join("host/issue.net").to_string_lossy())
    );
    let o = sandbox::run(&script, &["/etc", "/home", "/run", "/var"], camino::Utf8Path::from_path(&scratch).unwrap())
        .unwrap();
    let text = sandbox::text(&o);
    println!("{text}");
    assert!(
        text.contains("in-as-pynomaly") && text.contains("allowed=0"),
        "the allowed user could not log in:\n{text}"
    );
    assert!(text.contains("root=255"), "root got in:\n{text}");
    // `banner`: the client shows the legal notice, every line of it, before authentication.
    let notice = std::fs::read_to_string(out.join("host/issue.net")).unwrap();
    for line in notice.lines() {
        assert!(text.contains(&format!("notice: {line}")), "the client did not show {line:?}:\n{text}");
    }
    assert!(text.contains("intruder=255"), "a user outside AllowUsers got in:\n{text}");
    assert!(text.contains("Permission denied (publickey)"), "a password method is offered:\n{text}");
    assert!(
        text.contains("log: ") && text.contains("not allowed because not listed in AllowUsers"),
        "sshd did not log the refusal:\n{text}"
    );
    // The crypto of stdlib/sshd/defaults.toml: the client's strong choices still get in, weak
    // ones find nothing in common, and a 2048-bit RSA key is refused (RequiredRSASize).
    assert!(text.contains("strong-in"), "AES-CTR with an ETM MAC over DH group exchange was refused:\n{text}");
    for weak in [
        "Ciphers=aes128-cbc: no matching cipher found",
        "MACs=hmac-sha1: no matching MAC found",
        "KexAlgorithms=ecdh-sha2-nistp256: no matching key exchange method found",
        "KexAlgorithms=diffie-hellman-group14-sha256: no matching key exchange method found",
        "HostKeyAlgorithms=ecdsa-sha2-nistp256: no matching host key type found",
    ] {
        assert!(text.contains(&format!("weak {weak}")), "sshd accepted a weak algorithm ({weak}):\n{text}");
    }
    assert!(
        text.contains("banner: remote software version OpenSSH_") && !text.contains("Debian-"),
        "DebianBanner no: the version banner still names the Debian revision:\n{text}"
    );
    assert!(text.contains("short_rsa=255"), "a 2048-bit RSA key got in:\n{text}");
    // LogLevel VERBOSE: the fingerprint of the key that was accepted is logged.
    assert!(
        text.contains("log: ") && text.contains("Accepted key ED25519"),
        "LogLevel VERBOSE is not in effect:\n{text}"
    );
}
