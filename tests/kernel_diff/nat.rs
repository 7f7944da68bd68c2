//! Kernel differential cases for NAT (issue #6).

use super::*;

/// Cases where nfsim is known to differ from the kernel (see the main list).
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

pub fn cases() -> Vec<Case> {
    vec![]
}
