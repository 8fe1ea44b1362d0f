//! Decoding Auth0's answers on the routes m2mctl reads into the model, in every shape Auth0 sends
//! them: one object, a bare array, or a page (`{"clients": […], "total": …}` or the checkpoint
//! `{"client_grants": […], "next": …}`), and `/oauth/token` answers.
//!
//! Owns the shape rules only; the list reader (`read`) and the token exchange (`oauth`) do the
//! I/O. Errors never quote a body (a created client's answer holds its secret).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::oauth::TokenResponse;
use super::reply::redact_serde;
use crate::model::{RemoteApi, RemoteClient, RemoteGrant};

/// The routes whose answers decode into the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/api/v2/clients[/{id}]` → [`RemoteClient`].
    Clients,
    /// `/api/v2/client-grants[/{id}]` → [`RemoteGrant`].
    ClientGrants,
    /// `/api/v2/resource-servers[/{id}]` → [`RemoteApi`].
    ResourceServers,
}

impl Route {
    /// The key of the items in a page.
    pub fn key(self) -> &'static str {
        match self {
            Route::Clients => "clients",
            Route::ClientGrants => "client_grants",
            Route::ResourceServers => "resource_servers",
        }
    }
}

/// What a body decoded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Clients.
    Clients(Vec<RemoteClient>),
    /// Client grants.
    Grants(Vec<RemoteGrant>),
    /// Resource servers.
    Apis(Vec<RemoteApi>),
}

/// The items of a body on `route`: one object, a bare array, or a page holding `route.key()`.
pub fn items(route: Route, body: &[u8]) -> Result<Vec<Value>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| redact_serde(&e))?;
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut map) => match map.remove(route.key()) {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(format!("`{}` is not a list", route.key())),
            None if map.contains_key("total") || map.contains_key("next") => {
                Err(format!("a page without `{}`", route.key()))
            }
            None => Ok(vec![Value::Object(map)]),
        },
        _ => Err("neither an object nor a list".into()),
    }
}

/// Decodes a success body on `route` into the model.
pub fn decode(route: Route, body: &[u8]) -> Result<Decoded, String> {
    let items = items(route, body)?;
    Ok(match route {
        Route::Clients => Decoded::Clients(all(items)?),
        Route::ClientGrants => Decoded::Grants(all(items)?),
        Route::ResourceServers => Decoded::Apis(all(items)?),
    })
}

fn all<T: DeserializeOwned>(items: Vec<Value>) -> Result<Vec<T>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item).map_err(|e| format!("#{i}: {}", redact_serde(&e)))
        })
        .collect()
}

/// Decodes a `/oauth/token` success body.
pub fn token(body: &[u8]) -> Result<TokenResponse, String> {
    TokenResponse::from_json(body)
}
