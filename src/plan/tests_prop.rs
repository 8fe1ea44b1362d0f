//! Property test: for random valid configs and tenants, diff → simulate → diff is empty; and the
//! other checks that hold for every plan (fingerprint, saved-plan round trip, request bodies).

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::fixtures::*;
use super::*;
use crate::model::{
    AuthMethod, DesiredApi, DesiredApp, DesiredState, RemoteApi, RemoteClient, RemoteState,
};

/// Pulls small random choices out of a byte string (shrinks well: fewer/smaller bytes).
struct Dice<'a>(std::slice::Iter<'a, u8>);

impl Dice<'_> {
    fn roll(&mut self, n: u8) -> u8 {
        self.0.next().copied().unwrap_or(0) % n
    }
    fn coin(&mut self) -> bool {
        self.roll(2) == 1
    }
    fn subset<'s>(&mut self, items: &[&'s str]) -> Vec<&'s str> {
        items.iter().copied().filter(|_| self.coin()).collect()
    }
}

const KEYS: [&str; 4] = ["a", "b", "c", "d"];
const APIS: [&str; 3] = ["https://x/", "https://y/", "https://z/"];
const SCOPES: [&str; 3] = ["s1", "s2", "s3"];
const MGMT_SCOPES: [&str; 2] = ["read:clients", "update:clients"];

/// A random valid config: unique keys and identifiers, grants only to declared APIs or management.
fn gen_desired(d: &mut Dice) -> DesiredState {
    let mut apis: Vec<DesiredApi> = Vec::new();
    for id in APIS {
        if d.coin() {
            let mut a = api(id, &d.subset(&SCOPES));
            a.name = ["n1", "n2", id][d.roll(3) as usize].into();
            a.token_lifetime = [None, Some(60), Some(3600)][d.roll(3) as usize];
            a.external = d.roll(4) == 0;
            apis.push(a);
        }
    }
    let mut apps = Vec::new();
    for key in KEYS {
        if !d.coin() {
            continue;
        }
        let mut a = app(key);
        a.name = [key.to_string(), format!("name-{key}")][d.roll(2) as usize].clone();
        a.description = [None, Some(String::new()), Some("d1".into())][d.roll(3) as usize].clone();
        a.auth_method =
            [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic][d.roll(2) as usize];
        if d.coin() {
            a.metadata
                .insert("team".into(), ["t1", "t2"][d.roll(2) as usize].into());
        }
        a.client_id = (d.roll(4) == 0).then(|| format!("u_{key}"));
        for api in &apis {
            if d.coin() {
                let scopes: Vec<&str> = api.scopes.iter().map(|s| s.value.as_str()).collect();
                a.grants.push(grant(&api.identifier, &d.subset(&scopes)));
            }
        }
        if d.coin() {
            a.grants.push(grant("management", &d.subset(&MGMT_SCOPES)));
        }
        apps.push(a);
    }
    let mut state = desired(apps, apis);
    state.management_token_lifetime = [None, Some(600), Some(86400)][d.roll(3) as usize];
    state.settings.max_deletes = d.roll(4) as usize;
    state
}

/// A random tenant around a config: drifted managed clients, pinned unmarked clients, foreign,
/// unmarked and orphaned clients, random grants and APIs (external APIs always exist).
fn gen_remote(d: &mut Dice, desired: &DesiredState) -> RemoteState {
    let mut clients: Vec<RemoteClient> = Vec::new();
    for app in &desired.applications {
        if app.client_id.is_some() {
            let mut c = client(
                &format!("u_{}", app.key),
                &format!("hand-{}", app.key),
                None,
            );
            drift(d, &mut c);
            clients.push(c);
        } else if d.coin() {
            let mut c = managed(&format!("c_{}", app.key), &app.key);
            drift(d, &mut c);
            clients.push(c);
        }
    }
    clients.push(managed("c_orphan", "orphan"));
    clients.push(client("c_foreign", "a", Some("other:zz")));
    clients.push(client("c_hand", "hand-made", None));
    let mut apis: Vec<RemoteApi> = Vec::new();
    for id in APIS {
        let external = desired
            .apis
            .iter()
            .any(|a| a.identifier == id && a.external);
        if external || d.coin() {
            let mut a = remote_api(
                &format!("api_{}", id.len() + apis.len()),
                id,
                &d.subset(&SCOPES),
            );
            a.name = ["n1", "n2"][d.roll(2) as usize].into();
            apis.push(a);
        }
    }
    let mut tenant = remote(clients, Vec::new(), apis);
    let audiences: Vec<String> = tenant.apis.iter().map(|a| a.identifier.clone()).collect();
    for c in tenant.clients.clone() {
        for aud in &audiences {
            if d.coin() {
                let id = format!("cgr_{}", tenant.grants.len());
                let scope = d.subset(&["s1", "s2", "s3", "read:clients"]);
                tenant.grants.push(rgrant(&id, &c.client_id, aud, &scope));
            }
        }
    }
    tenant
}

