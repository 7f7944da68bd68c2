//! Charts drawn with plotters, each as SVG and as PNG. Text uses a DejaVu
//! Sans subset compiled into the binary (font/, with its license), so no
//! system font is needed to draw or to measure text; SVG text names
//! `sans-serif` and the viewer draws it. Same data, same bytes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::model::Report;

/// DejaVu Sans, cut down to ASCII and a few symbols (11 KB).
static FONT: &[u8] = include_bytes!("font/DejaVuSans-subset.ttf");

/// Chart size in pixels.
pub const SIZE: (u32, u32) = (900, 420);

/// Line colours, in series order (distinct in print and for colour-blind readers).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
];

/// One named line.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
}

/// What a chart shows.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Lines, with horizontal reference lines (a limit).
    Lines(Vec<Series>, Vec<(String, f64)>),
    /// Areas stacked bottom to top in series order.
    Stacked(Vec<Series>),
    /// One bar per x = 0, 1, 2 ...
    Bars(Vec<f64>),
}

/// A chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File stem (`occupancy` → occupancy.svg, occupancy.png).
    pub name: &'static str,
    /// Title.
    pub title: String,
    /// X axis text.
    pub x_desc: String,
    /// Y axis text.
    pub y_desc: String,
    /// The data.
    pub kind: Kind,
}

fn font_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is ours and valid; a failure would only lose text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

impl Chart {
    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, String> {
        font_once();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
            self.draw(&root).map_err(|e| format!("{}: {e}", self.name))?;
            root.present().map_err(|e| format!("{}: {e}", self.name))?;
        }
        Ok(out)
    }

    /// The chart as a PNG file's bytes.
    pub fn png(&self) -> Result<Vec<u8>, String> {
        font_once();
        let (w, h) = SIZE;
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
            self.draw(&root).map_err(|e| format!("{}: {e}", self.name))?;
            root.present().map_err(|e| format!("{}: {e}", self.name))?;
        }
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            // Charts are flat colour: the strongest settings make them ~10x smaller.
            enc.set_compression(png::Compression::Best);
            enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
        }
        Ok(bytes)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let (x_max, y_max) = self.extent();
        let x_range = match self.kind {
            Kind::Bars(_) => -0.5..x_max + 0.5,
            _ => 0.0..x_max,
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .label_style(("sans-serif", 13))
            .y_label_formatter(&|v| number(*v))
            .x_label_formatter(&|v| number(*v))
            .draw()?;
        match &self.kind {
            Kind::Lines(series, hlines) => {
                for (i, s) in series.iter().enumerate() {
                    let color = PALETTE[i % PALETTE.len()];
                    chart
                        .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))?
                        .label(&s.name)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
                }
                for (name, y) in hlines {
                    let style = RED.stroke_width(2);
                    chart
                        .draw_series(DashedLineSeries::new([(0.0, *y), (x_max, *y)], 8, 5, style))?
                        .label(name)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
                }
            }
            Kind::Stacked(series) => {
                let mut below = vec![0.0; series.first().map_or(0, |s| s.points.len())];
                let mut layers = Vec::new();
                for s in series {
                    let top: Vec<(f64, f64)> = s.points.iter().zip(&below).map(|(&(x, y), &b)| (x, y + b)).collect();
                    below = top.iter().map(|p| p.1).collect();
                    layers.push((s.name.clone(), top));
                }
                // Highest layer first, so each lower one paints over it.
                for (i, (name, top)) in layers.iter().enumerate().rev() {
                    let color = PALETTE[i % PALETTE.len()];
                    chart
                        .draw_series(AreaSeries::new(top.iter().copied(), 0.0, color.mix(0.85)).border_style(color))?
                        .label(name)
                        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], color.filled()));
                }
            }
            Kind::Bars(bars) => {
                let color = PALETTE[0];
                chart.draw_series(bars.iter().enumerate().map(|(i, &v)| {
                    let x = i as f64;
                    Rectangle::new([(x - 0.4, 0.0), (x + 0.4, v)], color.filled())
                }))?;
            }
        }
        if !matches!(self.kind, Kind::Bars(_)) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font(("sans-serif", 13))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        Ok(())
    }

    /// The largest x and y to show (y with a tenth of headroom, at least 1).
    fn extent(&self) -> (f64, f64) {
        let (mut x, mut y) = (0.0f64, 0.0f64);
        match &self.kind {
            Kind::Lines(series, hlines) => {
                for p in series.iter().flat_map(|s| &s.points) {
                    x = x.max(p.0);
                    y = y.max(p.1);
                }
                for (_, h) in hlines {
                    y = y.max(*h);
                }
            }
            Kind::Stacked(series) => {
                let n = series.first().map_or(0, |s| s.points.len());
                for i in 0..n {
                    x = x.max(series[0].points[i].0);
                    y = y.max(series.iter().map(|s| s.points[i].1).sum());
                }
            }
            Kind::Bars(bars) => {
                x = bars.len().saturating_sub(1) as f64;
                y = bars.iter().copied().fold(0.0, f64::max);
            }
        }
        (x.max(1e-3), (y * 1.1).max(1.0))
    }
}

