//! The round trip against a messy seeded tenant: export → validate → the plan shows only
//! adoptions → apply → the plan is empty; the non-M2M app and the global client stay
//! byte-for-byte untouched, and no output holds a secret. Also in process: `export::build` over
//! the tenant read, checked with `config::load_str` + `plan::diff`.

use m2mctl::export::{self, Check, ExportOptions, Header};
use m2mctl::model::Domain;
use m2mctl::plan::PlanOptions;
use serde_json::Value;

use crate::export_seed::{Api, assert_no_secret, assert_shape, seed};
use crate::support::Tenant;

#[tokio::test]
async fn export_of_a_messy_tenant_validates_and_plans_adoptions_only() {
    let t = Tenant::start().await;
    let seeded = seed(&t).await;
    let api = Api::new(&t).await;
    let remote = api.read_state().await;
    let options = ExportOptions {
        self_client_id: Some(t.client_id()),
        ..ExportOptions::new(Domain::Remote(t.auth0_domain()))
    };
    let built = export::build(&remote, &options);
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    let header = Header {
        tenant: t.auth0_domain(),
        exported_at: "2025-01-02T03:04:05Z".into(),
    };
    let text = export::render(&built, &header).expect("render");
    assert_no_secret(&seeded, &text);
    assert!(
        !text.contains(&t.client_id()),
        "m2mctl's own client is not exported"
    );
    for id in &seeded.untouched {
        assert!(
            !text.contains(id.as_str()),
            "{id} must not be exported:\n{text}"
        );
    }
    let plan_options = PlanOptions {
        self_client_id: Some(t.client_id()),
        ..PlanOptions::default()
    };
    let check = export::check(&text, &remote, &plan_options);
    let Check::Planned { adoptions, extra } = &check else {
        panic!("{check:?}");
    };
    assert_eq!((*adoptions, extra.as_slice()), (seeded.m2m, &[][..]));

    std::fs::write(t.dir().join("m2mctl.yaml"), &text).expect("write");
    let run = t.m2mctl(&["validate"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("4 applications, 2 APIs, 5 grants"),
        "{}",
        run.stdout
    );
    assert_shape(&text);
}

#[tokio::test]
async fn export_validate_plan_apply_plan_is_empty_and_others_untouched() {
    let t = Tenant::start().await;
    let seeded = seed(&t).await;
    let api = Api::new(&t).await;
    let before = api.snapshots(&seeded.untouched).await;
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
    api.assert_unchanged(&seeded.untouched, &before).await;
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
