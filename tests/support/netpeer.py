"""Test peer for the firewall behaviour test.

`serve PORT...`: listen on TCP (IPv4 and IPv6) on each port and echo UDP on each port,
until killed. `probe SPEC...`: each SPEC is `proto,src,dst,port`; prints one line per
probe, `open` or `closed`, after a 1 s timeout at most.
"""
import selectors
import socket
import sys


def serve(ports):
    sel = selectors.DefaultSelector()
    for port in ports:
        t = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=64)
        t.setblocking(False)
        sel.register(t, selectors.EVENT_READ, "tcp")
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        u.bind(("::", port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, "udp")
    print("ready", flush=True)
    while True:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                if key.data == "tcp":
                    c, _ = s.accept()
                    c.close()
                else:
                    data, addr = s.recvfrom(512)
                    s.sendto(data, addr)
            except OSError:
                pass


def probe(specs):
    for spec in specs:
        proto, src, dst, port = spec.split(",")
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(fam, kind)
        s.settimeout(1.0)
        s.bind((src, 0))
        try:
            if proto == "tcp":
                s.connect((dst, int(port)))
            else:
                s.sendto(b"ping", (dst, int(port)))
                s.recvfrom(512)
            print("open", flush=True)
        except OSError:
            print("closed", flush=True)
        finally:
            s.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve([int(p) for p in sys.argv[2:]])
    else:
        probe(sys.argv[2:])
