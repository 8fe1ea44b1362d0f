//! `m2mctl export` through the binary: the file, its header, the summary on stderr, no
//! overwrite without `--force`, stdout, values the config rejects, failures before any request.

use serde_json::{Value, json};

use crate::export_seed::{Api, assert_no_secret, assert_shape, seed};
use crate::support::{Tenant, run_binary};

#[tokio::test]
async fn export_command_writes_a_valid_file_and_never_overwrites_without_force() {
    let t = Tenant::start().await;
    let seeded = seed(&t).await;
    let api = Api::new(&t).await;
    let before = api.snapshots(&seeded.untouched).await;

    let run = t.m2mctl(&["export"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let text = std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("written");
    assert_shape(&text);
    assert_no_secret(&seeded, &format!("{text}{}{}", run.stdout, run.stderr));
    let header = text.lines().nth(2).expect("header line");
    assert!(header.starts_with("# Exported by m2mctl "), "{header}");
    assert!(
        header.contains(&format!("from tenant `{}`", t.auth0_domain())),
        "{header}"
    );
    let stamp = header
        .rsplit(" at ")
        .next()
        .expect("time")
        .trim_end_matches('.');
    assert!(
        time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).is_ok(),
        "{stamp}"
    );
    assert!(
        run.stderr
            .contains("exported 4 applications (4 to adopt), 2 APIs, 5 grants"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the first plan adopts 4 applications and changes nothing else"),
        "{}",
        run.stderr
    );
    let valid = t.m2mctl(&["validate"]).await;
    assert_eq!(valid.code, 0, "{}", valid.stderr);

    // An existing file is refused before any request, and left as it was.
    std::fs::write(t.dir().join("m2mctl.yaml"), "mine\n").expect("write");
    t.reset_stats().await;
    let again = t.m2mctl(&["export"]).await;
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("`m2mctl.yaml` already exists"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("read"),
        "mine\n"
    );
    assert_eq!(
        t.stats().await["total"].as_u64().expect("total"),
        0,
        "no request before the refusal"
    );

    let forced = t.m2mctl(&["export", "--force"]).await;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let rewritten = std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("read");
    assert_eq!(
        body(&rewritten),
        body(&text),
        "deterministic apart from the time"
    );

    let stdout = t.m2mctl(&["export", "-o", "-"]).await;
    assert_eq!(stdout.code, 0, "{}", stdout.stderr);
    assert_eq!(body(&stdout.stdout), body(&text));
    assert!(stdout.stderr.contains("to stdout"), "{}", stdout.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(t.dir())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    api.assert_unchanged(&seeded.untouched, &before).await;
}

/// The file without its header comment (which holds the export time).
fn body(text: &str) -> &str {
    text.split_once("\n\n").map_or(text, |(_, body)| body)
}

#[tokio::test]
async fn tenant_values_the_config_rejects_are_written_with_diagnostics_and_exit_1() {
    let t = Tenant::start().await;
    let api = Api::new(&t).await;
    let metadata: serde_json::Map<String, Value> =
        (0..10).map(|i| (format!("k{i}"), json!("v"))).collect();
    let mut secrets = Vec::new();
    api.m2m(
        json!({"name": "Crowded", "client_metadata": metadata}),
        &mut secrets,
    )
    .await;
    let run = t.m2mctl(&["export", "-o", "out.yaml"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("metadata keys"), "{}", run.stderr);
    assert!(
        run.stderr.contains("the exported config does not validate"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(t.dir().join("out.yaml")).expect("written anyway");
    assert!(text.contains("k9: v"), "{text}");
    assert!(!text.contains(&secrets[0]), "{text}");
}

#[tokio::test]
async fn bad_output_and_project_fail_before_any_request() {
    let t = Tenant::start().await;
    t.reset_stats().await;
    let run = t.m2mctl(&["export", "-o", "missing/dir/m.yaml"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("directory `missing/dir` does not exist"),
        "{}",
        run.stderr
    );
    let run = t.m2mctl(&["export", "--project", "a:b"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("invalid project name `a:b`"),
        "{}",
        run.stderr
    );
    assert_eq!(t.stats().await["total"].as_u64().expect("total"), 0);
}

#[tokio::test]
async fn export_of_the_local_tenant_reproduces_a_managed_config_with_no_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart.yaml");
    std::fs::copy(quickstart, dir.path().join("m2mctl.yaml")).expect("copy");
    let apply = run_binary(dir.path(), &["apply", "--auto-approve"], &[]).await;
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    // Without `--project`, the quickstart's clients belong to another project: skipped, said so.
    let other = run_binary(dir.path(), &["export", "-o", "-"], &[]).await;
    assert_eq!(other.code, 0, "{}", other.stderr);
    assert_eq!(
        other
            .stderr
            .matches("managed by project `quickstart`")
            .count(),
        3
    );
    assert!(!other.stdout.contains("applications:"), "{}", other.stdout);

    let args = ["export", "-o", "exported.yaml", "--project", "quickstart"];
    let export = run_binary(dir.path(), &args, &[]).await;
    assert_eq!(export.code, 0, "{}", export.stderr);
    let summary = "exported 3 applications (0 to adopt), 2 APIs, 4 grants";
    assert!(export.stderr.contains(summary), "{}", export.stderr);
    let text = std::fs::read_to_string(dir.path().join("exported.yaml")).expect("written");
    assert!(text.contains("from tenant `local`"), "{text}");
    assert!(text.contains("domain: local"), "{text}");
    assert!(
        !text.contains("client_id:"),
        "managed apps are matched by marker:\n{text}"
    );
    for key in ["billing", "order-sync", "platform"] {
        assert!(text.contains(&format!("key: {key}\n")), "{key}:\n{text}");
    }

    let plan = run_binary(
        dir.path(),
        &["plan", "-f", "exported.yaml", "--detailed-exitcode"],
        &[],
    )
    .await;
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}
