//! Fault injection: rules added through `/_mock/faults` and the decision taken per request.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::envelope::{default_code, default_message, ApiError};
use crate::padded_body::Padding;
use crate::route_id::ROUTE_IDS;

/// Largest `body_bytes` of an `oversize` rule (2 GB).
const MAX_BODY_BYTES: u64 = 2_000_000_000;
/// Default `chunk_bytes` of the streamed bodies.
const DEFAULT_CHUNK_BYTES: u64 = 65_536;
/// Largest `chunk_bytes`: one chunk buffer is allocated per answer, so keep it modest.
const MAX_CHUNK_BYTES: u64 = 16 * 1024 * 1024;
/// Largest `latency_ms` and `chunk_delay_ms` (10 minutes).
const MAX_DELAY_MS: u64 = 600_000;
/// Statuses a `redirect` rule may answer.
const REDIRECT_STATUSES: [u64; 5] = [301, 302, 303, 307, 308];

/// The keys of a rule; any other is refused, so a misspelt one (`tims`) cannot turn a one-off
/// fault into a permanent one.
const RULE_KEYS: [&str; 18] = [
    "route",
    "except",
    "kind",
    "status",
    "code",
    "message",
    "retry_after",
    "latency_ms",
    "when",
    "body_bytes",
    "chunked",
    "chunk_bytes",
    "chunk_delay_ms",
    "location",
    "body",
    "act",
    "times",
    "probability",
];

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
    /// Do the action, then answer 200 with a body of `body_bytes` bytes.
    Oversize,
    /// Do the action, then answer 200 with a chunked body that never ends.
    Endless,
    /// Answer a 3xx with a `Location` header without doing the action.
    Redirect,
    /// Do the action (unless `act: false`), then answer the rule's own body.
    Body,
}

impl FaultKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "status" => FaultKind::Status,
            "latency" => FaultKind::Latency,
            "drop" => FaultKind::Drop,
            "malformed" => FaultKind::Malformed,
            "oversize" => FaultKind::Oversize,
            "endless" => FaultKind::Endless,
            "redirect" => FaultKind::Redirect,
            "body" => FaultKind::Body,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            FaultKind::Status => "status",
            FaultKind::Latency => "latency",
            FaultKind::Drop => "drop",
            FaultKind::Malformed => "malformed",
            FaultKind::Oversize => "oversize",
            FaultKind::Endless => "endless",
            FaultKind::Redirect => "redirect",
            FaultKind::Body => "body",
        }
    }
}

/// When a `latency` rule sleeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Before the route runs: a client that hangs up meanwhile cancels the action.
    Before,
    /// After the route has run, before the answer is written: the action always happens.
    After,
}

impl When {
    fn as_str(self) -> &'static str {
        match self {
            When::Before => "before",
            When::After => "after",
        }
    }
}

