//! Scenario tests: every example's transcript against its golden file,
//! determinism (same seed, same bytes; another seed, other numbers where
//! randomness is used), parse errors with their positions, and `nfsim
//! test` finding a diff after a rule edit and `--bless` restoring it.

use nfsim::scenario::{self, Options};
use nfsim::world::report::{render_json, render_text};
use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("scenarios/examples")
        .expect("scenarios/examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "nfs"))
        .collect();
    v.sort();
    v
}

fn transcript(path: &Path, seed: Option<u64>) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("readable");
    let s = scenario::parse(&text, &path.display().to_string()).expect("parses");
    let out = scenario::run(&s, &Options { seed, ..Options::default() }).expect("runs");
    (render_text(&out.records), out.failures)
}

#[test]
fn examples_match_their_golden_transcripts_and_expectations() {
    let files = examples();
    assert!(files.len() >= 4, "examples found: {files:?}");
    for f in files {
        let (got, failures) = transcript(&f, None);
        assert!(failures.is_empty(), "{}: {failures:?}", f.display());
        let want = std::fs::read_to_string(f.with_extension("expected")).expect("golden file beside it");
        assert_eq!(got, want, "{} differs from its .expected (nfsim test --bless to update)", f.display());
    }
}

#[test]
fn same_seed_same_bytes_text_and_json() {
    for f in examples() {
        let text = std::fs::read_to_string(&f).unwrap();
        let s = scenario::parse(&text, "x").unwrap();
        let a = scenario::run(&s, &Options::default()).unwrap();
        let b = scenario::run(&s, &Options::default()).unwrap();
        assert_eq!(render_text(&a.records), render_text(&b.records), "{}", f.display());
        assert_eq!(render_json(&a.records), render_json(&b.records), "{}", f.display());
    }
}

#[test]
fn another_seed_changes_what_is_random() {
    // Loss, initial sequence numbers and ephemeral ports come from the seed.
    let f = Path::new("scenarios/examples/lossy-link.nfs");
    let (a, _) = transcript(f, Some(1));
    let (b, _) = transcript(f, Some(2));
    assert_ne!(a, b);
    assert!(a.starts_with("[0.000000] seed 1\n") && b.starts_with("[0.000000] seed 2\n"));
}

