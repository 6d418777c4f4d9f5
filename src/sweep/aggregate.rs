//! Assembling a finished sweep's tables from its run records: `runs.csv` and `summary.csv`,
//! and the same two tables as Parquet. Per-point statistics are aggregated with polars.
//!
//! `summary.csv` has one row per point: `point_id`, the varied parameters, then for every
//! metric `M` of `runs.csv`: `M_mean`, `M_std` (sample, n − 1), `M_ci_low`, `M_ci_high` (95%
//! Student-t interval of the mean) and `M_n` (runs with a value). Empty cells mean no data.

use super::runner::{RUNS_DIR, record_name, value_text};
use super::{RunId, Sweep, SweepError};
use crate::output::atomic::{self, AtomicFile};
use polars::prelude::*;
use std::path::Path;

/// The tables a finished sweep writes.
pub const TABLE_FILES: [&str; 4] = ["runs.csv", "summary.csv", "runs.parquet", "summary.parquet"];

/// Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..=30.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// t(0.975, df): the table up to 30, then the Cornish–Fisher expansion around 1.96.
pub fn t975(df: u64) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df as usize - 1],
        _ => {
            let (z, n) = (1.959_963_984_540_054_f64, df as f64);
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// The records of every run of `sweep` in `dir`, in (point, replicate) order, as (header, row).
fn read_records(dir: &Path, sweep: &Sweep) -> Result<(Vec<String>, Vec<Vec<String>>), SweepError> {
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut missing: Vec<RunId> = Vec::new();
    for run in sweep.runs() {
        let path = dir.join(RUNS_DIR).join(record_name(run));
        let Ok(bytes) = std::fs::read(&path) else {
            missing.push(run);
            continue;
        };
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let h: Vec<String> = reader
            .headers()
            .map_err(|e| SweepError::Output(format!("{}: {e}", path.display())))?
            .iter()
            .map(String::from)
            .collect();
        let row: Vec<String> = reader
            .records()
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| SweepError::Output(format!("{}: no row", path.display())))?
            .iter()
            .map(String::from)
            .collect();
        match &header {
            None => header = Some(h),
            Some(first) if *first != h => {
                return Err(SweepError::Output(format!(
                    "{}: its columns differ from the other runs' (a parameter changes which agent types exist?)",
                    path.display()
                )));
            }
            Some(_) => {}
        }
        rows.push(row);
    }
    if !missing.is_empty() {
        let first: Vec<String> = missing.iter().take(5).map(|r| record_name(*r)).collect();
        return Err(SweepError::Output(format!(
            "{} run(s) missing in {}, e.g. {}",
            missing.len(),
            dir.join(RUNS_DIR).display(),
            first.join(", ")
        )));
    }
    Ok((header.unwrap_or_default(), rows))
}

fn parse_f64(cell: &str) -> Option<f64> {
    cell.parse().ok().filter(|x: &f64| x.is_finite())
}

/// A parameter column, typed: integers, floats, booleans or strings.
fn param_column(name: &str, values: &[&toml::Value]) -> Column {
    let name: PlSmallStr = name.into();
    if values.iter().all(|v| v.is_integer()) {
        Column::new(
            name,
            values.iter().map(|v| v.as_integer()).collect::<Vec<_>>(),
        )
    } else if values.iter().all(|v| v.is_float() || v.is_integer()) {
        let xs: Vec<Option<f64>> = values
            .iter()
            .map(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
            .collect();
        Column::new(name, xs)
    } else if values.iter().all(|v| v.is_bool()) {
        Column::new(name, values.iter().map(|v| v.as_bool()).collect::<Vec<_>>())
    } else {
        Column::new(
            name,
            values.iter().map(|v| value_text(v)).collect::<Vec<_>>(),
        )
    }
}

fn polars_err(e: PolarsError) -> SweepError {
    SweepError::Output(format!("aggregation failed: {e}"))
}

pub(super) fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<(), SweepError> {
    let mut file = AtomicFile::create(path)?;
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Uncompressed)
        .finish(df)
        .map_err(polars_err)?;
    file.commit()?;
    Ok(())
}

pub(super) fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("memory");
    for r in rows {
        w.write_record(r).expect("memory");
    }
    w.into_inner().expect("memory")
}

