//! `--csv DIR` (one CSV per table and figure) and `--plots DIR` (one SVG
//! CDF per figure, drawn with plotters).
//!
//! This module owns file names and layouts; the numbers are read from the
//! JSON document of [`super::model::build`].

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use plotters::prelude::*;
use serde_json::Value;

use crate::Error;

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `key,value` rows for every scalar leaf of `v` (arrays are left to the
/// figure files).
fn leaves(prefix: &str, v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&p, x, out);
            }
        }
        Value::Array(_) => {}
        x => {
            let _ = writeln!(out, "{prefix},{}", cell(x));
        }
    }
}

fn cdf_rows(series: &str, v: &Value, out: &mut String) {
    for p in v.as_array().into_iter().flatten() {
        let _ = writeln!(out, "{series},{},{}", cell(&p[0]), cell(&p[1]));
    }
}

fn rows(v: &Value, cols: &[&str], out: &mut String) {
    let _ = writeln!(out, "{}", cols.join(","));
    for r in v.as_array().into_iter().flatten() {
        let line: Vec<String> = cols.iter().map(|c| cell(&r[*c])).collect();
        let _ = writeln!(out, "{}", line.join(","));
    }
}

/// The CSV files, by name.
pub fn csv_files(r: &Value) -> Vec<(&'static str, String)> {
    let mut f = Vec::new();
    let t = &r["table1"];
    let mut s = String::from("scope,what,total,ipv4,ipv6\n");
    for scope in ["all_tcp", "mptcp"] {
        for what in ["packets", "bytes"] {
            let v = &t[scope][what];
            let _ = writeln!(
                s,
                "{scope},{what},{},{},{}",
                v["total"], v["ipv4"], v["ipv6"]
            );
        }
    }
    f.push(("table1_traffic.csv", s));
    let mut s = String::from("key,value\n");
    leaves("collection_period", &t["collection_period"], &mut s);
    leaves("frames", &t["frames"], &mut s);
    leaves(
        "frames_unsupported_link",
        &t["frames_unsupported_link"],
        &mut s,
    );
    leaves("mptcp_connections", &t["mptcp_connections"], &mut s);
    leaves("clients", &t["clients"], &mut s);
    f.push(("table1_summary.csv", s));
    let mut s = String::new();
    rows(
        &t["server_ports"],
        &[
            "port",
            "packets",
            "packet_share",
            "connections",
            "connection_share",
        ],
        &mut s,
    );
    f.push(("table1_server_ports.csv", s));
    let mut s = String::new();
    rows(
        &r["addresses"]["classes"],
        &["sender", "ip_version", "class", "count", "share_of_version"],
        &mut s,
    );
    f.push(("table2_address_classes.csv", s));
    for (name, key) in [
        ("s3_1_addresses.csv", "addresses"),
        ("s3_2_subflow_setup.csv", "subflow_setup"),
        ("s3_3_subflows.csv", "subflows"),
        ("s3_4_middleboxes.csv", "middleboxes"),
        ("s3_5_termination.csv", "termination"),
        ("s3_6_data.csv", "data"),
        ("dissector.csv", "dissector"),
    ] {
        let mut s = String::from("key,value\n");
        leaves("", &r[key], &mut s);
        f.push((name, s));
    }
    let mut s = String::new();
    rows(
        &r["middleboxes"]["mp_fail"]["by_port"],
        &["port", "ip_version", "count"],
        &mut s,
    );
    f.push(("s3_4_mp_fail_by_port.csv", s));
    let mut s = String::from("series,delay_s,cdf\n");
    cdf_rows(
        "join_delay",
        &r["subflow_setup"]["join_delay"]["cdf"],
        &mut s,
    );
    f.push(("fig1_join_delay.csv", s));
    let mut s = String::from("series,spread_ms,cdf\n");
    cdf_rows(
        "rtt_spread",
        &r["subflow_setup"]["rtt_spread"]["cdf"],
        &mut s,
    );
    f.push(("fig2_rtt_spread.csv", s));
    let mut s = String::from("series,subflows,connections,share\n");
    for k in ["attempted", "established"] {
        for row in r["subflows"][k].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "{k},{},{},{}",
                cell(&row["subflows"]),
                cell(&row["connections"]),
                cell(&row["share"])
            );
        }
    }
    f.push(("fig3_subflows.csv", s));
    let mut s = String::from("series,bytes,cdf\n");
    cdf_rows(
        "connection",
        &r["subflows"]["bytes_per_connection"]["cdf"],
        &mut s,
    );
    cdf_rows(
        "subflow",
        &r["subflows"]["bytes_per_subflow"]["cdf"],
        &mut s,
    );
    f.push(("fig4_bytes.csv", s));
    let mut s = String::from("series,fraction,cdf\n");
    cdf_rows(
        "initial_subflow",
        &r["data"]["initial_subflow_fraction"]["cdf"],
        &mut s,
    );
    f.push(("fig5_initial_subflow_fraction.csv", s));
    let mut s = String::from("series,fraction,cdf\n");
    cdf_rows("c2s", &r["data"]["reinjected_c2s"]["cdf"], &mut s);
    cdf_rows("s2c", &r["data"]["reinjected_s2c"]["cdf"], &mut s);
    f.push(("fig6_reinjection.csv", s));
    f
}

