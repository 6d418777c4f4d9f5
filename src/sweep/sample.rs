//! Sample files of `design = "file"`: the points of a sweep, one per row, in columns named by
//! scenario keys, as SALib's samplers produce them once a header is added.
//!
//! Accepted format (one of two delimiters, chosen by the header line):
//!
//! ```text
//! reputation.decay,reputation.min_jobs        CSV: a header of keys separated by commas
//! 0.91,5                                       then rows of numbers, comma-separated
//!
//! # reputation.decay reputation.min_jobs      whitespace-separated (e.g. NumPy's savetxt
//! 9.1e-01 5.0e+00                              with header=…, which prefixes "# ")
//! ```
//!
//! The first non-empty line is the header (a leading `#` is dropped); later lines starting
//! with `#` and empty lines are skipped. Every cell is a number; an integral one (`5`, `5.0`,
//! `5.000000000000000000e+00`) is passed to the scenario as an integer, which integer keys
//! need and float keys accept; anything else as a float.

/// A parsed sample: column keys and rows of TOML values.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Scenario keys, in file order.
    pub columns: Vec<String>,
    /// One row per point, a value per column.
    pub rows: Vec<Vec<toml::Value>>,
}

fn cell_value(cell: &str) -> Option<toml::Value> {
    let x: f64 = cell.parse().ok().filter(|x: &f64| x.is_finite())?;
    Some(if x.fract() == 0.0 && x.abs() < 9.0e15 {
        toml::Value::Integer(x as i64)
    } else {
        toml::Value::Float(x)
    })
}

/// Parses a sample file's text; an error says which line and column is wrong and why.
pub fn parse(text: &str) -> Result<Sample, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let (first, header) = lines
        .next()
        .ok_or("empty; expected a header line of scenario keys, then one row per point")?;
    let header = header.trim_start_matches('#').trim();
    let comma = header.contains(',');
    let split = |l: &str| -> Vec<String> {
        if comma {
            l.split(',').map(|c| c.trim().to_string()).collect()
        } else {
            l.split_whitespace().map(String::from).collect()
        }
    };
    let columns = split(header);
    if columns.iter().all(|c| c.parse::<f64>().is_ok()) {
        return Err(format!(
            "line {first}: `{header}` is a row of numbers; the first line must name the columns \
             by scenario key (SALib's command-line sampler writes none: add the problem's names)"
        ));
    }
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            return Err(format!("header: column {} has no name", i + 1));
        }
        if columns[..i].contains(c) {
            return Err(format!("header: column `{c}` appears twice"));
        }
    }
    let mut rows = Vec::new();
    for (number, line) in lines.filter(|(_, l)| !l.starts_with('#')) {
        let cells = split(line);
        if cells.len() != columns.len() {
            return Err(format!(
                "line {number}: {} cell(s); the header names {} column(s)",
                cells.len(),
                columns.len()
            ));
        }
        let row = cells
            .iter()
            .zip(&columns)
            .map(|(cell, key)| {
                cell_value(cell).ok_or_else(|| {
                    format!("line {number}, column `{key}`: `{cell}` is not a finite number")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err("no rows after the header; expected one row per point".into());
    }
    Ok(Sample { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Value::{Float, Integer};

    #[test]
    fn csv_and_whitespace_samples_parse_alike() {
        let csv = "a.x,b[1].y\n0.5,3\n\n1.25e-1,4.0\n";
        let ws =
            "# a.x b[1].y\n5.000000000000000000e-01 3.000000000000000000e+00\n# note\n0.125\t4\n";
        for text in [csv, ws] {
            let s = parse(text).unwrap();
            assert_eq!(s.columns, ["a.x", "b[1].y"]);
            assert_eq!(
                s.rows,
                vec![vec![Float(0.5), Integer(3)], vec![Float(0.125), Integer(4)]]
            );
        }
    }

    #[test]
    fn bad_samples_are_refused_with_their_line() {
        for (text, needle) in [
            ("", "empty"),
            ("a,b\n", "no rows"),
            ("a,a\n1,2\n", "`a` appears twice"),
            ("a,b\n1,2\n3\n", "line 3: 1 cell(s); the header names 2"),
            (
                "a b\n1 x\n",
                "line 2, column `b`: `x` is not a finite number",
            ),
            ("a,b\n1,nan\n", "`nan` is not a finite number"),
            ("\n1.0 2.0\n3 4\n", "line 2: `1.0 2.0` is a row of numbers"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{needle:?} not in {err:?}");
        }
    }
}
