//! Target extensions, one file each; [`new`] is the registry by `-j` name.

pub mod classify;
pub mod connmark;
pub mod ct;
pub mod dnat;
pub mod dscp;
pub mod log;
pub mod mark;
pub mod masquerade;
pub mod natrange;
pub mod netmap;
pub mod nflog;
pub mod notrack;
pub mod redirect;
pub mod reject;
pub mod reject_build;
pub mod snat;
pub mod tcpmss;
pub mod tos;
pub mod trace;
pub mod ttl;

use super::Target;

/// A fresh target for `-j NAME`, if nfsim implements it.
pub fn new(name: &str) -> Option<Box<dyn Target>> {
    Some(match name {
        "LOG" => Box::new(log::Log::default()),
        "REJECT" => Box::new(reject::Reject::default()),
        "MARK" => Box::new(mark::Mark::default()),
        "SNAT" => Box::new(snat::Snat::default()),
        "DNAT" => Box::new(dnat::Dnat::default()),
        "MASQUERADE" => Box::new(masquerade::Masquerade::default()),
        "REDIRECT" => Box::new(redirect::Redirect::default()),
        "NETMAP" => Box::new(netmap::Netmap::default()),
        "CT" => Box::new(ct::Ct::default()),
        "NOTRACK" => Box::new(notrack::Notrack),
        "TRACE" => Box::new(trace::Trace),
        "TCPMSS" => Box::new(tcpmss::Tcpmss::default()),
        "NFLOG" => Box::new(nflog::Nflog::default()),
        "CONNMARK" => Box::new(connmark::Connmark::default()),
        "TTL" => Box::new(ttl::Ttl::default()),
        "TOS" => Box::new(tos::Tos::default()),
        "DSCP" => Box::new(dscp::Dscp::default()),
        "CLASSIFY" => Box::new(classify::Classify::default()),
        _ => return None,
    })
}
