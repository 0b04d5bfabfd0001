//! The scenario format as a checked spec: every file is validated against
//! `tests/conformance/scenario.schema.json`, `{"$fixture": name}` objects are replaced by the
//! shared requests of `tests/conformance/fixtures/requests.json`, and the runner checks at start
//! that a misspelt key, an unknown fixture and an unresolved `$name` are each refused.

use std::path::Path;

use serde_json::{json, Map, Value};

/// The checked format of one conformance directory.
pub struct Format {
    scenario: jsonschema::Validator,
    fixtures: Map<String, Value>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn validator(path: &Path) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::new(&read_json(path)?)
        .map_err(|e| format!("{} is not a valid schema: {e}", path.display()))
}

/// The first few schema errors as `path: message` lines (empty when the value is valid).
fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect()
}

impl Format {
    /// Loads the scenario schema and the fixtures of `dir` (`tests/conformance`), checking the
    /// fixtures file against its own schema.
    pub fn load(dir: &Path) -> Result<Format, String> {
        let scenario = validator(&dir.join("scenario.schema.json"))?;
        let fixtures_schema = validator(&dir.join("fixtures/requests.schema.json"))?;
        let fixtures = read_json(&dir.join("fixtures/requests.json"))?;
        let bad = errors(&fixtures_schema, &fixtures);
        if !bad.is_empty() {
            return Err(format!("fixtures/requests.json: {}", bad.join("; ")));
        }
        let fixtures = match fixtures {
            Value::Object(m) => m,
            _ => return Err("fixtures/requests.json is not an object".into()),
        };
        Ok(Format { scenario, fixtures })
    }

    /// A scenario as the runner uses it: checked against the schema, fixtures resolved.
    pub fn prepare(&self, raw: Value) -> Result<Value, String> {
        let bad = errors(&self.scenario, &raw);
        if !bad.is_empty() {
            return Err(format!(
                "does not match scenario.schema.json: {}",
                bad.join("; ")
            ));
        }
        self.resolve(raw)
    }

    /// Replaces every `{"$fixture": name, ...}` object by a copy of the fixture's request with
    /// the object's other keys laid over it.
    fn resolve(&self, v: Value) -> Result<Value, String> {
        Ok(match v {
            Value::Object(mut m) => {
                let base = match m.remove("$fixture") {
                    None => Map::new(),
                    Some(Value::String(name)) => match self
                        .fixtures
                        .get(&name)
                        .and_then(|f| f.get("request"))
                        .and_then(Value::as_object)
                    {
                        Some(request) => request.clone(),
                        None => return Err(format!("unknown fixture {name:?}")),
                    },
                    Some(other) => {
                        return Err(format!("$fixture must name a fixture, not {other}"))
                    }
                };
                let mut out = base;
                for (k, x) in m {
                    out.insert(k, self.resolve(x)?);
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(
                a.into_iter()
                    .map(|x| self.resolve(x))
                    .collect::<Result<_, _>>()?,
            ),
            other => other,
        })
    }

    /// Proves the checks can fail: a misspelt step key, an unknown fixture, a `$name` nothing
    /// was saved under and a path into a saved value that does not exist must each be refused
    /// (`substitute` is the runner's substitution of one string).
    pub fn self_check(
        &self,
        substitute: impl Fn(&str, &Map<String, Value>) -> Result<Value, String>,
    ) -> Result<usize, String> {
        let typo = json!({"name": "typo", "steps": [{"call": "get_usage", "expcet": {}}]});
        if self.prepare(typo).is_ok() {
            return Err("the schema accepted a step with the key \"expcet\"".into());
        }
        let unknown = json!({"name": "unknown fixture", "steps": [
            {"call": "create_invoice", "args": {"request": {"$fixture": "no-such-fixture"}}}
        ]});
        if self.prepare(unknown).is_ok() {
            return Err("an unknown fixture was accepted".into());
        }
        if substitute("$never_saved", &Map::new()).is_ok() {
            return Err("an unresolved $name was accepted".into());
        }
        let mut saved = Map::new();
        saved.insert("job".into(), json!({}));
        if substitute("$job.no_such_key", &saved).is_ok() {
            return Err("a path into a saved value that does not exist was accepted".into());
        }
        Ok(4)
    }
}
