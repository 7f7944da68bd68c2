//! Kernel differential cases for TCP connection tracking (issue #5).

use super::*;

/// Cases where nfsim is known to differ from the kernel (see the main list).
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

pub fn cases() -> Vec<Case> {
    vec![]
}
