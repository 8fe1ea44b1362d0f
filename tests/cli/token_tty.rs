//! `token` and `credentials` on a terminal (run under `script(1)`): a shortened table with a hint,
//! and a warning before secrets.

use super::Fixture;

/// Runs `m2mctl ARGS` under `script(1)` so stdout and stderr are a terminal; `None` without it.
fn on_a_terminal(f: &Fixture, args: &str) -> Option<String> {
    let script = std::process::Command::new("script")
        .arg("--version")
        .output();
    if script.is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let ca = f.tenant.ca_cert_path().expect("tls");
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_m2mctl"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(f.tenant.dir())
        .env("NO_COLOR", "1")
        .env("AUTH0_DOMAIN", f.tenant.auth0_domain())
        .env("AUTH0_CLIENT_ID", f.tenant.client_id())
        .env("AUTH0_CLIENT_SECRET", f.tenant.client_secret())
        .env("M2MCTL_CA_CERT", ca)
        .env("M2MCTL_CACHE_DIR", f.cache_dir())
        .env_remove("AUTH0_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_tokens_are_a_shortened_table_and_secrets_come_with_a_warning() {
    let f = Fixture::new().await;
    let tokens = f.tokens(&[]).await;
    let Some(table) = on_a_terminal(&f, "token") else {
        return;
    };
    let header = table.lines().find(|l| l.starts_with("APP")).expect(&table);
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["APP", "API", "SCOPES", "EXPIRES", "SOURCE", "TOKEN"]
    );
    assert!(table.contains("hint: tokens are shortened"), "{table}");
    for t in &tokens {
        let token = t["access_token"].as_str().unwrap();
        assert!(!table.contains(token), "full token on a terminal table");
        assert!(
            table.contains(&format!("…{}", &token[token.len() - 8..])),
            "{table}"
        );
    }
    let creds = on_a_terminal(&f, "credentials").unwrap();
    let warning = "warning: client secrets of 2 applications follow";
    assert!(creds.starts_with(warning), "{creds}");
    assert!(creds.contains(&f.seeded.billing.client_secret), "{creds}");
}
