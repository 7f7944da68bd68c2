//! nfsim: a deterministic simulator of Linux netfilter, and a test harness on it.
//!
//! The crate is layered; dependencies point one way, from the wire up to the
//! command line. Each folder is one layer:
//!
//! **`engine`** owns time and chance: the virtual clock ([`engine::Instant`],
//! nanoseconds), the event queue ordered by `(time, seq)`, and seeded ChaCha
//! streams forked by name. Nothing else reads a clock or draws randomness.
//!
//! **`wire`** holds zero-copy views of the bytes on the wire (Ethernet with
//! 802.1Q, ARP, IPv4, TCP with its options, UDP, ICMP with its quoted
//! datagram) in smoltcp's pattern: a borrowed `Packet` view with getters and
//! setters over byte ranges, and an owned `Repr` that parses and emits.
//! Checksums, full and incremental (RFC 1624), live here too.
//!
//! **`skb`** is the packet in flight, the role of the kernel's `sk_buff`: the
//! frame's bytes, where each header starts, and the metadata the stack and
//! netfilter attach (ingress and egress interface, mark).
//!
//! **`pcap`** reads and writes capture files: classic pcap and pcapng,
//! streaming in constant memory, link types Ethernet, Linux cooked (SLL, SLL2)
//! and raw IPv4. Damage is reported with its byte offset and packet index.
//!
//! **`ruleset`** is the model of tables, chains and rules as iptables has
//! them: the `iptables-restore` format and `iptables` argv parsers, the
//! validation iptables and the kernel's checkentry do (with their words), the
//! printers (`iptables-save`, `-S`, `-L`), and chain traversal with counters.
//!
//! **`xt`** holds the match and target extensions, one file each: how each
//! parses, prints, validates and evaluates against a packet.
//!
//! **`klog`** is a box's kernel log: printk levels, the log buffer with its
//! console (`kernel.printk`) and syslog readers in virtual time, the kernel's
//! rate limiters (`net_ratelimit`, `printk_ratelimited`) with their
//! "callbacks suppressed" lines, and the exact text of LOG target lines.
//! **`conntrack`** is connection tracking, the kernel's `nf_conntrack`: the
//! tuples, the table (a slab of compact entries, buckets with two chains per
//! entry, `nf_conntrack_max` with early drop), expiry in virtual time by a
//! timer wheel linked through the entries, the protocol trackers (UDP, ICMP, generic, a placeholder TCP),
//! confirmation at the last hook, and the `conntrack -L`/`-S` and /proc text.
//!
//! **`kernel`** holds what is configured rather than computed: sysctls with
//! Linux's defaults and names.
//!
//! **`nat`** is NAT as `nf_nat` does it: the binding a NAT rule makes on a
//! connection's first packet (the kernel's tuple choice: address by jhash,
//! port search, null bindings), and the rewriting of every later packet and
//! of ICMP errors about it, with incremental checksums.
//!
//! **`netfilter`** is the hook pipeline of one box: the hooks at the kernel's
//! priorities, through which every packet passes.
//!
//! **`net`** is the box's own IPv4 stack around the hooks: interfaces and their
//! addresses, routes, neighbours, local delivery and forwarding (TTL, ICMP
//! errors), in the order `ip_rcv` → PREROUTING → routing → INPUT or FORWARD →
//! POSTROUTING → transmit; and Linux bridges, whose bridged IPv4 frames pass
//! the same hooks when br_netfilter asks for it.
//!
//! **`apps`** is what runs on simulated hosts: TCP endpoints on smoltcp
//! sockets driven by virtual time, UDP, ping, floods, crafted packets. They
//! send through the host's OUTPUT path and receive through its socket demux.
//!
//! **`world`** is the discrete-event simulation: hosts and routers (each a
//! whole box), links with delay, bandwidth, loss, duplication and
//! reordering, ARP, and the event loop that skips idle time; it writes the
//! transcript's records.
//!
//! **`scenario`** is the scenario language: a shell-like lexer with
//! heredocs, a parser whose errors name file:line:column with a caret, and
//! the runner that drives a world and checks `expect` lines.
//!
//! **`report`** watches a box's conntrack in virtual time while a capture
//! or scenario runs, re-runs the same traffic under what-if sysctls, and
//! draws the plots and the HTML/JSON of `nfsim report pressure`.
//!
//! **`cli`** is the only layer that touches files, the terminal, the
//! environment or the wall clock: one file per subcommand.

pub mod apps;
pub mod cli;
pub mod conntrack;
pub mod engine;
pub mod kernel;
pub mod klog;
pub mod nat;
pub mod net;
pub mod netfilter;
pub mod pcap;
pub mod report;
pub mod ruleset;
pub mod scenario;
pub mod skb;
pub mod wire;
pub mod world;
pub mod xt;
