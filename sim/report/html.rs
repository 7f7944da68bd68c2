//! The report page: one self-contained HTML file (plots inline as SVG, no
//! script, no outside resource), a summary table, the plots, who held the
//! table, and the recommendations with the memory they cost.

use std::fmt::Write;

use super::model::Report;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Bytes as KiB/MiB with one decimal.
pub fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
td.n{text-align:right}figure{margin:1.5em 0}svg{max-width:100%;height:auto}.bad{color:#b00}.ok{color:#070}";

/// The page; `svgs` are the charts as `(name, svg)` in order.
pub fn page(r: &Report, svgs: &[(&str, String)]) -> String {
    let s = &r.summary;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Conntrack pressure: {}</title>\
         <style>{STYLE}</style></head><body>\n<h1>Conntrack pressure</h1>\n<p>Traffic: <code>{}</code>, profile \
         <code>{}</code>, sampled every {} s of virtual time.</p>\n",
        esc(&r.traffic),
        esc(&r.traffic),
        r.profile,
        r.interval_s
    );
    let verdict = if r.recommendations.nothing_lost {
        "<p class=\"ok\">Nothing was lost to a full table.</p>".to_string()
    } else {
        format!(
            "<p class=\"bad\">The table was full: {} packets dropped, {} entries evicted early.</p>",
            s.counters.drop, s.counters.early_drop
        )
    };
    h.push_str(&verdict);
    h.push_str("\n<h2>Summary</h2>\n<table>\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td class=\"n\">{}</td></tr>", esc(k), esc(&v));
    };
    row("packets", s.packets.to_string());
    row("duration (s)", s.duration_s.to_string());
    row("nf_conntrack_max", r.settings.nf_conntrack_max.to_string());
    row("nf_conntrack_buckets", r.settings.nf_conntrack_buckets.to_string());
    row("peak entries", format!("{} ({}% of max) at {} s", s.peak_entries, s.peak_pct_of_max, s.peak_t));
    row("table first full at (s)", s.full_at_s.map_or("never".into(), |t| t.to_string()));
    row("ASSURED / UNREPLIED at the peak", format!("{} / {}", s.peak_assured, s.peak_unreplied));
    row("entries confirmed", s.confirmed.to_string());
    let c = &s.counters;
    row("drop", c.drop.to_string());
    row("early_drop", c.early_drop.to_string());
    row("invalid", c.invalid.to_string());
    row("insert_failed", c.insert_failed.to_string());
    row("insert", c.insert.to_string());
    row("search_restart", c.search_restart.to_string());
    row("\"table full\" log lines", s.table_full_log_lines.to_string());
    row("expectations in use (most at once)", s.expectations.to_string());
    row("chain length at the peak", format!("mean {}, max {}", s.peak_chain_mean, s.peak_chain_max));
    row(
        "kernel memory at the peak",
        format!(
            "{} ({} B per entry, {} B with NAT)",
            bytes(s.kernel_bytes_peak),
            s.kernel_entry_bytes.0,
            s.kernel_entry_bytes.1
        ),
    );
    row("nfsim memory at the peak", bytes(s.nfsim_bytes_peak));
    h.push_str("</table>\n<h2>Recommendations</h2>\n");
    recommendations(&mut h, r);
    h.push_str("<h2>Plots</h2>\n");
    for (name, svg) in svgs {
        let _ = writeln!(h, "<figure id=\"{name}\">{}</figure>", strip_xml_decl(svg));
    }
    holders(&mut h, "Top sources by entries held at the peak", &r.top_sources);
    holders(&mut h, "Top services (destination) by entries held at the peak", &r.top_services);
    h.push_str("<p>Every number is in report.json beside this page.</p>\n</body></html>\n");
    h
}

fn recommendations(h: &mut String, r: &Report) {
    let rec = &r.recommendations;
    if rec.nothing_lost {
        h.push_str("<p>The current settings held; nothing to change.</p>\n");
        return;
    }
    h.push_str("<ul>\n");
    match &rec.max {
        Some(m) => {
            let _ = writeln!(
                h,
                "<li><code>sysctl -w net.netfilter.nf_conntrack_max={}</code> and \
                 <code>net.netfilter.nf_conntrack_buckets={}</code>: the smallest limit under which a re-run of the \
                 same traffic lost nothing (peak {} entries). Kernel memory: {} at that peak, {} with the table full; \
                 nfsim held {}.</li>",
                m.max,
                m.buckets,
                m.peak,
                bytes(m.kernel_bytes_peak),
                bytes(m.kernel_bytes_full),
                bytes(m.nfsim_bytes)
            );
        }
        None => h.push_str("<li>No limit up to the search's ceiling avoided the losses.</li>\n"),
    }
    for t in &rec.timeouts {
        let name = t.sysctl.strip_prefix("net.netfilter.").unwrap_or(t.sysctl);
        let _ = match t.value {
            Some(v) => writeln!(
                h,
                "<li><code>sysctl -w {}={v}</code> (now {}; governs {}% of the table at the peak): with the \
                 current limit a re-run lost nothing (peak {} entries, {} in the kernel).</li>",
                t.sysctl,
                t.current,
                t.share_pct,
                t.peak.unwrap_or(0),
                bytes(t.kernel_bytes_peak.unwrap_or(0))
            ),
            None => writeln!(
                h,
                "<li>Lowering <code>{name}</code> (now {}; governs {}% of the table at the peak) would not \
                 avoid the losses: a re-run with 1 s still lost entries.</li>",
                t.current, t.share_pct
            ),
        };
    }
    h.push_str("</ul>\n");
    let _ = writeln!(h, "<p>{} what-if runs; each is listed in report.json (<code>trials</code>).</p>", r.trials.len());
}

fn holders(h: &mut String, title: &str, list: &[super::model::Holder]) {
    let _ = writeln!(h, "<h2>{}</h2>\n<table><tr><th>who</th><th>entries</th></tr>", esc(title));
    for x in list {
        let _ = writeln!(h, "<tr><td>{}</td><td class=\"n\">{}</td></tr>", esc(&x.key), x.entries);
    }
    h.push_str("</table>\n");
}

/// An SVG document without its XML declaration, to inline it.
fn strip_xml_decl(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    }
}
