//! Arbitrary bytes as a DNS message (header, question, A and PTR answers,
//! compressed names): an error or a message, never a panic; what parses
//! is emitted again, which must not panic either.
//!
//! Run with `cargo +nightly fuzz run dns_parse` from this directory.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = nfsim::apps::dns::wire::parse(data) {
        let _ = std::hint::black_box(m.emit());
    }
});
