//! `validate` and `schema` through the real binary, the committed schema's freshness, and the
//! examples against both the JSON Schema (jsonschema crate) and the loader. No network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use m2mctl::config::{self, SCHEMA_PATH, Vars};
use m2mctl::model::{ApiRef, Domain};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn m2mctl(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_m2mctl"))
        .current_dir(root())
        .env_clear()
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run m2mctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .flat_map(|p| {
            // examples/*.yaml and examples/*/m2mctl.yaml (an example with its own local tenant)
            if p.is_dir() {
                vec![p.join("m2mctl.yaml")]
            } else {
                vec![p]
            }
        })
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn committed_schema_is_in_sync() {
    let committed = std::fs::read_to_string(root().join(SCHEMA_PATH)).unwrap_or_default();
    assert!(
        committed == config::schema_json(),
        "{SCHEMA_PATH} is stale; regenerate it with `cargo run -- schema > {SCHEMA_PATH}`"
    );
    let out = m2mctl(&["schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), committed);
}

#[test]
fn every_example_validates_against_the_schema_and_the_loader() {
    let schema: serde_json::Value = serde_json::from_str(&config::schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let files = examples();
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let raw = std::fs::read_to_string(&file).unwrap();
        assert!(
            raw.starts_with(&format!(
                "# yaml-language-server: $schema={}schemas/m2mctl.schema.json",
                "../".repeat(file.strip_prefix(root()).unwrap().components().count() - 1)
            )),
            "{file:?} lacks the $schema comment"
        );
        let doc: serde_json::Value = serde_saphyr::from_str(&raw).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file:?}: {errors:#?}");
        config::load(&file, &Vars::empty())
            .unwrap_or_else(|e| panic!("{file:?}: {}", config::render(&e, false, Some(80))));
    }
}

#[test]
fn schema_rejects_what_the_loader_rejects_by_shape() {
    let schema: serde_json::Value = serde_json::from_str(&config::schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let cases = [
        serde_json::json!({"version": 1, "aplications": []}),
        serde_json::json!({"version": 2}),
        serde_json::json!({"version": 1, "apis": [{"identifier": "x", "token_lifetime": 0}]}),
        serde_json::json!({"version": 1, "applications": [{"name": "a<b"}]}),
        serde_json::json!({"version": 1, "applications": [{"name": "a", "token_endpoint_auth_method": "none"}]}),
        serde_json::json!({"version": 1, "project": "a:b"}),
    ];
    for case in cases {
        assert!(!validator.is_valid(&case), "{case}");
    }
    let ok = serde_json::json!({"version": "${V:-1}", "settings": {"prune": "${PRUNE}"}});
    assert!(validator.is_valid(&ok));
}

#[test]
fn validate_prints_a_one_line_summary() {
    let out = m2mctl(&["validate", "-f", "examples/quickstart.yaml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "examples/quickstart.yaml is valid: 3 applications, 2 APIs, 4 grants\n"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn quickstart_resolves_to_the_expected_desired_state() {
    let loaded = config::load(&root().join("examples/quickstart.yaml"), &Vars::empty()).unwrap();
    let d = &loaded.desired;
    assert_eq!(d.project, "quickstart");
    assert_eq!(d.domain, Domain::Local);
    assert_eq!(d.management_token_lifetime, Some(86400));
    assert_eq!(d.apis[0].token_lifetime, Some(3600));
    assert_eq!(d.apis[1].name, "Invoices API");
    let platform = d.applications.iter().find(|a| a.key == "platform").unwrap();
    assert_eq!(platform.grants[0].api, ApiRef::Management);
    let scopes: Vec<&str> = platform.grants[0]
        .scopes
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        scopes,
        ["create:clients", "read:client_keys", "read:clients"]
    );
    let order_sync = d
        .applications
        .iter()
        .find(|a| a.name == "order-sync")
        .unwrap();
    assert_eq!(order_sync.key, "order-sync");
}

#[test]
fn multi_env_takes_values_from_env_and_var_flags() {
    let args = [
        "validate",
        "-f",
        "examples/multi-env/m2mctl.yaml",
        "--var",
        "ENV=prod",
        "--var",
        "TOKEN_TTL=900",
    ];
    let out = m2mctl(
        &args,
        &[("AUTH0_DOMAIN", "acme.eu.auth0.com"), ("ENV", "staging")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let file = root().join("examples/multi-env/m2mctl.yaml");
    let vars = Vars::from_map([
        ("ENV", "prod"),
        ("TOKEN_TTL", "900"),
        ("AUTH0_DOMAIN", "acme.eu.auth0.com"),
    ]);
    let d = config::load(&file, &vars).unwrap().desired;
    assert_eq!(d.project, "payments-prod");
    assert_eq!(d.domain, Domain::Remote("acme.eu.auth0.com".into()));
    assert_eq!(d.apis[0].token_lifetime, Some(900));
    assert_eq!(d.applications[0].name, "billing-worker (prod)");
    assert_eq!(
        d.applications[0].metadata["runbook"],
        "https://wiki.example.com/billing#${ENV}"
    );

    let dev = config::load(&file, &Vars::empty()).unwrap().desired;
    assert_eq!(dev.domain, Domain::Local);
    assert_eq!(dev.apis[0].identifier, "https://orders.dev.example.com/");
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = m2mctl(&["validate", "-f", "does-not-exist.yaml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot read config `does-not-exist.yaml`"),
        "{err}"
    );
    assert!(err.contains("help:") && err.contains("-f"), "{err}");
}

#[test]
fn default_file_is_m2mctl_yaml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/quickstart.yaml"),
        dir.path().join("m2mctl.yaml"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_m2mctl"))
        .current_dir(dir.path())
        .env_clear()
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("m2mctl.yaml is valid: 3 applications"));
}

#[test]
fn bad_var_flag_is_an_error() {
    let out = m2mctl(
        &[
            "validate",
            "-f",
            "examples/quickstart.yaml",
            "--var",
            "NOEQUALS",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("invalid `--var NOEQUALS`"), "{err}");
    assert!(err.contains("KEY=VALUE"), "{err}");
}
