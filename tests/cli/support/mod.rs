//! Test harness shared by the integration tests: an emulator spawned in-process on 127.0.0.1:0
//! (optionally TLS, rate limited, faulty, or persisted), HTTP helpers, the real `m2mctl` binary
//! runner, and insta filters for ports and temp paths.
//!
//! Typical use:
//! ```ignore
//! let t = support::Tenant::start().await;
//! let run = t.m2mctl(&["plan"]).await;           // AUTH0_* point at the emulator
//! assert_eq!(run.code, 0, "{}", run.stderr);
//! t.settings().bind(|| insta::assert_snapshot!(run.stdout));
//! assert_eq!(t.stats().await["by_route"]["GET /api/v2/clients 200"], 1);
//! ```
#![allow(dead_code)]

pub(crate) mod seed;

use std::path::{Path, PathBuf};

use m2mctl::emulator::{self, Emulator, EmulatorConfig, FaultSpec, RateLimit, TlsMode};
use serde_json::Value;

/// How to start a test tenant.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Serve HTTPS with a self-signed certificate (written to `<dir>/ca.pem`).
    pub tls: bool,
    /// Persist to this state file.
    pub state: Option<PathBuf>,
    /// `(rps, burst)`.
    pub rate_limit: Option<(f64, u32)>,
    /// `(spec, seed)`, e.g. `("429:0.2", 7)`.
    pub faults: Option<(String, u64)>,
    /// Fixed bootstrap credentials.
    pub bootstrap: Option<(String, String)>,
    /// `--secret-propagation`.
    pub secret_propagation: Option<std::time::Duration>,
}

/// A running emulator plus a temp working directory.
pub(crate) struct Tenant {
    emulator: Option<Emulator>,
    dir: tempfile::TempDir,
    ca: Option<PathBuf>,
}

/// The outcome of running the binary.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Stdout, lossily decoded.
    pub stdout: String,
    /// Stderr, lossily decoded.
    pub stderr: String,
}

impl Tenant {
    /// In memory, plain HTTP, no limits.
    pub(crate) async fn start() -> Tenant {
        Tenant::with(Options::default()).await
    }

    /// With options.
    pub(crate) async fn with(options: Options) -> Tenant {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = options.tls.then(|| dir.path().join("ca.pem"));
        let mut config = EmulatorConfig::local("127.0.0.1:0".parse().expect("addr"));
        config.state = options.state;
        config.bootstrap = options.bootstrap;
        config.secret_propagation = options.secret_propagation;
        if let Some(path) = &ca {
            config.tls = TlsMode::SelfSigned {
                cert_out: Some(path.clone()),
            };
        }
        config.rate_limit = options
            .rate_limit
            .map(|(rps, burst)| RateLimit::new(rps, burst).expect("rate limit"));
        if let Some((spec, seed)) = options.faults {
            config.faults = Some(FaultSpec::parse(&spec).expect("fault spec"));
            config.seed = seed;
        }
        let emulator = emulator::spawn(config).await.expect("emulator starts");
        Tenant {
            emulator: Some(emulator),
            dir,
            ca,
        }
    }

