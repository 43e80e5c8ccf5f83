//! pg_hba lines by a project network's name (issue 27): one line per network in it, in the
//! spec's order; an unknown name is an error at the name; a line the named network shadows
//! is reported as any shadowed line.

mod common;

use common::diags;

fn spec(lines: &str) -> String {
    format!(
        "pynoc 1\nproject shop {{\n    network office \"192.0.2.0/24\" \"2001:db8::/48\"\n    network vpn \"10.8.0.0/16\"\n}}\npostgres database=shop version=15 {{\n    ssl cert=\"/etc/ssl/certs/pg.crt\" key=\"/etc/ssl/private/pg.key\"\n    set listen_addresses *\n    role shop_app login=#true password-env=SHOP_APP_PASSWORD\n    hba {{\n        local all postgres method=peer\n{lines}    }}\n}}\n"
    )
}

fn hba(text: &str) -> Vec<String> {
    let c = pynoc::compile(text, "spec.kdl")
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.render(false)).collect::<String>()));
    let f = &c.artifacts.iter().find(|a| a.name() == "pg_hba").unwrap().content;
    f.lines().filter(|l| l.starts_with("hostssl")).map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

#[test]
fn a_network_name_is_one_line_per_network() {
    let lines = hba(&spec("        hostssl shop shop_app office\n        hostssl shop shop_app vpn\n"));
    assert_eq!(
        lines,
        [
            "hostssl shop shop_app 192.0.2.0/24 scram-sha-256",
            "hostssl shop shop_app 2001:db8::/48 scram-sha-256",
            "hostssl shop shop_app 10.8.0.0/16 scram-sha-256",
        ]
    );
    // The same as writing the networks out.
    let written = hba(&spec(
        "        hostssl shop shop_app \"192.0.2.0/24\"\n        hostssl shop shop_app \"2001:db8::/48\"\n        hostssl shop shop_app \"10.8.0.0/16\"\n",
    ));
    assert_eq!(lines, written);
}

#[test]
fn unknown_names_and_shadowed_networks_are_errors() {
    let errs = diags(&spec("        hostssl shop shop_app office-vpn\n")).expect_err("unknown network");
    assert!(errs.iter().any(|d| d.kind.code() == "E011" && d.message.contains("office-vpn")));
    let errs = diags(&spec("        hostssl shop shop_app vpn\n        hostssl shop shop_app \"10.8.1.0/24\"\n"))
        .expect_err("a line inside vpn after vpn");
    assert!(errs.iter().any(|d| d.message.contains("never applies")));
}