/// An axis number: integers plainly, thousands as `12k`, fractions with up to 3 decimals.
fn number(v: f64) -> String {
    if v.abs() >= 10_000.0 && (v / 1000.0).fract() == 0.0 {
        format!("{}k", v / 1000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The report's charts.
pub fn charts(r: &Report) -> Vec<Chart> {
    let t = "virtual time (s)".to_string();
    let points = |f: &dyn Fn(&super::sample::Sample) -> f64| r.samples.iter().map(|s| (s.t, f(s))).collect::<Vec<_>>();
    let mut v = vec![Chart {
        name: "occupancy",
        title: "Conntrack entries in use".into(),
        x_desc: t.clone(),
        y_desc: "entries".into(),
        kind: Kind::Lines(
            vec![
                Series { name: "entries".into(), points: points(&|s| f64::from(s.count)) },
                Series { name: "UNREPLIED".into(), points: points(&|s| f64::from(s.unreplied)) },
                Series { name: "ASSURED".into(), points: points(&|s| f64::from(s.assured)) },
            ],
            vec![(
                format!("nf_conntrack_max = {}", r.settings.nf_conntrack_max),
                f64::from(r.settings.nf_conntrack_max),
            )],
        ),
    }];
    v.push(Chart {
        name: "drops",
        title: "Losses per interval".into(),
        x_desc: t.clone(),
        y_desc: "per interval".into(),
        kind: Kind::Lines(
            vec![
                Series { name: "drop (table full)".into(), points: points(&|s| f64::from(s.delta.drop)) },
                Series { name: "early_drop (evicted)".into(), points: points(&|s| f64::from(s.delta.early_drop)) },
                Series { name: "insert_failed".into(), points: points(&|s| f64::from(s.delta.insert_failed)) },
                Series { name: "invalid".into(), points: points(&|s| f64::from(s.delta.invalid)) },
            ],
            Vec::new(),
        ),
    });
    v.push(Chart {
        name: "states",
        title: "State mix".into(),
        x_desc: t.clone(),
        y_desc: "entries".into(),
        kind: Kind::Stacked(state_mix(r)),
    });
    v.push(Chart {
        name: "chains",
        title: format!("Bucket chain lengths at the peak ({} buckets)", r.settings.nf_conntrack_buckets),
        x_desc: "nodes in the chain (2 per entry)".into(),
        y_desc: "buckets".into(),
        kind: Kind::Bars(r.chain_histogram.iter().map(|&n| f64::from(n)).collect()),
    });
    let mut runs = vec![Series { name: "as run".into(), points: points(&|s| f64::from(s.count)) }];
    for o in &r.overlays {
        runs.push(Series { name: o.label.clone(), points: o.points.iter().map(|&(t, n)| (t, f64::from(n))).collect() });
    }
    v.push(Chart {
        name: "what-if",
        title: "Entries in use, as run and under each recommendation".into(),
        x_desc: t,
        y_desc: "entries".into(),
        kind: Kind::Lines(runs, vec![("limit as run".into(), f64::from(r.settings.nf_conntrack_max))]),
    });
    v
}

/// Picks one figure out of a sample.
type Pick<'a> = dyn Fn(&super::sample::Sample) -> f64 + 'a;

/// TCP by state group, then UDP, ICMP and the rest, per sample.
fn state_mix(r: &Report) -> Vec<Series> {
    let tcp_in = |s: &super::sample::Sample, names: &[&str]| -> f64 {
        s.tcp_states.iter().filter(|(n, _)| names.contains(n)).map(|(_, c)| f64::from(*c)).sum()
    };
    let groups: [(&str, &Pick<'_>); 7] = [
        ("TCP SYN_SENT", &|s| tcp_in(s, &["SYN_SENT", "SYN_SENT2"])),
        ("TCP SYN_RECV", &|s| tcp_in(s, &["SYN_RECV"])),
        ("TCP ESTABLISHED", &|s| tcp_in(s, &["ESTABLISHED"])),
        ("TCP closing", &|s| tcp_in(s, &["FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "NONE"])),
        ("UDP", &|s| f64::from(s.udp)),
        ("ICMP", &|s| f64::from(s.icmp)),
        ("other", &|s| f64::from(s.other)),
    ];
    groups
        .iter()
        .map(|(name, f)| Series { name: (*name).into(), points: r.samples.iter().map(|s| (s.t, f(s))).collect() })
        .filter(|s| s.points.iter().any(|p| p.1 > 0.0))
        .collect()
}
