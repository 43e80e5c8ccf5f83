//! One rule list, four artifacts: `host/ufw.sh` (stdlib/ufw), `host/iptables.rules` and
//! `host/ip6tables.rules` (stdlib/iptables), `host/nftables.conf` (stdlib/nftables).

use minijinja::{Environment, Error, Value};

use super::{Artifact, Context, render};
use crate::artifact::Kind;
use crate::ir::Firewall;

pub(crate) fn emit(env: &Environment, cx: &Context, f: &Firewall) -> Result<Vec<Artifact>, Error> {
    // Why containers run on the host, when they do: the forward chain and the way
    // iptables rules load depend on it.
    let containers = cx.spec.host.as_ref().and_then(|h| h.containers.clone());
    let noflush = if containers.is_some() { " --noflush" } else { "" };
    // Four templates read the same rules: they are turned into template values once.
    let f = &Value::from(minijinja::value::Serde(f));
    let tables = |kind: Kind, family: &str, restore: &str| -> Result<Artifact, Error> {
        let install = kind.install(cx.spec);
        let extra = [
            ("family", Value::from(family)),
            ("install", Value::from(install)),
            ("restore", Value::from(restore)),
            ("containers", Value::from(containers.clone())),
        ];
        Ok(Artifact {
            kind,
            instance: None,
            install,
            apply: format!("{restore}{noflush} {install}"),
            env: vec![],
            content: render(env, cx, kind, "fw", f, &extra)?,
        })
    };
    Ok(vec![
        Artifact {
            kind: Kind::Ufw,
            instance: None,
            install: Kind::Ufw.install(cx.spec),
            apply: "sh /usr/local/sbin/pynoc-ufw".into(),
            env: vec![],
            content: render(env, cx, Kind::Ufw, "fw", f, &[])?,
        },
        tables(Kind::Iptables, "ipv4", "iptables-restore")?,
        tables(Kind::Ip6tables, "ipv6", "ip6tables-restore")?,
        Artifact {
            kind: Kind::Nftables,
            instance: None,
            install: Kind::Nftables.install(cx.spec),
            // Enabled, nftables.service loads the file at boot; Debian 12 ships it disabled.
            apply: "nft -c -f /etc/nftables.conf && nft -f /etc/nftables.conf && systemctl enable nftables".into(),
            env: vec![],
            content: render(env, cx, Kind::Nftables, "fw", f, &[("containers", Value::from(containers.clone()))])?,
        },
    ])
}
