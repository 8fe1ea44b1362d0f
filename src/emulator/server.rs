//! The accept loop: plain TCP or TLS connections served by hyper (HTTP/1.1, and HTTP/2 when TLS
//! negotiated it through ALPN, see [`tls`](super::tls)), a per-connection kill switch for `lost`
//! faults, and graceful shutdown.
//!
//! Owns sockets and connection lifetimes. Must not look at requests beyond handing each one the
//! connection's [`ConnKill`].

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Drops the connection a request arrived on, without a response (the `lost` fault).
#[derive(Debug, Clone)]
pub struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Asks the connection task to drop the connection now.
    pub fn fire(&self) {
        self.0.notify_one();
    }
}

/// How long open connections get to finish after a shutdown request.
const GRACE: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `shutdown` turns true, then drains connections.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let shutdown = shutdown.clone();
                let tls = tls.clone();
                conns.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(Ok(stream)) =
                                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                            {
                                connection(TokioIo::new(stream), router, shutdown).await;
                            }
                        }
                        None => connection(TokioIo::new(stream), router, shutdown).await,
                    }
                });
            }
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, drain).await.is_err() {
        conns.abort_all();
    }
}

async fn connection<I>(io: TokioIo<I>, router: Router, mut shutdown: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = ConnKill(Arc::new(Notify::new()));
    let tagged = kill.clone();
    let service = router.map_request(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(tagged.clone());
        req
    });
    // HTTP/1.1 or HTTP/2, told apart by the client's first bytes (the HTTP/2 preface)
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(io, TowerToHyperService::new(service));
    tokio::pin!(conn);
    if *shutdown.borrow() {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = kill.0.notified() => return, // dropping `conn` closes the socket, no response
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(GRACE, conn.as_mut()).await;
                    return;
                }
            }
        }
    }
}
