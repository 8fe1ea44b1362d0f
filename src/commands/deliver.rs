//! The delivery step `credentials --deliver`, `rotate` and `apply` share: build each
//! application's payload from the tenant it lives in, deliver it to the application's sinks,
//! and show one line per sink on stderr.
//!
//! Owns turning a (application, client id, secret) into a [`deliver::Payload`] (domain, token
//! URL, audience of the first grant) and the lines users see. Must not fetch or rotate secrets
//! (callers hand them in) nor print a credential.

use std::collections::BTreeMap;

use crate::apply::{Outcome as Applied, Report};
use crate::deliver::{self, DeliverError, Outcome, Payload, Sink};
use crate::model::{ApiRef, DesiredApp, DesiredState};
use crate::plan::Target;
use crate::tenant::{Client, Secret};
use crate::ui::Context;

/// Every application's sinks, by key.
pub type Sinks = BTreeMap<String, Vec<Sink>>;

/// What `AUTH0_DOMAIN` holds for this tenant: its host, or the `http://` origin of a loopback
/// emulator (what m2mctl and the Auth0 SDKs accept for it).
pub fn domain_value(client: &Client) -> String {
    let tenant = client.tenant();
    if tenant.is_plain_http() {
        tenant.origin().to_string()
    } else {
        tenant.authority().to_string()
    }
}

/// The audience of the application's first grant, if it has one.
pub fn first_audience(app: &DesiredApp, client: &Client) -> Option<String> {
    app.grants.first().map(|g| match &g.api {
        ApiRef::Management => client.management_audience(),
        ApiRef::Identifier(id) => id.clone(),
    })
}

/// Delivers one application's credentials to its sinks, printing a line per sink (unless
/// quiet, for successes); the outcomes for the closing summary.
pub fn deliver_app(
    client: &Client,
    app: &DesiredApp,
    client_id: &str,
    secret: &Secret,
    sinks: &[Sink],
    ctx: &Context,
) -> Vec<Outcome> {
    let domain = domain_value(client);
    let payload = Payload {
        app: &app.key,
        name: &app.name,
        client_id,
        client_secret: secret,
        domain: &domain,
        token_url: format!("{}/oauth/token", client.tenant().origin()),
        audience: first_audience(app, client),
    };
    let outcomes = deliver::deliver_all(&payload, sinks);
    for o in &outcomes {
        if o.result.is_err() || !ctx.quiet {
            eprintln!("{}", o.line());
        }
    }
    outcomes
}

/// After an apply: delivers the secret of every application it created that has sinks (also
/// when other changes failed, so a created secret never waits for a person to copy it).
pub async fn deliver_created(
    report: &Report,
    desired: &DesiredState,
    sinks: &Sinks,
    client: &Client,
    ctx: &Context,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for entry in &report.entries {
        let (Target::Client { key }, Applied::Created { id, .. }) = (&entry.target, &entry.outcome)
        else {
            continue;
        };
        let (Some(app), Some(app_sinks)) = (
            desired.applications.iter().find(|a| a.key == *key),
            sinks.get(key),
        ) else {
            continue;
        };
        match crate::token::remote::client_keys(client, key, id).await {
            Ok(keys) => outcomes.extend(deliver_app(
                client,
                app,
                id,
                &keys.client_secret,
                app_sinks,
                ctx,
            )),
            Err(e) => {
                for sink in app_sinks {
                    let o = Outcome {
                        app: key.to_string(),
                        sink: sink.describe(),
                        result: Err(DeliverError::Fetch {
                            reason: e.to_string(),
                        }),
                    };
                    eprintln!("{}", o.line());
                    outcomes.push(o);
                }
            }
        }
    }
    outcomes
}

/// Prints the failure summary, if any; whether every delivery succeeded.
pub fn finish(outcomes: &[Outcome]) -> bool {
    match deliver::failure_summary(outcomes) {
        Some(summary) => {
            eprint!("{summary}");
            false
        }
        None => true,
    }
}
