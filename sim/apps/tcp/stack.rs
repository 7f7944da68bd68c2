//! A smoltcp interface as a host's TCP layer: it exchanges IPv4 datagrams
//! with our stack (`Medium::Ip`), so what it sends goes through the host's
//! OUTPUT path and what the host delivers locally comes into it.
//!
//! smoltcp is told nothing of the host's addresses: it accepts any
//! destination (`any_ip`, with a default route through its one placeholder
//! address), because our stack has already decided the packet is local.
//! Its clock is our virtual time, its random seed (initial sequence numbers)
//! comes from the app's stream, and its timestamp option reads the virtual
//! clock (smoltcp asks a plain `fn() -> u32`, hence the thread-local: one
//! simulation runs on one thread).

use super::super::Cx;
use crate::engine::Instant;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Address};
use std::cell::Cell;
use std::collections::VecDeque;

thread_local! {
    /// The virtual clock in milliseconds, for TCP timestamps.
    static NOW_MS: Cell<u32> = const { Cell::new(0) };
}

/// TSval: milliseconds of virtual time, as Linux's `tcp_clock_ms`.
fn tsval() -> u32 {
    NOW_MS.with(Cell::get)
}

/// smoltcp's time from ours (microseconds).
pub(crate) fn sm_time(t: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros((t.as_nanos() / 1000) as i64)
}

/// Ours from smoltcp's.
fn our_time(t: smoltcp::time::Instant) -> Instant {
    Instant::from_nanos(t.total_micros().max(0) as u64 * 1000)
}

/// The device between smoltcp and our stack: two queues of datagrams.
#[derive(Default)]
struct Wire {
    rx: VecDeque<Vec<u8>>,
    tx: Vec<Vec<u8>>,
}

struct RxTok(Vec<u8>);
struct TxTok<'a>(&'a mut Vec<Vec<u8>>);

impl phy::RxToken for RxTok {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxTok<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.0.push(buf);
        r
    }
}

impl phy::Device for Wire {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = TxTok<'a>;

    fn receive(&mut self, _t: smoltcp::time::Instant) -> Option<(RxTok, TxTok<'_>)> {
        let p = self.rx.pop_front()?;
        Some((RxTok(p), TxTok(&mut self.tx)))
    }

