//! Arbitrary bytes as an Ethernet frame, through every wire view and getter:
//! L2 (VLAN tags) → IPv4 → TCP options / UDP / ICMP and the datagram an ICMP
//! error quotes. Nothing may panic. The walk itself lives in the library
//! (`nfsim::wire::walk`) so `cargo test` runs the same code on seeded frames.
//!
//! Run with `cargo +nightly fuzz run wire_parse` from this directory.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(nfsim::wire::walk::walk_frame(data));
});
