//! `pynoc report`: the reference example against every baseline (snapshots a reviewer reads),
//! a spec that weakens settings with reasons (each reason reaches the item it breaks), the
//! JSON form, `--min`, a spec with errors, and `pynoc explain BASELINE:ID`.

mod common;

use common::{pynoc, root};

const BASELINES: &[&str] =
    &["cis-debian12", "cis-docker", "cis-pg", "devsec", "kspp", "mozilla", "neo23x0", "owasp", "ssh-audit"];

fn report(spec: &str, baseline: &str, extra: &[&str]) -> common::Run {
    pynoc().cwd(&root()).args(["report", spec, "--baseline", baseline]).args(extra).run()
}

#[test]
fn reference_example_against_every_baseline() {
    for b in BASELINES {
        let out = report("examples/pynomaly/spec.kdl", b, &[]).expect(0).stdout();
        insta::assert_snapshot!(format!("pynomaly-{b}"), out);
    }
}

fn item<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("no item {id}"))
}

fn json(spec: &str, baseline: &str) -> serde_json::Value {
    serde_json::from_str(&report(spec, baseline, &["--format", "json"]).expect(0).stdout()).unwrap()
}

/// Each weakening shows up at the items it breaks, with the spec's own words; what the spec
/// did not touch stays met; an option turned on meets the stricter baseline.
#[test]
fn weakened_settings_carry_their_reasons() {
    let spec = "tests/report/weakened.kdl";
    let cis = json(spec, "cis-debian12");
    let why = |j: &serde_json::Value, id: &str| -> String {
        let i = item(j, id);
        assert_eq!(i["status"], "not-met", "{id}: {i}");
        i["details"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect::<Vec<_>>().join(" | ")
    };
    assert!(why(&cis, "3.3.7").contains("asymmetric routes through the VPN gateway"));
    assert!(why(&cis, "3.3.11").contains("needs the option `ipv6-static`"));
    assert_eq!(item(&cis, "5.1.20")["status"], "met");
    assert!(why(&cis, "6.2.3.20").contains("the rules are still being tuned on this host"));
    assert!(why(&cis, "6.2.3.7").contains("the rule set `access` is not in the spec's `rules` line"));
    assert_eq!(item(&cis, "6.2.3.8")["status"], "met", "the identity set is listed");
    assert_eq!(item(&cis, "5.1.16")["status"], "met", "2 tries are within CIS's limit of the default 3");
    assert!(why(&cis, "5.1.5").contains("no `banner`"), "without a banner sshd shows none");
    assert_eq!(item(&cis, "1.1.1.10")["status"], "declined");
    assert_eq!(item(&cis, "5.1.2")["status"], "met", "the host play sets the host keys' modes");
    assert_eq!(item(&cis, "7.2.1")["status"], "met", "the host play checks the accounts");
    assert_eq!(item(&cis, "7.2.9")["status"], "declined");
    assert!(why(&cis, "5.3.3.1.1").contains("`lockout=8` allows more than 5 failures"));
    assert!(why(&cis, "5.3.3.3.1").contains("`history=5` remembers fewer than 24"));
    for met in ["5.3.2.2", "5.3.3.1.2", "5.3.2.4", "5.3.3.3.2", "5.3.3.4.1"] {
        assert_eq!(item(&cis, met)["status"], "met", "{met}: the module is there whatever its numbers");
    }
    let devsec = json(spec, "devsec");
    assert!(why(&devsec, "sysctl-30").contains("SysRq keys are our last resort"));
    assert!(why(&devsec, "sshd-27").contains("the backup appliance logs in with a password"));
    assert!(why(&devsec, "sshd-48").contains("a FIPS build ships its own moduli"));
    assert_eq!(item(&devsec, "sysctl-35")["status"], "met", "ptrace-off meets dev-sec's >= 2");
    let mozilla = json(spec, "mozilla");
    assert!(why(&mozilla, "openssh:AuthenticationMethods").contains("a password method is on"));
    let kspp = json(spec, "kspp");
    assert_eq!(item(&kspp, "kernel.yama.ptrace_scope")["status"], "met", "the option `ptrace-off` writes 3");
    // Every site must send the header: one site's reasoned change breaks the item.
    let owasp = json("examples/everything/spec.kdl", "owasp");
    assert!(why(&owasp, "Cross-Origin-Embedder-Policy").contains(
        "edge.example.com sends `Cross-Origin-Embedder-Policy: unsafe-none`: the pages embed images from a partner CDN"
    ));
    assert_eq!(item(&owasp, "X-Content-Type-Options")["status"], "met");
    // A waiver's reason reaches the item its code breaks.
    let mozilla = json("examples/everything/spec.kdl", "mozilla");
    assert!(why(&mozilla, "tls:http-redirect").contains(
        "waived E040 (hsts-without-redirect): `legacy.example.com` sends HSTS, but its plain-HTTP server does not redirect (reason: old embedded clients fetch the mirror over plain HTTP only)"
    ));
    assert_eq!(item(&json("examples/pynomaly/spec.kdl", "mozilla"), "tls:http-redirect")["status"], "met");
    // Neo23x0's rules: the sets off by default are options, not met until named.
    let neo = json("examples/pynomaly/spec.kdl", "neo23x0");
    assert!(why(&neo, "rootcmd").contains("the rule set `root-commands` is not in the spec's `rules` line"));
    assert_eq!(item(&neo, "detect_execve_www")["status"], "met");
    assert_eq!(item(&neo, "remote_shell")["status"], "declined");
    // PostgreSQL: pynoc's parameters unless the spec sets its own, TLS ones only with `ssl`.
    let pg = json("examples/pynomaly/spec.kdl", "cis-pg");
    assert!(why(&pg, "3.1.24").contains("the spec sets `log_line_prefix = '%t"));
    assert_eq!(item(&pg, "6.10")["status"], "met");
    assert_eq!(item(&pg, "3.1.26")["status"], "met");
    // Containers: a spec with no stack meets nothing there, and says so.
    let docker = json(spec, "cis-docker");
    assert!(why(&docker, "5.13").contains("the spec has no `compose` stack"));
    let docker = json("examples/pynomaly/spec.kdl", "cis-docker");
    assert_eq!(item(&docker, "5.26")["status"], "met");
    assert_eq!(item(&docker, "5.15")["status"], "declined");
    let s = &cis["summary"];
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(n("met") + n("not_met") + n("declined") + n("out_of_scope") + n("not_applicable"), n("total"));
    assert_eq!(n("total") as usize, cis["items"].as_array().unwrap().len());
    // Every item counts but a desktop's: declined and out-of-scope items are not met.
    assert_eq!(n("percent"), n("met") * 100 / (n("total") - n("not_applicable")));
    // CIS Debian 12 whole: 310 items, 249 of Level 1 server, 9 of them a desktop's.
    assert_eq!(n("total"), 310);
    let l = &s["level"];
    assert_eq!((l["name"].as_str(), l["total"].as_u64()), (Some("l1_server"), Some(249)));
    assert_eq!(l["applicable"].as_u64(), Some(240));
    assert_eq!(l["percent"].as_u64().unwrap(), l["met"].as_u64().unwrap() * 100 / 249);
}

#[test]
fn the_reference_example_meets_what_it_does_not_weaken() {
    let cis = json("examples/pynomaly/spec.kdl", "cis-debian12");
    let forwarding = item(&cis, "3.3.1");
    assert_eq!(forwarding["status"], "not-met");
    assert!(forwarding["details"][0].as_str().unwrap().contains("containers need forwarding"), "{forwarding}");
    for id in ["3.3.6", "3.3.7", "5.1.6", "5.1.12", "5.1.14", "5.1.15", "5.1.18", "5.1.1"] {
        assert_eq!(item(&cis, id)["status"], "met", "{id}");
    }
}

#[test]
fn min_fails_under_the_required_share() {
    let r = report("tests/report/weakened.kdl", "mozilla", &["--min", "90"]).expect(1);
    assert!(r.stderr().contains("under the required 90%"), "{}", r.stderr());
    assert!(r.stdout().contains("summary:"), "the report is printed before the verdict");
    report("tests/report/weakened.kdl", "mozilla", &["--min", "30"]).expect(0);
    report("tests/report/weakened.kdl", "mozilla", &["--min", "101"]).expect(2);
}

#[test]
fn a_spec_with_errors_gets_diagnostics_and_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.kdl");
    std::fs::write(&spec, "pynoc 1\nproject x\nhost {\n    ssh {\n        unset \"Port\" reason=\"no\"\n    }\n}\n")
        .unwrap();
    let r = pynoc().args(["report", spec.to_str().unwrap(), "--baseline", "cis-debian12"]).run().expect(1);
    assert!(r.stdout().is_empty(), "no report for a spec with errors:\n{}", r.stdout());
    assert!(r.stderr().contains("set with `port`") && r.stderr().contains("spec.kdl:5:"), "{}", r.stderr());
    let r = pynoc().args(["report", spec.to_str().unwrap(), "--baseline", "nist"]).run().expect(2);
    assert!(r.stderr().contains("cis-debian12"), "the known baselines are listed:\n{}", r.stderr());
}