    /// The emulator.
    pub(crate) fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().expect("running")
    }
    /// `http://127.0.0.1:PORT` or `https://…`.
    pub(crate) fn base_url(&self) -> String {
        self.emulator().base_url().to_string()
    }
    /// `127.0.0.1:PORT`.
    pub(crate) fn domain(&self) -> String {
        self.emulator().domain().to_string()
    }
    /// The value to put in `AUTH0_DOMAIN` (base url in HTTP mode, bare domain with TLS).
    pub(crate) fn auth0_domain(&self) -> String {
        match self.ca {
            Some(_) => self.domain(),
            None => self.base_url(),
        }
    }
    /// `https://127.0.0.1:PORT/api/v2/`.
    pub(crate) fn management_audience(&self) -> String {
        self.emulator().management_audience()
    }
    /// Bootstrap app client id.
    pub(crate) fn client_id(&self) -> String {
        self.emulator().bootstrap_client_id().to_string()
    }
    /// Bootstrap app client secret.
    pub(crate) fn client_secret(&self) -> String {
        self.emulator().bootstrap_client_secret().to_string()
    }
    /// The certificate clients must trust (TLS mode).
    pub(crate) fn ca_cert_path(&self) -> Option<&Path> {
        self.ca.as_deref()
    }
    /// The temp working directory the binary runs in.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A reqwest client that trusts only the emulator's certificate in TLS mode.
    pub(crate) fn http(&self) -> reqwest::Client {
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = self.emulator().cert_pem() {
            let cert = reqwest::Certificate::from_pem(pem.as_bytes()).expect("cert");
            builder = builder.tls_certs_only([cert]);
        }
        builder.build().expect("client")
    }

    /// A client-credentials token for `audience` from the bootstrap app (management API by default).
    pub(crate) async fn token_for(
        &self,
        client_id: &str,
        secret: &str,
        audience: &str,
    ) -> reqwest::Response {
        self.http()
            .post(format!("{}/oauth/token", self.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("audience", audience),
            ])
            .send()
            .await
            .expect("token request")
    }

    /// A Management API token of the bootstrap app (all scopes).
    pub(crate) async fn management_token(&self) -> String {
        let response = self
            .token_for(
                &self.client_id(),
                &self.client_secret(),
                &self.management_audience(),
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_string()
    }

    /// `GET /__m2mctl/stats`.
    pub(crate) async fn stats(&self) -> Value {
        self.http()
            .get(format!("{}/__m2mctl/stats", self.base_url()))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    }

    /// The count of one `METHOD /template STATUS` key (0 when absent).
    pub(crate) async fn count(&self, key: &str) -> u64 {
        self.stats().await["by_route"][key].as_u64().unwrap_or(0)
    }

    /// `POST /__m2mctl/stats/reset`.
    pub(crate) async fn reset_stats(&self) {
        let r = self
            .http()
            .post(format!("{}/__m2mctl/stats/reset", self.base_url()))
            .send()
            .await
            .expect("reset");
        assert_eq!(r.status(), 204);
    }

    /// Runs the real binary in the temp dir with AUTH0_DOMAIN/CLIENT_ID/CLIENT_SECRET of the
    /// bootstrap app, NO_COLOR=1, and M2MCTL_CA_CERT in TLS mode.
    pub(crate) async fn m2mctl(&self, args: &[&str]) -> Run {
        self.m2mctl_with(args, &[]).await
    }

    /// [`Tenant::m2mctl`] with extra environment variables (set last, so they override).
    pub(crate) async fn m2mctl_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut envs = vec![
            ("AUTH0_DOMAIN".to_string(), self.auth0_domain()),
            ("AUTH0_CLIENT_ID".to_string(), self.client_id()),
            ("AUTH0_CLIENT_SECRET".to_string(), self.client_secret()),
        ];
        if let Some(ca) = &self.ca {
            envs.push(("M2MCTL_CA_CERT".into(), ca.display().to_string()));
        }
        envs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        run_binary(self.dir(), args, &envs).await
    }

    /// insta filters: this tenant's port and temp dir.
    pub(crate) fn filters(&self) -> Vec<(String, String)> {
        let port = self
            .domain()
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let mut filters = vec![(
            regex_escape(&self.dir().display().to_string()),
            "[TEMP]".to_string(),
        )];
        filters.push((format!("127\\.0\\.0\\.1:{port}"), "127.0.0.1:[PORT]".into()));
        filters.push((r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]".into()));
        filters
    }

    /// insta settings with [`Tenant::filters`] applied.
    pub(crate) fn settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in self.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings
    }

    /// [`Tenant::settings`] plus [`VOLATILE`]: for outputs that show ids, times or secrets.
    pub(crate) fn volatile_settings(&self) -> insta::Settings {
        let mut settings = self.settings();
        for (pattern, replacement) in VOLATILE {
            settings.add_filter(pattern, *replacement);
        }
        settings
    }

    /// Graceful shutdown (state flushed).
    pub(crate) async fn shutdown(mut self) {
        if let Some(e) = self.emulator.take() {
            e.shutdown().await.expect("clean shutdown");
        }
    }
}

/// What changes from run to run besides ports and temp dirs, as `(regex, replacement)` applied in
/// order: tokens, secrets, client ids, `cgr_`/`cred_` ids, API ids, timestamps and durations.
/// Counts, names and scopes are left alone. (The doc-sample runner uses the same list.)
pub(crate) const VOLATILE: &[(&str, &str)] = &[
    // a JWT, or its start as the docs abbreviate it (`eyJ…`)
    (r"eyJ[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){0,2}…?", "[TOKEN]"),
    // the last characters of a token in `token --format table`
    (r"…[A-Za-z0-9_-]{8}\b", "…[TOKEN]"),
    (r"\b[0-9a-f]{64}\b", "[SHA256]"),
    // client secrets (they may begin with `-`)
    (
        r"(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{64}([^A-Za-z0-9_-]|$)",
        "${1}[SECRET]${2}",
    ),
    (r"\b[A-Za-z0-9]{32}\b", "[CLIENT_ID]"),
    (r"\bcgr_[A-Za-z0-9]+", "cgr_[ID]"),
    (r"\bcred_[A-Za-z0-9]+", "cred_[ID]"),
    (r"\b[0-9a-f]{24}\b", "[API_ID]"),
    (
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
        "[TIMESTAMP]",
    ),
    (r"\b\d+[dhms]( \d+[dhms])*\b", "[DURATION]"),
    (r"\b\d+(\.\d+)? ?(ms|s)\b", "[DURATION]"),
];

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// Runs the binary with NO_COLOR=1, AUTH0_* cleared, then `envs`, in `dir`.
pub(crate) async fn run_binary(dir: &Path, args: &[&str], envs: &[(String, String)]) -> Run {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let envs = envs.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_m2mctl"));
        cmd.args(&args).current_dir(&dir).env("NO_COLOR", "1");
        for key in [
            "AUTH0_DOMAIN",
            "AUTH0_ACCESS_TOKEN",
            "AUTH0_CLIENT_ID",
            "AUTH0_CLIENT_SECRET",
            "AUTH0_CLIENT_SIGNING_KEY_PATH",
            "AUTH0_CLIENT_SIGNING_ALGORITHM",
            "M2MCTL_CA_CERT",
        ] {
            cmd.env_remove(key);
        }
        cmd.env("M2MCTL_CACHE_DIR", dir.join(".cache"));
        for (k, v) in &envs {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run m2mctl");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("runner thread")
}
