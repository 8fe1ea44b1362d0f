//! Emulator persistence: state survives a restart, a new port re-homes the Management API,
//! corrupt or foreign files are refused and left untouched.

use serde_json::{Value, json};

use crate::support::{Options, Tenant};

async fn create_client(t: &Tenant, token: &str, name: &str) -> Value {
    let r = t
        .http()
        .post(format!("{}/api/v2/clients", t.base_url()))
        .bearer_auth(token)
        .json(&json!({"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"]}))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_restart_and_rehomes_on_a_new_port() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("tenant.json");
    let opts = || Options {
        state: Some(path.clone()),
        ..Options::default()
    };
    let first = Tenant::with(opts()).await;
    let (id, secret) = (first.client_id(), first.client_secret());
    let token = first.management_token().await;
    let created = create_client(&first, &token, "kept").await;
    let kid_before = jsonwebtoken::decode_header(&token).expect("header").kid;
    let old_domain = first.domain();
    first.shutdown().await;

    let raw: Value = serde_json::from_slice(&std::fs::read(&path).expect("file")).expect("json");
    assert_eq!(raw["format"], "m2mctl-emulator-state");
    assert_eq!(raw["version"], 1);

    let second = Tenant::with(opts()).await;
    assert_ne!(second.domain(), old_domain, "port 0 picks another port");
    assert_eq!((second.client_id(), second.client_secret()), (id, secret));
    let token = second.management_token().await;
    assert_eq!(
        jsonwebtoken::decode_header(&token).expect("header").kid,
        kid_before
    );
    let r = second
        .http()
        .get(format!(
            "{}/api/v2/clients/{}",
            second.base_url(),
            created["client_id"].as_str().expect("id")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let encoded = percent_encoding::utf8_percent_encode(
        &second.management_audience(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let r = second
        .http()
        .get(format!(
            "{}/api/v2/resource-servers/{encoded}",
            second.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get api");
    assert_eq!(r.status(), 200);
    let api: Value = r.json().await.expect("json");
    assert_eq!(api["identifier"], second.management_audience());
    assert_eq!(api["is_system"], true);
    second.shutdown().await;
    let raw: Value = serde_json::from_slice(&std::fs::read(&path).expect("file")).expect("json");
    assert_eq!(raw["domain"], second_domain_of(&raw));
}

fn second_domain_of(raw: &Value) -> Value {
    // the saved domain is the one the system API identifier uses
    let id = raw["resource_servers"][0]["identifier"]
        .as_str()
        .unwrap_or_default();
    Value::String(
        id.trim_start_matches("https://")
            .trim_end_matches("/api/v2/")
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_write_is_on_disk_without_shutdown() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("tenant.json");
    let t = Tenant::with(Options {
        state: Some(path.clone()),
        ..Options::default()
    })
    .await;
    let token = t.management_token().await;
    let mut handles = Vec::new();
    for i in 0..20 {
        let (http, url, token) = (
            t.http(),
            format!("{}/api/v2/clients", t.base_url()),
            token.clone(),
        );
        handles.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"name": format!("c{i}")}))
                .send()
                .await
                .expect("create")
                .status()
        }));
    }
    for h in handles {
        assert_eq!(h.await.expect("join"), 201);
    }
    // no shutdown: load the files as a crash would leave them (snapshot + journal)
    let loaded = m2mctl::emulator::persist::load(&path)
        .expect("loads")
        .expect("exists");
    assert_eq!(loaded.clients.len(), 22);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_foreign_state_files_are_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    for (name, content, needle) in [
        (
            "corrupt.json",
            "{\"format\": \"m2mctl-emulator-state\", \"vers",
            "is corrupt",
        ),
        (
            "foreign.json",
            "{\"hello\": 1}",
            "is not an m2mctl emulator state file",
        ),
        (
            "future.json",
            "{\"format\": \"m2mctl-emulator-state\", \"version\": 9}",
            "version 9",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let mut config =
            m2mctl::emulator::EmulatorConfig::local("127.0.0.1:0".parse().expect("addr"));
        config.state = Some(path.clone());
        let err = match m2mctl::emulator::spawn(config).await {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(needle), "{name}: {err}");
        assert!(err.contains(&path.display().to_string()), "{name}: {err}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), content);
    }
}
