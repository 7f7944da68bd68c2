//! `conntrack` in a scenario's shell: `-L` (with filters), `-D`, `-F`,
//! `-S`, `-C`, `-L expect`, and `-E`, which runs only in the background
//! (`on HOST conntrack -E [-e EVENTS] [FILTERS] &`) and prints its events
//! as they happen until `kill %N`. Texts and exit statuses are those of
//! conntrack-tools 1.4.7 (observed on Linux 6.18).

use crate::conntrack::event::{flow_entries_deleted, flow_events_shown};
use crate::conntrack::filter::{Filter, TRY_HELP};
use crate::conntrack::text::flow_entries_shown;
use crate::conntrack::{Conntrack, CtConfig};
use crate::engine::{Instant, Rng};
use crate::kernel::Sysctl;
use crate::net::Host;
use crate::world::World;
use crate::world::job::Job;

const PREFIX: &str = "conntrack v1.4.7 (conntrack-tools): ";

/// A usage error: conntrack's message, its hint, exit status 2.
fn usage(msg: &str) -> String {
    format!("{PREFIX}{msg}\n{TRY_HELP}(exit 2)\n")
}

/// The netlink port a conntrack process's socket gets: its pid for the
/// first socket (`flush`), a random port below 2^32 − 4096 once the pid is
/// taken (`-D` opens a second socket to delete what the first dumps);
/// drawn from a stream of the run's seed, the host and the time.
fn portid(seed: u64, host: &str, now: Instant, second_socket: bool) -> u32 {
    let mut rng = Rng::new(seed).fork(&format!("conntrack-portid:{host}:{}", now.as_nanos()));
    if second_socket { 0x8000_0000 + rng.below(0x7fff_f000) } else { 1000 + rng.below(60000) }
}

/// `conntrack ...` on `host`.
pub fn conntrack(host: &mut Host, args: &[String], now: Instant, seed: u64) -> String {
    let op = args.first().map_or("-L", String::as_str);
    let rest = args.get(1..).unwrap_or_default();
    let Some(ct) = &mut host.netfilter.conntrack else {
        // No rule loaded the module: the table exists and is empty.
        return match op {
            "-C" | "--count" => "0\n".into(),
            "-D" | "--delete" => format!("{}(exit 1)\n", flow_entries_deleted(0)),
            _ => flow_entries_shown(0),
        };
    };
    match op {
        "-L" | "--dump" if rest.first().is_some_and(|t| t == "expect") => {
            let text = ct.list_expect(now);
            format!("{text}{}", crate::conntrack::expect::expectations_shown(text.lines().count()))
        }
        "-L" | "--dump" => match Filter::parse(rest) {
            Ok(f) => {
                let text = ct.list_matching(&f, now);
                format!("{text}{}", flow_entries_shown(text.lines().count()))
            }
            Err(e) => usage(&e),
        },
        "-D" | "--delete" => match Filter::parse(rest) {
            Ok(f) => {
                let lines = ct.delete_matching(&f, now, portid(seed, &host.name, now, true));
                let mut out: String = lines.concat();
                out.push_str(&flow_entries_deleted(lines.len()));
                if lines.is_empty() {
                    out.push_str("(exit 1)\n");
                }
                out
            }
            Err(e) => usage(&e),
        },
        "-S" | "--stats" => ct.stats_text(),
        "-C" | "--count" => format!("{}\n", ct.count()),
        "-F" | "--flush" => {
            // Listeners see every entry go, deleted by the flushing process.
            ct.delete_matching(&Filter::default(), now, portid(seed, &host.name, now, false));
            let sink = ct.take_event_sink();
            // A fresh table with the same settings: every entry goes.
            let rng = Rng::new(seed).fork(&format!("host:{}", host.name));
            let hash_seed = rng.fork("conntrack-hash").next_u64();
            let mut fresh = Conntrack::new(CtConfig::from_sysctls(&host.sysctl, hash_seed));
            fresh.set_event_sink(sink);
            host.netfilter.conntrack = Some(fresh);
            format!("{PREFIX}connection tracking table has been emptied.\n")
        }
        "-E" | "--event" => match Filter::parse(rest) {
            Ok(_) => {
                "nfsim: `conntrack -E' runs until it is killed: start it in the background (`on HOST conntrack -E &')\n"
                    .into()
            }
            Err(e) => usage(&e),
        },
        other => format!("{PREFIX}option `{other}' is not supported here\n"),
    }
}

/// `on HOST CMD &`: starts a background job; returns what the shell
/// printed (nothing, or why the job could not start).
pub fn start_job(world: &mut World, node: usize, argv: &[String]) -> String {
    let rest = match argv {
        [cmd, op, rest @ ..] if cmd == "conntrack" && (op == "-E" || op == "--event") => rest,
        _ => return format!("nfsim: only `conntrack -E' runs in the background, not `{}'\n", argv.join(" ")),
    };
    let filter = match Filter::parse(rest) {
        Ok(f) => f,
        Err(e) => return usage(&e),
    };
    let n = &mut world.nodes[node];
    let number = n.jobs.len() as u32 + 1;
    n.jobs.push(Job { number, filter, shown: 0, running: true });
    sync_listener(world, node);
    String::new()
}

