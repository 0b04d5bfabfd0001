//! `sepay-einvoice`: the SePay eInvoice API from the shell. Prints JSON on stdout; progress and
//! errors go to stderr. Configuration comes from flags or the `SEPAY_EINVOICE_*` variables.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use sepay_einvoice::{
    Client, CreateInvoice, Environment, ErrorKind, FileType, Job, JobKind, ListInvoicesParams,
    ListParams, Source, WaitOptions,
};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "sepay-einvoice",
    version,
    about = "Issue and manage Vietnamese e-invoices through the SePay eInvoice API"
)]
struct Cli {
    /// API base URL (wins over --env); also SEPAY_EINVOICE_BASE_URL.
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// sandbox or production; also SEPAY_EINVOICE_ENV.
    #[arg(long = "env", global = true)]
    environment: Option<Environment>,
    /// Client id; also SEPAY_EINVOICE_CLIENT_ID.
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// Per-attempt timeout in seconds.
    #[arg(long, global = true)]
    timeout: Option<f64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the credentials by fetching an access token.
    Token,
    /// List provider accounts.
    Accounts {
        #[arg(long)]
        page: Option<u32>,
        #[arg(long)]
        per_page: Option<u32>,
    },
    /// Show one provider account with its templates.
    Account { id: String },
    /// Create an invoice from a JSON file (API field names; `-` reads stdin).
    Create {
        file: PathBuf,
        /// Wait until the job finishes and print the invoice.
        #[arg(long)]
        wait: bool,
        /// Wait at most this many seconds.
        #[arg(long, default_value_t = 120.0)]
        wait_timeout: f64,
    },
    /// Issue a draft.
    Issue {
        reference_code: String,
        #[arg(long)]
        wait: bool,
        #[arg(long, default_value_t = 120.0)]
        wait_timeout: f64,
    },
    /// Wait for a job printed by `create` or `issue` (a JSON file, `-` for stdin).
    Wait {
        job: PathBuf,
        #[arg(long, default_value_t = 120.0)]
        wait_timeout: f64,
    },
    /// Check a job once by tracking code.
    Status {
        tracking_code: String,
        /// create or issue
        #[arg(long, default_value = "create")]
        kind: String,
        /// The invoice reference code, if known.
        #[arg(long, default_value = "")]
        reference_code: String,
    },
    /// Show one invoice with its lines.
    Get { reference_code: String },
    /// List invoices (one page, or every page with --all).
    List {
        #[arg(long)]
        page: Option<u32>,
        #[arg(long)]
        per_page: Option<u32>,
        /// manual or api
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Download an issued invoice as PDF or XML.
    Download {
        reference_code: String,
        #[arg(long = "type", default_value = "pdf")]
        file_type: String,
        /// Where to write the file (default: the API's file name).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Delete a draft.
    Delete { reference_code: String },
    /// Remaining issuance quota.
    Usage,
    /// Preview line amounts, tax and total of an invoice file without sending it.
    Totals { file: PathBuf },
}

fn read_json(path: &PathBuf) -> Result<serde_json::Value, String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn print<T: Serialize>(v: &T) -> Result<(), String> {
    let s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    println!("{s}");
    Ok(())
}

fn wait_options(seconds: f64) -> (WaitOptions, ProgressBar) {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("waiting");
    let b = bar.clone();
    let opts = WaitOptions::default()
        .timeout(Duration::from_secs_f64(seconds.max(0.001)))
        .on_status(move |s| b.set_message(format!("job {}", s.state)));
    (opts, bar)
}

/// Prints the job, or with a wait timeout waits for it (showing a spinner) and prints the invoice.
async fn finish(client: &Client, job: Job, wait_seconds: Option<f64>) -> Result<(), Failure> {
    let Some(seconds) = wait_seconds else {
        return Ok(print(&job)?);
    };
    let (opts, bar) = wait_options(seconds);
    let res = client.wait_for_status(&job, opts).await;
    bar.finish_and_clear();
    Ok(print(&res?)?)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let mut b = Client::builder().binding("cli");
    if let Some(u) = cli.base_url {
        b = b.base_url(u);
    }
    if let Some(e) = cli.environment {
        b = b.environment(e);
    }
    if let Some(id) = cli.client_id {
        b = b.client_id(id);
    }
    if let Some(t) = cli.timeout {
        b = b.timeout(Duration::from_secs_f64(t.max(0.001)));
    }
    let client = b.build()?;
    match cli.command {
        Command::Token => print(&client.authenticate().await?)?,
        Command::Accounts { page, per_page } => print(
            &client
                .list_provider_accounts(&ListParams { page, per_page })
                .await?,
        )?,
        Command::Account { id } => print(&client.get_provider_account(&id).await?)?,
        Command::Create {
            file,
            wait,
            wait_timeout,
        } => {
            let req = CreateInvoice::from_json(read_json(&file)?)?;
            let job = client.create_invoice(&req).await?;
            finish(&client, job, wait.then_some(wait_timeout)).await?;
        }
        Command::Issue {
            reference_code,
            wait,
            wait_timeout,
        } => {
            let job = client.issue_invoice(&reference_code).await?;
            finish(&client, job, wait.then_some(wait_timeout)).await?;
        }
        Command::Wait { job, wait_timeout } => {
            let job = Job::from_json(read_json(&job)?)?;
            finish(&client, job, Some(wait_timeout)).await?;
        }
        Command::Status {
            tracking_code,
            kind,
            reference_code,
        } => {
            let job = Job {
                kind: JobKind::parse(&kind),
                tracking_code: Some(tracking_code),
                tracking_url: None,
                reference_code,
                message: None,
            };
            print(&client.check_status(&job).await?)?;
        }
        Command::Get { reference_code } => print(&client.get_invoice(&reference_code).await?)?,
        Command::List {
            page,
            per_page,
            source,
            all,
        } => {
            let params = ListInvoicesParams {
                page,
                per_page,
                source: source.as_deref().map(Source::parse),
            };
            if all {
                let items: Vec<_> = client.iter_invoices(&params).collect().await;
                print(&items.into_iter().collect::<Result<Vec<_>, _>>()?)?;
            } else {
                print(&client.list_invoices(&params).await?)?;
            }
        }
        Command::Download {
            reference_code,
            file_type,
            output,
        } => {
            let ft: FileType = file_type.parse()?;
            let f = client.download_invoice(&reference_code, ft).await?;
            let path = output.unwrap_or_else(|| PathBuf::from(&f.file_name));
            std::fs::write(&path, &f.content).map_err(|e| format!("{}: {e}", path.display()))?;
            print(
                &serde_json::json!({"file": path, "file_type": f.file_type, "bytes": f.content.len()}),
            )?;
        }
        Command::Delete { reference_code } => {
            client.delete_draft(&reference_code).await?;
            print(&serde_json::json!({"deleted": reference_code}))?;
        }
        Command::Usage => print(&client.get_usage().await?)?,
        Command::Totals { file } => print(&CreateInvoice::from_json(read_json(&file)?)?.totals())?,
    }
    Ok(())
}

/// A failure with the exit code the shell sees: 2 bad input, 3 the API said no, 4 timeouts,
/// 5 the invoice job failed, 1 anything else.
struct Failure(String, u8);

impl From<sepay_einvoice::Error> for Failure {
    fn from(e: sepay_einvoice::Error) -> Self {
        let code = match e.kind() {
            ErrorKind::Validation => 2,
            k if k.is_api() => 3,
            ErrorKind::Timeout | ErrorKind::WaitTimeout => 4,
            ErrorKind::InvoiceFailed => 5,
            _ => 1,
        };
        Failure(e.to_string(), code)
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure(s, 1)
    }
}

fn main() -> ExitCode {
    if let Ok(filter) = std::env::var("SEPAY_EINVOICE_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg, code)) => {
            eprintln!("error: {msg}");
            ExitCode::from(code)
        }
    }
}
