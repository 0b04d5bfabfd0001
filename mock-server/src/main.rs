//! `sepay-einvoice-mock`: runs the mock until SIGINT/SIGTERM. The first line of stdout is the
//! base URL, so other processes can spawn it with `--port 0` and read where it listens.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use sepay_einvoice_mock::{FileNotReady, MockConfig, MockServer};

/// A stateful mock of the SePay eInvoice API.
#[derive(Debug, Parser)]
#[command(name = "sepay-einvoice-mock", version, about)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, env = "SEPAY_MOCK_PORT", default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "SEPAY_MOCK_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// client_id accepted by POST /v1/token.
    #[arg(long, env = "SEPAY_MOCK_CLIENT_ID", default_value = "mock_client_id")]
    client_id: String,
    /// client_secret accepted by POST /v1/token.
    #[arg(
        long,
        env = "SEPAY_MOCK_CLIENT_SECRET",
        default_value = "mock_client_secret"
    )]
    client_secret: String,
    /// Token lifetime in seconds.
    #[arg(long, env = "SEPAY_MOCK_TOKEN_TTL", default_value_t = 86_400)]
    token_ttl: u64,
    /// Polls a job answers Pending before it completes.
    #[arg(long, env = "SEPAY_MOCK_PENDING_POLLS", default_value_t = 1)]
    pending_polls: u32,
    /// Milliseconds after which a job completes even if nobody polls it.
    #[arg(long, env = "SEPAY_MOCK_PENDING_MS", default_value_t = 1000)]
    pending_ms: u64,
    /// Issuance quota.
    #[arg(long, env = "SEPAY_MOCK_QUOTA", default_value_t = 1000)]
    quota: u64,
    /// Seed for fault probabilities and the seeded manual invoices.
    #[arg(long, env = "SEPAY_MOCK_SEED", default_value_t = 42)]
    seed: u64,
    /// Number of seeded manual invoices.
    #[arg(long, env = "SEPAY_MOCK_MANUAL_INVOICES", default_value_t = 3)]
    manual_invoices: usize,
    /// Add "success": true to the list and usage bodies too.
    #[arg(long, env = "SEPAY_MOCK_SUCCESS_KEY_EVERYWHERE")]
    success_key_everywhere: bool,
    /// Milliseconds after an invoice is issued during which its download is not ready yet.
    #[arg(long, env = "SEPAY_MOCK_FILE_READY_MS", default_value_t = 0)]
    file_ready_ms: u64,
    /// What a download answers while not ready: "empty" (200, content "") or "error"
    /// (409 FILE_NOT_READY).
    #[arg(long, env = "SEPAY_MOCK_FILE_NOT_READY", default_value_t = FileNotReady::Empty)]
    file_not_ready: FileNotReady,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = MockConfig {
        client_id: args.client_id,
        client_secret: args.client_secret,
        token_ttl: Duration::from_secs(args.token_ttl),
        pending_polls: args.pending_polls,
        pending_time: Duration::from_millis(args.pending_ms),
        quota: args.quota,
        seed: args.seed,
        manual_invoices: args.manual_invoices,
        success_key_everywhere: args.success_key_everywhere,
        file_ready_ms: args.file_ready_ms,
        file_not_ready: args.file_not_ready,
    };
    let server = match MockServer::bind(SocketAddr::new(args.host, args.port), config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "sepay-einvoice-mock: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // Listen for signals before printing the URL: a signal sent as soon as the URL is read must
    // not find the default action (which would kill the process with a failure status).
    let signals = Signals::install();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", server.url());
        let _ = out.flush();
    }
    signals.wait().await;
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}

/// SIGINT and SIGTERM listeners (Ctrl-C only where there are no Unix signals).
struct Signals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Installs the listeners now, so no signal is missed from here on.
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

    /// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere).
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
