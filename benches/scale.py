#!/usr/bin/env python3
"""pynoc at scale, against the renderer a user would otherwise run.

    python3 benches/scale.py gen N            the reference spec grown by N (stdout)
    python3 benches/scale.py data N           the same data as JSON, for the jinja2 baseline
    python3 benches/scale.py run [--sizes …]  the table in benches/README.md

A spec of size N is examples/pynomaly/spec.kdl plus N firewall rules (TCP ports from 1024,
then UDP), N audit watches and N/10 nginx locations: the three lists that grow in a real
spec. Each command is a whole process, timed by wall clock (median of --runs, the commands
alternated so that both see the same machine), its peak memory read from the kernel
(ru_maxrss of that child, by os.wait4). Nothing here fails on a slow machine.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "pynomaly" / "spec.kdl"
BASELINE = ROOT / "benches" / "baseline" / "render.py"


# The reference spec's own ports: a generated rule on one of them would be shadowed (E021).
TAKEN = {3000, 5432, 6379, 8000, 9090, 9093}
PORTS = [p for p in range(1024, 65536) if p not in TAKEN]


def rule(i):
    """The i-th generated rule's protocol and port: every TCP port from 1024, then UDP."""
    if i >= 2 * len(PORTS):
        sys.exit(f"scale.py: at most {2 * len(PORTS)} distinct rules")
    return ("tcp", PORTS[i]) if i < len(PORTS) else ("udp", PORTS[i - len(PORTS)])


