//! Command-line definitions (clap derive) and every environment variable name m2mctl reads.
//!
//! Owns the shape of the command line only. Must not do work: `lib::run` dispatches each
//! subcommand to its module in `commands/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Every environment variable m2mctl reads, in one place.
pub mod env {
    /// Tenant domain (`host[:port]`, `http://` for loopback, or `local`).
    pub const AUTH0_DOMAIN: &str = "AUTH0_DOMAIN";
    /// A Management API access token (takes precedence over client credentials).
    pub const AUTH0_ACCESS_TOKEN: &str = "AUTH0_ACCESS_TOKEN";
    /// Client id of the M2M app m2mctl authenticates as.
    pub const AUTH0_CLIENT_ID: &str = "AUTH0_CLIENT_ID";
    /// Client secret of that app.
    pub const AUTH0_CLIENT_SECRET: &str = "AUTH0_CLIENT_SECRET";
    /// PEM file of that app's private key (private-key JWT instead of a secret; the deploy CLI's name).
    pub const AUTH0_CLIENT_SIGNING_KEY_PATH: &str = "AUTH0_CLIENT_SIGNING_KEY_PATH";
    /// Algorithm of that key: `RS256` (default), `RS384` or `PS256`.
    pub const AUTH0_CLIENT_SIGNING_ALGORITHM: &str = "AUTH0_CLIENT_SIGNING_ALGORITHM";
    /// PEM file of an extra CA to trust (for example the emulator's certificate).
    pub const M2MCTL_CA_CERT: &str = "M2MCTL_CA_CERT";
    /// Override of the token cache directory.
    pub const M2MCTL_CACHE_DIR: &str = "M2MCTL_CACHE_DIR";
    /// Disables colour when set to anything (<https://no-color.org>).
    pub const NO_COLOR: &str = "NO_COLOR";
    /// Log filter override for `tracing` (e.g. `m2mctl=debug`).
    pub const M2MCTL_LOG: &str = "M2MCTL_LOG";
}

/// Manage Auth0 machine-to-machine applications as code.
#[derive(Debug, Parser)]
#[command(name = "m2mctl", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// More logs on stderr (-v info, -vv requests with timings, -vvv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colour (never with NO_COLOR set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour (still not with NO_COLOR).
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter m2mctl.yaml; with --create-deployer, create the M2M application m2mctl runs as.
    Init(InitArgs),
    /// Parse and check a config offline; exit 1 with every diagnostic.
    Validate(ValidateArgs),
    /// Read the tenant and show what apply would change.
    Plan(PlanArgs),
    /// Make the tenant match the config (or a saved plan).
    Apply(ApplyArgs),
    /// Print a client-credentials access token for each (application, API).
    Token(TokenArgs),
    /// Print client id and secret of managed applications.
    Credentials(CredentialsArgs),
    /// Rotate the client secret of applications, deliver it, and prove it works.
    Rotate(RotateArgs),
    /// Write a new RSA key pair for a private-key JWT application and print its config entry.
    Keygen(KeygenArgs),
    /// Write a config for an existing tenant's M2M applications (adoption).
    Export(ExportArgs),
    /// Serve the Auth0-compatible local tenant.
    Emulator(EmulatorArgs),
    /// Compare the tenant with the config and name who changed what; exit 2 on drift.
    Drift(DriftArgs),
    /// Tokens issued per application and API from the tenant logs; flag unused access.
    Usage(UsageArgs),
    /// Print the JSON Schema of the config file.
    Schema,
    /// Print the Management API scopes an endpoint needs, e.g. `scopes "GET /api/v2/clients"`.
    Scopes(ScopesArgs),
    /// Call the Management API (or a declared API) with a managed application's token, like `gh api`.
    Api(ApiArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

/// The config file and its variables.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// Config file.
    #[arg(short = 'f', long = "file", default_value = "m2mctl.yaml")]
    pub file: PathBuf,
    /// Set a variable for `${KEY}` (overrides the environment); repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
}

/// An extra policy file, checked with the config's own `policy:`.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// Policy file (the keys of `policy:` at its top level), checked with the config's own.
    #[arg(long = "policy", value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
}

