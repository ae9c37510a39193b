//! `mpdissect report`: the measurements of Hesmans et al., "A First Look at
//! Real Multipath TCP Traffic" (TMA 2015), on any trace.
//!
//! * [`collect`]: one streaming pass of the core dissector over the files
//!   (bounded by `--capacity`), folded into aggregates;
//! * [`model`]: the report as one JSON document with stable keys (every
//!   derived number is defined there);
//! * [`text`]: readable tables (default output); [`files`]: one CSV per
//!   table/figure (`--csv DIR`) and one SVG CDF per figure (`--plots DIR`).
//!
//! # §3.4 and the middlebox analysis
//!
//! DSS checksum validation results and the mirroring / stripping verdicts
//! (Mehani et al.'s erratum) come from the core's analysis layer, through
//! its events, folded in [`collect::collect`] the way `mpdissect conns`
//! folds them (`crate::conns::Analysis`), so the two commands agree.

pub mod collect;
pub mod files;
pub mod model;
pub mod text;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::Error;

/// The capture the README's first command reads when no file is given.
pub const BUNDLED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/linux/merged-report.pcapng"
);

/// Output choices.
pub struct Options {
    /// Entries per dissector table.
    pub capacity: usize,
    /// JSON instead of text on stdout.
    pub json: bool,
    /// Write CSV files there.
    pub csv: Option<PathBuf>,
    /// Write SVG plots there.
    pub plots: Option<PathBuf>,
    /// Show a progress bar (if stderr is a terminal and the input is large).
    pub progress: bool,
}

/// Only files larger than this get a progress bar.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

struct Bar {
    bar: Option<ProgressBar>,
}

impl collect::Progress for Bar {
    fn file(&mut self, path: &Path, _len: u64) {
        if let Some(b) = &self.bar {
            let name = path.file_name().unwrap_or(path.as_os_str());
            b.set_message(name.to_string_lossy().into_owned());
        }
    }
    fn advance(&mut self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// Runs the report over `files` (the bundled capture if empty).
pub fn run(files: &[PathBuf], opts: &Options, out: &mut impl Write) -> Result<(), Error> {
    let files: Vec<PathBuf> = if files.is_empty() {
        let p = PathBuf::from(BUNDLED);
        let shown = std::fs::canonicalize(&p).unwrap_or(p);
        eprintln!(
            "mpdissect: no file given, reading the bundled capture {}",
            shown.display()
        );
        vec![shown]
    } else {
        files.to_vec()
    };
    // Several regular files are read in the order of their first
    // packet's time (as given for equal times), so rotated captures read
    // in time order whatever order the shell globbed them in. Last, as
    // given: files without packets, files whose first packet cannot be
    // read (the pass reports why), and what cannot be read twice (pipes).
    let files: Vec<PathBuf> = if files.len() > 1 {
        let mut timed: Vec<(Option<f64>, PathBuf)> = files
            .into_iter()
            .map(|f| {
                let regular = std::fs::metadata(&f).is_ok_and(|m| m.is_file());
                let t = regular
                    .then(|| crate::capture::first_time(&f).ok().flatten())
                    .flatten();
                (t, f)
            })
            .collect();
        timed.sort_by(|a, b| match (a.0, b.0) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (x, y) => y.is_some().cmp(&x.is_some()),
        });
        timed.into_iter().map(|(_, f)| f).collect()
    } else {
        files
    };
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = (opts.progress && std::io::stderr().is_terminal() && total >= PROGRESS_MIN_BYTES)
        .then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
    let agg = collect::collect(&files, opts.capacity, &mut Bar { bar })?;
    // Not one packet from any file: the errors alone, no empty report.
    if agg.frames == 0 && !agg.errors.is_empty() && agg.errors.len() == files.len() {
        return Err(Error::Unread(agg.errors));
    }
    let report = model::build(&agg);
    if let Some(dir) = &opts.csv {
        files::write_csv(dir, &report)?;
    }
    if let Some(dir) = &opts.plots {
        files::write_svg(dir, &report)?;
    }
    if opts.json {
        serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(text::render(&report).as_bytes())?;
    }
    for w in &agg.warnings {
        eprintln!("mpdissect: warning: {w}");
    }
    // The report covers what was read; an error that ended a file early
    // still fails the command.
    if agg.errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Incomplete(agg.errors.clone()))
    }
}
