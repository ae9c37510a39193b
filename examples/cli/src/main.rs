//! `mpdissect`: the trace tool of mptcp-dissect.
//!
//! * `mpdissect dump FILE` — one JSON object per TCP segment that carries
//!   MPTCP options (every TCP segment with `--all`).
//! * `mpdissect conns FILE` — one JSON object per MPTCP connection, from the
//!   core's stateful dissector.
//! * `mpdissect report [FILE…]` — the measurements of Hesmans et al. (TMA
//!   2015) on a trace (the bundled capture if no file is given): text
//!   tables, `--json`, `--csv DIR`, `--plots DIR`.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod capture;
mod conns;
mod dump;
mod json;
mod report;
mod seed;

#[derive(Parser)]
#[command(name = "mpdissect", version, about = "Multipath TCP trace tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Hash seed of the flow tables, 32 hexadecimal digits (default:
    /// random for every run). No result depends on it; it makes a run's
    /// timings reproducible.
    #[arg(long, global = true, value_name = "HEX", value_parser = seed::parse)]
    seed: Option<[u8; 16]>,
}

#[derive(Subcommand)]
enum Command {
    /// Print one JSON object per TCP segment carrying MPTCP options.
    Dump {
        /// A pcap or pcapng file (Ethernet, raw IP, Linux SLL/SLL2, PPP, BSD
        /// loopback).
        file: PathBuf,
        /// Print every TCP segment, not only those with option 30.
        #[arg(long)]
        all: bool,
    },
    /// Print one JSON object per MPTCP connection (stateful dissector).
    Conns {
        /// A pcap or pcapng file.
        file: PathBuf,
        /// Entries per table (subflows, connections), rounded up to a power
        /// of two (1 to 2^24).
        #[arg(long, default_value_t = 4096, value_parser = capacity)]
        capacity: usize,
    },
    /// Reproduce the analyses of Hesmans et al. (TMA 2015) on a trace.
    ///
    /// Several files are read as one trace, in the order of their first
    /// packet's time. Without a file, the capture bundled in the
    /// repository is read.
    Report {
        /// pcap or pcapng files (default: the bundled capture).
        files: Vec<PathBuf>,
        /// Entries per table (subflows, connections), rounded up to a power
        /// of two (1 to 2^24); bounds the memory of the pass.
        #[arg(long, default_value_t = 65536, value_parser = capacity)]
        capacity: usize,
        /// Print one JSON document (stable keys) instead of text tables.
        #[arg(long)]
        json: bool,
        /// Also write one CSV file per table and figure into DIR.
        #[arg(long, value_name = "DIR")]
        csv: Option<PathBuf>,
        /// Also write one SVG CDF per figure into DIR.
        #[arg(long, value_name = "DIR")]
        plots: Option<PathBuf>,
        /// Never show a progress bar (shown on a terminal for large inputs).
        #[arg(long)]
        no_progress: bool,
    },
}

/// Largest `--capacity`: 2^24 entries a table (the index arrays alone,
/// allocated up front, are then 128 MiB a table).
const MAX_CAPACITY: usize = 1 << 24;

/// Parses `--capacity`: 1 to [`MAX_CAPACITY`].
fn capacity(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if (1..=MAX_CAPACITY).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be 1 to {MAX_CAPACITY}"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    seed::set(cli.seed);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match cli.command {
        Command::Dump { file, all } => dump::run(&file, all, &mut out),
        Command::Conns { file, capacity } => conns::run(&file, capacity, &mut out),
        Command::Report {
            files,
            capacity,
            json,
            csv,
            plots,
            no_progress,
        } => report::run(
            &files,
            &report::Options {
                capacity,
                json,
                csv,
                plots,
                progress: !no_progress,
            },
            &mut out,
        ),
    };
    let flushed = out.flush();
    match result.and(flushed.map_err(Error::from)) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`mpdissect dump f | head`) is not an error.
        Err(Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mpdissect: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Everything a command can fail with.
#[derive(Debug)]
pub enum Error {
    /// The capture could not be read.
    Capture(capture::CaptureError),
    /// Writing the output failed.
    Io(io::Error),
    /// The output was written, but covers only the packets read before
    /// these errors (one a file).
    Incomplete(Vec<String>),
    /// Nothing could be read: these errors, one a file.
    Unread(Vec<String>),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Capture(e) => e.fmt(f),
            Error::Io(e) => write!(f, "writing output: {e}"),
            Error::Unread(errors) => write!(f, "{}", errors.join("\nmpdissect: ")),
            Error::Incomplete(errors) => {
                write!(f, "{}", errors.join("\nmpdissect: "))?;
                write!(f, "\nmpdissect: the output covers the packets read before")?;
                write!(
                    f,
                    " {}",
                    if errors.len() == 1 {
                        "this error"
                    } else {
                        "these errors"
                    }
                )
            }
        }
    }
}

impl From<capture::CaptureError> for Error {
    fn from(e: capture::CaptureError) -> Self {
        Error::Capture(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
