//! What an intercepting proxy decides from an accepted connection and its
//! request: where to forward it, how it learned that, and the request as
//! it goes on.
//!
//! Squid in `intercept` mode asks conntrack first (`SO_ORIGINAL_DST`): on
//! the box that redirected the connection, the entry names the address the
//! client really asked for. On a proxy host that another box reached by
//! DNAT, there is no such entry (or only one whose destination is the
//! proxy itself), so it falls back on what the request says: the
//! absolute-form target's authority, else the `Host` field.

use super::message::Request;
use crate::conntrack::Conntrack;
use crate::conntrack::origdst::original_dst;
use crate::engine::Instant;
use std::net::Ipv4Addr;

/// How the destination was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// `SO_ORIGINAL_DST` named it.
    OriginalDst,
    /// The request named it; the text says why conntrack did not.
    HostField(String),
}

/// Where to forward, and how that was learned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The origin server.
    pub dst: (Ipv4Addr, u16),
    /// How.
    pub via: Via,
}

/// Decides where the request on a connection with ends `local` and `peer`
/// goes; `resolve` maps names in `Host` to addresses (there is no DNS).
///
/// # Errors
/// Neither conntrack nor the request names a usable destination: the
/// reason, for a 400.
pub fn decide(
    ct: Option<&mut Conntrack>,
    local: (Ipv4Addr, u16),
    peer: (Ipv4Addr, u16),
    req: &Request,
    resolve: &[(String, Ipv4Addr)],
    now: Instant,
) -> Result<Decision, String> {
    let why = match original_dst(ct, local, peer, now) {
        Ok(dst) if dst != local => return Ok(Decision { dst, via: Via::OriginalDst }),
        Ok(_) => "names this proxy itself".to_string(),
        Err(e) => e.text().to_string(),
    };
    let named = req.authority().or_else(|| req.host()).ok_or("no Host to forward to")?;
    let dst = super::authority(named)
        .or_else(|| {
            let (name, port) = named.rsplit_once(':').map_or((named, Some(80)), |(n, p)| (n, p.parse().ok()));
            let addr = resolve.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?.1;
            Some((addr, port?))
        })
        .ok_or_else(|| format!("cannot resolve \"{named}\""))?;
    Ok(Decision { dst, via: Via::HostField(why) })
}

/// The request as the proxy sends it on: origin-form target, hop-by-hop
/// fields dropped, `Host` kept (or added from the destination), and
/// squid's additions: `Via`, `X-Forwarded-For` and `Connection: close`.
pub fn forwarded(req: &Request, dst: (Ipv4Addr, u16), client: Ipv4Addr, me: &str) -> String {
    const HOP: [&str; 4] = ["connection", "proxy-connection", "keep-alive", "x-forwarded-for"];
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method, req.path());
    if req.host().is_none() {
        let host = if dst.1 == 80 { dst.0.to_string() } else { format!("{}:{}", dst.0, dst.1) };
        out.push_str(&format!("Host: {}\r\n", req.authority().map_or(host, str::to_string)));
    }
    for (n, v) in req.fields.iter().filter(|(n, _)| !HOP.iter().any(|h| n.eq_ignore_ascii_case(h))) {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    let (maj, min) = req.version;
    out.push_str(&format!("Via: {maj}.{min} {me} (nfsim)\r\nX-Forwarded-For: {client}\r\nConnection: close\r\n\r\n"));
    out
}

/// True when the request already passed this proxy (its `Via` names it):
/// forwarding it again would loop.
pub fn is_loop(req: &Request, me: &str) -> bool {
    let mark = format!(" {me} (nfsim)");
    req.fields.iter().any(|(n, v)| n.eq_ignore_ascii_case("via") && v.contains(&mark))
}

#[cfg(test)]
mod test {
    use super::*;

    fn req(text: &str) -> Request {
        Request::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn without_conntrack_the_host_field_decides() {
        let r = req("GET /a HTTP/1.1\r\nHost: 198.51.100.80:8080\r\n\r\n");
        let local = (Ipv4Addr::new(192, 168, 1, 3), 3128);
        let peer = (Ipv4Addr::new(192, 168, 1, 1), 40000);
        let d = decide(None, local, peer, &r, &[], Instant::ZERO).unwrap();
        assert_eq!(d.dst, (Ipv4Addr::new(198, 51, 100, 80), 8080));
        assert_eq!(d.via, Via::HostField("Protocol not available".into()));
        let r = req("GET /a HTTP/1.1\r\nHost: www.example\r\n\r\n");
        assert_eq!(decide(None, local, peer, &r, &[], Instant::ZERO).unwrap_err(), "cannot resolve \"www.example\"");
        let map = [("WWW.example".to_string(), Ipv4Addr::new(198, 51, 100, 80))];
        assert_eq!(decide(None, local, peer, &r, &map, Instant::ZERO).unwrap().dst.1, 80);
    }

    #[test]
    fn forwarded_request_is_origin_form_with_via() {
        let r =
            req("GET http://198.51.100.80/a?b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n");
        let f = forwarded(&r, (Ipv4Addr::new(198, 51, 100, 80), 80), Ipv4Addr::new(192, 168, 1, 10), "fw");
        assert_eq!(
            f,
            "GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nVia: 1.1 fw (nfsim)\r\n\
             X-Forwarded-For: 192.168.1.10\r\nConnection: close\r\n\r\n"
        );
        let again = req(&f);
        assert!(is_loop(&again, "fw") && !is_loop(&again, "proxy"));
    }
}
