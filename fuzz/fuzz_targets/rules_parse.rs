//! Fuzz the ruleset parsers with arbitrary text: both input forms (restore
//! and script), then print what loaded and load it again (a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut rs = nfsim::ruleset::Ruleset::new();
    let _ = rs.apply_restore(text, "fuzz", true);
    let _ = rs.apply_script(text, "fuzz");
    let saved = rs.save(true);
    let again = nfsim::ruleset::load(&saved, "saved").expect("saved text must load");
    assert_eq!(again.save(false), rs.save(false));
});
