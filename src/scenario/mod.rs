//! Scenario files: load, override, validate, and build the domain configs (SPEC: every
//! constant is a scenario key). This layer is the only one that knows the file format.
//!
//! ```text
//! TOML text ──parse──▶ toml::Table ──--set k=v (one at a time, each re-parsed)──▶ Table
//!   ──serde (deny unknown)──▶ ScenarioFile ──read empirical CSVs, validate, size──▶ Scenario
//!   ──build──▶ MarketConfig (market core), ClientConfig / GroupConfig (agents)
//! ```
//!
//! Build, then validate: [`ScenarioFile`] is the raw serde boundary; [`Scenario`] can only be
//! obtained through [`Scenario::from_file`], so everything downstream sees checked values. Every
//! error names the file, the key path and the allowed values (and the `--set` that brought it
//! in), and is raised before anything runs: out-of-range values, broken distribution tables,
//! unreadable data files, totals that could overflow, and scenarios whose estimated memory does
//! not fit ([`limits`]). [`keys`] describes the format from the same serde types.

mod build;
pub mod dist;
pub mod file;
pub mod keys;
pub mod limits;
mod validate;

pub use dist::{Columns, DistSpec, EmpiricalSource};
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
    /// Columns of the empirical distributions and arrival trace, read once at validation.
    columns: Columns,
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

    /// Parses TOML `text` (named `origin` in errors; empirical files are read next to it),
    /// applies overrides, validates. An error the file has alone is the file's; an error that
    /// an override brings in names that `--set`.
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
        let parsed = deserialize(&table).map_err(parse_err)?;
        if overrides.is_empty() {
            return Self::from_file(parsed, origin);
        }
        // Keys the file leaves out are filled from what it resolves to, so an override can
        // index into a default (`reputation.weights[0]=0.5`).
        let resolved = toml::Table::try_from(&parsed).expect("a parsed scenario serialises");
        for assignment in overrides {
            let refused = |message: String| ScenarioError::Override {
                file: origin.to_path_buf(),
                assignment: assignment.clone(),
                message,
            };
            apply_override(&mut table, &resolved, assignment).map_err(refused)?;
            deserialize(&table).map_err(refused)?;
        }
        let raw = deserialize(&table).map_err(parse_err)?;
        Self::from_file(raw, origin).map_err(|e| match e {
            ScenarioError::Invalid { file, problems } => ScenarioError::Invalid {
                file,
                problems: problems
                    .into_iter()
                    .map(|p| blame_override(p, overrides))
                    .collect(),
            },
            other => other,
        })
    }

    /// Validates a raw scenario (empirical files are read relative to `origin`'s directory).
    pub fn from_file(mut file: ScenarioFile, origin: &Path) -> Result<Self, ScenarioError> {
        let base = origin.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut columns = Columns::new();
        let mut problems = Vec::new();
        let mut load = |key: String, source: &mut EmpiricalSource| {
            let written = format!(
                "{:?}",
                toml::Value::try_from(&*source)
                    .expect("serialisable")
                    .to_string()
            );
            if let Err(e) = dist::load(source, &base, &mut columns) {
                problems.push(Problem {
                    key,
                    value: written,
                    allowed: format!(
                        "a CSV file with a header row and a column of finite numbers ({e})"
                    ),
                });
            }
        };
        validate::dist_keys(&mut file, |key, spec, _| {
            if let Some(source) = spec.source_mut() {
                load(format!("{key}.empirical"), source);
            }
        });
        if let Some(source) = &mut file.clients.arrival_trace {
            load("clients.arrival_trace".into(), source);
        }
        problems.extend(validate::problems(&file, &columns));
        if problems.is_empty() {
            let scenario = Self { file, columns };
            // Only a valid scenario can be sized.
            let estimate = scenario.estimate();
            problems.extend(limits::memory_problem(scenario.file(), &estimate));
            problems.extend(limits::recordings_problem(scenario.file(), &estimate));
            if problems.is_empty() {
                return Ok(scenario);
            }
        }
        Err(ScenarioError::Invalid {
            file: origin.to_path_buf(),
            problems,
        })
    }

    /// The validated values.
    pub fn file(&self) -> &ScenarioFile {
        &self.file
    }

    /// The sampler of a validated distribution of this scenario.
    pub fn dist(&self, spec: &DistSpec) -> crate::engine::Dist {
        spec.build(&self.columns)
    }

    /// Post times of the arrival trace, sorted, if the scenario has one.
    pub fn arrival_trace(&self) -> Option<Vec<f64>> {
        let source = self.file.clients.arrival_trace.as_ref()?;
        let mut times = self.columns[source].to_vec();
        times.sort_by(f64::total_cmp);
        Some(times)
    }

    /// The typical budget of an ordinary job: `clients.budget`'s median, or `budget_median`.
    pub fn typical_budget(&self) -> f64 {
        let clients = &self.file.clients;
        clients
            .budget
            .as_ref()
            .map_or(clients.budget_median as f64, |b| b.median(&self.columns))
    }

    /// Mean, variance and range of a validated distribution of this scenario.
    pub fn moments(&self, spec: &DistSpec) -> dist::Moments {
        spec.moments(&self.columns)
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
    /// Keys added after a file format was fixed are listed only when set; empirical files are
    /// named by their resolved path.
    pub fn to_resolved_toml(&self) -> String {
        let body = toml::to_string(&self.file).expect("a validated scenario always serialises");
        format!(
            "# Resolved by marketsim {}: every parameter after defaults, overrides and --seed.\n\
             # `marketsim run` on this file reproduces the run byte for byte.\n{body}",
            env!("CARGO_PKG_VERSION")
        )
    }
}

