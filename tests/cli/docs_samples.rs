//! Console samples in README.md, CONTRIBUTING.md, ARCHITECTURE.md and docs/*.md are the real output
//! (what trycmd does for its own syntax, with filters that keep the docs readable).
//!
//! - Every ```console block is run: each `$ m2mctl …` line (optionally preceded by `VAR=value`
//!   words; `\` continues a line) runs the real binary, and what it prints — stdout and stderr
//!   through one pipe, in the order a terminal shows them — must equal the lines under it.
//! - The samples of one file run in order, in one fresh temp dir holding copies of `examples/`,
//!   `schemas/` and `tests/fixtures/config/`, with the environment of the CLI tests: `NO_COLOR=1`,
//!   no `AUTH0_*`, the token cache in the temp dir, and every proxy variable pointing at a closed
//!   port (so a sample that would reach past 127.0.0.1 fails instead of touching the network).
//!   Configs with `domain: local` run on their embedded local tenant.
//! - Both sides are normalised before comparing ([`normalize`]): ports, the temp dir, client ids,
//!   `cgr_…` and API ids, timestamps, durations, request counts, secrets and tokens. A doc may
//!   therefore show a realistic value (`client_id IizHJzrkh6uZT0Ui856fwg2Gttg3eGxr`) or a
//!   placeholder (`[SECRET]`).
//! - `<!-- sample: not run: REASON -->` on the line before a fence marks a sample that cannot run
//!   here (a real tenant, a server that runs until stopped, another tool); they are counted.
//!   `<!-- sample: before: m2mctl … -->` runs a setup command at that point (it must exit 0; its
//!   output is not shown).
//! - `M2MCTL_DOCS=overwrite cargo test --test cli docs_samples` rewrites every sample that
//!   differs with the real output (secrets and tokens replaced by placeholders, the temp dir by
//!   [`DOC_DIR`]); review the diff before committing.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::docs::{documents, root};
use crate::docs_parse::{CommandLine, Samples, Step, command_line, parse};
use crate::support::VOLATILE;

/// What the temp dir is shown as in the docs.
const DOC_DIR: &str = "/src/infra";

/// How long one sample command may run: far above any sample's time even on a loaded machine; it
/// only stops a sample that never ends (a server) from hanging the suite.
const HANG: std::time::Duration = std::time::Duration::from_secs(300);

/// Exit code and the merged stdout + stderr of one command, run in `dir`.
fn run(dir: &Path, command: &str) -> (Option<i32>, String) {
    let CommandLine { env, args } = command_line(command).unwrap_or_else(|e| panic!("{e}"));
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_m2mctl"));
    cmd.args(&args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone().expect("pipe"))
        .stderr(writer);
    for key in [
        "AUTH0_DOMAIN",
        "AUTH0_ACCESS_TOKEN",
        "AUTH0_CLIENT_ID",
        "AUTH0_CLIENT_SECRET",
        "M2MCTL_CA_CERT",
        "M2MCTL_LOG",
    ] {
        cmd.env_remove(key);
    }
    // nothing but 127.0.0.1 is reachable: a sample that needs the network fails here
    for key in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env(key, "http://127.0.0.1:9");
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("NO_COLOR", "1")
        .env("M2MCTL_CACHE_DIR", dir.join(".cache"));
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run m2mctl");
    drop(cmd); // closes our copies of the pipe's write end
    let reading = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut out).expect("read output");
        String::from_utf8_lossy(&out).into_owned()
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            panic!("`{command}` did not end: mark the sample `<!-- sample: not run: … -->`");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (status.code(), reading.join().expect("reader"))
}

/// [`VOLATILE`], then ports and table padding, as regexes.
static FILTERS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    VOLATILE
        .iter()
        .copied()
        .chain([
            (r"(127\.0\.0\.1|localhost):\d+", "${1}:[PORT]"),
            // one more token request when the local tenant's port had to change between commands
            (r"\b\d+ requests\b", "[N] requests"),
            // table columns move with the width of what the filters replaced
            (r"(\S) {2,}", "${1}  "),
        ])
        .map(|(p, r)| (Regex::new(p).expect("filter"), r))
        .collect()
});

