#!/bin/sh
# Regenerates the example conntrack-pressure reports in reports/.
# Usage: sh reports/generate.sh [NFSIM] (default: target/release/nfsim)
# Needs the shared bench generator beside the repository (../shared/bench)
# or BENCH=path/to/bench. Captures go to target/report-captures/ (a fixed
# path: the report names its capture, and must come out byte-identical).
set -eu
NFSIM=${1:-target/release/nfsim}
BENCH=${BENCH:-../shared/bench}
tmp=target/report-captures
mkdir -p "$tmp"

# 1. A SYN flood (20,000 SYNs from spoofed sources at ~100 kpps against the
#    DNATed web server) into a table of 4096 entries.
python3 "$BENCH/gen_pcaps.py" synflood -o "$tmp/synflood.pcap" --packets 20000
"$NFSIM" report pressure --replay "$tmp/synflood.pcap" \
    --rules "$BENCH/bench.rules" --iface lan0=192.168.1.1/24 --iface wan0=198.51.100.2/24 \
    --route 'default via 198.51.100.1' --sysctl net.ipv4.ip_forward=1 \
    --what-if nf_conntrack_max=4096 --interval 10ms --out reports/synflood

# 2. A UDP-heavy mix (DNS mostly, some TCP and ping) from a LAN through the
#    NAT router, 60 s, into a table of 2048 entries.
python3 "$BENCH/gen_pcaps.py" mixed -o "$tmp/mixed.pcap" --packets 20000 \
    --tcp-conns 40 --icmp-packets 1000 --duration-s 60
"$NFSIM" report pressure --replay "$tmp/mixed.pcap" \
    --rules "$BENCH/bench.rules" --iface lan0=192.168.1.1/24 --iface wan0=198.51.100.2/24 \
    --route 'default via 198.51.100.1' --sysctl net.ipv4.ip_forward=1 \
    --what-if nf_conntrack_max=2048 --interval 1s --out reports/udp-mix
