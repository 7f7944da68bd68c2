//! The words of the multicast and port-scan apps: `mcast join`, `mcast
//! send`, `scan`.

use super::{AppSpec, Opts, Parser, R, Word};
use crate::engine::Duration;
use std::net::Ipv4Addr;

impl Parser<'_> {
    /// `mcast join GROUP PORT [iface IF]`.
    pub(super) fn mcast_join(&self, w: &[Word]) -> R<AppSpec> {
        let g = w.get(2).ok_or(()).or_else(|_| self.err(&self.after(w), "expected a multicast group"))?;
        let group = g.text.parse::<Ipv4Addr>().ok().filter(|a| a.is_multicast());
        let group = group.ok_or(()).or_else(|_| self.err(g, "expected a multicast group (224.0.0.0/4)"))?;
        let port = self.port(w.get(3), w)?;
        let mut spec = crate::apps::mcast::JoinSpec { group, port, iface: None };
        let mut o = Opts { p: self, w, i: 4 };
        while let Some(k) = o.next_key()? {
            match k.as_str() {
                "iface" => spec.iface = Some(o.value()?.text.clone()),
                _ => return o.unknown("iface"),
            }
        }
        Ok(AppSpec::McastJoin(spec))
    }

    /// `mcast send GROUP:PORT [count N] [interval T] [ttl N] [len N] [from-port N]`.
    pub(super) fn mcast_send(&self, w: &[Word]) -> R<AppSpec> {
        let group = self.endpoint(w.get(2), w)?;
        if !group.0.is_multicast() {
            return self.err(&w[2], "expected a multicast group (224.0.0.0/4)");
        }
        let mut spec = crate::apps::mcast::SendSpec {
            group,
            count: 1,
            interval: Duration::from_secs(1),
            ttl: 1,
            len: 32,
            from_port: None,
        };
        let mut o = Opts { p: self, w, i: 3 };
        while let Some(k) = o.next_key()? {
            match k.as_str() {
                "count" => spec.count = o.value_num()?,
                "interval" => spec.interval = o.value_time()?,
                "ttl" => {
                    let v = o.value()?.clone();
                    spec.ttl = self.number(&v)?.try_into().ok().ok_or(()).or_else(|_| self.err(&v, "invalid TTL"))?;
                }
                "len" => spec.len = o.value_num()?.min(65507) as usize,
                "from-port" => spec.from_port = Some(o.value_num()? as u16),
                _ => return o.unknown("count, interval, ttl, len, from-port"),
            }
        }
        Ok(AppSpec::McastSend(spec))
    }

    /// `scan syn|connect|udp ADDR ports LIST [rate R/s] [timeout T]`.
    pub(super) fn scan(&self, w: &[Word]) -> R<AppSpec> {
        use crate::apps::scan::{ScanKind, ScanSpec, parse_ports};
        let kind = match w[1].text.as_str() {
            "syn" => ScanKind::Syn,
            "connect" => ScanKind::Connect,
            "udp" => ScanKind::Udp,
            _ => return self.err(&w[1], "expected `scan syn', `scan connect' or `scan udp'"),
        };
        let a = w.get(2).ok_or(()).or_else(|_| self.err(&self.after(w), "expected the target's address"))?;
        let target = a.text.parse::<Ipv4Addr>().ok().ok_or(()).or_else(|_| self.err(a, "invalid IPv4 address"))?;
        let mut spec = ScanSpec { kind, target, ports: Vec::new(), rate: 100, timeout: Duration::from_secs(1) };
        let mut o = Opts { p: self, w, i: 3 };
        while let Some(k) = o.next_key()? {
            match k.as_str() {
                "ports" => {
                    let v = o.value()?.clone();
                    spec.ports = parse_ports(&v.text).or_else(|e| self.err(&v, &e))?;
                }
                "rate" => {
                    let v = o.value()?.clone();
                    let n = v.text.strip_suffix("/s").unwrap_or(&v.text).parse::<u64>().ok().filter(|n| *n > 0);
                    spec.rate = n.ok_or(()).or_else(|_| self.err(&v, "expected a rate like 100/s"))?;
                }
                "timeout" => spec.timeout = o.value_time()?,
                _ => return o.unknown("ports, rate, timeout"),
            }
        }
        if spec.ports.is_empty() {
            return self.err(&self.after(w), "`scan' needs `ports A-B[,C...]'");
        }
        Ok(AppSpec::Scan(spec))
    }
}