#[test]
fn explain_names_the_settings_or_the_reason() {
    let out = pynoc().args(["explain", "cis-debian12:3.3.7"]).run().expect(0).stdout();
    assert!(out.contains("reverse path filtering") && out.contains("net.ipv4.conf.all.rp_filter = 1"), "{out}");
    let out = pynoc().args(["explain", "cis-debian12:5.1.5"]).run().expect(0).stdout();
    assert!(out.contains("Banner /etc/issue.net"), "{out}");
    let out = pynoc().args(["explain", "cis-debian12:1.1.2.3.2"]).run().expect(0).stdout();
    assert!(out.contains("pynoc declines it:") && out.contains("the installer"), "{out}");
    let out = pynoc().args(["explain", "devsec:sysctl-35"]).run().expect(0).stdout();
    assert!(out.contains("option `ptrace-admin-only`") && out.contains("option `ptrace-off`"), "{out}");
    pynoc().args(["explain", "cis-debian12:9.9.9"]).run().expect(2);
}

/// The table of the reference example's counts (docs/baselines.md) is what `pynoc report`
/// says, one row per baseline; the sysctl options' trade-offs are stated in the spec
/// language's page as in the data.
#[test]
fn readme_states_the_counts_and_tradeoffs() {
    let readme = std::fs::read_to_string(root().join("docs/baselines.md")).unwrap();
    let (_, table) = readme.split_once("<!-- baselines: examples/pynomaly/spec.kdl -->").expect("the baselines table");
    let rows: Vec<Vec<String>> = table
        .lines()
        .skip(3)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect())
        .collect();
    assert_eq!(rows.len(), BASELINES.len(), "one row per baseline");
    for row in rows {
        let j = json("examples/pynomaly/spec.kdl", &row[0]);
        let s = &j["summary"];
        let got: Vec<String> =
            ["met", "not_met", "declined", "out_of_scope"].iter().map(|k| s[*k].to_string()).collect();
        assert_eq!(row[2..6], got[..], "docs/baselines.md's counts for {}", row[0]);
    }
    // The README's sentence on CIS Debian 12, in words that wrap anywhere.
    let s = &json("examples/pynomaly/spec.kdl", "cis-debian12")["summary"];
    let want = format!(
        "The reference example meets {} of its {} items; of the {} Level 1 server items, {}",
        s["met"], s["total"], s["level"]["total"], s["level"]["met"]
    );
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let main_readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(words(&main_readme).contains(&want), "README.md should say: {want}");
    let profile: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("stdlib/sysctl/hardened.toml")).unwrap()).unwrap();
    let readme = std::fs::read_to_string(root().join("docs/spec-language.md")).unwrap();
    for o in profile["option"].as_array().unwrap() {
        let (name, tradeoff) = (o["name"].as_str().unwrap(), o["tradeoff"].as_str().unwrap());
        assert!(
            readme.contains(&format!("| `{name}` |")) && readme.contains(tradeoff),
            "docs/spec-language.md lacks option {name}"
        );
    }
}