    fn transmit(&mut self, _t: smoltcp::time::Instant) -> Option<TxTok<'_>> {
        Some(TxTok(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        caps
    }
}

/// One smoltcp interface and its sockets.
pub struct Stack {
    iface: Interface,
    /// The sockets.
    pub sockets: SocketSet<'static>,
    wire: Wire,
    /// Handshakes in progress: (local port, remote, initial sequence, sends
    /// with the [`SYNACK`] mark); few at a time, so a short list.
    handshakes: Vec<(u16, [u8; 6], u32, u8)>,
}

/// `tcp_syn_retries` and `tcp_synack_retries`: Linux sends a SYN at most
/// 1 + 6 times (0, 1, 3, 7, 15, 31 and 63 s, giving up at 127 s) and a
/// SYN-ACK 1 + 5 times. smoltcp caps its backoff at 60 s and would send an
/// eighth SYN at 123 s before the socket's 127 s timeout ends it; those
/// extra handshakes are not sent.
const SYN_SENDS: u8 = 1 + 6;
const SYNACK_SENDS: u8 = 1 + 5;
/// Marks a SYN-ACK's entry in [`Stack::handshakes`] (the rest is a count).
const SYNACK: u8 = 0x80;

/// A TCP segment's flags, our end's (local port, remote address and port)
/// and its sequence number; `outgoing` tells which end is ours.
fn handshake_key(ip: &[u8], outgoing: bool) -> Option<(u8, (u16, [u8; 6]), u32)> {
    let flags = tcp_flags(ip)?;
    let p = crate::wire::Ipv4Packet::new_checked(ip).ok()?;
    let l4 = p.payload();
    let (ports, seq) = (l4.get(0..4)?, l4.get(4..8)?);
    let (ours, theirs, addr) =
        if outgoing { (&ports[0..2], &ports[2..4], p.dst_addr()) } else { (&ports[2..4], &ports[0..2], p.src_addr()) };
    let mut remote = [0u8; 6];
    remote[..4].copy_from_slice(&addr.octets());
    remote[4..].copy_from_slice(theirs);
    Some((flags, (u16::from_be_bytes([ours[0], ours[1]]), remote), u32::from_be_bytes(seq.try_into().ok()?)))
}

/// Options every socket gets.
#[derive(Clone, Copy, Debug)]
pub struct SockOpts {
    /// Receive and send buffer, bytes each.
    pub buffer: usize,
}

impl Default for SockOpts {
    fn default() -> Self {
        SockOpts { buffer: 65536 }
    }
}

impl Stack {
    /// A stack whose random choices come from `seed`.
    pub fn new(seed: u64, now: Instant) -> Stack {
        let mut wire = Wire::default();
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = seed;
        let mut iface = Interface::new(config, &mut wire, sm_time(now));
        let placeholder = Ipv4Address::new(127, 0, 0, 1);
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::Ipv4(placeholder), 8)).expect("room for one address");
        });
        iface.routes_mut().add_default_ipv4_route(placeholder).expect("room for one route");
        iface.set_any_ip(true);
        Stack { iface, sockets: SocketSet::new(Vec::new()), wire, handshakes: Vec::new() }
    }

    /// A new socket as Linux would open one: delayed ACKs of 40 ms
    /// (`TCP_DELACK_MIN`), timestamps, Nagle.
    pub fn socket(&mut self, opts: SockOpts) -> SocketHandle {
        let rx = tcp::SocketBuffer::new(vec![0u8; opts.buffer]);
        let tx = tcp::SocketBuffer::new(vec![0u8; opts.buffer]);
        let mut s = tcp::Socket::new(rx, tx);
        s.set_ack_delay(Some(smoltcp::time::Duration::from_millis(40)));
        s.set_tsval_generator(Some(tsval));
        self.sockets.add(s)
    }

    /// The socket `h`.
    pub fn get(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// Opens `h` towards `remote` from `local`.
    pub fn connect(
        &mut self,
        h: SocketHandle,
        remote: (std::net::Ipv4Addr, u16),
        local: (std::net::Ipv4Addr, u16),
    ) -> Result<(), String> {
        let cx = self.iface.context();
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        s.connect(cx, (IpAddress::Ipv4(remote.0), remote.1), (IpAddress::Ipv4(local.0), local.1))
            .map_err(|e| e.to_string())
    }

    /// A datagram our stack delivered.
    pub fn input(&mut self, ip: &[u8]) {
        self.handshake_seen(ip);
        self.wire.rx.push_back(ip.to_vec());
    }

    /// Lets smoltcp run at `cx.now`, sending what it produced.
    pub fn poll(&mut self, cx: &mut Cx<'_>) {
        NOW_MS.with(|c| c.set((cx.now.as_nanos() / 1_000_000) as u32));
        self.iface.poll(sm_time(cx.now), &mut self.wire, &mut self.sockets);
        for p in std::mem::take(&mut self.wire.tx) {
            if self.handshake_allowed(&p) {
                cx.send(&p);
            }
        }
    }

    /// False for what Linux would not send: a SYN or SYN-ACK beyond its
    /// retry count, or the RST smoltcp sends when it abandons a connection
    /// still in SYN-SENT (Linux resets only synchronised connections:
    /// `tcp_need_reset`).
    fn handshake_allowed(&mut self, ip: &[u8]) -> bool {
        let Some((flags, key, seq)) = handshake_key(ip, true) else { return true };
        if flags & 0x04 != 0 {
            // A reset ends the handshake either way; only SYN-SENT's is not sent.
            let Some(i) = self.handshakes.iter().position(|h| (h.0, h.1) == key) else { return true };
            return self.handshakes.swap_remove(i).3 & SYNACK != 0;
        }
        if flags & 0x02 == 0 {
            return true;
        }
        let kind = if flags & 0x10 != 0 { SYNACK } else { 0 };
        let limit = if kind == SYNACK { SYNACK_SENDS } else { SYN_SENDS };
        // A new initial sequence is a new connection on the same ends.
        self.handshakes.retain(|h| (h.0, h.1) != key || h.2 == seq);
        match self.handshakes.iter_mut().find(|h| (h.0, h.1) == key) {
            Some(h) if h.3 & !SYNACK >= limit => false,
            Some(h) => {
                h.3 += 1;
                true
            }
            None => {
                self.handshakes.push((key.0, key.1, seq, kind | 1));
                true
            }
        }
    }

    /// A segment for our sockets: a SYN-ACK ends our SYN's handshake, an
    /// ACK without SYN ends our SYN-ACK's.
    fn handshake_seen(&mut self, ip: &[u8]) {
        if self.handshakes.is_empty() {
            return;
        }
        let Some((flags, key, _)) = handshake_key(ip, false) else { return };
        let done = |h: &(u16, [u8; 6], u32, u8)| {
            (h.0, h.1) == key
                && (flags & 0x04 != 0
                    || (h.3 & SYNACK == 0 && flags & 0x12 == 0x12)
                    || (h.3 & SYNACK != 0 && flags & 0x12 == 0x10))
        };
        self.handshakes.retain(|h| !done(h));
    }
    /// When smoltcp next wants [`Stack::poll`].
    pub fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        self.iface.poll_at(sm_time(now), &self.sockets).map(our_time)
    }
}

