//! Reading marketsim's CSV files for plotting: a whole table in memory, columns looked up by
//! name, every error naming the file (and the line and column for a bad cell).

use super::ReportError;
use std::path::{Path, PathBuf};

/// A CSV file with a header row, read whole.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `path`; a missing file, a malformed CSV or a file with no data row is an error.
    pub(crate) fn read(path: &Path) -> Result<Self, ReportError> {
        let bad = |reason: String| ReportError::BadFile {
            file: path.to_path_buf(),
            reason,
        };
        if !path.is_file() {
            return Err(ReportError::MissingFile(path.to_path_buf()));
        }
        let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(format!("not a CSV file: {e}")))?
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(String::from).collect()))
            .collect::<Result<Vec<Vec<String>>, _>>()
            .map_err(|e| bad(format!("not a CSV file: {e}")))?;
        if rows.is_empty() {
            return Err(bad("no data row".into()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// The file this table was read from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Column names, in file order.
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    /// Data rows, each with one cell per column.
    pub(crate) fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Index of column `name`, or an error naming the file and the column.
    pub(crate) fn column(&self, name: &str) -> Result<usize, ReportError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::MissingColumn {
                file: self.path.clone(),
                column: name.to_string(),
            })
    }

    /// The cells of column `name`, one per row.
    pub(crate) fn cells(&self, name: &str) -> Result<Vec<&str>, ReportError> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[c].as_str()).collect())
    }

    /// Column `name` as numbers; an empty cell is `None` (no data), anything else that is not
    /// a finite number is an error naming the file, the line and the column.
    pub(crate) fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>, ReportError> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| self.number_at(i, c, &row[c]))
            .collect()
    }

    /// Column `name` as numbers, every cell required.
    pub(crate) fn required_numbers(&self, name: &str) -> Result<Vec<f64>, ReportError> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                self.number_at(i, c, &row[c])?
                    .ok_or_else(|| self.bad_cell(i, c, "an empty cell where a number is required"))
            })
            .collect()
    }

    /// The value of column `name` in the first data row (for one-row tables such as a run's
    /// `summary.csv`); `None` for an empty cell.
    pub(crate) fn first(&self, name: &str) -> Result<Option<f64>, ReportError> {
        let c = self.column(name)?;
        self.number_at(0, c, &self.rows[0][c])
    }

    fn number_at(&self, row: usize, col: usize, cell: &str) -> Result<Option<f64>, ReportError> {
        if cell.is_empty() {
            return Ok(None);
        }
        match cell.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.bad_cell(row, col, &format!("`{cell}` is not a number"))),
        }
    }

    fn bad_cell(&self, row: usize, col: usize, what: &str) -> ReportError {
        ReportError::BadFile {
            file: self.path.clone(),
            // Line 1 is the header.
            reason: format!("line {}, column `{}`: {what}", row + 2, self.header[col]),
        }
    }
}

/// Reads `path` as a TOML document (`what` names the kind of file expected, for the error).
pub(crate) fn read_toml(path: &Path, what: &str) -> Result<toml::Table, ReportError> {
    if !path.is_file() {
        return Err(ReportError::MissingFile(path.to_path_buf()));
    }
    let bad = |reason: String| ReportError::BadFile {
        file: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    text.parse().map_err(|e| bad(format!("not a {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` read as the table `name` (its path is kept for the messages; the file is not).
    fn table(name: &str, text: &str) -> (PathBuf, Result<Table, ReportError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let t = Table::read(&path);
        (path, t)
    }

    #[test]
    fn numbers_empty_cells_and_errors_name_the_file_line_and_column() {
        let (path, t) = table("a.csv", "x,y\n1,\n2.5,3\n");
        let t = t.unwrap();
        assert_eq!(t.numbers("x").unwrap(), vec![Some(1.0), Some(2.5)]);
        assert_eq!(t.numbers("y").unwrap(), vec![None, Some(3.0)]);
        let e = t.required_numbers("y").unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()) && e.contains("line 2, column `y`"));
        let e = t.column("z").unwrap_err().to_string();
        assert!(e.contains("a.csv") && e.contains("`z`"), "{e}");

        let (_, t) = table("b.csv", "x\nnan\n");
        let e = t.unwrap().numbers("x").unwrap_err().to_string();
        assert!(e.contains("`nan` is not a number"), "{e}");
    }

    #[test]
    fn a_header_without_rows_or_a_ragged_file_is_refused() {
        let (_, t) = table("c.csv", "x,y\n");
        assert!(t.unwrap_err().to_string().contains("no data row"));
        let (_, t) = table("d.csv", "x,y\n1,2,3\n");
        assert!(t.unwrap_err().to_string().contains("not a CSV file"));
    }
}
