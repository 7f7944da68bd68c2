//! The scenario parser on arbitrary text: an error with a position, never
//! a panic (the caret display included).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = nfsim::scenario::parse(text, "fuzz.nfs") {
        let _ = e.to_string();
    }
});