/// The TCP flags byte of a datagram, when it is TCP.
pub fn tcp_flags(ip: &[u8]) -> Option<u8> {
    let p = crate::wire::Ipv4Packet::new_checked(ip).ok()?;
    if p.next_header() != crate::wire::IpProtocol::Tcp {
        return None;
    }
    p.payload().get(13).copied()
}

/// A socket and the demux claim that routes its packets to the app.
pub struct Sock {
    /// The smoltcp socket.
    pub handle: SocketHandle,
    /// The local port claimed.
    pub port: u16,
    /// The peer, for a connected claim.
    pub remote: Option<(std::net::Ipv4Addr, u16)>,
}

/// Claims `port` for a server app and gives it a fresh stack, as
/// `bind()` then `listen()` do; a taken port is reported in the app's
/// words (`WHAT PORT: Address already in use`) and gives no stack.
pub fn listen(cx: &mut Cx<'_>, port: u16, what: &str) -> Option<Stack> {
    if !cx.bind(crate::net::sockets::SockProto::Tcp, port, None) {
        cx.say(format!("{what} {port}: Address already in use"));
        return None;
    }
    Some(Stack::new(cx.rng.next_u64(), cx.now))
}

/// Opens a client's control connection (FTP, IRC) to `server` from an
/// ephemeral port on a fresh stack: what an app's `connect()` does. The
/// error is the reason in the words the app reports.
pub fn dial(cx: &mut Cx<'_>, server: (std::net::Ipv4Addr, u16)) -> Result<(Stack, Sock), String> {
    use crate::net::sockets::SockProto;
    let src = cx.source_for(server.0).ok_or("Network is unreachable")?;
    let port = cx.ephemeral_port(SockProto::Tcp).ok_or("no free local port")?;
    assert!(cx.bind(SockProto::Tcp, port, Some(server)), "an ephemeral port is free");
    let mut stack = Stack::new(cx.rng.next_u64(), cx.now);
    let handle = stack.socket(SockOpts::default());
    // Linux gives up a connection attempt after its SYN retries (~127 s).
    stack.get(handle).set_timeout(Some(smoltcp::time::Duration::from_secs(127)));
    stack.connect(handle, server, (src, port)).map_err(|e| e.to_string())?;
    Ok((stack, Sock { handle, port, remote: Some(server) }))
}

#[cfg(test)]
mod test {
    use crate::scenario::{Options, parse, run};

    /// The box's packet lines of a connection whose SYNs a firewall drops.
    fn lines_of_a_dropped_connect(script: &str) -> Vec<String> {
        let text = format!(
            "host lan1 eth0 192.168.1.10/24 via 192.168.1.1\n\
             router fw eth0 192.168.1.1/24 eth1 198.51.100.2/24\n\
             host web eth0 198.51.100.80/24 via 198.51.100.2\n{script}"
        );
        let s = parse(&text, "t.nfs").expect("the test scenario parses");
        let out = run(&s, &Options::default()).expect("runs");
        out.world.records.iter().filter(|r| r.host == "fw").map(|r| r.text.clone()).collect()
    }

    #[test]
    fn a_syn_is_sent_seven_times_and_given_up_without_a_reset() {
        let l = lines_of_a_dropped_connect(
            "on fw iptables -A FORWARD -p tcp --dport 80 -j DROP\n\
             at 0 lan1 tcp connect 198.51.100.80:80\nrun 300s\n",
        );
        let syns = l.iter().filter(|t| t.contains(" flags S ")).count();
        assert_eq!(syns, 7, "{l:#?}");
        assert!(!l.iter().any(|t| t.contains(" flags AR ") || t.contains(" flags R ")), "{l:#?}");
    }

    #[test]
    fn a_syn_ack_is_sent_six_times() {
        // The server's SYN-ACKs are dropped on the way back.
        let l = lines_of_a_dropped_connect(
            "on fw iptables -A FORWARD -p tcp --sport 80 -j DROP\n\
             at 0 web tcp listen 80\nat 10ms lan1 tcp connect 198.51.100.80:80\nrun 300s\n",
        );
        let syn_acks: Vec<&String> = l.iter().filter(|t| t.contains(" flags SA ")).collect();
        let first = syn_acks.first().map(|t| t.split(" flags SA seq ").nth(1).unwrap().split(' ').next().unwrap());
        let same = syn_acks.iter().filter(|t| first.is_some_and(|s| t.contains(&format!("flags SA seq {s} ")))).count();
        assert_eq!(same, 6, "one SYN-ACK is sent 1 + tcp_synack_retries times: {syn_acks:#?}");
    }
}
