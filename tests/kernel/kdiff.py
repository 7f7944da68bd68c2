#!/usr/bin/env python3
"""Runs IPv4 cases on the real kernel for tests/kernel_diff.rs.

Reads one JSON object on stdin:

    {"prefix": "nfsim-kd-1234",
     "cases": [{"name": "...",
                "box": {"ifaces": [{"name": "lan0", "addr": "192.168.1.1/24",
                                    "mac": "02:00:00:00:01:01", "mtu": 1500}, ...],
                        "routes": ["default via 203.0.113.254"],
                        "neighbours": [["192.168.1.10", "02:00:c0:a8:01:0a"], ...],
                        "sysctls": ["net.ipv4.ip_forward=1", ...]},
                "rules": "*filter\n...COMMIT\n" or null,
                "frames": [["lan0", "hex"], ...],
                "pauses": [[INDEX, MS], ...],
                "observe": false,
                "klog_prefixes": ["kd-syn: ", ...],
                "ct_max": null}, ...]}

For each case it builds three fresh namespaces, PREFIX-N-lan, PREFIX-N-box and
PREFIX-N-wan, joined by veth pairs (box iface NAME <-> wire end "w" + NAME in
the namespace named after the iface's first three letters), loads the case's
rules (iptables-restore text) in the box with iptables-legacy-restore, injects
the frames with AF_PACKET on the wire ends, captures what the box emits there
(direction "incoming" only) until 50 ms pass with nothing new, records
`iptables-legacy-save -c` in the box (comment lines dropped; only for a case
with rules), deletes the namespaces and prints one JSON line per case:
{"name": ..., "out": [["lan0", "hex"], ...], "save": "..." or null,
 "conntrack": "..." or null, "stats": "..." or null, "klog": [...] or null}
(frames in arrival order per interface, interfaces in the case's iface order).

A pause [INDEX, MS] sleeps MS milliseconds before frame INDEX is sent.

A case with "observe" also records, after its frames: `conntrack -L` in the
box (stdout lines, sorted), `conntrack -L expect` and /proc/net/nf_conntrack_expect
(lines sorted; "expect", "expect_proc"), `conntrack -S` (the per-CPU rows summed into one
line of name=value pairs) and the kernel log lines it produced: /dev/kmsg is
read from its end before the case, and afterwards every record whose text
starts with one of "klog_prefixes" is kept as "<LEVEL>text" (the printk
timestamp dropped). For as long as the run lasts, the global
net.netfilter.nf_log_all_netns is 1 (so LOG in the box's namespace prints);
its previous value is restored on exit, also on failure or SIGTERM.

"ct_max" sets the global net.netfilter.nf_conntrack_max (init namespace; it
is read-only in the others, and the limit is compared with each namespace's
own count) just before the frames and restores it as soon as they are
captured, also on failure.
"""

import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SILENCE = 0.05

libc = ctypes.CDLL(None, use_errno=True)
ROOT_NS = os.open("/proc/self/ns/net", os.O_RDONLY)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


class In:
    """Context: run in namespace NAME (or the initial one when None)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        if self.name is None:
            setns(ROOT_NS)
        else:
            fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
            try:
                setns(fd)
            finally:
                os.close(fd)

    def __exit__(self, *exc):
        setns(ROOT_NS)


def run(*argv, inp=None):
    r = subprocess.run(argv, input=inp, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r.stdout


def sysctl(key, value):
    path = "/proc/sys/" + key.replace(".", "/")
    with open(path, "w") as f:
        f.write(str(value))


def read_sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as f:
        return f.read().strip()


LOG_ALL_NETNS = "net.netfilter.nf_log_all_netns"
CT_MAX = "net.netfilter.nf_conntrack_max"


class Kmsg:
    """/dev/kmsg read from a mark: `mark()` skips to the end, `since()` gives
    the records printed after it as (level, text)."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)

    def mark(self):
        os.lseek(self.fd, 0, os.SEEK_END)

    def since(self):
        records = []
        while True:
            try:
                rec = os.read(self.fd, 16384)
            except BlockingIOError:
                return records
            except BrokenPipeError:  # overwritten while we read: go on from the oldest left
                continue
            head, _, text = rec.decode("utf-8", "replace").partition(";")
            text = text.split("\n", 1)[0]  # continuation lines (" KEY=value") follow
            records.append((int(head.split(",")[0]) & 7, text))

    def close(self):
        os.close(self.fd)


