//! Helpers shared by the integration tests: the binary under test, scratch directories and
//! runs of `marketsim` from the crate's root (where the shipped scenario paths resolve).

// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The `marketsim` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_marketsim");

/// A fresh, empty temporary directory unique to this test binary, process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "marketsim-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
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
