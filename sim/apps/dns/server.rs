//! `dns server [port N] [delay T] [ptr ADDR|NAME NAME]... [a NAME ADDR]...`:
//! a nameserver answering from its zone over UDP, authoritatively (AA set,
//! so an empty answer is not taken for a referral). A name in the zone
//! with records of other types gets an empty NOERROR answer; a name not
//! in it, NXDOMAIN. A query it cannot read gets FORMERR, one that is not
//! a standard query NOTIMP. Each query it answers is a transcript line.

use super::wire::{self, Message, Rdata, Record, rcode};
use crate::apps::{App, Cx, icmp_error_text};
use crate::engine::{Duration, Instant};
use crate::net::sockets::SockProto;
use crate::wire::Ipv4Packet;
use std::net::Ipv4Addr;

/// How long resolvers may keep an answer; nothing here caches, it is
/// only written into the records.
const TTL_S: u32 = 3600;

/// What `dns server` was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSpec {
    /// The UDP port (53).
    pub port: u16,
    /// How long the server takes to answer (a slow recursive server).
    pub delay: Duration,
    /// Its records: owner name and data.
    pub records: Vec<(String, Rdata)>,
}

impl ZoneSpec {
    /// Adds `ptr ADDR NAME` (or `ptr NAME NAME`): ADDR becomes its
    /// `in-addr.arpa` name.
    pub fn add_ptr(&mut self, owner: &str, target: &str) {
        let owner = owner.parse::<Ipv4Addr>().map_or_else(|_| owner.to_string(), wire::reverse_name);
        self.records.push((owner, Rdata::Ptr(target.trim_end_matches('.').to_string())));
    }
}

/// `dns server`.
pub struct DnsServer {
    zone: ZoneSpec,
    /// Answers waiting for their time, in time order: `(at, ip datagram)`.
    pending: Vec<(Instant, Vec<u8>)>,
}

impl DnsServer {
    /// A server for `zone`.
    pub fn new(zone: ZoneSpec) -> DnsServer {
        DnsServer { zone, pending: Vec::new() }
    }

    /// The answer to `q`, and a word for the transcript.
    fn answer(&self, q: &Message) -> (Message, String) {
        let mut a = Message {
            id: q.id,
            response: true,
            opcode: q.opcode,
            authoritative: true,
            recursion_desired: q.recursion_desired,
            questions: q.questions.clone(),
            ..Message::default()
        };
        if q.opcode != 0 {
            a.rcode = rcode::NOTIMP;
            return (a, "NOTIMP".into());
        }
        let [question] = q.questions.as_slice() else {
            a.rcode = rcode::FORMERR;
            return (a, "FORMERR".into());
        };
        let owned: Vec<&(String, Rdata)> =
            self.zone.records.iter().filter(|(n, _)| wire::same_name(n, &question.name)).collect();
        if owned.is_empty() {
            a.rcode = rcode::NXDOMAIN;
            return (a, "NXDOMAIN".into());
        }
        for (name, data) in owned {
            if question.qtype == wire::TYPE_ANY || question.qtype == data.rtype() {
                a.answers.push(Record { name: name.clone(), class: wire::CLASS_IN, ttl: TTL_S, data: data.clone() });
            }
        }
        let said = a
            .answers
            .iter()
            .map(|r| match &r.data {
                Rdata::A(x) => x.to_string(),
                Rdata::Ptr(n) => n.clone(),
                Rdata::Other(t, _) => format!("type {t}"),
            })
            .collect::<Vec<_>>()
            .join(" ");
        (a, if said.is_empty() { "no data".into() } else { said })
    }
}

/// A query's type as dig names it.
fn type_name(t: u16) -> String {
    match t {
        wire::TYPE_A => "A".into(),
        wire::TYPE_PTR => "PTR".into(),
        wire::TYPE_ANY => "ANY".into(),
        t => format!("TYPE{t}"),
    }
}

impl App for DnsServer {
    fn start(&mut self, cx: &mut Cx<'_>) {
        if !cx.bind(SockProto::Udp, self.zone.port, None) {
            cx.say(format!("dns server {}: Address already in use", self.zone.port));
        }
    }

