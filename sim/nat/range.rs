//! The mapping a NAT rule asks for: the kernel's `struct nf_nat_range2`.
//!
//! One type for every NAT target: SNAT and DNAT give it outright
//! (`--to-source`/`--to-destination` and their flags), MASQUERADE, REDIRECT
//! and NETMAP fill the addresses in when they fire (the outgoing interface's
//! address, the incoming one's, the mapped prefix) and keep the rest.

use std::net::Ipv4Addr;

/// `NF_NAT_RANGE_*` flags.
pub mod flags {
    /// Addresses are given (`NF_NAT_RANGE_MAP_IPS`).
    pub const MAP_IPS: u8 = 1 << 0;
    /// Ports (or ICMP ids) are given (`NF_NAT_RANGE_PROTO_SPECIFIED`).
    pub const PROTO_SPECIFIED: u8 = 1 << 1;
    /// `--random` (`NF_NAT_RANGE_PROTO_RANDOM`).
    pub const RANDOM: u8 = 1 << 2;
    /// `--persistent` (`NF_NAT_RANGE_PERSISTENT`).
    pub const PERSISTENT: u8 = 1 << 3;
    /// `--random-fully` (`NF_NAT_RANGE_PROTO_RANDOM_FULLY`).
    pub const RANDOM_FULLY: u8 = 1 << 4;
    /// A `/base` port shift (`NF_NAT_RANGE_PROTO_OFFSET`).
    pub const OFFSET: u8 = 1 << 5;
    /// Either random flag (`NF_NAT_RANGE_PROTO_RANDOM_ALL`): since 5.x both
    /// mean the same, a random start of the port search.
    pub const RANDOM_ALL: u8 = RANDOM | RANDOM_FULLY;
}

/// Addresses, ports and flags of one mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// [`flags`] bits.
    pub flags: u8,
    /// Lowest address (host order), with `MAP_IPS`.
    pub min_addr: u32,
    /// Highest address (host order), with `MAP_IPS`.
    pub max_addr: u32,
    /// Lowest port or ICMP id, with `PROTO_SPECIFIED`.
    pub min_proto: u16,
    /// Highest port or ICMP id, with `PROTO_SPECIFIED`.
    pub max_proto: u16,
    /// The port that maps to `min_proto`, with `OFFSET`.
    pub base_proto: u16,
}

impl Range {
    /// A range of one address and any port: what a null binding, MASQUERADE
    /// and REDIRECT map to.
    pub fn to_addr(addr: Ipv4Addr) -> Range {
        Range { flags: flags::MAP_IPS, min_addr: u32::from(addr), max_addr: u32::from(addr), ..Range::default() }
    }

    /// This range with its addresses replaced by the single `addr` (and
    /// `MAP_IPS` set), ports and flags kept: how MASQUERADE, REDIRECT and
    /// NETMAP hand their choice to the generic setup.
    pub fn with_addr(self, addr: Ipv4Addr) -> Range {
        Range { flags: self.flags | flags::MAP_IPS, min_addr: u32::from(addr), max_addr: u32::from(addr), ..self }
    }

    /// True if `flag` is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The addresses, if given.
    pub fn addrs(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        self.has(flags::MAP_IPS).then(|| (Ipv4Addr::from(self.min_addr), Ipv4Addr::from(self.max_addr)))
    }

    /// The ports, if given.
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.has(flags::PROTO_SPECIFIED).then_some((self.min_proto, self.max_proto))
    }

    /// `addr` lies in the address range (`nf_nat_inet_in_range`).
    pub fn addr_in_range(&self, addr: u32) -> bool {
        self.min_addr <= addr && addr <= self.max_addr
    }
}