/// How to reach a remote tenant, beyond AUTH0_* variables.
#[derive(Debug, Args, Clone)]
pub struct TenantArgs {
    /// PEM file of a CA to trust (a private CA such as the emulator's).
    #[arg(long, env = env::M2MCTL_CA_CERT, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Never send more than this many requests per second (0.01 to 1000000).
    #[arg(long, value_name = "RPS", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// Use the config's `tenant.domain` even when `AUTH0_DOMAIN` names another tenant (the
    /// credentials in `AUTH0_*` are then sent to the config's tenant).
    #[arg(long)]
    pub allow_domain_override: bool,
    /// Neither read nor write the token cache (m2mctl's own Management API token, and the
    /// applications' tokens of `token`).
    #[arg(long)]
    pub no_cache: bool,
    /// Stop with an error when the whole command runs longer than this: `90s`, `30m`, `1h`,
    /// or `0` for no limit.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_deadline)]
    pub timeout: Deadline,
}

/// `--timeout`: how long one command may run (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Option<std::time::Duration>);

impl Default for Deadline {
    /// 30 minutes: ample for thousands of changes at Auth0's rate limits, short of a stuck CI job.
    fn default() -> Deadline {
        Deadline(Some(std::time::Duration::from_secs(30 * 60)))
    }
}

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(d) = self.0 else {
            return f.write_str("no limit");
        };
        let secs = d.as_secs();
        match secs {
            s if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

/// `90s`, `30m`, `2h`, a bare number of seconds, or `0` (no limit); at most 24 hours.
pub fn parse_deadline(value: &str) -> Result<Deadline, String> {
    let text = value.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => 0,
    };
    let n: u64 = number.parse().unwrap_or(u64::MAX);
    let secs = n
        .checked_mul(scale)
        .filter(|s| scale > 0 && *s <= 24 * 3600);
    match secs {
        Some(0) => Ok(Deadline(None)),
        Some(s) => Ok(Deadline(Some(std::time::Duration::from_secs(s)))),
        None => Err(format!(
            "`{value}` is not a duration m2mctl understands: use seconds, minutes or hours up to 24h, e.g. `90s`, `30m`, `2h`, or `0` for no limit"
        )),
    }
}

/// `--max-rps`: a finite number above 0 (`0`, `-1`, `NaN` and `inf` are refused).
pub fn parse_rps(value: &str) -> Result<f64, String> {
    let rps: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))?;
    if rps.is_finite() && (0.01..=1e6).contains(&rps) {
        Ok(rps)
    } else {
        Err(format!(
            "`{value}` is not a rate m2mctl can keep: give a number from 0.01 to 1000000, e.g. `--max-rps 2`"
        ))
    }
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// Plan output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Terraform-like text.
    Text,
    /// Markdown for pull-request comments.
    Markdown,
    /// Stable JSON (see README).
    Json,
}

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Save the plan (desired state + tenant fingerprint, no secrets) for `apply PLAN`.
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Delete managed applications that left the config.
    #[arg(long)]
    pub prune: bool,
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

/// `usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// The window: applications and grants without a token in this many days are flagged.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub days: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Write the config without the unused grants to FILE, for review.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
}

/// `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`; without it, apply plans first.
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Apply without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// Delete managed applications that left the config.
    #[arg(long)]
    pub prune: bool,
    /// Allow a plan that deletes more than `max_deletes` objects.
    #[arg(long)]
    pub allow_mass_delete: bool,
    /// How long to wait for another apply of the project to finish (`0`: refuse at once).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::apply::lease::parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// How long a lease lives unless its run renews it (a crashed run's lease expires after it).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::apply::lease::parse_duration)]
    pub lock_ttl: std::time::Duration,
    /// Do not take the apply lease (only when no other apply of this project can overlap).
    #[arg(long)]
    pub no_lock: bool,
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Apply a plan that violates the policy.
    #[arg(long)]
    pub allow_policy_violations: bool,
}

/// Token output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    /// Human table (default on a terminal); tokens shortened.
    Table,
    /// JSON array (default otherwise).
    Json,
    /// `export NAME=value` lines for `eval`.
    Env,
    /// The token alone (exactly one application and API must be selected).
    Raw,
}

/// `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Applications (by key or name); all managed ones when empty.
    #[arg(value_name = "APP")]
    pub apps: Vec<String>,
    /// Only tokens for this API identifier (`management` for the Management API).
    #[arg(long, value_name = "IDENTIFIER")]
    pub api: Option<String>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub format: Option<TokenFormat>,
    /// Print only the token (`--format raw`), e.g. for `curl -H "authorization: Bearer $(…)"`.
    #[arg(short = 'r', long = "raw", conflicts_with = "format")]
    pub raw: bool,
    /// Check each token's claims against the config and the tenant; exit 1 on differences.
    #[arg(long)]
    pub verify: bool,
    /// Ask the tokens in the name of this organization (its `org_…` id or its name), for grants
    /// with `organization_usage: allow` or `require`; the token then carries `org_id`.
    #[arg(long, value_name = "ORG")]
    pub organization: Option<String>,
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// Credentials output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialsFormat {
    /// JSON array.
    Json,
    /// `export NAME=value` lines.
    Env,
}