/// `text` with the temp dir shown as [`DOC_DIR`], trailing spaces and blank lines at the end
/// dropped, and every filter applied.
fn normalize(text: &str, dir: &Path) -> String {
    let mut text = redact_dir(text, dir);
    for (pattern, replacement) in FILTERS.iter() {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

fn redact_dir(text: &str, dir: &Path) -> String {
    let mut text = text.to_string();
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for d in [canonical.as_path(), dir] {
        text = text.replace(&d.display().to_string(), DOC_DIR);
    }
    text
}

/// What overwrite mode writes: the real output without secrets, tokens or the temp dir.
fn redact(text: &str, dir: &Path) -> String {
    let mut text = redact_dir(text, dir);
    // the token filters, then the secret filter; a sha256 (a plan's fingerprint) is no secret
    for (pattern, replacement) in [&FILTERS[0], &FILTERS[1], &FILTERS[3]] {
        text = pattern
            .replace_all(&text, |caps: &regex::Captures| {
                let all = &caps[0];
                let hex = all.trim_matches(|c: char| !c.is_ascii_alphanumeric());
                if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return all.to_string();
                }
                let mut out = String::new();
                caps.expand(replacement, &mut out);
                out
            })
            .into_owned();
    }
    text
}

/// A temp dir holding what the samples read, as a fresh clone has it (no local-tenant state).
/// It is `<temp>/infra`, so that `m2mctl init` names the project `infra`.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("infra");
    for sub in ["examples", "schemas", "tests/fixtures/config"] {
        copy_tree(&root().join(sub), &dir.join(sub));
    }
    (temp, dir)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // a local tenant's `.m2mctl/` and other generated state
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        }
    }
}

/// Runs one document's samples; returns the mismatches (and rewrites them in overwrite mode).
fn check(doc: &Path, samples: &Samples, overwrite: bool) -> Vec<String> {
    let name = doc
        .strip_prefix(root())
        .unwrap_or(doc)
        .display()
        .to_string();
    let (_temp, dir) = workspace();
    let dir = dir.as_path();
    let mut failures = Vec::new();
    let mut rewrites: Vec<(&Step, String)> = Vec::new();
    for step in &samples.steps {
        let (code, actual) = run(dir, &step.command);
        let Some(expected) = &step.expected else {
            assert_eq!(
                code,
                Some(0),
                "{name}:{}: setup `{}` failed:\n{actual}",
                step.line,
                step.command
            );
            continue;
        };
        let (want, got) = (normalize(expected, dir), normalize(&actual, dir));
        if want == got {
            continue;
        }
        let diff = similar::TextDiff::from_lines(&want, &got)
            .unified_diff()
            .header("the doc", "the real output (normalised)")
            .to_string();
        failures.push(format!(
            "{name}:{}: `{}` (exit {code:?}) prints something else:\n{diff}",
            step.line, step.command
        ));
        rewrites.push((step, redact(&actual, dir)));
    }
    if overwrite && !rewrites.is_empty() {
        let text = std::fs::read_to_string(doc).expect("read");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (step, output) in rewrites.into_iter().rev() {
            let new = output.trim_end().lines().map(|l| match l {
                "" => String::new(),
                l => format!("{}{}", step.indent, l.trim_end()),
            });
            let (start, end) = step.output_lines;
            lines.splice(start..end, new);
        }
        std::fs::write(doc, lines.join("\n") + "\n").expect("write");
    }
    failures
}

