//! Executes a [`Plan`] against a tenant: ordering, bounded concurrency, idempotent recovery,
//! progress, and the report of what was done.
//!
//! Owns running exactly the plan's changes, phase by phase ([`order`]); within a phase the changes
//! run concurrently and the tenant client's governor paces them. Creates recover from lost
//! responses ([`recover`]); a grant for an application created in the same run gets that
//! application's new id; a change whose prerequisite failed is skipped, everything else still
//! runs, and what succeeded stays applied, so a re-run (a new plan) finishes the rest.
//! Pre-flight ([`preflight`]) and saved-plan checks ([`saved`]) run before any write; the lease
//! ([`lease`]) keeps two applies of one project from writing at once, and [`verify`] checks
//! after each apply that no application was duplicated.
//! Every write sends the change's own body ([`Change::body`]) to the object its typed
//! [`Target`] names. Must not diff (the plan decides what to write), parse a change's address or
//! read its fields by wire name (ask the plan's typed API), prompt, or print to stdout.

mod error;
mod inline;
pub mod lease;
pub mod order;
pub mod preflight;
pub mod progress;
pub mod recover;
mod report;
pub mod saved;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Instant;

use futures::StreamExt;
use serde_json::Value;

pub use error::Error;
pub use progress::{Mode, Progress};
pub use report::{Counts, Entry, Outcome, Report};

use crate::auth0::field;
use crate::model::Marker;
use crate::plan::{Action, Change, ClientRef, Plan, Target};
use crate::tenant::{self, Client};
use recover::ClientIndex;

/// Changes of one phase started at once (the tenant client bounds requests in flight further).
const PARALLEL: usize = 64;

/// Runs every change of `plan` and reports each outcome; never stops at the first failure.
pub async fn execute(plan: &Plan, client: &Client, progress: &Progress) -> Report {
    execute_while(plan, client, progress, &|| true).await
}

/// [`execute`], starting each change only while `may_write()` holds (the apply lease is still
/// this run's); changes not started are skipped.
pub async fn execute_while(
    plan: &Plan,
    client: &Client,
    progress: &Progress,
    may_write: &(dyn Fn() -> bool + Sync),
) -> Report {
    let started = Instant::now();
    let run = Run {
        client,
        project: &plan.project,
        index: ClientIndex::default(),
        shared: Mutex::new(Shared::default()),
        inline: inline::inline_keys(plan),
    };
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.changes.len()];
    for (phase, members) in order::phases(plan) {
        tracing::debug!(?phase, changes = members.len(), "apply phase");
        let run = &run;
        let done: Vec<(usize, Outcome)> = futures::stream::iter(members)
            .map(|i| async move {
                let change = &plan.changes[i];
                let outcome = if may_write() {
                    run.change(change).await
                } else {
                    Outcome::Skipped("the apply lease was taken over by another run".into())
                };
                run.record(change, &outcome);
                progress.done(&entry(change, outcome.clone()));
                (i, outcome)
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (i, outcome) in done {
            outcomes[i] = Some(outcome);
        }
    }
    progress.finish();
    let entries = plan
        .changes
        .iter()
        .zip(outcomes)
        .map(|(c, o)| entry(c, o.unwrap_or(Outcome::Skipped("not reached".into()))))
        .collect();
    Report {
        entries,
        elapsed: started.elapsed(),
        metrics: client.metrics(),
    }
}

fn entry(change: &Change, outcome: Outcome) -> Entry {
    Entry {
        address: change.address.clone(),
        target: change.target.clone(),
        action: change.action,
        outcome,
    }
}

/// What later phases learn from earlier ones.
#[derive(Debug, Default)]
struct Shared {
    /// Application key → client id of clients created in this run.
    created: BTreeMap<String, String>,
    /// Keys of applications whose create failed.
    failed_apps: BTreeSet<String>,
    /// Identifiers of APIs whose create failed.
    failed_apis: BTreeSet<String>,
    /// Application key → (`kid` → credential id) of applications created with their keys inline.
    inline_ids: BTreeMap<String, BTreeMap<String, String>>,
}

/// One apply in progress.
struct Run<'a> {
    client: &'a Client,
    /// The plan's project: owner part of the ownership marker a created client carries.
    project: &'a str,
    index: ClientIndex,
    shared: Mutex<Shared>,
    /// Application key → the keys its create sends inline ([`inline`]).
    inline: BTreeMap<String, Vec<Value>>,
}

