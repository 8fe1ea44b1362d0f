//! Test builders for desired and remote states, shared by the plan and render tests.
//!
//! Test-only; the shapes mirror what `config::load` and the tenant client produce.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    ApiRef, AuthMethod, DesiredApi, DesiredApp, DesiredGrant, DesiredState, Domain, MARKER_KEY,
    RemoteApi, RemoteClient, RemoteGrant, RemoteState, ScopeDef, Settings,
};

use super::{Action, Change, ClientRef, Kind, MANAGEMENT_ADDRESS, Plan, PlanOptions, Target, diff};

/// The test tenant's Management API identifier.
pub(crate) const MGMT: &str = "https://tenant.example/api/v2/";
/// The project of every test config.
pub(crate) const PROJECT: &str = "payments";

/// A config with these apps and APIs, default settings.
pub(crate) fn desired(apps: Vec<DesiredApp>, apis: Vec<DesiredApi>) -> DesiredState {
    DesiredState {
        project: PROJECT.into(),
        domain: Domain::Local,
        settings: Settings::default(),
        apis,
        applications: apps,
        management_token_lifetime: None,
    }
}

/// An app named after its key, with no grants.
pub(crate) fn app(key: &str) -> DesiredApp {
    DesiredApp {
        key: key.into(),
        name: key.into(),
        description: None,
        client_id: None,
        auth_method: AuthMethod::ClientSecretPost,
        keys: Vec::new(),
        token_lifetime: None,
        grants: Vec::new(),
        metadata: BTreeMap::new(),
    }
}

/// A grant; `"management"` means the Management API.
pub(crate) fn grant(api: &str, scopes: &[&str]) -> DesiredGrant {
    DesiredGrant {
        api: if api == "management" {
            ApiRef::Management
        } else {
            ApiRef::Identifier(api.into())
        },
        scopes: scopes
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        endpoints: Vec::new(),
        organization: Default::default(),
    }
}

/// Scope definitions with a description derived from the value.
pub(crate) fn scope_defs(scopes: &[&str]) -> Vec<ScopeDef> {
    scopes
        .iter()
        .map(|s| ScopeDef {
            value: s.to_string(),
            description: format!("{s} access"),
        })
        .collect()
}

/// A managed (declared, not external) API named after its identifier.
pub(crate) fn api(identifier: &str, scopes: &[&str]) -> DesiredApi {
    DesiredApi {
        identifier: identifier.into(),
        name: identifier.into(),
        scopes: scope_defs(scopes),
        token_lifetime: None,
        external: false,
    }
}

/// A tenant API matching [`api`].
pub(crate) fn remote_api(id: &str, identifier: &str, scopes: &[&str]) -> RemoteApi {
    RemoteApi {
        id: id.into(),
        identifier: identifier.into(),
        name: identifier.into(),
        scopes: scope_defs(scopes),
        token_lifetime: Some(86400),
        is_system: false,
    }
}

/// The tenant's system Management API.
pub(crate) fn mgmt_api() -> RemoteApi {
    RemoteApi {
        id: "mgmt0000".into(),
        identifier: MGMT.into(),
        name: "Auth0 Management API".into(),
        scopes: scope_defs(&["read:clients", "update:clients"]),
        token_lifetime: Some(86400),
        is_system: true,
    }
}

/// A client in the managed M2M shape, named `name`, with a raw marker value (or none).
pub(crate) fn client(id: &str, name: &str, marker: Option<&str>) -> RemoteClient {
    RemoteClient {
        client_id: id.into(),
        name: name.into(),
        description: None,
        app_type: Some("non_interactive".into()),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: Some("client_secret_post".into()),
        client_metadata: marker
            .map(|m| BTreeMap::from([(MARKER_KEY.to_string(), m.to_string())]))
            .unwrap_or_default(),
        client_authentication_methods: None,
        global: false,
    }
}

/// A client already in line with [`app`]`(key)` of [`PROJECT`].
pub(crate) fn managed(id: &str, key: &str) -> RemoteClient {
    client(id, key, Some(&format!("{PROJECT}:{key}")))
}

/// A `client` subject-type grant.
pub(crate) fn rgrant(id: &str, client_id: &str, audience: &str, scopes: &[&str]) -> RemoteGrant {
    RemoteGrant {
        id: id.into(),
        client_id: client_id.into(),
        audience: audience.into(),
        scope: scopes.iter().map(|s| s.to_string()).collect(),
        subject_type: Some("client".into()),
        organization_usage: None,
        allow_any_organization: None,
        default_for: None,
    }
}

