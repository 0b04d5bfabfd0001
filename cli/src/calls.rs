//! The single API calls (`token`, `create`, `issue`, `get`, …): one request (or a wait), its
//! answer on stdout: JSON, or on a terminal without `--json` fields and tables (`human.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use sepay_einvoice::{
    Client, CreateInvoice, FileType, Job, JobKind, ListInvoicesParams, ListParams, Source,
    WaitOptions,
};

use crate::client::{seconds, GlobalArgs};
use crate::exit::{Code, Failure, Outcome};
use crate::human::{self, View};

#[derive(Subcommand)]
pub enum Call {
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
        #[arg(long, default_value_t = 120.0, value_name = "SECS")]
        wait_timeout: f64,
    },
    /// Issue a draft.
    Issue {
        reference_code: String,
        #[arg(long)]
        wait: bool,
        #[arg(long, default_value_t = 120.0, value_name = "SECS")]
        wait_timeout: f64,
    },
    /// Wait for a job printed by `create` or `issue` (a JSON file, `-` for stdin).
    Wait {
        job: PathBuf,
        #[arg(long, default_value_t = 120.0, value_name = "SECS")]
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

/// Reads a JSON file (`-`: stdin). A missing, unreadable or malformed file is invalid input.
pub fn read_json(path: &Path) -> Result<serde_json::Value, Failure> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| Failure::invalid(format!("stdin: {e}")))?
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::invalid(format!("{}: {e}", path.display())))?
    };
    serde_json::from_str(&text)
        .map_err(|e| Failure::invalid(format!("{}: not JSON: {e}", path.display())))
}

fn spinner_wait(seconds: Duration) -> (WaitOptions, ProgressBar) {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("waiting");
    let b = bar.clone();
    let opts = WaitOptions::default()
        .timeout(seconds)
        .on_status(move |s| b.set_message(format!("job {}", s.state)));
    (opts, bar)
}

/// Prints the job, or with a wait timeout waits for it (showing a spinner) and prints the invoice.
async fn finish(client: &Client, job: Job, wait: Option<f64>, human: bool) -> Result<(), Failure> {
    let Some(secs) = wait else {
        return human::print(human, View::Object, &job);
    };
    let (opts, bar) = spinner_wait(seconds("wait-timeout", secs)?);
    let res = client.wait_for_status(&job, opts).await;
    bar.finish_and_clear();
    human::print(human, View::Invoice, &res?)
}

/// Runs one call.
pub async fn run(global: &GlobalArgs, call: Call) -> Outcome {
    // Input files are read before the client is built: a bad file is invalid input whatever
    // the configuration, and `totals` needs no credentials at all.
    let client = || global.client();
    let human = global.human();
    match call {
        Call::Totals { file } => {
            let totals = CreateInvoice::from_json(read_json(&file)?)?.totals();
            human::print(human, View::Object, &totals)?;
        }
        Call::Token => human::print(human, View::Object, &client()?.authenticate().await?)?,
        Call::Accounts { page, per_page } => {
            let params = ListParams { page, per_page };
            let accounts = client()?.list_provider_accounts(&params).await?;
            human::print(human, View::Accounts, &accounts)?;
        }
        Call::Account { id } => {
            let account = client()?.get_provider_account(&id).await?;
            human::print(human, View::Account, &account)?;
        }
        Call::Create {
            file,
            wait,
            wait_timeout,
        } => {
            let req = CreateInvoice::from_json(read_json(&file)?)?;
            let client = client()?;
            let job = client.create_invoice(&req).await?;
            finish(&client, job, wait.then_some(wait_timeout), human).await?;
        }
        Call::Issue {
            reference_code,
            wait,
            wait_timeout,
        } => {
            let client = client()?;
            let job = client.issue_invoice(&reference_code).await?;
            finish(&client, job, wait.then_some(wait_timeout), human).await?;
        }
        Call::Wait { job, wait_timeout } => {
            let job = Job::from_json(read_json(&job)?)?;
            finish(&client()?, job, Some(wait_timeout), human).await?;
        }
        Call::Status {
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
            human::print(human, View::Object, &client()?.check_status(&job).await?)?;
        }
        Call::Get { reference_code } => {
            let invoice = client()?.get_invoice(&reference_code).await?;
            human::print(human, View::Invoice, &invoice)?;
        }
        Call::List {
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
            let client = client()?;
            if all {
                let items: Vec<_> = client.iter_invoices(&params).collect().await;
                let items = items.into_iter().collect::<Result<Vec<_>, _>>()?;
                human::print(human, View::Invoices, &items)?;
            } else {
                human::print(human, View::Invoices, &client.list_invoices(&params).await?)?;
            }
        }
        Call::Download {
            reference_code,
            file_type,
            output,
        } => {
            let ft: FileType = file_type.parse()?;
            let f = client()?.download_invoice(&reference_code, ft).await?;
            let path = output.unwrap_or_else(|| PathBuf::from(&f.file_name));
            std::fs::write(&path, &f.content)
                .map_err(|e| Failure::could_not_run(format!("{}: {e}", path.display())))?;
            let written = serde_json::json!({"file": path, "file_type": f.file_type, "bytes": f.content.len()});
            human::print(human, View::Download, &written)?;
        }
        Call::Delete { reference_code } => {
            client()?.delete_draft(&reference_code).await?;
            human::print(
                human,
                View::Object,
                &serde_json::json!({"deleted": reference_code}),
            )?;
        }
        Call::Usage => human::print(human, View::Line, &client()?.get_usage().await?)?,
    }
    Ok(Code::Ok)
}
