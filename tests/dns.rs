//! The resolver's cost in virtual time, as `time iptables -L` shows it:
//! glibc's `res_send` loop over one to three nameservers, its timeouts and
//! attempts, and the cases that end a wait at once (an ICMP error, a send
//! the box's own OUTPUT chain refuses, no nameserver configured at all).
//! Each scenario lists one rule naming one address unless it says so.

use nfsim::scenario::{self, Options};
use nfsim::world::report::render_text;

/// A box `fw` (192.0.2.1) with `rules`, a `/etc/resolv.conf` of `conf`
/// (none when empty), nameserver hosts ns1..ns3 (192.0.2.53-55) running
/// what `servers` says, then `time iptables -L`. Returns the transcript.
fn listing(conf: &str, servers: &str, rules: &str) -> String {
    let mut s = String::from(
        "seed 3\nhost fw eth0 192.0.2.1/24\nhost ns1 eth0 192.0.2.53/24\nhost ns2 eth0 192.0.2.54/24\n\
         host ns3 eth0 192.0.2.55/24\n",
    );
    s.push_str(servers);
    for line in conf.lines() {
        s.push_str(&format!("on fw echo \"{line}\" >> /etc/resolv.conf\n"));
    }
    s.push_str(rules);
    s.push_str("run 1s\non fw time iptables -L INPUT\n");
    let parsed = scenario::parse(&s, "dns.nfs").expect("parses");
    let out = scenario::run(&parsed, &Options::default()).expect("runs");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    render_text(&out.records)
}

/// The `real` line of the last `time`.
fn real(transcript: &str) -> &str {
    transcript.lines().rev().find(|l| l.starts_with("real\t")).expect("a time report")
}

const ONE_RULE: &str = "on fw iptables -A INPUT -s 198.51.100.80 -j DROP\n";
/// Servers that get the query and never answer (their firewall drops it: no ICMP).
const SILENT: &str = "on ns1 iptables -A INPUT -p udp --dport 53 -j DROP\non ns2 iptables -A INPUT -p udp --dport 53 -j DROP\n\
                      on ns3 iptables -A INPUT -p udp --dport 53 -j DROP\n";
const ZONE: &str = "ptr 198.51.100.80 www.example.net";

#[test]
fn one_silent_server_costs_timeout_times_attempts() {
    let t = listing("nameserver 192.0.2.53", SILENT, ONE_RULE);
    assert_eq!(real(&t), "real\t0m10.000s", "{t}");
    // Both tries from the same socket: one port, one conntrack entry.
    let drops: Vec<&str> = t.lines().filter(|l| l.contains("ns1: eth0 dropped")).collect();
    assert_eq!(drops.len(), 2, "{t}");
    let port = |l: &str| l.split(' ').nth(6).map(str::to_string);
    assert_eq!(port(drops[0]), port(drops[1]), "{t}");
    assert!(t.contains("DROP       all  --  198.51.100.80        anywhere"), "{t}");
}

#[test]
fn three_silent_servers_wait_5_3_and_6_seconds_per_round() {
    // timeout << ns, divided by the server count after the first: 5, 10/3, 20/3.
    let t = listing("nameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 192.0.2.55", SILENT, ONE_RULE);
    assert_eq!(real(&t), "real\t0m28.000s", "{t}");
    // A fourth nameserver is ignored (MAXNS).
    let four = "nameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 192.0.2.55\nnameserver 192.0.2.99";
    assert_eq!(real(&listing(four, SILENT, ONE_RULE)), "real\t0m28.000s");
}

#[test]
fn options_timeout_and_attempts_change_the_cost() {
    let t = listing("nameserver 192.0.2.53\noptions timeout:1 attempts:3", SILENT, ONE_RULE);
    assert_eq!(real(&t), "real\t0m3.000s", "{t}");
    // With three servers and timeout:1 each wait rounds down to 0, made 1 s.
    let three = "nameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 192.0.2.55\noptions timeout:1";
    assert_eq!(real(&listing(three, SILENT, ONE_RULE)), "real\t0m6.000s");
    // Capped at 30 s and 5 attempts; attempts:0 sends nothing.
    let t = listing("nameserver 192.0.2.53\noptions timeout:99 attempts:9", SILENT, ONE_RULE);
    assert_eq!(real(&t), "real\t2m30.000s", "{t}");
    let t = listing("nameserver 192.0.2.53\noptions attempts:0", SILENT, ONE_RULE);
    assert_eq!(real(&t), "real\t0m0.000s", "{t}");
    assert!(!t.contains("ns1: eth0 dropped"), "{t}");
}

