//! Checks before a saved plan (`apply PLAN`) may run: it targets this tenant and project, and the
//! objects it touches are exactly as they were when it was made.
//!
//! Owns the staleness rule (re-read tenant → [`plan::fingerprint`] over the plan's `touched`
//! objects, compared with the saved fingerprint; Auth0 has no ETags), the already-created rule
//! (nothing the plan creates may exist yet: applying one saved plan twice never duplicates) and
//! the target rule (the plan's tenant against `AUTH0_DOMAIN` and the config the plan was made
//! from, when it is there).
//! Pure: the command reads the file, the environment and the tenant and passes them in.

use super::Error;
use crate::model::{Domain, Marker, RemoteState};
use crate::plan::Target as ChangeTarget;
use crate::plan::{self, Action, Change, Plan, SavedPlan};
use crate::tenant::TenantUrl;

/// Refuses a saved plan whose touched objects changed since it was made. `credentials` holds the
/// credential lists, read again, of the clients [`plan::keys::clients_in_fingerprint`] names.
pub fn check_fresh(
    saved: &SavedPlan,
    fresh: &RemoteState,
    credentials: &plan::keys::Credentials,
    path: &str,
) -> Result<(), Error> {
    let now = plan::fingerprint(&saved.plan.touched, fresh, credentials);
    if now == saved.fingerprint {
        Ok(())
    } else {
        Err(Error::StalePlan {
            path: path.to_string(),
        })
    }
}

