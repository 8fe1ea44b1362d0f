//! A hostile tenant (issue 11 items 4 and 8): a tiny loopback HTTP server that answers what an
//! attacker would — redirects to a second origin, secrets echoed back, endless bodies, absurd
//! totals — and records every request it receives, so a test can show that the client secret
//! never reaches a host it does not belong to.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{Run, run_binary};

const CONFIG: &str = "version: 1\nproject: p\ntenant:\n  domain: ${AUTH0_DOMAIN}\n";
const SECRET: &str = "s3cr3t-of-the-production-m2m-app";
/// Looks like a JWT, as a Management API token does.
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtMm1jdGwifQ.c2lnbmF0dXJlLW9mLWEtdG9rZW4";

/// What the server answers: status line + headers + body, or an endless chunked body.
#[derive(Clone)]
enum Answer {
    Fixed(String),
    Endless,
    /// Never answers (the connection stays open).
    Hang,
}

/// One request as received: the request line and everything after it (headers and body).
type Seen = Arc<Mutex<Vec<String>>>;

/// A loopback server answering every request with `answer(method, path)`.
struct Trap {
    port: u16,
    seen: Seen,
}

impl Trap {
    async fn start(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen: Seen = Arc::default();
        let answer = Arc::new(answer);
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let request = read_request(&mut socket).await;
                    let mut words = request.split_whitespace();
                    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                    let reply = answer(method, path);
                    log.lock().expect("log").push(request.clone());
                    match reply {
                        Answer::Hang => {
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        }
                        Answer::Fixed(text) => {
                            let _ = socket.write_all(text.as_bytes()).await;
                        }
                        Answer::Endless => {
                            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
                            let _ = socket.write_all(head.as_bytes()).await;
                            let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
                            // Until the client hangs up (it must, at its cap).
                            for _ in 0..64 {
                                if socket.write_all(chunk.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            let _ = socket.write_all(b"0\r\n\r\n").await;
                        }
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Trap { port, seen }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().expect("log").clone()
    }
}

/// Reads one request head and its `content-length` body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.read(&mut buf).await {
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

fn json(status: &str, body: &str) -> Answer {
    Answer::Fixed(format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// Runs the binary in a fresh directory holding [`CONFIG`] with `envs` (and `extra` args).
async fn m2mctl(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), CONFIG).expect("config");
    let envs: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run_binary(dir.path(), args, &envs).await
}

fn client_credentials(domain: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AUTH0_DOMAIN", domain.to_string()),
        ("AUTH0_CLIENT_ID", "m2mctl-ci".to_string()),
        ("AUTH0_CLIENT_SECRET", SECRET.to_string()),
    ]
}

fn borrow<'a>(envs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    envs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_an_error_and_the_secret_never_reaches_the_second_origin() {
    let elsewhere = Trap::start(|_, _| json("200 OK", "{}")).await;
    let target = format!("{}/oauth/token", elsewhere.origin());
    for status in [
        "307 Temporary Redirect",
        "308 Permanent Redirect",
        "302 Found",
    ] {
        let location = target.clone();
        let tenant = Trap::start(move |_, _| {
            Answer::Fixed(format!(
                "HTTP/1.1 {status}\r\nlocation: {location}?code=abc\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            ))
        })
        .await;
        let envs = client_credentials(&tenant.origin());
        let run = m2mctl(&["plan"], &borrow(&envs)).await;
        assert_eq!(run.code, 1, "{status}: {}", run.stderr);
        assert!(
            run.stderr.contains("does not follow redirects") && run.stderr.contains(&target),
            "{status}: names the location: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("code=abc"), "{}", run.stderr);
        assert_eq!(tenant.requests().len(), 1, "one attempt, no retry");
        assert!(
            tenant.requests()[0].contains(SECRET),
            "the tenant itself got it"
        );
    }
    assert!(
        elsewhere.requests().is_empty(),
        "the second origin was contacted: {:?}",
        elsewhere.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_naming_another_host_gets_no_credentials() {
    let attacker = Trap::start(|_, _| json("401 Unauthorized", "{}")).await;
    let prod = Trap::start(|_, _| json("401 Unauthorized", "{}")).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = format!(
        "version: 1\nproject: p\ntenant:\n  domain: {}\n",
        attacker.origin()
    );
    std::fs::write(dir.path().join("m2mctl.yaml"), config).expect("config");
    let envs: Vec<(String, String)> = client_credentials(&prod.origin())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for command in [&["plan"][..], &["apply", "--auto-approve"], &["token"]] {
        let run = run_binary(dir.path(), command, &envs).await;
        assert_eq!(run.code, 1, "{command:?}: {}", run.stderr);
        let authority = |origin: String| origin.trim_start_matches("http://").to_string();
        for host in [authority(attacker.origin()), authority(prod.origin())] {
            assert!(
                run.stderr.contains(&host),
                "{command:?} names {host}: {}",
                run.stderr
            );
        }
        assert!(
            run.stderr.contains("--allow-domain-override"),
            "{}",
            run.stderr
        );
    }
    assert!(attacker.requests().is_empty(), "{:?}", attacker.requests());
    assert!(prod.requests().is_empty());
    // With the flag, the user says the config's tenant is the right one.
    let mut args = vec!["plan", "--allow-domain-override"];
    let run = run_binary(dir.path(), &args, &envs).await;
    assert_eq!(run.code, 1, "the trap refuses the token: {}", run.stderr);
    assert_eq!(attacker.requests().len(), 1, "{}", run.stderr);
    // Unset AUTH0_DOMAIN: nothing to contradict, the config decides.
    args.pop();
    let without: Vec<(String, String)> = envs
        .iter()
        .filter(|(k, _)| k != "AUTH0_DOMAIN")
        .cloned()
        .collect();
    let run = run_binary(dir.path(), &args, &without).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(attacker.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_is_redacted_of_the_secret_and_tokens() {
    let description =
        format!("client secret {SECRET} is wrong; your last token was {TOKEN}.\u{1b}[2J\u{1b}[31m");
    let body = serde_json::json!({"error": "access_denied", "error_description": description});
    let body = body.to_string();
    let tenant = Trap::start(move |_, _| json("403 Forbidden", &body)).await;
    let envs = client_credentials(&tenant.origin());
    let run = m2mctl(&["plan"], &borrow(&envs)).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("access_denied"), "{}", run.stderr);
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    assert!(!run.stderr.contains("c2lnbmF0dXJl"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "raw escape: {:?}",
        run.stderr
    );
    assert!(run.stderr.contains("[REDACTED]"), "{}", run.stderr);

    // The Management API token, echoed in a Management API error (and in an HTML excerpt).
    for answer in [
        json(
            "400 Bad Request",
            &format!(r#"{{"message":"bad token {TOKEN}"}}"#),
        ),
        Answer::Fixed(format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: {}\r\nconnection: close\r\n\r\n<html>{TOKEN}</html>",
            TOKEN.len() + 13
        )),
    ] {
        let tenant = Trap::start(move |_, _| answer.clone()).await;
        let origin = tenant.origin();
        let envs = [
            ("AUTH0_DOMAIN", origin.as_str()),
            ("AUTH0_ACCESS_TOKEN", TOKEN),
        ];
        let run = m2mctl(&["plan"], &envs).await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(!run.stderr.contains("c2lnbmF0dXJl"), "{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_and_an_absurd_total_are_errors() {
    let endless = Trap::start(|_, _| Answer::Endless).await;
    let origin = endless.origin();
    let envs = [
        ("AUTH0_DOMAIN", origin.as_str()),
        ("AUTH0_ACCESS_TOKEN", TOKEN),
    ];
    let run = m2mctl(&["plan"], &envs).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("larger than 32 MiB"), "{}", run.stderr);

    let huge = Trap::start(|_, path| {
        let key = path
            .trim_start_matches("/api/v2/")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        json(
            "200 OK",
            &format!(r#"{{"total": 1000000000000, "{key}": []}}"#),
        )
    })
    .await;
    let origin = huge.origin();
    let envs = [
        ("AUTH0_DOMAIN", origin.as_str()),
        ("AUTH0_ACCESS_TOKEN", TOKEN),
    ];
    let run = m2mctl(&["plan"], &envs).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("1000000000000"), "{}", run.stderr);
    assert!(
        run.stderr.contains("more than the 100000"),
        "{}",
        run.stderr
    );
    assert!(huge.requests().len() <= 3, "one page per list, no more");
}

/// A tenant that accepts connections and never answers: without an overall deadline each request
/// would wait 30 s per attempt, several attempts; `--timeout` ends the command with a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_never_answers_ends_at_the_command_deadline() {
    let silent = Trap::start(|_, _| Answer::Hang).await;
    let origin = silent.origin();
    let envs = [
        ("AUTH0_DOMAIN", origin.as_str()),
        ("AUTH0_ACCESS_TOKEN", TOKEN),
    ];
    for command in [
        &["plan", "--timeout", "2s"][..],
        &["apply", "--auto-approve", "--timeout", "2s"],
    ] {
        let run = m2mctl(command, &envs).await;
        assert_eq!(run.code, 1, "{command:?}: {}", run.stderr);
        let name = command[0];
        assert!(
            run.stderr
                .contains(&format!("`m2mctl {name}` did not finish within 2s")),
            "{command:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
    }
    let run = m2mctl(&["plan", "--timeout", "soon"], &envs).await;
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    assert!(
        run.stderr.contains("`soon` is not a duration"),
        "{}",
        run.stderr
    );
}
