//! Tenant logs: the entries Auth0 writes for Management API writes (`sapi`) and client-credentials
//! exchanges (`seccft`, failures `feccft`), recorded by one middleware around the routes.
//!
//! Owns the log store (in memory, newest last, capped like a retention window), the entry shapes
//! (as in Auth0's recordings and OpenAPI `Log`: `date`, `type`, `description`, `client_id`,
//! `client_name`, `ip`, `user_agent`, `details`, `log_id`, `isMobile`, and `audience`/`scope` for
//! exchanges) and stripping secrets from logged bodies. Must not change what a request does: the
//! middleware only observes; serving the logs is `logs_api`.

use std::sync::Mutex;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

use super::app::AppState;
use super::jwt;

/// Most entries kept (oldest dropped first), standing in for the plan's retention window.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest request or response body the recorder buffers (bigger ones pass unlogged).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Keys whose values never reach a log entry (at any depth).
const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "signing_keys",
    "encryption_key",
    "password",
];

/// The log store.
#[derive(Debug, Default)]
pub struct Logs {
    inner: Mutex<Store>,
}

#[derive(Debug, Default)]
struct Store {
    /// Oldest first.
    entries: Vec<Map<String, Value>>,
    /// Entries ever written (the sequence part of `log_id`).
    seq: u64,
}

impl Logs {
    /// Appends an entry, giving it `date` and `log_id` (increasing with time and order).
    pub fn push(&self, mut entry: Map<String, Value>) {
        let mut store = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        store.seq += 1;
        let now = time::OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let log_id = format!("90020{stamp}{:020}", store.seq);
        entry.insert("date".into(), Value::String(iso_date(now)));
        entry.insert("log_id".into(), Value::String(log_id.clone()));
        entry.insert("_id".into(), Value::String(log_id));
        entry.insert("isMobile".into(), Value::Bool(false));
        store.entries.push(entry);
        if store.entries.len() > MAX_ENTRIES {
            let excess = store.entries.len() - MAX_ENTRIES;
            store.entries.drain(..excess);
        }
    }

    /// A copy of every entry, oldest first.
    pub fn snapshot(&self) -> Vec<Map<String, Value>> {
        let store = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        store.entries.clone()
    }
}

/// `2021-09-03T20:16:31.489Z`.
fn iso_date(now: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// Removes secret-bearing keys at any depth.
pub fn strip_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !SECRET_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(strip_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_secrets),
        _ => {}
    }
}

/// The middleware: runs the request, then records a `sapi` entry for a successful Management
/// API write or a `seccft`/`feccft` entry for a token request.
pub async fn record(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let write = path.starts_with("/api/v2/")
        && matches!(
            method,
            Method::POST | Method::PATCH | Method::PUT | Method::DELETE
        );
    let exchange = path == "/oauth/token" && method == Method::POST;
    if !write && !exchange {
        return next.run(request).await;
    }
    let query = request.uri().query().unwrap_or_default().to_string();
    let headers = request.headers().clone();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(answer) = to_bytes(body, MAX_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let status = parts.status.as_u16();
    let entry = if exchange {
        Some(exchange_entry(&app, &headers, &bytes, status, &answer))
    } else if parts.status.is_success() {
        let call = Call {
            method: &method,
            path: &path,
            query: &query,
            headers: &headers,
        };
        Some(write_entry(&app, &call, &bytes, status, &answer))
    } else {
        None
    };
    if let Some(entry) = entry {
        app.logs.push(entry);
    }
    Response::from_parts(parts, Body::from(answer))
}

/// What the recorder knows about a write request.
struct Call<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
}

