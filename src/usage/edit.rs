//! Removing grants from the config text, keeping everything else byte for byte (comments,
//! `${VAR}`s, layout): the lines of each grant's list item are cut.
//!
//! Pure. A grant written in a way this cannot cut safely (its `- ` not on the `api:` line) is
//! reported instead of guessed at.

use std::ops::Range;

/// Why a grant could not be cut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot remove the grant at byte {at}: its list item does not start on the `api:` line")]
pub struct Uncuttable {
    /// The `api:` value's offset.
    pub at: usize,
}

/// Line ranges (byte offsets of `text`) of the list items holding each `api:` value at `offsets`.
fn item(text: &str, offset: usize) -> Result<Range<usize>, Uncuttable> {
    let line_start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let indent = line.len() - line.trim_start_matches(' ').len();
    let head = &line[indent..];
    if !head.starts_with("- ") && !head.starts_with("-\t") {
        return Err(Uncuttable { at: offset });
    }
    let mut end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i + 1);
    while end < text.len() {
        let next_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        let next = &text[end..next_end];
        let trimmed = next.trim_start_matches(' ');
        let next_indent = next.len() - trimmed.len();
        let blank = trimmed.trim().is_empty();
        if !blank && next_indent <= indent {
            break;
        }
        if blank {
            // A blank line belongs to the item only when the item goes on after it.
            let rest = &text[next_end..];
            let more = rest.lines().find(|l| !l.trim().is_empty());
            let continues =
                more.is_some_and(|l| l.len() - l.trim_start_matches(' ').len() > indent);
            if !continues {
                break;
            }
        }
        end = next_end;
    }
    Ok(line_start..end)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `grants:` keys left without items become `grants: []` (a bare key would be null).
fn close_empty_lists(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let key_indent = indent(body);
        let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
        let has_items = next.is_some_and(|l| {
            let n = indent(l);
            n > key_indent || (n == key_indent && l.trim_start().starts_with("- "))
        });
        if body.trim() == "grants:" && !has_items {
            out.push_str(body);
            out.push_str(" []");
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `text` without the grant items whose `api:` values start at `offsets`; a `grants:` list
/// left empty becomes `grants: []`.
pub fn remove_grants(text: &str, offsets: &[usize]) -> Result<String, Uncuttable> {
    let mut cuts: Vec<Range<usize>> = offsets
        .iter()
        .map(|&o| item(text, o))
        .collect::<Result<_, _>>()?;
    cuts.sort_by_key(|r| r.start);
    cuts.dedup();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for cut in cuts {
        if cut.start < at {
            continue;
        }
        out.push_str(&text[at..cut.start]);
        at = cut.end;
    }
    out.push_str(&text[at..]);
    Ok(close_empty_lists(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "applications:
  - name: a
    grants:
      - api: https://orders/   # keep me
        scopes: [read:orders]
      - api: management
        scopes:
          - read:clients

      - {api: https://x/, scopes: [r]}
    metadata: {owner: me}
";

    fn at(needle: &str) -> usize {
        CONFIG.find(needle).unwrap()
    }

    #[test]
    fn removes_exactly_the_grant_items() {
        let cases: Vec<(Vec<usize>, &str)> = vec![
            (
                vec![at("management")],
                "applications:\n  - name: a\n    grants:\n      - api: https://orders/   # keep me\n        scopes: [read:orders]\n\n      - {api: https://x/, scopes: [r]}\n    metadata: {owner: me}\n",
            ),
            (
                vec![at("https://orders/")],
                "applications:\n  - name: a\n    grants:\n      - api: management\n        scopes:\n          - read:clients\n\n      - {api: https://x/, scopes: [r]}\n    metadata: {owner: me}\n",
            ),
            (
                vec![at("https://x/")],
                "applications:\n  - name: a\n    grants:\n      - api: https://orders/   # keep me\n        scopes: [read:orders]\n      - api: management\n        scopes:\n          - read:clients\n\n    metadata: {owner: me}\n",
            ),
            (vec![], CONFIG),
            (
                vec![at("https://orders/"), at("management"), at("https://x/")],
                "applications:\n  - name: a\n    grants: []\n\n    metadata: {owner: me}\n",
            ),
        ];
        for (offsets, want) in cases {
            assert_eq!(
                remove_grants(CONFIG, &offsets).unwrap(),
                want,
                "{offsets:?}"
            );
        }
    }

    #[test]
    fn an_item_not_starting_on_the_api_line_is_refused() {
        let text = "grants:\n  - scopes: [a]\n    api: x\n";
        assert!(remove_grants(text, &[text.find("x\n").unwrap()]).is_err());
    }
}
