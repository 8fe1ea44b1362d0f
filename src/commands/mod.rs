//! One module per subcommand; each wires the library modules together for its command.
//!
//! Owns argument-to-module plumbing and what goes to stdout. Must not hold domain logic: config
//! checks live in `config`, diffs in `plan`, formatting in `render`, HTTP in `tenant`.

use crate::Exit;
use crate::cli::Command;
use crate::ui::Context;

mod api;
mod apply;
mod completions;
mod credentials;
mod deliver;
mod drift;
mod emulator;
mod export;
mod init;
mod init_deployer;
pub mod pipeline;
mod plan;
mod policy_check;
mod rotate;
mod schema;
mod scopes;
mod token;
mod usage;
mod validate;

/// Runs one subcommand.
pub async fn dispatch(command: Command, ctx: &Context) -> miette::Result<Exit> {
    match command {
        Command::Init(args) => init::run(args, ctx).await,
        Command::Validate(args) => validate::run(args, ctx).await,
        Command::Plan(args) => plan::run(args, ctx).await,
        Command::Apply(args) => apply::run(args, ctx).await,
        Command::Token(args) => token::run(args, ctx).await,
        Command::Credentials(args) => credentials::run(args, ctx).await,
        Command::Rotate(args) => rotate::run(args, ctx).await,
        Command::Export(args) => export::run(args, ctx).await,
        Command::Emulator(args) => emulator::run(args, ctx).await,
        Command::Drift(args) => drift::run(args, ctx).await,
        Command::Usage(args) => usage::run(args, ctx).await,
        Command::Schema => schema::run(ctx).await,
        Command::Scopes(args) => scopes::run(&args),
        Command::Api(args) => api::run(args, ctx).await,
        Command::Completions(args) => completions::run(args),
    }
}
