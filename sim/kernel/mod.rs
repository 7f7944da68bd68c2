//! What is configured rather than computed: the box's sysctls.
//!
//! Later this layer also holds the kernel profiles (`linux-6`, `linux-2.4`):
//! constants, message texts and switches as data, never a fork of the code.

mod sysctl;

pub use sysctl::{Sysctl, SysctlError, Sysctls};
