//! Environment variable names for `--format env`, collision-free by construction.
//!
//! The rule (documented in the README):
//! - a token is `M2M_<APP>_<API>_TOKEN`, an application's id `M2M_<APP>_CLIENT_ID` and its secret
//!   `M2M_<APP>_CLIENT_SECRET`;
//! - `<APP>` is the application's key, `<API>` is `MANAGEMENT` for the Management API, else the
//!   API identifier without its `https://`/`http://` scheme;
//! - both are sanitised: upper-cased, every run of characters outside `[A-Z0-9]` becomes one `_`,
//!   leading and trailing `_` dropped;
//! - when two different pairs (or applications) sanitise to the same name, each of them gets the
//!   first 8 hex digits of SHA-256 of its application key (and `\n` + audience, for tokens) before
//!   the suffix: `M2M_<APP>_<API>_<HASH>_TOKEN`. Names that do not collide never change.
//!
//! Pure: no I/O.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::TokenError;

/// Upper-case, `[A-Z0-9_]` only, runs of anything else collapsed to one `_`.
pub fn sanitise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The `<API>` segment: `MANAGEMENT`, or the identifier without scheme, sanitised.
pub fn api_segment(api_label: &str) -> String {
    if api_label == super::MANAGEMENT {
        return "MANAGEMENT".to_string();
    }
    let bare = api_label
        .strip_prefix("https://")
        .or_else(|| api_label.strip_prefix("http://"))
        .unwrap_or(api_label);
    sanitise(bare)
}

fn short_hash(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\n").as_bytes());
    hex::encode_upper(&digest[..4])
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("_")
}

/// Names `M2M_<APP>_<API>_TOKEN` for `(app key, API label, audience)` triples, same order.
pub fn token_names(pairs: &[(&str, &str, &str)]) -> Result<Vec<String>, TokenError> {
    pair_names(pairs, "TOKEN")
}

/// Names `M2M_<APP>_<API>_<suffix>` for `(app key, API label, audience)` triples, same order.
pub fn pair_names(pairs: &[(&str, &str, &str)], suffix: &str) -> Result<Vec<String>, TokenError> {
    let items: Vec<(String, Vec<&str>)> = pairs
        .iter()
        .map(|(app, label, audience)| {
            (
                join(&["M2M", &sanitise(app), &api_segment(label)]),
                vec![*app, *audience],
            )
        })
        .collect();
    disambiguate(items, suffix)
}

/// Names `M2M_<APP>_<suffix>` (e.g. `CLIENT_ID`) for application keys, same order.
pub fn app_names(keys: &[&str], suffix: &str) -> Result<Vec<String>, TokenError> {
    let items = keys
        .iter()
        .map(|key| (join(&["M2M", &sanitise(key)]), vec![*key]))
        .collect();
    disambiguate(items, suffix)
}

/// Appends the hash to every base shared by different identities, then the suffix; fails if a
/// collision survives (it would take a SHA-256 prefix collision).
fn disambiguate(items: Vec<(String, Vec<&str>)>, suffix: &str) -> Result<Vec<String>, TokenError> {
    let mut owners: BTreeMap<&str, Vec<&Vec<&str>>> = BTreeMap::new();
    for (base, identity) in &items {
        let list = owners.entry(base.as_str()).or_default();
        if !list.contains(&identity) {
            list.push(identity);
        }
    }
    let names: Vec<String> = items
        .iter()
        .map(|(base, identity)| {
            if owners[base.as_str()].len() > 1 {
                format!("{base}_{}_{suffix}", short_hash(identity))
            } else {
                format!("{base}_{suffix}")
            }
        })
        .collect();
    let mut seen: BTreeMap<&str, &Vec<&str>> = BTreeMap::new();
    for (name, (_, identity)) in names.iter().zip(&items) {
        if let Some(other) = seen.insert(name, identity)
            && other != identity
        {
            return Err(TokenError::EnvCollision { name: name.clone() });
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitise_table() {
        let cases = [
            ("billing", "BILLING"),
            ("billing-worker", "BILLING_WORKER"),
            ("a..b__c", "A_B_C"),
            ("-x-", "X"),
            ("über", "BER"),
            ("9lives", "9LIVES"),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitise(raw), want, "{raw}");
        }
    }

    #[test]
    fn api_segment_table() {
        let cases = [
            ("management", "MANAGEMENT"),
            ("https://orders.example.com/", "ORDERS_EXAMPLE_COM"),
            ("http://localhost:3000/api", "LOCALHOST_3000_API"),
            ("urn:my-api", "URN_MY_API"),
        ];
        for (label, want) in cases {
            assert_eq!(api_segment(label), want, "{label}");
        }
    }

    #[test]
    fn distinct_names_stay_plain() {
        let names = token_names(&[
            (
                "billing",
                "https://orders.example.com/",
                "https://orders.example.com/",
            ),
            ("billing", "management", "https://t/api/v2/"),
        ])
        .unwrap();
        assert_eq!(
            names,
            [
                "M2M_BILLING_ORDERS_EXAMPLE_COM_TOKEN",
                "M2M_BILLING_MANAGEMENT_TOKEN"
            ]
        );
    }

    #[test]
    fn colliding_names_get_stable_hashes() {
        let pairs = [
            ("a-b", "https://c/", "https://c/"),
            ("a", "https://b.c/", "https://b.c/"),
            ("x", "https://y/", "https://y/"),
        ];
        let names = token_names(&pairs).unwrap();
        assert_eq!(names[2], "M2M_X_Y_TOKEN");
        assert_ne!(names[0], names[1]);
        for name in &names[..2] {
            assert!(
                name.starts_with("M2M_A_B_C_") && name.ends_with("_TOKEN"),
                "{name}"
            );
            assert_eq!(name.len(), "M2M_A_B_C_12345678_TOKEN".len(), "{name}");
        }
        // Deterministic, and independent of the order of the pairs.
        let reversed = token_names(&[pairs[1], pairs[0]]).unwrap();
        assert_eq!(reversed, [names[1].clone(), names[0].clone()]);
    }

    #[test]
    fn the_same_pair_twice_is_not_a_collision() {
        let names =
            app_names(&["billing", "billing", "bil-ling", "bil_ling"], "CLIENT_ID").unwrap();
        assert_eq!(names[0], "M2M_BILLING_CLIENT_ID");
        assert_eq!(names[0], names[1]);
        assert_ne!(names[2], names[3]);
        assert!(names[2].starts_with("M2M_BIL_LING_"), "{}", names[2]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Different (app, audience) pairs never share a name, names are valid shell identifiers,
        /// and a pair's name does not depend on the other pairs' order.
        #[test]
        fn names_are_unique_valid_and_order_free(
            pairs in proptest::collection::vec(("[a-c_.-]{1,3}", "[a-c:/._-]{1,4}"), 1..12)
        ) {
            let triples: Vec<(&str, &str, &str)> =
                pairs.iter().map(|(a, b)| (a.as_str(), b.as_str(), b.as_str())).collect();
            let names = token_names(&triples).unwrap();
            for (i, a) in triples.iter().enumerate() {
                prop_assert!(names[i].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
                prop_assert!(names[i].starts_with("M2M_"));
                for (j, b) in triples.iter().enumerate() {
                    if a != b {
                        prop_assert_ne!(&names[i], &names[j]);
                    }
                }
            }
            let mut reversed = triples.clone();
            reversed.reverse();
            let mut again = token_names(&reversed).unwrap();
            again.reverse();
            prop_assert_eq!(names, again);
        }
    }
}
