//! Request counters per route id and HTTP status, for `GET /_mock/stats`.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

/// Status slot used for connections closed by a `drop` fault.
pub const DROPPED: u16 = 0;

/// Counts of answered requests, keyed by (route id, status); [`DROPPED`] for dropped ones.
#[derive(Debug, Default)]
pub struct Stats {
    counts: HashMap<(&'static str, u16), u64>,
    total: u64,
}

impl Stats {
    /// Records one request.
    pub fn record(&mut self, route: &'static str, status: u16) {
        *self.counts.entry((route, status)).or_insert(0) += 1;
        self.total += 1;
    }

    /// Requests counted so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// `{"<route>":{"<status>":n}}`, sorted for stable output.
    pub fn requests_json(&self) -> Value {
        let mut by_route: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
        for ((route, status), n) in &self.counts {
            let key = if *status == DROPPED {
                "dropped".to_string()
            } else {
                status.to_string()
            };
            by_route.entry(route).or_default().insert(key, *n);
        }
        let mut out = Map::new();
        for (route, statuses) in by_route {
            let inner: Map<String, Value> = statuses
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect();
            out.insert(route.to_string(), Value::Object(inner));
        }
        Value::Object(out)
    }
}
