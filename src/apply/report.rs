//! What an apply did, change by change, and the lines that tell the user.
//!
//! Owns [`Outcome`] (done, failed or skipped, with the created id), the per-change line
//! (`+ application.billing created (client_id …)`) and the closing summary ("Apply complete:
//! 3 created, 1 updated, 0 deleted — 42 requests, 2 retried, 1.3 s"). A client id is not a
//! secret and is shown; nothing here can hold a client secret (creates keep only the id). Pure.

use std::time::Duration;

use super::Error;
use crate::plan::{Action, Kind, Target};
use crate::tenant::Metrics;

/// How one change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created; `recovered` when it was found by a lookup after a lost response or a 409.
    Created {
        /// The new object's tenant id.
        id: String,
        /// Found rather than confirmed by the create's own response.
        recovered: bool,
    },
    /// Updated in place.
    Updated,
    /// Adopted (marker added).
    Adopted,
    /// Deleted.
    Deleted,
    /// The request failed: the tenant's error, with Auth0's message.
    Failed(String),
    /// Not attempted because something it depends on failed.
    Skipped(String),
}

/// One change of the plan and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The change's address (display only).
    pub address: String,
    /// What the change acted on.
    pub target: Target,
    /// Its action.
    pub action: Action,
    /// What happened.
    pub outcome: Outcome,
}

impl Entry {
    /// The kind of object the change acted on.
    pub fn kind(&self) -> Kind {
        self.target.kind()
    }

    /// True unless the change failed or was skipped.
    pub fn succeeded(&self) -> bool {
        !matches!(self.outcome, Outcome::Failed(_) | Outcome::Skipped(_))
    }

    /// The line shown for this change, e.g. `+ application.billing created (client_id abc)`.
    pub fn line(&self) -> String {
        let a = &self.address;
        match &self.outcome {
            Outcome::Created { id, recovered } => {
                let label = match self.kind() {
                    Kind::Client => "client_id ",
                    _ => "",
                };
                let found = if *recovered {
                    "; found after a lost response"
                } else {
                    ""
                };
                format!("+ {a} created ({label}{id}{found})")
            }
            Outcome::Updated => format!("~ {a} updated"),
            Outcome::Adopted => format!("<= {a} adopted"),
            Outcome::Deleted => format!("- {a} deleted"),
            Outcome::Failed(why) => format!("x {a} failed: {why}"),
            Outcome::Skipped(why) => format!("! {a} skipped: {why}"),
        }
    }
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Created (recovered ones included).
    pub created: usize,
    /// Updated in place.
    pub updated: usize,
    /// Adopted.
    pub adopted: usize,
    /// Deleted.
    pub deleted: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// One entry per change, in the plan's order.
    pub entries: Vec<Entry>,
    /// Wall time of the writes.
    pub elapsed: Duration,
    /// Requests of the whole command (reads, writes, lookups, retries).
    pub metrics: Metrics,
}

