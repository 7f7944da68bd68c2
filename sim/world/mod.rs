//! The simulated world: hosts and routers (each a [`Host`] with its whole
//! netfilter), the links between them, the apps on them, and the event
//! loop that moves it all in virtual time.
//!
//! Events are frame deliveries, host timers (conntrack expiry, fragment
//! queues, ARP retries: whatever [`Host::next_timer`] names) and app
//! wake-ups, in the engine's `(time, seq)` order. Idle time costs nothing:
//! the clock jumps to the next event. Hosts resolve neighbours by ARP here,
//! and every interface has a MAC of its own, so a shared segment delivers
//! a unicast frame to its owner only.
//!
//! The world writes [`Record`]s: a line per packet a router receives (its
//! fate, the deciding rule, the conntrack state), a line per packet any
//! host's netfilter drops, kernel log lines, app events, link losses and
//! neighbour failures.

pub mod job;
pub mod link;
pub mod report;
mod run;

pub use link::{Link, LinkParams, Port};
pub use report::{Kind, Record};

use crate::apps::App;
use crate::engine::{EventQueue, Instant, Rng};
use crate::net::{Host, HostConfig, Tx};
use crate::skb::IfIndex;
use crate::wire::EthernetAddress;

/// What happens next.
enum Event {
    /// A frame arrives at a host's interface.
    Deliver { node: usize, iface: IfIndex, frame: Vec<u8> },
    /// A host's timers are due.
    HostTimer { node: usize },
    /// An app starts.
    AppStart { node: usize, app: usize },
    /// An app asked to be woken.
    AppWake { node: usize, app: usize },
}

/// An app and its bookkeeping.
struct AppSlot {
    app: Box<dyn App>,
    rng: Rng,
    started: bool,
    wake_at: Option<Instant>,
}

/// A host in the world.
pub struct Node {
    /// The box.
    pub host: Host,
    /// Declared as a router: every packet it receives gets a line.
    pub router: bool,
    apps: Vec<AppSlot>,
    /// Every IPv4 packet received (`IFACE SPEC`), when asked for.
    pub saw: Option<Vec<String>>,
    /// App event lines so far (for `expect HOST app ...`).
    pub app_log: Vec<String>,
    klog_seen: usize,
    timer_at: Option<Instant>,
    /// `(link, port index)` by interface index.
    ports: Vec<Option<(usize, usize)>>,
    /// Background jobs of the host's shell (`conntrack -E &`).
    pub jobs: Vec<job::Job>,
}

/// Frames a host sent during one call, with their time and interface.
#[derive(Default)]
struct Outbox {
    frames: Vec<(Instant, IfIndex, Vec<u8>)>,
}

impl Tx for Outbox {
    fn transmit(&mut self, now: Instant, iface: &crate::net::Iface, frame: &[u8]) {
        self.frames.push((now, iface.index, frame.to_vec()));
    }
}

/// Where frames are captured (a pcapng per host, in the CLI).
pub trait Capture {
    /// `frame` crossed `iface` of host `node` at `at`; `out` when sent.
    fn frame(&mut self, node: usize, at: Instant, iface: IfIndex, out: bool, frame: &[u8]);
}

/// Watches the world between events: told the time before each event is
/// handled and when a run stops, with every node as it is then. A report's
/// sampler uses it to read conntrack in virtual time; it cannot change
/// anything, so a run watched is the run unwatched.
pub trait Observer {
    /// Nothing has happened yet at `now` that the nodes do not show.
    fn observe(&mut self, now: Instant, nodes: &[Node]);
}

/// The world.
pub struct World {
    /// Hosts, in declaration order.
    pub nodes: Vec<Node>,
    /// Links, in declaration order.
    pub links: Vec<Link>,
    queue: EventQueue<Event>,
    /// Deliveries and app starts in the queue.
    busy: usize,
    /// Apps waiting for a wake-up. With `busy`, zero means idle: what is
    /// left (conntrack expiry, superseded wake-ups) changes nothing
    /// anyone would wait for.
    waking: usize,
    rng: Rng,
    /// The transcript so far.
    pub records: Vec<Record>,
    /// Events processed.
    pub events: u64,
    /// Frame capture, when asked for.
    pub capture: Option<Box<dyn Capture>>,
    /// The seed everything was drawn from.
    pub seed: u64,
    /// Watches the run, when asked for (`nfsim report`).
    pub observer: Option<Box<dyn Observer>>,
}