fn json_of(spec: &str, baseline: &str) -> serde_json::Value {
    serde_json::from_str(&report(spec, baseline, &["--format", "json"]).stdout()).unwrap()
}

/// A benchmark written for one release says so when the spec's host runs another (text and
/// JSON), and says nothing when they agree; each benchmark's release is one pynoc knows.
#[test]
fn a_benchmark_for_another_release_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/pynomaly/spec.kdl")).unwrap();
    let trixie = text
        .replace("host release=debian-12 {", "host release=debian-13 {")
        .replace("nginx version=\"1.22\" ", "nginx ");
    assert_ne!(trixie, text);
    let spec = dir.path().join("spec.kdl");
    std::fs::write(&spec, trixie).unwrap();
    let spec = spec.to_str().unwrap();
    let out = report(spec, "cis-debian12", &[]).stdout();
    assert!(
        out.lines().nth(1).is_some_and(|l| l.starts_with(
            "note: this benchmark is written for Debian 12 (bookworm) and the spec's host runs Debian 13 (trixie)"
        )),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&report(spec, "cis-debian12", &["--format", "json"]).stdout()).unwrap();
    assert!(json["release_note"].as_str().is_some_and(|n| n.contains("Debian 13")), "{json}");
    // An item out of scope on Debian 12 only (its OpenSSL lacks the group) is judged on 13.
    let moz: serde_json::Value =
        serde_json::from_str(&report(spec, "mozilla", &["--format", "json"]).stdout()).unwrap();
    assert_eq!(item(&moz, "tls:x25519mlkem768")["status"], "met", "{moz}");
    assert_eq!(item(&json_of("examples/pynomaly/spec.kdl", "mozilla"), "tls:x25519mlkem768")["status"], "out-of-scope");
    // The same release, or a benchmark of no release: no note.
    assert!(!report("examples/pynomaly/spec.kdl", "cis-debian12", &[]).stdout().contains("note: this benchmark"));
    assert!(!report(spec, "mozilla", &[]).stdout().contains("note: this benchmark"));
}

