//! The round trip through the binary: export a messy tenant → validate → the plan shows
//! only adoptions → apply → the plan is empty; the non-M2M app and the global client stay
//! byte-for-byte untouched, and no output holds a secret.

use serde_json::Value;

use crate::export::{Api, assert_no_secret, seed};
use crate::support::Tenant;

#[tokio::test]
async fn export_validate_plan_apply_plan_is_empty_and_others_untouched() {
    let t = Tenant::start().await;
    let seeded = seed(&t).await;
    let api = Api::new(&t).await;
    let mut before = Vec::new();
    for id in &seeded.untouched {
        before.push(api.snapshot(id).await);
    }
    let mut outputs = String::new();

    let export = t.m2mctl(&["export"]).await;
    assert_eq!(export.code, 0, "{}", export.stderr);
    let validate = t.m2mctl(&["validate"]).await;
    assert_eq!(validate.code, 0, "{}", validate.stderr);

    let plan = t
        .m2mctl(&["plan", "--format", "json", "--detailed-exitcode"])
        .await;
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let doc: Value = serde_json::from_str(&plan.stdout).expect("plan json");
    let changes = doc["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), seeded.m2m, "{:#}", doc["changes"]);
    for change in changes {
        assert_eq!(change["action"], "adopt", "{change:#}");
        assert_eq!(change["kind"], "client", "{change:#}");
        let fields: Vec<&str> = change["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert_eq!(fields, ["client_metadata.m2mctl"], "{change:#}");
    }
    let text_plan = t.m2mctl(&["plan"]).await;
    assert_eq!(text_plan.code, 0, "{}", text_plan.stderr);

    let apply = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let after = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert!(after.stdout.contains("No changes."), "{}", after.stdout);

    for run in [&export, &validate, &plan, &text_plan, &apply, &after] {
        outputs.push_str(&run.stdout);
        outputs.push_str(&run.stderr);
    }
    outputs.push_str(&std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("file"));
    assert_no_secret(&seeded, &outputs);
    for (id, before) in seeded.untouched.iter().zip(before) {
        assert_eq!(api.snapshot(id).await, before, "{id} changed");
    }
    // The adopted twins kept their names and got their own markers.
    let state = api.read_state().await;
    let mut markers: Vec<String> = state
        .clients
        .iter()
        .filter(|c| c.name == "Reporter")
        .filter_map(|c| c.marker().map(|m| m.encode()))
        .collect();
    markers.sort();
    assert_eq!(markers.len(), 2, "{markers:?}");
    assert_ne!(markers[0], markers[1]);
}
