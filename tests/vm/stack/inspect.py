"""Run in the VM as root, in the compose file's directory: each service's container runs as
the generated compose file says (`docker inspect`), and its main process is so in the
kernel (/proc/PID/status). Prints PASS/FAIL lines for the VM proof."""

import json
import subprocess


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def report(ok, message):
    print(("PASS " if ok else "FAIL ") + message)


def check(name, svc):
    ids = sh("docker", "compose", "ps", "-q", name).split()
    if len(ids) != 1:
        return [f"{len(ids)} containers"]
    c = json.loads(sh("docker", "inspect", ids[0]))[0]
    hc = c["HostConfig"]
    problems = []

    def want(what, got, expected):
        if got != expected:
            problems.append(f"{what} is {got!r}, want {expected!r}")

    want("health", c["State"].get("Health", {}).get("Status"), "healthy")
    want("user", c["Config"]["User"], svc["user"])
    want("ReadonlyRootfs", hc["ReadonlyRootfs"], svc.get("read_only", False))
    want("CapDrop", sorted(hc["CapDrop"] or []), sorted(svc.get("cap_drop", [])))
    want("CapAdd", sorted(hc["CapAdd"] or []), sorted(svc.get("cap_add", [])))
    want("SecurityOpt", sorted(hc["SecurityOpt"] or []), sorted(svc.get("security_opt", [])))
    limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
    want("Memory", hc["Memory"], int(limits.get("memory", 0)))
    want("NanoCpus", hc["NanoCpus"], round(float(limits.get("cpus", 0)) * 1e9))
    want("PidsLimit", hc["PidsLimit"], limits.get("pids"))
    want("Tmpfs", hc["Tmpfs"] or {}, dict(t.partition(":")[::2] for t in svc.get("tmpfs", [])))
    published = sorted(
        f'{b["HostIp"]}:{b["HostPort"]}->{port}'
        for port, bindings in (c["NetworkSettings"]["Ports"] or {}).items()
        for b in bindings or []
    )
    wanted = sorted(
        f'{p.get("host_ip", "")}:{p["published"]}->{p["target"]}/{p.get("protocol", "tcp")}'
        for p in svc.get("ports", [])
    )
    want("published ports", published, wanted)
    # The kernel's view of the main process (PID 1 in the container).
    status = {}
    with open(f'/proc/{c["State"]["Pid"]}/status') as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.split()
    uid, gid = svc["user"].split(":")
    want("process uids", status["Uid"], [uid] * 4)
    want("process gids", status["Gid"], [gid] * 4)
    want("process NoNewPrivs", status["NoNewPrivs"], ["1"])
    if not svc.get("cap_add"):
        for cap in ("CapEff", "CapPrm", "CapBnd"):
            want(f"process {cap}", int(status[cap][0], 16), 0)
    return problems


def main():
    config = json.loads(sh("docker", "compose", "config", "--format", "json"))
    for name, svc in sorted(config["services"].items()):
        problems = check(name, svc)
        what = f'{name}: healthy, uid {svc["user"]}, read-only root, no capabilities, no-new-privileges, limits, tmpfs and ports as the compose file says'
        report(not problems, what if not problems else f"{name}: " + "; ".join(problems))


if __name__ == "__main__":
    main()