impl World {
    /// An empty world whose randomness comes from `seed`.
    pub fn new(seed: u64) -> World {
        World {
            nodes: Vec::new(),
            links: Vec::new(),
            queue: EventQueue::default(),
            busy: 0,
            waking: 0,
            rng: Rng::new(seed),
            records: Vec::new(),
            events: 0,
            capture: None,
            seed,
            observer: None,
        }
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.queue.now()
    }

    /// Adds a host; `router` ones report every packet. Interfaces without
    /// a MAC get `02:00:` followed by the host's and interface's numbers.
    pub fn add_host(&mut self, mut config: HostConfig, router: bool) -> Result<usize, String> {
        let n = self.nodes.len();
        for (i, spec) in config.ifaces.iter_mut().enumerate() {
            let b = (n as u32).to_be_bytes();
            spec.mac.get_or_insert(EthernetAddress([0x02, 0x00, b[1], b[2], b[3], i as u8 + 2]));
        }
        let mut host = Host::new(&config)?;
        host.neigh.arp = true;
        host.klog = crate::klog::Klog::new(self.now());
        let ports = vec![None; host.ifaces().len() + 1];
        self.nodes.push(Node {
            host,
            router,
            apps: Vec::new(),
            saw: None,
            app_log: Vec::new(),
            klog_seen: 0,
            timer_at: None,
            ports,
            jobs: Vec::new(),
        });
        Ok(n)
    }

    /// The host named `name`.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.host.name == name)
    }

    /// Joins `ports` by a link. Each interface joins at most one link.
    pub fn connect(&mut self, ports: Vec<Port>, params: LinkParams) -> Result<usize, String> {
        let id = self.links.len();
        for (i, p) in ports.iter().enumerate() {
            let node = &mut self.nodes[p.node];
            let slot = node.ports.get_mut(p.iface as usize).ok_or("no such interface")?;
            if slot.is_some() {
                let name = node.host.iface(p.iface).map_or("?", |f| f.name.as_str());
                return Err(format!("{}:{name} is already linked", node.host.name));
            }
            *slot = Some((id, i));
        }
        let name = ports
            .iter()
            .map(|p| {
                let h = &self.nodes[p.node].host;
                format!("{}:{}", h.name, h.iface(p.iface).map_or("?", |f| f.name.as_str()))
            })
            .collect::<Vec<_>>()
            .join("-");
        self.links.push(Link::new(name, ports, params, &self.rng));
        Ok(id)
    }

    /// Starts `app` on host `node` at `at`; its randomness is the stream
    /// `app:HOST:N`.
    pub fn start_app(&mut self, node: usize, app: Box<dyn App>, at: Instant) {
        let n = &mut self.nodes[node];
        let index = n.apps.len();
        let rng = self.rng.fork(&format!("app:{}:{index}", n.host.name));
        n.apps.push(AppSlot { app, rng, started: false, wake_at: None });
        self.schedule(at, Event::AppStart { node, app: index });
    }

    /// Writes a line into the transcript at the current time.
    pub fn note(&mut self, kind: Kind, host: &str, text: String) {
        self.records.push(Record { at: self.now(), kind, host: host.to_string(), text });
    }

    /// Tells the observer, if any, the time.
    fn observe(&mut self, now: Instant) {
        if let Some(o) = &mut self.observer {
            o.observe(now, &self.nodes);
        }
    }

    fn schedule(&mut self, at: Instant, e: Event) {
        if matches!(e, Event::Deliver { .. } | Event::AppStart { .. }) {
            self.busy += 1;
        }
        self.queue.schedule(at, e);
    }
}
