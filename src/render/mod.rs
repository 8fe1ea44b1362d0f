//! Renderers of a [`Plan`]: terminal text, markdown for pull-request comments, JSON for machines.
//!
//! Owns how a plan looks, and the display model the text and markdown renderers share
//! (`FieldView`: one field as a scalar change, a set delta or a long-text diff). Must not
//! compare desired and remote state (that is `plan::diff`), read the environment or decide about
//! colour: callers pass `color` from `ui::Context`. Every tenant- or config-supplied string goes
//! through [`crate::sanitize`]: control characters escaped for text, markdown/HTML metacharacters
//! too for markdown.

mod json;
mod markdown;
mod text;
mod violations;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::plan::{Change, FieldChange, Plan};
use crate::sanitize::control;

pub use json::json;
pub use markdown::markdown;
pub use text::text;
pub(crate) use violations::{code as md_code, refused_line};

/// The closing line of a plan without changes.
pub const NO_CHANGES: &str = "No changes. The tenant matches the configuration.";

/// Strings at least this long (or spanning lines) are shown as a word diff.
const LONG_TEXT: usize = 40;

/// `Plan: 2 to create, 1 to update, 0 to delete.`, with `, N to adopt` when there are adoptions.
pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    let adopt = if s.adopt > 0 {
        format!(", {} to adopt", s.adopt)
    } else {
        String::new()
    };
    format!(
        "Plan: {} to create, {} to update, {} to delete{adopt}.",
        s.create, s.update, s.delete
    )
}

/// The sentence shown when a plan is blocked by the mass-delete guard.
pub(crate) fn blocked_line(plan: &Plan) -> Option<String> {
    plan.blocked.as_ref().map(|b| {
        format!(
            "this plan deletes {} objects{}, more than `max_deletes` ({}); apply refuses it without `--allow-mass-delete`",
            b.deletes,
            crate::plan::keys_counted(b.keys),
            b.max_deletes
        )
    })
}

/// `application.billing will be updated in place`.
pub(crate) fn heading(change: &Change) -> String {
    format!(
        "{} will be {}",
        control(&change.address),
        change.action.verb()
    )
}

/// The address with the tenant id, as the object line shows it.
pub(crate) fn object_line(change: &Change) -> String {
    let address = control(&change.address);
    match &change.id {
        Some(id) => format!("{address} ({})", control(id)),
        None => address.into_owned(),
    }
}

/// Notes below a client delete: the grants Auth0 deletes with it.
pub(crate) fn cascade_lines(change: &Change) -> Vec<String> {
    change
        .cascade
        .iter()
        .map(|g| {
            format!(
                "grant -> {} ({}) [{}], deleted with the application",
                control(&g.audience),
                control(&g.id),
                control(&g.scope.join(", "))
            )
        })
        .collect()
}

/// One field as the human renderers show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldView {
    /// A single value: added (`before` none), removed (`after` none) or changed.
    Scalar {
        field: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// A list compared as a set: elements added, removed, or changed in place (scope descriptions).
    Set {
        field: String,
        added: Vec<String>,
        removed: Vec<String>,
        changed: Vec<(String, String)>,
    },
    /// A long string change, as word segments: (tag, text) with tag `-`, `+` or ` `.
    Text {
        field: String,
        before: String,
        after: String,
        words: Vec<(char, String)>,
    },
}

/// The display view of every field of a change.
/// A credential's public key (`pem`) is not shown: its name and thumbprint (`kid`) are.
pub(crate) fn field_views(change: &Change) -> Vec<FieldView> {
    change
        .fields
        .iter()
        .filter(|f| f.field != crate::auth0::field::PEM)
        .map(view)
        .collect()
}

/// Every string of the view has its control characters escaped ([`control`]): tenant and config
/// values reach a terminal or a pull request only through here.
fn view(f: &FieldChange) -> FieldView {
    let field = control(&f.field).into_owned();
    if let Some(delta) = f.set_delta() {
        return FieldView::Set {
            field,
            added: delta.added.iter().map(element).collect(),
            removed: delta.removed.iter().map(element).collect(),
            changed: delta
                .changed
                .iter()
                .map(|(b, a)| (element(b), element(a)))
                .collect(),
        };
    }
    if let (Some(Value::String(b)), Some(Value::String(a))) = (&f.before, &f.after)
        && (b.len().max(a.len()) >= LONG_TEXT || b.contains('\n') || a.contains('\n'))
    {
        let words = similar::TextDiff::from_words(b.as_str(), a.as_str())
            .iter_all_changes()
            .map(|c| {
                let tag = match c.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                (tag, control(c.value()).into_owned())
            })
            .collect();
        return FieldView::Text {
            field,
            before: control(b).into_owned(),
            after: control(a).into_owned(),
            words,
        };
    }
    FieldView::Scalar {
        field,
        before: f.before.as_ref().map(scalar),
        after: f.after.as_ref().map(scalar),
    }
}

/// A scalar value: strings quoted (JSON escaping), numbers and the rest as JSON; DEL, C1 and
/// bidi controls (which JSON leaves raw) escaped too.
fn scalar(v: &Value) -> String {
    control(&v.to_string()).into_owned()
}

/// A set element: a scope string as is, an API scope as `value "description"`.
fn element(v: &Value) -> String {
    control(&element_raw(v)).into_owned()
}

fn element_raw(v: &Value) -> String {
    match (v.as_str(), v.get("value").and_then(Value::as_str)) {
        (Some(s), _) => s.to_string(),
        (None, Some(value)) => match v.get("description").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => format!("{value} {}", Value::from(d)),
            _ => value.to_string(),
        },
        _ => v.to_string(),
    }
}
