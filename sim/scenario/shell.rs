//! The commands a scenario runs on a host, answering with the text the
//! real tools print: `iptables`, `iptables-restore`, `iptables-save`,
//! `sysctl`, `echo N > /proc/sys/...`, `cat /proc/...`, `conntrack`,
//! `dmesg`, `ip link`, `ip route`, `nstat`; `time CMD`; `getent hosts
//! ADDR`; `echo`/`cat` on files under `/etc`.
//!
//! A failing command prints its error and the scenario goes on, as a shell
//! script without `set -e` does.

use super::job::Reply;
use crate::engine::Instant;
use crate::kernel::Sysctl;
use crate::net::{Host, RouteSpec};
use crate::netfilter::Netfilter;
use crate::world::World;

/// Reads `iptables-restore < FILE` inputs (files beside the scenario).
pub type Loader<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Runs `argv` on host `node` to its end (the world runs on while it
/// waits); returns what it printed.
pub fn run(world: &mut World, node: usize, argv: &[String], stdin: Option<&str>, load: Option<Loader<'_>>) -> String {
    let reply = start(world, node, argv, stdin, load);
    super::job::finish(world, reply)
}

/// Starts `argv` on host `node`: its output, or what it waits for.
/// `A | B` feeds A's output to B (a text filter, or a host command reading
/// stdin); `time CMD` reports how long CMD took, as bash's keyword does.
pub fn start(world: &mut World, node: usize, argv: &[String], stdin: Option<&str>, load: Option<Loader<'_>>) -> Reply {
    if argv.first().is_some_and(|w| w == "time") {
        let posix = argv.get(1).is_some_and(|w| w == "-p");
        let rest = &argv[if posix { 2 } else { 1 }..];
        let began = world.now();
        let reply = if rest.is_empty() { Reply::Done(String::new()) } else { start(world, node, rest, stdin, load) };
        return reply.map(move |w, out| out + &super::job::time_report(w.now().saturating_since(began), posix));
    }
    let stages = super::pipe::stages(argv);
    let mut reply = start_one(world, node, stages[0], stdin, load);
    for stage in &stages[1..] {
        let stage = stage.to_vec();
        reply = reply.and_then(move |w, out| match super::pipe::filter(&stage, &out) {
            Some(filtered) => Reply::Done(filtered),
            // Its input comes from the pipe, so it reads no file.
            None => start_one(w, node, &stage, Some(&out), None),
        });
    }
    reply
}

/// Starts one command of a pipeline: those that wait for the network
/// answer [`Reply::Blocked`], the others run at once.
fn start_one(world: &mut World, node: usize, argv: &[String], stdin: Option<&str>, load: Option<Loader<'_>>) -> Reply {
    if let Some(r) = super::names::list_with_names(world, node, argv) {
        return r;
    }
    Reply::Done(run_one(world, node, argv, stdin, load))
}

/// Runs one command of a pipeline.
fn run_one(world: &mut World, node: usize, argv: &[String], stdin: Option<&str>, load: Option<Loader<'_>>) -> String {
    let (argv, redirect) = split_redirect(argv);
    let stdin = match (stdin, redirect) {
        (Some(s), _) => Some(s.to_string()),
        (None, Some(path)) => match load.map(|l| l(path)) {
            Some(Ok(text)) => Some(text),
            Some(Err(e)) => return format!("sh: {path}: {e}\n"),
            None => return format!("sh: {path}: cannot read files here\n"),
        },
        (None, None) => None,
    };
    let Some(cmd) = argv.first() else { return String::new() };
    if cmd == "kill" {
        return super::conntrack_cmd::kill(world, node, &argv[1..]);
    }
    let seed = world.seed;
    let out = world.with_host(node, |host, now, _tx| match cmd.as_str() {
        "iptables" | "iptables-legacy" | "iptables-nft" => iptables(host, &argv[1..], seed, now),
        "iptables-restore" | "iptables-legacy-restore" => restore(host, &argv[1..], stdin.as_deref(), seed),
        "iptables-save" | "iptables-legacy-save" => save(host, &argv[1..]),
        "sysctl" => sysctl(host, &argv[1..]),
        "echo" => echo(host, &argv[1..]),
        "cat" => super::files::cat(host, &argv[1..], stdin.as_deref()).unwrap_or_else(|| cat(host, &argv[1..], now)),
        "conntrack" => super::conntrack_cmd::conntrack(host, &argv[1..], now, seed),
        "conntrack-chains" => chains(host, &argv[1..]),
        "dmesg" => dmesg(host, &argv[1..]),
        "console" => console(host),
        "trace" => trace(host, &argv[1..]),
        "ip" => ip(host, &argv[1..]),
        "modprobe" => modprobe(host, &argv[1..], now),
        "bridge" => match argv.get(1..).unwrap_or_default() {
            [fdb] | [fdb, _] if fdb == "fdb" => host.fdb_text(now),
            _ => "bridge: only `bridge fdb show' is modelled\n".into(),
        },
        "nstat" | "netstat" => host.stats.render(),
        other => format!("sh: {other}: command not found\n"),
    });
    if !world.nodes[node].jobs.is_empty() {
        // The command may have made or replaced the table a job listens to.
        super::conntrack_cmd::sync_listener(world, node);
    }
    world.touched(node);
    out
}

/// `trace on|off`: nfsim's own command. While on, every packet line of this
/// host is followed by its explained way through the hooks (as `nfsim run
/// --trace` does for every router): what `iptables -C` cannot say.
fn trace(host: &mut Host, args: &[String]) -> String {
    match args.first().map(String::as_str) {
        Some("on") => {
            host.netfilter.trace.get_or_insert_with(Vec::new);
            String::new()
        }
        Some("off") => {
            host.netfilter.trace = None;
            String::new()
        }
        _ => "trace: usage: trace on|off\n".to_string(),
    }
}

/// Splits `CMD ... < FILE` into the command and the file.
fn split_redirect(argv: &[String]) -> (Vec<String>, Option<&str>) {
    match argv.iter().position(|w| w == "<") {
        Some(i) => (argv[..i].to_vec(), argv.get(i + 1).map(String::as_str)),
        None => (argv.to_vec(), None),
    }
}

/// After the rules changed: connection tracking starts once a rule needs
/// it, as loading the rule loads `nf_conntrack` in the kernel. The decision
/// is netfilter's own (a fresh `Netfilter` for the new rules says whether
/// it tracks); state already tracked is kept.
fn rules_changed(host: &mut Host, seed: u64) {
    if host.netfilter.conntrack.is_some() {
        return;
    }
    // The same stream `Host::new` gives the box's netfilter.
    let rng = crate::engine::Rng::new(seed).fork(&format!("host:{}", host.name));
    let fresh = Netfilter::new(host.netfilter.ruleset.clone(), &host.sysctl, &rng, None);
    host.netfilter.conntrack = fresh.conntrack;
}

fn iptables(host: &mut Host, args: &[String], seed: u64, now: Instant) -> String {
    // A 2.4 kernel refuses an extension it does not have: the lookup fails
    // (ENOENT) before any table changes.
    if host.sysctl.profile() == crate::kernel::Profile::Linux24
        && crate::kernel::linux24::missing_extension(args).is_some()
    {
        return "iptables: No chain/target/match by that name.\n(exit 1)\n".to_string();
    }
    match host.netfilter.ruleset.apply_argv(args) {
        Ok(o) => {
            for l in &o.kernel_log {
                host.klog.printk(now, crate::klog::Level::Info, l);
            }
            rules_changed(host, seed);
            format!("{}{}", o.stdout, o.stderr)
        }
        Err(e) => {
            // A kernel refusal says why in the kernel log (x_tables' pr_info).
            for l in &e.kernel_log {
                host.klog.printk(now, crate::klog::Level::Info, l);
            }
            let mut s = e.stderr();
            s.push_str(&format!("(exit {})\n", e.status));
            s
        }
    }
}

fn restore(host: &mut Host, args: &[String], stdin: Option<&str>, seed: u64) -> String {
    let Some(text) = stdin else { return "iptables-restore: no input (use a heredoc or < FILE)\n".into() };
    let noflush = args.iter().any(|a| a == "-n" || a == "--noflush");
    let counters = args.iter().any(|a| a == "-c" || a == "--counters");
    let opts = crate::ruleset::RestoreOpts { noflush, counters };
    match host.netfilter.ruleset.restore_with(text, "stdin", opts) {
        Ok(()) => {
            rules_changed(host, seed);
            String::new()
        }
        Err(e) => format!("{}(exit {})\n", e.stderr(), e.status),
    }
}

fn save(host: &mut Host, args: &[String]) -> String {
    let counters = args.iter().any(|a| a == "-c" || a == "--counters");
    let table = args.iter().position(|a| a == "-t" || a == "--table").and_then(|i| args.get(i + 1));
    match table.map(|t| crate::ruleset::Table::from_name(t).ok_or(t)) {
        Some(Ok(t)) => host.netfilter.ruleset.save_table(t, counters),
        Some(Err(t)) => format!("iptables-save: Unable to open table {t}\n"),
        None => host.netfilter.ruleset.save(counters),
    }
}

/// `kernel.printk` (four levels, not one number: kept by the log itself).
fn set_printk(host: &mut Host, line: &str) -> Option<Result<String, String>> {
    let value = line.trim().strip_prefix("kernel.printk")?.trim_start().strip_prefix('=')?;
    Some(match host.klog.levels.parse(value.trim_matches('"')) {
        Some(levels) => {
            host.klog.levels = levels;
            Ok(format!("kernel.printk = {}\n", value.trim_matches('"').trim()))
        }
        None => Err("sysctl: setting key \"kernel.printk\": Invalid argument\n".into()),
    })
}

/// What reached the box's console (nfsim's own command: the console is a
/// screen, not a file), in `dmesg`'s form.
fn console(host: &mut Host) -> String {
    let mut out = String::new();
    host.klog.write_dmesg(&mut out, host.klog.console());
    out
}

/// Sets a sysctl and applies it where the kernel applies it at once.
fn set_sysctl(host: &mut Host, line: &str) -> Result<Sysctl, String> {
    let key = host.sysctl.apply(line).map_err(|e| e.to_string())?;
    if let Some(ct) = &mut host.netfilter.conntrack {
        match key {
            Sysctl::NfConntrackMax => ct.set_max(host.sysctl.get(key) as u32),
            // Writing the bucket count rehashes the table at once.
            Sysctl::NfConntrackBuckets => ct.resize(host.sysctl.get(key) as u32),
            _ => {}
        }
    }
    Ok(key)
}

fn sysctl(host: &mut Host, args: &[String]) -> String {
    let mut out = String::new();
    let quiet = args.iter().any(|a| a == "-q");
    for a in args.iter().filter(|a| !a.starts_with('-')) {
        if let Some(r) = set_printk(host, a) {
            match r {
                Ok(text) if !quiet => out.push_str(&text),
                Ok(_) => {}
                Err(e) => out.push_str(&e),
            }
        } else if a == "kernel.printk" {
            out.push_str(&format!("kernel.printk = {}\n", host.klog.levels.to_proc()));
        } else if a.contains('=') {
            match set_sysctl(host, a) {
                Ok(k) if !quiet => out.push_str(&format!("{} = {}\n", k.name(), host.sysctl.get(k))),
                Ok(_) => {}
                Err(e) => out.push_str(&format!("{e}\n")),
            }
        } else {
            match Sysctl::lookup(a, host.sysctl.profile()) {
                Some(k) => out.push_str(&format!("{} = {}\n", k.name(), host.sysctl.get(k))),
                None => out.push_str(&format!(
                    "sysctl: cannot stat /proc/sys/{}: No such file or directory\n",
                    a.replace('.', "/")
                )),
            }
        }
    }
    out
}

/// `echo N > /proc/sys/a/b`: a sysctl by its file.
fn echo(host: &mut Host, args: &[String]) -> String {
    if let Some(out) = super::files::echo_to_file(host, args) {
        return out;
    }
    let Some(gt) = args.iter().position(|a| a == ">") else { return format!("{}\n", args.join(" ")) };
    let (value, path) = (args[..gt].join(" "), args.get(gt + 1).map_or("", String::as_str));
    let Some(key) = path.strip_prefix("/proc/sys/") else { return format!("sh: {path}: Permission denied\n") };
    // dash's words: a file procfs does not have cannot be created; a value
    // the kernel refuses fails the write (EINVAL).
    const WRITE_FAILED: &str = "sh: 1: echo: echo: I/O error\n";
    if let Some(r) = set_printk(host, &format!("kernel.printk={value}")).filter(|_| key == "kernel/printk") {
        return r.map_or_else(|_| WRITE_FAILED.to_string(), |_| String::new());
    }
    if Sysctl::lookup(key, host.sysctl.profile()).is_none() {
        return format!("sh: 1: cannot create {path}: Directory nonexistent\n");
    }
    match set_sysctl(host, &format!("{}={value}", key.replace('/', "."))) {
        Ok(_) => String::new(),
        Err(_) => WRITE_FAILED.to_string(),
    }
}

fn cat(host: &mut Host, args: &[String], now: Instant) -> String {
    let mut out = String::new();
    for path in args {
        let text = match path.as_str() {
            // The profile names the file: 2.4 had only /proc/net/ip_conntrack.
            p if p.starts_with("/proc/net/") && p != host.sysctl.profile().proc_conntrack() && is_ct_proc(p) => {
                format!("cat: {p}: No such file or directory\n")
            }
            "/proc/net/nf_conntrack" => host.netfilter.conntrack.as_mut().map_or(String::new(), |c| c.proc(now)),
            "/proc/net/ip_conntrack" => {
                host.netfilter.conntrack.as_mut().map_or(String::new(), |c| without_mark(&c.list(now)))
            }
            "/proc/net/stat/nf_conntrack" => host.netfilter.conntrack.as_ref().map_or(String::new(), |c| c.proc_stat()),
            "/proc/net/ip_tables_names" => host.netfilter.ruleset.ip_tables_names(),
            "/proc/sys/kernel/printk" => format!("{}\n", host.klog.levels.to_proc()),
            "/proc/sys/net/netfilter/nf_conntrack_count" => {
                format!("{}\n", host.netfilter.conntrack.as_ref().map_or(0, |c| c.count()))
            }
            p => match p.strip_prefix("/proc/sys/").and_then(|k| Sysctl::lookup(k, host.sysctl.profile())) {
                Some(k) => format!("{}\n", host.sysctl.get(k)),
                None => format!("cat: {p}: No such file or directory\n"),
            },
        };
        out.push_str(&text);
    }
    out
}

/// A /proc file of tracked connections under one profile or the other.
fn is_ct_proc(p: &str) -> bool {
    p == "/proc/net/nf_conntrack" || p == "/proc/net/ip_conntrack"
}

/// 2.4's lines had no `mark=` (that came with CONNMARK); otherwise they
/// read as `conntrack -L` reads today.
fn without_mark(list: &str) -> String {
    list.lines()
        .map(|l| l.split(' ').filter(|w| !w.starts_with("mark=")).collect::<Vec<_>>().join(" ") + "\n")
        .collect()
}

/// `conntrack-chains [--hash linux-6|linux-2.4] [--buckets N]` (nfsim's
/// own): how the entries would spread over the buckets with that hash.
fn chains(host: &mut Host, args: &[String]) -> String {
    let Some(ct) = &host.netfilter.conntrack else { return "conntrack-chains: no conntrack table\n".into() };
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let hash = match opt("--hash").map(|h| crate::kernel::Profile::from_name(h)) {
        None => host.sysctl.profile(),
        Some(Some(p)) => p,
        Some(None) => return "conntrack-chains: --hash takes linux-6 or linux-2.4\n".into(),
    };
    let buckets = match opt("--buckets").map(|b| b.parse::<u32>()) {
        None => ct.buckets(),
        Some(Ok(b)) if b > 0 => b,
        Some(_) => return "conntrack-chains: --buckets takes a positive number\n".into(),
    };
    ct.chains_text(hash, buckets)
}

/// `modprobe MODULE [PARAM=VALUE...]`. Conntrack's module (`nf_conntrack`;
/// under `linux-2.4`, `ip_conntrack`) takes `hashsize=N`: the bucket count, and with it
/// the entry limit, 8 per bucket when the size is given (the kernel's
/// `max_factor` for a user-chosen size, `nf_conntrack_init_start`). A
/// module already loaded ignores its parameters, silently, as modprobe does.
fn modprobe(host: &mut Host, args: &[String], now: Instant) -> String {
    let Some(module) = args.iter().find(|a| !a.starts_with('-')) else {
        return "modprobe: ERROR: missing parameters. See -h.\n".into();
    };
    // 2.4 called the module ip_conntrack; today's kernel has no such name.
    let ct_module = match host.sysctl.profile() {
        crate::kernel::Profile::Linux6 => "nf_conntrack",
        crate::kernel::Profile::Linux24 => "ip_conntrack",
    };
    let conntrack = module == ct_module;
    let known = conntrack
        || matches!(
            module.as_str(),
            "br_netfilter"
                | "nf_nat"
                | "iptable_filter"
                | "iptable_nat"
                | "iptable_mangle"
                | "iptable_raw"
                | "ip_tables"
        );
    if !known {
        return format!(
            "modprobe: FATAL: Module {module} not found in directory /lib/modules/{}\n",
            uname_release(host)
        );
    }
    // Conntrack is loaded once a rule needed it.
    if host.modules.contains(module) || (conntrack && host.netfilter.conntrack.is_some()) {
        return String::new();
    }
    host.modules.push(module.clone());
    for param in args.iter().skip_while(|a| *a != module).skip(1) {
        match (conntrack, param.split_once('=')) {
            (true, Some(("hashsize", n))) => match n.parse::<i64>() {
                Ok(n) if n > 0 => {
                    // The limit goes first: the bucket count may exceed the old one.
                    let _ = set_sysctl(host, &format!("net.netfilter.nf_conntrack_max={}", n.saturating_mul(8)));
                    let _ = set_sysctl(host, &format!("net.netfilter.nf_conntrack_buckets={n}"));
                }
                _ => return format!("modprobe: ERROR: could not insert '{module}': Invalid argument\n"),
            },
            // 2.4's ip_conntrack took only hashsize; anything else failed the load.
            _ if conntrack && host.sysctl.profile() == crate::kernel::Profile::Linux24 => {
                return format!("modprobe: ERROR: could not insert '{module}': Invalid argument\n");
            }
            // Today's kernel loads the module anyway, with a warning.
            _ => host.klog.printk(
                now,
                crate::klog::Level::Warning,
                &format!("{module}: unknown parameter '{}' ignored", param.split('=').next().unwrap_or(param)),
            ),
        }
    }
    if conntrack && host.sysctl.profile() == crate::kernel::Profile::Linux24 {
        // 2.4 said how big it made the table when it loaded.
        let (buckets, max) = (host.sysctl.get(Sysctl::NfConntrackBuckets), host.sysctl.get(Sysctl::NfConntrackMax));
        let line = crate::kernel::linux24::load_line(buckets as u32, max as u32);
        host.klog.printk(now, crate::klog::Level::Info, &line);
    }
    String::new()
}

/// The kernel release a profile's modules directory is named after.
fn uname_release(host: &Host) -> &'static str {
    match host.sysctl.profile() {
        crate::kernel::Profile::Linux6 => "6.1.0",
        crate::kernel::Profile::Linux24 => "2.4.21",
    }
}

