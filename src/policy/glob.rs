//! Glob patterns of the policy (`delete:*`, `reporting-*`, `read:?sers`): `*` matches any run of
//! characters (`:` included), `?` exactly one, everything else itself, case-sensitively.
//!
//! Written by hand: scope names are not paths, so path globbers (globset, glob) would give `*`
//! and `/` meanings that do not apply here. Pure, linear-time (no backtracking blow-up).

/// Whether `text` matches `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn glob_table() {
        let cases = [
            ("delete:*", "delete:users", true),
            ("delete:*", "delete:", true),
            ("delete:*", "read:users", false),
            ("*", "", true),
            ("*", "anything:at all", true),
            ("read:*", "read:client_grants", true),
            ("*:users", "delete:users", true),
            ("*:users", "delete:users_app_metadata", false),
            ("*users*", "read:users_app_metadata", true),
            ("read:?sers", "read:users", true),
            ("read:?sers", "read:sers", false),
            ("write:refunds", "write:refunds", true),
            ("write:refunds", "write:refund", false),
            ("Delete:*", "delete:users", false),
            ("reporting-*", "reporting-eu", true),
            ("reporting-*", "reporting", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**", "x", true),
            ("", "", true),
            ("", "x", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(matches(pattern, text), want, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(50) + "b";
        let text = "a".repeat(5000);
        assert!(!matches(&pattern, &text));
    }
}
