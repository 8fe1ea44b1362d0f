//! Saved plans are self-contained: `apply PLAN` from another directory applies to the local tenant
//! the plan was made on (never a new empty one), checks the project against the plan's own config
//! (not the working directory's), and says exactly what does not match.

use std::path::Path;

use crate::support::{Run, run_binary};

const QUICKSTART: &str = include_str!("../../examples/quickstart.yaml");

async fn m2mctl(dir: &Path, args: &[&str]) -> Run {
    run_binary(dir, args, &[]).await
}

fn text(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_from_any_directory_to_the_local_tenant_it_was_made_on() {
    let root = tempfile::tempdir().expect("dir");
    let (project, elsewhere) = (root.path().join("infra"), root.path().join("elsewhere"));
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(project.join("m2mctl.yaml"), QUICKSTART).unwrap();
    // another project's config in the directory the plan is applied from: not the plan's business
    std::fs::write(
        elsewhere.join("m2mctl.yaml"),
        QUICKSTART.replace("project: quickstart", "project: someone-else"),
    )
    .unwrap();

    let plan = m2mctl(&project, &["plan", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", text(&plan));
    let plan_file = project.join("plan.json");
    let plan_arg = plan_file.to_str().unwrap();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    let state = project.join(".m2mctl/local-tenant.json");
    assert_eq!(
        saved["local_tenant"],
        std::fs::canonicalize(&project)
            .unwrap()
            .join(".m2mctl/local-tenant.json")
            .display()
            .to_string()
    );

    let run = m2mctl(&elsewhere, &["apply", plan_arg]).await;
    assert_eq!(run.code, 0, "{}", text(&run));
    assert!(
        run.stderr.contains("Apply complete: 9 created"),
        "{}",
        text(&run)
    );
    assert!(
        !elsewhere.join(".m2mctl").exists(),
        "a new local tenant was started in the working directory"
    );
    let after = m2mctl(&project, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(
        after.code,
        0,
        "the plan's tenant holds the changes: {}",
        text(&after)
    );

    // the plan's own config now names another project: refused, naming the file
    let plan = m2mctl(&project, &["plan", "--prune", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", text(&plan));
    let config = std::fs::canonicalize(project.join("m2mctl.yaml")).unwrap();
    std::fs::write(
        &config,
        QUICKSTART.replace("project: quickstart", "project: renamed"),
    )
    .unwrap();
    let run = m2mctl(&elsewhere, &["apply", plan_arg]).await;
    assert_eq!(run.code, 1, "{}", text(&run));
    assert!(
        run.stderr.contains(&format!(
            "the saved plan was made for project `quickstart`, not `renamed` (what `{}` says now); nothing was written",
            config.display()
        )),
        "{}",
        text(&run)
    );
    std::fs::write(&config, QUICKSTART).unwrap();

    // the local tenant is gone: refused, and no empty one is started anywhere
    std::fs::remove_dir_all(project.join(".m2mctl")).unwrap();
    let run = m2mctl(&elsewhere, &["apply", plan_arg]).await;
    assert_eq!(run.code, 1, "{}", text(&run));
    assert!(
        run.stderr.contains(&format!(
            "the saved plan was made on the local tenant `{}`, which does not exist",
            std::fs::canonicalize(&project)
                .unwrap()
                .join(".m2mctl/local-tenant.json")
                .display()
        )),
        "{}",
        text(&run)
    );
    assert!(!state.exists() && !elsewhere.join(".m2mctl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_from_before_typed_targets_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), QUICKSTART).unwrap();
    let plan = m2mctl(dir.path(), &["plan", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", text(&plan));
    let plan_file = dir.path().join("plan.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    // the document an m2mctl before `target` wrote: the same, without `target`
    for change in saved["plan"]["changes"].as_array_mut().unwrap() {
        change.as_object_mut().unwrap().remove("target");
    }
    std::fs::write(&plan_file, saved.to_string()).unwrap();
    let run = m2mctl(dir.path(), &["apply", "plan.json"]).await;
    assert_eq!(run.code, 1, "{}", text(&run));
    assert!(
        run.stderr
            .contains("the saved plan was made by an older m2mctl")
            && run.stderr.contains("m2mctl plan --out"),
        "{}",
        text(&run)
    );
    let again = m2mctl(dir.path(), &["plan", "--detailed-exitcode"]).await;
    assert_eq!(again.code, 2, "nothing was applied: {}", text(&again));
}