/// One fault rule.
#[derive(Debug, Clone)]
pub struct FaultRule {
    id: u64,
    route: String,
    except: Vec<&'static str>,
    kind: FaultKind,
    status: u16,
    code: Option<String>,
    message: Option<String>,
    retry_after: Option<u64>,
    latency_ms: u64,
    when: When,
    body_bytes: Option<u64>,
    chunked: bool,
    chunk_bytes: u64,
    chunk_delay_ms: u64,
    location: Option<HeaderValue>,
    body: Option<Arc<str>>,
    act: bool,
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
        if let Some(key) = obj.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
            return Err(ApiError::unknown(key));
        }
        let route = match obj.get("route") {
            None | Some(Value::Null) => "*".to_string(),
            Some(Value::String(s)) if s == "*" || ROUTE_IDS.contains(&s.as_str()) => s.clone(),
            Some(_) => return Err(ApiError::invalid("route")),
        };
        let except = route_list(obj.get("except"), "except")?;
        let kind = match obj.get("kind") {
            Some(Value::String(s)) => {
                FaultKind::parse(s).ok_or_else(|| ApiError::invalid("kind"))?
            }
            None | Some(Value::Null) => return Err(ApiError::missing("kind")),
            Some(_) => return Err(ApiError::invalid("kind")),
        };
        let status = parse_status(opt_u64(obj.get("status"), "status")?, kind)?;
        let code = opt_str(obj.get("code"), "code")?;
        let message = opt_str(obj.get("message"), "message")?;
        let retry_after = opt_u64(obj.get("retry_after"), "retry_after")?;
        let latency_ms = opt_u64(obj.get("latency_ms"), "latency_ms")?.unwrap_or(0);
        if latency_ms > MAX_DELAY_MS {
            return Err(ApiError::invalid("latency_ms"));
        }
        let when = match opt_str(obj.get("when"), "when")?.as_deref() {
            None | Some("before") => When::Before,
            Some("after") => When::After,
            Some(_) => return Err(ApiError::invalid("when")),
        };
        let body_bytes = match opt_u64(obj.get("body_bytes"), "body_bytes")? {
            Some(n) if !(1..=MAX_BODY_BYTES).contains(&n) => {
                return Err(ApiError::invalid("body_bytes"))
            }
            None if kind == FaultKind::Oversize => return Err(ApiError::missing("body_bytes")),
            n => n,
        };
        let chunked = opt_bool(obj.get("chunked"), "chunked")?.unwrap_or(false);
        let chunk_bytes = match opt_u64(obj.get("chunk_bytes"), "chunk_bytes")? {
            None => DEFAULT_CHUNK_BYTES,
            Some(n) if (1..=MAX_CHUNK_BYTES).contains(&n) => n,
            Some(_) => return Err(ApiError::invalid("chunk_bytes")),
        };
        let chunk_delay_ms = opt_u64(obj.get("chunk_delay_ms"), "chunk_delay_ms")?.unwrap_or(0);
        if chunk_delay_ms > MAX_DELAY_MS {
            return Err(ApiError::invalid("chunk_delay_ms"));
        }
        let location = match opt_str(obj.get("location"), "location")? {
            Some(s) if !s.is_empty() => {
                Some(HeaderValue::try_from(s).map_err(|_| ApiError::invalid("location"))?)
            }
            Some(_) => return Err(ApiError::invalid("location")),
            None if kind == FaultKind::Redirect => return Err(ApiError::missing("location")),
            None => None,
        };
        let body = match opt_str(obj.get("body"), "body")? {
            None if kind == FaultKind::Body => return Err(ApiError::missing("body")),
            b => b.map(Arc::from),
        };
        let act = opt_bool(obj.get("act"), "act")?.unwrap_or(true);
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
            except,
            kind,
            status,
            code,
            message,
            retry_after,
            latency_ms,
            when,
            body_bytes,
            chunked,
            chunk_bytes,
            chunk_delay_ms,
            location,
            body,
            act,
            times,
            probability,
            fired: 0,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("route".into(), json!(self.route));
        m.insert("except".into(), json!(self.except));
        m.insert("kind".into(), json!(self.kind.as_str()));
        m.insert("status".into(), json!(self.status));
        m.insert(
            "code".into(),
            json!(self
                .code
                .clone()
                .unwrap_or_else(|| default_code(self.status).to_string())),
        );
        m.insert("message".into(), json!(self.message));
        m.insert("retry_after".into(), json!(self.retry_after));
        m.insert("latency_ms".into(), json!(self.latency_ms));
        m.insert("when".into(), json!(self.when.as_str()));
        m.insert("body_bytes".into(), json!(self.body_bytes));
        m.insert("chunked".into(), json!(self.chunked));
        m.insert("chunk_bytes".into(), json!(self.chunk_bytes));
        m.insert("chunk_delay_ms".into(), json!(self.chunk_delay_ms));
        let location = self
            .location
            .as_ref()
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
        m.insert("location".into(), json!(location));
        m.insert("body".into(), json!(self.body.as_deref()));
        m.insert("act".into(), json!(self.act));
        m.insert("times".into(), json!(self.times));
        m.insert("probability".into(), json!(self.probability));
        m.insert("fired".into(), json!(self.fired));
        Value::Object(m)
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

    fn padding(&self, total: Option<u64>) -> Padding {
        Padding {
            total,
            chunked: self.chunked,
            chunk_bytes: usize::try_from(self.chunk_bytes).unwrap_or(65_536),
            delay: Duration::from_millis(self.chunk_delay_ms),
        }
    }

    fn applies_to(&self, route: &str) -> bool {
        (self.route == "*" || self.route == route) && !self.except.contains(&route)
    }

    /// The action of a non-latency rule that fired.
    fn action(&self) -> Action {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        match self.kind {
            // Latency rules never end the walk; `decide` handles them before this.
            FaultKind::Latency => Action::Pass,
            FaultKind::Status => Action::Status(self.error()),
            FaultKind::Drop => Action::Drop,
            FaultKind::Malformed => Action::Malformed,
            FaultKind::Oversize => Action::Stream(self.padding(Some(self.body_bytes.unwrap_or(1)))),
            FaultKind::Endless => Action::Stream(self.padding(None)),
            FaultKind::Redirect => Action::Redirect {
                status,
                location: self
                    .location
                    .clone()
                    .unwrap_or_else(|| HeaderValue::from_static("/")),
            },
            FaultKind::Body => Action::Body {
                status,
                template: self.body.clone().unwrap_or_else(|| Arc::from("")),
                act: self.act,
            },
        }
    }
}

