//! Shell commands that wait for the network, as a real shell waits for
//! them: a command answers either at once ([`Reply::Done`]) or with what
//! it waits for and what it does then ([`Reply::Blocked`]). The runner
//! ([`finish`]) lets the world run on, event by event, until the wait is
//! over, so the command's output appears at the virtual time it finishes
//! and the script goes on from there. A pipeline or `time` wraps the
//! command's reply ([`Reply::map`], [`Reply::and_then`]) without knowing
//! whether it waits.
//!
//! `iptables -L` without `-n` is the first such command (one reverse
//! lookup per address it prints); `getent hosts`, `host ADDR` or
//! `timeout T CMD` would answer the same way.

use crate::engine::Duration;
use crate::world::World;

/// How long a command may wait before the runner gives up on it: far
/// beyond any resolver timeout, a guard against a wait nothing ends.
pub(crate) const WAIT_MAX: Duration = Duration::from_secs(86_400);

/// What a command answers when started.
pub enum Reply {
    /// Finished, with what it printed.
    Done(String),
    /// Waiting for the world.
    Blocked(Blocked),
}

/// A command waiting for the world.
pub struct Blocked {
    /// True once what the command waits for has happened.
    pub ready: Box<dyn Fn() -> bool>,
    /// What it does then: finish, or wait again.
    pub then: Box<dyn FnOnce(&mut World) -> Reply>,
}

impl Reply {
    /// Feeds the command's output, once it has it, to `f`, which may wait
    /// in turn (the next command of a pipeline).
    pub fn and_then(self, f: impl FnOnce(&mut World, String) -> Reply + 'static) -> Reply {
        match self {
            Reply::Done(out) => {
                Reply::Blocked(Blocked { ready: Box::new(|| true), then: Box::new(move |w: &mut World| f(w, out)) })
            }
            Reply::Blocked(b) => {
                let Blocked { ready, then } = b;
                Reply::Blocked(Blocked { ready, then: Box::new(move |w: &mut World| then(w).and_then(f)) })
            }
        }
    }

    /// Rewrites the command's output once it has it (`time` adds its report).
    pub fn map(self, f: impl FnOnce(&mut World, String) -> String + 'static) -> Reply {
        self.and_then(move |w, out| Reply::Done(f(w, out)))
    }
}

/// Runs the world until `reply` is done; returns what the command printed.
/// The world's clock is then at the time the command finished.
pub fn finish(world: &mut World, reply: Reply) -> String {
    let mut reply = reply;
    // Bounded: each pass is one wait; a command chains few of them.
    for _ in 0..1_000_000 {
        match reply {
            Reply::Done(out) => return out,
            Reply::Blocked(Blocked { ready, then }) => {
                wait(world, ready.as_ref());
                reply = then(world);
            }
        }
    }
    "sh: command kept waiting\n".to_string()
}

/// Runs the world one event time at a time until `ready`, or until nothing
/// is left to happen, or for at most [`WAIT_MAX`].
fn wait(world: &mut World, ready: &dyn Fn() -> bool) {
    let limit = world.now() + WAIT_MAX;
    while !ready() {
        match world.next_event_at() {
            Some(t) if t <= limit => world.run_until(t),
            _ => return,
        }
    }
}

/// `time`'s report as bash prints it (`TIMEFORMAT` unset): a blank line,
/// then real, user and sys as `XmY.YYYs`; `-p` gives POSIX's
/// `real S.SS` form. Commands here take no CPU time: user and sys are 0.
pub fn time_report(elapsed: Duration, posix: bool) -> String {
    let ms = elapsed.as_nanos() / 1_000_000;
    if posix {
        let cs = elapsed.as_nanos() / 10_000_000;
        return format!("real {}.{:02}\nuser 0.00\nsys 0.00\n", cs / 100, cs % 100);
    }
    format!("\nreal\t{}m{}.{:03}s\nuser\t0m0.000s\nsys\t0m0.000s\n", ms / 60_000, (ms / 1000) % 60, ms % 1000)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn time_reports_as_bash_does() {
        assert_eq!(time_report(Duration::ZERO, false), "\nreal\t0m0.000s\nuser\t0m0.000s\nsys\t0m0.000s\n");
        assert_eq!(time_report(Duration::from_millis(120_012), false).lines().nth(1), Some("real\t2m0.012s"));
        assert_eq!(time_report(Duration::from_millis(40_012), true), "real 40.01\nuser 0.00\nsys 0.00\n");
    }

    #[test]
    fn a_blocked_command_waits_for_the_world() {
        let mut w = World::new(1);
        let start = w.now();
        // Nothing in the world: the wait ends at once, the command finishes.
        let r = Reply::Blocked(Blocked { ready: Box::new(|| false), then: Box::new(|_| Reply::Done("x\n".into())) });
        let out = finish(&mut w, r.map(|_, o| format!("{o}y\n")));
        assert_eq!((out.as_str(), w.now()), ("x\ny\n", start));
        assert_eq!(finish(&mut w, Reply::Done("a".into()).and_then(|_, o| Reply::Done(o + "b"))), "ab");
    }
}