def spec(n):
    """The reference spec with n rules, n watches and n // 10 locations."""
    text = REFERENCE.read_text()
    rules = "".join(
        f'        allow {port} proto={proto} from=internal comment="svc{i}"\n'
        for i, (proto, port) in ((i, rule(i)) for i in range(n))
    )
    watches = "".join(f'        watch "/etc/app/conf{i}.yml" perms=wa key=app-config\n' for i in range(n))
    locations = "".join(
        f'        location "/api/v{i}" proxy=pynomaly_backend zone=api burst=20\n' for i in range(n // 10)
    )
    anchors = [
        ('        allow 9093 from=internal comment=AlertManager\n', rules),
        ('        watch "/etc/nftables.conf" perms=wa key=firewall-config\n', watches),
        ('        location "/auth/login" proxy=pynomaly_backend zone=login burst=5\n', locations),
    ]
    for anchor, extra in anchors:
        if anchor not in text:
            sys.exit(f"scale.py: the reference spec no longer has the line {anchor.strip()!r}")
        text = text.replace(anchor, anchor + extra, 1)
    return text


def data(n):
    """What the jinja2 baseline renders: the reference stack's values and the same lists."""
    return {
        "project": "pynomaly",
        "domain": "api.pynomaly.com",
        "internal": "10.0.0.0/8",
        "ssh": {"port": 22, "allow_users": ["pynomaly"], "interval": 300, "count_max": 2},
        "fail2ban": {"bantime": "1h", "findtime": "10m", "maxretry": 3,
                     "jails": [["sshd", 3], ["nginx-http-auth", 3], ["nginx-limit-req", 10]]},
        "rules": [{"port": p, "proto": pr, "from": "10.0.0.0/8", "comment": c}
                  for p, pr, c in [(22, "tcp", "ssh"), (80, "tcp", "http"), (443, "tcp", "https"),
                                   (8000, "tcp", "API"), (5432, "tcp", "PostgreSQL")]]
        + [{"port": port, "proto": proto, "from": "10.0.0.0/8", "comment": f"svc{i}"}
           for i, (proto, port) in ((i, rule(i)) for i in range(n))],
        "watches": [{"path": p, "perms": "wa", "key": k} for p, k in
                    [("/etc/nginx/nginx.conf", "nginx-config"), ("/etc/fail2ban/jail.local", "fail2ban-config")]]
        + [{"path": f"/etc/app/conf{i}.yml", "perms": "wa", "key": "app-config"} for i in range(n)],
        "locations": [{"path": "/", "zone": "api", "burst": 20}, {"path": "/auth/login", "zone": "login", "burst": 5}]
        + [{"path": f"/api/v{i}", "zone": "api", "burst": 20} for i in range(n // 10)],
        "sysctl": {f"net.ipv4.conf.all.key{i}": i % 2 for i in range(60)},
        "tmpfs": [["/tmp", "2G"], ["/var/tmp", "1G"], ["/dev/shm", None]],
        "roles": ["pynomaly_app", "pynomaly_monitor"],
        "tables": ["detectors", "datasets", "detection_results"],
    }


def run_once(cmd, cwd=None):
    """Wall seconds and peak resident MiB of one process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"scale.py: {' '.join(map(str, cmd))} exited {code}:\n{err}")
    return wall, usage.ru_maxrss / 1024


def measure(commands, runs):
    """Each command's median wall time and largest peak memory, the commands alternated."""
    times = {name: [] for name in commands}
    peaks = {name: 0.0 for name in commands}
    for _ in range(runs):
        for name, (cmd, before) in commands.items():
            if before:
                before()
            wall, peak = run_once(cmd)
            times[name].append(wall)
            peaks[name] = max(peaks[name], peak)
    return {name: (statistics.median(times[name]), peaks[name]) for name in commands}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    for name in ("gen", "data"):
        g = sub.add_parser(name)
        g.add_argument("n", type=int)
    r = sub.add_parser("run")
    r.add_argument("--pynoc", default=str(ROOT / "target" / "release" / "pynoc"))
    r.add_argument("--sizes", default="0,1000,10000,100000")
    r.add_argument("--runs", type=int, default=5)
    r.add_argument("--no-baseline", action="store_true", help="skip jinja2 (not installed)")
    args = ap.parse_args()
    if args.what == "gen":
        sys.stdout.write(spec(args.n))
        return
    if args.what == "data":
        json.dump(data(args.n), sys.stdout)
        return

    pynoc = Path(args.pynoc)
    if not pynoc.exists():
        sys.exit(f"scale.py: no {pynoc}: run `cargo build --release` first")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"pynoc: {subprocess.run([pynoc, '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"method: whole processes, median of {args.runs} wall times, commands alternated; peak = max ru_maxrss\n")
    with tempfile.TemporaryDirectory(prefix="pynoc-ref-") as tmp:
        tmp = Path(tmp)
        ref_out, copy = tmp / "out", tmp / "copy"
        subprocess.run([pynoc, "build", REFERENCE, "-o", ref_out], check=True, capture_output=True)
        m = measure({
            "build": ([pynoc, "build", REFERENCE, "-o", ref_out], None),
            "cp -r": (["cp", "-r", ref_out, copy], lambda: shutil.rmtree(copy, ignore_errors=True)),
            "check": ([pynoc, "check", REFERENCE], None),
            "true": (["true"], None),
        }, max(args.runs, 11))
        print("reference stack (examples/pynomaly):")
        print(f"- `pynoc build` {m['build'][0] * 1e3:.1f} ms, `cp -r` of its output {m['cp -r'][0] * 1e3:.1f} ms: "
              f"{m['build'][0] / m['cp -r'][0]:.1f}×")
        print(f"- `pynoc check` {m['check'][0] * 1e3:.1f} ms, `true` {m['true'][0] * 1e3:.1f} ms: "
              f"{m['check'][0] / m['true'][0]:.1f}×\n")
    print("| size | spec | `pynoc check` | `pynoc build` | peak | jinja2 (one process) | peak | build / jinja2 | ms per 1,000 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="pynoc-scale-") as tmp:
        tmp = Path(tmp)
        for n in [int(s) for s in args.sizes.split(",")]:
            s = tmp / f"spec-{n}.kdl"
            s.write_text(spec(n))
            d = tmp / f"data-{n}.json"
            d.write_text(json.dumps(data(n)))
            out, base_out = tmp / f"out-{n}", tmp / f"jinja-{n}"
            commands = {
                "check": ([pynoc, "check", s], None),
                "build": ([pynoc, "build", s, "-o", out], lambda: shutil.rmtree(out, ignore_errors=True)),
            }
            if not args.no_baseline:
                commands["jinja2"] = ([sys.executable, BASELINE, d, base_out], None)
            m = measure(commands, args.runs)
            build, peak = m["build"]
            j, jpeak = m.get("jinja2", (None, None))
            per = f"{build / n * 1e6:.1f}" if n else "–"
            ratio = f"1/{j / build:.1f}" if j else "–"
            print(
                f"| {n:,} | {s.stat().st_size / 1e6:.2f} MB | {m['check'][0] * 1e3:.1f} ms | {build * 1e3:.1f} ms "
                f"| {peak:.1f} MiB | {f'{j * 1e3:.0f} ms' if j else '–'} | {f'{jpeak:.1f} MiB' if j else '–'} | {ratio} | {per} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