impl Report {
    /// Counts per outcome.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for e in &self.entries {
            match e.outcome {
                Outcome::Created { .. } => c.created += 1,
                Outcome::Updated => c.updated += 1,
                Outcome::Adopted => c.adopted += 1,
                Outcome::Deleted => c.deleted += 1,
                Outcome::Failed(_) => c.failed += 1,
                Outcome::Skipped(_) => c.skipped += 1,
            }
        }
        c
    }

    /// `Apply complete: 3 created, 1 updated, 0 deleted — 42 requests, 2 retried, 1.3 s`, or
    /// `Apply incomplete: …, 1 failed, 2 skipped — …` when something did not succeed.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let incomplete = c.failed + c.skipped > 0;
        let mut parts = vec![
            format!("{} created", c.created),
            format!("{} updated", c.updated),
        ];
        if c.adopted > 0 {
            parts.push(format!("{} adopted", c.adopted));
        }
        parts.push(format!("{} deleted", c.deleted));
        if incomplete {
            parts.push(format!("{} failed", c.failed));
            if c.skipped > 0 {
                parts.push(format!("{} skipped", c.skipped));
            }
        }
        let head = if incomplete {
            "Apply incomplete"
        } else {
            "Apply complete"
        };
        let m = self.metrics;
        format!(
            "{head}: {} — {} requests, {} retried, {:.1} s",
            parts.join(", "),
            m.requests,
            m.retries,
            self.elapsed.as_secs_f64()
        )
    }

    /// `Ok` when every change succeeded, else [`Error::Incomplete`].
    pub fn result(&self) -> Result<(), Error> {
        let c = self.counts();
        if c.failed + c.skipped == 0 {
            return Ok(());
        }
        Err(Error::Incomplete {
            failed: c.failed,
            skipped: c.skipped,
            total: self.entries.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: Kind, action: Action, address: &str, outcome: Outcome) -> Entry {
        Entry {
            address: address.into(),
            target: crate::plan::fixtures::change_of(kind, action, "x", None).target,
            action,
            outcome,
        }
    }

    #[test]
    fn lines_table() {
        let created = |recovered| Outcome::Created {
            id: "abc".into(),
            recovered,
        };
        let cases = [
            (
                entry(
                    Kind::Client,
                    Action::Create,
                    "application.billing",
                    created(false),
                ),
                "+ application.billing created (client_id abc)",
            ),
            (
                entry(
                    Kind::Grant,
                    Action::Create,
                    "grant.b -> management",
                    created(true),
                ),
                "+ grant.b -> management created (abc; found after a lost response)",
            ),
            (
                entry(
                    Kind::Api,
                    Action::Update,
                    "api.https://x/",
                    Outcome::Updated,
                ),
                "~ api.https://x/ updated",
            ),
            (
                entry(
                    Kind::Client,
                    Action::Adopt,
                    "application.l",
                    Outcome::Adopted,
                ),
                "<= application.l adopted",
            ),
            (
                entry(
                    Kind::Client,
                    Action::Delete,
                    "application.o",
                    Outcome::Deleted,
                ),
                "- application.o deleted",
            ),
            (
                entry(
                    Kind::Client,
                    Action::Create,
                    "application.x",
                    Outcome::Failed("POST /api/v2/clients failed with 400: bad".into()),
                ),
                "x application.x failed: POST /api/v2/clients failed with 400: bad",
            ),
            (
                entry(
                    Kind::Grant,
                    Action::Create,
                    "grant.x -> y",
                    Outcome::Skipped("application `x` was not created".into()),
                ),
                "! grant.x -> y skipped: application `x` was not created",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.line(), want);
        }
    }

    #[test]
    fn summary_and_result() {
        let metrics = Metrics {
            requests: 42,
            retries: 2,
            throttled: 1,
        };
        let mut report = Report {
            entries: vec![
                entry(
                    Kind::Client,
                    Action::Create,
                    "a",
                    Outcome::Created {
                        id: "1".into(),
                        recovered: false,
                    },
                ),
                entry(Kind::Client, Action::Update, "b", Outcome::Updated),
            ],
            elapsed: Duration::from_millis(1300),
            metrics,
        };
        assert_eq!(
            report.summary(),
            "Apply complete: 1 created, 1 updated, 0 deleted — 42 requests, 2 retried, 1.3 s"
        );
        assert!(report.result().is_ok());
        report
            .entries
            .push(entry(Kind::Client, Action::Adopt, "c", Outcome::Adopted));
        report.entries.push(entry(
            Kind::Grant,
            Action::Create,
            "d",
            Outcome::Failed("x".into()),
        ));
        report.entries.push(entry(
            Kind::Grant,
            Action::Create,
            "e",
            Outcome::Skipped("y".into()),
        ));
        assert_eq!(
            report.summary(),
            "Apply incomplete: 1 created, 1 updated, 1 adopted, 0 deleted, 1 failed, 1 skipped — 42 requests, 2 retried, 1.3 s"
        );
        let err = report.result().unwrap_err().to_string();
        assert_eq!(err, "apply incomplete: 1 of 5 changes failed, 1 skipped");
    }
}