/// Refuses a saved plan when an object it would create already exists: a client carrying the
/// marker it would give a new application, a grant for the same client and API, an API with the
/// same identifier. Such a plan was applied already (or raced another run); applying it again
/// would duplicate applications or fail half-way.
pub fn check_creates(plan: &Plan, fresh: &RemoteState, path: &str) -> Result<(), Error> {
    let found: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .filter_map(|c| {
            existing(c, &plan.project, fresh).map(|id| format!("`{}` (`{id}`)", c.address))
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(Error::AlreadyCreated {
        path: path.to_string(),
        count: found.len(),
        objects: found.join(", "),
    })
}

/// The tenant id of what `create` (of the plan of `project`) would create, when the tenant
/// already has it: found by the natural key its target names.
fn existing(create: &Change, project: &str, fresh: &RemoteState) -> Option<String> {
    match &create.target {
        ChangeTarget::Client { key } => {
            let marker = Marker {
                project: project.to_string(),
                key: key.clone(),
            };
            fresh
                .clients
                .iter()
                .find(|c| c.owned_marker().as_ref() == Some(&marker))
                .map(|c| c.client_id.clone())
        }
        ChangeTarget::Credential { .. } | ChangeTarget::SigningKeys { .. } => None,
        ChangeTarget::Grant {
            client, audience, ..
        } => {
            // A grant of an application this plan creates is covered by that application.
            let client_id = client.client_id.as_deref()?;
            fresh
                .grants
                .iter()
                .find(|g| {
                    g.client_id == client_id
                        && g.audience == *audience
                        && crate::auth0::is_client_grant(g)
                })
                .map(|g| g.id.clone())
        }
        ChangeTarget::Api { identifier, .. } => fresh
            .apis
            .iter()
            .find(|a| a.identifier == *identifier)
            .map(|a| a.id.clone()),
    }
}

/// What this run targets, as far as it is known without the saved plan.
#[derive(Debug, Clone, Default)]
pub struct Target<'a> {
    /// `AUTH0_DOMAIN`, when set.
    pub env_domain: Option<&'a str>,
    /// The project and tenant of the plan's config file as it is now, and that file's path.
    pub config: Option<(&'a str, &'a Domain, &'a str)>,
}

/// Refuses a saved plan made for another tenant or another project.
pub fn check_target(saved: &SavedPlan, target: &Target<'_>) -> Result<(), Error> {
    let planned = domain_name(&saved.desired.domain);
    let mismatch = |what, current: String, source_of_current: String| Error::OtherTarget {
        what,
        planned: if what == "project" {
            saved.plan.project.clone()
        } else {
            planned.clone()
        },
        current,
        source_of_current,
    };
    if let Some(env) = target.env_domain {
        let current = domain_name(&parse_domain(env));
        if current != planned {
            return Err(mismatch("tenant", current, "`AUTH0_DOMAIN`".into()));
        }
    }
    if let Some((project, domain, file)) = target.config {
        let source = || format!("what `{file}` says now");
        if project != saved.plan.project {
            return Err(mismatch("project", project.to_string(), source()));
        }
        let current = domain_name(domain);
        if current != planned {
            return Err(mismatch("tenant", current, source()));
        }
    }
    Ok(())
}

/// How a user writes a domain in `AUTH0_DOMAIN`.
fn parse_domain(text: &str) -> Domain {
    match text.trim() {
        "" | "local" => Domain::Local,
        other => Domain::Remote(other.to_string()),
    }
}

/// A comparable name: `local`, or the tenant's `host[:port]`.
fn domain_name(domain: &Domain) -> String {
    match domain {
        Domain::Local => "local".to_string(),
        Domain::Remote(text) => TenantUrl::parse(text)
            .map(|u| u.authority().to_string())
            .unwrap_or_else(|_| text.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DesiredState, Settings};
    use crate::plan::fixtures::client;
    use crate::plan::{Kind, ObjectRef, PlanOptions};

    fn saved(domain: Domain, touched: Vec<ObjectRef>, remote: &RemoteState) -> SavedPlan {
        let desired = DesiredState {
            project: "payments".into(),
            domain,
            settings: Settings::default(),
            apis: Vec::new(),
            applications: Vec::new(),
            management_token_lifetime: None,
        };
        let plan = plan::diff(&desired, remote, &PlanOptions::default()).unwrap();
        let plan = plan::Plan {
            fingerprint: plan::fingerprint(&touched, remote, &Default::default()),
            touched,
            ..plan
        };
        SavedPlan::new(plan, desired, PlanOptions::default())
    }

    #[test]
    fn a_touched_object_that_changed_or_vanished_makes_the_plan_stale() {
        let remote = RemoteState {
            clients: vec![client("a", "one", None), client("b", "two", None)],
            ..Default::default()
        };
        let touched = vec![ObjectRef {
            kind: Kind::Client,
            id: "a".into(),
        }];
        let s = saved(Domain::Local, touched, &remote);
        let none = plan::keys::Credentials::new();
        assert!(check_fresh(&s, &remote, &none, "p.json").is_ok());
        // an object the plan does not touch may change
        let mut other = remote.clone();
        other.clients[1].name = "renamed".into();
        assert!(check_fresh(&s, &other, &none, "p.json").is_ok());
        let mut changed = remote.clone();
        changed.clients[0].name = "renamed".into();
        let err = check_fresh(&s, &changed, &none, "p.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the tenant changed since this plan was made; run plan again"
        );
        let mut gone = remote.clone();
        gone.clients.remove(0);
        assert!(check_fresh(&s, &gone, &none, "p.json").is_err());
    }

    #[test]
    fn a_saved_plan_whose_creates_exist_already_is_refused() {
        use crate::plan::fixtures::{MGMT, api, app, desired, grant, managed, remote, remote_api};
        const ORDERS: &str = "https://orders.example.com/";
        // an existing client gets a new grant, a new app gets one too, a new API
        let mut new_app = app("fresh");
        new_app.grants = vec![grant(ORDERS, &["read:orders"])];
        let mut old_app = app("old");
        old_app.grants = vec![grant("management", &["read:clients"])];
        let d = desired(vec![new_app, old_app], vec![api(ORDERS, &["read:orders"])]);
        let before = remote(vec![managed("c1", "old")], vec![], vec![]);
        let plan = plan::diff(&d, &before, &Default::default()).unwrap();
        assert_eq!(plan.summary().create, 4);
        assert!(check_creates(&plan, &before, "p.json").is_ok());
        // applied once: every create exists now (the new app's grant is covered by the app)
        let after = plan::simulate(&plan, &before);
        let err = check_creates(&plan, &after, "p.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("would create 3 object(s) that already exist"),
            "{err}"
        );
        assert!(err.contains("`application.fresh` (`"), "{err}");
        assert!(err.contains("`grant.old -> management` (`"), "{err}");
        assert!(err.contains(&format!("`api.{ORDERS}` (`")), "{err}");
        // each kind on its own
        let only = |keep: &dyn Fn(&RemoteState) -> RemoteState| {
            check_creates(&plan, &keep(&after), "p.json")
                .err()
                .map(|e| e.to_string())
        };
        let client_only = only(&|s| RemoteState {
            grants: Vec::new(),
            apis: before.apis.clone(),
            ..s.clone()
        });
        assert!(client_only.unwrap().contains("1 object(s)"));
        let grant_only = only(&|s| RemoteState {
            clients: before.clients.clone(),
            apis: before.apis.clone(),
            grants: s
                .grants
                .iter()
                .filter(|g| g.audience == MGMT)
                .cloned()
                .collect(),
        });
        assert!(grant_only.unwrap().contains("`grant.old -> management`"));
        let api_only = only(&|s| RemoteState {
            apis: vec![s.apis[0].clone(), remote_api("a9", ORDERS, &[])],
            ..before.clone()
        });
        assert!(
            api_only
                .unwrap()
                .contains("`api.https://orders.example.com/` (`a9`)")
        );
        // a copied marker on a client m2mctl must not own does not count as created
        let mut spa = managed("s1", "fresh");
        spa.app_type = Some("spa".into());
        let with_spa = RemoteState {
            clients: vec![before.clients[0].clone(), spa],
            ..before.clone()
        };
        assert!(check_creates(&plan, &with_spa, "p.json").is_ok());
    }

    #[test]
    fn target_table() {
        let remote = RemoteState::default();
        let s = saved(
            Domain::Remote("https://acme.auth0.com/".into()),
            Vec::new(),
            &remote,
        );
        let acme = Domain::Remote("acme.auth0.com".into());
        let prod = Domain::Remote("prod.auth0.com".into());
        let cases: Vec<(Target<'_>, Option<&str>)> = vec![
            (Target::default(), None),
            (
                Target {
                    env_domain: Some("acme.auth0.com"),
                    config: None,
                },
                None,
            ),
            (
                Target {
                    env_domain: Some("prod.auth0.com"),
                    config: None,
                },
                Some("tenant `acme.auth0.com`, not `prod.auth0.com` (`AUTH0_DOMAIN`)"),
            ),
            (
                Target {
                    env_domain: Some("local"),
                    config: None,
                },
                Some("not `local`"),
            ),
            (
                Target {
                    env_domain: None,
                    config: Some(("payments", &acme, "m2mctl.yaml")),
                },
                None,
            ),
            (
                Target {
                    env_domain: None,
                    config: Some(("billing", &acme, "m2mctl.yaml")),
                },
                Some("project `payments`, not `billing` (what `m2mctl.yaml` says now)"),
            ),
            (
                Target {
                    env_domain: None,
                    config: Some(("payments", &prod, "m2mctl.yaml")),
                },
                Some("not `prod.auth0.com`"),
            ),
        ];
        for (target, want) in cases {
            let got = check_target(&s, &target).err().map(|e| e.to_string());
            match (got, want) {
                (None, None) => {}
                (Some(got), Some(want)) => assert!(got.contains(want), "{got}"),
                (got, want) => panic!("{target:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
