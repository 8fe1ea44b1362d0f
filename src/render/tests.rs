//! Snapshot tests of the three renderers on a representative plan and on an empty plan.

use crate::plan::fixtures::{app, desired, managed, remote, sample_plan};
use crate::plan::{PlanOptions, diff};

use super::{json, markdown, text};

fn render(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    f(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn empty_plan() -> crate::plan::Plan {
    let tenant = remote(vec![managed("c1", "billing")], vec![], vec![]);
    diff(
        &desired(vec![app("billing")], vec![]),
        &tenant,
        &PlanOptions::default(),
    )
    .unwrap()
}

#[test]
fn text_sample() {
    insta::assert_snapshot!(render(|o| text(&sample_plan(), o, false)));
}

#[test]
fn text_sample_color() {
    insta::assert_snapshot!(render(|o| text(&sample_plan(), o, true)));
}

#[test]
fn text_empty() {
    let out = render(|o| text(&empty_plan(), o, false));
    assert_eq!(out, "No changes. The tenant matches the configuration.\n");
    insta::assert_snapshot!(out);
}

#[test]
fn text_with_only_warnings_starts_with_them() {
    let mut plan = empty_plan();
    plan.warnings.push(crate::plan::Warning {
        address: Some("application.old".into()),
        message: "managed application `old` is not in the config".into(),
    });
    let out = render(|o| text(&plan, o, false));
    assert_eq!(
        out,
        "Warning: application.old: managed application `old` is not in the config\n\n\
         No changes. The tenant matches the configuration.\n"
    );
}

#[test]
fn markdown_sample() {
    insta::assert_snapshot!(render(|o| markdown(&sample_plan(), o)));
}

#[test]
fn markdown_empty() {
    insta::assert_snapshot!(render(|o| markdown(&empty_plan(), o)));
}

#[test]
fn json_sample() {
    insta::assert_snapshot!(render(|o| json(&sample_plan(), o)));
}

#[test]
fn json_empty() {
    insta::assert_snapshot!(render(|o| json(&empty_plan(), o)));
}

#[test]
fn blocked_plan_says_so_in_text_and_markdown() {
    let mut d = desired(vec![], vec![]);
    d.settings.max_deletes = 0;
    let tenant = remote(vec![managed("c1", "gone")], vec![], vec![]);
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = diff(&d, &tenant, &options).unwrap();
    let t = render(|o| text(&plan, o, false));
    assert!(
        t.contains("Blocked: this plan deletes 1 objects, more than `max_deletes` (0)"),
        "{t}"
    );
    assert!(
        t.ends_with("Plan: 0 to create, 0 to update, 1 to delete.\n"),
        "{t}"
    );
    let m = render(|o| markdown(&plan, o));
    assert!(
        m.contains("> [!CAUTION]\n> this plan deletes 1 objects"),
        "{m}"
    );
    let j: serde_json::Value = serde_json::from_str(&render(|o| json(&plan, o))).unwrap();
    assert_eq!(
        j["blocked"],
        serde_json::json!({"deletes": 1, "max_deletes": 0})
    );
}

/// No key of any plan document can hold a secret: walk every JSON key of the rendered plan and of
/// a saved plan.
#[test]
fn no_secret_field_anywhere() {
    fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let plan = sample_plan();
    let saved = crate::plan::SavedPlan::new(
        plan.clone(),
        desired(vec![app("billing")], vec![]),
        PlanOptions::default(),
    );
    for doc in [render(|o| json(&plan, o)), saved.to_json()] {
        let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
        let mut all = Vec::new();
        keys(&value, &mut all);
        assert!(all.len() > 20, "walked too few keys: {all:?}");
        for k in all {
            let k = k.to_lowercase();
            assert!(
                !k.contains("secret") && !k.contains("token")
                    || k.contains("token_lifetime")
                    || k == "token_endpoint_auth_method",
                "suspicious key `{k}`"
            );
        }
        assert!(!doc.contains("\"client_secret\""));
    }
}

/// A hostile tenant: names, descriptions, metadata, marker keys, grant ids and audiences holding
/// terminal escapes, newlines that forge plan lines, bidi overrides, and markdown/HTML that would
/// break out of the PR comment's table, code span or `<details>` block.
fn hostile_plan() -> crate::plan::Plan {
    use crate::plan::fixtures::{client, rgrant};
    const EVIL: &str = "\u{1b}[2J\u{1b}[32mok\n  + application.fake will be created\r\u{202e}|`</code></summary></details><script>alert(1)</script>```\u{7f}\u{9b}";
    let mut tenant_billing = managed("cl_billing", "billing");
    tenant_billing.name = EVIL.into();
    tenant_billing.description = Some(format!("{EVIL} and a long enough description"));
    tenant_billing
        .client_metadata
        .insert(EVIL.into(), EVIL.into());
    let stale = client(
        "cl_x",
        EVIL,
        Some(&format!("{}:{EVIL}", crate::plan::fixtures::PROJECT)),
    );
    let mut billing = app("billing");
    billing.description = Some("a plain description that is long enough to diff".into());
    let tenant = remote(
        vec![tenant_billing, stale],
        vec![rgrant("cgr_1\u{1b}[1m", "cl_x", EVIL, &[EVIL])],
        vec![],
    );
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    diff(&desired(vec![billing], vec![]), &tenant, &options).unwrap()
}

#[test]
fn hostile_tenant_strings_never_reach_a_terminal_raw() {
    let plan = hostile_plan();
    assert!(!plan.changes.is_empty());
    let t = render(|o| text(&plan, o, false));
    for raw in ['\u{1b}', '\r', '\u{202e}', '\u{7f}', '\u{9b}'] {
        assert!(!t.contains(raw), "raw {raw:?} in:\n{t}");
    }
    assert!(
        !t.lines()
            .any(|l| l.trim_start().starts_with("+ application.fake")),
        "a forged line:\n{t}"
    );
    assert!(t.contains("\\u{1b}[2J"), "escaped, still visible:\n{t}");
    // With colour on, the only escapes are m2mctl's own SGR codes.
    let colored = render(|o| text(&plan, o, true));
    assert!(!colored.contains("\u{1b}[2J"), "{colored}");
}

#[test]
fn hostile_tenant_strings_never_break_out_of_the_markdown() {
    let plan = hostile_plan();
    let m = render(|o| markdown(&plan, o));
    for raw in ['\u{1b}', '\r', '\u{202e}', '\u{7f}', '\u{9b}'] {
        assert!(!m.contains(raw), "raw {raw:?} in:\n{m}");
    }
    // Outside the fenced diff blocks (where HTML is inert text) no tag the tenant wrote survives.
    let mut in_fence = false;
    for line in m.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            assert!(!line.contains("<script"), "{line}");
            assert!(!line.contains("</code></summary></details>"), "{line}");
        }
    }
    // Structure: as many `<details>` closes and `<code>` closes as m2mctl wrote.
    let sections = plan.changes.len();
    assert_eq!(
        m.lines().filter(|l| *l == "</details>").count(),
        sections,
        "{m}"
    );
    let summaries = m.lines().filter(|l| l.starts_with("<details><summary>"));
    for summary in summaries {
        assert_eq!(summary.matches("</summary>").count(), 1, "{summary}");
        assert_eq!(summary.matches("</code>").count(), 1, "{summary}");
    }
    // Each table row keeps its three cells: four unescaped pipes.
    for row in m.lines().filter(|l| l.starts_with("| `")) {
        let bytes = row.as_bytes();
        let pipes = (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count();
        assert_eq!(pipes, 4, "{row}");
    }
    // Each diff block is closed by its own fence: no line inside starts a longer one.
    let fences: Vec<&str> = m.lines().filter(|l| l.starts_with("```")).collect();
    assert_eq!(fences.len(), 2 * sections, "{m}");
}

/// The sample plan with one config error and one tenant warning (whose client name tries to
/// break the markdown table).
fn violating_plan() -> crate::plan::Plan {
    use crate::policy::{At, Rule, Severity, Violation};
    let mut plan = sample_plan();
    let source = "version: 1\napplications:\n  - name: billing\n";
    plan.violations = vec![
        Violation {
            rule: Rule::RequiredMetadata,
            severity: Severity::Error,
            address: "application.billing".into(),
            message: "`billing` has no `owner` metadata, which the policy requires".into(),
            help: "add `metadata: { owner: ... }` to this application".into(),
            at: Some(At::new(
                "m2mctl.yaml",
                source,
                35..42,
                "no `metadata.owner`",
            )),
            rule_at: None,
        },
        Violation {
            rule: Rule::ForbiddenScopes,
            severity: Severity::Warning,
            address: "client.abc".into(),
            message: "client `x | <b>y</b>` (abc, not managed by m2mctl) is granted `delete:users`"
                .into(),
            help: "h".into(),
            at: None,
            rule_at: None,
        },
    ];
    plan
}

#[test]
fn violations_come_first_in_text_and_markdown() {
    let plan = violating_plan();
    let md = render(|o| markdown(&plan, o));
    insta::assert_snapshot!("markdown_violations", md);
    let policy_at = md.find("**Policy:**").unwrap();
    assert!(policy_at < md.find("**Plan:").unwrap(), "{md}");
    assert!(!md.contains("<b>"), "{md}");
    let txt = render(|o| text(&plan, o, false));
    insta::assert_snapshot!("text_violations", txt);
    assert!(
        txt.starts_with("Policy: this plan violates the policy (1 violation)"),
        "{txt}"
    );
    let js: serde_json::Value = serde_json::from_str(&render(|o| json(&plan, o))).unwrap();
    assert_eq!(js["policy_violations"][0]["at"]["line"], 3);
    assert_eq!(js["policy_violations"][1]["severity"], "warning");
}
