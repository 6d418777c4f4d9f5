//! Scenario files: load, override, validate (SPEC: every constant is a scenario key).
//!
//! ```text
//! TOML text ──parse──▶ toml::Table ──--set k=v──▶ Table ──serde (deny unknown)──▶ ScenarioFile
//!                                                             ──validate──▶ Scenario
//! ```
//!
//! Build, then validate: [`ScenarioFile`] is the raw serde boundary; [`Scenario`] can only be
//! obtained through [`Scenario::from_file`], so everything downstream sees checked values. Every
//! error names the file, the key path and the allowed values, and is raised before anything runs.

pub mod file;
mod validate;

pub use file::*;

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a scenario was refused. All variants are fatal: nothing runs.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read scenario: {source}")]
    Read {
        /// The scenario file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("{file}: {message}")]
    Parse {
        /// The scenario file.
        file: PathBuf,
        /// The parser's message (names the key and shows the line).
        message: String,
    },
    /// A `--set key=value` override is malformed or names no scenario key.
    #[error("{file}: --set {assignment}: {message}")]
    Override {
        /// The scenario file the override applies to.
        file: PathBuf,
        /// The override as given.
        assignment: String,
        /// What is wrong with it.
        message: String,
    },
    /// One or more values are out of range.
    #[error("{file}: invalid scenario:\n{}", bullet_list(problems))]
    Invalid {
        /// The scenario file.
        file: PathBuf,
        /// Every problem found, each naming its key and the allowed values.
        problems: Vec<Problem>,
    },
}

/// One out-of-range value.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Key path, e.g. `population[1].count`.
    pub key: String,
    /// The offending value, as written.
    pub value: String,
    /// The allowed values.
    pub allowed: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "key `{}` = {}: allowed {}",
            self.key, self.value, self.allowed
        )
    }
}

/// `problems` as an indented bullet list, one per line (for error messages).
pub fn bullet_list(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    lines.join("\n")
}

/// A validated scenario. Obtainable only through validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    file: ScenarioFile,
}

impl Scenario {
    /// Reads `path`, applies `--set` overrides in order, then validates.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path, overrides)
    }

    /// Parses TOML `text` (named `origin` in errors), applies overrides, validates.
    pub fn from_toml(
        text: &str,
        origin: &Path,
        overrides: &[String],
    ) -> Result<Self, ScenarioError> {
        let parse_err = |message: String| ScenarioError::Parse {
            file: origin.to_path_buf(),
            message,
        };
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        for assignment in overrides {
            apply_override(&mut table, assignment).map_err(|message| ScenarioError::Override {
                file: origin.to_path_buf(),
                assignment: assignment.clone(),
                message,
            })?;
        }
        let raw: ScenarioFile = table
            .try_into()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        Self::from_file(raw, origin)
    }

    /// Validates a raw scenario.
    pub fn from_file(file: ScenarioFile, origin: &Path) -> Result<Self, ScenarioError> {
        let problems = validate::problems(&file);
        if problems.is_empty() {
            Ok(Self { file })
        } else {
            Err(ScenarioError::Invalid {
                file: origin.to_path_buf(),
                problems,
            })
        }
    }

    /// The validated values.
    pub fn file(&self) -> &ScenarioFile {
        &self.file
    }

    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.file.run.seed
    }

    /// The same scenario with another seed (a seed is always valid).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.file.run.seed = seed;
        self
    }

    /// Every parameter after defaults and overrides, as TOML; loading it reproduces the run.
    pub fn to_resolved_toml(&self) -> String {
        let body = toml::to_string(&self.file).expect("a validated scenario always serialises");
        format!(
            "# Resolved by marketsim {}: every parameter after defaults, overrides and --seed.\n\
             # `marketsim run` on this file reproduces the run byte for byte.\n{body}",
            env!("CARGO_PKG_VERSION")
        )
    }
}

/// Applies one `a.b.c=value` override to the parsed table. The value is read as a TOML value
/// (`3`, `0.5`, `true`, `"call"`, `[1, 2]`); a bare word that is not valid TOML is taken as a
/// string, so `--set market.clearing=call` works. `population[2].count=5` indexes arrays.
fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), String> {
    let (path, raw_value) = assignment
        .split_once('=')
        .ok_or_else(|| "expected KEY=VALUE, e.g. clients.count=500".to_string())?;
    let path = path.trim();
    if path.is_empty() {
        return Err("empty key".into());
    }
    let value = parse_value(raw_value.trim());
    let segments: Vec<&str> = path.split('.').collect();
    let mut current = table;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (name, index) = split_index(segment)?;
        if let Some(index) = index {
            let array = current
                .entry(name.to_string())
                .or_insert_with(|| toml::Value::Array(Vec::new()))
                .as_array_mut()
                .ok_or_else(|| format!("`{name}` is not an array"))?;
            let len = array.len();
            let element = array.get_mut(index).ok_or_else(|| {
                format!("`{name}` has {len} element(s); index {index} is out of range")
            })?;
            if last {
                *element = value;
                return Ok(());
            }
            current = element
                .as_table_mut()
                .ok_or_else(|| format!("`{name}[{index}]` is not a table"))?;
        } else if last {
            current.insert(name.to_string(), value);
            return Ok(());
        } else {
            current = current
                .entry(name.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| format!("`{name}` is not a table"))?;
        }
    }
    unreachable!("the loop returns on the last segment")
}

fn split_index(segment: &str) -> Result<(&str, Option<usize>), String> {
    match segment.split_once('[') {
        None => Ok((segment, None)),
        Some((name, rest)) => {
            let index = rest
                .strip_suffix(']')
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("bad index in `{segment}`; expected name[N]"))?;
            Ok((name, Some(index)))
        }
    }
}

fn parse_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests;
