//! `sepay-einvoice mock`: the bundled mock API (the `sepay-einvoice-mock` crate) in this process,
//! until Ctrl-C or SIGTERM. The first line of stdout is its base URL.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Args;
use sepay_einvoice_mock::{MockConfig, MockServer};

use crate::exit::{Code, Failure, Outcome};

/// `mock`: the mock's own settings (its credentials are `mock_client_id` / `mock_client_secret`).
#[derive(Args, Clone)]
pub struct MockArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, env = "SEPAY_MOCK_PORT", default_value_t = 0)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, env = "SEPAY_MOCK_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Milliseconds after which a job completes, polled or not.
    #[arg(long, env = "SEPAY_MOCK_PENDING_MS", default_value_t = 1000)]
    pub pending_ms: u64,
    /// Polls a job answers Pending before it completes.
    #[arg(long, env = "SEPAY_MOCK_PENDING_POLLS", default_value_t = 1)]
    pub pending_polls: u32,
    /// Issuances left.
    #[arg(long, env = "SEPAY_MOCK_QUOTA", default_value_t = 1000)]
    pub quota: u64,
    /// Seed for fault probabilities and the seeded manual invoices.
    #[arg(long, env = "SEPAY_MOCK_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Token lifetime in seconds.
    #[arg(long, env = "SEPAY_MOCK_TOKEN_TTL", default_value_t = 86_400)]
    pub token_ttl: u64,
}

/// Runs the mock until a signal.
pub async fn run(a: MockArgs) -> Outcome {
    let config = MockConfig {
        pending_polls: a.pending_polls,
        pending_time: Duration::from_millis(a.pending_ms),
        quota: a.quota,
        seed: a.seed,
        token_ttl: Duration::from_secs(a.token_ttl),
        ..MockConfig::default()
    };
    let (id, secret) = (config.client_id.clone(), config.client_secret.clone());
    let server = MockServer::bind(SocketAddr::new(a.host, a.port), config)
        .await
        .map_err(|e| {
            Failure::could_not_run(format!("cannot listen on {}:{}: {e}", a.host, a.port))
        })?;
    // Listen for signals before printing the URL: a signal sent as soon as the URL is read must
    // not meet the default action.
    let signals = Signals::install();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", server.url());
        let _ = out.flush();
    }
    eprintln!(
        "mock SePay eInvoice API at {} (client id {id}, secret {secret}); control API under /_mock/; Ctrl-C stops it",
        server.url()
    );
    signals.wait().await;
    server.shutdown().await;
    Ok(Code::Ok)
}

/// SIGINT and SIGTERM listeners (Ctrl-C only where there are no Unix signals).
struct Signals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let unix = signal(SignalKind::terminate())
                .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
                .ok();
            Signals { unix }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            if let Some((mut term, mut int)) = self.unix {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
