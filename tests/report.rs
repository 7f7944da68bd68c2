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

/// The report's counts are conntrack's own: `conntrack -S` and `conntrack
/// -C` at the end of the same scenario say the same numbers.
#[test]
fn report_numbers_agree_with_conntrack_s_and_the_entry_count() {
    let out = out_dir("agree");
    let r = report(&out, &[]);
    let with_listing = out_dir("agree-scenario");
    std::fs::create_dir_all(&with_listing).unwrap();
    let file = with_listing.join("synflood-listed.nfs");
    let mut text = std::fs::read_to_string(scenario()).unwrap();
    text.push_str("on fw conntrack -S\non fw conntrack -C\n");
    std::fs::write(&file, text).unwrap();
    let run = nfsim().arg("run").arg(&file).output().unwrap();
    let transcript = String::from_utf8(run.stdout).unwrap();
    let stats = transcript.lines().find(|l| l.starts_with("cpu=0")).expect("conntrack -S line");
    let field = |name: &str| -> u64 {
        let v = stats.split_whitespace().find_map(|kv| kv.strip_prefix(&format!("{name}=")));
        v.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} in {stats}"))
    };
    let counters = &r["summary"]["counters"];
    for name in ["insert", "drop", "early_drop", "invalid", "insert_failed", "search_restart"] {
        assert_eq!(counters[name].as_u64(), Some(field(name)), "{name}: report {counters} vs `{stats}`");
    }
    let count: u64 = transcript.lines().last().unwrap().trim().parse().expect("conntrack -C count last");
    let last = r["samples"].as_array().unwrap().last().unwrap();
    assert_eq!(last["count"].as_u64(), Some(count), "entries at the end");
}

/// The PNGs are drawn (not one colour), and where a headless Chromium is
/// installed the page loads with every plot present.
#[test]
fn the_page_and_its_pictures_render() {
    let out = out_dir("render");
    report(&out, &[]);
    let file = std::fs::File::open(out.join("plots/occupancy.png")).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let first = &px[..3];
    let differing = px.chunks(3).filter(|p| p != &first).count();
    assert!(differing > px.len() / 3 / 100, "the occupancy PNG is (nearly) blank");

    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(browser) = browser else {
        println!("skipping the browser check: no chromium, chromium-browser or google-chrome on PATH");
        return;
    };
    let page = format!("file://{}", out.join("index.html").display());
    let dom = Command::new(browser)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--dump-dom"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in ["occupancy", "drops", "states", "chains", "what-if"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "plot {id} missing from the rendered page");
    }
    assert!(dom.matches("<svg").count() >= 4, "the plots are inline SVG");
}