fn json_body(bytes: &[u8]) -> Value {
    let mut value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    strip_secrets(&mut value);
    value
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn client_name(app: &AppState, client_id: &str) -> String {
    app.read()
        .clients
        .get(client_id)
        .and_then(|c| c.str("name"))
        .unwrap_or_default()
        .to_string()
}

/// `Create a Client`, `Update a Client Grant`, ….
fn describe(method: &Method, path: &str) -> String {
    let rest = path.trim_start_matches("/api/v2/");
    let mut segments = rest.split('/');
    let noun = match segments.next().unwrap_or_default() {
        "clients" => "Client",
        "client-grants" => "Client Grant",
        "resource-servers" => "Resource Server",
        other => other,
    };
    if segments.nth(1) == Some("rotate-secret") {
        return format!("Rotate a {noun} Secret");
    }
    let verb = match *method {
        Method::POST => "Create",
        Method::DELETE => "Delete",
        _ => "Update",
    };
    format!("{verb} a {noun}")
}

fn write_entry(
    app: &AppState,
    call: &Call<'_>,
    body: &[u8],
    status: u16,
    answer: &[u8],
) -> Map<String, Value> {
    let token = call
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_string())
        .unwrap_or_default();
    let claims = app
        .signer()
        .verify(&token, &app.issuer, &app.audience, jwt::now())
        .ok();
    let client_id = claims.as_ref().map(|c| c.azp.clone()).unwrap_or_default();
    let scopes: Vec<String> = claims
        .as_ref()
        .and_then(|c| c.scope.clone())
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let query: Map<String, Value> = serde_urlencoded::from_str::<Vec<(String, String)>>(call.query)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let details = json!({
        "request": {
            "method": call.method.as_str().to_ascii_lowercase(),
            "path": call.path,
            "query": query,
            "userAgent": user_agent(call.headers),
            "body": json_body(body),
            "channel": "api",
            "ip": "127.0.0.1",
            "auth": {"user": {}, "strategy": "jwt", "credentials": {"scopes": scopes}},
        },
        "response": {"statusCode": status, "body": if answer.is_empty() { json!({}) } else { json_body(answer) }},
    });
    let mut entry = Map::new();
    entry.insert("type".into(), "sapi".into());
    entry.insert(
        "description".into(),
        describe(call.method, call.path).into(),
    );
    entry.insert("client_name".into(), client_name(app, &client_id).into());
    entry.insert("client_id".into(), client_id.into());
    entry.insert("ip".into(), "127.0.0.1".into());
    entry.insert("user_agent".into(), user_agent(call.headers).into());
    entry.insert("details".into(), details);
    entry
}

fn exchange_entry(
    app: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    status: u16,
    answer: &[u8],
) -> Map<String, Value> {
    let params = super::oauth::parse(headers, body).unwrap_or_default();
    let client_id = super::client_auth::basic_credentials(headers)
        .map(|(id, _)| id)
        .or_else(|| params.get("client_id").map(str::to_string))
        .unwrap_or_default();
    let audience = params
        .get("audience")
        .or_else(|| params.get("resource"))
        .unwrap_or_default()
        .to_string();
    let reply: Value = serde_json::from_slice(answer).unwrap_or(Value::Null);
    let ok = (200..300).contains(&status);
    let mut entry = Map::new();
    entry.insert("type".into(), if ok { "seccft" } else { "feccft" }.into());
    let description = if ok {
        "Client Credentials for Access Token".to_string()
    } else {
        reply["error_description"]
            .as_str()
            .unwrap_or("Unauthorized")
            .to_string()
    };
    entry.insert("description".into(), description.into());
    entry.insert("connection_id".into(), "".into());
    entry.insert("client_name".into(), client_name(app, &client_id).into());
    entry.insert("client_id".into(), client_id.into());
    entry.insert("ip".into(), "127.0.0.1".into());
    entry.insert("user_agent".into(), user_agent(headers).into());
    entry.insert(
        "hostname".into(),
        app.issuer
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .into(),
    );
    entry.insert("user_id".into(), "".into());
    entry.insert("user_name".into(), "".into());
    entry.insert("audience".into(), audience.into());
    if let Some(scope) = reply["scope"].as_str() {
        entry.insert("scope".into(), scope.into());
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_an_entry() {
        let mut v = json!({"name": "a", "client_secret": "s3cr3t", "nested": [{"client_secret": "x", "keep": 1}],
            "encryption_key": {"pub": "k"}});
        strip_secrets(&mut v);
        assert_eq!(v, json!({"name": "a", "nested": [{"keep": 1}]}));
    }

    #[test]
    fn descriptions_name_the_operation() {
        let cases = [
            (Method::POST, "/api/v2/clients", "Create a Client"),
            (Method::PATCH, "/api/v2/clients/abc", "Update a Client"),
            (
                Method::DELETE,
                "/api/v2/client-grants/cgr_1",
                "Delete a Client Grant",
            ),
            (
                Method::POST,
                "/api/v2/clients/abc/rotate-secret",
                "Rotate a Client Secret",
            ),
            (
                Method::PATCH,
                "/api/v2/resource-servers/x",
                "Update a Resource Server",
            ),
        ];
        for (method, path, want) in cases {
            assert_eq!(describe(&method, path), want, "{path}");
        }
    }

    #[test]
    fn log_ids_increase_and_the_store_is_capped_by_order() {
        let logs = Logs::default();
        for i in 0..3 {
            let mut e = Map::new();
            e.insert("n".into(), i.into());
            logs.push(e);
        }
        let all = logs.snapshot();
        let ids: Vec<&str> = all.iter().map(|e| e["log_id"].as_str().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(all[0]["date"].as_str().unwrap().ends_with('Z'));
    }
}
