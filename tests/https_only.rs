//! HTTPS-only hosts (issue 27): `http listen=#false` on every site leaves nginx without a
//! port 80, and the firewall check (E023) asks for 443 alone; one site with plain HTTP
//! still needs 80. ACME's webroot and `redirect` cannot go with it.

mod common;

use common::diags;

fn spec(sites: &[(&str, &str)], firewall: &str) -> String {
    let mut s = format!(
        "pynoc 1\nproject shop\nhost {{\n    firewall incoming=deny outgoing=allow routed=deny {{\n{firewall}    }}\n}}\nnginx {{\n    upstream app {{\n        server \"127.0.0.1:8000\"\n    }}\n"
    );
    for (name, extra) in sites {
        s.push_str(&format!(
            "    site {name} {{\n        tls cert=\"/etc/ssl/certs/{name}.pem\" key=\"/etc/ssl/private/{name}.key\"\n{extra}        location \"/\" proxy=app\n    }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

fn codes(text: &str) -> Vec<String> {
    match diags(text) {
        Ok(w) | Err(w) => w.iter().map(|d| d.kind.code().to_string()).collect(),
    }
}

const OFF: &str = "        http listen=#false\n";

#[test]
fn every_site_https_only_needs_only_443() {
    let fw = "        allow ssh\n        allow https\n";
    assert!(diags(&spec(&[("a.example", OFF), ("b.example", OFF)], fw)).is_ok());
    let c = pynoc::compile(&spec(&[("a.example", OFF)], fw), "spec.kdl").unwrap();
    let nginx = &c.artifacts.iter().find(|a| a.name() == "nginx").unwrap().content;
    assert!(!nginx.contains("listen 80") && !nginx.contains("[::]:80"), "{nginx}");
    // One site with plain HTTP: port 80 is back, and the firewall must open it.
    assert!(codes(&spec(&[("a.example", OFF), ("b.example", "")], fw)).contains(&"E023".to_string()));
    // 443 stays required.
    assert!(codes(&spec(&[("a.example", OFF)], "        allow ssh\n")).contains(&"E023".to_string()));
}

#[test]
fn acme_and_redirect_need_port_80() {
    let fw = "        allow ssh\n        allow https\n";
    let acme = format!("{OFF}        acme webroot=\"/var/www/letsencrypt\"\n");
    assert!(codes(&spec(&[("a.example", &acme)], fw)).contains(&"E034".to_string()));
    let redirect = "        http listen=#false redirect=#true\n";
    assert!(codes(&spec(&[("a.example", redirect)], fw)).contains(&"E034".to_string()));
}