/// `table` as a scenario; an error inside a `[[population]]` group names the group's index
/// and key (`population[2].count: …`), which serde's tagged enums cannot.
fn deserialize(table: &toml::Table) -> Result<ScenarioFile, String> {
    table
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| population_error(table).unwrap_or_else(|| e.to_string()))
}

/// The first error inside a population group, by index and key.
fn population_error(table: &toml::Table) -> Option<String> {
    let groups = table.get("population")?.as_array()?;
    for (i, group) in groups.iter().enumerate() {
        let mut group = group.as_table()?.clone();
        let kind = group.remove("kind")?;
        let body = toml::Value::Table(group);
        let result = match kind.as_str()? {
            "honest" => body.try_into::<HonestGroup>().map(drop),
            "gaming" => body.try_into::<GamingGroup>().map(drop),
            "sybil" => body.try_into::<SybilGroup>().map(drop),
            "ring" => body.try_into::<RingGroup>().map(drop),
            _ => continue,
        };
        if let Err(e) = result {
            // The error ends with "in `key`" when it is about one key of the group.
            let text = e.to_string();
            let text = text.trim_end();
            return Some(match text.rsplit_once("\nin `") {
                Some((message, key)) => {
                    format!("population[{i}].{}: {message}", key.trim_end_matches('`'))
                }
                None => format!("population[{i}]: {text}"),
            });
        }
    }
    None
}

/// Marks a problem whose key an override set, so that it is not blamed on the file.
fn blame_override(mut problem: Problem, overrides: &[String]) -> Problem {
    let set_by = overrides.iter().rev().find(|o| {
        let path = o.split_once('=').map_or(o.as_str(), |(p, _)| p).trim();
        let within = |outer: &str, inner: &str| {
            inner == outer
                || inner.starts_with(&format!("{outer}."))
                || inner.starts_with(&format!("{outer}["))
        };
        // A problem about several keys (`clients.count × clients.initial_balance`) names each.
        problem
            .key
            .split([' ', '×', '+'])
            .filter(|k| !k.is_empty())
            .any(|key| within(path, key) || within(key, path))
    });
    if let Some(o) = set_by {
        problem.value = format!("{} (from --set {o})", problem.value);
    }
    problem
}

/// Applies one `a.b.c=value` override to the parsed table. The value is read as a TOML value
/// (`3`, `0.5`, `true`, `"call"`, `[1, 2]`, `{ uniform = [1, 5] }`); a bare word that is not
/// valid TOML is taken as a string, so `--set market.clearing=call` works.
/// `population[2].count=5` indexes arrays. A key the file leaves out is first copied from
/// `resolved` (the file with its defaults), so defaults can be indexed into.
fn apply_override(
    table: &mut toml::Table,
    resolved: &toml::Table,
    assignment: &str,
) -> Result<(), String> {
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
    let mut defaults = Some(resolved);
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (name, index) = split_index(segment)?;
        let default = defaults.and_then(|d| d.get(name));
        if let Some(index) = index {
            let array = current
                .entry(name.to_string())
                .or_insert_with(|| {
                    default
                        .filter(|d| d.is_array())
                        .cloned()
                        .unwrap_or_else(|| toml::Value::Array(Vec::new()))
                })
                .as_array_mut()
                .ok_or_else(|| format!("`{name}` is not an array"))?;
            let len = array.len();
            let element = array.get_mut(index).ok_or_else(|| {
                if len == 0 {
                    format!("`{name}` is not set: set the whole array first, e.g. {name}=[…]")
                } else {
                    format!("`{name}` has {len} element(s); index {index} is out of range")
                }
            })?;
            if last {
                *element = value;
                return Ok(());
            }
            defaults = default
                .and_then(|d| d.as_array())
                .and_then(|a| a.get(index))
                .and_then(|e| e.as_table());
            current = element
                .as_table_mut()
                .ok_or_else(|| format!("`{name}[{index}]` is not a table"))?;
        } else if last {
            current.insert(name.to_string(), value);
            return Ok(());
        } else {
            current = current
                .entry(name.to_string())
                .or_insert_with(|| {
                    default
                        .filter(|d| d.is_table())
                        .cloned()
                        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()))
                })
                .as_table_mut()
                .ok_or_else(|| format!("`{name}` is not a table"))?;
            defaults = default.and_then(|d| d.as_table());
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
