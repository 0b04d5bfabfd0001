//! The visible invoices by reference code, each with its detail answer (`GET /v1/invoices/{code}`)
//! cached as JSON text: building that answer as a JSON value cost most of the mock's CPU per
//! call. Reads go through `Deref`; every change goes through [`Invoices::get_mut`],
//! [`Invoices::insert`] or [`Invoices::remove`], and a changed invoice's cached answer is
//! dropped, so none is ever stale.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::OnceLock;

use axum::body::Bytes;
use serde_json::json;

use crate::model::Invoice;

/// The invoices of the store.
#[derive(Default)]
pub struct Invoices(HashMap<String, Invoice>);

impl Deref for Invoices {
    type Target = HashMap<String, Invoice>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Invoices {
    /// The invoice to change (its cached answer dropped).
    pub fn get_mut(&mut self, reference_code: &str) -> Option<&mut Invoice> {
        let inv = self.0.get_mut(reference_code)?;
        inv.detail_cache = DetailCache::default();
        Some(inv)
    }

    pub fn insert(&mut self, reference_code: String, inv: Invoice) -> Option<Invoice> {
        self.0.insert(reference_code, inv)
    }

    pub fn remove(&mut self, reference_code: &str) -> Option<Invoice> {
        self.0.remove(reference_code)
    }
}

/// An invoice's detail answer, `{"success":true,"data":…}`, for the base URL it names.
#[derive(Debug, Clone, Default)]
pub struct DetailCache(OnceLock<(String, Bytes)>);

impl Invoice {
    /// The whole detail answer for `base`: written once per state of the invoice (and base).
    pub fn detail_body(&self, base: &str) -> Bytes {
        let write =
            || Bytes::from(json!({"success": true, "data": self.detail_json(base)}).to_string());
        match self.detail_cache.0.get() {
            Some((b, body)) if b == base => body.clone(),
            Some(_) => write(),
            None => self
                .detail_cache
                .0
                .get_or_init(|| (base.to_string(), write()))
                .1
                .clone(),
        }
    }
}
