//! `marketsim plot DIR`: charts and an HTML page from a run's or a sweep's results.

use crate::report::{self, Format, Kind, PlotOptions};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Image formats of `--format`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// PNG images (1400 px wide).
    Png,
    /// SVG images.
    Svg,
    /// Both; index.html shows the PNGs.
    Both,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  marketsim plot results/baseline\n  \
    marketsim plot results/sybil-sweep --format both --out report/sybil\n\n\
    A run directory gets: reputation, detection, value_share, lorenz, time_to_flag.\n\
    A sweep directory gets: sweep_<group> (metric vs parameter with 95% CI) and, when two\n\
    numeric parameters vary, heatmap_<group>. Both get index.html (no JavaScript, no network).\n\n\
    Exit codes: 0 written, 2 bad input (the file is named) or error; nothing is written then.")]
pub(super) struct PlotArgs {
    /// Results directory of `marketsim run` or `marketsim sweep`.
    dir: PathBuf,
    /// Image format.
    #[arg(long, value_enum, default_value = "png")]
    format: FormatArg,
    /// Output directory [default: DIR/plots].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a non-empty output directory, replacing files of the same names.
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: PlotArgs) -> anyhow::Result<ExitCode> {
    let out = args.out.unwrap_or_else(|| args.dir.join("plots"));
    let format = match args.format {
        FormatArg::Png => Format::Png,
        FormatArg::Svg => Format::Svg,
        FormatArg::Both => Format::Both,
    };
    let written = report::plot(&PlotOptions {
        dir: args.dir,
        out: out.clone(),
        format,
        force: args.force,
    })?;
    let kind = match written.kind {
        Kind::Run => "run",
        Kind::Sweep => "sweep",
    };
    eprintln!(
        "{kind}: {} files (charts and index.html) -> {}",
        written.files.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