/// `credentials`.
#[derive(Debug, Args)]
pub struct CredentialsArgs {
    /// Applications (by key or name); all managed ones when empty.
    #[arg(value_name = "APP")]
    pub apps: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CredentialsFormat::Json)]
    pub format: CredentialsFormat,
    /// Deliver the current credentials to each application's `deliver:` sinks instead of
    /// printing them (exit 1 when a sink fails; the others still run).
    #[arg(long, conflicts_with = "format")]
    pub deliver: bool,
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Applications (by key or name) whose client secret to rotate.
    #[arg(value_name = "APP", required = true)]
    pub apps: Vec<String>,
    /// List the steps without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The application (its key or name in the config) the key pair is for.
    #[arg(value_name = "APP")]
    pub app: String,
    /// The key's name (default: this month, e.g. `2026-11`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Where to write the public key (default: `keys/APP-NAME.pub.pem` beside the config).
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// Where to write the private key, mode 0600 (default: `secrets/APP-NAME.pem` beside the
    /// config; a `secrets/` directory m2mctl creates gets a `.gitignore` of `*`).
    #[arg(long, value_name = "PATH")]
    pub private_key: Option<PathBuf>,
    /// The `alg` of the printed entry.
    #[arg(long, value_enum, default_value_t = KeygenAlg::Rs256)]
    pub alg: KeygenAlg,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
    /// Config file (the default paths are beside it, and the printed paths relative to it).
    #[arg(short = 'f', long = "file", default_value = "m2mctl.yaml")]
    pub file: PathBuf,
}

/// `keygen --alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeygenAlg {
    /// RS256 (Auth0's default).
    #[value(name = "RS256")]
    Rs256,
    /// RS384.
    #[value(name = "RS384")]
    Rs384,
    /// PS256.
    #[value(name = "PS256")]
    Ps256,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the config (`-` for stdout).
    #[arg(short = 'o', long = "output", default_value = "m2mctl.yaml")]
    pub output: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Export grants to APIs that are neither custom APIs nor the Management API as `external`
    /// API entries (default true; `=false` leaves them out, and the first apply deletes them).
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub include_foreign_grants: bool,
    /// The `project` of the exported file: its clients keep their keys, other projects' are skipped.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Tenant domain (default: AUTH0_DOMAIN, else the local tenant beside `-o`).
    #[arg(long, env = env::AUTH0_DOMAIN)]
    pub domain: Option<String>,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free one (the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Persist tenant state in this JSON file (in memory without it).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate (SAN: 127.0.0.1, localhost).
    #[arg(long)]
    pub tls: bool,
    /// Write the certificate PEM here so clients can trust it.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Use this certificate (PEM) instead of a self-signed one.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of `--cert`.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Fixed client id of the bootstrap app.
    #[arg(
        long,
        value_name = "ID",
        requires = "bootstrap_client_secret",
        allow_hyphen_values = true
    )]
    pub bootstrap_client_id: Option<String>,
    /// Fixed client secret of the bootstrap app (may begin with `-`: random secrets do).
    #[arg(
        long,
        value_name = "SECRET",
        requires = "bootstrap_client_id",
        allow_hyphen_values = true
    )]
    pub bootstrap_client_secret: Option<String>,
    /// Token-bucket refill rate, requests per second (off unless given).
    #[arg(long, value_name = "RPS")]
    pub rate_limit: Option<f64>,
    /// Token-bucket size.
    #[arg(long, value_name = "N", requires = "rate_limit")]
    pub burst: Option<u32>,
    /// Fault injection, e.g. `429:0.1,500:0.05,lost:0.05,latency:0-20ms`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Seed of the fault injector (reproducible runs).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Refuse a rotated client secret for this long (e.g. `30s`), as Auth0 may.
    #[arg(long, value_name = "DURATION", value_parser = crate::emulator::propagation::parse_duration)]
    pub secret_propagation: Option<std::time::Duration>,
}