#[test]
fn console_samples_are_the_real_output() {
    let overwrite = std::env::var("M2MCTL_DOCS").is_ok_and(|v| v == "overwrite");
    let (mut blocks, mut commands, mut not_run) = (0, 0, Vec::new());
    let mut failures = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read");
        let samples = parse(&text);
        let name = doc
            .strip_prefix(root())
            .unwrap_or(&doc)
            .display()
            .to_string();
        blocks += samples.blocks_run;
        commands += samples
            .steps
            .iter()
            .filter(|s| s.expected.is_some())
            .count();
        not_run.extend(
            samples
                .not_run
                .iter()
                .map(|(l, r)| format!("{name}:{l}: {r}")),
        );
        for step in &samples.steps {
            if let Err(e) = command_line(&step.command) {
                panic!(
                    "{name}:{}: {e}: mark the sample `<!-- sample: not run: REASON -->`",
                    step.line
                );
            }
        }
        if !samples.steps.is_empty() {
            failures.extend(check(&doc, &samples, overwrite));
        }
    }
    eprintln!(
        "doc samples: {blocks} console blocks ({commands} commands) run, {} not run:\n  {}",
        not_run.len(),
        not_run.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} console samples differ from the real output{}:\n\n{}",
        failures.len(),
        if overwrite {
            " (rewritten: review `git diff`)"
        } else {
            "; fix the doc, or run `M2MCTL_DOCS=overwrite cargo test --test cli docs_samples` \
             and review the diff"
        },
        failures.join("\n")
    );
    assert!(commands >= 15, "only {commands} sample commands run");
}

#[test]
fn the_filters_hide_what_changes_from_run_to_run_and_nothing_else() {
    let dir = Path::new("/tmp/.tmpAbC123");
    let real = [
        "using the local tenant (state: /tmp/.tmpAbC123/examples/.m2mctl/local-tenant.json)",
        "+ application.billing created (client_id IizHJzrkh6uZT0Ui856fwg2Gttg3eGxr)",
        "+ grant.platform -> management created (cgr_q4pJeXJ8fKHt3JHi)",
        "~ api.https://orders.dev.example.com/ (2903e78db51e80968910df1f)",
        "      + audience: \"https://127.0.0.1:34679/api/v2/\"   ",
        "export M2M_BILLING_CLIENT_SECRET='-WerUrq7MzX65Bo-phyyujM-o_SWjjUFbxqNLT7tVfsXojHBIjJcyOXfSz2ngtkt'",
        "billing  2026-11-30T14:27:03Z (in 1h 0m)  cache  …_sUh1Ycg",
        "Apply complete: 9 created, 0 updated, 0 deleted — 16 requests, 0 retried, 0.0 s",
        "\"access_token\": \"eyJ0eXAiOiJKV1Qi.eyJpc3MiOi.BCYTxJvtZiqHsy\"",
        "",
        "",
    ]
    .join("\n");
    let real = real.as_str();
    assert_eq!(
        normalize(real, dir),
        "\
using the local tenant (state: /src/infra/examples/.m2mctl/local-tenant.json)
+ application.billing created (client_id [CLIENT_ID])
+ grant.platform -> management created (cgr_[ID])
~ api.https://orders.dev.example.com/ ([API_ID])
      + audience: \"https://127.0.0.1:[PORT]/api/v2/\"
export M2M_BILLING_CLIENT_SECRET='[SECRET]'
billing  [TIMESTAMP] (in [DURATION])  cache  …[TOKEN]
Apply complete: 9 created, 0 updated, 0 deleted — [N] requests, 0 retried, [DURATION]
\"access_token\": \"[TOKEN]\""
    );
    // change counts, names and scopes are compared as they are (request counts are not)
    assert_ne!(
        normalize("Plan: 9 to create", dir),
        normalize("Plan: 8 to create", dir)
    );
    let redacted = redact(real, dir);
    assert!(!redacted.contains("WerUrq7") && !redacted.contains("eyJ0eXAi"));
    assert!(redacted.contains("IizHJzrkh6uZT0Ui856fwg2Gttg3eGxr"));
    let fingerprint =
        "\"fingerprint\": \"96252936c952c22b5493453ccab5009d893b561dbe359e67d1f6b6e20088d775\"";
    assert_eq!(redact(fingerprint, dir), fingerprint);
}
