//! Peer: raw `reqwest`, as its best users write it: one `Client` (its connection pool keeps
//! connections alive and grows with the concurrency), the token fetched once, answers
//! deserialized with serde into structs with `Decimal` amounts.

use rust_decimal::Decimal;
use serde::Deserialize;

/// What a hand-written client deserializes a get-invoice answer into. The benchmark reads none
/// of the fields: it measures what parsing them costs.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
pub struct Invoice {
    pub reference_code: String,
    pub status: String,
    pub invoice_number: Option<String>,
    pub issued_date: String,
    pub currency: Option<String>,
    pub total_before_tax: Decimal,
    pub tax_amount: Decimal,
    pub total_amount: Decimal,
    pub buyer: Buyer,
    #[serde(default)]
    pub items: Vec<Line>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
pub struct Buyer {
    pub name: Option<String>,
    pub tax_code: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
pub struct Line {
    pub line_number: u32,
    pub item_name: String,
    pub quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub tax_rate: Option<Decimal>,
    pub total_amount: Option<Decimal>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
}

pub struct ReqwestPeer {
    http: reqwest::Client,
    base: String,
    bearer: String,
}

pub type PeerResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

impl ReqwestPeer {
    pub async fn open(base_url: &str) -> PeerResult<Self> {
        // reqwest is built with rustls and no default crypto provider in this workspace.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let base = base_url.trim_end_matches('/').to_string();
        let token: Envelope<Token> = http
            .post(format!("{base}/v1/token"))
            .basic_auth("mock_client_id", Some("mock_client_secret"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let bearer = format!("Bearer {}", token.data.access_token);
        Ok(ReqwestPeer { http, base, bearer })
    }

    pub async fn get_invoice(&self, reference_code: &str) -> PeerResult<Invoice> {
        let answer: Envelope<Invoice> = self
            .http
            .get(format!("{}/v1/invoices/{reference_code}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.bearer)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(answer.data)
    }
}
