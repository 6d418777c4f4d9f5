//! The `marketsim` binary: thin glue over the library (see `cli`).

use std::process::ExitCode;

fn main() -> ExitCode {
    match marketsim::cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", marketsim::cli::error_chain(&e));
            ExitCode::from(2)
        }
    }
}
