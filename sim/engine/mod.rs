//! The discrete-event core: virtual time, seeded randomness, the event queue.
//!
//! Nothing in nfsim reads the wall clock or an unseeded random source. Time is
//! an [`Instant`] in nanoseconds that only the queue advances; randomness comes
//! from one seed split into named [`Rng`] streams, so adding a consumer never
//! shifts another's numbers; events at the same instant run in the order they
//! were scheduled.

mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::Rng;
pub use time::{Duration, Instant};
