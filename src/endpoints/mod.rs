//! Management API endpoints and the scopes each one needs, from Auth0's OpenAPI spec.
//!
//! Owns the generated [`ENDPOINTS`] table (`table.rs`, written by `scripts/gen-endpoints.py` from
//! the in-repository extract `management-api.json`), parsing what users write (`GET
//! /api/v2/users`, `PATCH /api/v2/users/{id}`, or a concrete path such as
//! `/api/v2/clients/abc123`), matching it to the one operation it names, and "did you mean"
//! suggestions. An operation accepts any one of its scopes; the first is its canonical scope.
//! Pure data and lookups: no I/O.

pub mod deployer;
mod table;
#[cfg(test)]
mod table_tests;

use miette::Diagnostic;

pub use table::ENDPOINTS;

/// One Management API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The path template from the spec, with `/api/v2`: `/api/v2/users/{id}`.
    pub path: &'static str,
    /// The spec's summary, e.g. `Get clients`.
    pub summary: &'static str,
    /// The scopes that allow it (any one suffices), canonical first.
    pub scopes: &'static [&'static str],
}

impl Endpoint {
    /// The scope m2mctl grants for this endpoint: the first the spec lists.
    pub fn canonical_scope(&self) -> &'static str {
        self.scopes.first().copied().unwrap_or_default()
    }

    /// `GET /api/v2/clients`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// True when `scope` allows this endpoint.
    pub fn accepts(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }
}

/// HTTP methods the Management API uses.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Why an endpoint was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum Error {
    /// Not `METHOD /path`.
    #[error("`{input}` is not an endpoint")]
    #[diagnostic(
        code(endpoints::syntax),
        help(
            "write the method and the path, e.g. `GET /api/v2/clients` or `PATCH /api/v2/users/{{id}}`"
        )
    )]
    Syntax {
        /// What was written.
        input: String,
    },
    /// No operation of the spec matches.
    #[error("`{input}` is not a Management API endpoint")]
    #[diagnostic(code(endpoints::unknown), help("{help}"))]
    Unknown {
        /// What was written.
        input: String,
        /// "did you mean" or where to look.
        help: String,
    },
}

/// A method and a path as the user wrote them, normalised: upper-case method, `/api/v2` prefix,
/// no query, no trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Upper-case method.
    pub method: String,
    /// `/api/v2/...`.
    pub path: String,
}

impl Request {
    /// Parses `GET /api/v2/users` (also `get /users`, `GET api/v2/users?page=1`).
    pub fn parse(input: &str) -> Result<Request, Error> {
        let syntax = || Error::Syntax {
            input: input.to_string(),
        };
        let mut words = input.split_whitespace();
        let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
            return Err(syntax());
        };
        let method = method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(syntax());
        }
        Ok(Request {
            method,
            path: normalise_path(path),
        })
    }
}

/// `/api/v2/...` without query or trailing slash; `users` and `/users` gain the `/api/v2` prefix,
/// and a full URL keeps only its path.
pub fn normalise_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = match path.find("://") {
        Some(i) => {
            let rest = &path[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => path,
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_prefix('/').unwrap_or(path);
    if path == "api/v2" || path.starts_with("api/v2/") {
        format!("/{path}")
    } else {
        format!("/api/v2/{path}")
    }
}

fn is_param(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// How well `template` matches `path`: `None` when it does not, else one flag per segment
/// (true = literal), so that literal matches win over parameters from left to right.
fn score(template: &str, path: &str) -> Option<Vec<bool>> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    t.iter()
        .zip(&p)
        .map(|(t, p)| match (is_param(t), is_param(p)) {
            (true, _) => (!p.is_empty()).then_some(false),
            (false, true) => None,
            (false, false) => (t == p).then_some(true),
        })
        .collect()
}

/// The operation `method path` names: a template (`/users/{id}`, parameter names free) or a
/// concrete path (`/users/auth0|123`); literal segments win over parameters.
pub fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
    let path = normalise_path(path);
    ENDPOINTS
        .iter()
        .filter(|e| e.method.eq_ignore_ascii_case(method))
        .filter_map(|e| score(e.path, &path).map(|s| (s, e)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, e)| e)
}

/// Looks up what a user wrote (`GET /api/v2/users`); an unknown endpoint is an error with the
/// methods its path allows or the closest endpoint.
pub fn lookup(input: &str) -> Result<&'static Endpoint, Error> {
    let request = Request::parse(input)?;
    if let Some(endpoint) = find(&request.method, &request.path) {
        return Ok(endpoint);
    }
    Err(Error::Unknown {
        input: input.trim().to_string(),
        help: unknown_help(&request),
    })
}

