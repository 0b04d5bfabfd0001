//! The whole invoice flow against the API (or the bundled mock server): token, provider accounts,
//! create a draft and wait, issue and wait, read it back, download the PDF, list, usage, then
//! the corrections of an issued invoice: preflight, adjustments (increase, decrease, information)
//! and a replacement.
//!
//! ```sh
//! SEPAY_EINVOICE_BASE_URL=http://127.0.0.1:PORT SEPAY_EINVOICE_CLIENT_ID=mock_client_id \
//! SEPAY_EINVOICE_CLIENT_SECRET=mock_client_secret cargo run -p sepay-einvoice --example quickstart
//! ```

use std::time::Duration;

use futures_util::StreamExt;
use sepay_einvoice::{
    AdjustInvoice, AdjustmentType, Buyer, Client, CreateInvoice, FileType, LineItem,
    ListInvoicesParams, ReplaceInvoice, TaxRate, WaitOptions,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder().app_info("quickstart").build()?;
    println!("[rust] base URL           {}", client.base_url());

    let token = client.authenticate().await?;
    println!(
        "[rust] 1 token            {} token, valid {} s",
        token.token_type, token.expires_in
    );

    let accounts = client.list_provider_accounts(&Default::default()).await?;
    let account = accounts
        .items
        .iter()
        .find(|a| a.active)
        .ok_or("no active provider account")?;
    let detail = client.get_provider_account(&account.id).await?;
    let now = chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::minutes(1);
    // A series carries the year it is used in (C26… in 2026): take a VAT template of this year.
    let year = now.format("%y").to_string();
    let template = detail
        .templates
        .iter()
        .filter(|t| t.invoice_series.get(1..3) == Some(year.as_str()))
        .find(|t| t.template_code == "1")
        .ok_or("no VAT template with a series of this year")?;
    println!(
        "[rust] 2 accounts         {} found; using {} ({}), template {} / {}",
        accounts.items.len(),
        account.id,
        account.provider,
        template.template_code,
        template.invoice_series
    );

    let request = CreateInvoice {
        provider_account_id: account.id.clone(),
        template_code: template.template_code.clone(),
        invoice_series: template.invoice_series.clone(),
        issued_date: now.format("%Y-%m-%d %H:%M:%S").to_string(),
        is_draft: true,
        buyer: Buyer {
            name: Some("Công ty TNHH ABC".into()),
            tax_code: Some("0100233488".into()),
            address: Some("123 Đường A, Quận B, Hà Nội".into()),
            email: Some("buyer@example.com".into()),
            ..Default::default()
        },
        items: vec![
            LineItem::new("Sản phẩm A", 2.into(), 100_000.into())
                .with_unit("cái")
                .with_tax_rate(TaxRate::Ten),
            LineItem::new("Dịch vụ B", "1.5".parse()?, 300_000.into())
                .with_unit("giờ")
                .with_tax_rate(TaxRate::Ten),
        ],
        notes: Some("Hóa đơn mẫu từ sepay-einvoice".into()),
        ..Default::default()
    };
    let preview = request.totals();
    println!(
        "[rust] 3 preview          before tax {} + tax {} = {}",
        preview.total_before_tax, preview.tax_amount, preview.total_amount
    );

    // Short poll intervals because the mock answers quickly; the defaults follow the API's advice (2–5 s).
    let wait = || {
        WaitOptions::default()
            .poll_intervals(Duration::from_millis(200), Duration::from_secs(1))
            .timeout(Duration::from_secs(60))
    };
    let job = client.create_invoice(&request).await?;
    println!(
        "[rust] 4 create           job {} for reference {}",
        job.tracking_code.as_deref().unwrap_or("-"),
        job.reference_code
    );
    let draft = client
        .wait_for_status(
            &job,
            wait().on_status(|s| println!("[rust]   status           {}", s.state)),
        )
        .await?;
    println!(
        "[rust] 5 draft ready      status {}, number {}, total {}",
        draft.status,
        draft.invoice_number.as_deref().unwrap_or("-"),
        draft.total_amount.unwrap_or_default()
    );

    let issued = client
        .issue_invoice_and_wait(&draft.reference_code, wait())
        .await?;
    println!(
        "[rust] 6 issued           number {}, status {}",
        issued.invoice_number.as_deref().unwrap_or("?"),
        issued.status
    );

    let full = client.get_invoice(&issued.reference_code).await?;
    println!(
        "[rust] 7 get              {} lines, total {}",
        full.items.len(),
        full.total_amount.unwrap_or_default()
    );

    let pdf = client
        .download_invoice(&issued.reference_code, FileType::Pdf)
        .await?;
    println!(
        "[rust] 8 download         {} ({} bytes, starts with {:?})",
        pdf.file_name,
        pdf.content.len(),
        String::from_utf8_lossy(&pdf.content[..pdf.content.len().min(5)])
    );

    let page = client
        .list_invoices(&ListInvoicesParams {
            per_page: Some(5),
            ..Default::default()
        })
        .await?;
    let all: Vec<_> = client
        .iter_invoices(&ListInvoicesParams {
            per_page: Some(50),
            ..Default::default()
        })
        .collect()
        .await;
    println!(
        "[rust] 9 list             first page {} of {} invoices; iterated {}",
        page.items.len(),
        page.paging.total,
        all.len()
    );

    let usage = client.get_usage().await?;
    println!(
        "[rust] 10 usage           {} issuances left",
        usage.quota_remaining
    );

    // Corrections (Decree 70/2025): an issued invoice is adjusted or replaced, never cancelled.
    let mut last_year = request.clone();
    last_year.invoice_series = format!(
        "C{:02}TSE",
        (now.format("%y").to_string().parse::<u32>()? + 99) % 100
    );
    let check = client.preflight(&last_year).await?;
    for p in &check.problems {
        println!(
            "[rust] 11 preflight       {} {} [{}]: {}",
            p.severity, p.field, p.rule, p.message
        );
    }
    // An adjustment carries only the difference, on a new (issued) invoice.
    let difference = |items: Vec<LineItem>| CreateInvoice {
        is_draft: false,
        items,
        notes: None,
        ..request.clone()
    };
    for (kind, items) in [
        (
            AdjustmentType::Increase,
            vec![LineItem::new("Sản phẩm A", 1.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)],
        ),
        (
            AdjustmentType::Decrease,
            vec![LineItem::new("Dịch vụ B", 1.into(), (-50_000).into()).with_tax_rate(TaxRate::Ten)],
        ),
        (
            AdjustmentType::Info,
            vec![LineItem {
                item_name: "Sửa địa chỉ người mua: 456 Đường B, Quận 3".into(),
                ..Default::default()
            }],
        ),
    ] {
        let adj = AdjustInvoice::new(
            issued.reference_code.clone(),
            kind.clone(),
            difference(items),
        );
        let done = client.adjust_invoice_and_wait(&adj, wait()).await?;
        println!(
            "[rust] 12 adjust {:<9} {} total {}",
            kind.as_str(),
            done.reference_code,
            done.total_amount.unwrap_or_default()
        );
    }
    let mut corrected = request.clone();
    corrected.is_draft = false;
    corrected.items[0].quantity = Some(3.into());
    let replacement = client
        .replace_invoice_and_wait(
            &ReplaceInvoice::new(issued.reference_code.clone(), corrected),
            wait(),
        )
        .await?;
    let original = client.get_invoice(&issued.reference_code).await?;
    println!(
        "[rust] 13 replace         {} replaces {} (document type {:?}, {} adjustments, replaced by {})",
        replacement.reference_code,
        original.reference_code,
        original.document_type,
        original.adjusted_by.len(),
        original.replaced_by.as_deref().unwrap_or("-")
    );
    Ok(())
}
