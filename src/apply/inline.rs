//! Keys sent inline with a new application: Auth0 accepts a client's public keys in
//! `POST /clients` (`client_authentication_methods.private_key_jwt.credentials` with PEMs) and
//! registers and lists them in that one request, so a new private-key JWT application is created
//! with its keys at once instead of create + one create per key + a list read + a PATCH.
//!
//! Owns which of a plan's key changes ride with their client's create (the credential creates
//! and the signing-key list of an application the plan creates) and reading the ids the tenant
//! gave them from the created client. Pure: no I/O; `super` sends and reports.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::auth0::field;
use crate::model::RemoteClient;
use crate::plan::{Action, Kind, Plan, Target};

/// Application key → the credential bodies (without the shown `kid`) to send with its create,
/// for every application the plan creates together with its list of signing keys.
pub(super) fn inline_keys(plan: &Plan) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let new_lists = plan.changes.iter().filter_map(|c| match &c.target {
        Target::SigningKeys { client }
            if c.action == Action::Create && client.client_id.is_none() =>
        {
            Some(client.key.clone())
        }
        _ => None,
    });
    for key in new_lists {
        let bodies = plan
            .changes
            .iter()
            .filter(|c| c.kind() == Kind::Credential && c.action == Action::Create)
            .filter(|c| {
                c.target
                    .key_client()
                    .is_some_and(|r| r.key == key && r.client_id.is_none())
            })
            .filter_map(|c| {
                let mut body = c.body()?;
                body.as_object_mut()?.remove(field::KID);
                Some(body)
            })
            .collect();
        out.insert(key, bodies);
    }
    out
}

/// The client create's body with the keys to register and list.
pub(super) fn with_keys(body: &mut Value, keys: &[Value]) {
    if let Some(obj) = body.as_object_mut() {
        obj.insert(
            "client_authentication_methods".into(),
            json!({ "private_key_jwt": { "credentials": keys } }),
        );
        obj.remove(field::TOKEN_ENDPOINT_AUTH_METHOD);
    }
}

/// `kid` → credential id of the keys a client lists, as the tenant answered its create.
pub(super) fn registered(client: &RemoteClient) -> BTreeMap<String, String> {
    client
        .key_credentials()
        .filter_map(|c| {
            let kid = c.get(field::KID)?.as_str()?;
            let id = c.get("id")?.as_str()?;
            Some((kid.to_string(), id.to_string()))
        })
        .collect()
}

/// A key change of an application created with its keys inline: its outcome from the ids the
/// create answered (`Err` names the key the tenant did not register); `None` for any other change.
pub(super) fn outcome(
    target: &Target,
    ids: Option<&BTreeMap<String, String>>,
    wanted_kids: &[String],
) -> Option<Result<Option<String>, String>> {
    let ids = ids?;
    match target {
        Target::Credential { name, kid, .. } => Some(
            ids.get(kid)
                .cloned()
                .map(Some)
                .ok_or_else(|| format!("key `{name}` ({kid}) was not registered with its client")),
        ),
        Target::SigningKeys { .. } => {
            Some(match wanted_kids.iter().find(|k| !ids.contains_key(*k)) {
                Some(kid) => Err(format!("key {kid} was not registered with its client")),
                None => Ok(None),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::OffsetDateTime;

    use super::*;
    use crate::keys::KeyAlg;
    use crate::model::{AuthMethod, DesiredKey};
    use crate::plan::fixtures::{app, desired, managed, remote};
    use crate::plan::{PlanOptions, diff, keys::diff_keys};

    fn key(name: &str) -> DesiredKey {
        DesiredKey {
            name: name.into(),
            kid: format!("kid-{name}"),
            alg: KeyAlg::RS256,
            public_pem: format!("PEM-{name}"),
            expires_at: None,
            private_key_file: None,
        }
    }

    fn plan_for(existing: bool) -> Plan {
        let mut a = app("svc");
        a.auth_method = AuthMethod::PrivateKeyJwt;
        a.keys = vec![key("a"), key("b")];
        let d = desired(vec![a], Vec::new());
        let clients = if existing {
            vec![managed("c1", "svc")]
        } else {
            Vec::new()
        };
        let r = remote(clients, Vec::new(), Vec::new());
        let options = PlanOptions::default();
        let mut p = diff(&d, &r, &options).unwrap();
        let none = Default::default();
        diff_keys(&mut p, &d, &r, &none, &options, OffsetDateTime::UNIX_EPOCH).unwrap();
        p
    }

    #[test]
    fn only_a_new_key_application_sends_its_keys_with_its_create() {
        let inline = inline_keys(&plan_for(true));
        assert!(inline.is_empty(), "{inline:?}");
        let inline = inline_keys(&plan_for(false));
        let bodies = &inline["svc"];
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0]["pem"], "PEM-a");
        assert_eq!(bodies[0]["credential_type"], "public_key");
        assert!(bodies[0].get("kid").is_none(), "{}", bodies[0]);
        let mut body = json!({"name": "svc", "token_endpoint_auth_method": "client_secret_post"});
        with_keys(&mut body, bodies);
        assert_eq!(
            body["client_authentication_methods"]["private_key_jwt"]["credentials"][1]["pem"],
            "PEM-b"
        );
        assert!(body.get("token_endpoint_auth_method").is_none());
    }

    #[test]
    fn the_created_clients_answer_gives_the_key_ids_or_names_the_missing_key() {
        let mut made = managed("c1", "svc");
        made.client_authentication_methods = Some(json!({"private_key_jwt": {"credentials": [
            {"id": "cred_1", "kid": "kid-a", "name": "a"}
        ]}}));
        let ids = registered(&made);
        assert_eq!(ids.get("kid-a").map(String::as_str), Some("cred_1"));
        let cred = |name: &str| Target::Credential {
            client: crate::plan::ClientRef {
                key: "svc".into(),
                client_id: None,
            },
            name: name.into(),
            kid: format!("kid-{name}"),
        };
        assert_eq!(
            outcome(&cred("a"), Some(&ids), &[]),
            Some(Ok(Some("cred_1".into())))
        );
        let missing = outcome(&cred("b"), Some(&ids), &[]).unwrap().unwrap_err();
        assert!(missing.contains("`b`"), "{missing}");
        let list = Target::SigningKeys {
            client: crate::plan::ClientRef {
                key: "svc".into(),
                client_id: None,
            },
        };
        assert_eq!(
            outcome(&list, Some(&ids), &["kid-a".into()]),
            Some(Ok(None))
        );
        assert!(matches!(
            outcome(&list, Some(&ids), &["kid-b".into()]),
            Some(Err(_))
        ));
        // Not created with inline keys: the change runs as usual.
        assert_eq!(outcome(&list, None, &[]), None);
    }
}