#[test]
fn port_unreachable_moves_on_at_once() {
    // ns1 runs no nameserver: its stack answers port unreachable, glibc
    // goes to ns2 without waiting; ns2 is silent and waits (10 << 1) / 2 s.
    let silent2 = "on ns2 iptables -A INPUT -p udp --dport 53 -j DROP\n";
    let t = listing("nameserver 192.0.2.53\nnameserver 192.0.2.54", silent2, ONE_RULE);
    assert_eq!(real(&t), "real\t0m10.000s", "{t}");
    // Refused everywhere: no wait at all, only round trips.
    let t = listing("nameserver 192.0.2.53", "", ONE_RULE);
    assert!(real(&t).starts_with("real\t0m0.00"), "{t}");
}

#[test]
fn without_resolv_conf_the_loopback_nameserver_refuses_at_once() {
    let t = listing("", "", ONE_RULE);
    assert_eq!(real(&t), "real\t0m0.000s", "{t}");
}

#[test]
fn a_nameserver_nobody_has_costs_the_arp_timeouts() {
    // 192.0.2.99 is on the segment but no host has it: ARP gives up after
    // three requests ~1.024 s apart (the timer wheel's rounding of 1 s) and
    // the host-unreachable error ends the wait, in both rounds.
    let t = listing("nameserver 192.0.2.99", "", ONE_RULE);
    assert_eq!(real(&t), "real\t0m6.136s", "{t}");
}

#[test]
fn a_query_the_box_itself_drops_fails_at_once() {
    // OUTPUT drops it: sendto fails (EPERM) and glibc moves on.
    let rules = format!("{ONE_RULE}on fw iptables -A OUTPUT -p udp --dport 53 -j DROP\n");
    let t = listing("nameserver 192.0.2.53", SILENT, &rules);
    assert_eq!(real(&t), "real\t0m0.000s", "{t}");
}

#[test]
fn answers_give_names_and_every_printed_address_is_asked_again() {
    let servers = format!("at 0 ns1 dns server {ZONE}\n");
    let rules = format!("{ONE_RULE}on fw iptables -A INPUT -d 198.51.100.80 -j DROP\n");
    let t = listing("nameserver 192.0.2.53", &servers, &rules);
    assert!(t.contains("DROP       all  --  www.example.net      anywhere"), "{t}");
    assert!(t.contains("DROP       all  --  anywhere             www.example.net"), "{t}");
    assert_eq!(t.matches("ns1: dns query PTR 80.100.51.198.in-addr.arpa").count(), 2, "{t}");
}

#[test]
fn a_slow_answer_to_the_first_try_is_taken_after_the_retry() {
    // The answer takes 6 s; the retry at 5 s goes out on the same socket,
    // with the same id, so the first answer, arriving at 6 s, is accepted.
    let servers = format!("at 0 ns1 dns server delay 6s {ZONE}\n");
    let t = listing("nameserver 192.0.2.53", &servers, ONE_RULE);
    assert!(real(&t).starts_with("real\t0m6.000"), "{t}");
    assert!(t.contains("www.example.net"), "{t}");
}

#[test]
fn etc_hosts_and_etc_networks_answer_without_dns() {
    let rules = "on fw echo \"198.51.100.80 web web.example.net\" >> /etc/hosts\n\
                 on fw iptables -A INPUT -s 198.51.100.80 -j DROP\non fw iptables -A INPUT -s 169.254.0.0/16 -j DROP\n";
    let t = listing("nameserver 192.0.2.53", SILENT, rules);
    assert!(t.contains("DROP       all  --  web                  anywhere"), "{t}");
    // 169.254.0.0 is asked of DNS first (10 s), then found in /etc/networks.
    assert!(t.contains("DROP       all  --  link-local/16        anywhere"), "{t}");
    assert_eq!(real(&t), "real\t0m10.000s", "{t}");
}