fn mkdir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| {
        Error::Io(io::Error::new(
            e.kind(),
            format!("creating {}: {e}", dir.display()),
        ))
    })
}

fn write(path: &Path, data: &str) -> Result<(), Error> {
    fs::write(path, data).map_err(|e| {
        Error::Io(io::Error::new(
            e.kind(),
            format!("writing {}: {e}", path.display()),
        ))
    })
}

/// Writes the CSV files into `dir` (created if needed).
pub fn write_csv(dir: &Path, r: &Value) -> Result<(), Error> {
    mkdir(dir)?;
    for (name, data) in csv_files(r) {
        write(&dir.join(name), &data)?;
    }
    Ok(())
}

/// One CDF line: `(label, sample size, [x, F(x)] points)`.
pub type Series = (&'static str, u64, Vec<(f64, f64)>);

/// One figure: CDF series of `[x, F(x)]` points.
pub struct Figure {
    /// File name.
    pub name: &'static str,
    /// Title.
    pub title: &'static str,
    /// X axis label.
    pub x_label: &'static str,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// `(label, sample size, points)`.
    pub series: Vec<Series>,
}

fn points(v: &Value) -> Vec<(f64, f64)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
        .collect()
}

/// Subflow count histogram → CDF points.
fn hist_cdf(v: &Value) -> Vec<(f64, f64)> {
    let mut acc = 0.0;
    let mut out = Vec::new();
    for row in v.as_array().into_iter().flatten() {
        acc += row["share"].as_f64().unwrap_or(0.0);
        out.push((row["subflows"].as_f64().unwrap_or(0.0), acc));
    }
    out
}

