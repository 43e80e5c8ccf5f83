//! One rule list, four artifacts: `host/ufw.sh` (stdlib/ufw), `host/iptables.rules` and
//! `host/ip6tables.rules` (stdlib/iptables), `host/nftables.conf` (stdlib/nftables).

use minijinja::{Environment, Error, Value};

use super::{Artifact, Context, render};
use crate::ir::Firewall;

/// The firewall's artifacts and where each is installed.
pub(crate) const INSTALL: [(&str, &str); 4] = [
    ("ufw", "/usr/local/sbin/pynoc-ufw"),
    ("iptables", "/etc/iptables/rules.v4"),
    ("ip6tables", "/etc/iptables/rules.v6"),
    ("nftables", "/etc/nftables.conf"),
];

pub fn emit(env: &Environment, cx: &Context, f: &Firewall) -> Result<Vec<Artifact>, Error> {
    // Why containers run on the host, when they do: the forward chain and the way
    // iptables rules load depend on it.
    let containers = cx.spec.host.as_ref().and_then(|h| h.containers.clone());
    let noflush = if containers.is_some() { " --noflush" } else { "" };
    // Four templates read the same rules: they are turned into template values once.
    let f = &Value::from(minijinja::value::Serde(f));
    let tables = |name, path, install: &'static str, family: &str, restore: &str| -> Result<Artifact, Error> {
        let extra = [
            ("family", Value::from(family)),
            ("install", Value::from(install)),
            ("restore", Value::from(restore)),
            ("containers", Value::from(containers.clone())),
        ];
        Ok(Artifact {
            name,
            path,
            install,
            owner: "root:root",
            mode: "0640",
            how: "replace",
            apply: format!("{restore}{noflush} {install}"),
            env: vec![],
            content: render(env, "iptables/rules.j2", cx.header("#"), "fw", f, &extra)?,
        })
    };
    Ok(vec![
        Artifact {
            name: "ufw",
            path: "host/ufw.sh",
            install: INSTALL[0].1,
            owner: "root:root",
            mode: "0755",
            how: "run",
            apply: "sh /usr/local/sbin/pynoc-ufw".into(),
            env: vec![],
            content: render(env, "ufw/ufw.sh.j2", cx.header("#"), "fw", f, &[])?,
        },
        tables("iptables", "host/iptables.rules", INSTALL[1].1, "ipv4", "iptables-restore")?,
        tables("ip6tables", "host/ip6tables.rules", INSTALL[2].1, "ipv6", "ip6tables-restore")?,
        Artifact {
            name: "nftables",
            path: "host/nftables.conf",
            install: INSTALL[3].1,
            owner: "root:root",
            mode: "0755",
            how: "replace",
            // Enabled, nftables.service loads the file at boot; Debian 12 ships it disabled.
            apply: "nft -c -f /etc/nftables.conf && nft -f /etc/nftables.conf && systemctl enable nftables".into(),
            env: vec![],
            content: render(
                env,
                "nftables/nftables.conf.j2",
                cx.header("#"),
                "fw",
                f,
                &[("containers", Value::from(containers.clone()))],
            )?,
        },
    ])
}
