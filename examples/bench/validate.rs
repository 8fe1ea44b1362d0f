//! Round-2 `validate` rows: `m2mctl validate` of a large config against the 200 ms aim, and the
//! floor it cannot beat, measured in this process on the same text: the YAML library alone
//! (serde-saphyr into `serde_json::Value`, no substitution, no checks) and m2mctl's whole
//! `config::load_str`. Two files: the benchmark's own shape (one grant per app, no variables)
//! and `examples/gen_config`'s (two or three grants, metadata and `${VAR:-default}` values).
//!
//! Owns these rows only.

use std::path::Path;
use std::time::Duration;

use m2mctl::config::{self, Vars};

use crate::round2::{Ran, Row, load, run, thread_cpu, write};
use crate::seed::Shape;

/// The aim of issue 18.
const AIM: Duration = Duration::from_millis(200);

/// The least CPU time of this thread over `repeat` calls of `f` (10 ms resolution; steadier
/// than wall time on a loaded machine).
fn best<E>(repeat: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<Duration, E> {
    let mut best = Duration::MAX;
    for _ in 0..repeat.max(1) {
        let started = thread_cpu();
        f()?;
        best = best.min(thread_cpu().saturating_sub(started));
    }
    Ok(best)
}

/// The YAML library alone, with the parser budget m2mctl uses for large files.
fn yaml_alone(text: &str) -> Result<(), String> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 5_000_000;
    budget.max_events = 10_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options::<serde_json::Value>(text, options)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The typed parse alone (serde-saphyr into m2mctl's `ConfigFile`, values with their spans) of
/// `text` with every `${NAME:-default}` replaced by its default: what `load_str` does minus
/// substitution, the strict-scalar pass and the rule checks.
fn typed_alone(text: &str) -> Result<(), String> {
    let mut resolved = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        resolved.push_str(&rest[..at]);
        let end = rest[at..].find('}').ok_or("unclosed ${")? + at;
        let inner = &rest[at + 2..end];
        resolved.push_str(inner.split_once(":-").map_or("", |(_, d)| d));
        rest = &rest[end + 1..];
    }
    resolved.push_str(rest);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 5_000_000;
    budget.max_events = 10_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options::<config::ConfigFile>(&resolved, options)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The generated file of `examples/gen_config` (built next to this benchmark).
fn gen_config(apps: usize) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let gen_bin = exe.with_file_name("gen_config");
    let out = std::process::Command::new(&gen_bin)
        .arg(apps.to_string())
        .output()
        .map_err(|e| format!("{}: {e}", gen_bin.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed", gen_bin.display()));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// `validate` of `apps` applications in both files.
pub(crate) fn rows(
    bin: &Path,
    dir: &Path,
    apps: usize,
    repeat: usize,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let files = [
        (
            "bench shape (1 grant each)",
            Shape::new(apps, 20).config_yaml("example.auth0.com"),
        ),
        (
            "gen_config (2–3 grants, metadata, ${VAR})",
            gen_config(apps)?,
        ),
    ];
    for (i, (label, text)) in files.into_iter().enumerate() {
        let work = dir.join(format!("validate-{i}"));
        write(&work.join("m2mctl.yaml"), &text)?;
        let mut process: Option<Ran> = None;
        for _ in 0..repeat.max(1) {
            let ran = run(bin, &work, &["validate"], &[])?;
            process = Some(process.map_or(ran, |b| b.min(ran)));
        }
        let process = process.ok_or("no run")?;
        let vars = Vars::empty();
        let in_process = best(repeat, || {
            config::load_str("m2mctl.yaml", &text, &vars)
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        })?;
        let floor = best(repeat, || yaml_alone(&text))?;
        let typed = best(repeat, || typed_alone(&text))?;
        let size = format!("{:.1} MB", text.len() as f64 / 1e6);
        rows.push(Row {
            what: format!(
                "`validate`, {apps} apps, {label}, {size}: CPU time (wall), best of {repeat}"
            ),
            measured: format!("{} ({})", ms(process.cpu), ms(process.wall)),
            floor: format!("{} (aim)", ms(AIM)),
            ratio: format!("{:.2}×", process.cpu.as_secs_f64() / AIM.as_secs_f64()),
            requests: "0".into(),
            load: load(),
        });
        rows.push(Row {
            what:
                "… its config load in process, CPU (floor: the YAML library alone on the same text)"
                    .into(),
            measured: ms(in_process),
            floor: ms(floor),
            ratio: format!("{:.2}×", in_process.as_secs_f64() / floor.as_secs_f64()),
            requests: "0".into(),
            load: load(),
        });
        rows.push(Row {
            what: "… of which the typed parse into `ConfigFile` alone (values with spans), CPU"
                .into(),
            measured: ms(typed),
            floor: ms(floor),
            ratio: format!("{:.2}×", typed.as_secs_f64() / floor.as_secs_f64()),
            requests: "0".into(),
            load: load(),
        });
    }
    Ok(())
}
