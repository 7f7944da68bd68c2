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
        Stack { iface, sockets: SocketSet::new(Vec::new()), wire }
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
        self.wire.rx.push_back(ip.to_vec());
    }

    /// Lets smoltcp run at `cx.now`, sending what it produced.
    pub fn poll(&mut self, cx: &mut Cx<'_>) {
        NOW_MS.with(|c| c.set((cx.now.as_nanos() / 1_000_000) as u32));
        self.iface.poll(sm_time(cx.now), &mut self.wire, &mut self.sockets);
        for p in std::mem::take(&mut self.wire.tx) {
            cx.send(&p);
        }
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
