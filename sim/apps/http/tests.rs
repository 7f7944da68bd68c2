//! The HTTP apps on a small network, through the scenario runner: the
//! proxy's answers when the origin fails, its loop check, and its
//! fallback when conntrack names the proxy itself; the client's immediate
//! failure on an ICMP error.

use crate::scenario::{Options, parse, run};

/// Runs `script` after a LAN client, a box `fw` and a web server `web`
/// (serving `/a`, 5000 bytes) are declared; returns every app line,
/// `host: text`, in order.
fn app_lines(script: &str) -> Vec<String> {
    let text = format!(
        "host lan1 eth0 192.168.1.10/24 via 192.168.1.1\n\
         router fw eth0 192.168.1.1/24 eth1 198.51.100.2/24\n\
         host web eth0 198.51.100.80/24 via 198.51.100.2\n\
         at 0 web http server 80 file /a 5000\n{script}"
    );
    let s = parse(&text, "t.nfs").expect("the test scenario parses");
    let out = run(&s, &Options::default()).expect("runs");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    out.world.nodes.iter().flat_map(|n| n.app_log.iter().map(move |l| format!("{}: {l}", n.host.name))).collect()
}

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l.contains(want))
}

const REDIRECT_ALL: &str = "on fw iptables -t nat -A PREROUTING -i eth0 -p tcp -j REDIRECT --to-ports 3128\n\
                            at 0 fw http proxy 3128\n";

#[test]
fn origin_refusing_gets_the_client_a_503_not_a_reset() {
    let l = app_lines(&format!("{REDIRECT_ALL}at 10ms lan1 http get http://198.51.100.80:81/a\nrun 1s\n"));
    assert!(has(&l, "fw: proxy: origin 198.51.100.80: Connection refused"), "{l:?}");
    assert!(has(&l, "lan1: http get http://198.51.100.80:81/a: 503 Service Unavailable"), "{l:?}");
}

#[test]
fn origin_silent_gets_a_504_after_the_connect_timeout() {
    let script = format!(
        "{REDIRECT_ALL}on web iptables -A INPUT -p tcp --dport 82 -j DROP\n\
         at 10ms lan1 http get http://198.51.100.80:82/a\nrun 59s\n"
    );
    assert!(!has(&app_lines(&script), "504"), "not before a minute");
    let l = app_lines(&script.replace("run 59s", "run 61s"));
    assert!(has(&l, "fw: proxy: 192.168.1.10 TCP_MISS/504"), "{l:?}");
    assert!(has(&l, "lan1: http get http://198.51.100.80:82/a: 504 Gateway Timeout"), "{l:?}");
}

#[test]
fn unreachable_origin_fails_at_once_with_the_errno() {
    // No ARP answer for .81: the box's own stack reports host unreachable.
    let l = app_lines(&format!("{REDIRECT_ALL}at 10ms lan1 http get http://198.51.100.81/a\nrun 10s\n"));
    assert!(has(&l, "fw: proxy: origin 198.51.100.81: No route to host"), "{l:?}");
    let l = app_lines("at 10ms lan1 http get http://192.168.1.99/a\nrun 10s\n");
    assert!(has(&l, "lan1: http get http://192.168.1.99/a: No route to host"), "{l:?}");
}

#[test]
fn a_request_back_at_its_own_proxy_is_a_loop() {
    // The box redirects its own outgoing connections too (OUTPUT): the
    // proxy's request comes back to it, carrying its own Via.
    let l = app_lines(
        "on fw iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 80 -j REDIRECT --to-ports 3128\n\
         on fw iptables -t nat -A OUTPUT -p tcp --dport 80 -j REDIRECT --to-ports 3128\n\
         at 0 fw http proxy 3128\nat 10ms lan1 http get http://198.51.100.80/a\nrun 1s\n",
    );
    assert!(has(&l, "forwarding loop (the request already passed this proxy): 403 Forbidden"), "{l:?}");
    assert!(has(&l, "lan1: http get http://198.51.100.80/a: 403 Forbidden"), "{l:?}");
}

#[test]
fn a_connection_made_to_the_proxy_itself_is_forwarded_by_host() {
    // Conntrack is loaded (a rule uses it) but the entry is not NATed: its
    // original destination is the proxy, so the Host field decides.
    let l = app_lines(
        "on fw iptables -A INPUT -m conntrack --ctstate INVALID -j DROP\nat 0 fw http proxy 3128\n\
         at 10ms lan1 http get http://192.168.1.1:3128/a host 198.51.100.80\nrun 1s\n",
    );
    assert!(has(&l, "-> Host field (SO_ORIGINAL_DST: names this proxy itself) 198.51.100.80:80"), "{l:?}");
    assert!(has(&l, "HIER_DIRECT/198.51.100.80"), "{l:?}");
    assert!(has(&l, "lan1: http get http://192.168.1.1:3128/a: 200 OK, 5000 bytes"), "{l:?}");
}
