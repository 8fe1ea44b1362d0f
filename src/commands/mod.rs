//! One module per subcommand; each wires the library modules together for its command.
//!
//! Owns argument-to-module plumbing and what goes to stdout. Must not hold domain logic: config
//! checks live in `config`, diffs in `plan`, formatting in `render`, HTTP in `tenant`.

use crate::Exit;
use crate::cli::{Command, Deadline};
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
mod keygen;
pub mod pipeline;
mod plan;
mod policy_check;
mod rotate;
mod schema;
mod scopes;
mod token;
mod usage;
mod validate;

/// Writes a report to stdout through `render`, buffered and flushed. A reader that left
/// (`m2mctl plan | head`) is not an error; any other failure names `what` and says `help`.
fn to_stdout(
    what: &str,
    help: &str,
    render: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> miette::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match render(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(miette::miette!(
            help = help.to_string(),
            "cannot write {what} to stdout: {e}"
        )),
    }
}

/// Runs a command that talks to a tenant under its `--timeout`: past it, the command stops
/// (requests in flight are abandoned) with an error saying what to do.
async fn within(
    deadline: Deadline,
    command: &str,
    run: impl std::future::Future<Output = miette::Result<Exit>>,
) -> miette::Result<Exit> {
    let Some(limit) = deadline.0 else {
        return run.await;
    };
    match tokio::time::timeout(limit, run).await {
        Ok(result) => result,
        Err(_) if command == "apply" => Err(miette::miette!(
            code = "m2mctl::timeout",
            help = "what was applied before the deadline stays applied and a re-run finishes the rest: run `m2mctl plan` to see what is left, then apply again (raise `--timeout` for a slow or rate-limited tenant)",
            "`m2mctl apply` did not finish within {deadline} (`--timeout`); stopped"
        )),
        Err(_) => Err(miette::miette!(
            code = "m2mctl::timeout",
            help = "the tenant is slow, rate limiting hard or not answering: retry later, or raise `--timeout` (e.g. `--timeout 1h`)",
            "`m2mctl {command}` did not finish within {deadline} (`--timeout`); stopped"
        )),
    }
}

/// Runs one subcommand.
pub async fn dispatch(command: Command, ctx: &Context) -> miette::Result<Exit> {
    match command {
        Command::Init(args) => within(args.tenant.timeout, "init", init::run(args, ctx)).await,
        Command::Validate(args) => validate::run(args, ctx).await,
        Command::Plan(args) => within(args.tenant.timeout, "plan", plan::run(args, ctx)).await,
        Command::Apply(args) => within(args.tenant.timeout, "apply", apply::run(args, ctx)).await,
        Command::Token(args) => within(args.tenant.timeout, "token", token::run(args, ctx)).await,
        Command::Credentials(args) => {
            within(
                args.tenant.timeout,
                "credentials",
                credentials::run(args, ctx),
            )
            .await
        }
        // Not under the deadline: stopping between the new secret and its output would lose it.
        Command::Rotate(args) => rotate::run(args, ctx).await,
        Command::Keygen(args) => keygen::run(&args, ctx),
        Command::Export(args) => {
            within(args.tenant.timeout, "export", export::run(args, ctx)).await
        }
        Command::Emulator(args) => emulator::run(args, ctx).await,
        Command::Drift(args) => drift::run(args, ctx).await,
        Command::Usage(args) => usage::run(args, ctx).await,
        Command::Schema => schema::run(ctx).await,
        Command::Scopes(args) => scopes::run(&args),
        Command::Api(args) => api::run(args, ctx).await,
        Command::Completions(args) => completions::run(args),
    }
}
