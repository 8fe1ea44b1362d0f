//! The recorded interactions in `tests/fixtures/auth0/`: go-vcr v2 cassettes (go-auth0,
//! terraform-provider-auth0) and Ruby VCR cassettes (ruby-auth0), read into one shape.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One recorded request and Auth0's answer.
#[derive(Debug, Clone)]
pub(crate) struct Interaction {
    /// `GET`, `POST`, …
    pub method: String,
    /// The recorded URL (`https://tenant.auth0.com/api/v2/clients?…`).
    pub url: url::Url,
    /// Request body (empty when none).
    pub body: String,
    /// Response status.
    pub status: u16,
    /// Response body.
    pub response: String,
    /// Whether the response body is Auth0's raw bytes (Ruby cassettes; go-vcr grant and API
    /// bodies) rather than re-serialised by an SDK struct (go-vcr client bodies).
    pub raw: bool,
}

/// A cassette: its path under the fixtures and its interactions in order.
#[derive(Debug)]
pub(crate) struct Cassette {
    /// `go-auth0/TestClient_Create.yaml`.
    pub name: String,
    /// In recorded order.
    pub interactions: Vec<Interaction>,
}

#[derive(Deserialize)]
struct GoVcr {
    interactions: Vec<GoInteraction>,
}
#[derive(Deserialize)]
struct GoInteraction {
    request: GoRequest,
    response: GoResponse,
}
#[derive(Deserialize)]
struct GoRequest {
    #[serde(default)]
    body: String,
    url: String,
    method: String,
}
#[derive(Deserialize)]
struct GoResponse {
    #[serde(default)]
    body: String,
    code: u16,
}

#[derive(Deserialize)]
struct RubyVcr {
    http_interactions: Vec<RubyInteraction>,
}
#[derive(Deserialize)]
struct RubyInteraction {
    request: RubyRequest,
    response: RubyResponse,
}
#[derive(Deserialize)]
struct RubyRequest {
    method: String,
    uri: String,
    #[serde(default)]
    body: RubyBody,
}
#[derive(Deserialize, Default)]
struct RubyBody {
    #[serde(default)]
    string: String,
}
#[derive(Deserialize)]
struct RubyResponse {
    status: RubyStatus,
    #[serde(default)]
    body: RubyBody,
}
#[derive(Deserialize)]
struct RubyStatus {
    code: u16,
}

/// The fixtures folder.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth0")
}

fn yaml<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).expect("read cassette");
    let options = serde_saphyr::options! { budget: None };
    serde_saphyr::from_str_with_options(&text, options)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether a go-vcr response on this path keeps Auth0's raw bytes (client bodies are
/// re-serialised by the SDK's structs; grant and resource-server bodies are not).
fn go_raw(path: &str) -> bool {
    !path.starts_with("/api/v2/clients")
}

/// Every cassette of the three sources, sorted by name.
pub(crate) fn load_all() -> Vec<Cassette> {
    let root = root();
    let mut files = Vec::new();
    for source in ["go-auth0", "terraform-provider-auth0", "ruby-auth0"] {
        collect(&root.join(source), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .expect("under root")
                .display()
                .to_string();
            let interactions = if name.starts_with("ruby-auth0/") {
                let vcr: RubyVcr = yaml(&path);
                vcr.http_interactions
                    .into_iter()
                    .map(|i| Interaction {
                        method: i.request.method.to_uppercase(),
                        url: url::Url::parse(&i.request.uri).expect("url"),
                        body: i.request.body.string,
                        status: i.response.status.code,
                        response: i.response.body.string,
                        raw: true,
                    })
                    .collect()
            } else {
                let vcr: GoVcr = yaml(&path);
                vcr.interactions
                    .into_iter()
                    .map(|i| {
                        let url = url::Url::parse(&i.request.url).expect("url");
                        Interaction {
                            method: i.request.method.to_uppercase(),
                            raw: go_raw(url.path()),
                            url,
                            body: i.request.body,
                            status: i.response.code,
                            response: i.response.body,
                        }
                    })
                    .collect()
            };
            Cassette { name, interactions }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// The route template of a path on the replayed routes, or `None` for other routes.
pub(crate) fn route(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/api/v2/")
        .map(|r| r.trim_end_matches('/'));
    if path == "/oauth/token" {
        return Some(path.to_string());
    }
    let rest = rest?;
    let mut parts = rest.split('/');
    let collection = parts.next()?;
    let modelled = match collection {
        "clients" | "client-grants" | "resource-servers" => true,
        // Organizations as far as Machine-to-Machine access uses them: the organizations
        // themselves and their client-grant associations (members, connections, invitations
        // are not modelled, so not replayed).
        "organizations" => {
            let sub: Vec<&str> = rest.split('/').skip(2).collect();
            matches!(sub.first(), None | Some(&"client-grants"))
        }
        _ => false,
    };
    if !modelled {
        return None;
    }
    let mut template = format!("/api/v2/{collection}");
    for (i, part) in parts.enumerate() {
        let literal = i % 2 == 1 || matches!(part, "cimd");
        template.push('/');
        template.push_str(if literal { part } else { "{id}" });
    }
    Some(template)
}
