//! The `Secret` wrapper for client secrets and access tokens.
//!
//! Owns the one rule about secrets in memory: they never print by accident. `Debug` is redacted,
//! there is no `Display`, and [`Secret::expose`] marks each place a secret deliberately leaves the
//! wrapper (an `Authorization` header, a form body, the `token` command's output). Must not log,
//! persist or compare secrets in non-constant contexts beyond plain equality for tests.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A client secret or an access token. `Debug` prints `Secret(<redacted>)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The raw value: call only where the secret must leave the process (header, body, output).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// True when the value can go into an HTTP header as is (visible ASCII, no spaces or controls).
    pub fn is_header_safe(&self) -> bool {
        !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_graphic())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_expose_returns_the_value() {
        let s = Secret::new("hunter2-very-secret");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn header_safety_rejects_blank_spaces_and_controls() {
        let cases = [
            ("eyJhbGciOi.abc.def", true),
            ("", false),
            ("has space", false),
            ("line\nbreak", false),
            ("tab\t", false),
            ("ünïcode", false),
        ];
        for (value, want) in cases {
            assert_eq!(Secret::new(value).is_header_safe(), want, "{value:?}");
        }
        assert!(Secret::new("  ").is_blank());
    }

    #[test]
    fn deserializes_from_a_json_string() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
    }
}
