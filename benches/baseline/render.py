#!/usr/bin/env python3
"""The renderer a user would run instead of pynoc: jinja2 in one Python process, rendering
the reference stack's 14 files from JSON data (benches/scale.py data N), validating nothing.

    python3 render.py DATA.json OUT_DIR
"""

import json
import sys
from pathlib import Path

import jinja2

T = {
    "host/sysctl.conf": "{% for k, v in sysctl.items() %}{{ k }} = {{ v }}\n{% endfor %}",
    "host/sshd_config": "Port {{ ssh.port }}\nPermitRootLogin no\nPasswordAuthentication no\n"
    "AllowUsers {{ ssh.allow_users | join(' ') }}\nClientAliveInterval {{ ssh.interval }}\n"
    "ClientAliveCountMax {{ ssh.count_max }}\n",
    "host/jail.local": "[DEFAULT]\nbantime = {{ fail2ban.bantime }}\nfindtime = {{ fail2ban.findtime }}\n"
    "{% for name, retry in fail2ban.jails %}\n[{{ name }}]\nenabled = true\nmaxretry = {{ retry }}\n{% endfor %}",
    "host/audit.rules": "-D\n-b 8192\n-f 1\n{% for w in watches %}-w {{ w.path }} -p {{ w.perms }} -k {{ w.key }}\n"
    "{% endfor %}-e 2\n",
    "host/ufw.sh": "#!/bin/sh\nset -eu\nufw --force reset\nufw default deny incoming\n"
    "{% for r in rules %}ufw allow proto {{ r.proto }} from {{ r.from }} to any port {{ r.port }} "
    "comment '{{ r.comment }}'\n{% endfor %}ufw --force enable\n",
    "host/iptables.rules": "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "{% for r in rules %}-A INPUT -p {{ r.proto }} -s {{ r.from }} --dport {{ r.port }} -m comment "
    "--comment \"{{ r.comment }}\" -j ACCEPT\n{% endfor %}COMMIT\n",
    "host/ip6tables.rules": "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "{% for r in rules %}-A INPUT -p {{ r.proto }} --dport {{ r.port }} -m comment "
    "--comment \"{{ r.comment }}\" -j ACCEPT\n{% endfor %}COMMIT\n",
    "host/nftables.conf": "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n"
    "{% for r in rules %}    ip saddr {{ r.from }} {{ r.proto }} dport {{ r.port }} accept comment \"{{ r.comment }}\"\n"
    "{% endfor %}  }\n}\n",
    "host/fstab": "{% for path, size in tmpfs %}tmpfs {{ path }} tmpfs defaults,nosuid,nodev,noexec"
    "{% if size %},size={{ size }}{% endif %} 0 0\n{% endfor %}",
    "nginx/nginx.conf": "http {\n  server {\n    listen 443 ssl;\n    server_name {{ domain }};\n"
    "{% for l in locations %}    location {{ l.path }} {\n      limit_req zone={{ l.zone }} burst={{ l.burst }} nodelay;\n"
    "      proxy_pass http://backend;\n    }\n{% endfor %}  }\n}\n",
    "postgres/security.sql": "{% for r in roles %}CREATE ROLE {{ r }} LOGIN;\n{% endfor %}"
    "{% for t in tables %}ALTER TABLE {{ t }} ENABLE ROW LEVEL SECURITY;\n{% endfor %}",
    "postgres/pg_hba.conf": "local all postgres peer\n{% for r in roles %}hostssl {{ project }} {{ r }} {{ internal }} scram-sha-256\n{% endfor %}",
    "container/Dockerfile": "FROM python:3.11-slim-bookworm\nUSER 1001:1001\nEXPOSE 8000\n",
    "container/docker-compose.yml": "services:\n  {{ project }}-api:\n    image: {{ project }}-api\n    read_only: true\n",
}


def main():
    data = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    for path, source in T.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(env.from_string(source).render(**data))


if __name__ == "__main__":
    main()
