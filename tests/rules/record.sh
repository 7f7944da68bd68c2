#!/usr/bin/env bash
# Record what iptables-legacy (and the kernel behind it) does with every case of a corpus.
#
#   record.sh corpus.txt > corpus.jsonl        record
#   record.sh --check corpus.jsonl [corpus.txt] re-record (corpus.txt defaults to the file
#                                               beside corpus.jsonl) and diff; exit 1 on any
#                                               difference
#
# Needs root, iptables-legacy, iptables-legacy-save, ip (iproute2), python3, /dev/kmsg.
# Every case runs in its own fresh network namespace nfsim-corpus-<pid>-<n>, deleted after
# the case (and on exit by the trap). See README.md beside this file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
    echo "usage: $0 corpus.txt > corpus.jsonl" >&2
    echo "       $0 --check corpus.jsonl [corpus.txt]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 2; }
for tool in iptables-legacy iptables-legacy-save ip python3; do
    command -v "$tool" >/dev/null || { echo "record.sh: $tool not found" >&2; exit 2; }
done

if [ "$1" = "--check" ]; then
    [ $# -ge 2 ] || usage
    jsonl="$2"
    corpus="${3:-$(dirname "$2")/corpus.txt}"
    tmp="$(mktemp /tmp/nfsim-corpus-check.XXXXXX)"
    trap 'rm -f "$tmp"' EXIT
    "$0" "$corpus" > "$tmp"
    if diff -u "$jsonl" "$tmp" >&2; then
        echo "record.sh --check: $(wc -l < "$tmp") cases, recordings identical" >&2
        exit 0
    fi
    echo "record.sh --check: recordings differ (see diff above)" >&2
    exit 1
fi

corpus="$1"
[ -r "$corpus" ] || { echo "record.sh: cannot read $corpus" >&2; exit 2; }

prefix="nfsim-corpus-$$"
old_rl="$(sysctl -n kernel.printk_ratelimit)"
old_burst="$(sysctl -n kernel.printk_ratelimit_burst)"

cleanup() {
    local ns
    sysctl -q -w kernel.printk_ratelimit="$old_rl" >/dev/null || true
    sysctl -q -w kernel.printk_ratelimit_burst="$old_burst" >/dev/null || true
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${prefix}-" || true); do
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The x_tables checkentry messages use pr_info_ratelimited(), whose state is per call site
# with fixed defaults (10 per 5 s): these sysctls only govern printk_ratelimit() users. We
# raise them anyway for the run (and restore them) and throttle ourselves (see below).
sysctl -q -w kernel.printk_ratelimit_burst=1000 >/dev/null
sysctl -q -w kernel.printk_ratelimit=0 >/dev/null

NFSIM_NS_PREFIX="$prefix" python3 - "$corpus" <<'PY'
import json, os, re, shlex, subprocess, sys, time, select

corpus_path = sys.argv[1]
ns_prefix = os.environ["NFSIM_NS_PREFIX"]
IPT = "iptables-legacy"
SAVE = "iptables-legacy-save"

# ---- corpus parsing -------------------------------------------------------------------
# Lines: blank or '#' comments are ignored; '## section' sets the id prefix; every other
# line is a case "SETUP ;; SETUP ;; RULE". ids are section-NNN, counted within a section.
cases = []
section = "misc"
counts = {}
with open(corpus_path, encoding="utf-8") as f:
    for lineno, raw in enumerate(f, 1):
        line = raw.rstrip("\n")
        s = line.strip()
        if not s:
            continue
        if s.startswith("## "):
            section = s[3:].strip().split()[0]
            continue
        if s.startswith("#"):
            continue
        parts = [p.strip() for p in s.split(";;")]
        try:
            argvs = [shlex.split(p) for p in parts]
        except ValueError as e:
            sys.exit(f"{corpus_path}:{lineno}: cannot split: {e}")
        if any(not a for a in argvs):
            sys.exit(f"{corpus_path}:{lineno}: empty command")
        counts[section] = counts.get(section, 0) + 1
        cid = f"{section}-{counts[section]:03d}"
        for a in argvs:
            short = [x for x in a if re.fullmatch(r"-[A-Za-z]+", x)]
            listing = "--list" in a or any("L" in x for x in short)
            numeric = "--numeric" in a or any("n" in x for x in short)
            if listing and not numeric:
                sys.exit(f"{corpus_path}:{lineno}: -L without -n would do DNS look-ups")
        cases.append((cid, lineno, argvs[:-1], argvs[-1]))

def table_of(args):
    t = "filter"
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-t", "--table") and i + 1 < len(args):
            t = args[i + 1]; i += 2; continue
        if a.startswith("--table="):
            t = a.split("=", 1)[1]
        elif a.startswith("-t") and len(a) > 2 and not a.startswith("--"):
            t = a[2:]
        i += 1
    return t

# ---- kernel log -----------------------------------------------------------------------
KEEP = re.compile(r"^(x_tables|ip_tables|xt_|ipt_|nf_|nf_conntrack|ip_set|xt_check)")
# A line about a packet (nf_ct_proto_N: ... IN=... OUT=...) comes from traffic,
# never from an iptables command: other tests' namespaces may be passing packets.
PACKET = re.compile(r" IN=\S* OUT=")
kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)

def kmsg_seek_end():
    os.lseek(kmsg, 0, os.SEEK_END)

def kmsg_read():
    out = []
    while True:
        try:
            rec = os.read(kmsg, 8192)
        except BlockingIOError:
            break
        except BrokenPipeError:          # overwritten records: skip on
            continue
        if not rec:
            break
        head, _, msg = rec.decode("utf-8", "replace").partition(";")
        fields = head.split(",")
        pri = int(fields[0])
        if pri >> 3 != 0:                # facility 0 = kernel; skip user-space writes
            continue
        msg = msg.split("\n", 1)[0]      # drop continuation (dict) lines
        if KEEP.match(msg) and not PACKET.search(msg):
            out.append(msg)
    return out

# pr_info_ratelimited: per call site, 10 per 5 s. Keep <= 8 kernel lines in any 5.5 s
# window overall (stricter than needed) so no line is ever swallowed.
recent_lines = []
slept = [0.0]
def throttle():
    while True:
        now = time.monotonic()
        while recent_lines and now - recent_lines[0] > 5.5:
            recent_lines.pop(0)
        if len(recent_lines) < 8:
            return
        d = 5.5 - (now - recent_lines[0]) + 0.05
        slept[0] += d
        time.sleep(d)

# ---- running --------------------------------------------------------------------------
ENV = dict(os.environ, LC_ALL="C", LANG="C")
ENV.pop("XTABLES_LIBDIR", None)

def run(ns, argv):
    p = subprocess.run(["ip", "netns", "exec", ns] + argv, capture_output=True, env=ENV,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

DROP_SAVE = re.compile(r"^# (Generated by|Completed on) ")

t0 = time.monotonic()
n_err = 0
for idx, (cid, lineno, setups, rule) in enumerate(cases):
    ns = f"{ns_prefix}-{idx}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for s in setups:
            rc, out, err = run(ns, [IPT, "-w"] + s)
            if rc != 0:
                sys.exit(f"{corpus_path}:{lineno} ({cid}): setup {shlex.join(s)!r} failed "
                         f"rc={rc}: {err.strip()}")
        throttle()
        kmsg_seek_end()
        rc, out, err = run(ns, [IPT, "-w"] + rule)
        time.sleep(0)  # printk is synchronous for /dev/kmsg readers
        klines = kmsg_read()
        now = time.monotonic()
        recent_lines.extend([now] * len(klines))
        for k in klines:
            if "callbacks suppressed" in k:
                sys.exit(f"{cid}: kernel log lines were rate-limited away: {k}")
        if rc != 0:
            n_err += 1
        table = table_of(rule)
        rec = {"id": cid, "table": table, "setup": setups, "args": rule, "exit": rc,
               "stdout": out, "stderr": err, "dmesg": klines}
        list_err = {}
        listings = [
            ("save", [SAVE, "-t", table]),
            ("S", [IPT, "-w", "-t", table, "-S"]),
            ("L", [IPT, "-w", "-t", table, "-L", "-n", "-v", "--line-numbers"]),
            ("Lx", [IPT, "-w", "-t", table, "-L", "-n", "-v", "-x"]),
            ("Ln", [IPT, "-w", "-t", table, "-L", "-n"]),
        ]
        for key, argv in listings:
            lrc, lout, lerr = run(ns, argv)
            if key == "save":
                lout = "".join(l for l in lout.splitlines(True) if not DROP_SAVE.match(l))
            rec[key] = lout
            if lrc != 0 or lerr:
                list_err[key] = {"exit": lrc, "stderr": lerr}
        if list_err:
            rec["list_errors"] = list_err
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)

sys.stdout.flush()
print(f"record.sh: {len(cases)} cases ({n_err} with non-zero exit) in "
      f"{time.monotonic() - t0:.1f} s ({slept[0]:.1f} s waiting for the printk rate limit)",
      file=sys.stderr)
PY
