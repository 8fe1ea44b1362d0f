//! Policy end to end: every rule makes `apply` refuse with a diagnostic at the offending line
//! (nothing written), `--allow-policy-violations` lets it through, `validate` and `plan` report
//! the same, a `--policy` file works like `policy:`, and tenant objects outside the file are
//! warnings that do not block (clients signing with keys read as such, user-access grants never
//! counted as a client's access); `required_authentication: private_key_jwt` is met by an
//! application signing with a key. The real binary against an emulator on 127.0.0.1:0.

use serde_json::json;

use crate::apply_kit::*;
use crate::support::Tenant;

/// A compliant config (without a policy); line numbers below refer to it.
const BASE: &str = "version: 1
project: pol
tenant:
  domain: ${AUTH0_DOMAIN}
apis:
  - identifier: https://orders.example.com/
    token_lifetime: 3600
    scopes:
      - value: read:orders
      - value: delete:orders
applications:
  - name: deployer
    metadata:
      owner: platform
    grants:
      - api: management
        scopes:
          - read:clients
          - create:clients
  - name: reporting-eu
    token_endpoint_auth_method: client_secret_basic
    grants:
      - api: https://orders.example.com/
        scopes:
          - read:orders
          - delete:orders
";

fn with_policy(policy: &str) -> String {
    format!("{BASE}policy:\n{policy}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_blocks_apply_with_a_diagnostic_at_its_line() {
    let t = Tenant::start().await;
    let cases = [
        (
            "  forbidden_scopes: [\"delete:*\"]\n",
            "policy::forbidden_scopes",
            "m2mctl.yaml:26:13",
        ),
        (
            "  max_token_lifetime: 1800\n",
            "policy::max_token_lifetime",
            "m2mctl.yaml:7:21",
        ),
        (
            "  management_scopes:\n    deployer: [\"read:*\"]\n",
            "policy::management_scopes",
            "m2mctl.yaml:19:13",
        ),
        (
            "  required_authentication: client_secret_basic\n",
            "policy::required_authentication",
            "m2mctl.yaml:12:11",
        ),
        (
            "  max_management_writers: 0\n",
            "policy::max_management_writers",
            "m2mctl.yaml:19:13",
        ),
        (
            "  required_metadata: [owner]\n",
            "policy::required_metadata",
            "m2mctl.yaml:20:11",
        ),
    ];
    for (policy, code, at) in cases {
        write_config(&t, &with_policy(policy));
        t.reset_stats().await;
        let run = t.m2mctl(&["apply", "--auto-approve"]).await;
        assert_eq!(run.code, 1, "{policy}\n{}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(code), "{policy}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("[{at}]")),
            "{policy}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("apply refused"), "{}", run.stderr);
        assert!(
            run.stdout
                .starts_with("Policy: this plan violates the policy"),
            "{}",
            run.stdout
        );
        assert!(
            writes(&t).await.is_empty(),
            "{policy}: wrote {:?}",
            writes(&t).await
        );

        let validate = t.m2mctl(&["validate"]).await;
        assert_eq!(validate.code, 1, "{}", validate.stderr);
        assert!(
            validate.stderr.contains(&format!("[{at}]")),
            "{}",
            validate.stderr
        );
    }

    let plan = t.m2mctl(&["plan", "--format", "markdown"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .starts_with("### m2mctl plan\n\n> [!CAUTION]\n> **Policy:**"),
        "{}",
        plan.stdout
    );

    let allowed = t
        .m2mctl(&["apply", "--auto-approve", "--allow-policy-violations"])
        .await;
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(!writes(&t).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_file_serves_as_policy_and_saved_plans_carry_violations() {
    let t = Tenant::start().await;
    write_config(&t, BASE);
    std::fs::write(t.dir().join("org.yaml"), "required_metadata: [owner]\n").unwrap();
    let ok = t.m2mctl(&["validate"]).await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let bad = t.m2mctl(&["validate", "--policy", "org.yaml"]).await;
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("[m2mctl.yaml:20:11]"), "{}", bad.stderr);
    assert!(bad.stderr.contains("org.yaml:1:21"), "{}", bad.stderr);

    let saved = t
        .m2mctl(&["plan", "--policy", "org.yaml", "--out", "p.json"])
        .await;
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    t.reset_stats().await;
    let run = t.m2mctl(&["apply", "p.json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error m2mctl.yaml:20:11 application.reporting-eu"),
        "{}",
        run.stderr
    );
    assert!(writes(&t).await.is_empty());

    std::fs::write(t.dir().join("broken.yaml"), "required_metdata: [owner]\n").unwrap();
    let broken = t.m2mctl(&["plan", "--policy", "broken.yaml"]).await;
    assert_eq!(broken.code, 1, "{}", broken.stderr);
    assert!(
        broken.stderr.contains("broken.yaml:1:1"),
        "{}",
        broken.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_clients_outside_the_file_are_warnings_that_do_not_block() {
    let t = Tenant::start().await;
    let legacy = seed_client(
        &t,
        json!({"name": "legacy-sync", "app_type": "non_interactive", "grant_types": ["client_credentials"]}),
    )
    .await;
    let (status, text) = call(
        &t,
        "POST",
        "/api/v2/client-grants",
        Some(json!({"client_id": legacy, "audience": t.management_audience(), "scope": ["delete:users"]})),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    write_config(&t, &with_policy("  forbidden_scopes: [delete:users]\n"));
    let plan = t.m2mctl(&["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.starts_with("Policy warnings"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(&format!("warning client.{legacy}: client `legacy-sync`")),
        "{}",
        plan.stdout
    );
    let run = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The example policies parse, fit the `policy` part of the JSON Schema, and find in the
/// quickstart exactly what a reviewer would expect them to.
#[test]
fn example_policies_are_valid_and_find_what_they_should_in_the_quickstart() {
    use m2mctl::config::{self, Vars};
    use m2mctl::policy::{self, PolicySet};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(&config::schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let quickstart = config::load(&root.join("examples/quickstart.yaml"), &Vars::empty()).unwrap();
    let cases: [(&str, &[(&str, usize)]); 3] = [
        (
            "baseline",
            &[
                ("required_metadata", 30),
                ("required_metadata", 40),
                ("required_metadata", 46),
            ],
        ),
        (
            "management-lockdown",
            &[
                ("management_scopes", 52),
                ("management_scopes", 52),
                ("management_scopes", 52),
            ],
        ),
        (
            "production",
            &[
                ("max_token_lifetime", 22),
                ("required_authentication", 30),
                ("required_metadata", 30),
                ("required_metadata", 30),
                ("required_metadata", 40),
                ("required_metadata", 40),
                ("required_authentication", 46),
                ("required_metadata", 46),
                ("required_metadata", 46),
                ("max_token_lifetime", 49),
                ("management_scopes", 52),
                ("management_scopes", 52),
                ("management_scopes", 52),
            ],
        ),
    ];
    let mut seen = 0;
    for entry in std::fs::read_dir(root.join("examples/policies")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_saphyr::from_str(&raw).unwrap();
        let wrapped = json!({"version": 1, "policy": doc});
        let errors: Vec<String> = validator
            .iter_errors(&wrapped)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let source = policy::load_file(&path)
            .unwrap_or_else(|e| panic!("{name}: {}", config::render(&e, false, Some(80))));
        let got: Vec<(String, usize)> =
            policy::check_config(&quickstart, &PolicySet::of(&quickstart, Some(&source)))
                .into_iter()
                .map(|v| {
                    let rule = v.rule.code().trim_start_matches("policy::").to_string();
                    (rule, v.at.map_or(0, |a| a.line))
                })
                .collect();
        let (_, want) = cases
            .iter()
            .find(|(n, _)| *n == name)
            .expect("a case per example");
        let want: Vec<(String, usize)> = want.iter().map(|(r, l)| (r.to_string(), *l)).collect();
        assert_eq!(got, want, "{name}");
        seen += 1;
    }
    assert_eq!(seen, cases.len());
}

/// One application signing with the key `keygen signer --name k` writes.
const SIGNER: &str = "version: 1
project: pol
tenant:
  domain: ${AUTH0_DOMAIN}
applications:
  - name: signer
    authentication:
      method: private_key_jwt
      keys:
        - name: k
          public_key: keys/signer-k.pub.pem
";

/// `required_authentication: private_key_jwt`: an application signing with a key (`keygen`'s
/// pair) satisfies it end to end; a secret one is refused at its line, told to sign with a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_apps_satisfy_required_authentication() {
    let t = Tenant::start().await;
    let keygen = t.m2mctl(&["keygen", "signer", "--name", "k"]).await;
    assert_eq!(keygen.code, 0, "{}", keygen.stderr);
    let signer = SIGNER;
    let policy = "policy:\n  required_authentication: private_key_jwt\n";
    write_config(&t, &format!("{signer}  - name: mailer\n{policy}"));
    let refused = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("[m2mctl.yaml:12:11]")
            && refused.stderr.contains("policy::required_authentication")
            && refused.stderr.contains("1 policy violation"),
        "{}",
        refused.stderr
    );
    let help = refused
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("`authentication: { method: private_key_jwt, keys: [...] }`")
            && help.contains("`m2mctl keygen mailer`")
            && !help.contains("cannot yet"),
        "{}",
        refused.stderr
    );
    assert!(writes(&t).await.is_empty());

    write_config(&t, &format!("{signer}{policy}"));
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let clients = clients(&t).await;
    let made = marked(&clients, "pol");
    assert_eq!(made.len(), 1, "{made:?}");
    let client = clients
        .iter()
        .find(|c| c["client_id"] == made[0].1.as_str())
        .expect("the signer");
    assert!(
        client["client_authentication_methods"]["private_key_jwt"].is_object(),
        "{client}"
    );
}

/// Tenant clients outside the file, as Auth0 shows them: one signing with a key
/// (`client_authentication_methods.private_key_jwt`, no `token_endpoint_auth_method`) meets
/// `required_authentication: private_key_jwt`; a user-access grant (`subject_type: user`) is no
/// access of the client's own, so its scopes break no rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_warnings_read_key_signing_clients_and_skip_user_grants() {
    let t = Tenant::start().await;
    let keygen = t.m2mctl(&["keygen", "signer", "--name", "k"]).await;
    assert_eq!(keygen.code, 0, "{}", keygen.stderr);
    let pem = std::fs::read_to_string(t.dir().join("keys/signer-k.pub.pem")).unwrap();
    let m2m = |name: &str| json!({"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"]});
    let keyed = seed_client(&t, m2m("legacy-keyed")).await;
    let body = json!({"credential_type": "public_key", "name": "k", "pem": pem});
    let path = format!("/api/v2/clients/{keyed}/credentials");
    let (status, text) = call(&t, "POST", &path, Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let cred: serde_json::Value = serde_json::from_str(&text).unwrap();
    let methods = json!({"token_endpoint_auth_method": null,
        "client_authentication_methods": {"private_key_jwt": {"credentials": [{"id": cred["id"]}]}}});
    let path = format!("/api/v2/clients/{keyed}");
    let (status, text) = call(&t, "PATCH", &path, Some(methods)).await;
    assert_eq!(status, 200, "{text}");
    let secret = seed_client(&t, m2m("legacy-secret")).await;
    let grant = json!({"client_id": secret, "audience": t.management_audience(),
        "scope": ["delete:users"], "subject_type": "user"});
    let (status, text) = call(&t, "POST", "/api/v2/client-grants", Some(grant)).await;
    assert_eq!(status, 201, "{text}");

    let policy = "policy:\n  required_authentication: private_key_jwt\n  forbidden_scopes: [\"delete:*\"]\n  max_management_writers: 0\n";
    write_config(&t, &format!("{SIGNER}{policy}"));
    let plan = t.m2mctl(&["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // (the harness's own Management API client is warned about too: not ours to check here)
    let about = |id: &str| -> Vec<&str> {
        let address = format!("warning client.{id}:");
        plan.stdout
            .lines()
            .filter(|l| l.contains(&address))
            .collect()
    };
    assert_eq!(about(&keyed), Vec::<&str>::new(), "{}", plan.stdout);
    let warned = about(&secret);
    assert_eq!(warned.len(), 1, "{}", plan.stdout);
    assert!(
        warned[0].contains("authenticates with `client_secret_post`")
            && warned[0].contains("policy::required_authentication"),
        "{}",
        plan.stdout
    );
}