#[test]
fn getent_hosts_waits_like_any_lookup() {
    // /etc/hosts first (canonical name and aliases), then DNS; a key not
    // found makes the exit status 2. The silent server costs 10 s.
    let servers = format!("at 0 ns1 dns server {ZONE}\n");
    let mut s =
        String::from("seed 3\nhost fw eth0 192.0.2.1/24\nhost ns1 eth0 192.0.2.53/24\nhost ns2 eth0 192.0.2.54/24\n");
    s.push_str(&servers);
    s.push_str("on ns2 iptables -A INPUT -p udp --dport 53 -j DROP\n");
    s.push_str("on fw echo \"nameserver 192.0.2.53\" > /etc/resolv.conf\n");
    s.push_str("on fw echo \"192.0.2.7 gw gw.lan\" >> /etc/hosts\nrun 1s\n");
    s.push_str("on fw time getent hosts 192.0.2.7 198.51.100.80\n");
    s.push_str("on fw echo \"nameserver 192.0.2.54\" > /etc/resolv.conf\non fw time getent hosts 198.51.100.80\n");
    let parsed = scenario::parse(&s, "getent.nfs").unwrap();
    let t = render_text(&scenario::run(&parsed, &Options::default()).unwrap().records);
    assert!(t.contains("\n192.0.2.7       gw gw.lan\n198.51.100.80   www.example.net\n"), "{t}");
    assert!(t.contains("(exit 2)\n\nreal\t0m10.000s"), "{t}");
}

#[test]
fn dns_server_and_output_expectations_are_checked_where_written() {
    let err = |text: &str| scenario::parse(text, "t.nfs").unwrap_err().to_string();
    let host = "host ns eth0 192.0.2.53/24\n";
    assert!(
        err(&format!("{host}ns dns server ptr 192.0.2.1\n"))
            .starts_with("t.nfs:2:29: `ptr' needs a name after the address")
    );
    assert!(err(&format!("{host}ns dns server a www 192.0.2.300\n")).starts_with("t.nfs:2:21: invalid IPv4 address"));
    assert!(err(&format!("{host}ns dns server mx a b\n")).starts_with("t.nfs:2:15: expected `ptr ADDR NAME'"));
    assert!(err(&format!("{host}ns dns server delay soon\n")).starts_with("t.nfs:2:21: expected a time"));
    assert!(err(&format!("{host}expect ns output\n")).starts_with("t.nfs:2:18: expected the text"));
    // `output` looks at the last command only.
    let s = scenario::parse(
        &format!("{host}on ns echo one\non ns echo two\nexpect ns output two\nexpect ! ns output one\n"),
        "t.nfs",
    )
    .unwrap();
    assert!(scenario::run(&s, &Options::default()).unwrap().failures.is_empty());
}

#[test]
fn statements_due_while_a_command_waits_run_at_their_time() {
    // `at 5s` was queued before the listing started at 1 s; the listing
    // waits 10 s; the queued command runs at 5 s, not after the listing.
    let s = "seed 3\nhost fw eth0 192.0.2.1/24\nhost ns1 eth0 192.0.2.53/24\n\
             on ns1 iptables -A INPUT -p udp --dport 53 -j DROP\n\
             on fw echo \"nameserver 192.0.2.53\" > /etc/resolv.conf\n\
             on fw iptables -A INPUT -s 198.51.100.80 -j DROP\n\
             at 5s on fw conntrack -C\n\
             at 1s on fw time iptables -L INPUT\nrun 20s\n";
    let parsed = scenario::parse(s, "dns.nfs").expect("parses");
    let out = scenario::run(&parsed, &Options::default()).expect("runs");
    let t = render_text(&out.records);
    let count = t.lines().position(|l| l.starts_with("[5.000000] fw# conntrack -C")).expect("conntrack -C at 5 s");
    let listing = t.lines().position(|l| l.starts_with("real\t0m10.000s")).expect("the listing's time");
    assert!(count < listing, "{t}");
}
