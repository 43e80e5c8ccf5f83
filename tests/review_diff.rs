//! A spec edit changes exactly the artifacts whose content it affects, plus manifest.json
//! (issue 10): headers carry nothing that changes with an unrelated part of the spec.

mod common;

use std::collections::BTreeSet;

fn build(text: &str) -> Vec<(String, String)> {
    let c = pynoc::compile(text, "spec.kdl")
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.render(false)).collect::<String>()));
    pynoc::write::files(&c).into_iter().map(|(p, c, _)| (p.to_string(), c.to_string())).collect()
}

fn changed(before: &[(String, String)], after: &[(String, String)]) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for (p, c) in after {
        if before.iter().find(|(q, _)| q == p).map(|(_, d)| d) != Some(c) {
            set.insert(p.clone());
        }
    }
    for (p, _) in before {
        if !after.iter().any(|(q, _)| q == p) {
            set.insert(p.clone());
        }
    }
    set
}

#[test]
fn one_line_edits_change_only_what_they_affect() {
    let text = std::fs::read_to_string(common::example()).unwrap();
    let base = build(&text);
    let cases: &[(&str, &str, &[&str])] = &[
        ("zone login rate=\"5r/m\"", "zone login rate=\"3r/m\"", &["nginx/nginx.conf"]),
        ("x11-forwarding #false", "x11-forwarding #false\n        max-auth-tries 2", &["host/sshd_config"]),
        (
            "allow 9093 from=internal comment=AlertManager",
            "allow 9094 from=internal comment=AlertManager",
            // `internal` is an IPv4 network: ip6tables has no rule for it.
            &["host/ufw.sh", "host/iptables.rules", "host/nftables.conf"],
        ),
        (
            "grant select insert update delete on=detectors,datasets,detection_results",
            "grant select insert update on=detectors,datasets,detection_results",
            // prepare.sh carries the compose database's SQL, and the playbook applies it
            // once per content: its stamps name prepare.sh's sha256.
            &["postgres/postgresql-security.sql", "container/prepare.sh", "deploy/site.yml"],
        ),
        ("memory=\"768M\"", "memory=\"640M\"", &["container/docker-compose.yml"]),
        ("// The guide's kernel parameters", "// The kernel parameters", &[]),
    ];
    for (from, to, expected) in cases {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        let after = build(&text.replacen(from, to, 1));
        let mut want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        want.insert("manifest.json".into());
        assert_eq!(changed(&base, &after), want, "editing `{from}` → `{to}`");
    }
}