/// Random drift of a client's managed fields.
fn drift(d: &mut Dice, c: &mut RemoteClient) {
    if d.coin() {
        c.name = "drifted".into();
    }
    c.description = [None, Some("d1".into()), Some("d2".into())][d.roll(3) as usize].clone();
    if d.roll(4) == 0 {
        c.app_type = None;
        c.grant_types = vec!["implicit".into(), "client_credentials".into()];
        c.token_endpoint_auth_method = Some("none".into());
    }
    if d.coin() {
        c.client_metadata
            .insert(["team", "extra"][d.roll(2) as usize].into(), "t1".into());
    }
}

fn options(d: &mut Dice) -> PlanOptions {
    PlanOptions {
        prune: d.coin(),
        allow_mass_delete: d.coin(),
        self_client_id: None,
        management_audience: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn diff_simulate_diff_is_empty(bytes in prop::collection::vec(any::<u8>(), 0..160)) {
        let mut d = Dice(bytes.iter());
        let desired = gen_desired(&mut d);
        let tenant = gen_remote(&mut d, &desired);
        let opts = options(&mut d);
        let plan = diff(&desired, &tenant, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let after = simulate(&plan, &tenant);
        let again = diff(&desired, &after, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(again.is_empty(), "second plan not empty: {:#?}", again.changes);

        // Same inputs, same plan; and only touched objects feed the fingerprint.
        prop_assert_eq!(&diff(&desired, &tenant, &opts).unwrap(), &plan);
        let ids: BTreeSet<&str> = plan.touched.iter().map(|r| r.id.as_str()).collect();
        let mut untouched = tenant.clone();
        untouched.clients.iter_mut().filter(|c| !ids.contains(c.client_id.as_str())).for_each(|c| c.name.push('!'));
        prop_assert_eq!(fingerprint(&plan.touched, &untouched, &Default::default()), plan.fingerprint.clone());

        // The saved plan round-trips.
        let saved = SavedPlan::new(plan.clone(), desired.clone(), opts.clone());
        prop_assert_eq!(SavedPlan::from_json(&saved.to_json()).unwrap(), saved);
    }
}

#[test]
fn fingerprint_changes_when_a_touched_object_changes_or_goes() {
    let d = desired(
        vec![DesiredApp {
            name: "new".into(),
            ..app("a")
        }],
        vec![],
    );
    let tenant = remote(vec![managed("c1", "a")], vec![], vec![]);
    let plan = diff(&d, &tenant, &PlanOptions::default()).unwrap();
    assert_eq!(
        plan.touched,
        vec![ObjectRef {
            kind: Kind::Client,
            id: "c1".into()
        }]
    );
    assert_eq!(plan.fingerprint.len(), 64);
    let mut changed = tenant.clone();
    changed.clients[0].description = Some("edited in the Dashboard".into());
    assert_ne!(
        fingerprint(&plan.touched, &changed, &Default::default()),
        plan.fingerprint
    );
    let mut gone = tenant.clone();
    gone.clients.clear();
    assert_ne!(
        fingerprint(&plan.touched, &gone, &Default::default()),
        plan.fingerprint
    );
    assert_eq!(
        fingerprint(&plan.touched, &tenant, &Default::default()),
        plan.fingerprint
    );
}

#[test]
fn request_bodies() {
    let mut a = app("a");
    a.metadata.insert("team".into(), "t".into());
    let mut current = managed("c1", "a");
    current.client_metadata.insert("old".into(), "x".into());
    let d = desired(
        vec![
            a,
            DesiredApp {
                grants: vec![grant("management", &["read:clients"])],
                ..app("b")
            },
        ],
        vec![],
    );
    let plan = diff(
        &d,
        &remote(vec![current], vec![], vec![]),
        &PlanOptions::default(),
    )
    .unwrap();
    let body = |addr: &str| {
        plan.changes
            .iter()
            .find(|c| c.address == addr)
            .unwrap()
            .body()
    };
    assert_eq!(
        body("application.a"),
        Some(serde_json::json!({"client_metadata": {"team": "t", "old": null}}))
    );
    assert_eq!(
        body("grant.b -> management"),
        Some(serde_json::json!({"audience": MGMT, "scope": ["read:clients"]})),
        "no client_id yet: apply takes it from the created `b`"
    );
    let created = body("application.b").unwrap();
    assert_eq!(created["client_metadata"]["m2mctl"], "payments:b");
    assert_eq!(
        created["grant_types"],
        serde_json::json!(["client_credentials"])
    );
}

#[test]
fn saved_plan_rejects_other_versions_and_garbage() {
    let plan = diff(
        &desired(vec![], vec![]),
        &remote(vec![], vec![], vec![]),
        &PlanOptions::default(),
    )
    .unwrap();
    let text = SavedPlan::new(plan, desired(vec![], vec![]), PlanOptions::default()).to_json();
    let newer = text.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    assert!(matches!(
        SavedPlan::from_json(&newer),
        Err(Error::SavedPlanVersion { .. })
    ));
    assert!(matches!(
        SavedPlan::from_json("{"),
        Err(Error::SavedPlanInvalid { .. })
    ));
    assert!(matches!(
        SavedPlan::from_json("{}"),
        Err(Error::SavedPlanVersion { .. })
    ));
}

#[test]
fn a_saved_plan_from_before_typed_targets_is_refused_with_plan_again() {
    let mut app = crate::plan::fixtures::app("a");
    app.grants = vec![crate::plan::fixtures::grant(
        "management",
        &["read:clients"],
    )];
    let d = desired(vec![app], vec![]);
    let r = remote(vec![], vec![], vec![]);
    let plan = diff(&d, &r, &PlanOptions::default()).unwrap();
    assert_eq!(plan.changes.len(), 2);
    let text = SavedPlan::new(plan, d, PlanOptions::default()).to_json();
    assert!(SavedPlan::from_json(&text).is_ok());
    // the version-1 document as m2mctl wrote it before changes carried `target`
    let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
    for c in old["plan"]["changes"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("target");
    }
    let err = SavedPlan::from_json(&old.to_string()).unwrap_err();
    assert!(matches!(err, Error::SavedPlanOutdated), "{err:?}");
    assert!(err.to_string().contains("older m2mctl"), "{err}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("m2mctl plan --out"), "{help}");
}

/// The generator is not vacuous: over fixed pseudo-random inputs it yields every action and kind,
/// and plans that the second diff must find empty.
#[test]
fn generator_covers_every_action_and_kind() {
    let mut seen: BTreeSet<(Action, Kind)> = BTreeSet::new();
    let mut state: u32 = 7;
    for _ in 0..300 {
        let bytes: Vec<u8> = (0..160)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            })
            .collect();
        let mut d = Dice(bytes.iter());
        let desired = gen_desired(&mut d);
        let tenant = gen_remote(&mut d, &desired);
        let plan = diff(&desired, &tenant, &options(&mut d)).unwrap();
        seen.extend(plan.changes.iter().map(|c| (c.action, c.kind())));
    }
    let want = [
        (Action::Create, Kind::Api),
        (Action::Update, Kind::Api),
        (Action::Create, Kind::Client),
        (Action::Update, Kind::Client),
        (Action::Adopt, Kind::Client),
        (Action::Delete, Kind::Client),
        (Action::Create, Kind::Grant),
        (Action::Update, Kind::Grant),
        (Action::Delete, Kind::Grant),
    ];
    for w in want {
        assert!(seen.contains(&w), "never generated {w:?}");
    }
}