fn dmesg(host: &mut Host, args: &[String]) -> String {
    if let Some(i) = args.iter().position(|a| a == "-n") {
        return match args.get(i + 1).and_then(|l| l.parse::<u8>().ok()).filter(|l| (1..=8).contains(l)) {
            Some(level) => {
                host.klog.levels.console_loglevel = level;
                String::new()
            }
            None => "dmesg: unknown level\n".into(),
        };
    }
    let mut out = String::new();
    host.klog.write_dmesg(&mut out, host.klog.records());
    out
}

fn ip(host: &mut Host, args: &[String]) -> String {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["link", "set", "dev", name, state] | ["link", "set", name, state] if matches!(*state, "up" | "down") => {
            host.set_link(name, *state == "up").map_or_else(|e| format!("{e}\n"), |()| String::new())
        }
        ["link"] | ["link", "show"] => host
            .ifaces()
            .iter()
            .map(|i| {
                let state = if i.up { "UP" } else { "DOWN" };
                format!("{}: {}: mtu {} state {state}\n    link/ether {}\n", i.index, i.name, i.mtu, i.mac)
            })
            .collect(),
        ["route"] | ["route", "show"] => routes_text(host),
        ["route", "add", ..] => {
            let spec = a[2..].join(" ");
            match spec.parse::<RouteSpec>() {
                Ok(r) => host.add_route(&r).map_or_else(|e| format!("{e}\n"), |()| String::new()),
                Err(e) => format!("{e}\n"),
            }
        }
        _ => format!("ip {}: not modelled\n", a.join(" ")),
    }
}

/// `ip route` text.
fn routes_text(host: &Host) -> String {
    let mut out = String::new();
    for r in host.routes().routes() {
        let dst =
            if r.dst.prefix_len == 0 { "default".to_string() } else { format!("{}/{}", r.dst.addr, r.dst.prefix_len) };
        let kind = match r.kind {
            crate::net::route::RouteType::Unicast => String::new(),
            k => format!("{k:?} ").to_lowercase(),
        };
        let mut line = format!("{kind}{dst}");
        if let Some(v) = r.via {
            line.push_str(&format!(" via {v}"));
        }
        if let Some(d) = r.dev.and_then(|d| host.iface(d)) {
            line.push_str(&format!(" dev {}", d.name));
            if r.connected
                && let Some(src) = d.select_addr(r.dst.addr)
            {
                line.push_str(&format!(" proto kernel scope link src {src}"));
            }
        }
        if r.metric != 0 {
            line.push_str(&format!(" metric {}", r.metric));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}
