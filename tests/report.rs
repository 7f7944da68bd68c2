//! `nfsim report pressure`: a SYN flood fills a small table, the report
//! says so, and the limit it recommends holds when the flood runs again.

use std::path::{Path, PathBuf};
use std::process::Command;

fn nfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nfsim"))
}

fn out_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/report/synflood.nfs")
}

fn report(out: &Path, extra: &[&str]) -> serde_json::Value {
    let got = nfsim()
        .args(["report", "pressure"])
        .arg(scenario())
        .args(["--interval", "50ms", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// 300 SYNs from random sources in 1 s through a table of 64: each SYN
/// makes an unassured SYN_SENT entry that lives 120 s.
#[test]
fn a_syn_flood_fills_the_table_and_the_recommended_limit_holds() {
    let out = out_dir("synflood");
    let r = report(&out, &["--what-if", "nf_conntrack_buckets=1024"]);
    let s = &r["summary"];
    assert_eq!(r["settings"]["nf_conntrack_max"], 64);
    assert_eq!(s["peak_entries"], 64, "the table reaches its limit");
    assert!(s["full_at_s"].is_number());
    assert!(s["counters"]["drop"].as_u64().unwrap() > 0, "packets dropped: {s}");
    assert!(s["counters"]["early_drop"].as_u64().unwrap() > 0, "unassured entries evicted: {s}");
    assert_eq!(s["peak_assured"], 0, "a flood's entries are never assured");
    let rec = &r["recommendations"]["max"];
    let max = rec["max"].as_u64().unwrap();
    assert!(max > 64, "{rec}");
    // The recommendation's own what-if run lost nothing; check it again
    // with a fresh run, and that one less than it does lose.
    let again = report(&out_dir("synflood-recommended"), &["--what-if", &format!("nf_conntrack_max={max}")]);
    assert_eq!(again["summary"]["counters"]["drop"], 0);
    assert_eq!(again["summary"]["counters"]["early_drop"], 0);
    assert_eq!(again["recommendations"]["nothing_lost"], true);
    let below = report(&out_dir("synflood-below"), &["--what-if", &format!("nf_conntrack_max={}", max - 1)]);
    assert_eq!(below["recommendations"]["nothing_lost"], false);
    // The page embeds its plots; the PNGs are drawn.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("id=\"occupancy\""));
    let png = std::fs::read(out.join("plots/occupancy.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 5000);
}

#[test]
fn the_report_is_byte_identical_across_runs() {
    let (a, b) = (out_dir("same-a"), out_dir("same-b"));
    report(&a, &[]);
    report(&b, &[]);
    for f in ["report.json", "index.html", "plots/occupancy.svg", "plots/states.png"] {
        assert!(std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let cases: [(&[&str], &str); 4] = [
        (&["--what-if", "nf_conntrack_maxx=5"], "unknown sysctl"),
        (&["--what-if", "nf_conntrack_max"], "expected KEY=VALUE"),
        (&["--interval", "soon"], "--interval soon"),
        (&["--iface", "eth0=10.0.0.1/24"], "go with --replay"),
    ];
    for (extra, want) in cases {
        let got = nfsim()
            .args(["report", "pressure"])
            .arg(scenario())
            .args(["--out"])
            .arg(out_dir("bad"))
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&got.stderr);
        assert_eq!(got.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(want), "{extra:?}: {err}");
    }
    let got = nfsim().args(["report", "pressure", "--out", "x"]).output().unwrap();
    assert_eq!(got.status.code(), Some(2));
}
