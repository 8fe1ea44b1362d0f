//! Every invalid config under `tests/fixtures/config/invalid/` through the real binary
//! (`m2mctl validate -f …`): exit 1, the expected diagnostic code, a located snippet, and an insta
//! snapshot of the rendered diagnostics (NO_COLOR, unicode, unwrapped: stderr is not a terminal). No network.
//!
//! Fixture header lines: `# expect: <code>` (required) and `# vars: K=V ...` (passed as `--var`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Fixture directory relative to the crate root (the binary runs there, so paths print short).
const DIR: &str = "tests/fixtures/config/invalid";

struct Fixture {
    path: PathBuf,
    stem: String,
    expect: String,
    vars: Vec<String>,
}

fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Fixture> = std::fs::read_dir(root.join(DIR))
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixture text");
            let header = |key: &str| {
                text.lines()
                    .take_while(|l| l.starts_with('#'))
                    .find_map(|l| l.strip_prefix(&format!("# {key}: ")).map(str::to_string))
            };
            Fixture {
                stem: path.file_stem().unwrap().to_string_lossy().into_owned(),
                expect: header("expect").unwrap_or_else(|| panic!("{path:?} has no `# expect:`")),
                vars: header("vars")
                    .map(|v| v.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
                path: Path::new(DIR).join(path.file_name().unwrap()),
            }
        })
        .collect();
    out.sort_by(|a, b| a.stem.cmp(&b.stem));
    out
}

fn validate(fixture: &Fixture) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_m2mctl"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("NO_COLOR", "1")
        .arg("validate")
        .arg("-f")
        .arg(&fixture.path);
    for var in &fixture.vars {
        cmd.arg("--var").arg(var);
    }
    cmd.output().expect("run m2mctl")
}

#[test]
fn there_are_at_least_forty_invalid_fixtures() {
    assert!(fixtures().len() >= 40, "only {} fixtures", fixtures().len());
}

#[test]
fn every_invalid_config_fails_with_a_located_snapshot() {
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let out = validate(&fixture);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let file = fixture.path.display().to_string();
        let located = stderr.contains(&format!("[{file}:"));
        if out.status.code() != Some(1) || !stdout.is_empty() {
            failures.push(format!(
                "{}: exit {:?}, stdout {stdout:?}",
                fixture.stem,
                out.status.code()
            ));
        } else if !stderr.contains(&fixture.expect) {
            failures.push(format!(
                "{}: no `{}` in\n{stderr}",
                fixture.stem, fixture.expect
            ));
        } else if !located || !stderr.contains("help:") {
            failures.push(format!(
                "{}: no line:column snippet or help in\n{stderr}",
                fixture.stem
            ));
        }
        insta::with_settings!({
            snapshot_path => "snapshots/config_invalid",
            prepend_module_to_snapshot => false,
            description => format!("m2mctl validate -f {file}"),
        }, {
            insta::assert_snapshot!(fixture.stem.as_str(), stderr);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_fixture_fails_the_library_loader_with_the_same_code() {
    for fixture in fixtures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join(&fixture.path)).unwrap();
        let mut vars = m2mctl::config::Vars::empty();
        vars.apply_args(&fixture.vars).unwrap();
        let err = m2mctl::config::load_str(&fixture.stem, &text, &vars).expect_err(&fixture.stem);
        let codes: Vec<&str> = err.problems().iter().map(|p| p.finding().code).collect();
        assert!(
            codes.contains(&fixture.expect.as_str()),
            "{}: {codes:?}",
            fixture.stem
        );
        for problem in err.problems() {
            let f = problem.finding();
            assert!(
                !f.help.is_empty(),
                "{}: `{}` has no help",
                fixture.stem,
                f.code
            );
            assert!(
                !f.labels.is_empty(),
                "{}: `{}` has no label",
                fixture.stem,
                f.code
            );
            assert!(
                f.labels.iter().all(|l| l.span.end <= text.len()),
                "{}",
                fixture.stem
            );
        }
    }
}
