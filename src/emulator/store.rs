//! The tenant's data: clients, client grants, resource servers, the bootstrap app and the signing
//! key material, plus the invariants that span them (re-homing, cascades, the bootstrap grant).
//!
//! Owns what a tenant contains. Must not do I/O (persist.rs writes it) or HTTP (handlers read it).

use serde_json::Value;

use super::defaults;
use super::ids;
use super::table::{Order, Record, Table};

/// Auth0 lists clients in creation order with the global client ("All Applications") last
/// (terraform TestAccDataClients.yaml, TestAccDataClientByName.yaml).
pub const CLIENT_ORDER: Order = Order::CreationFlaggedLast("global");
/// Auth0 lists client grants by id (go-auth0 TestClientGrant_IsSystem.yaml: 50 grants, a fresh
/// one in the middle; ruby `_client_grants` cassettes).
pub const GRANT_ORDER: Order = Order::ById;

/// The RSA signing key as stored: PKCS#8 PEM plus its `kid`.
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    /// JWT header `kid`.
    pub kid: String,
    /// `-----BEGIN PRIVATE KEY-----` PKCS#8 PEM.
    pub pem: String,
}

/// Everything a tenant holds.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// `host:port` the tenant is served on.
    pub domain: String,
    /// Clients by `client_id`.
    pub clients: Table,
    /// Client grants by `id`.
    pub grants: Table,
    /// Resource servers by `id`.
    pub resource_servers: Table,
    /// Client credentials (public keys for private-key JWT) by `id`, each with its `client_id`.
    pub credentials: Table,
    /// Organizations by `id`, each with the ids of its associated client grants.
    pub organizations: Table,
    /// The bootstrap app.
    pub bootstrap_client_id: String,
    /// The current token signing key (also in `keys`, flagged `current`).
    pub key: KeyMaterial,
    /// Every signing key by `kid` (current, next, previous, revoked: see `signing_keys`), with
    /// its PEM and dates.
    pub keys: Table,
    /// Last creation sequence handed out.
    pub seq: u64,
    /// Bumped by every write (the persister saves up to a version).
    pub version: u64,
}

impl Tenant {
    /// A fresh tenant: the system Management API, the global client, and the bootstrap app with a
    /// grant for every Management API scope.
    pub fn new(domain: &str, key: KeyMaterial, bootstrap: Option<(String, String)>) -> Tenant {
        let mut tenant = Tenant {
            domain: domain.to_string(),
            clients: Table::ordered("client_id", CLIENT_ORDER),
            grants: Table::ordered("id", GRANT_ORDER),
            resource_servers: Table::new("id"),
            credentials: Table::new("id"),
            organizations: Table::new("id"),
            bootstrap_client_id: String::new(),
            keys: Table::new("kid"),
            key,
            seq: 0,
            version: 0,
        };
        let seq = tenant.next_seq();
        let current = super::signing_keys::current_record(&tenant.key, true);
        tenant.keys.push(seq, current);
        let seq = tenant.next_seq();
        let api = defaults::management_api(&ids::resource_server_id(), domain);
        tenant.resource_servers.push(seq, api);
        let seq = tenant.next_seq();
        let keys = tenant.signing_keys();
        let global =
            defaults::global_client(&ids::client_id(), &ids::client_secret(), keys.as_ref());
        tenant.clients.push(seq, global);
        let (id, secret) = bootstrap.unwrap_or_else(|| (ids::client_id(), ids::client_secret()));
        tenant.add_bootstrap(&id, &secret);
        tenant
    }

    /// Clients' `signing_keys`: the signing key's certificate (none if the key cannot make one).
    pub fn signing_keys(&self) -> Option<Value> {
        super::certificate::SigningCert::of(&self.key)
            .ok()
            .map(|c| c.signing_keys())
    }

    fn add_bootstrap(&mut self, id: &str, secret: &str) {
        let seq = self.next_seq();
        let keys = self.signing_keys();
        self.clients
            .push(seq, defaults::bootstrap_client(id, secret, keys.as_ref()));
        let seq = self.next_seq();
        let grant = defaults::bootstrap_grant(&ids::grant_id(), id, &self.domain);
        self.grants.push(seq, grant);
        self.bootstrap_client_id = id.to_string();
    }

    /// Makes `id`/`secret` the bootstrap app's credentials (fixed credentials on an existing state).
    pub fn ensure_bootstrap(&mut self, id: &str, secret: &str) {
        match self.clients.get_mut(id) {
            Some(client) => {
                client.obj.insert("client_secret".into(), secret.into());
                self.bootstrap_client_id = id.to_string();
                let audience = self.management_audience();
                let has_grant = self.grant_for(id, &audience).is_some();
                if !has_grant {
                    let seq = self.next_seq();
                    let grant = defaults::bootstrap_grant(&ids::grant_id(), id, &self.domain);
                    self.grants.push(seq, grant);
                }
            }
            None => self.add_bootstrap(id, secret),
        }
        self.version += 1;
    }

    /// Every table (change tracking covers them all).
    pub fn tables_mut(&mut self) -> [&mut Table; 6] {
        [
            &mut self.clients,
            &mut self.grants,
            &mut self.resource_servers,
            &mut self.credentials,
            &mut self.organizations,
            &mut self.keys,
        ]
    }

