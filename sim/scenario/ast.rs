//! A parsed scenario: statements in file order, each with its line.

use crate::apps::flood::FloodSpec;
use crate::apps::tcp::client::ClientSpec;
use crate::apps::tcp::clients::ClientsSpec;
use crate::apps::tcp::server::ServerSpec;
use crate::apps::udp::SendSpec;
use crate::engine::Duration;
use crate::net::{IfaceSpec, RouteSpec};
use crate::world::LinkParams;
use std::net::Ipv4Addr;

/// One statement.
#[derive(Clone, Debug)]
pub struct Statement {
    /// `at T`: when it runs (else when reached).
    pub at: Option<Duration>,
    /// `every T`: runs again each T after its first time, while time runs.
    pub every: Option<Duration>,
    /// What it does.
    pub action: Action,
    /// Its line in the file.
    pub line: usize,
    /// Its words as written (for the transcript).
    pub text: String,
}

/// What a statement does.
#[derive(Clone, Debug)]
pub enum Action {
    /// `seed N`.
    Seed(u64),
    /// `kernel linux-6|linux-2.4`: the Linux every box behaves as.
    Kernel(crate::kernel::Profile),
    /// `host` or `router`.
    Host {
        /// Name.
        name: String,
        /// A router forwards (`ip_forward=1`) and reports every packet.
        router: bool,
        /// Interfaces.
        ifaces: Vec<IfaceSpec>,
        /// Routes (`via GW` is a default route).
        routes: Vec<RouteSpec>,
        /// For `bridge`: the bridge over its ports.
        bridge: Option<crate::net::BridgeSpec>,
    },
    /// `link A:IF B:IF ... [params]`.
    Link {
        /// `(host, iface)` ends.
        ends: Vec<(String, String)>,
        /// What the link does.
        params: LinkParams,
    },
    /// `on HOST COMMAND...`: a shell command on a host.
    Shell {
        /// The host.
        host: String,
        /// The command's words.
        argv: Vec<String>,
        /// Its standard input (a heredoc).
        stdin: Option<String>,
    },
    /// `on HOST COMMAND... &`: a background job (`conntrack -E`).
    Background {
        /// The host.
        host: String,
        /// The command's words, without the `&`.
        argv: Vec<String>,
    },
    /// An application started on a host.
    App {
        /// The host.
        host: String,
        /// Which app.
        app: AppSpec,
    },
    /// `run T`.
    Run(Duration),
    /// `run until idle`.
    RunIdle,
    /// `expect [!] HOST ...`.
    Expect {
        /// `expect !`: the check must fail.
        negate: bool,
        /// The host.
        host: String,
        /// What to check.
        check: Check,
    },
}

/// An application and its parameters.
#[derive(Clone, Debug)]
pub enum AppSpec {
    /// `tcp connect`.
    TcpConnect(ClientSpec),
    /// `tcp listen`.
    TcpListen(ServerSpec),
    /// `tcp clients`.
    TcpClients(ClientsSpec),
    /// `udp listen PORT [echo]`.
    UdpListen {
        /// Port.
        port: u16,
        /// Echo back.
        echo: bool,
    },
    /// `udp send`.
    UdpSend(SendSpec),
    /// `ping ADDR [count N] [interval T]`.
    Ping {
        /// Target.
        dst: Ipv4Addr,
        /// Requests.
        count: u64,
        /// Between requests.
        interval: Duration,
    },
    /// `syn-flood` / `udp-flood`.
    Flood(FloodSpec),
    /// `send PACKET-SPEC`.
    Send(Vec<Vec<u8>>),
    /// `ftp server`.
    FtpServer(crate::apps::ftp::server::ServerSpec),
    /// `ftp get`.
    FtpGet(crate::apps::ftp::client::GetSpec),
    /// `irc server [PORT]`.
    IrcServer(u16),
    /// `irc client`.
    IrcClient(crate::apps::irc::client::ClientSpec),
    /// `mcast join GROUP PORT [iface IF]`.
    McastJoin(crate::apps::mcast::JoinSpec),
    /// `mcast send GROUP:PORT ...`.
    McastSend(crate::apps::mcast::SendSpec),
    /// `scan syn|connect|udp ADDR ports ...`.
    Scan(crate::apps::scan::ScanSpec),
    /// `http server`.
    HttpServer(crate::apps::http::server::ServerSpec),
    /// `http get`.
    HttpGet(crate::apps::http::client::GetSpec),
    /// `http proxy`.
    HttpProxy(crate::apps::http::proxy::ProxySpec),
    /// `dns server [port N] [delay T] [ptr ADDR NAME]... [a NAME ADDR]...`.
    DnsServer(crate::apps::dns::ZoneSpec),
}

/// What an `expect` checks.
#[derive(Clone, Debug)]
pub enum Check {
    /// `conntrack count OP N`.
    ConntrackCount(Cmp, u64),
    /// `log TEXT`: a kernel log line contains TEXT.
    Log(String),
    /// `app TEXT`: an app event contains TEXT.
    App(String),
    /// `saw PATTERN`: the host received a matching IPv4 packet.
    Saw(PacketPattern),
    /// `output TEXT`: the last command run on the host printed a line
    /// containing TEXT (runs of blanks compare as one space).
    Output(String),
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    /// `a OP b`.
    pub fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

/// `[tcp|udp|icmp] [from ADDR[:PORT]] [to ADDR[:PORT]] [flags F] [on IFACE]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketPattern {
    /// Protocol word.
    pub proto: Option<String>,
    /// Source address and maybe port.
    pub from: Option<(Ipv4Addr, Option<u16>)>,
    /// Destination address and maybe port.
    pub to: Option<(Ipv4Addr, Option<u16>)>,
    /// Exact flag letters.
    pub flags: Option<String>,
    /// Ingress interface.
    pub on: Option<String>,
}

impl PacketPattern {
    /// Whether a `saw` line (`IFACE SPEC`) matches.
    pub fn matches(&self, line: &str) -> bool {
        let w: Vec<&str> = line.split(' ').collect();
        if w.len() < 5 {
            return false;
        }
        let endpoint = |s: &str, want: &(Ipv4Addr, Option<u16>)| {
            let (a, p) = s.rsplit_once(':').map_or((s, None), |(a, p)| (a, p.parse::<u16>().ok()));
            a.parse::<Ipv4Addr>().ok() == Some(want.0) && want.1.is_none_or(|wp| p == Some(wp))
        };
        let flags = w.iter().position(|x| *x == "flags").and_then(|i| w.get(i + 1)).copied();
        self.on.as_deref().is_none_or(|i| i == w[0])
            && self.proto.as_deref().is_none_or(|p| p == w[1])
            && self.from.as_ref().is_none_or(|f| endpoint(w[2], f))
            && self.to.as_ref().is_none_or(|t| endpoint(w[4], t))
            && self.flags.as_deref().is_none_or(|f| flags == Some(f))
    }
}
