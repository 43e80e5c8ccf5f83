//! What the nginx target version and the TLS options change in nginx.conf.

mod common;

use std::fs;

use common::example;

fn nginx_conf(replace: &[(&str, &str)]) -> String {
    let mut text = fs::read_to_string(example()).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "the example has no `{from}`");
        text = text.replace(from, to);
    }
    let c = pynoc::compile(&text, "spec.kdl")
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.render(false)).collect::<String>()));
    c.artifacts.iter().find(|a| a.name() == "nginx").unwrap().content.clone()
}

#[test]
fn http2_follows_the_target_version() {
    let old = nginx_conf(&[]);
    assert!(
        old.contains("listen 443 ssl http2;")
            && old.contains("listen [::]:443 ssl http2;")
            && !old.contains("http2 on;")
    );
    for version in ["1.25.1", "1.26.3", "1.27"] {
        let new = nginx_conf(&[("nginx version=\"1.22\"", &format!("nginx version=\"{version}\""))]);
        assert!(
            new.contains("listen 443 ssl;") && new.contains("listen [::]:443 ssl;") && new.contains("http2 on;"),
            "{version}"
        );
        assert!(!new.contains("ssl http2"), "{version}: deprecated listen parameter");
    }
    let before = nginx_conf(&[("nginx version=\"1.22\"", "nginx version=\"1.25.0\"")]);
    assert!(before.contains("listen 443 ssl http2;"));
}

#[test]
fn dhe_suites_only_with_a_dhparam_and_modern_is_tls13_only() {
    let plain = nginx_conf(&[]);
    assert!(!plain.contains(":DHE-RSA") && !plain.contains("ssl_dhparam"));
    assert!(
        plain.contains("ECDHE-ECDSA-AES128-GCM-SHA256") && plain.contains("ECDHE-RSA-AES128-GCM-SHA256"),
        "no suite for both key types"
    );
    assert!(!plain.contains("ssl_stapling") && !plain.contains("resolver "), "dead OCSP configuration");
    // DHE only in Server Side TLS 5.7 (5.8 dropped it): there, with a dhparam.
    let dh = nginx_conf(&[(
        "key=\"/etc/letsencrypt/live/api.pynomaly.com/privkey.pem\"",
        "key=\"/etc/letsencrypt/live/api.pynomaly.com/privkey.pem\" dhparam=\"/etc/nginx/ffdhe2048.pem\" guideline=\"5.7\"",
    )]);
    assert!(dh.contains("ssl_dhparam /etc/nginx/ffdhe2048.pem;") && dh.contains(":DHE-RSA-AES128-GCM-SHA256"));
    assert!(dh.contains("TLS: Mozilla Server Side TLS 5.7, intermediate profile"));
    assert!(plain.contains("TLS: Mozilla Server Side TLS 6.0, intermediate profile"), "6.0 is the default");
    // X25519MLKEM768 needs OpenSSL 3.5; Debian 12's 3.0 would make nginx refuse the config.
    assert!(plain.contains("ssl_ecdh_curve X25519:prime256v1:secp384r1;") && !plain.contains("MLKEM"));
    let modern = nginx_conf(&[("tls profile=intermediate", "tls profile=modern")]);
    assert!(modern.contains("ssl_protocols TLSv1.3;") && !modern.contains("ssl_ciphers"));
}

#[test]
fn zones_live_in_http_and_exact_paths_are_exact() {
    let conf = nginx_conf(&[]);
    let http = conf.find("http {").unwrap();
    let first_server = conf.find("server {").unwrap();
    for zone in conf.match_indices("limit_req_zone") {
        assert!(zone.0 > http && zone.0 < first_server, "limit_req_zone outside http{{}} before the servers");
    }
    assert!(conf.contains("location = /auth/login {"));
    assert!(conf.contains("location / {"));
    assert!(!conf.contains("more_clear_headers"), "a third-party directive without its module");
    let with_module =
        nginx_conf(&[("client-max-body-size=\"100m\" {", "client-max-body-size=\"100m\" {\n    module headers-more")]);
    assert!(with_module.contains("more_clear_headers Server;"));
}