/// `status` checked against what the kind allows, or the kind's default.
fn parse_status(status: Option<u64>, kind: FaultKind) -> Result<u16, ApiError> {
    let (default, ok): (u16, fn(u64) -> bool) = match kind {
        FaultKind::Redirect => (302, |s| REDIRECT_STATUSES.contains(&s)),
        FaultKind::Body => (200, |s| (200..=599).contains(&s)),
        _ => (503, |s| (400..=599).contains(&s)),
    };
    match status {
        None => Ok(default),
        Some(s) if ok(s) => u16::try_from(s).map_err(|_| ApiError::invalid("status")),
        Some(_) => Err(ApiError::invalid("status")),
    }
}

/// An optional array of route ids.
fn route_list(v: Option<&Value>, field: &str) -> Result<Vec<&'static str>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .and_then(|s| ROUTE_IDS.iter().copied().find(|id| *id == s))
                    .ok_or_else(|| ApiError::invalid(field))
            })
            .collect(),
        Some(_) => Err(ApiError::invalid(field)),
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

fn opt_bool(v: Option<&Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
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
    /// Serve, then answer 200 with a padded body (`oversize`, `endless`).
    Stream(Padding),
    /// Answer a redirect instead of serving.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: StatusCode,
        /// The `Location` header.
        location: HeaderValue,
    },
    /// Serve (if `act`), then answer `template` with its placeholders filled in.
    Body {
        /// HTTP status of the answer.
        status: StatusCode,
        /// The rule's raw body, with `{authorization}` and `{original}` placeholders.
        template: Arc<str>,
        /// Whether the route runs at all.
        act: bool,
    },
}

impl Action {
    /// Whether the route handler runs (the invoice or job is created).
    pub fn acts(&self) -> bool {
        match self {
            Action::Pass | Action::Drop | Action::Malformed | Action::Stream(_) => true,
            Action::Body { act, .. } => *act,
            Action::Status(_) | Action::Redirect { .. } => false,
        }
    }
}

/// The outcome for one request: sleep `latency`, act, sleep `after`, answer.
#[derive(Debug)]
pub struct Decision {
    /// Total latency of the `before` latency rules that fired.
    pub latency: Duration,
    /// Total latency of the `after` latency rules that fired.
    pub after: Duration,
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
            after: Duration::ZERO,
            action: Action::Pass,
        };
        for rule in &mut self.rules {
            if !rule.applies_to(route) {
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
            if rule.kind == FaultKind::Latency {
                let d = Duration::from_millis(rule.latency_ms);
                match rule.when {
                    When::Before => decision.latency += d,
                    When::After => decision.after += d,
                }
                continue;
            }
            decision.action = rule.action();
            break;
        }
        decision
    }

    /// True when no rule could fire (the fast path skips the walk).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
