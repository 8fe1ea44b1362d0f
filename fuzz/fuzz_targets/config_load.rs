//! Fuzz target: `config::load_str` on arbitrary bytes must never panic, hang or overflow.
//!
//! The input's first line (up to `\n`) is split into `--var` style `KEY=VALUE` pairs so that
//! substitution paths (defined, undefined, empty values, values with YAML syntax) are exercised
//! too; the rest is the config text. Every error is rendered, so the span mapping is checked
//! against the original text (miette panics on out-of-range spans would show up here).
//!
//! Run: `cd fuzz && cargo +nightly fuzz run config_load corpus/config_load -- -max_total_time=600`

#![no_main]

use libfuzzer_sys::fuzz_target;
use m2mctl::config::{self, Vars};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (head, body) = text.split_once('\n').unwrap_or(("", text));
    let pairs = head
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("\\n", "\n")));
    let vars = Vars::from_map(pairs);
    match config::load_str("fuzz.yaml", body, &vars) {
        Ok(loaded) => {
            let _ = loaded.summary();
        }
        Err(err) => {
            for problem in err.problems() {
                for label in &problem.finding().labels {
                    assert!(label.span.start <= label.span.end && label.span.end <= body.len());
                    assert!(body.is_char_boundary(label.span.start) && body.is_char_boundary(label.span.end));
                }
            }
            let _ = config::render(&err, false, 80);
        }
    }
});
