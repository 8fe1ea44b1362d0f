//! The request loop against a tenant that is down: one request spends the retry budget, the
//! rest fail at once (issue 11 item 8); the protocol spoken with a TLS tenant (issue 18).

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

/// An emulator over TLS (self-signed), with `faults`, and an `Http` trusting it.
async fn tls_tenant(faults: Option<&str>) -> (crate::emulator::Emulator, Http) {
    use crate::emulator::{EmulatorConfig, FaultSpec, TlsMode};
    let mut config = EmulatorConfig::local("127.0.0.1:0".parse().unwrap());
    config.tls = TlsMode::SelfSigned { cert_out: None };
    config.faults = faults.map(|f| FaultSpec::parse(f).unwrap());
    let emu = crate::emulator::spawn(config).await.unwrap();
    let ca = reqwest::Certificate::from_pem(emu.cert_pem().unwrap().as_bytes()).unwrap();
    let base = TenantUrl::parse(emu.base_url()).unwrap();
    let http = Http::new(base, Some(vec![ca]), Governor::new(None, 8)).unwrap();
    (emu, http)
}

/// m2mctl's client speaks HTTP/2 with a tenant that offers it through ALPN, as Auth0 does (one
/// connection for all concurrent reads); the emulator offers it unless it injects `lost` faults
/// (a dropped connection would drop every request multiplexed on it), and then HTTP/1.1 works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_over_tls_when_the_tenant_offers_it() {
    for (faults, want) in [
        (None, reqwest::Version::HTTP_2),
        (Some("latency:1ms"), reqwest::Version::HTTP_2),
        (Some("lost:0.000001"), reqwest::Version::HTTP_11),
    ] {
        let (emu, http) = tls_tenant(faults).await;
        let url = format!("{}/__m2mctl/stats", emu.base_url());
        let replies = futures::future::join_all((0..8).map(|_| http.client.get(&url).send())).await;
        for reply in replies {
            let reply = reply.unwrap();
            assert_eq!(reply.status(), StatusCode::OK, "{faults:?}");
            assert_eq!(reply.version(), want, "{faults:?}");
        }
        emu.shutdown().await.unwrap();
    }
}