/// CIS Debian 12 Level 1 (server) as a whole: on the reference example every item is met, not
/// met with the spec's reason, declined with pynoc's, or does not apply; none is left outside
/// what pynoc considered.
#[test]
fn every_level_1_server_item_is_decided() {
    let cis = json("examples/pynomaly/spec.kdl", "cis-debian12");
    let open: Vec<&str> = cis["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["level"].as_str().unwrap().split(',').any(|l| l == "l1_server"))
        .filter(|i| i["status"] == "out-of-scope")
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(open.is_empty(), "Level 1 server items out of scope: {open:?}");
    let declined = cis["items"].as_array().unwrap().iter().filter(|i| i["status"] == "declined");
    for i in declined {
        let why = i["details"].as_array().map(|d| d.len()).unwrap_or(0);
        assert!(why > 0, "{} is declined without a reason", i["id"]);
    }
}

/// `host profile=cis-l2`: Level 2's items met by what it writes, each not met at Level 1
/// with the profile named, and with the reason where the spec's host rules one out.
#[test]
fn level_2_is_a_profile_with_its_reasons() {
    let l2 = "tests/vm/level2/spec.kdl";
    let j = json(l2, "cis-debian12");
    for id in
        ["1.1.1.6", "1.3.1.4", "6.2.1.3", "6.2.1.4", "6.2.2.1", "6.2.2.2", "6.2.2.3", "6.2.2.4", "6.2.4.4", "6.2.4.8"]
    {
        assert_eq!(item(&j, id)["status"], "met", "{id}: {}", item(&j, id));
    }
    assert_eq!(j["summary"]["level2"]["total"], 310, "every item is a server's at one level");
    assert_eq!(j["summary"]["level2"]["name"], "l2_server");
    let reasons = |j: &serde_json::Value, id: &str| {
        let i = item(j, id);
        assert_eq!(i["status"], "not-met", "{id}: {i}");
        i["details"].to_string()
    };
    // Level 1, the default: each of Level 2's items says which profile it needs.
    let l1 = json("examples/pynomaly/spec.kdl", "cis-debian12");
    for id in ["6.2.2.2", "6.2.1.3", "6.2.4.8", "1.3.1.4"] {
        assert!(reasons(&l1, id).contains("cis-l2"), "{id}: {}", reasons(&l1, id));
    }
    // The reference runs containers: overlayfs stays loadable, and says why.
    assert!(reasons(&l1, "1.1.1.6").contains("containers"), "{}", reasons(&l1, "1.1.1.6"));
    // Level 2 with containers, and Level 2 without `apparmor` (whose GRUB drop-in carries audit=1).
    let text = std::fs::read_to_string(root().join(l2)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let variant = |name: &str, from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        let p = dir.path().join(name);
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
        json(p.to_str().unwrap(), "cis-debian12")
    };
    let docker = variant(
        "containers.kdl",
        "release=debian-12 profile=cis-l2",
        "release=debian-12 profile=cis-l2 containers=#true",
    );
    assert!(reasons(&docker, "1.1.1.6").contains("containers"), "{}", reasons(&docker, "1.1.1.6"));
    assert_eq!(item(&docker, "6.2.2.2")["status"], "met");
    let no_apparmor = variant("no-apparmor.kdl", "    apparmor\n", "");
    assert!(reasons(&no_apparmor, "6.2.1.3").contains("apparmor"), "{}", reasons(&no_apparmor, "6.2.1.3"));
    assert!(reasons(&no_apparmor, "1.3.1.4").contains("apparmor"), "{}", reasons(&no_apparmor, "1.3.1.4"));
}
