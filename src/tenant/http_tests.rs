//! The request loop against a tenant that is down: one request spends the retry budget, the
//! rest fail at once (issue 11 item 8).

use super::*;

/// A loopback port nobody listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn http_to(port: u16) -> Http {
    let base = TenantUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let http = Http::new(base, None, Governor::new(None, 4)).unwrap();
    http.set_token(Secret::new("token"));
    http
}

fn get() -> Request<'static> {
    Request::management(Method::GET, "/api/v2/clients", "/api/v2/clients".into())
}

/// Whatever the timing: once a retry budget of connections was refused in a row, a request
/// fails at once and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_retry_budget_of_refused_connections_requests_fail_at_once() {
    let http = http_to(closed_port());
    let budget = u64::from(MAX_ATTEMPTS);
    let results = futures::future::join_all((0..MAX_ATTEMPTS).map(|_| http.send(get()))).await;
    for result in results {
        let err = result.err().expect("nobody listens");
        assert!(
            matches!(err, Error::Transport { .. } | Error::Unreachable { .. }),
            "{err}"
        );
    }
    let sent = http.metrics().requests;
    assert!((budget..=budget * budget).contains(&sent), "{sent}");
    for _ in 0..20 {
        let err = http.send(get()).await.err().expect("still down");
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
        assert!(err.to_string().contains("refused the last"), "{err}");
    }
    assert_eq!(http.metrics().requests, sent, "nothing more was sent");
}
