//! Reports: charts and an HTML page from a run's or a sweep's results directory
//! (`marketsim plot`).
//!
//! ```text
//! results dir ──▶ table (CSV, checked) ──▶ run / sweep (data → Figure, pure)
//!                                              │
//!                      figure::render ◀────────┘──▶ PNG / SVG bytes ──▶ --out (atomic)
//!                      html::page ───────────────────▶ index.html
//! ```
//!
//! Architecture invariant: every input is read and checked, and every chart is rendered in
//! memory, before anything is written; then each file is renamed into place whole
//! ([`crate::output::atomic`]). A bad input therefore leaves `--out` untouched, and an
//! interrupted write never leaves a half-written file.

mod figure;
mod html;
mod run;
mod sensitivity;
mod sweep;
mod table;

use crate::output::atomic;
use std::io;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Image formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG only (8-bit RGB).
    Png,
    /// SVG only.
    Svg,
    /// PNG and SVG; `index.html` shows the PNG and links the SVG.
    Both,
}

impl Format {
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Png => &["png"],
            Format::Svg => &["svg"],
            Format::Both => &["png", "svg"],
        }
    }
}

/// Why a report could not be made. Every variant names the file concerned; all are fatal and
/// leave the output directory as it was (or, for [`ReportError::Output`], with complete files
/// only).
#[derive(Debug, Error)]
pub enum ReportError {
    /// The directory holds neither a run's nor a sweep's results.
    #[error(
        "{0}: no results found: expected a run directory (scenario.resolved.toml, timeseries.csv, agents.csv, summary.csv) or a sweep directory (sweep.resolved.toml, summary.csv)"
    )]
    NoResults(PathBuf),
    /// A file the results need is missing.
    #[error("{0}: missing (is this a complete marketsim results directory?)")]
    MissingFile(PathBuf),
    /// A table lacks a column the charts need (a foreign or older file).
    #[error("{file}: missing column `{column}` (not a marketsim results file?)")]
    MissingColumn {
        /// The table.
        file: PathBuf,
        /// The column.
        column: String,
    },
    /// A file that cannot be read as what it should be.
    #[error("{file}: {reason}")]
    BadFile {
        /// The file.
        file: PathBuf,
        /// What is wrong, with line and column where they apply.
        reason: String,
    },
    /// Drawing a chart failed.
    #[error("rendering chart {chart}: {reason}")]
    Render {
        /// The chart's file name.
        chart: String,
        /// The renderer's message.
        reason: String,
    },
    /// Writing the output failed.
    #[error("writing {path}: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// What `marketsim plot` does.
#[derive(Debug, Clone)]
pub struct PlotOptions {
    /// A run's or a sweep's results directory.
    pub dir: PathBuf,
    /// Where the charts and `index.html` go.
    pub out: PathBuf,
    /// Image formats.
    pub format: Format,
    /// Write into a non-empty `out`, replacing files of the same names.
    pub force: bool,
}

/// Which kind of results a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A run (`marketsim run`).
    Run,
    /// A sweep (`marketsim sweep`).
    Sweep,
}

/// Tells a run's directory from a sweep's by the files in it.
pub fn kind_of(dir: &Path) -> Result<Kind, ReportError> {
    if dir.join(sweep::SWEEP_INPUTS[0]).is_file() {
        Ok(Kind::Sweep)
    } else if run::RUN_INPUTS.iter().any(|f| dir.join(f).is_file()) {
        Ok(Kind::Run)
    } else {
        Err(ReportError::NoResults(dir.to_path_buf()))
    }
}

/// What [`plot`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Run or sweep.
    pub kind: Kind,
    /// Files written into `out`, `index.html` last.
    pub files: Vec<PathBuf>,
}

/// Reads the results in `opts.dir`, renders every chart and `index.html`, and writes them into
/// `opts.out`.
pub fn plot(opts: &PlotOptions) -> Result<Written, ReportError> {
    let kind = kind_of(&opts.dir)?;
    let exts = opts.format.extensions();
    let source = opts.dir.display().to_string();
    let (figures, page) = match kind {
        Kind::Run => {
            let r = run::Run::load(&opts.dir)?;
            let figures = r.figures()?;
            let page = html::page(
                &source,
                &figures,
                exts,
                &html::SummaryTable::Run(&r.summary),
            );
            (figures, page)
        }
        Kind::Sweep => {
            let s = sweep::SweepSummary::load(&opts.dir)?;
            let figures = s.figures()?;
            let page = html::page(
                &source,
                &figures,
                exts,
                &html::SummaryTable::Sweep {
                    table: &s.summary,
                    params: s.param_keys(),
                    metrics: s.headline_metrics(),
                },
            );
            (figures, page)
        }
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for f in &figures {
        for &ext in exts {
            let bytes = match ext {
                "png" => f.png(),
                _ => f.svg(),
            }
            .map_err(|reason| ReportError::Render {
                chart: format!("{}.{ext}", f.name),
                reason,
            })?;
            files.push((format!("{}.{ext}", f.name), bytes));
        }
    }
    files.push(("index.html".into(), page.into_bytes()));

    let output = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Output { path, source }
    };
    atomic::prepare_dir(&opts.out, opts.force).map_err(output(&opts.out))?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = opts.out.join(name);
        atomic::write_file(&path, &bytes).map_err(output(&path))?;
        written.push(path);
    }
    Ok(Written {
        kind,
        files: written,
    })
}
