//! Fault injection: rules added through `/_mock/faults` and the decision taken per request.

use std::time::Duration;

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::envelope::{default_code, default_message, ApiError};
use crate::routes::ROUTE_IDS;

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer an error status without doing the action.
    Status,
    /// Sleep, then keep checking the other rules.
    Latency,
    /// Do the action, then close the connection without answering.
    Drop,
    /// Do the action, then answer 200 with a body that is not JSON.
    Malformed,
}

impl FaultKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "status" => FaultKind::Status,
            "latency" => FaultKind::Latency,
            "drop" => FaultKind::Drop,
            "malformed" => FaultKind::Malformed,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            FaultKind::Status => "status",
            FaultKind::Latency => "latency",
            FaultKind::Drop => "drop",
            FaultKind::Malformed => "malformed",
        }
    }
}

/// One fault rule.
#[derive(Debug, Clone)]
pub struct FaultRule {
    id: u64,
    route: String,
    kind: FaultKind,
    status: u16,
    code: Option<String>,
    message: Option<String>,
    retry_after: Option<u64>,
    latency_ms: u64,
    times: Option<u64>,
    probability: f64,
    fired: u64,
}

impl FaultRule {
    /// Reads a rule from the `POST /_mock/faults` body; the error names the bad field.
    pub fn from_json(v: &Value) -> Result<FaultRule, ApiError> {
        let obj = v
            .as_object()
            .ok_or_else(|| ApiError::bad_request("Quy tắc lỗi phải là một đối tượng JSON"))?;
        let route = match obj.get("route") {
            None | Some(Value::Null) => "*".to_string(),
            Some(Value::String(s)) if s == "*" || ROUTE_IDS.contains(&s.as_str()) => s.clone(),
            Some(_) => return Err(ApiError::invalid("route")),
        };
        let kind = match obj.get("kind") {
            Some(Value::String(s)) => {
                FaultKind::parse(s).ok_or_else(|| ApiError::invalid("kind"))?
            }
            None | Some(Value::Null) => return Err(ApiError::missing("kind")),
            Some(_) => return Err(ApiError::invalid("kind")),
        };
        let status = match opt_u64(obj.get("status"), "status")? {
            None => 503,
            Some(s) if (400..=599).contains(&s) => s as u16,
            Some(_) => return Err(ApiError::invalid("status")),
        };
        let code = opt_str(obj.get("code"), "code")?;
        let message = opt_str(obj.get("message"), "message")?;
        let retry_after = opt_u64(obj.get("retry_after"), "retry_after")?;
        let latency_ms = opt_u64(obj.get("latency_ms"), "latency_ms")?.unwrap_or(0);
        if latency_ms > 600_000 {
            return Err(ApiError::invalid("latency_ms"));
        }
        let times = opt_u64(obj.get("times"), "times")?;
        let probability = match obj.get("probability") {
            None | Some(Value::Null) => 1.0,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(p) if (0.0..=1.0).contains(&p) => p,
                _ => return Err(ApiError::invalid("probability")),
            },
            Some(_) => return Err(ApiError::invalid("probability")),
        };
        Ok(FaultRule {
            id: 0,
            route,
            kind,
            status,
            code,
            message,
            retry_after,
            latency_ms,
            times,
            probability,
            fired: 0,
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "route": self.route,
            "kind": self.kind.as_str(),
            "status": self.status,
            "code": self.code.clone().unwrap_or_else(|| default_code(self.status).to_string()),
            "message": self.message,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "times": self.times,
            "probability": self.probability,
            "fired": self.fired,
        })
    }

    fn error(&self) -> ApiError {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let code = self
            .code
            .clone()
            .unwrap_or_else(|| default_code(self.status).to_string());
        let message = self
            .message
            .clone()
            .unwrap_or_else(|| default_message(self.status).to_string());
        ApiError {
            status,
            code,
            message,
            retry_after: self.retry_after,
        }
    }
}

fn opt_u64(v: Option<&Value>, field: &str) -> Result<Option<u64>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| ApiError::invalid(field)),
        Some(_) => Err(ApiError::invalid(field)),
    }
}

fn opt_str(v: Option<&Value>, field: &str) -> Result<Option<String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(field)),
    }
}

/// What the request pipeline must do after consulting the rules.
#[derive(Debug)]
pub enum Action {
    /// Serve normally.
    Pass,
    /// Answer this error instead of serving.
    Status(ApiError),
    /// Serve, then close the connection without answering.
    Drop,
    /// Serve, then answer 200 with a broken JSON body.
    Malformed,
}

/// The outcome for one request: sleep this long, then act.
#[derive(Debug)]
pub struct Decision {
    /// Total latency of the latency rules that fired.
    pub latency: Duration,
    /// The first non-latency rule that fired, if any.
    pub action: Action,
}

/// The rule list and the seeded RNG that draws their probabilities.
#[derive(Debug)]
pub struct Faults {
    rules: Vec<FaultRule>,
    next_id: u64,
    rng: StdRng,
}

impl Faults {
    /// No rules; the RNG seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Faults {
            rules: Vec::new(),
            next_id: 1,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Appends a rule and returns its id.
    pub fn add(&mut self, mut rule: FaultRule) -> u64 {
        rule.id = self.next_id;
        self.next_id += 1;
        let id = rule.id;
        self.rules.push(rule);
        id
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Removes one rule; false if there was none with that id.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// The rules as JSON, in order.
    pub fn to_json(&self) -> Value {
        Value::Array(self.rules.iter().map(FaultRule::to_json).collect())
    }

    /// Walks the rules in order for a request to `route`; a rule that fires spends one of its
    /// `times`. Latency rules add up and the walk goes on; the first other rule ends it.
    pub fn decide(&mut self, route: &str) -> Decision {
        let mut decision = Decision {
            latency: Duration::ZERO,
            action: Action::Pass,
        };
        for rule in &mut self.rules {
            if rule.route != "*" && rule.route != route {
                continue;
            }
            if rule.times == Some(0) {
                continue;
            }
            // Draw only for real probabilities so that 0/1 rules leave the sequence untouched.
            let fires = if rule.probability >= 1.0 {
                true
            } else if rule.probability <= 0.0 {
                false
            } else {
                self.rng.random::<f64>() < rule.probability
            };
            if !fires {
                continue;
            }
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            rule.fired += 1;
            match rule.kind {
                FaultKind::Latency => {
                    decision.latency += Duration::from_millis(rule.latency_ms);
                }
                FaultKind::Status => {
                    decision.action = Action::Status(rule.error());
                    break;
                }
                FaultKind::Drop => {
                    decision.action = Action::Drop;
                    break;
                }
                FaultKind::Malformed => {
                    decision.action = Action::Malformed;
                    break;
                }
            }
        }
        decision
    }

    /// True when no rule could fire (the fast path skips the walk).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