    /// The next creation sequence.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Marks a write; returns the version the persister must reach before the write is answered.
    pub fn touch(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// `https://{domain}/api/v2/`.
    pub fn management_audience(&self) -> String {
        defaults::management_audience(&self.domain)
    }

    /// Moves the tenant to another `host:port`: the identifiers of its system APIs (Management
    /// API, My Account API: `https://{domain}/…`) and the grants that pointed at them follow.
    /// Returns whether anything changed.
    pub fn rehome(&mut self, domain: &str) -> bool {
        if self.domain == domain {
            return false;
        }
        let old = format!("https://{}/", self.domain);
        let new = format!("https://{domain}/");
        let moved = |identifier: &str| {
            identifier
                .strip_prefix(old.as_str())
                .map(|path| format!("{new}{path}"))
        };
        let mut audiences = Vec::new();
        let system_ids: Vec<String> = self
            .resource_servers
            .all()
            .iter()
            .filter(|r| r.bool("is_system") == Some(true))
            .filter_map(|r| r.str("id").map(str::to_string))
            .collect();
        for id in system_ids {
            if let Some(rs) = self.resource_servers.get_mut(&id)
                && let Some(identifier) = rs.str("identifier").map(str::to_string)
                && let Some(to) = moved(&identifier)
            {
                rs.obj.insert("identifier".into(), to.clone().into());
                audiences.push((identifier, to));
            }
        }
        let grant_ids: Vec<String> = self
            .grants
            .all()
            .iter()
            .filter(|g| {
                audiences
                    .iter()
                    .any(|(from, _)| g.str("audience") == Some(from))
            })
            .filter_map(|g| g.str("id").map(str::to_string))
            .collect();
        for id in grant_ids {
            if let Some(grant) = self.grants.get_mut(&id)
                && let Some(audience) = grant.str("audience").map(str::to_string)
                && let Some((_, to)) = audiences.iter().find(|(from, _)| *from == audience)
            {
                grant.obj.insert("audience".into(), to.clone().into());
            }
        }
        self.domain = domain.to_string();
        self.version += 1;
        true
    }

    /// The resource server with this identifier (audience).
    pub fn resource_server_by_identifier(&self, identifier: &str) -> Option<&Record> {
        self.resource_servers
            .find(|r| r.str("identifier") == Some(identifier))
    }

    /// A resource server by id, or else by identifier (`/resource-servers/{id}` accepts both).
    pub fn resource_server_by_id_or_identifier(&self, key: &str) -> Option<&Record> {
        self.resource_servers
            .get(key)
            .or_else(|| self.resource_server_by_identifier(key))
    }

    /// The `client` subject-type grant of a client for an audience.
    pub fn grant_for(&self, client_id: &str, audience: &str) -> Option<&Record> {
        self.grants.find(|g| {
            g.str("client_id") == Some(client_id)
                && g.str("audience") == Some(audience)
                && crate::auth0::is_client_subject(g.str("subject_type"))
        })
    }

    /// Deletes a client and its grants; returns whether it existed.
    pub fn delete_client(&mut self, client_id: &str) -> bool {
        let existed = self.clients.remove(client_id).is_some();
        self.grants
            .remove_where(|g| g.str("client_id") == Some(client_id));
        self.credentials
            .remove_where(|c| c.str("client_id") == Some(client_id));
        existed
    }

    /// Deletes a resource server and the grants for its audience; returns whether it existed.
    pub fn delete_resource_server(&mut self, id: &str) -> bool {
        let Some(removed) = self.resource_servers.remove(id) else {
            return false;
        };
        if let Some(Value::String(audience)) = removed.obj.get("identifier") {
            self.grants
                .remove_where(|g| g.str("audience") == Some(audience.as_str()));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KeyMaterial {
        KeyMaterial {
            kid: "k".into(),
            pem: String::new(),
        }
    }

    #[test]
    fn new_tenant_has_system_api_global_client_and_authorized_bootstrap() {
        let t = Tenant::new("127.0.0.1:1", key(), Some(("boot".into(), "s".into())));
        let api = t
            .resource_server_by_identifier("https://127.0.0.1:1/api/v2/")
            .expect("system api");
        assert_eq!(api.str("name"), Some("Auth0 Management API"));
        assert_eq!(api.bool("is_system"), Some(true));
        assert!(t.clients.find(|c| c.bool("global") == Some(true)).is_some());
        let grant = t
            .grant_for("boot", "https://127.0.0.1:1/api/v2/")
            .expect("grant");
        let scopes = grant.obj["scope"].as_array().map(Vec::len);
        assert_eq!(scopes, Some(crate::scopes::MANAGEMENT_API_SCOPES.len()));
    }

    #[test]
    fn rehome_moves_system_api_and_its_grants() {
        let mut t = Tenant::new("127.0.0.1:1", key(), Some(("boot".into(), "s".into())));
        assert!(t.rehome("127.0.0.1:2"));
        assert!(!t.rehome("127.0.0.1:2"));
        assert!(t.grant_for("boot", "https://127.0.0.1:2/api/v2/").is_some());
        assert!(
            t.resource_server_by_identifier("https://127.0.0.1:1/api/v2/")
                .is_none()
        );
    }

    #[test]
    fn deleting_a_client_deletes_its_grants() {
        let mut t = Tenant::new("h:1", key(), Some(("boot".into(), "s".into())));
        assert!(t.delete_client("boot"));
        assert!(t.grants.is_empty());
        assert!(!t.delete_client("boot"));
    }
}
