//! Pre-flight tables: scopes per change, missing scopes, lockout, mass delete.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::plan::fixtures::{change_of, plan_of};
use crate::plan::{FieldChange, Target};

const ME: &str = "self0";

fn change(kind: Kind, action: Action, name: &str, id: Option<&str>) -> Change {
    change_of(kind, action, name, id)
}

fn with(mut c: Change, field: &str, before: Option<Value>, after: Option<Value>) -> Change {
    c.fields.push(FieldChange::new(field, before, after));
    c
}

/// A grant of the existing client `client_id` to `api` (`management` or an identifier).
fn grant(action: Action, api: &str, client_id: &str) -> Change {
    let mut c = change(Kind::Grant, action, &format!("me -> {api}"), Some("cgr_1"));
    if let Target::Grant { client, .. } = &mut c.target {
        client.client_id = Some(client_id.into());
    }
    c
}

fn plan(changes: Vec<Change>) -> Plan {
    plan_of(changes)
}

fn scopes(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn run(p: &Plan, have: &[&str]) -> Result<(), Error> {
    let have = scopes(have);
    check(
        p,
        false,
        Identity {
            scopes: &have,
            self_client_id: Some(ME),
        },
    )
}

#[test]
fn required_scopes_cover_writes_and_recovery_reads() {
    let p = plan(vec![
        change(Kind::Api, Action::Create, "x", None),
        change(Kind::Api, Action::Update, "y", Some("a")),
        change(Kind::Client, Action::Create, "a", None),
        change(Kind::Client, Action::Adopt, "b", Some("b")),
        change(Kind::Client, Action::Delete, "c", Some("c")),
        change(Kind::Grant, Action::Create, "a -> x", None),
        change(Kind::Grant, Action::Update, "a -> y", Some("g")),
        change(Kind::Grant, Action::Delete, "a -> z", Some("h")),
    ]);
    let want = [
        "create:client_grants",
        "create:clients",
        "create:resource_servers",
        "delete:client_grants",
        "delete:clients",
        "read:client_grants",
        "read:clients",
        "read:resource_servers",
        "update:client_grants",
        "update:clients",
        "update:resource_servers",
    ];
    assert_eq!(required_scopes(&p).into_iter().collect::<Vec<_>>(), want);
    assert!(run(&p, &want).is_ok());
}

#[test]
fn missing_scopes_are_listed_with_the_client_to_grant_them_to() {
    let p = plan(vec![
        change(Kind::Client, Action::Create, "a", None),
        change(Kind::Client, Action::Delete, "c", Some("c")),
    ]);
    let err = run(&p, &["create:clients", "read:clients"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the Management API token lacks scopes this plan needs: `delete:clients`; nothing was written"
    );
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("client `self0`"), "{help}");
    let err = run(&p, &["read:clients"]).unwrap_err().to_string();
    assert!(err.contains("`create:clients`, `delete:clients`"), "{err}");
    // an opaque token (no scope claim) is not second-guessed
    assert!(run(&p, &[]).is_ok());
}

#[test]
fn lockout_table() {
    let mgmt = "management";
    let cases: Vec<(Change, Option<&str>)> = vec![
        (
            change(Kind::Client, Action::Delete, "me", Some(ME)),
            Some("would delete"),
        ),
        (
            change(Kind::Client, Action::Delete, "x", Some("other")),
            None,
        ),
        (
            with(
                change(Kind::Client, Action::Update, "me", Some(ME)),
                "token_endpoint_auth_method",
                Some(json!("client_secret_post")),
                Some(json!("client_secret_basic")),
            ),
            Some("change the token endpoint auth method"),
        ),
        (
            with(
                change(Kind::Client, Action::Adopt, "me", Some(ME)),
                "token_endpoint_auth_method",
                None,
                Some(json!("client_secret_post")),
            ),
            None,
        ),
        (
            with(
                change(Kind::Client, Action::Update, "me", Some(ME)),
                "grant_types",
                None,
                Some(json!(["implicit"])),
            ),
            Some("remove the `client_credentials` grant type"),
        ),
        (
            with(
                change(Kind::Client, Action::Update, "x", Some("other")),
                "token_endpoint_auth_method",
                None,
                Some(json!("client_secret_basic")),
            ),
            None,
        ),
        (
            grant(Action::Delete, mgmt, ME),
            Some("delete the Management API grant"),
        ),
        (grant(Action::Delete, "https://x/", ME), None),
        (grant(Action::Delete, mgmt, "other"), None),
        (
            with(
                grant(Action::Update, mgmt, ME),
                "scope",
                Some(json!(["a", "b"])),
                Some(json!(["a", "c"])),
            ),
            Some("remove Management API scopes"),
        ),
        (
            with(
                grant(Action::Update, mgmt, ME),
                "scope",
                Some(json!(["a"])),
                Some(json!(["a", "c"])),
            ),
            None,
        ),
    ];
    let all: Vec<&str> = crate::scopes::MANAGEMENT_API_SCOPES.to_vec();
    for (c, want) in cases {
        let address = c.address.clone();
        let got = run(&plan(vec![c]), &all).err().map(|e| e.to_string());
        match (got, want) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                assert!(
                    got.contains(want) && got.contains("`self0`"),
                    "{address}: {got}"
                )
            }
            (got, want) => panic!("{address}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn mass_delete_guard_comes_first() {
    let deletes: Vec<Change> = (0..3)
        .map(|i| change(Kind::Client, Action::Delete, &format!("{i}"), Some("x")))
        .collect();
    let p = plan(deletes);
    let err = run(&p, &[]).unwrap_err().to_string();
    assert!(err.contains("deletes 3 objects"), "{err}");
    let have = scopes(&["delete:clients"]);
    let who = Identity {
        scopes: &have,
        self_client_id: None,
    };
    assert!(check(&p, true, who).is_ok());
}

#[test]
fn lockout_reads_the_target_never_the_address() {
    let all: Vec<&str> = crate::scopes::MANAGEMENT_API_SCOPES.to_vec();
    // an address that reads like the Management API grant, on a grant to another API
    let mut disguised = grant(Action::Delete, "https://x/", ME);
    disguised.address = "grant.me -> management".into();
    assert!(run(&plan(vec![disguised]), &all).is_ok());
    // the Management API grant under any address is still protected
    let mut renamed = grant(Action::Delete, "management", ME);
    renamed.address = "grant.me -> https://x/".into();
    let err = run(&plan(vec![renamed]), &all).unwrap_err().to_string();
    assert!(err.contains("delete the Management API grant"), "{err}");
}
