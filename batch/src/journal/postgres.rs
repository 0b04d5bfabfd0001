//! The PostgreSQL journal: several workers on several machines share one table. A worker claims
//! rows with a lease (`FOR UPDATE SKIP LOCKED`, so two workers never take the same row) and
//! renews it while it works; a lease that runs out — its worker died — frees the row, and
//! whoever takes it next reconciles it by its reference code before anything is sent again.
//! Lease times use the database's clock, so the workers' clocks need not agree.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row};

use super::sql::Value;
use super::{now_text, Entry, Event, NewRow, Registered, RowState, COLUMNS};
use crate::error::BatchError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sepay_batch_rows (
    batch TEXT NOT NULL,
    key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    reference_code TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    tracking_code TEXT,
    invoice_number TEXT,
    invoice_status TEXT,
    pdf_url TEXT,
    error_kind TEXT,
    error_message TEXT,
    api_code TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (batch, key)
);
CREATE INDEX IF NOT EXISTS sepay_batch_rows_work ON sepay_batch_rows (batch, state, seq);
";

/// The database's clock in milliseconds since the epoch.
const DB_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Serialises schema creation between workers starting together.
const SCHEMA_LOCK: i64 = 0x5e9a_7b47;

/// A journal in a PostgreSQL database.
pub struct PgJournal {
    client: Mutex<Client>,
    shown: String,
    _connection: tokio::task::JoinHandle<()>,
}

fn db(e: tokio_postgres::Error) -> BatchError {
    BatchError::journal(format!("PostgreSQL: {e}"))
}

/// `spec` without its password, for messages.
fn shown(spec: &str) -> String {
    match url_password_span(spec) {
        Some((a, b)) => format!("{}***{}", &spec[..a], &spec[b..]),
        None => spec.to_string(),
    }
}

/// Byte range of the password in `scheme://user:password@host…`.
fn url_password_span(spec: &str) -> Option<(usize, usize)> {
    let after_scheme = spec.find("://")? + 3;
    let at = after_scheme + spec[after_scheme..].find('@')?;
    let colon = after_scheme + spec[after_scheme..at].find(':')?;
    Some((colon + 1, at))
}

