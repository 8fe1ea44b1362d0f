//! The order apply runs a plan in: phases, and which changes of a phase depend on earlier ones.
//!
//! Owns the phase of each change: APIs (create/update) → clients (create/update/adopt) → keys
//! (credential creates/updates) → signing-key lists → grants (create/update) → grant deletions →
//! key deletions → client deletions. A key is registered before a list names it and deleted after
//! the list stopped naming it, so a client never lacks a working key. A phase starts when the previous one has
//! finished; the changes inside one phase are independent of each other and run concurrently.
//! Grants come after clients and APIs because they name both; deletions come last so that a run
//! cut short never leaves an application without the grants it is about to get. Pure: no I/O.

use crate::plan::{Action, Change, Kind, Plan};

/// One step of an apply, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// API creates and updates.
    Apis,
    /// Client creates, updates and adoptions (the ownership marker comes with them).
    Clients,
    /// Credential creates and `expires_at` updates (new keys before any list names them).
    Keys,
    /// The clients' lists of signing credentials (`client_authentication_methods`).
    SigningKeys,
    /// Grant creates and scope updates.
    Grants,
    /// Grant deletions (authoritative grants of managed applications).
    GrantDeletes,
    /// Credential deletions: after the lists stopped naming them.
    KeyDeletes,
    /// Client deletions (prune); Auth0 deletes their grants with them.
    ClientDeletes,
    /// API deletions: m2mctl never plans them; kept so that every change has a phase.
    ApiDeletes,
}

impl Phase {
    /// Every phase, in execution order.
    pub const ALL: [Phase; 9] = [
        Phase::Apis,
        Phase::Clients,
        Phase::Keys,
        Phase::SigningKeys,
        Phase::Grants,
        Phase::GrantDeletes,
        Phase::KeyDeletes,
        Phase::ClientDeletes,
        Phase::ApiDeletes,
    ];

    /// The phase of one change.
    pub fn of(change: &Change) -> Phase {
        match (change.kind(), change.action) {
            (Kind::Api, Action::Delete) => Phase::ApiDeletes,
            (Kind::Api, _) => Phase::Apis,
            (Kind::Client, Action::Delete) => Phase::ClientDeletes,
            (Kind::Client, _) => Phase::Clients,
            (Kind::Grant, Action::Delete) => Phase::GrantDeletes,
            (Kind::Grant, _) => Phase::Grants,
            (Kind::Credential, Action::Delete) => Phase::KeyDeletes,
            (Kind::Credential, _) => Phase::Keys,
            (Kind::SigningKeys, _) => Phase::SigningKeys,
        }
    }
}

/// The plan's changes grouped by phase, in execution order; empty phases are left out. Each
/// entry holds the change's index in `plan.changes` (reports keep the plan's order).
pub fn phases(plan: &Plan) -> Vec<(Phase, Vec<usize>)> {
    Phase::ALL
        .iter()
        .map(|phase| {
            let members: Vec<usize> = plan
                .changes
                .iter()
                .enumerate()
                .filter(|(_, c)| Phase::of(c) == *phase)
                .map(|(i, _)| i)
                .collect();
            (*phase, members)
        })
        .filter(|(_, members)| !members.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{change_of, plan_of};

    fn change(kind: Kind, action: Action, name: &str) -> Change {
        change_of(kind, action, name, None)
    }

    #[test]
    fn phase_table() {
        use Action::*;
        let cases = [
            (Kind::Api, Create, Phase::Apis),
            (Kind::Api, Update, Phase::Apis),
            (Kind::Api, Delete, Phase::ApiDeletes),
            (Kind::Client, Create, Phase::Clients),
            (Kind::Client, Update, Phase::Clients),
            (Kind::Client, Adopt, Phase::Clients),
            (Kind::Client, Delete, Phase::ClientDeletes),
            (Kind::Grant, Create, Phase::Grants),
            (Kind::Grant, Update, Phase::Grants),
            (Kind::Grant, Delete, Phase::GrantDeletes),
        ];
        for (kind, action, want) in cases {
            assert_eq!(
                Phase::of(&change(kind, action, "x")),
                want,
                "{kind:?} {action:?}"
            );
        }
    }

    #[test]
    fn phases_follow_the_dependency_order_and_keep_plan_indices() {
        // The plan's own order is kind then address: grants deletes sit between grant creates.
        let changes = vec![
            change(Kind::Api, Action::Create, "a"),
            change(Kind::Client, Action::Create, "a"),
            change(Kind::Client, Action::Delete, "old"),
            change(Kind::Client, Action::Update, "z"),
            change(Kind::Grant, Action::Create, "a -> x"),
            change(Kind::Grant, Action::Delete, "b -> y"),
            change(Kind::Grant, Action::Update, "c -> x"),
        ];
        let plan = plan_of(changes);
        let got = phases(&plan);
        assert_eq!(
            got,
            vec![
                (Phase::Apis, vec![0]),
                (Phase::Clients, vec![1, 3]),
                (Phase::Grants, vec![4, 6]),
                (Phase::GrantDeletes, vec![5]),
                (Phase::ClientDeletes, vec![2]),
            ]
        );
        let empty = crate::plan::Plan {
            changes: Vec::new(),
            ..plan
        };
        assert!(phases(&empty).is_empty());
    }
}
