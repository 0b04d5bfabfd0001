//! The SQLite journal: one file next to the input, used by one process at a time (an exclusive
//! lock on `<file>.lock` says so), written with `synchronous=FULL` so a recorded step survives a
//! crash or a power cut. Leases left by a killed process are void once the next run holds the
//! lock.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::sql::Value;
use super::{now_ms, now_text, Entry, Event, NewRow, Registered, RowState, COLUMNS};
use crate::error::BatchError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sepay_batch_rows (
    batch TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
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
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (batch, key)
);
CREATE INDEX IF NOT EXISTS sepay_batch_rows_work ON sepay_batch_rows (batch, state, seq);
";

/// A journal in one SQLite file.
pub struct SqliteJournal {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    // Held for the journal's lifetime: one process at a time (`None`: opened read-only).
    _lock: Option<File>,
}

fn db(e: rusqlite::Error) -> BatchError {
    BatchError::journal(format!("SQLite: {e}"))
}

impl SqliteJournal {
    /// Opens (creating) the journal at `path`.
    pub async fn open(path: &Path) -> Result<SqliteJournal, BatchError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || SqliteJournal::open_blocking(path))
            .await
            .map_err(|e| BatchError::journal(format!("SQLite open task failed: {e}")))?
    }

    fn open_blocking(path: PathBuf) -> Result<SqliteJournal, BatchError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                BatchError::journal(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| {
                BatchError::journal(format!("cannot open the journal's lock file: {e}"))
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(BatchError::journal(format!(
                    "the journal {} is in use by another process; a SQLite journal serves one process at a time (use a postgres:// journal for several workers)",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(BatchError::journal(format!("cannot lock the journal: {e}")))
            }
        }
        let conn = Connection::open(&path).map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        )
        .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        // This process holds the lock: leases of earlier (dead) runs are void.
        conn.execute(
            "UPDATE sepay_batch_rows SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL",
            [],
        )
        .map_err(db)?;
        Ok(SqliteJournal {
            conn: Arc::new(Mutex::new(conn)),
            path,
            _lock: Some(lock),
        })
    }

    /// Opens an existing journal to read it, beside the process that may be writing it (WAL
    /// lets readers in); nothing can be written through it.
    pub async fn open_read_only(path: &Path) -> Result<SqliteJournal, BatchError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let conn = Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(db)?;
            conn.execute_batch("PRAGMA busy_timeout=5000;")
                .map_err(db)?;
            Ok(SqliteJournal {
                conn: Arc::new(Mutex::new(conn)),
                path,
                _lock: None,
            })
        })
        .await
        .map_err(|e| BatchError::journal(format!("SQLite open task failed: {e}")))?
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, BatchError> + Send + 'static,
    ) -> Result<T, BatchError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut c)
        })
        .await
        .map_err(|e| BatchError::journal(format!("SQLite task failed: {e}")))?
    }

    pub(super) async fn register(
        &self,
        batch: &str,
        rows: Vec<NewRow>,
    ) -> Result<Vec<Registered>, BatchError> {
        let batch = batch.to_string();
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            let mut out = Vec::with_capacity(rows.len());
            {
                let now = now_text();
                let mut insert = tx
                    .prepare(
                        "INSERT INTO sepay_batch_rows (batch, key, seq, reference_code, payload_hash, payload, state, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7) ON CONFLICT (batch, key) DO NOTHING",
                    )
                    .map_err(db)?;
                let mut select = tx
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM sepay_batch_rows WHERE batch = ?1 AND key = ?2"
                    ))
                    .map_err(db)?;
                for r in rows {
                    insert
                        .execute(params![batch, r.key, r.seq, r.reference_code, r.payload_hash, r.payload, now])
                        .map_err(db)?;
                    let e = select
                        .query_row(params![batch, r.key], entry)
                        .optional()
                        .map_err(db)?
                        .ok_or_else(|| BatchError::journal("a row vanished while it was journaled"))??;
                    if e.payload_hash == r.payload_hash {
                        out.push(Registered::Journaled);
                    } else {
                        out.push(Registered::Changed {
                            key: e.key,
                            reference_code: e.reference_code,
                        });
                    }
                }
            }
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
    }

    pub(super) async fn claim(
        &self,
        batch: &str,
        worker: &str,
        limit: usize,
        lease: Duration,
        exclude: &[String],
    ) -> Result<Vec<Entry>, BatchError> {
        let (batch, worker) = (batch.to_string(), worker.to_string());
        let exclude = serde_json::to_string(exclude)
            .map_err(|e| BatchError::journal(format!("cannot write the keys to skip: {e}")))?;
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            let now = now_ms();
            let until = now + lease.as_millis() as i64;
            let rows: Vec<Entry> = {
                let mut select = tx
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM sepay_batch_rows
                         WHERE batch = ?1 AND state IN ('pending', 'sending', 'accepted')
                           AND (lease_until IS NULL OR lease_until < ?2)
                           AND key NOT IN (SELECT value FROM json_each(?4))
                         ORDER BY seq LIMIT ?3"
                    ))
                    .map_err(db)?;
                let found = select
                    .query_map(params![batch, now, limit as i64, exclude], entry)
                    .map_err(db)?;
                let mut rows = Vec::new();
                for r in found {
                    rows.push(r.map_err(db)??);
                }
                rows
            };
            for e in &rows {
                tx.execute(
                    "UPDATE sepay_batch_rows SET lease_owner = ?1, lease_until = ?2 WHERE batch = ?3 AND key = ?4",
                    params![worker, until, batch, e.key],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(rows)
        })
        .await
    }

    pub(super) async fn record(
        &self,
        batch: &str,
        key: &str,
        worker: &str,
        event: Event,
    ) -> Result<(), BatchError> {
        let (batch, key, worker) = (batch.to_string(), key.to_string(), worker.to_string());
        self.with(move |c| {
            let (sql, mut values) = super::sql::record(&event, "?", now_text(), now_ms(), None);
            let n = values.len();
            let sql = format!(
                "{sql} WHERE batch = ?{} AND key = ?{} AND lease_owner = ?{}",
                n + 1,
                n + 2,
                n + 3
            );
            for v in [batch, key.clone(), worker] {
                values.push(Value::Text(Some(v)));
            }
            let changed = c
                .execute(&sql, rusqlite::params_from_iter(values.iter().map(bind)))
                .map_err(db)?;
            if changed == 0 {
                return Err(BatchError::lease_lost(&key));
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn renew(
        &self,
        batch: &str,
        worker: &str,
        keys: &[String],
        lease: Duration,
    ) -> Result<(), BatchError> {
        let (batch, worker, keys) = (batch.to_string(), worker.to_string(), keys.to_vec());
        self.with(move |c| {
            let until = now_ms() + lease.as_millis() as i64;
            let tx = c.transaction().map_err(db)?;
            for k in keys {
                tx.execute(
                    "UPDATE sepay_batch_rows SET lease_until = ?1 WHERE batch = ?2 AND key = ?3 AND lease_owner = ?4",
                    params![until, batch, k, worker],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)
        })
        .await
    }

    pub(super) async fn entries(&self, batch: Option<&str>) -> Result<Vec<Entry>, BatchError> {
        let batch = batch.map(str::to_string);
        self.with(move |c| {
            let mut select = c
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM sepay_batch_rows WHERE ?1 IS NULL OR batch = ?1 ORDER BY batch, seq"
                ))
                .map_err(db)?;
            let found = select.query_map(params![batch], entry).map_err(db)?;
            let mut rows = Vec::new();
            for r in found {
                rows.push(r.map_err(db)??);
            }
            Ok(rows)
        })
        .await
    }

    pub(super) async fn retry_failed(&self, batch: Option<&str>) -> Result<u64, BatchError> {
        let batch = batch.map(str::to_string);
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE sepay_batch_rows SET state = 'pending', error_kind = NULL, error_message = NULL, api_code = NULL, updated_at = ?2
                     WHERE state = 'failed' AND (?1 IS NULL OR batch = ?1)",
                    params![batch, now_text()],
                )
                .map_err(db)?;
            Ok(n as u64)
        })
        .await
    }
}

/// A shared value as SQLite binds it.
fn bind(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Text(Some(s)) => rusqlite::types::Value::Text(s.clone()),
        Value::Text(None) => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
    }
}

/// Reads a row of `SELECT {COLUMNS}`; a bad state is an error of its own (the journal was edited).
fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Entry, BatchError>> {
    let state: String = r.get(6)?;
    let state = match RowState::parse(&state) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Entry {
        batch: r.get(0)?,
        key: r.get(1)?,
        seq: r.get(2)?,
        reference_code: r.get(3)?,
        payload_hash: r.get(4)?,
        payload: r.get(5)?,
        state,
        tracking_code: r.get(7)?,
        invoice_number: r.get(8)?,
        invoice_status: r.get(9)?,
        pdf_url: r.get(10)?,
        error_kind: r.get(11)?,
        error_message: r.get(12)?,
        api_code: r.get(13)?,
        attempts: r.get(14)?,
        updated_at: r.get(15)?,
    }))
}