/// A tenant with the Management API and these objects.
pub(crate) fn remote(
    clients: Vec<RemoteClient>,
    grants: Vec<RemoteGrant>,
    mut apis: Vec<RemoteApi>,
) -> RemoteState {
    apis.insert(0, mgmt_api());
    RemoteState {
        clients,
        grants,
        apis,
    }
}

/// An API marked `external: true`.
pub(crate) fn external(identifier: &str) -> DesiredApi {
    DesiredApi {
        external: true,
        ..api(identifier, &[])
    }
}

/// A representative plan: every action and kind, a long description change, scope additions and
/// removals, metadata removal, a warning and a prune delete with its cascaded grant.
pub(crate) fn sample_plan() -> Plan {
    let orders = "https://orders.example.com/";
    let mut billing = app("billing");
    billing.name = "billing-worker".into();
    billing.description =
        Some("Nightly billing job that settles invoices and emails receipts to customers".into());
    billing.metadata.insert("team".into(), "billing".into());
    billing.grants = vec![
        grant(orders, &["read:orders", "write:orders"]),
        grant("management", &["read:clients"]),
    ];
    let mut reports = app("reports");
    reports.grants = vec![grant(orders, &["read:orders"])];
    let mut legacy = app("legacy");
    legacy.client_id = Some("cl_legacy".into());
    let mut shipping = api("https://shipping.example.com/", &["read:shipments"]);
    shipping.token_lifetime = Some(3600);
    let mut state = desired(
        vec![billing, reports, legacy],
        vec![
            api(orders, &["read:orders", "write:orders"]),
            shipping,
            external("https://ext.example.com/"),
        ],
    );
    state.management_token_lifetime = Some(7200);

    let mut old = managed("cl_billing", "billing");
    old.name = "billing".into();
    old.description = Some("Nightly billing job that settles invoices".into());
    old.client_metadata.insert("owner".into(), "alice".into());
    let tenant = remote(
        vec![
            old,
            client("cl_legacy", "legacy", None),
            managed("cl_old", "old-cron"),
        ],
        vec![
            rgrant(
                "cgr_1",
                "cl_billing",
                orders,
                &["read:orders", "delete:orders"],
            ),
            rgrant(
                "cgr_2",
                "cl_billing",
                "https://ledger.example.com/",
                &["read:ledger"],
            ),
            rgrant("cgr_3", "cl_old", orders, &["read:orders"]),
        ],
        vec![remote_api("api_orders", orders, &["read:orders"])],
    );
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    diff(&state, &tenant, &options).expect("sample diff")
}

/// A change without fields of the object `name` names: an API identifier, an application key, or
/// for a grant `key -> audience` (`management` for [`MGMT`]); a grant's client id is `None`.
pub(crate) fn change_of(kind: Kind, action: Action, name: &str, id: Option<&str>) -> Change {
    let target = match kind {
        Kind::Api => Target::Api {
            identifier: name.into(),
            management: false,
        },
        Kind::Client => Target::Client { key: name.into() },
        Kind::Grant => {
            let (key, api) = name.split_once(" -> ").unwrap_or((name, "https://x/"));
            let management = api == MANAGEMENT_ADDRESS;
            Target::Grant {
                client: ClientRef {
                    key: key.into(),
                    client_id: None,
                },
                audience: if management { MGMT } else { api }.into(),
                management,
            }
        }
        Kind::Credential => Target::Credential {
            client: ClientRef {
                key: name.into(),
                client_id: None,
            },
            name: name.into(),
            kid: format!("kid-{name}"),
        },
        Kind::SigningKeys => Target::SigningKeys {
            client: ClientRef {
                key: name.into(),
                client_id: None,
            },
        },
    };
    Change::new(action, target, id.map(str::to_string), Vec::new())
}

/// A plan of exactly these changes (no warnings, nothing touched, `max_deletes` 2).
pub(crate) fn plan_of(changes: Vec<Change>) -> Plan {
    Plan {
        format_version: super::FORMAT_VERSION,
        project: PROJECT.into(),
        changes,
        warnings: Vec::new(),
        touched: Vec::new(),
        fingerprint: String::new(),
        max_deletes: 2,
        endpoint_scopes: Vec::new(),
        blocked: None,
        violations: Vec::new(),
    }
}