impl Run<'_> {
    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers created clients and failed creates for the phases after this one.
    fn record(&self, change: &Change, outcome: &Outcome) {
        if change.action != Action::Create {
            return;
        }
        let mut shared = self.shared();
        match (&change.target, outcome) {
            (Target::Client { key }, Outcome::Created { id, .. }) => {
                shared.created.insert(key.clone(), id.clone());
            }
            (Target::Client { key }, _) => {
                shared.failed_apps.insert(key.clone());
            }
            (Target::Api { .. }, Outcome::Created { .. }) => {}
            (Target::Api { identifier, .. }, _) => {
                shared.failed_apis.insert(identifier.clone());
            }
            (Target::Grant { .. } | Target::Credential { .. } | Target::SigningKeys { .. }, _) => {}
        }
    }

    /// Runs one change to its outcome: the change's body, sent to the object its target names.
    async fn change(&self, c: &Change) -> Outcome {
        let body = c.body().unwrap_or(Value::Null);
        let id = c.id.as_deref();
        let result = match (&c.target, c.action, id) {
            (Target::Api { identifier, .. }, Action::Create, _) => {
                created(recover::create_api(self.client, identifier, &body).await)
            }
            (Target::Api { .. }, Action::Update | Action::Adopt, Some(id)) => {
                done(self.client.update_api(id, &body).await, Outcome::Updated)
            }
            (Target::Api { .. }, Action::Delete, _) => {
                return Outcome::Failed("m2mctl never deletes APIs".into());
            }
            (Target::Client { key }, Action::Create, _) => {
                let marker = Marker {
                    project: self.project.to_string(),
                    key: key.clone(),
                }
                .encode();
                let mut body = body;
                let keys = self.inline.get(key);
                if let Some(keys) = keys {
                    inline::with_keys(&mut body, keys);
                }
                let result = recover::create_client(self.client, &self.index, &marker, &body).await;
                if let (Ok(made), Some(_)) = (&result, keys) {
                    let ids = made.credentials.clone();
                    self.shared().inline_ids.insert(key.clone(), ids);
                }
                created(result)
            }
            (Target::Client { .. }, Action::Update, Some(id)) => {
                done(self.client.update_client(id, &body).await, Outcome::Updated)
            }
            (Target::Client { .. }, Action::Adopt, Some(id)) => {
                done(self.client.update_client(id, &body).await, Outcome::Adopted)
            }
            (Target::Client { .. }, Action::Delete, Some(id)) => {
                done(self.client.delete_client(id).await, Outcome::Deleted)
            }
            (Target::Grant { .. }, Action::Create, _) => return self.create_grant(c).await,
            (Target::Grant { .. }, Action::Update | Action::Adopt, Some(id)) => {
                done(self.client.update_grant(id, &body).await, Outcome::Updated)
            }
            (Target::Grant { .. }, Action::Delete, Some(id)) => {
                done(self.client.delete_grant(id).await, Outcome::Deleted)
            }
            (Target::Credential { .. } | Target::SigningKeys { .. }, _, _) => {
                return self.key_change(c).await;
            }
            (_, _, None) => Err("the plan gives this change no tenant id".to_string()),
        };
        result.unwrap_or_else(Outcome::Failed)
    }

    /// The client id of `client_ref`: from the plan, or from this run's create of its application.
    fn client_id_of(&self, client_ref: &ClientRef) -> Result<String, Outcome> {
        if let Some(id) = &client_ref.client_id {
            return Ok(id.clone());
        }
        self.shared()
            .created
            .get(&client_ref.key)
            .cloned()
            .ok_or_else(|| {
                Outcome::Skipped(format!("application `{}` was not created", client_ref.key))
            })
    }

    /// A credential create, update or delete, or a client's list of signing credentials (the
    /// ids of the keys the plan names, looked up by thumbprint now that they exist).
    async fn key_change(&self, c: &Change) -> Outcome {
        let Some(client_ref) = c.target.key_client() else {
            return Outcome::Failed("not a key change".into());
        };
        let client_id = match self.client_id_of(client_ref) {
            Ok(id) => id,
            Err(skipped) => return skipped,
        };
        if client_ref.client_id.is_none() && self.inline.contains_key(&client_ref.key) {
            // Sent with the client's create: done there, or the key was not registered.
            let wanted: Vec<String> = c
                .field(field::PRIVATE_KEY_JWT)
                .and_then(|f| f.after.as_ref())
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|k| k.get(field::KID)?.as_str().map(str::to_string))
                .collect();
            let shared = self.shared();
            let ids = shared.inline_ids.get(&client_ref.key);
            match inline::outcome(&c.target, ids, &wanted) {
                Some(Ok(Some(id))) => {
                    return Outcome::Created {
                        id,
                        recovered: false,
                    };
                }
                Some(Ok(None)) => return Outcome::Updated,
                Some(Err(e)) => return Outcome::Failed(e),
                None => {}
            }
        }
        let body = c.body().unwrap_or(Value::Null);
        let result = match (&c.target, c.action, c.id.as_deref()) {
            (Target::Credential { .. }, Action::Create, _) => {
                let mut body = body;
                // The thumbprint is shown in the plan; Auth0 derives the `kid` itself.
                if let Some(obj) = body.as_object_mut() {
                    obj.remove(field::KID);
                }
                self.client
                    .create_credential(&client_id, &body)
                    .await
                    .map(|cred| Outcome::Created {
                        id: cred.id,
                        recovered: false,
                    })
                    .map_err(|e| e.to_string())
            }
            (Target::Credential { .. }, Action::Delete, Some(id)) => done(
                self.client.delete_credential(&client_id, id).await,
                Outcome::Deleted,
            ),
            (Target::Credential { .. }, _, Some(id)) => done(
                self.client.update_credential(&client_id, id, &body).await,
                Outcome::Updated,
            ),
            (Target::SigningKeys { .. }, _, _) => match self.signing_keys_body(c, &client_id).await
            {
                Ok(body) => done(
                    self.client.update_client(&client_id, &body).await,
                    Outcome::Updated,
                ),
                Err(e) => Err(e),
            },
            _ => Err("the plan gives this change no tenant id".to_string()),
        };
        result.unwrap_or_else(Outcome::Failed)
    }

    /// `{"client_authentication_methods": {"private_key_jwt": {"credentials": [{"id"}…]}},
    /// "token_endpoint_auth_method": null}` for the keys the change lists (by thumbprint).
    async fn signing_keys_body(&self, c: &Change, client_id: &str) -> Result<Value, String> {
        let registered = self
            .client
            .list_credentials(client_id)
            .await
            .map_err(|e| e.to_string())?;
        let wanted = c
            .field(field::PRIVATE_KEY_JWT)
            .and_then(|f| f.after.as_ref())
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut ids = Vec::with_capacity(wanted.len());
        for key in &wanted {
            let kid = key
                .get(field::KID)
                .and_then(Value::as_str)
                .unwrap_or_default();
            let name = key
                .get(field::NAME)
                .and_then(Value::as_str)
                .unwrap_or_default();
            match registered.iter().find(|r| r.kid == kid) {
                Some(r) => ids.push(serde_json::json!({ "id": r.id })),
                None => {
                    return Err(format!(
                        "key `{name}` ({kid}) is not registered (its create failed); the client keeps its current keys"
                    ));
                }
            }
        }
        // The two are exclusive: a client signing with keys has no secret method.
        Ok(serde_json::json!({
            "client_authentication_methods": { "private_key_jwt": { "credentials": ids } },
            (field::TOKEN_ENDPOINT_AUTH_METHOD): Value::Null,
        }))
    }

    /// A grant create: the client id from the plan or from this run's create of its application.
    async fn create_grant(&self, c: &Change) -> Outcome {
        let Target::Grant {
            client: client_ref,
            audience,
            ..
        } = &c.target
        else {
            return Outcome::Failed("not a grant".into());
        };
        let client_id = {
            let shared = self.shared();
            if shared.failed_apis.contains(audience) {
                return Outcome::Skipped(format!("API `{audience}` was not created"));
            }
            match &client_ref.client_id {
                Some(id) => id.clone(),
                None => match shared.created.get(&client_ref.key) {
                    Some(id) => id.clone(),
                    None => {
                        return Outcome::Skipped(format!(
                            "application `{}` was not created",
                            client_ref.key
                        ));
                    }
                },
            }
        };
        let body = c.body_for_client(&client_id).unwrap_or(Value::Null);
        created(recover::create_grant(self.client, &client_id, audience, &body).await)
            .unwrap_or_else(Outcome::Failed)
    }
}

fn created(result: tenant::Result<recover::Created>) -> Result<Outcome, String> {
    result
        .map(|c| Outcome::Created {
            id: c.id,
            recovered: c.recovered,
        })
        .map_err(|e| e.to_string())
}

fn done<T>(result: tenant::Result<T>, outcome: Outcome) -> Result<Outcome, String> {
    result.map(|_| outcome).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
