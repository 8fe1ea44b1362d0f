//! `GET /__m2mctl/stats` and `POST /__m2mctl/stats/reset`: per-route response counters for tests
//! and benchmarks.
//!
//! Owns the counters and their JSON shape `{"total": N, "by_route": {"GET /api/v2/clients 200": 3}}`.
//! Keys are `METHOD /path/template STATUS`; a lost response counts with status `lost`. Must not
//! count its own endpoints (they sit outside the counting layer).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::app::AppState;
use super::error::{json_response, no_content};

/// Response counters by `METHOD /template STATUS`.
#[derive(Debug, Default)]
pub struct Stats {
    by_route: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    /// Counts one response.
    pub fn record(&self, route: &str, status: &str) {
        let key = format!("{route} {status}");
        let mut map = self.by_route.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(key).or_insert(0) += 1;
    }

    /// `{"total": N, "by_route": {...}}`.
    pub fn snapshot(&self) -> serde_json::Value {
        let map = self.by_route.lock().unwrap_or_else(|e| e.into_inner());
        let total: u64 = map.values().sum();
        json!({ "total": total, "by_route": *map })
    }

    /// Zeroes every counter.
    pub fn reset(&self) {
        self.by_route
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// `GET /__m2mctl/stats`.
pub async fn get(State(app): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &app.stats.snapshot())
}

/// `POST /__m2mctl/stats/reset` (204).
pub async fn reset(State(app): State<Arc<AppState>>) -> Response {
    app.stats.reset();
    no_content()
}
