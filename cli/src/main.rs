//! `sepay-einvoice`: the SePay eInvoice API from the shell. Single calls print JSON on stdout
//! (fields and tables instead when stdout is a terminal, unless `--json`);
//! `batch` issues many invoices exactly once each through a durable journal; `mock` and `demo`
//! run the bundled mock API. Progress and errors go to stderr. Every global setting comes from a
//! flag or its `SEPAY_EINVOICE_*` variable. The exit codes are in `exit.rs` (and `--help`).

mod batch;
mod calls;
mod client;
mod demo;
mod exit;
mod human;
mod mock;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::{Code, Outcome};

#[derive(Parser)]
#[command(
    name = "sepay-einvoice",
    version,
    about = "Issue and manage Vietnamese e-invoices through the SePay eInvoice API",
    after_help = exit::TABLE
)]
struct Cli {
    #[command(flatten)]
    global: client::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Call(calls::Call),
    /// Issue many invoices from a JSON Lines or CSV file, exactly once each (a durable journal).
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// Run the bundled mock API until Ctrl-C or SIGTERM (its URL is the first line of stdout).
    Mock(mock::MockArgs),
    /// Show the whole flow against the bundled mock, started in this process.
    Demo(demo::DemoArgs),
}

async fn dispatch(cli: Cli) -> Outcome {
    match cli.command {
        Command::Call(call) => calls::run(&cli.global, call).await,
        Command::Batch(cmd) => batch::command(&cli.global, cmd).await,
        Command::Mock(a) => mock::run(a).await,
        Command::Demo(a) => demo::run(a).await,
    }
}

fn main() -> ExitCode {
    if let Ok(filter) = std::env::var("SEPAY_EINVOICE_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    // Usage errors exit 2 (invalid input), `--help` and `--version` 0.
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return Code::CouldNotRun.into();
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code.into(),
        Err(f) => {
            eprintln!("error: {f}");
            f.code.into()
        }
    }
}