/// Writes `runs.csv`, `summary.csv` and their Parquet twins from every run record in `dir`.
/// Refuses if any run is missing.
pub fn finalize(dir: &Path, sweep: &Sweep) -> Result<(), SweepError> {
    let (header, rows) = read_records(dir, sweep)?;
    let params = sweep.params();
    let first_metric = 3 + params.len();
    let metrics: Vec<&str> = header[first_metric..].iter().map(String::as_str).collect();
    let runs = sweep.runs();

    // runs.csv and runs.parquet
    atomic::write_file(&dir.join(TABLE_FILES[0]), &csv_bytes(&header, &rows))?;
    let mut columns = vec![
        Column::new(
            "point_id".into(),
            runs.iter().map(|r| r.point as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "replicate".into(),
            runs.iter()
                .map(|r| u64::from(r.replicate))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "seed".into(),
            runs.iter().map(|r| sweep.seed(*r)).collect::<Vec<_>>(),
        ),
    ];
    for (i, p) in params.iter().enumerate() {
        let values: Vec<&toml::Value> = runs
            .iter()
            .map(|r| &sweep.points()[r.point].values[i])
            .collect();
        columns.push(param_column(&p.key, &values));
    }
    for (m, name) in metrics.iter().enumerate() {
        let xs: Vec<Option<f64>> = rows
            .iter()
            .map(|r| parse_f64(&r[first_metric + m]))
            .collect();
        columns.push(Column::new((*name).into(), xs));
    }
    let mut runs_df = DataFrame::new_infer_height(columns).map_err(polars_err)?;
    write_parquet(&dir.join(TABLE_FILES[2]), &mut runs_df)?;

    // Per-point mean, std and count, aggregated with polars.
    let mut aggs = Vec::new();
    for name in &metrics {
        aggs.push(col(*name).mean().alias(format!("{name}_mean")));
        aggs.push(col(*name).std(1).alias(format!("{name}_std")));
        aggs.push(
            col(*name)
                .count()
                .cast(DataType::UInt64)
                .alias(format!("{name}_n")),
        );
    }
    let stats = runs_df
        .lazy()
        .group_by_stable([col("point_id")])
        .agg(aggs)
        .sort(["point_id"], SortMultipleOptions::default())
        .collect()
        .map_err(polars_err)?;
    let f64_col = |name: &str| -> Result<Vec<Option<f64>>, SweepError> {
        stats
            .column(name)
            .and_then(|c| c.f64().map(|ca| (0..ca.len()).map(|i| ca.get(i)).collect()))
            .map_err(polars_err)
    };
    let n_col = |name: &str| -> Result<Vec<u64>, SweepError> {
        stats
            .column(name)
            .and_then(|c| {
                c.u64()
                    .map(|ca| (0..ca.len()).map(|i| ca.get(i).unwrap_or(0)).collect())
            })
            .map_err(polars_err)
    };

    let points = sweep.points().len();
    let mut s_header = vec!["point_id".to_string()];
    s_header.extend(params.iter().map(|p| p.key.clone()));
    let mut s_rows: Vec<Vec<String>> = (0..points)
        .map(|p| {
            let mut row = vec![p.to_string()];
            row.extend(sweep.points()[p].values.iter().map(value_text));
            row
        })
        .collect();
    let mut s_columns = vec![Column::new(
        "point_id".into(),
        (0..points as u64).collect::<Vec<_>>(),
    )];
    for (i, p) in params.iter().enumerate() {
        let values: Vec<&toml::Value> = sweep.points().iter().map(|pt| &pt.values[i]).collect();
        s_columns.push(param_column(&p.key, &values));
    }
    let cell = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    for name in &metrics {
        let mean = f64_col(&format!("{name}_mean"))?;
        let std = f64_col(&format!("{name}_std"))?;
        let n = n_col(&format!("{name}_n"))?;
        let half: Vec<Option<f64>> = (0..points)
            .map(|p| match (std[p], n[p]) {
                (Some(s), k) if k >= 2 => Some(t975(k - 1) * s / (k as f64).sqrt()),
                _ => None,
            })
            .collect();
        let low: Vec<Option<f64>> = (0..points).map(|p| Some(mean[p]? - half[p]?)).collect();
        let high: Vec<Option<f64>> = (0..points).map(|p| Some(mean[p]? + half[p]?)).collect();
        for suffix in ["mean", "std", "ci_low", "ci_high", "n"] {
            s_header.push(format!("{name}_{suffix}"));
        }
        for p in 0..points {
            s_rows[p].extend([
                cell(mean[p]),
                cell(std[p]),
                cell(low[p]),
                cell(high[p]),
                n[p].to_string(),
            ]);
        }
        s_columns.push(Column::new(format!("{name}_mean").into(), mean));
        s_columns.push(Column::new(format!("{name}_std").into(), std));
        s_columns.push(Column::new(format!("{name}_ci_low").into(), low));
        s_columns.push(Column::new(format!("{name}_ci_high").into(), high));
        s_columns.push(Column::new(format!("{name}_n").into(), n));
    }
    atomic::write_file(&dir.join(TABLE_FILES[1]), &csv_bytes(&s_header, &s_rows))?;
    let mut summary_df = DataFrame::new_infer_height(s_columns).map_err(polars_err)?;
    write_parquet(&dir.join(TABLE_FILES[3]), &mut summary_df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables_and_tend_to_the_normal() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(30), 2.042);
        assert!((t975(40) - 2.021).abs() < 1e-3);
        assert!((t975(120) - 1.980).abs() < 1e-3);
        assert!((t975(100_000) - 1.960).abs() < 1e-3);
        assert!(t975(0).is_nan());
    }
}