/// "did you mean": the methods of the same path, else the closest `METHOD path` of the spec.
fn unknown_help(request: &Request) -> String {
    let methods: Vec<&str> = ENDPOINTS
        .iter()
        .filter(|e| score(e.path, &request.path).is_some())
        .map(|e| e.method)
        .collect();
    if !methods.is_empty() {
        return format!(
            "`{}` allows {}; did you mean `{} {}`?",
            request.path,
            methods.join(", "),
            methods[0],
            request.path
        );
    }
    let wanted = format!("{} {}", request.method, shape(&request.path));
    let closest = ENDPOINTS
        .iter()
        .map(|e| {
            let label = format!("{} {}", e.method, shape(e.path));
            (strsim::levenshtein(&wanted, &label), e)
        })
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(b.1.path)));
    match closest {
        Some((distance, e)) if distance <= (wanted.len() / 3).max(3) => {
            format!("did you mean `{}` ({})?", e.label(), e.summary)
        }
        _ => "see the Management API reference (https://auth0.com/docs/api/management/v2) or run `m2mctl scopes --list`".to_string(),
    }
}

/// A path with every parameter written `{}`, for distances that ignore parameter names.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if is_param(s) { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_method_and_path() {
        let cases = [
            ("GET /api/v2/clients", "GET", "/api/v2/clients"),
            ("get /clients", "GET", "/api/v2/clients"),
            (
                "  PATCH   api/v2/users/{id}/ ",
                "PATCH",
                "/api/v2/users/{id}",
            ),
            ("GET /api/v2/clients?page=1", "GET", "/api/v2/clients"),
            (
                "GET /api/v2/client-grants?audience=https://o.example.com/",
                "GET",
                "/api/v2/client-grants",
            ),
            (
                "GET https://x.eu.auth0.com/api/v2/clients",
                "GET",
                "/api/v2/clients",
            ),
        ];
        for (input, method, path) in cases {
            let r = Request::parse(input).unwrap();
            assert_eq!(
                (r.method.as_str(), r.path.as_str()),
                (method, path),
                "{input}"
            );
        }
        for bad in [
            "",
            "GET",
            "/api/v2/clients",
            "FETCH /api/v2/clients",
            "GET a b",
        ] {
            assert!(
                matches!(Request::parse(bad), Err(Error::Syntax { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn concrete_paths_and_other_parameter_names_match_the_template() {
        let cases = [
            ("GET", "/api/v2/clients/abc123", "/api/v2/clients/{id}"),
            ("PATCH", "/api/v2/users/{user_id}", "/api/v2/users/{id}"),
            ("PATCH", "/api/v2/users/auth0|42", "/api/v2/users/{id}"),
            ("GET", "/api/v2/users/x/roles", "/api/v2/users/{id}/roles"),
            ("GET", "/api/v2/client-grants", "/api/v2/client-grants"),
        ];
        for (method, path, want) in cases {
            let e = find(method, path).unwrap_or_else(|| panic!("{method} {path}"));
            assert_eq!(e.path, want, "{method} {path}");
        }
        assert_eq!(find("GET", "/api/v2/users/{id}/nothing-here"), None);
        assert_eq!(find("GET", "/api/v2/clients/{id}/extra/{x}"), None);
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        // `/jobs/users-exports` is literal; `/jobs/{id}` would also match `users-exports`.
        let e = find("POST", "/api/v2/jobs/users-exports").unwrap();
        assert_eq!(e.path, "/api/v2/jobs/users-exports");
        let e = find("GET", "/api/v2/jobs/job_123").unwrap();
        assert_eq!(e.path, "/api/v2/jobs/{id}");
    }

    #[test]
    fn unknown_endpoints_say_what_to_write_instead() {
        let err = lookup("PUT /api/v2/clients").unwrap_err();
        let Error::Unknown { help, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(help.contains("allows GET, POST"), "{help}");
        let Error::Unknown { help, .. } = lookup("GET /api/v2/client").unwrap_err() else {
            panic!()
        };
        assert!(
            help.contains("did you mean `GET /api/v2/clients`"),
            "{help}"
        );
        let Error::Unknown { help, .. } = lookup("GET /api/v2/userz/{id}").unwrap_err() else {
            panic!()
        };
        assert!(help.contains("`GET /api/v2/users/{id}`"), "{help}");
        let Error::Unknown { help, .. } = lookup("GET /api/v2/zzzzzzzzzzzzzzzzzzzz").unwrap_err()
        else {
            panic!()
        };
        assert!(help.contains("m2mctl scopes --list"), "{help}");
    }
}
