//! `m2mctl emulator`: maps the flags to an [`EmulatorConfig`], serves until Ctrl-C or SIGTERM, then
//! shuts down gracefully (open requests finish, the state file holds every write).
//!
//! Prints `key: value` lines on stdout (base url, domain, bootstrap client id, the secret only when
//! it was generated, certificate, state). Must not hold emulator logic.

use std::io::Write;

use crate::Exit;
use crate::cli::EmulatorArgs;
use crate::emulator::{self, EmulatorConfig, FaultSpec, RateLimit, TlsMode};
use crate::ui::Context;

/// The config the flags describe.
pub(super) fn config(args: EmulatorArgs) -> Result<EmulatorConfig, emulator::Error> {
    let tls = match (args.tls, args.cert, args.key) {
        (false, _, _) => TlsMode::Off,
        (true, Some(cert), Some(key)) => TlsMode::Files { cert, key },
        (true, _, _) => TlsMode::SelfSigned {
            cert_out: args.cert_out,
        },
    };
    let rate_limit = match args.rate_limit {
        Some(rps) => {
            let burst = args.burst.unwrap_or_else(|| rps.ceil().max(1.0) as u32);
            Some(RateLimit::new(rps, burst)?)
        }
        None => None,
    };
    let faults = args.faults.as_deref().map(FaultSpec::parse).transpose()?;
    let bootstrap = args.bootstrap_client_id.zip(args.bootstrap_client_secret);
    Ok(EmulatorConfig {
        listen: args.listen,
        state: args.state,
        tls,
        bootstrap,
        rate_limit,
        faults,
        seed: args.seed,
        secret_propagation: args.secret_propagation,
    })
}

/// Runs `m2mctl emulator`.
pub(super) async fn run(args: EmulatorArgs, _ctx: &Context) -> miette::Result<Exit> {
    let config = config(args)?;
    let tls = config.tls.clone();
    let signals = Signals::listen();
    let server = emulator::spawn(config).await?;
    let mut out = String::new();
    out.push_str(&format!("base url:      {}\n", server.base_url()));
    out.push_str(&format!("domain:        {}\n", server.domain()));
    out.push_str(&format!(
        "client id:     {}\n",
        server.bootstrap_client_id()
    ));
    if server.bootstrap_secret_generated() {
        out.push_str(&format!(
            "client secret: {}\n",
            server.bootstrap_client_secret()
        ));
    }
    match (server.cert_path(), &tls) {
        (Some(path), _) => out.push_str(&format!("certificate:   {}\n", path.display())),
        (None, TlsMode::Off) => {}
        (None, _) => {
            out.push_str("certificate:   (not written; pass `--cert-out FILE` to trust it)\n")
        }
    }
    match server.state_path() {
        Some(path) => out.push_str(&format!("state:         {}\n", path.display())),
        None => out.push_str("state:         in memory\n"),
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    drop(stdout);
    signals.wait().await;
    tracing::info!("shutting down the emulator");
    server.shutdown().await?;
    Ok(Exit::Success)
}

/// Ctrl-C and SIGTERM, listened for from the moment this is made: signals that arrive after
/// the address is printed (a script that reads it and stops the emulator at once) are never lost.
#[cfg(unix)]
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn listen() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn wait(mut self) {
        async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(self.interrupt.as_mut()) => {}
            _ = recv(self.terminate.as_mut()) => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn listen() -> Signals {
        Signals
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
