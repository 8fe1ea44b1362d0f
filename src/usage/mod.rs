//! Usage: per managed application and per granted API, tokens issued, the last token and
//! failures, from the tenant's token-exchange log entries (`seccft`, `feccft`); applications and
//! grants without a token in the window are flagged, and [`edit`] removes the unused grants from
//! the config text for review.
//!
//! Pure: desired state, tenant state and log entries in, the report out (rendering in
//! [`render`]). Must not read the clock: callers pass the window's start.

pub mod edit;
pub mod render;

use serde::{Deserialize, Serialize};

use crate::model::{ApiRef, DesiredState, RemoteState};
use crate::tenant::logs::LogEntry;

/// The `q` that finds token exchanges.
pub const TOKEN_QUERY: &str = "type:(seccft OR feccft)";

/// Log retention of Auth0's plans (days), as Auth0 documents it.
pub const RETENTION: &[(&str, u32)] = &[
    ("Free", 1),
    ("Essentials", 5),
    ("Professional", 10),
    ("Enterprise", 30),
];

/// One grant's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantUsage {
    /// `management` or the API identifier, as in the config.
    pub api: String,
    /// The audience tokens are asked for.
    pub audience: String,
    /// Tokens issued in the window.
    pub tokens: usize,
    /// Date of the newest one.
    pub last_token: Option<String>,
    /// No token in the window.
    pub unused: bool,
}

/// One application's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    /// The config key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its client id (`None` when not yet created).
    pub client_id: Option<String>,
    /// Tokens issued in the window, all APIs.
    pub tokens: usize,
    /// Failed exchanges in the window.
    pub failures: usize,
    /// Date of the newest token.
    pub last_token: Option<String>,
    /// No token in the window.
    pub unused: bool,
    /// Per grant.
    pub grants: Vec<GrantUsage>,
}

/// The usage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The window in days.
    pub days: u32,
    /// Its start (ISO 8601).
    pub since: String,
    /// Per managed application, in config order.
    pub applications: Vec<AppUsage>,
    /// The oldest entry read (how far back the tenant's logs reach).
    pub oldest_entry: Option<String>,
    /// More entries matched than could be read.
    pub truncated: bool,
}

impl Report {
    /// Applications and grants without a token in the window.
    pub fn unused_count(&self) -> usize {
        self.applications
            .iter()
            .map(|a| usize::from(a.unused) + a.grants.iter().filter(|g| g.unused).count())
            .sum()
    }
}

/// Builds the report. `entries` are `seccft`/`feccft` entries; those before `since` are ignored.
pub fn report(
    desired: &DesiredState,
    remote: &RemoteState,
    management_audience: &str,
    entries: &[LogEntry],
    since: &str,
    days: u32,
) -> Report {
    let in_window: Vec<&LogEntry> = entries
        .iter()
        .filter(|e| e.date.as_str() >= since)
        .collect();
    let applications = desired
        .applications
        .iter()
        .map(|app| {
            let client_id = remote
                .client_of(&desired.project, app)
                .map(|c| c.client_id.clone())
                .or_else(|| app.client_id.clone());
            let mine = |e: &&&LogEntry| client_id.is_some() && e.client_id == client_id;
            let ok: Vec<&&LogEntry> = in_window
                .iter()
                .filter(mine)
                .filter(|e| e.kind == crate::auth0::LOG_TOKEN_EXCHANGE_OK)
                .collect();
            let failures = in_window
                .iter()
                .filter(mine)
                .filter(|e| e.kind == crate::auth0::LOG_TOKEN_EXCHANGE_FAILED)
                .count();
            let newest = |list: &[&&LogEntry]| list.iter().map(|e| e.date.clone()).max();
            let grants = app
                .grants
                .iter()
                .map(|g| {
                    let (api, audience) = match &g.api {
                        ApiRef::Management => (
                            crate::plan::MANAGEMENT_ADDRESS.to_string(),
                            management_audience.to_string(),
                        ),
                        ApiRef::Identifier(id) => (id.clone(), id.clone()),
                    };
                    let hits: Vec<&&LogEntry> = ok
                        .iter()
                        .filter(|e| e.audience.as_deref() == Some(audience.as_str()))
                        .copied()
                        .collect();
                    GrantUsage {
                        api,
                        audience,
                        tokens: hits.len(),
                        last_token: newest(&hits),
                        unused: hits.is_empty(),
                    }
                })
                .collect();
            AppUsage {
                key: app.key.clone(),
                name: app.name.clone(),
                client_id,
                tokens: ok.len(),
                failures,
                last_token: newest(&ok),
                unused: ok.is_empty(),
                grants,
            }
        })
        .collect();
    Report {
        days,
        since: since.to_string(),
        applications,
        oldest_entry: entries.iter().map(|e| e.date.clone()).min(),
        truncated: false,
    }
}

#[cfg(test)]
mod tests;
