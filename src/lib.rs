//! m2mctl: Auth0 machine-to-machine applications as code.
//!
//! Architecture map (one line per module; the layers — cli → settings → commands → pure core and
//! I/O edges — and the rule of each arrow are in ARCHITECTURE.md):
//! - [`cli`]       clap definitions; every environment variable name
//! - [`settings`]  the settings stage: flags + environment resolved once into plain settings
//! - [`commands`]  one file per subcommand: wires config, tenant, plan, render, apply together;
//!   connects to the tenant a config names (starting the embedded local tenant)
//! - [`ui`]        terminal facts (colour, tty) and logging setup; the only place reading NO_COLOR
//! - [`diagnostic`] the one layout of every error: code after the message, unwrapped off a terminal
//! - [`auth0`]     Auth0 facts: the Management API among system APIs, client vs user grants, wire names
//! - [`model`]     domain types shared by config, tenant and plan; no I/O
//! - [`scopes`]    the real Management API scope list (data)
//! - [`endpoints`] Management API endpoint -> scopes table (generated from the OpenAPI spec), lookups
//! - [`config`]    YAML model (serde + schemars), `${VAR}` interpolation, spans, validation -> DesiredState
//! - [`policy`]    policy rules over a config (errors at their line) and its tenant (warnings); pure
//! - [`tenant`]    Management API client: auth, pagination, rate governor, retries, typed errors
//! - [`plan`]      diff(desired, actual) -> Plan (pure data: changes with before/after, warnings)
//! - [`render`]    text / markdown / json renderers of a Plan; no diff logic here
//! - [`sanitize`]  untrusted text made safe: control characters, markdown/HTML, secrets redacted
//! - [`apply`]     executes a Plan: ordering, bounded concurrency, idempotent recovery, progress
//! - [`passthrough`] `m2mctl api`: request parsing, Auth0 pagination, 403 explanations (pure)
//! - [`keys`]      RSA keys of private-key JWT: PEM kinds, RFC 7638 thumbprints (Auth0's kid), keygen, assertions
//! - [`token`]     client-credentials exchange, cache, claim checks, output formats
//! - [`deliver`]   credentials to `.env` files, commands and Kubernetes Secrets (sinks)
//! - [`rotate`]    secret rotation steps and the proof loop (a token with the new secret)
//! - [`drift`]     config vs tenant differences attributed to tenant log entries (who, when); pure
//! - [`usage`]     token counts per application and grant from token-exchange logs, unused grants; pure
//! - [`export`]    tenant -> config YAML for adoption
//! - [`fs`]        the one place files are written: atomic replace, modes, no renaming over non-files
//! - [`emulator`]  Auth0-compatible local tenant: axum router, state, JWT issuer, rate limit, faults

pub mod apply;
pub mod auth0;
pub mod cli;
pub mod commands;
pub mod config;
pub mod deliver;
pub mod diagnostic;
pub mod drift;
pub mod emulator;
pub mod endpoints;
pub mod export;
pub mod fs;
pub mod keys;
pub mod model;
pub mod passthrough;
pub mod plan;
pub mod policy;
pub mod render;
pub mod rotate;
pub mod sanitize;
pub mod scopes;
pub mod settings;
pub mod tenant;
pub mod token;
pub mod ui;
pub mod usage;

use std::process::ExitCode;

/// How a command ended (errors travel as `miette::Report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0.
    Success,
    /// Exit 1 after the command already printed its diagnostics.
    Failure,
    /// Exit 2: `plan --detailed-exitcode` found changes.
    Changes,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failure => ExitCode::from(1),
            Exit::Changes => ExitCode::from(2),
        }
    }
}

/// Runs a parsed command line to completion.
pub fn run(cli: cli::Cli) -> miette::Result<Exit> {
    let ctx = ui::Context::detect(&cli.global);
    ui::init_logging(&ctx);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("cannot start the async runtime: {e}"))?;
    runtime.block_on(commands::dispatch(cli.command, &ctx))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_map_lists_every_module_once() {
        let source = include_str!("lib.rs");
        let map: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("//! - [`"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let mut declared: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod "))
            .filter_map(|l| l.strip_suffix(';'))
            .collect();
        let mut listed = map.clone();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(listed.len(), map.len(), "a module listed twice: {map:?}");
        declared.sort_unstable();
        assert_eq!(listed, declared, "the lib.rs map vs `pub mod` lines");
    }
}
