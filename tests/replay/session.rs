//! Replaying one cassette against a fresh emulator: recorded ids and hosts mapped to the
//! emulator's as the answers come in, the SDK's own token requests sent with the emulator's
//! bootstrap credentials, and each answer compared with the recorded one by shape.

use std::collections::HashMap;

use m2mctl::emulator::{self, Emulator, EmulatorConfig};
use serde_json::Value;

use super::recording::{Cassette, Interaction, route};
use super::shape;

/// What one replayed request gave.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Index in the cassette.
    pub index: usize,
    /// `METHOD /route/template`.
    pub route: String,
    /// The emulator's status.
    pub status: u16,
    /// The emulator's body (`Null` when empty or not JSON).
    pub body: Value,
    /// Differences, as the allowlist spells them.
    pub diffs: Vec<String>,
}

/// A replay of one cassette.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// Replayed requests.
    pub outcomes: Vec<Outcome>,
    /// Requests not sent: they name an object the recording did not create (made by another
    /// test or the tenant's setup), so no emulator can answer them as Auth0 did.
    pub skipped: usize,
}

struct Session {
    emulator: Emulator,
    http: reqwest::Client,
    token: String,
    recorded_host: String,
    ids: HashMap<String, String>,
    secrets: HashMap<String, String>,
}

/// Replays `cassette` in order against a fresh in-memory emulator on 127.0.0.1:0.
pub(crate) async fn replay(cassette: &Cassette) -> Replay {
    let emulator = emulator::spawn(EmulatorConfig::local("127.0.0.1:0".parse().unwrap()))
        .await
        .expect("emulator starts");
    let http = reqwest::Client::new();
    let token = management_token(&http, &emulator).await;
    let recorded_host = cassette
        .interactions
        .first()
        .and_then(|i| i.url.host_str())
        .unwrap_or_default()
        .to_string();
    let mut s = Session {
        emulator,
        http,
        token,
        recorded_host,
        ids: HashMap::new(),
        secrets: HashMap::new(),
    };
    let mut replay = Replay::default();
    for (index, i) in cassette.interactions.iter().enumerate() {
        let Some(template) = route(i.url.path()) else {
            continue;
        };
        match s.send(i, &template).await {
            Some((status, body)) => {
                let diffs = s.compare(i, status, &body);
                s.learn(i, status, &body);
                replay.outcomes.push(Outcome {
                    index,
                    route: format!("{} {template}", i.method),
                    status,
                    body,
                    diffs,
                });
            }
            None => replay.skipped += 1,
        }
    }
    replay
}

/// A Management API token of the emulator's bootstrap client.
pub(super) async fn management_token(http: &reqwest::Client, e: &Emulator) -> String {
    let response = http
        .post(format!("{}/oauth/token", e.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", e.bootstrap_client_id()),
            ("client_secret", e.bootstrap_client_secret()),
            ("audience", &e.management_audience()),
        ])
        .send()
        .await
        .expect("token");
    let body: Value = response.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A body go-vcr's redaction hook replaced by `{"client_secret": "[REDACTED]", "signing_keys": …}`:
/// not what Auth0 sent, so there is no shape to compare or decode.
pub(crate) fn redaction_artifact(body: &Value) -> bool {
    body.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.keys()
                .all(|k| k == "client_secret" || k == "signing_keys")
    })
}

/// Looks like an Auth0 object id (client id, `cgr_…`, 24-hex API id, `cred_…`, `org_…`).
fn looks_like_id(s: &str) -> bool {
    let alnum = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    alnum && s.len() >= 16 && !s.contains("__")
}

impl Session {
    fn map(&self, text: &str) -> String {
        let mut out = text.replace(&self.recorded_host, self.emulator.domain());
        let mut ids: Vec<(&String, &String)> = self.ids.iter().collect();
        ids.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        for (from, to) in ids {
            out = out.replace(from.as_str(), to);
        }
        out
    }

