//! The `m2mctl` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = m2mctl::cli::Cli::parse();
    match m2mctl::run(cli) {
        Ok(exit) => exit.into(),
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}