/// `kill %N`: stops job N, which prints its summary (on stderr).
pub fn kill(world: &mut World, node: usize, args: &[String]) -> String {
    let Some(spec) = args.iter().find(|a| !a.starts_with('-')) else {
        return "kill: usage: kill %JOB\n".into();
    };
    let job = spec.strip_prefix('%').and_then(|n| n.parse::<u32>().ok());
    let n = &mut world.nodes[node];
    let Some(j) = job.and_then(|k| n.jobs.iter_mut().find(|j| j.number == k && j.running)) else {
        return format!("sh: kill: {spec}: no such job\n(exit 1)\n");
    };
    j.running = false;
    let shown = j.shown;
    sync_listener(world, node);
    flow_events_shown(shown)
}

/// Makes the host's conntrack listen exactly while a job runs (and
/// `nf_conntrack_events` allows events at all).
pub fn sync_listener(world: &mut World, node: usize) {
    let n = &mut world.nodes[node];
    let on = n.jobs.iter().any(|j| j.running) && n.host.sysctl.get(Sysctl::NfConntrackEvents) != 0;
    if let Some(ct) = &mut n.host.netfilter.conntrack
        && ct.listening() != on
    {
        ct.listen(on);
    }
}

#[cfg(test)]
mod test {
    use crate::scenario::{Options, ast::Action, parse, run};
    use crate::world::{Kind, Record};

    fn records(text: &str) -> Vec<Record> {
        let s = parse::parse(text, "t.nfs").expect("parses");
        run::run(&s, &Options::default()).expect("runs").records
    }

    fn outputs(r: &[Record]) -> Vec<&str> {
        r.iter().filter(|r| r.kind == Kind::Output).map(|r| r.text.as_str()).collect()
    }

    const NET: &str = "host a eth0 10.0.0.1/24\nhost b eth0 10.0.0.2/24\n\
                       on b iptables -A INPUT -m state --state NEW -j ACCEPT\nat 0 b udp listen 53 echo\n";

    #[test]
    fn an_ampersand_makes_a_background_job() {
        let s = parse::parse(&format!("{NET}on b conntrack -E -p udp &\n"), "t.nfs").unwrap();
        let Action::Background { host, argv } = &s.statements.last().unwrap().action else { panic!("a job") };
        assert_eq!((host.as_str(), argv.join(" ").as_str()), ("b", "conntrack -E -p udp"));
        assert!(parse::parse(&format!("{NET}on b &\n"), "t.nfs").is_err());
    }

    #[test]
    fn a_job_prints_events_while_it_runs_and_its_count_when_killed() {
        let r = records(&format!(
            "{NET}on b conntrack -E &\nat 1ms a udp send 10.0.0.2:53 from-port 4000\nrun 10ms\non b kill %1\n\
             at 15ms a udp send 10.0.0.2:53 from-port 4001\nrun 10ms\non b kill %1\n"
        ));
        let jobs: Vec<&str> = r.iter().filter(|r| r.kind == Kind::Job).map(|r| r.text.as_str()).collect();
        assert_eq!(jobs.len(), 2, "{jobs:?}");
        assert!(jobs[0].starts_with("%1:     [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=4000"));
        assert!(jobs[1].starts_with("%1:  [UPDATE] udp      17 30 src=10.0.0.1"), "the echo is the reply");
        let out = outputs(&r);
        assert!(out.contains(&"conntrack v1.4.7 (conntrack-tools): 2 flow events have been shown."));
        assert!(out.contains(&"sh: kill: %1: no such job"), "killed once only: {out:?}");
    }

    #[test]
    fn delete_prints_what_it_deleted_and_fails_when_nothing_matched() {
        let r = records(&format!(
            "{NET}at 1ms a udp send 10.0.0.2:53 from-port 4000\nrun 10ms\non b conntrack -D -p udp --sport 4000\n\
             on b conntrack -D -p udp\non b conntrack -D --sport 1\non b conntrack -E\n"
        ));
        let out = outputs(&r);
        assert!(out[0].starts_with("udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=4000 dport=53 src="), "{out:?}");
        assert_eq!(out[1], "conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.");
        assert_eq!(&out[2..4], ["conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.", "(exit 1)"]);
        assert_eq!(out[4], "conntrack v1.4.7 (conntrack-tools): unknown option `--sport'");
        assert_eq!(out[6], "(exit 2)");
        assert!(out[7].contains("start it in the background"), "{out:?}");
    }

    #[test]
    fn list_takes_the_same_filters() {
        let r = records(&format!(
            "{NET}at 1ms a udp send 10.0.0.2:53 from-port 4000\nrun 10ms\non b conntrack -L -p tcp\n\
             on b conntrack -L -p udp --sport 4000 -u SEEN_REPLY\non b conntrack -L -s 10.0.0.9\n"
        ));
        let out = outputs(&r);
        assert_eq!(out[0], "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.");
        assert!(out[1].starts_with("udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=4000"), "{out:?}");
        assert_eq!(out[2], "conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.");
        assert_eq!(out[3], "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.");
    }

    #[test]
    fn flush_reports_every_entry_destroyed_to_a_listener() {
        let r = records(&format!(
            "{NET}on b conntrack -E -e DESTROY &\nat 1ms a udp send 10.0.0.2:53 from-port 4000\nrun 10ms\n\
             on b conntrack -F\nat 15ms a udp send 10.0.0.2:53 from-port 4001\nrun 10ms\non b conntrack -F\n"
        ));
        let jobs: Vec<&str> = r.iter().filter(|r| r.kind == Kind::Job).map(|r| r.text.as_str()).collect();
        assert_eq!(jobs.len(), 2, "the listener survives the first flush: {jobs:?}");
        assert!(jobs.iter().all(|j| j.starts_with("%1: [DESTROY] udp      17 ") && j.contains("[USERSPACE] portid=")));
    }
}
