//! Commands that turn addresses into names through the host's resolver,
//! one lookup after the other, in virtual time: `iptables -L` without
//! `-n` (netfilter FAQ 3.11: with a nameserver that does not answer, each
//! address printed costs its timeouts) and `getent hosts ADDR...`.
//!
//! The listing is made twice from one snapshot of the table (iptables
//! reads the table once, then prints): first to learn which addresses it
//! asks about, in order; then, when the lookups are done, with their
//! names. The lookups run as an app on the host
//! ([`crate::apps::dns::resolver`]), so their queries cross the box's own
//! OUTPUT chain and conntrack.

use super::job::{Blocked, Reply};
use crate::apps::dns::resolver::{Files, Resolved, ReverseLookups};
use crate::ruleset::{Command, Op, Table};
use crate::world::World;

/// `Some` when `argv` is a command that looks names up (`iptables -L`
/// naming addresses, `getent hosts ADDR`); `None` leaves the command to
/// the ordinary path (which also prints any error).
pub fn list_with_names(world: &mut World, node: usize, argv: &[String]) -> Option<Reply> {
    if argv.first().is_some_and(|c| c == "getent") {
        return getent(world, node, &argv[1..]);
    }
    if !matches!(argv.first().map(String::as_str), Some("iptables" | "iptables-legacy" | "iptables-nft")) {
        return None;
    }
    let cmd = crate::ruleset::argv::parse(&argv[1..]).ok()?;
    if cmd.op != Op::List || cmd.list.numeric {
        return None;
    }
    let table = Table::from_name(&cmd.table)?;
    let host = &world.nodes[node].host;
    let snapshot = host.netfilter.ruleset.clone();
    let chain = cmd.chain.clone();
    if chain.as_deref().is_some_and(|c| snapshot.table(table).is_none_or(|t| t.chain(c).is_none())) {
        return None;
    }
    let mut asked = Vec::new();
    snapshot.list_rule_named(table, chain.as_deref(), cmd.rulenum, cmd.list, &mut |a| {
        asked.push(a);
        None
    });
    if asked.is_empty() {
        return None;
    }
    let (app, lookups) = ReverseLookups::new(asked, Files::of(host));
    let now = world.now();
    world.start_app(node, Box::new(app), now);
    let ready = lookups.clone();
    Some(Reply::Blocked(Blocked {
        ready: Box::new(move || ready.done()),
        then: Box::new(move |w: &mut World| {
            let mut found = lookups.results().into_iter();
            let mut out = snapshot.list_rule_named(table, chain.as_deref(), cmd.rulenum, cmd.list, &mut |_| {
                found.next().and_then(|r| r.name().map(str::to_string))
            });
            if cmd.zero {
                out.push_str(&zero(w, node, &cmd));
            }
            Reply::Done(out)
        }),
    }))
}

/// `getent hosts ADDR...`: `gethostbyaddr` for each address (`/etc/hosts`,
/// then DNS), printed as getent prints a host entry (`%-15s NAME
/// ALIASES`); exit status 2 when a key was not found. Names (forward
/// lookups) are not modelled: `None` leaves them to the shell's error.
fn getent(world: &mut World, node: usize, args: &[String]) -> Option<Reply> {
    let [db, keys @ ..] = args else { return None };
    let addrs: Vec<std::net::Ipv4Addr> = keys.iter().map(|k| k.parse().ok()).collect::<Option<_>>()?;
    if db != "hosts" || addrs.is_empty() {
        return None;
    }
    let host = &world.nodes[node].host;
    let files = Files { networks: None, ..Files::of(host) };
    let hosts = files.hosts.clone();
    let (app, lookups) = ReverseLookups::new(addrs.clone(), files);
    let now = world.now();
    world.start_app(node, Box::new(app), now);
    let ready = lookups.clone();
    Some(Reply::Blocked(Blocked {
        ready: Box::new(move || ready.done()),
        then: Box::new(move |_: &mut World| {
            let mut out = String::new();
            let mut missing = false;
            for (a, r) in addrs.iter().zip(lookups.results()) {
                let names = match r {
                    Resolved::Hosts(_) => crate::apps::dns::conf::host_names(&hosts, *a),
                    Resolved::Dns(n) => vec![n],
                    Resolved::Network(_) | Resolved::Nothing => Vec::new(),
                };
                if names.is_empty() {
                    missing = true;
                } else {
                    out.push_str(&format!("{:<15} {}\n", a.to_string(), names.join(" ")));
                }
            }
            if missing {
                out.push_str("(exit 2)\n");
            }
            Reply::Done(out)
        }),
    }))
}

/// `-L -Z`: the counters are zeroed once the listing is printed.
fn zero(world: &mut World, node: usize, cmd: &Command) -> String {
    let zero = Command { op: Op::Zero, ..cmd.clone() };
    match world.nodes[node].host.netfilter.ruleset.apply_command(&zero) {
        Ok(o) => format!("{}{}", o.stdout, o.stderr),
        Err(e) => format!("{}(exit {})\n", e.stderr(), e.status),
    }
}
