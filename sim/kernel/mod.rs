//! What is configured rather than computed: the box's sysctls and the
//! kernel profile (`linux-6`, `linux-2.4`): constants, message texts and
//! switches as data, never a fork of the code.

pub mod linux24;
mod profile;
mod sysctl;

pub use profile::{Profile, TcpWording};
pub use sysctl::{Sysctl, SysctlError, Sysctls};