    fn datagram(&mut self, cx: &mut Cx<'_>, ip: &[u8]) {
        if icmp_error_text(ip).is_some() {
            return; // An answer to a client that went away: nothing to do.
        }
        let Ok(p) = Ipv4Packet::new_checked(ip) else { return };
        let (src, dst, l4) = (p.src_addr(), p.dst_addr(), p.payload());
        let (Some(sp), Some(payload)) = (l4.get(0..2).map(|b| u16::from_be_bytes([b[0], b[1]])), l4.get(8..)) else {
            return;
        };
        let (answer, said) = match wire::parse(payload) {
            Ok(q) if !q.response => {
                let what = q.questions.first().map_or(String::new(), |x| format!(" {} {}", type_name(x.qtype), x.name));
                let (a, said) = self.answer(&q);
                (a, format!("dns query{what} from {src}:{sp}: {said}"))
            }
            Ok(_) => return, // A response sent to a server: ignored, as named does.
            // Unreadable: FORMERR when at least the id is there.
            Err(e) if payload.len() >= 2 => {
                let id = u16::from_be_bytes([payload[0], payload[1]]);
                let a = Message { id, response: true, rcode: rcode::FORMERR, ..Message::default() };
                (a, format!("dns query from {src}:{sp}: FORMERR ({e})"))
            }
            Err(_) => return,
        };
        cx.say(said);
        let Ok(bytes) = answer.emit() else { return };
        let Some(dgram) = super::udp_datagram((dst, self.zone.port), (src, sp), &bytes) else { return };
        let at = cx.now + self.zone.delay;
        let i = self.pending.partition_point(|(t, _)| *t <= at);
        self.pending.insert(i, (at, dgram));
        self.timer(cx);
    }

    fn timer(&mut self, cx: &mut Cx<'_>) {
        while self.pending.first().is_some_and(|(t, _)| *t <= cx.now) {
            let (_, dgram) = self.pending.remove(0);
            cx.send(&dgram);
        }
    }

    fn poll_at(&mut self, _now: Instant) -> Option<Instant> {
        self.pending.first().map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn server() -> DnsServer {
        let mut zone = ZoneSpec { port: 53, delay: Duration::ZERO, records: Vec::new() };
        zone.add_ptr("198.51.100.80", "www.example.net.");
        zone.records.push(("www.example.net".into(), Rdata::A([198, 51, 100, 80].into())));
        DnsServer::new(zone)
    }

    #[test]
    fn answers_nxdomain_nodata_and_records() {
        let s = server();
        let (a, said) = s.answer(&Message::query(1, "80.100.51.198.IN-ADDR.ARPA", wire::TYPE_PTR));
        assert_eq!((a.rcode, a.authoritative, said.as_str()), (rcode::NOERROR, true, "www.example.net"));
        assert_eq!(a.answers[0].data, Rdata::Ptr("www.example.net".into()));
        // The name exists, not with that type: an empty, authoritative answer.
        let (a, said) = s.answer(&Message::query(2, "www.example.net", wire::TYPE_PTR));
        assert_eq!((a.rcode, a.answers.len(), said.as_str()), (rcode::NOERROR, 0, "no data"));
        let (a, _) = s.answer(&Message::query(3, "www.example.net", wire::TYPE_ANY));
        assert_eq!(a.answers.len(), 1);
        let (a, said) = s.answer(&Message::query(4, "81.100.51.198.in-addr.arpa", wire::TYPE_PTR));
        assert_eq!((a.rcode, said.as_str()), (rcode::NXDOMAIN, "NXDOMAIN"));
        let mut q = Message::query(5, "x", wire::TYPE_A);
        q.opcode = 2;
        assert_eq!(s.answer(&q).0.rcode, rcode::NOTIMP);
        q.opcode = 0;
        q.questions.clear();
        assert_eq!(s.answer(&q).0.rcode, rcode::FORMERR);
    }
}