#[test]
fn parse_errors_point_at_the_word() {
    let e = scenario::parse("host a eth0 10.0.0.1/24\nat 5ms a tcp connect 10.0.0.2:80 sned 4\n", "s.nfs").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.nfs:2:34: unknown option `sned' (known: from-port, send, keep-open)\n  |\n2 | at 5ms a tcp connect 10.0.0.2:80 sned 4\n  |                                  ^"
    );
    let e = scenario::parse("router fw eth0 10.0.0.1/33\n", "s.nfs").unwrap_err();
    assert_eq!((e.line, e.col), (1, 11));
}

#[test]
fn idle_time_costs_nothing() {
    // An hour of virtual time with established state and timers pending.
    let s = scenario::parse(
        "host a eth0 10.0.0.1/24\nhost b eth0 10.0.0.2/24\non a iptables -A INPUT -m state --state NEW -j ACCEPT\n\
         at 0 b tcp listen 80\nat 0 a tcp connect 10.0.0.2:80 keep-open\nrun 1h\nexpect a conntrack count == 1\n",
        "idle.nfs",
    )
    .unwrap();
    let out = scenario::run(&s, &Options::default()).unwrap();
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(out.events < 100, "{} events for an idle hour", out.events);
}

/// Runs the built binary (cargo builds it for integration tests).
fn nfsim(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim")).args(args).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn nfsim_test_finds_a_rule_edit_and_bless_restores() {
    let dir = std::env::temp_dir().join(format!("nfsim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = std::fs::read_to_string("scenarios/examples/dropped-connection.nfs").unwrap();
    let f = dir.join("fw.nfs");
    std::fs::write(&f, &src).unwrap();
    let d = dir.to_str().unwrap();
    let (code, out) = nfsim(&["test", d, "--bless"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = nfsim(&["test", d]);
    assert_eq!(code, 0, "{out}");
    // Edit a rule: the transcript must differ (its expectations still hold).
    std::fs::write(&f, src.replace("-A FORWARD -i eth0 -j ACCEPT", "-A FORWARD -i eth0 -p tcp -j ACCEPT")).unwrap();
    let (code, out) = nfsim(&["test", d, "--junit", dir.join("j.xml").to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL") && out.contains("\n-") && out.contains("\n+"), "{out}");
    assert!(out.contains("+[0.000000] fw# iptables -A FORWARD -i eth0 -p tcp -j ACCEPT"), "{out}");
    assert!(std::fs::read_to_string(dir.join("j.xml")).unwrap().contains("failures=\"1\""));
    assert_eq!(nfsim(&["test", d, "--bless"]).0, 0);
    assert_eq!(nfsim(&["test", d]).0, 0);
    // Same transcripts on one thread and on several.
    let (_, one) = nfsim(&["test", "scenarios/examples", "-j", "1"]);
    let (_, two) = nfsim(&["test", "scenarios/examples", "-j", "2"]);
    assert_eq!(one, two);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_scenarios_exit_2_with_a_caret() {
    let dir = std::env::temp_dir().join(format!("nfsim-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.nfs");
    std::fs::write(&f, "host a eth0 10.0.0.1/24\non b dmesg\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim")).args(["run", f.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.nfs:2:4: unknown host `b'") && err.contains("  |    ^"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn trace_explains_a_bridged_drop_under_its_packet_line() {
    let (code, out) = nfsim(&["run", "--trace", "scenarios/faq/transparent-bridging-firewall.nfs"]);
    assert_eq!(code, 0, "{out}");
    let drop = out.find("fw: eth0 dropped (netfilter FORWARD) tcp 192.168.1.10:40001").expect("the SSH SYN's line");
    let after = &out[drop..];
    assert!(after.contains("fw:   FORWARD filter: tcp 192.168.1.10:40001 > 192.168.1.20:22"), "{after}");
    assert!(after.contains("FORWARD #3 -m physdev --physdev-is-bridged -j LOG"), "{after}");
    assert!(after.contains("fw:   FORWARD filter/FORWARD/policy DROP"), "{after}");
    // Without --trace, no step lines.
    let (_, plain) = nfsim(&["run", "scenarios/faq/transparent-bridging-firewall.nfs"]);
    assert!(!plain.contains("FORWARD filter:"));
}

#[test]
fn faq_scenarios_pass_with_their_golden_transcripts() {
    // The netfilter FAQ's runtime problems (issue #10), run as users run
    // them: files beside a scenario (`< big.rules`) are read from its folder.
    let (code, out) = nfsim(&["test", "scenarios/faq"]);
    assert_eq!(code, 0, "{out}");
}

/// The parser on mutated scenarios (bytes flipped, lines cut, pieces of
/// other lines spliced in): an error with a position, never a panic. A
/// seeded stand-in for the `scenario_parse` fuzz target that runs in
/// `cargo test`.
#[test]
fn mutated_scenarios_never_panic_the_parser() {
    let dirs = ["scenarios/examples", "scenarios/faq"];
    let mut corpus = Vec::new();
    for d in dirs {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(d);
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
        names.sort();
        for p in names.into_iter().filter(|p| p.extension().is_some_and(|x| x == "nfs")) {
            corpus.push(std::fs::read_to_string(p).unwrap());
        }
    }
    assert!(!corpus.is_empty());
    // xorshift: deterministic, no dependency.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces =
        ["<<EOF", "\\", "\"", "'", "at", "on", "|", ">", "#", "ms", "-1", "999999999999999999999", "\t", "\u{e9}"];
    for round in 0..3000 {
        let base = &corpus[round % corpus.len()];
        let mut text: Vec<char> = base.chars().collect();
        for _ in 0..1 + next() % 4 {
            if text.is_empty() {
                break;
            }
            let at = (next() as usize) % text.len();
            match next() % 4 {
                0 => text.truncate(at),
                1 => {
                    text.remove(at);
                }
                2 => {
                    let p = pieces[(next() as usize) % pieces.len()];
                    for (k, c) in p.chars().enumerate() {
                        text.insert(at + k, c);
                    }
                }
                _ => text[at] = char::from(b' ' + (next() % 95) as u8),
            }
        }
        let text: String = text.into_iter().collect();
        if let Err(e) = nfsim::scenario::parse(&text, "mutated.nfs") {
            let _ = e.to_string();
        }
    }
}
