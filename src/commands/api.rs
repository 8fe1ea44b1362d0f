//! `m2mctl api`: one request (or every page of a list) to the Management API or a declared API,
//! with a managed application's cached token (`--as`) or m2mctl's own credentials, like `gh api`.
//!
//! Owns the plumbing: reading `-d @FILE`, choosing the token and origin, stdout (the body, pretty
//! on a terminal; `-i` adds the status line and rate-limit headers) and stderr (the error and,
//! for a 403, the scope and config line that would grant it). Exit 1 on a status ≥ 400. Must not
//! print a token; the decisions live in [`passthrough`](crate::passthrough).

use std::io::{Read, Write};

use miette::miette;
use reqwest::Method;
use serde_json::Value;

use crate::Exit;
use crate::cli::{ApiArgs, env};
use crate::commands::{pipeline, token};
use crate::config::Loaded;
use crate::model::{ApiRef, Domain};
use crate::passthrough::forbidden::{self, Caller};
use crate::passthrough::pages::Pager;
use crate::passthrough::{self, body, management_path, method_and_path, split_url};
use crate::settings::TenantSettings;
use crate::tenant::{Passthrough, RawReply, TenantUrl};
use crate::token::exchange::Reuse;
use crate::ui::Context;

/// What one call needs besides the connection.
struct Call<'a> {
    method: Method,
    path: String,
    body: Option<Value>,
    args: &'a ApiArgs,
    tenant: &'a TenantSettings,
    ctx: &'a Context,
    management: bool,
}

/// Runs `m2mctl api`.
pub async fn run(args: ApiArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    let body = match args.data.as_deref() {
        Some(data) => Some(body(&read_data(data)?)?),
        None => None,
    };
    let (method, raw_path) = method_and_path(&args.request, body.is_some())?;
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| passthrough::Error::Method(method.clone()))?;
    let api = args.api.as_deref().filter(|a| *a != token_api_management());
    let management = api.is_none();
    let path = if management {
        management_path(&raw_path)
    } else {
        raw_path.clone()
    };
    let call = Call {
        method,
        path,
        body,
        args: &args,
        tenant,
        ctx,
        management,
    };
    match (&args.as_app, api) {
        (None, Some(id)) => Err(miette!(
            help = "pass `--as APP` with a managed application granted that API",
            "m2mctl's own token is for the Management API only, not `{id}`"
        )),
        (None, None) => own(&call).await,
        (Some(app), _) => as_app(&call, app, api).await,
    }
}

fn token_api_management() -> &'static str {
    crate::token::MANAGEMENT
}

/// `-d`: the JSON itself, `@FILE`, or `@-` for stdin.
fn read_data(data: &str) -> miette::Result<String> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| miette!("cannot read the request body from stdin: {e}"))?;
            Ok(text)
        }
        Some(file) => std::fs::read_to_string(file).map_err(|e| {
            miette!(
                help = "check the path after `@`",
                "cannot read the request body from `{file}`: {e}"
            )
        }),
        None => Ok(data.to_string()),
    }
}

/// With m2mctl's own credentials: the config's tenant, else `AUTH0_DOMAIN`.
async fn own(call: &Call<'_>) -> miette::Result<Exit> {
    let args = call.args;
    let domain = if args.config.file.exists() {
        match pipeline::load(&args.config) {
            Ok(loaded) => loaded.desired.domain,
            Err(err) => return err.report(call.ctx),
        }
    } else {
        match &call.tenant.env_domain {
            Some(d) => Domain::Remote(d.clone()),
            None => {
                return Err(miette!(
                    help = format!(
                        "set `{}` (and credentials), or run where `{}` is (`-f FILE`)",
                        env::AUTH0_DOMAIN,
                        args.config.file.display()
                    ),
                    "no tenant: `{}` does not exist and `{}` is not set",
                    args.config.file.display(),
                    env::AUTH0_DOMAIN
                ));
            }
        }
    };
    let connection = match pipeline::connect(&domain, call.tenant, &args.config.file).await {
        Ok(c) => c,
        Err(err) => return err.report(call.ctx),
    };
    let outcome = send(call, &connection.client().passthrough(), &Caller::Own).await;
    let closed = connection.close().await;
    let exit = outcome?;
    closed.map_err(miette::Report::new)?;
    Ok(exit)
}