impl PgJournal {
    /// Connects to `spec` (a `postgres://` URL; TLS is not used, so keep the database on a
    /// private network or a local socket) and makes the table when missing.
    pub async fn open(spec: &str) -> Result<PgJournal, BatchError> {
        let (mut client, connection) = tokio_postgres::connect(spec, NoTls)
            .await
            .map_err(|e| BatchError::journal(format!("cannot connect to {}: {e}", shown(spec))))?;
        let task = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "the journal's PostgreSQL connection ended");
            }
        });
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(db)?;
        tx.batch_execute(SCHEMA).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(PgJournal {
            client: Mutex::new(client),
            shown: shown(spec),
            _connection: task,
        })
    }

    /// The URL without its password.
    pub fn describe(&self) -> String {
        self.shown.clone()
    }

    pub(super) async fn register(
        &self,
        batch: &str,
        rows: Vec<NewRow>,
    ) -> Result<Vec<Registered>, BatchError> {
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(db)?;
        let insert = tx
            .prepare(
                "INSERT INTO sepay_batch_rows (batch, key, seq, reference_code, payload_hash, payload, state, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (batch, key) DO NOTHING",
            )
            .await
            .map_err(db)?;
        let select = tx
            .prepare(&format!(
                "SELECT {COLUMNS} FROM sepay_batch_rows WHERE batch = $1 AND key = $2"
            ))
            .await
            .map_err(db)?;
        let now = now_text();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            tx.execute(
                &insert,
                &[
                    &batch,
                    &r.key,
                    &r.seq,
                    &r.reference_code,
                    &r.payload_hash,
                    &r.payload,
                    &now,
                ],
            )
            .await
            .map_err(db)?;
            let row = tx.query_one(&select, &[&batch, &r.key]).await.map_err(db)?;
            let e = entry(&row)?;
            if e.payload_hash == r.payload_hash {
                out.push(Registered::Journaled);
            } else {
                out.push(Registered::Changed {
                    key: e.key,
                    reference_code: e.reference_code,
                });
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    pub(super) async fn claim(
        &self,
        batch: &str,
        worker: &str,
        limit: usize,
        lease: Duration,
        exclude: &[String],
    ) -> Result<Vec<Entry>, BatchError> {
        let client = self.client.lock().await;
        let lease_ms = lease.as_millis() as i64;
        let limit = limit as i64;
        let rows = client
            .query(
                &format!(
                    "UPDATE sepay_batch_rows SET lease_owner = $1, lease_until = {DB_NOW_MS} + $2
                     WHERE (batch, key) IN (
                         SELECT batch, key FROM sepay_batch_rows
                         WHERE batch = $3 AND state IN ('pending', 'sending', 'accepted')
                           AND (lease_until IS NULL OR lease_until < {DB_NOW_MS})
                           AND NOT (key = ANY($5))
                         ORDER BY seq LIMIT $4
                         FOR UPDATE SKIP LOCKED)
                     RETURNING {COLUMNS}"
                ),
                &[&worker, &lease_ms, &batch, &limit, &exclude],
            )
            .await
            .map_err(db)?;
        let mut out = rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    pub(super) async fn record(
        &self,
        batch: &str,
        key: &str,
        worker: &str,
        event: Event,
    ) -> Result<(), BatchError> {
        let (sql, mut values) = super::sql::record(&event, "$", now_text(), 0, Some(DB_NOW_MS));
        let n = values.len();
        let sql = format!(
            "{sql} WHERE batch = ${} AND key = ${} AND lease_owner = ${}",
            n + 1,
            n + 2,
            n + 3
        );
        for v in [batch, key, worker] {
            values.push(Value::Text(Some(v.to_string())));
        }
        let bound: Vec<Box<dyn ToSql + Sync + Send>> = values
            .into_iter()
            .map(|v| -> Box<dyn ToSql + Sync + Send> {
                match v {
                    Value::Text(t) => Box::new(t),
                    Value::Int(i) => Box::new(i),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.client.lock().await;
        let changed = client.execute(&sql, &refs).await.map_err(db)?;
        if changed == 0 {
            return Err(BatchError::lease_lost(key));
        }
        Ok(())
    }

    pub(super) async fn renew(
        &self,
        batch: &str,
        worker: &str,
        keys: &[String],
        lease: Duration,
    ) -> Result<(), BatchError> {
        let lease_ms = lease.as_millis() as i64;
        let client = self.client.lock().await;
        client
            .execute(
                &format!(
                    "UPDATE sepay_batch_rows SET lease_until = {DB_NOW_MS} + $1
                     WHERE batch = $2 AND lease_owner = $3 AND key = ANY($4)"
                ),
                &[&lease_ms, &batch, &worker, &keys],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    pub(super) async fn entries(&self, batch: Option<&str>) -> Result<Vec<Entry>, BatchError> {
        let client = self.client.lock().await;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM sepay_batch_rows WHERE $1::text IS NULL OR batch = $1 ORDER BY batch, seq"
                ),
                &[&batch],
            )
            .await
            .map_err(db)?;
        rows.iter().map(entry).collect()
    }

    pub(super) async fn retry_failed(&self, batch: Option<&str>) -> Result<u64, BatchError> {
        let client = self.client.lock().await;
        client
            .execute(
                "UPDATE sepay_batch_rows SET state = 'pending', error_kind = NULL, error_message = NULL, api_code = NULL, updated_at = $2
                 WHERE state = 'failed' AND ($1::text IS NULL OR batch = $1)",
                &[&batch, &now_text()],
            )
            .await
            .map_err(db)
    }
}

fn entry(r: &Row) -> Result<Entry, BatchError> {
    let get = |e: tokio_postgres::Error| db(e);
    let state: String = r.try_get(6).map_err(get)?;
    Ok(Entry {
        batch: r.try_get(0).map_err(get)?,
        key: r.try_get(1).map_err(get)?,
        seq: r.try_get(2).map_err(get)?,
        reference_code: r.try_get(3).map_err(get)?,
        payload_hash: r.try_get(4).map_err(get)?,
        payload: r.try_get(5).map_err(get)?,
        state: RowState::parse(&state)?,
        tracking_code: r.try_get(7).map_err(get)?,
        invoice_number: r.try_get(8).map_err(get)?,
        invoice_status: r.try_get(9).map_err(get)?,
        pdf_url: r.try_get(10).map_err(get)?,
        error_kind: r.try_get(11).map_err(get)?,
        error_message: r.try_get(12).map_err(get)?,
        api_code: r.try_get(13).map_err(get)?,
        attempts: r.try_get(14).map_err(get)?,
        updated_at: r.try_get(15).map_err(get)?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::shown("postgres://batch:s3cret@db.local:5432/app"),
            "postgres://batch:***@db.local:5432/app"
        );
        assert_eq!(
            super::shown("postgres://db.local/app"),
            "postgres://db.local/app"
        );
    }
}
