//! `m2mctl plan` at scale: a no-op plan of 1,000 managed apps and 1,000 grants reads the tenant
//! in exactly the floor number of requests; a plan deleting more than `max_deletes` is shown,
//! blocked, and says so.

use serde_json::Value;

use crate::support::Tenant;
use crate::support::seed::{self, Api, Shape};

/// The floor of a full read: one list call per started page of 100, at least one per list.
fn floor(clients: u64, grants: u64, apis: u64) -> u64 {
    let pages = |n: u64| n.div_ceil(100).max(1);
    pages(clients) + pages(grants) + pages(apis)
}

async fn seeded(shape: &Shape) -> Tenant {
    let t = Tenant::start().await;
    let api = Api {
        http: t.http(),
        base_url: t.base_url(),
        token: t.management_token().await,
    };
    let done = seed::seed(&api, shape).await.expect("seeding");
    assert_eq!(done.apps, shape.apps);
    t
}

/// Objects of each list as the tenant has them now (system objects included).
async fn totals(t: &Tenant) -> (u64, u64, u64) {
    let token = t.management_token().await;
    let mut out = [0u64; 3];
    for (slot, path) in ["clients", "client-grants", "resource-servers"]
        .iter()
        .enumerate()
    {
        let url = format!(
            "{}/api/v2/{path}?include_totals=true&per_page=1",
            t.base_url()
        );
        let body: Value = t
            .http()
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        out[slot] = body["total"].as_u64().expect("total");
    }
    (out[0], out[1], out[2])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_op_plan_of_1000_apps_makes_exactly_the_floor_requests() {
    let shape = Shape::new(1000, 10);
    let t = seeded(&shape).await;
    let (clients, grants, apis) = totals(&t).await;
    // System objects: the global client and the bootstrap app, its Management API grant, and
    // the Management API itself.
    assert_eq!((clients, grants, apis), (1002, 1001, 11));
    std::fs::write(
        t.dir().join("m2mctl.yaml"),
        shape.config_yaml("${AUTH0_DOMAIN}"),
    )
    .expect("config");
    t.reset_stats().await;

    let run = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);

    let stats = t.stats().await;
    let lists = floor(clients, grants, apis);
    assert_eq!(lists, 11 + 11 + 1);
    assert_eq!(t.count("POST /oauth/token 200").await, 1, "{stats}");
    assert_eq!(t.count("GET /api/v2/clients 200").await, 11, "{stats}");
    assert_eq!(
        t.count("GET /api/v2/client-grants 200").await,
        11,
        "{stats}"
    );
    assert_eq!(
        t.count("GET /api/v2/resource-servers 200").await,
        1,
        "{stats}"
    );
    assert_eq!(stats["total"].as_u64(), Some(lists + 1), "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mass_delete_plan_is_shown_blocked_and_warned() {
    let shape = Shape::new(6, 1);
    let t = seeded(&shape).await;
    // The same project with no applications left: pruning deletes all six, one more than allowed.
    let mut config = shape.config_yaml("${AUTH0_DOMAIN}");
    let cut = config.find("applications:\n").expect("apps");
    config.truncate(cut);
    config.push_str("applications: []\n");
    std::fs::write(t.dir().join("m2mctl.yaml"), config).expect("config");

    let without = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(without.code, 0, "no prune, no deletes: {}", without.stderr);
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("mass_delete_without_prune", without.stdout));

    let run = t
        .m2mctl(&[
            "plan",
            "--prune",
            "--detailed-exitcode",
            "--out",
            "prune.json",
        ])
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    // the whole plan with the block stated, the warning, and how to apply the saved plan anyway
    let shown = format!("{}--- stderr\n{}", run.stdout, run.stderr);
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("mass_delete_with_prune", shown));

    let json = t.m2mctl(&["plan", "--prune", "--format", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(doc["blocked"]["deletes"], 6);
    assert_eq!(doc["blocked"]["max_deletes"], 5);
}
