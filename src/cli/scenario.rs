//! `marketsim scenario keys | schema`: the scenario file format, generated from the parser's
//! own types (see `scenario::keys`).

use crate::scenario::keys;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  marketsim scenario keys\n  \
    marketsim scenario schema > marketsim-scenario.schema.json\n\nExit codes: 0 ok, 2 error.")]
pub(super) struct ScenarioArgs {
    #[command(subcommand)]
    command: ScenarioCommand,
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// Print every scenario key with its type, default, allowed range and doc.
    Keys,
    /// Print the JSON Schema of scenario files (for Taplo / Even Better TOML).
    Schema,
}

pub(super) fn run(args: ScenarioArgs) -> anyhow::Result<ExitCode> {
    let text = match args.command {
        ScenarioCommand::Keys => keys::keys_table(),
        ScenarioCommand::Schema => serde_json::to_string_pretty(&keys::schema())? + "\n",
    };
    super::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
