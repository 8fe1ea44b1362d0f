//! `--secret-propagation`: after a secret rotation, the new secret is refused for a while, as
//! Auth0 may take up to 30 s to accept it (the old one stops working at once).
//!
//! Owns the per-client "accepted from" instants; they live in memory only (a restarted emulator
//! accepts every secret at once). Must not touch the tenant's data.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// When rotated secrets start working.
#[derive(Debug, Default)]
pub struct Propagation {
    delay: OnceLock<Duration>,
    pending: Mutex<HashMap<String, Instant>>,
}

impl Propagation {
    /// Sets the delay (once, at start; none means new secrets work at once).
    pub fn set_delay(&self, delay: Duration) {
        let _ = self.delay.set(delay);
    }

    /// Records that `client_id`'s secret was just rotated.
    pub fn rotated(&self, client_id: &str) {
        if let Some(delay) = self.delay.get().filter(|d| !d.is_zero()) {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.insert(client_id.to_string(), Instant::now() + *delay);
        }
    }

    /// True while `client_id`'s new secret is not accepted yet.
    pub fn is_pending(&self, client_id: &str) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get(client_id) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                pending.remove(client_id);
                false
            }
            None => false,
        }
    }
}

/// Parses `30s`, `1500ms`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30s`, `1500ms` or `2m`"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("unknown unit in `{text}`: use ms, s or m")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn a_rotated_secret_is_pending_for_the_delay_only() {
        let p = Propagation::default();
        p.rotated("a");
        assert!(!p.is_pending("a"), "no delay configured");
        p.set_delay(Duration::from_secs(3600));
        p.rotated("a");
        assert!(p.is_pending("a"));
        assert!(!p.is_pending("b"));
        let zero = Propagation::default();
        zero.set_delay(Duration::ZERO);
        zero.rotated("a");
        assert!(!zero.is_pending("a"));
    }
}
