//! `nfsim trace`: one packet's way through the box, explained.

use std::process::{Command, Output};

const BOX: &[&str] = &[
    "--iface",
    "lan0=192.168.1.1/24,mac=02:00:00:00:01:01",
    "--iface",
    "wan0=203.0.113.1/24,mac=02:00:00:00:02:01",
    "--route",
    "default via 203.0.113.254",
    "--sysctl",
    "net.ipv4.ip_forward=1",
];

fn nfsim(args: &[&str]) -> Output {
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    all.extend_from_slice(BOX);
    Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&all)
        .output()
        .expect("run nfsim")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn a_packet_dropped_at_the_end_of_a_user_chain_shows_every_rule_and_why_it_missed() {
    let o = nfsim(&[
        "tcp 203.0.113.99:40000 > 192.168.1.10:22 flags S in wan0",
        "--rules",
        "scenarios/examples/trace.rules",
    ]);
    let text = stdout(&o);
    insta::assert_snapshot!("user_chain_drop", text);
    // Each rule of from_wan before the LOG says which part failed.
    assert!(text.contains("from_wan #1 -d 192.168.1.10/32 -p tcp -m tcp --dport 80 -j ACCEPT: no (-m tcp --dport 80)"));
    assert!(text.contains("from_wan #2 -p udp -m udp --dport 1194 -j ACCEPT: no (-p udp)"));
    assert!(
        text.contains("from_wan #3 -s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j ACCEPT: no (-s 198.51.100.0/24)")
    );
    assert!(text.contains("FORWARD filter/from_wan/5 DROP"));
    assert!(text.contains("log: <4>from_wan drop: IN=wan0 OUT=lan0 "), "{text}");
}

#[test]
fn a_packet_after_a_handshake_hits_its_connection() {
    let o = nfsim(&[
        "tcp 192.168.1.10:40000 > 198.51.100.7:443 flags A seq 1001 ack 5001 in lan0",
        "--before",
        "tcp 192.168.1.10:40000 > 198.51.100.7:443 flags S seq 1000 in lan0",
        "--before",
        "tcp 198.51.100.7:443 > 192.168.1.10:40000 flags SA seq 5000 ack 1001 in wan0",
        "--rules",
        "scenarios/examples/trace.rules",
    ]);
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "packet: tcp 192.168.1.10:40000 > 198.51.100.7:443 flags A seq 1001 ack 5001 in lan0 at 0.002000000"
    );
    assert!(lines[1].starts_with("PREROUTING conntrack ESTABLISHED, found: tcp      6 "), "{text}");
    assert!(lines[1].contains(" src=192.168.1.10 dst=198.51.100.7 sport=40000 dport=443 src=198.51.100.7"), "{text}");
    assert!(text.contains("  FORWARD #1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT: match\n"), "{text}");
    assert!(text.ends_with("fate: forwarded out wan0\nsent wan0: tcp 192.168.1.10:40000 > 198.51.100.7:443 flags A seq 1001 ack 5001 ttl 63\n"), "{text}");
}

#[test]
fn a_capture_packet_is_traced_after_the_ones_before_it_as_json() {
    let o = nfsim(&[
        "--packet",
        "3",
        "--capture",
        "pcaps/router-lan-wan.pcapng",
        "--rules",
        "scenarios/examples/stateful.rules",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let again: serde_json::Value = serde_json::from_str(&stdout(&nfsim(&[
        "--packet",
        "3",
        "--capture",
        "pcaps/router-lan-wan.pcapng",
        "--rules",
        "scenarios/examples/stateful.rules",
        "--json",
    ])))
    .unwrap();
    assert_eq!(v, again, "deterministic");
    insta::assert_json_snapshot!("capture_packet_3", v);
    let events = v["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["event"] == "conntrack"), "{v}");
    let walk = events.iter().find(|e| e["event"] == "walk").expect("a table walk");
    assert!(!walk["steps"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let o = nfsim(&["tcp 1.2.3.4:1 > 5.6.7.8:2 flags Q"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "nfsim: packet: `flags Q`: unknown flag `Q` (letters of SAFRPUEC)\n"
    );
    let o = nfsim(&["tcp 1.2.3.4:1 > 5.6.7.8:2 in eth7"]);
    assert_eq!(String::from_utf8_lossy(&o.stderr), "nfsim: no interface \"eth7\" on the box\n");
    let o = nfsim(&["--packet", "999", "--capture", "pcaps/router-lan-wan.pcapng"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has fewer than 999 packets"));
}

#[test]
fn the_first_packet_of_a_masqueraded_flow_shows_the_nat_decision() {
    let o = nfsim(&[
        "tcp 192.168.1.10:40000 > 198.51.100.7:443 flags S in lan0",
        "--rules",
        "scenarios/examples/router.rules",
    ]);
    let text = stdout(&o);
    assert!(text.contains("  POSTROUTING #1 -o wan0 -j MASQUERADE: match\n"), "{text}");
    assert!(
        text.contains(
            "POSTROUTING nat SNAT binding src=192.168.1.10 dst=198.51.100.7 sport=40000 dport=443 \
             -> src=203.0.113.1 dst=198.51.100.7 sport=40000 dport=443\n"
        ),
        "{text}"
    );
    assert!(text.contains("PREROUTING nat DNAT null binding "), "no DNAT rule: a null binding; {text}");
    assert!(text.ends_with("sent wan0: tcp 203.0.113.1:40000 > 198.51.100.7:443 flags S ttl 63\n"), "{text}");
}
