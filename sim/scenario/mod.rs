//! The scenario language: a world, commands on its hosts, apps, time, and
//! checks, in lines that read like the shell sessions they stand for.
//!
//! ```text
//! seed 7
//! host lan1 eth0 192.168.1.10/24 via 192.168.1.1
//! router fw eth0 192.168.1.1/24 eth1 203.0.113.1/24
//! host web eth0 203.0.113.20/24
//! link lan1:eth0 fw:eth0 delay 2ms loss 1%
//! on fw iptables -P FORWARD DROP
//! on fw iptables -A FORWARD -m state --state NEW,ESTABLISHED,RELATED -j ACCEPT
//! at 0 web tcp listen 80
//! at 10ms lan1 tcp connect 203.0.113.20:80 from-port 1234 send 2000
//! run 1s
//! on fw conntrack -L
//! expect fw conntrack count == 1
//! expect web saw tcp from 192.168.1.10:1234
//! ```
//!
//! World: `seed N`, `kernel linux-6|linux-2.4` (the Linux every box
//! behaves as), `host`, `router`, `bridge NAME PORT... [ADDR/LEN] [via GW]`
//! (a box whose ports are enslaved to `br0`; with br_netfilter on, bridged
//! IPv4 traverses iptables and `-m physdev` sees the ports), `link`, and
//! `include FILE` anywhere (its statements as if pasted there). Time:
//! `at T STATEMENT`, `every T STATEMENT` (a command or expect, repeated
//! while time runs), `run T`, `run until idle`.
//!
//! Links: `link A:IF B:IF [C:IF ...]` joins interfaces (two: a cable; more:
//! a switch) with `delay`, `rate`, `loss`, `dup`, `reorder`. Interfaces no
//! `link` line names are joined by subnet: all interfaces on the same
//! prefix share a segment, so small scenarios need no link lines at all.
//!
//! Commands: `on HOST COMMAND` runs a shell command on a host at the
//! current time. One that waits for the network (`iptables -L` without
//! `-n` looking up each address, `getent hosts ADDR`) holds the script
//! while the world runs on, and its output comes when it finishes
//! ([`job`]); `time CMD` prints bash's report of how long that took.
//! `on HOST echo TEXT > /etc/resolv.conf` (or `>>`, or `cat > FILE <<EOF`)
//! writes the files the host's resolver reads. `expect HOST output TEXT`
//! checks the last command's output. `HOST dns server [port N] [delay T]
//! [ptr ADDR NAME]... [a NAME ADDR]...` runs a nameserver.
//!
//! Apps: `at T HOST APP...` (or `HOST APP...` now) starts one on a host;
//! it reports its events as transcript lines `expect HOST app TEXT` finds.
//! - TCP: `tcp listen PORT [backlog N] [echo] [buffer N]`, `tcp connect
//!   ADDR:PORT [from-port N] [send N] [keep-open]`, `tcp clients N to
//!   ADDR:PORT [rate R] [send N] [buffer N]`;
//! - UDP and ICMP: `udp listen PORT [echo]`, `udp send ADDR:PORT
//!   [from-port N] [len N] [count N] [interval T]`, `ping ADDR [count N]
//!   [interval T]`;
//! - generators: `syn-flood|udp-flood ADDR:PORT [rate R] [count N] [len N]
//!   [from CIDR]`, `scan syn|connect|udp ADDR ports A-B[,C...] [rate R/s]
//!   [timeout T]`, `send PACKET-SPEC` (every field explicit, see
//!   [`crate::wire::spec`]; `fragment N` sends it as IP fragments);
//! - protocols: `ftp server PORT file NAME SIZE...`, `ftp get ADDR FILE
//!   [active|passive|epsv] [think T]`, `irc server [PORT]`, `irc client
//!   ...` with `dcc send|chat|resume`, `http server [PORT] [file /PATH
//!   SIZE]...`, `http get URL [host NAME]`, `http proxy PORT [resolve NAME
//!   ADDR]...` (an intercepting proxy reading SO_ORIGINAL_DST), `dns
//!   server ...`;
//! - multicast: `mcast join GROUP PORT [iface IF]`, `mcast send
//!   GROUP:PORT [count N] [interval T] [ttl N] [len N] [from-port N]`.
//!
//! [`lex`] splits lines as a shell does, [`parse()`] builds [`ast`]
//! statements with positions, [`run()`] drives a [`crate::world::World`] and
//! writes the transcript, [`shell`] answers the commands.

pub mod ast;
pub mod conntrack_cmd;
pub mod error;
mod files;
pub mod job;
pub mod lex;
mod names;
pub mod parse;
mod pipe;
pub mod run;
pub mod shell;

pub use error::ParseError;
pub use parse::{Include, Scenario, parse, parse_with};
pub use run::{Options, Outcome, run};
