//! `sepay-einvoice demo`: the whole flow against the bundled mock, started in this process on a
//! free port: token, accounts, a draft created and issued, its PDF, then a 5-row batch from a
//! JSON Lines file with a SQLite journal, and the journal's status. Nothing leaves the machine.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sepay_einvoice::{
    Buyer, Client, CreateInvoice, FileType, LineItem, ListParams, TaxRate, WaitOptions,
};
use sepay_einvoice_mock::{MockConfig, MockServer, ACCOUNT_MATBAO};

use crate::batch::{self, BatchCommand, IssueArgs, RunArgs, StatusArgs};
use crate::client::GlobalArgs;
use crate::exit::{Code, Failure, Outcome};
use crate::output;

/// `demo`.
#[derive(Args, Clone)]
pub struct DemoArgs {
    /// Keep the demo's files (PDF, batch input, journal, results) instead of removing them.
    #[arg(long)]
    pub keep: bool,
}

const STEPS: usize = 9;

fn step(n: usize, what: &str, detail: impl AsRef<str>) {
    output::line(&format!("[{n}/{STEPS}] {what:<13} {}", detail.as_ref()));
}

/// A template code and the series of the current year on the account.
async fn template(client: &Client) -> Result<(String, String), Failure> {
    let account = client.get_provider_account(ACCOUNT_MATBAO).await?;
    let yy = &batch::vietnam_now()[2..4];
    account
        .templates
        .iter()
        .find(|t| t.template_code == "1" && t.invoice_series.get(1..3) == Some(yy))
        .or_else(|| account.templates.first())
        .map(|t| (t.template_code.clone(), t.invoice_series.clone()))
        .ok_or_else(|| Failure::could_not_run("the mock account has no template"))
}

fn invoice(account: &str, template: &str, series: &str, i: usize) -> CreateInvoice {
    CreateInvoice {
        provider_account_id: account.into(),
        template_code: template.into(),
        invoice_series: series.into(),
        issued_date: batch::vietnam_now(),
        is_draft: true,
        buyer: Buyer {
            name: Some(format!("Công ty Demo {i}")),
            ..Buyer::default()
        },
        items: vec![
            LineItem::new("Dịch vụ tư vấn", 2.into(), 1_500_000.into()).with_tax_rate(TaxRate::Ten)
        ],
        notes: Some(format!("demo #{i}")),
        ..CreateInvoice::default()
    }
}

/// Runs the demo.
pub async fn run(a: DemoArgs) -> Outcome {
    let mock = MockServer::start(MockConfig {
        pending_polls: 0,
        pending_time: Duration::from_millis(300),
        ..MockConfig::default()
    })
    .await
    .map_err(|e| Failure::could_not_run(format!("cannot start the mock: {e}")))?;
    let dir = std::env::temp_dir().join(format!("sepay-einvoice-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::could_not_run(format!("{}: {e}", dir.display())))?;
    let result = flow(&mock.url(), &dir).await;
    mock.shutdown().await;
    if a.keep {
        output::line(&format!("files kept in {}", dir.display()));
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn flow(url: &str, dir: &std::path::Path) -> Outcome {
    step(
        1,
        "mock API",
        format!("{url} (in this process; client id mock_client_id)"),
    );
    let global = GlobalArgs {
        base_url: Some(url.to_string()),
        client_id: Some("mock_client_id".into()),
        client_secret: Some("mock_client_secret".into()),
        ..GlobalArgs::default()
    };
    let client = global.client()?;
    let token = client.authenticate().await?;
    step(
        2,
        "token",
        format!("ok ({}, valid {} s)", token.token_type, token.expires_in),
    );

    let accounts = client
        .list_provider_accounts(&ListParams::default())
        .await?;
    let names: Vec<String> = accounts
        .items
        .iter()
        .map(|x| format!("{} {}", x.provider, x.id))
        .collect();
    step(
        3,
        "accounts",
        format!("{}: {}", names.len(), names.join(", ")),
    );

    let (template, series) = template(&client).await?;
    let wait = WaitOptions::default()
        .timeout(Duration::from_secs(30))
        .poll_intervals(Duration::from_millis(200), Duration::from_millis(500));
    let req = invoice(ACCOUNT_MATBAO, &template, &series, 0);
    let totals = req.totals();
    let job = client.create_invoice(&req).await?;
    step(
        4,
        "create draft",
        format!(
            "reference {}, template {template}, series {series}, total {} VND; job {}",
            job.reference_code,
            totals.total_amount,
            job.tracking_code.as_deref().unwrap_or("?")
        ),
    );
    let draft = client.wait_for_status(&job, wait.clone()).await?;
    step(5, "wait", format!("status {}", draft.status.as_str()));

    let job = client.issue_invoice(&draft.reference_code).await?;
    let issued = client.wait_for_status(&job, wait).await?;
    step(
        6,
        "issue + wait",
        format!(
            "status {}, number {}",
            issued.status.as_str(),
            issued.invoice_number.as_deref().unwrap_or("?")
        ),
    );

    let file = client
        .download_invoice(&issued.reference_code, FileType::Pdf)
        .await?;
    let pdf = dir.join(&file.file_name);
    std::fs::write(&pdf, &file.content)
        .map_err(|e| Failure::could_not_run(format!("{}: {e}", pdf.display())))?;
    step(
        7,
        "download",
        format!("{} bytes to {}", file.content.len(), pdf.display()),
    );

    let input = dir.join("demo-batch.jsonl");
    let mut lines = String::new();
    for i in 1..=5 {
        let mut row = invoice(ACCOUNT_MATBAO, &template, &series, i);
        row.is_draft = false;
        let mut v = serde_json::to_value(&row)
            .map_err(|e| Failure::could_not_run(format!("demo row: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("key".into(), format!("ORDER-{i}").into());
        }
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    std::fs::write(&input, lines)
        .map_err(|e| Failure::could_not_run(format!("{}: {e}", input.display())))?;
    let journal = format!("sqlite:{}", dir.join("demo-batch.journal").display());
    step(
        8,
        "batch issue",
        format!("5 rows from {}, journal {journal}", input.display()),
    );
    let code = batch::issue(
        &global,
        IssueArgs {
            file: input.clone(),
            format: None,
            order_column: "order".into(),
            account: None,
            template: None,
            series: None,
            reference_from_key: false,
            draft: false,
            issue: false,
            dry_run: false,
            journal: Some(journal.clone()),
            batch: None,
            run: RunArgs {
                concurrency: 4,
                worker: None,
                lease: 60.0,
                row_timeout: 60.0,
                wait_timeout: 30.0,
                poll_interval: Some(0.2),
                results: Some(PathBuf::from(format!("{}.results.jsonl", input.display()))),
                json: false,
            },
        },
    )
    .await?;
    if code != Code::Ok {
        return Ok(code);
    }
    step(9, "batch status", journal.clone());
    batch::command(
        &global,
        BatchCommand::Status(StatusArgs {
            journal,
            batch: None,
            json: false,
        }),
    )
    .await
}
