//! Router-level tests of list order as Auth0 lists (issue 12 item 2, checked against the
//! recordings): client grants by id, clients in creation order with the global client last; and
//! checkpoint pages that walk those orders without losing or repeating a record while others are
//! created between pages.

use axum::http::Method;
use serde_json::{Value, json};

use super::router_tests::{API, T, setup};

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[key].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Creates `n` clients, each with a grant to a fresh API; returns the client ids.
async fn clients_with_grants(t: &T, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let api =
            json!({"identifier": format!("https://api{i}.example/"), "name": format!("api{i}")});
        let r = t.send(Method::POST, "/api/v2/resource-servers", api).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let c = t
            .send(
                Method::POST,
                "/api/v2/clients",
                json!({"name": format!("app{i}")}),
            )
            .await;
        assert_eq!(c.status, 201, "{}", c.body);
        let id = c.body["client_id"].as_str().expect("id").to_string();
        let grant =
            json!({"client_id": id, "audience": format!("https://api{i}.example/"), "scope": []});
        let g = t.send(Method::POST, "/api/v2/client-grants", grant).await;
        assert_eq!(g.status, 201, "{}", g.body);
        out.push(id);
    }
    out
}

#[tokio::test]
async fn client_grants_are_listed_by_id_in_every_page_shape() {
    let t = setup();
    clients_with_grants(&t, 12).await;
    let all = t.get("/api/v2/client-grants?per_page=100").await;
    let listed = ids(&all.body, "id");
    assert_eq!(listed.len(), 13, "12 grants and the bootstrap app's");
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "ids ascending, byte-wise");

    // Offset pages with totals, and a filter, keep the order.
    let mut paged = Vec::new();
    for page in 0..5 {
        let r = t
            .get(&format!(
                "/api/v2/client-grants?per_page=3&page={page}&include_totals=true"
            ))
            .await;
        assert_eq!(r.body["total"], 13);
        paged.extend(ids(&r.body["client_grants"], "id"));
    }
    assert_eq!(paged, sorted);
    let filtered = t
        .get(&format!(
            "/api/v2/client-grants?audience={}",
            super::router_tests::urlenc(API)
        ))
        .await;
    assert_eq!(ids(&filtered.body, "id").len(), 1);
}

#[tokio::test]
async fn checkpoint_pages_walk_the_id_order_while_grants_are_created_between_pages() {
    let t = setup();
    clients_with_grants(&t, 8).await;
    let before = ids(
        &t.get("/api/v2/client-grants?per_page=100").await.body,
        "id",
    );
    let mut seen: Vec<String> = Vec::new();
    let mut from: Option<String> = None;
    let mut extra = 0;
    loop {
        let uri = match &from {
            Some(f) => format!("/api/v2/client-grants?take=3&from={f}"),
            None => "/api/v2/client-grants?take=3".to_string(),
        };
        let r = t.get(&uri).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(ids(&r.body["client_grants"], "id"));
        // A grant created between pages lands at its id's place: before or after the cursor.
        if extra < 2 {
            extra += 1;
            clients_with_grants_named(&t, extra).await;
        }
        match r.body["next"].as_str() {
            Some(next) => from = Some(next.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "ascending, nothing repeated");
    let missed: Vec<&String> = before.iter().filter(|id| !seen.contains(id)).collect();
    assert!(
        missed.is_empty(),
        "every grant that existed before the walk is listed: {missed:?}"
    );
    let now = ids(
        &t.get("/api/v2/client-grants?per_page=100").await.body,
        "id",
    );
    assert_eq!(now.len(), before.len() + 2);

    let bad = t.get("/api/v2/client-grants?take=3&from=c2VxOjE").await;
    assert_eq!(
        bad.status, 400,
        "a cursor of the old form is refused: {}",
        bad.body
    );
}

async fn clients_with_grants_named(t: &T, n: usize) {
    let api = format!("https://late{n}.example/");
    let r = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"identifier": api, "name": format!("late{n}")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let c = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": format!("late{n}")}),
        )
        .await;
    let id = c.body["client_id"].as_str().expect("id").to_string();
    let g = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": id, "audience": api, "scope": []}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
}

#[tokio::test]
async fn clients_are_listed_in_creation_order_with_the_global_client_last() {
    let t = setup();
    let made = clients_with_grants(&t, 4).await;
    let list = t
        .get("/api/v2/clients?per_page=100&fields=client_id,name,global")
        .await;
    let names: Vec<&str> = list
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names.last(), Some(&"All Applications"), "{names:?}");
    assert_eq!(list.body[names.len() - 1]["global"], true);
    let listed = ids(&list.body, "client_id");
    assert_eq!(
        &listed[1..5],
        made.as_slice(),
        "creation order after the bootstrap app"
    );

    // Checkpoint pages reach the global client last too, once.
    let mut walked = Vec::new();
    let mut from = String::new();
    loop {
        let r = t.get(&format!("/api/v2/clients?take=2&from={from}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        walked.extend(ids(&r.body["clients"], "client_id"));
        match r.body["next"].as_str() {
            Some(next) => from = next.to_string(),
            None => break,
        }
    }
    assert_eq!(walked, listed);
}
