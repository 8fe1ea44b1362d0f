//! One module per subcommand; each wires the library modules together for its command.
//!
//! Owns argument-to-module plumbing, what goes to stdout, and the connection to the tenant a
//! config names (`local_tenant`: the embedded local tenant is started here, not in `tenant`).
//! [`dispatch`] runs the settings stage once ([`Env::read`], then `*Settings::resolve`) and hands
//! the commands plain settings. Must not hold domain logic: config checks live in `config`, diffs
//! in `plan`, formatting in `render`, HTTP in `tenant`.

use crate::Exit;
use crate::cli::{Command, Deadline};
use crate::settings::{ApplySettings, Env, TenantSettings};
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
mod local_served;
mod local_tenant;
pub mod pipeline;
mod plan;
mod policy_check;
mod rotate;
mod schema;
mod scopes;
mod token;
mod usage;
mod validate;

pub use local_tenant::{Connection, LOCAL_STATE_FILE, connect};

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

/// Runs one subcommand: the settings stage first (the environment is read here, once), then the
/// command with its settings.
pub async fn dispatch(command: Command, ctx: &Context) -> miette::Result<Exit> {
    let env = Env::read();
    let resolve = |args| TenantSettings::resolve(args, &env);
    match command {
        Command::Init(args) => {
            let t = resolve(&args.tenant);
            within(t.timeout, "init", init::run(args, &t, ctx)).await
        }
        Command::Validate(args) => validate::run(args, ctx).await,
        Command::Plan(args) => {
            let t = resolve(&args.tenant);
            within(t.timeout, "plan", plan::run(args, &t, ctx)).await
        }
        Command::Apply(args) => {
            let (t, a) = (resolve(&args.tenant), ApplySettings::resolve(&args, &env));
            within(t.timeout, "apply", apply::run(args, &t, &a, ctx)).await
        }
        Command::Token(args) => {
            let t = resolve(&args.tenant);
            within(t.timeout, "token", token::run(args, &t, ctx)).await
        }
        Command::Credentials(args) => {
            let t = resolve(&args.tenant);
            within(t.timeout, "credentials", credentials::run(args, &t, ctx)).await
        }
        // Not under the deadline: stopping between the new secret and its output would lose it.
        Command::Rotate(args) => {
            let t = resolve(&args.tenant);
            rotate::run(args, &t, ctx).await
        }
        Command::Keygen(args) => keygen::run(&args, ctx),
        Command::Export(args) => {
            let t = resolve(&args.tenant);
            within(t.timeout, "export", export::run(args, &t, ctx)).await
        }
        Command::Emulator(args) => emulator::run(args, ctx).await,
        Command::Drift(args) => {
            let t = resolve(&args.tenant);
            drift::run(args, &t, ctx).await
        }
        Command::Usage(args) => {
            let t = resolve(&args.tenant);
            usage::run(args, &t, ctx).await
        }
        Command::Schema => schema::run(ctx).await,
        Command::Scopes(args) => scopes::run(&args),
        Command::Api(args) => {
            let t = resolve(&args.tenant);
            api::run(args, &t, ctx).await
        }
        Command::Completions(args) => completions::run(args),
    }
}