/// How `init --create-deployer` hands over the deployer's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeployerFormat {
    /// `export AUTH0_DOMAIN=… AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=…` lines for `eval`.
    Env,
    /// `{"client_id", "client_secret", "domain"}`.
    Json,
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The config file to write.
    #[arg(short = 'f', long = "file", default_value = "m2mctl.yaml")]
    pub file: PathBuf,
    /// Overwrite an existing config file.
    #[arg(long)]
    pub force: bool,
    /// Instead of the file: create (or fix) the M2M application m2mctl runs as, using a one-off
    /// Management API token in AUTH0_ACCESS_TOKEN, and print its credentials.
    #[arg(long)]
    pub create_deployer: bool,
    /// Name of the deployer application.
    #[arg(long, value_name = "NAME", default_value = "m2mctl deployer")]
    pub name: String,
    /// Also grant `read:client_keys`, so `token` and `credentials` can read managed secrets.
    #[arg(long, conflicts_with = "read_only")]
    pub with_tokens: bool,
    /// Only the `read:` scopes (`plan` but not `apply`, e.g. for pull-request CI jobs).
    #[arg(long)]
    pub read_only: bool,
    /// How to print the deployer's credentials.
    #[arg(long, value_enum, default_value_t = DeployerFormat::Env)]
    pub format: DeployerFormat,
    /// Tenant domain of the deployer.
    #[arg(long, env = env::AUTH0_DOMAIN, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `scopes` output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopesFormat {
    /// One line per endpoint: endpoint, canonical scope, the other scopes it accepts.
    Text,
    /// A JSON array of `{endpoint, summary, scope, accepted}`.
    Json,
}

/// `scopes`.
#[derive(Debug, Args)]
pub struct ScopesArgs {
    /// Endpoints as `METHOD PATH` (quoted), e.g. `"PATCH /api/v2/users/{id}"`.
    #[arg(value_name = "ENDPOINT", required_unless_present = "list")]
    pub endpoints: Vec<String>,
    /// List every Management API endpoint with its scopes.
    #[arg(long, conflicts_with = "endpoints")]
    pub list: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScopesFormat::Text)]
    pub format: ScopesFormat,
}

/// `api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// `[METHOD] PATH`: `/api/v2/clients`, `PATCH clients/ID`, or with `--api` a full URL.
    /// METHOD defaults to GET (POST with `-d`).
    #[arg(value_name = "METHOD_AND_PATH", num_args = 1..=2, required = true)]
    pub request: Vec<String>,
    /// Call as this managed application (key or name) with its cached token; without it, m2mctl's
    /// own Management API credentials.
    #[arg(long = "as", value_name = "APP")]
    pub as_app: Option<String>,
    /// The API the token is for: `management` (default) or a declared API's identifier.
    #[arg(long, value_name = "IDENTIFIER")]
    pub api: Option<String>,
    /// JSON request body, or `@FILE` (`@-` for stdin).
    #[arg(short = 'd', long = "data", value_name = "JSON|@FILE")]
    pub data: Option<String>,
    /// Follow Auth0's pages (page/per_page, or from/take) and print one array.
    #[arg(long)]
    pub paginate: bool,
    /// Show the status line and rate-limit headers (on stderr with `--paginate`).
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The tenant connection.
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeout_durations_table() {
        use std::time::Duration;
        let ok = [
            ("90s", Some(90)),
            ("30m", Some(1800)),
            ("2h", Some(7200)),
            ("45", Some(45)),
            ("0", None),
            ("0s", None),
            ("24h", Some(86400)),
        ];
        for (text, secs) in ok {
            let want = Deadline(secs.map(Duration::from_secs));
            assert_eq!(parse_deadline(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "m",
            "1.5h",
            "-1s",
            "25h",
            "10d",
            "1e300",
            "18446744073709551615h",
        ] {
            assert!(parse_deadline(bad).is_err(), "{bad}");
        }
        assert_eq!(Deadline::default().to_string(), "30m");
        assert_eq!(parse_deadline("90s").unwrap().to_string(), "90s");
    }

    #[test]
    fn max_rps_is_a_finite_number_above_zero() {
        for ok in ["0.5", "2", " 10 ", "1000000", "0.01"] {
            assert!(parse_rps(ok).is_ok(), "{ok}");
        }
        for bad in [
            "0", "-1", "NaN", "inf", "-inf", "1e300", "", "fast", "0.0", "1e-300",
        ] {
            assert!(parse_rps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bootstrap_credentials_may_begin_with_a_dash() {
        // Random secrets (base64url) begin with `-` one time in 64; CI once failed on one.
        let cli = Cli::try_parse_from([
            "m2mctl",
            "emulator",
            "--bootstrap-client-id",
            "-id",
            "--bootstrap-client-secret",
            "-dXk_secret",
        ]);
        let Ok(Cli {
            command: Command::Emulator(args),
            ..
        }) = cli
        else {
            panic!("emulator args did not parse: {cli:?}");
        };
        assert_eq!(args.bootstrap_client_id.as_deref(), Some("-id"));
        assert_eq!(args.bootstrap_client_secret.as_deref(), Some("-dXk_secret"));
    }
}