def ct_stats(text):
    """`conntrack -S`'s per-CPU rows summed: "found=0 invalid=1 ..." (in its order)."""
    total = {}
    for line in text.splitlines():
        for field in line.split():
            k, _, v = field.partition("=")
            if k != "cpu" and v:
                total[k] = total.get(k, 0) + int(v)
    return " ".join("%s=%d" % kv for kv in total.items())


def no_ipv6():
    for c in ("all", "default"):
        sysctl("net.ipv6.conf.%s.disable_ipv6" % c, 1)


def offloads_off(dev):
    run("ethtool", "-K", dev, "tx", "off", "rx", "off", "sg", "off", "tso", "off", "gso", "off", "gro", "off")


def wait_up(devs, deadline=2.0):
    """Waits until every device in this namespace has carrier (qdisc active)."""
    end = time.monotonic() + deadline
    for d in devs:
        while "LOWER_UP" not in run("ip", "-o", "link", "show", "dev", d):
            if time.monotonic() > end:
                raise RuntimeError("device %s has no carrier" % d)
            time.sleep(0.005)


def wire_ns(prefix, n, iface):
    return "%s-%d-%s" % (prefix, n, iface[:3])


def run_case(prefix, n, case, kmsg):
    box = "%s-%d-box" % (prefix, n)
    ifaces = case["box"]["ifaces"]
    wires = {i["name"]: wire_ns(prefix, n, i["name"]) for i in ifaces}
    names = [box] + list(wires.values())
    created = []
    socks = {}
    try:
        for ns in names:
            run("ip", "netns", "add", ns)
            created.append(ns)
            with In(ns):
                no_ipv6()
                sysctl("net.ipv4.ip_forward", 0)
        for i in ifaces:
            run("ip", "link", "add", i["name"], "netns", box, "type", "veth",
                "peer", "name", "w" + i["name"], "netns", wires[i["name"]])
        with In(box):
            lines = []
            for i in ifaces:
                lines.append("link set dev %s address %s mtu %d" % (i["name"], i["mac"], i["mtu"]))
                lines.append("addr add %s dev %s" % (i["addr"], i["name"]))
                lines.append("link set dev %s up" % i["name"])
            lines.append("link set dev lo up")
            for ip, mac in case["box"]["neighbours"]:
                dev = None
                for i in ifaces:
                    net, plen = i["addr"].split("/")
                    mask = (0xFFFFFFFF << (32 - int(plen))) & 0xFFFFFFFF
                    if int.from_bytes(socket.inet_aton(ip), "big") & mask == int.from_bytes(socket.inet_aton(net), "big") & mask:
                        dev = i["name"]
                if dev:
                    lines.append("neigh replace %s lladdr %s dev %s nud permanent" % (ip, mac, dev))
            for r in case["box"]["routes"]:
                lines.append("route add " + r)
            run("ip", "-batch", "-", inp="\n".join(lines) + "\n")
            for i in ifaces:
                offloads_off(i["name"])
                for c in ("all", "default", i["name"]):
                    sysctl("net.ipv4.conf.%s.rp_filter" % c, 0)
                    sysctl("net.ipv4.conf.%s.send_redirects" % c, 0)
                    sysctl("net.ipv4.conf.%s.accept_redirects" % c, 0)
            for line in case["box"]["sysctls"]:
                k, v = line.split("=", 1)
                sysctl(k.strip(), v.strip())
        for i in ifaces:
            w = "w" + i["name"]
            with In(wires[i["name"]]):
                run("ip", "link", "set", "dev", w, "mtu", str(i["mtu"]), "up")
                offloads_off(w)
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                s.bind((w, 0))
                s.setblocking(False)
                socks[i["name"]] = s
                wait_up([w])
        with In(box):
            wait_up([i["name"] for i in ifaces])
        # Anything from set-up (there should be nothing) is not the case's.
        drain(socks, 0.02)
        rules = case.get("rules")
        if rules is not None:
            with In(box):
                run("iptables-legacy-restore", inp=rules)
        observe = case.get("observe", False)
        if observe:
            kmsg.mark()
        pauses = dict(case.get("pauses", []))
        ct_max = case.get("ct_max")
        old_max = None
        try:
            if ct_max is not None:
                old_max = read_sysctl(CT_MAX)
                sysctl(CT_MAX, ct_max)
            for i, (dev, hexframe) in enumerate(case["frames"]):
                if i in pauses:
                    time.sleep(pauses[i] / 1000.0)
                socks[dev].send(bytes.fromhex(hexframe))
            got = drain(socks, SILENCE)
        finally:
            if old_max is not None:
                sysctl(CT_MAX, old_max)
        save = None
        if rules is not None:
            with In(box):
                text = run("iptables-legacy-save", "-c")
            save = "".join(l + "\n" for l in text.splitlines() if not l.startswith("#"))
        observed = {"conntrack": None, "stats": None, "klog": None, "expect": None, "expect_proc": None}
        if observe:
            with In(box):
                listing = run("conntrack", "-L")
                stats = run("conntrack", "-S")
                # Exit status and stderr vary with the count; stdout is the listing.
                expect = subprocess.run(["conntrack", "-L", "expect"], capture_output=True, text=True).stdout
                with open("/proc/net/nf_conntrack_expect") as f:
                    expect_proc = f.read()
            prefixes = tuple(case.get("klog_prefixes", []))
            observed = {
                "conntrack": "".join(l + "\n" for l in sorted(listing.splitlines())),
                "stats": ct_stats(stats),
                "expect": "".join(l + "\n" for l in sorted(expect.splitlines())),
                "expect_proc": "".join(l + "\n" for l in sorted(expect_proc.splitlines())),
                "klog": ["<%d>%s" % r for r in kmsg.since() if prefixes and r[1].startswith(prefixes)],
            }
        out = [[dev, f.hex()] for dev in [i["name"] for i in ifaces] for f in got.get(dev, [])]
        return out, save, observed
    finally:
        for s in socks.values():
            s.close()
        for ns in created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def drain(socks, silence):
    """Collects incoming frames until `silence` seconds pass with none."""
    got = {}
    by_fd = {s.fileno(): dev for dev, s in socks.items()}
    poll = select.poll()
    for fd in by_fd:
        poll.register(fd, select.POLLIN)
    while True:
        events = poll.poll(silence * 1000)
        if not events:
            return got
        for fd, _ in events:
            s = socks[by_fd[fd]]
            while True:
                try:
                    data, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                got.setdefault(by_fd[fd], []).append(data)


def on_sigterm(signum, frame):
    raise SystemExit("kdiff.py: terminated by signal %d" % signum)


def main():
    req = json.load(sys.stdin)
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGHUP, on_sigterm)
    kmsg = None
    old_log_all = None
    try:
        if any(c.get("observe") for c in req["cases"]):
            kmsg = Kmsg()
            old_log_all = read_sysctl(LOG_ALL_NETNS)
            sysctl(LOG_ALL_NETNS, 1)
        for n, case in enumerate(req["cases"]):
            out, save, observed = run_case(req["prefix"], n, case, kmsg)
            line = {"name": case["name"], "out": out, "save": save}
            line.update(observed)
            print(json.dumps(line), flush=True)
    finally:
        if old_log_all is not None:
            sysctl(LOG_ALL_NETNS, old_log_all)
        if kmsg is not None:
            kmsg.close()


if __name__ == "__main__":
    main()
