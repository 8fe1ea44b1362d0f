//! The pure core of `m2mctl api`: what the user asked for (method, path or URL, body), Auth0's
//! pagination ([`pages`]) and what a 403 means for the config ([`forbidden`]).
//!
//! No I/O: the command reads files and sends requests
//! ([`Passthrough`](crate::tenant::Passthrough)); this module only decides.

pub mod forbidden;
pub mod pages;

use serde_json::Value;

/// Why the request cannot be made as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The method is not one the APIs use.
    #[error("unknown HTTP method `{0}`")]
    #[diagnostic(
        code(api::method),
        help(
            "use GET, POST, PUT, PATCH or DELETE, e.g. `m2mctl api POST /api/v2/clients -d @client.json`"
        )
    )]
    Method(String),
    /// `-d` is not JSON.
    #[error("the request body is not JSON: {0}")]
    #[diagnostic(
        code(api::body),
        help(
            "pass a JSON document with `-d '{{\"name\":\"x\"}}'`, or a file with `-d @body.json` (`-d @-` reads stdin)"
        )
    )]
    Body(String),
    /// A declared API needs a full URL.
    #[error("`{0}` is not a full URL")]
    #[diagnostic(
        code(api::url),
        help(
            "with `--api IDENTIFIER`, give the full URL of the API's endpoint, e.g. `https://orders.example.com/orders`"
        )
    )]
    NotUrl(String),
}

/// Parses `[METHOD] PATH` (method defaults to GET, or POST with a body).
pub fn method_and_path(words: &[String], has_body: bool) -> Result<(String, String), Error> {
    let default = if has_body { "POST" } else { "GET" };
    match words {
        [path] => Ok((default.to_string(), path.clone())),
        [method, path] => {
            let upper = method.to_ascii_uppercase();
            if crate::endpoints::METHODS.contains(&upper.as_str()) {
                Ok((upper, path.clone()))
            } else {
                Err(Error::Method(method.clone()))
            }
        }
        _ => Err(Error::Method(words.join(" "))),
    }
}

/// The JSON of `-d` (already read from its file when it was `@FILE`).
pub fn body(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::Body(e.to_string()))
}

/// A Management API path with its query: `clients?page=1` → `/api/v2/clients?page=1`; a full URL
/// keeps its path and query.
pub fn management_path(input: &str) -> String {
    let before_query = input.split('?').next().unwrap_or_default();
    let without_origin = match before_query.find("://") {
        Some(i) => {
            let rest = &input[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => input,
    };
    let (path, query) = match without_origin.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (without_origin, None),
    };
    let path = crate::endpoints::normalise_path(path);
    match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    }
}

/// `https://host[:port]` and `/path?query` of a full URL.
pub fn split_url(input: &str) -> Result<(String, String), Error> {
    let url = url::Url::parse(input).map_err(|_| Error::NotUrl(input.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::NotUrl(input.to_string()));
    }
    let origin = url.origin().ascii_serialization();
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok((origin, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn method_defaults_to_get_or_post_with_a_body() {
        let cases: [(&[&str], bool, (&str, &str)); 4] = [
            (&["/api/v2/clients"], false, ("GET", "/api/v2/clients")),
            (&["/api/v2/clients"], true, ("POST", "/api/v2/clients")),
            (&["patch", "clients/x"], true, ("PATCH", "clients/x")),
            (&["DELETE", "clients/x"], false, ("DELETE", "clients/x")),
        ];
        for (w, body, (m, p)) in cases {
            let (method, path) = method_and_path(&words(w), body).unwrap();
            assert_eq!((method.as_str(), path.as_str()), (m, p), "{w:?}");
        }
        assert_eq!(
            method_and_path(&words(&["FETCH", "x"]), false),
            Err(Error::Method("FETCH".into()))
        );
    }

    #[test]
    fn management_paths_gain_the_prefix_and_keep_the_query() {
        let cases = [
            ("clients", "/api/v2/clients"),
            (
                "/api/v2/clients?fields=name&page=2",
                "/api/v2/clients?fields=name&page=2",
            ),
            (
                "https://t.eu.auth0.com/api/v2/roles?x=1",
                "/api/v2/roles?x=1",
            ),
            ("/api/v2/clients/", "/api/v2/clients"),
            (
                "client-grants?audience=https://o.example.com/&take=2",
                "/api/v2/client-grants?audience=https://o.example.com/&take=2",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(management_path(input), want, "{input}");
        }
    }

    #[test]
    fn urls_split_into_origin_and_path() {
        assert_eq!(
            split_url("https://orders.example.com:8443/orders?x=1").unwrap(),
            (
                "https://orders.example.com:8443".into(),
                "/orders?x=1".into()
            )
        );
        assert!(split_url("/orders").is_err());
        assert!(split_url("ftp://x/y").is_err());
    }
}