/// As a managed application: its token for the Management API or the declared API `api`.
async fn as_app(call: &Call<'_>, app: &str, api: Option<&str>) -> miette::Result<Exit> {
    let args = call.args;
    token::with_tenant(&args.config, call.tenant, call.ctx, async |opened| {
        let apps = [app.to_string()];
        let wanted = api.unwrap_or(crate::token::MANAGEMENT);
        let file = args.config.file.display().to_string();
        let loaded = pipeline::load(&args.config).ok();
        let declared = opened
            .desired
            .applications
            .iter()
            .find(|a| a.key == app)
            .or_else(|| opened.desired.applications.iter().find(|a| a.name == app));
        if let Some(declared) = declared
            .filter(|a| call.management && !a.grants.iter().any(|g| g.api == ApiRef::Management))
        {
            let caller = app_caller(loaded.as_ref(), &declared.key, &file);
            let path = call.path.split('?').next().unwrap_or_default();
            return Err(miette!(
                help = forbidden::help(call.method.as_str(), path, &[], &caller),
                "`{}` is not granted the Management API",
                declared.key
            ));
        }
        let issued = token::issue(
            opened,
            &apps,
            Some(wanted),
            None,
            Reuse::Cached,
            &call.tenant.token_cache,
            &args.config,
            token::Checks::default(),
        )
        .await?;
        let Some(first) = issued.into_iter().next() else {
            return Err(miette!(
                help =
                    format!("grant `{app}` the API `{wanted}` in the config, then `m2mctl apply`"),
                "`{app}` has no grant to `{wanted}`"
            ));
        };
        let (origin, path) = if call.management {
            (
                opened.connection.client().tenant().clone(),
                call.path.clone(),
            )
        } else {
            let (origin, path) = split_url(&call.path)?;
            (TenantUrl::parse(&origin)?, path)
        };
        let passthrough = Passthrough::new(&origin, first.access_token, &call.tenant.options)?;
        let key = first.pair.app_key.clone();
        let caller = app_caller(loaded.as_ref(), &key, &file);
        let call = Call {
            path,
            method: call.method.clone(),
            body: call.body.clone(),
            ..*call
        };
        send(&call, &passthrough, &caller).await
    })
    .await
}

/// Where the application and its Management API grant are in the config.
fn app_caller<'a>(loaded: Option<&'a Loaded>, key: &'a str, file: &'a str) -> Caller<'a> {
    let cfg = loaded.and_then(|l| {
        l.config
            .applications
            .iter()
            .find(|a| a.key.as_ref().map_or(&a.name.value, |k| &k.value) == key)
    });
    Caller::App {
        key,
        file,
        app_line: cfg.map(|a| a.name.referenced.line()),
        grant_line: cfg.and_then(|a| {
            a.grants
                .iter()
                .find(|g| {
                    g.api.value == crate::token::MANAGEMENT || g.api.value.ends_with("/api/v2/")
                })
                .map(|g| g.api.referenced.line())
        }),
    }
}

/// Sends the call (every page with `--paginate`) and prints the outcome.
async fn send(call: &Call<'_>, to: &Passthrough, caller: &Caller<'_>) -> miette::Result<Exit> {
    let mut out = std::io::stdout().lock();
    let write_err = |e: std::io::Error| miette!("cannot write to stdout: {e}");
    if !call.args.paginate {
        let reply = to
            .send(call.method.clone(), &call.path, call.body.as_ref())
            .await?;
        if call.args.include {
            out.write_all(status_block(&reply).as_bytes())
                .map_err(write_err)?;
        }
        out.write_all(&shown_body(&reply.body, call.ctx.stdout_tty))
            .map_err(write_err)?;
        return Ok(finish(call, &reply, caller));
    }
    let mut pager = Pager::new(&call.path);
    loop {
        let reply = to
            .send(call.method.clone(), &pager.request(), call.body.as_ref())
            .await?;
        if call.args.include {
            eprint!("{}", status_block(&reply));
        }
        if reply.status >= 400 {
            out.write_all(&shown_body(&reply.body, call.ctx.stdout_tty))
                .map_err(write_err)?;
            return Ok(finish(call, &reply, caller));
        }
        let page: Value = serde_json::from_slice(&reply.body).map_err(|e| {
            miette!(
                help = "drop `--paginate` to see the raw answer",
                "a page is not JSON (line {} column {})",
                e.line(),
                e.column()
            )
        })?;
        if !pager.feed(page)? {
            break;
        }
    }
    let all = Value::Array(pager.into_items());
    let text = if call.ctx.stdout_tty {
        serde_json::to_string_pretty(&all)
    } else {
        serde_json::to_string(&all)
    }
    .map_err(|e| miette!("cannot render the pages: {e}"))?;
    writeln!(out, "{text}").map_err(write_err)?;
    Ok(Exit::Success)
}

/// `HTTP 200 OK` and the rate-limit headers, then a blank line.
fn status_block(reply: &RawReply) -> String {
    let mut text = format!("HTTP {} {}\n", reply.status, reply.reason);
    for (name, value) in &reply.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text
}

/// The body: pretty JSON on a terminal, else as received; ends with a newline when not empty.
fn shown_body(body: &[u8], tty: bool) -> Vec<u8> {
    let mut out = match serde_json::from_slice::<Value>(body) {
        Ok(value) if tty => serde_json::to_vec_pretty(&value).unwrap_or_else(|_| body.to_vec()),
        _ => body.to_vec(),
    };
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

/// Success below 400; else the error on stderr (a 403 with the scope and the config line).
fn finish(call: &Call<'_>, reply: &RawReply, caller: &Caller<'_>) -> Exit {
    if reply.status < 400 {
        return Exit::Success;
    }
    let path = call.path.split('?').next().unwrap_or_default();
    eprintln!(
        "error: {} {path}: HTTP {} {}",
        call.method, reply.status, reply.reason
    );
    if reply.status == 403 && call.management {
        let endpoint = crate::endpoints::find(call.method.as_str(), path);
        let missing = forbidden::missing_scopes(&reply.body, endpoint);
        eprintln!(
            "help: {}",
            forbidden::help(call.method.as_str(), path, &missing, caller)
        );
    }
    Exit::Failure
}