    /// Sends the mapped request; `None` when it names an object this replay does not have.
    async fn send(&self, i: &Interaction, template: &str) -> Option<(u16, Value)> {
        let base = self.emulator.base_url();
        if template == "/oauth/token" {
            return Some(self.token(i).await);
        }
        let segments: Vec<&str> = i.url.path().split('/').collect();
        let tsegments: Vec<&str> = template.split('/').collect();
        for (seg, t) in segments.iter().zip(&tsegments) {
            if *t == "{id}" && !self.ids.contains_key(*seg) && (200..300).contains(&i.status) {
                return None;
            }
        }
        for (k, v) in i.url.query_pairs() {
            if k == "client_id" && !self.ids.contains_key(v.as_ref()) && looks_like_id(&v) {
                return None;
            }
        }
        let body: Option<Value> = serde_json::from_str(&i.body).ok();
        if let Some(Value::Object(map)) = &body {
            for key in ["client_id", "organization_id"] {
                if let Some(Value::String(id)) = map.get(key)
                    && !self.ids.contains_key(id)
                {
                    return None;
                }
            }
        }
        let url = self.map(&format!("{base}{}", &i.url[url::Position::BeforePath..]));
        let method = reqwest::Method::from_bytes(i.method.as_bytes()).expect("method");
        let mut request = self.http.request(method, url).bearer_auth(&self.token);
        if !i.body.trim().is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(self.map(&i.body));
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// `/oauth/token`: the recorded client if this replay created it (with its emulator secret),
    /// else the SDK's own credentials, i.e. the bootstrap app.
    async fn token(&self, i: &Interaction) -> (u16, Value) {
        let mut fields: Vec<(String, String)> = match serde_json::from_str::<Value>(&i.body) {
            Ok(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect(),
            _ => url::form_urlencoded::parse(i.body.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        };
        let recorded_id = fields
            .iter()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let (id, secret) = match self.ids.get(&recorded_id) {
            Some(id) => (
                id.clone(),
                self.secrets.get(id).cloned().unwrap_or_default(),
            ),
            None => (
                self.emulator.bootstrap_client_id().to_string(),
                self.emulator.bootstrap_client_secret().to_string(),
            ),
        };
        for (k, v) in &mut fields {
            match k.as_str() {
                "client_id" => *v = id.clone(),
                "client_secret" => *v = secret.clone(),
                _ => *v = self.map(v),
            }
        }
        let response = self
            .http
            .post(format!("{}/oauth/token", self.emulator.base_url()))
            .form(&fields)
            .send()
            .await
            .expect("token request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn compare(&self, i: &Interaction, status: u16, body: &Value) -> Vec<String> {
        if status != i.status {
            return vec![format!("status {} -> {status}", i.status)];
        }
        let Ok(recorded) = serde_json::from_str::<Value>(&i.response) else {
            return Vec::new();
        };
        if redaction_artifact(&recorded) {
            return Vec::new();
        }
        shape::compare(&recorded, body, i.raw)
            .into_iter()
            .map(|d| d.to_string())
            .collect()
    }

    /// Maps the ids of a created or read object, and keeps created clients' secrets.
    fn learn(&mut self, i: &Interaction, status: u16, body: &Value) {
        if !(200..300).contains(&status) || !(200..300).contains(&i.status) {
            return;
        }
        let Ok(Value::Object(recorded)) = serde_json::from_str::<Value>(&i.response) else {
            return;
        };
        for key in ["client_id", "id"] {
            if let (Some(Value::String(r)), Some(Value::String(e))) =
                (recorded.get(key), body.get(key))
                && r != e
                && looks_like_id(r)
            {
                self.ids.insert(r.clone(), e.clone());
            }
        }
        if let (Some(id), Some(secret)) = (
            body.get("client_id").and_then(Value::as_str),
            body.get("client_secret").and_then(Value::as_str),
        ) {
            self.secrets.insert(id.to_string(), secret.to_string());
        }
    }
}
