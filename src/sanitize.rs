//! Untrusted text made safe to show: control characters escaped for terminals and logs,
//! markdown/HTML metacharacters escaped for pull-request comments, secrets and tokens redacted
//! from what a server says.
//!
//! Owns the escaping rules every renderer, error and log line shares. Pure: no I/O. Must not
//! decide what is shown (renderers and errors do).

use std::borrow::Cow;

/// What a redacted secret or token is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// True for characters that can move the cursor, recolour or rewrite a terminal, or reorder text:
/// C0 and C1 controls, DEL, and the Unicode bidirectional overrides and isolates.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character escaped (`\n`, `\t`, `\r`, else `\u{1b}`), borrowed when
/// there is none.
pub fn control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` for a markdown table cell or list item: control characters escaped, then `\`, `|`,
/// `` ` ``, `*`, `_`, `[`, `]`, `<`, `>` and `&` made literal (HTML entities for `<`, `>`, `&`).
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in control(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` for an HTML context (`<summary>`, `<code>`): control characters escaped, `&`, `<`, `>`,
/// `"` and `|` as entities (a `|` would still split a table row).
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in control(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` with each of `secrets` (values shorter than 4 characters are ignored) and anything
/// shaped like a JWT replaced by [`REDACTED`], then control characters escaped.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    let out = redact_jwts(&out);
    control(&out).into_owned()
}

/// Replaces `header.payload[.signature]` runs of base64url whose header starts `eyJ` (`{"`).
fn redact_jwts(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let run = from
            .char_indices()
            .find(|&(_, c)| !(is_b64(c) || c == '.'))
            .map_or(from.len(), |(i, _)| i);
        // A sentence's full stop after a token is not part of it.
        let candidate = from[..run].trim_end_matches('.');
        let len = candidate.len();
        let parts = candidate.split('.').filter(|p| !p.is_empty()).count();
        if parts >= 2 {
            out.push_str(REDACTED);
        } else {
            out.push_str(candidate);
        }
        rest = &from[len..];
        if len == 0 {
            // Not reachable ("eyJ" is base64url), but never loop forever.
            break;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_table() {
        let cases = [
            ("plain name", "plain name"),
            ("a\nb", "a\\nb"),
            ("tab\there", "tab\\there"),
            ("\x1b[2J\x1b[31mred", "\\u{1b}[2J\\u{1b}[31mred"),
            ("bell\x07", "bell\\u{7}"),
            ("del\x7f", "del\\u{7f}"),
            ("c1\u{9b}31m", "c1\\u{9b}31m"),
            ("rtl\u{202E}txt.exe", "rtl\\u{202e}txt.exe"),
            ("isolate\u{2066}x\u{2069}", "isolate\\u{2066}x\\u{2069}"),
            ("ünïcödé ✓", "ünïcödé ✓"),
            ("cr\roverwrite", "cr\\roverwrite"),
        ];
        for (input, want) in cases {
            assert_eq!(control(input), want, "{input:?}");
        }
        assert!(matches!(control("clean"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_and_html_metacharacters_are_literal_table() {
        let cases = [
            ("a|b", "a\\|b"),
            ("`code`", "\\`code\\`"),
            (
                "<img src=x onerror=alert(1)>",
                "&lt;img src=x onerror=alert(1)&gt;",
            ),
            ("[click](https://evil)", "\\[click\\](https://evil)"),
            ("**bold** _it_", "\\*\\*bold\\*\\* \\_it\\_"),
            ("line\n# heading", "line\\\\n\\# heading"),
            ("a & b", "a &amp; b"),
        ];
        for (input, want) in cases {
            assert_eq!(markdown(input), want, "{input:?}");
        }
        assert_eq!(
            html("</code></summary><script>x</script>|`"),
            "&lt;/code&gt;&lt;/summary&gt;&lt;script&gt;x&lt;/script&gt;&#124;&#96;"
        );
    }

    #[test]
    fn secrets_and_jwts_are_redacted_table() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let cases = [
            ("bad secret s3cr3t-value here", "bad secret [REDACTED] here"),
            (
                "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl.",
                "token [REDACTED].",
            ),
            (
                "two: s3cr3t-value and s3cr3t-value",
                "two: [REDACTED] and [REDACTED]",
            ),
            ("short abc stays", "short abc stays"),
            ("eyJ alone is not a token", "eyJ alone is not a token"),
            ("ends with eyJ", "ends with eyJ"),
            ("ctl\x1b[0m", "ctl\\u{1b}[0m"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input, &["s3cr3t-value", "abc"]), want, "{input:?}");
        }
        assert!(!redact(&format!("Bearer {jwt}"), &[]).contains("eyJhbGci"));
    }
}