/// The six figures of the paper.
pub fn figures(r: &Value) -> Vec<Figure> {
    let n = |v: &Value| v["count"].as_u64().unwrap_or(0);
    let n_conns = r["subflows"]["connections"].as_u64().unwrap_or(0);
    vec![
        Figure {
            name: "fig1_join_delay.svg",
            title: "Fig. 1: initial SYN to first MP_JOIN SYN",
            x_label: "delay [s] (log)",
            log_x: true,
            series: vec![(
                "connections with a join",
                n(&r["subflow_setup"]["join_delay"]),
                points(&r["subflow_setup"]["join_delay"]["cdf"]),
            )],
        },
        Figure {
            name: "fig2_rtt_spread.svg",
            title: "Fig. 2: max - min handshake RTT among subflows",
            x_label: "RTT spread [ms]",
            log_x: false,
            series: vec![(
                "connections with >= 2 RTTs",
                n(&r["subflow_setup"]["rtt_spread"]),
                points(&r["subflow_setup"]["rtt_spread"]["cdf"]),
            )],
        },
        Figure {
            name: "fig3_subflows.svg",
            title: "Fig. 3: subflows per connection",
            x_label: "subflows",
            log_x: false,
            series: vec![
                ("attempted", n_conns, hist_cdf(&r["subflows"]["attempted"])),
                (
                    "established",
                    n_conns,
                    hist_cdf(&r["subflows"]["established"]),
                ),
            ],
        },
        Figure {
            name: "fig4_bytes.svg",
            title: "Fig. 4: payload bytes per connection and per subflow",
            x_label: "payload bytes (log)",
            log_x: true,
            series: vec![
                (
                    "MPTCP connections",
                    n(&r["subflows"]["bytes_per_connection"]),
                    points(&r["subflows"]["bytes_per_connection"]["cdf"]),
                ),
                (
                    "subflows",
                    n(&r["subflows"]["bytes_per_subflow"]),
                    points(&r["subflows"]["bytes_per_subflow"]["cdf"]),
                ),
            ],
        },
        Figure {
            name: "fig5_initial_subflow_fraction.svg",
            title: "Fig. 5: fraction of data on the initial subflow",
            x_label: "fraction of payload bytes",
            log_x: false,
            series: vec![(
                "connections with >= 2 subflows",
                n(&r["data"]["initial_subflow_fraction"]),
                points(&r["data"]["initial_subflow_fraction"]["cdf"]),
            )],
        },
        Figure {
            name: "fig6_reinjection.svg",
            title: "Fig. 6: fraction of reinjected data",
            x_label: "reinjected / payload bytes",
            log_x: false,
            series: vec![
                (
                    "client to server",
                    n(&r["data"]["reinjected_c2s"]),
                    points(&r["data"]["reinjected_c2s"]["cdf"]),
                ),
                (
                    "server to client",
                    n(&r["data"]["reinjected_s2c"]),
                    points(&r["data"]["reinjected_s2c"]["cdf"]),
                ),
            ],
        },
    ]
}

/// Step-function outline of a CDF starting at `(x0, 0)`.
fn steps(pts: &[(f64, f64)], x0: f64, x1: f64) -> Vec<(f64, f64)> {
    let mut out = vec![(x0, 0.0)];
    let mut y = 0.0;
    for &(x, fy) in pts {
        out.push((x, y));
        out.push((x, fy));
        y = fy;
    }
    out.push((x1, y));
    out
}

const COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];

fn draw<X>(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    fig: &Figure,
    x_range: X,
    x0: f64,
    x1: f64,
) -> Result<(), String>
where
    X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    <X as plotters::coord::ranged1d::AsRangedCoord>::CoordDescType:
        plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(fig.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(x_range, 0f64..1.02f64)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(fig.x_label)
        .y_desc("CDF")
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (label, n, pts)) in fig.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x.clamp(x0, x1), y)).collect();
        chart
            .draw_series(LineSeries::new(steps(&pts, x0, x1), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(format!("{label} (n = {n})"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Renders one figure to an SVG string.
pub fn svg(fig: &Figure) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (800, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let xs = fig
            .series
            .iter()
            .flat_map(|(_, _, p)| p.iter().map(|q| q.0));
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for x in xs {
            lo = lo.min(x);
            hi = hi.max(x);
        }
        if fig.log_x {
            let floor = if fig.name.starts_with("fig4") {
                1.0
            } else {
                1e-4
            };
            lo = if lo > hi { floor } else { lo.max(floor) };
            hi = if hi < lo {
                lo * 10.0
            } else {
                hi.max(lo * 10.0)
            };
            let (a, b) = (
                10f64.powf(lo.log10().floor()),
                10f64.powf(hi.log10().ceil()),
            );
            draw(&root, fig, (a..b).log_scale(), a, b)?;
        } else {
            if lo > hi {
                lo = 0.0;
                hi = 1.0;
            }
            let lo = lo.min(0.0);
            let hi = if hi <= lo {
                lo + 1.0
            } else {
                hi + (hi - lo) * 0.05
            };
            draw(&root, fig, lo..hi, lo, hi)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// Writes one SVG per figure into `dir` (created if needed).
pub fn write_svg(dir: &Path, r: &Value) -> Result<(), Error> {
    mkdir(dir)?;
    for fig in figures(r) {
        let data = svg(&fig)
            .map_err(|e| Error::Io(io::Error::other(format!("drawing {}: {e}", fig.name))))?;
        write(&dir.join(fig.name), &data)?;
    }
    Ok(())
}
