//! Fuzz target: arbitrary bytes as a capture file.
//!
//! Reads the input with `nfsim::pcap::Reader` to the end (or the first
//! error) and decapsulates every record. Any panic, or an allocation the
//! input's size does not justify, is a bug; errors are expected.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nfsim::pcap::{Reader, link};
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Reader::new(Cursor::new(data)) else {
        return;
    };
    while let Ok(Some(record)) = reader.next() {
        let _ = link::decap(record.link, record.data);
        if let Some(id) = record.interface {
            let _ = reader.interfaces().get(id as usize);
        }
    }
});
