//! Helpers shared by the integration tests: the binary under test, scratch directories and
//! runs of `marketsim` from the crate's root (where the shipped scenario paths resolve).

// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use std::fs;
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// The `marketsim` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_marketsim");

/// A test's scratch directory: fresh and empty, named after the test binary and `name`, and
/// removed when dropped, so that `cargo test` leaves nothing behind (each run used to leave
/// about 100 MB in the temporary directory). A failing test keeps it to look at, and says
/// where. Readable by everyone (0755), as a results directory is: a test runs `replay` as
/// another user in one.
pub struct Scratch(tempfile::TempDir);

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.disable_cleanup(true);
            eprintln!(
                "kept the failing test's scratch directory {}",
                self.0.path().display()
            );
        }
    }
}

/// A new [`Scratch`] directory. Its mode is set after it is made, so that the umask (077 for
/// some users) cannot narrow it.
pub fn scratch(name: &str) -> Scratch {
    let prefix = format!("marketsim-{}-{name}-", env!("CARGO_CRATE_NAME"));
    let dir = tempfile::Builder::new().prefix(&prefix).tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    Scratch(dir)
}

/// `marketsim ARGS`, to be run from the crate's root.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs `marketsim ARGS` from the crate's root.
pub fn marketsim(args: &[&str]) -> Output {
    command(args).output().expect("binary runs")
}

/// Runs `marketsim ARGS`, asserting that it succeeds; returns its output.
pub fn ok(args: &[&str]) -> Output {
    let out = marketsim(args);
    assert!(
        out.status.success(),
        "marketsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A run's summary (`metrics::summary`) as (column, value) text pairs, simulated in process.
pub fn summary_of(scenario: marketsim::scenario::Scenario) -> Vec<(String, String)> {
    let outcome = marketsim::world::simulate(scenario, |_| {});
    marketsim::metrics::summary::summary(&outcome)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

/// The value of column `name` of a summary; NaN for an empty (missing) value. Panics if the
/// column does not exist or holds something other than a number.
pub fn metric(summary: &[(String, String)], name: &str) -> f64 {
    let value = &summary
        .iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1;
    match value.as_str() {
        "" => f64::NAN,
        v => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} = {v:?} is not a number")),
    }
}
