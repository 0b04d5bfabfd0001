//! The reference code a create request object was sent with, and what the SDK knows about the
//! invoice behind it.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// What a [`crate::CreateInvoice`] object remembers of its sends: the reference code the SDK
/// generated for it, the request as it was sent, and whether an invoice may exist under the
/// code. Sending the same object again reuses the code (the API then answers 409 and the SDK
/// finds the existing invoice instead of creating a second one).
///
/// Never serialised; a clone starts empty (a copy of a request is a new sale), and it never
/// makes two requests unequal. The code is claimed under one lock before anything is sent, so
/// concurrent sends of one object share it and a cancelled send keeps it.
#[derive(Default)]
pub struct SentReference(Arc<Mutex<Option<Sent>>>);

struct Sent {
    code: String,
    /// The request as sent, without its reference code, as compact JSON (a third of the
    /// memory of the value, kept as long as the object): a changed object is detected.
    payload: Box<str>,
    /// An invoice may exist under the code (the send succeeded, or its outcome is unknown).
    may_exist: bool,
}

/// How a send of a request object starts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The code to send with; `again` when this object was sent with it before.
    Code { code: String, again: bool },
    /// The object was sent before (an invoice may exist) and has changed since: the first
    /// changed field.
    Changed { code: String, field: String },
}

impl SentReference {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Sent>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The code, once the object has been sent.
    pub fn get(&self) -> Option<String> {
        self.lock().as_ref().map(|s| s.code.clone())
    }

    /// Forgets the code: the next send of the object takes a new one. Only for an object whose
    /// invoice is known not to exist, or that you mean as a new sale.
    pub fn forget(&self) {
        *self.lock() = None;
    }

    /// Another handle to the same memory. For language bindings, which keep their own request
    /// objects and rebuild a `CreateInvoice` for each call.
    pub fn shared(&self) -> SentReference {
        SentReference(self.0.clone())
    }

    /// Takes the code for a send of `payload` (the request without its reference code),
    /// generating one on the first send — all under one lock.
    pub(crate) fn claim(&self, payload: Value) -> Claim {
        // One value gives one text (map keys are ordered), and unequal values unequal texts.
        let text: Box<str> = payload.to_string().into();
        let mut slot = self.lock();
        match slot.as_mut() {
            None => {
                let code = uuid::Uuid::new_v4().to_string();
                *slot = Some(Sent {
                    code: code.clone(),
                    payload: text,
                    may_exist: true,
                });
                Claim::Code { code, again: false }
            }
            Some(s) if same(&s.payload, &text, &payload) => {
                s.may_exist = true;
                Claim::Code {
                    code: s.code.clone(),
                    again: true,
                }
            }
            Some(s) if !s.may_exist => {
                // Nothing exists under the code: the object may change (a corrected retry).
                s.payload = text;
                s.may_exist = true;
                Claim::Code {
                    code: s.code.clone(),
                    again: false,
                }
            }
            Some(s) => Claim::Changed {
                code: s.code.clone(),
                // The text was written from a value: it reads back (else the whole request).
                field: serde_json::from_str::<Value>(&s.payload)
                    .map(|before| first_difference(&before, &payload, ""))
                    .unwrap_or_else(|_| "(request)".into()),
            },
        }
    }

    /// Records that the send with `code` ended without creating anything (the API refused it
    /// for certain), so the object may be corrected and sent again with the same code.
    pub(crate) fn settle_refused(&self, code: &str) {
        if let Some(s) = self.lock().as_mut().filter(|s| s.code == code) {
            s.may_exist = false;
        }
    }
}

/// Whether the payload sent before (as text) is the one now (`text`, from `now`). Equal texts
/// are equal values; other texts are compared as values, as they always were (a map's key order
/// or `-0.0` may differ in text alone).
fn same(before: &str, text: &str, now: &Value) -> bool {
    before == text || serde_json::from_str::<Value>(before).is_ok_and(|b| &b == now)
}

/// The path of the first field that differs between two JSON values (`items[0].unit`).
fn first_difference(a: &Value, b: &Value, at: &str) -> String {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) if p == q => continue,
                    (Some(p), Some(q)) => return first_difference(p, q, &join(k)),
                    _ => return join(k),
                }
            }
            at.to_string()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    return first_difference(p, q, &format!("{at}[{i}]"));
                }
            }
            at.to_string()
        }
        _ => {
            if at.is_empty() {
                "(request)".into()
            } else {
                at.to_string()
            }
        }
    }
}

impl Clone for SentReference {
    fn clone(&self) -> Self {
        SentReference::default()
    }
}

impl PartialEq for SentReference {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SentReference {}

impl fmt::Debug for SentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            Some(code) => write!(f, "SentReference({code:?})"),
            None => f.write_str("SentReference(None)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clones_start_empty_and_never_differ() {
        let a = SentReference::default();
        let Claim::Code { code, again } = a.claim(json!({"x": 1})) else {
            panic!("a first send takes a code")
        };
        assert!(!again);
        let b = a.clone();
        assert_eq!(a.get(), Some(code.clone()));
        assert_eq!(b.get(), None);
        assert_eq!(a, b);
        assert_eq!(a.shared().get(), Some(code));
    }

    #[test]
    fn a_changed_object_is_refused_while_its_invoice_may_exist() {
        let a = SentReference::default();
        let Claim::Code { code, .. } = a.claim(json!({"items": [{"unit": "cái"}]})) else {
            panic!()
        };
        assert_eq!(
            a.claim(json!({"items": [{"unit": "cái"}]})),
            Claim::Code {
                code: code.clone(),
                again: true
            }
        );
        assert_eq!(
            a.claim(json!({"items": [{"unit": "hộp"}]})),
            Claim::Changed {
                code: code.clone(),
                field: "items[0].unit".into()
            }
        );
        // After a certain refusal the object may be corrected, and keeps its code.
        a.settle_refused(&code);
        assert_eq!(
            a.claim(json!({"items": [{"unit": "hộp"}]})),
            Claim::Code { code, again: false }
        );
    }

    #[test]
    fn equal_payloads_whose_text_differs_are_the_same_request() {
        // Kept as text, compared as values: `-0.0` equals `0.0`, as it always did.
        let a = SentReference::default();
        let Claim::Code { code, .. } = a.claim(json!({"discount": 0.0})) else {
            panic!()
        };
        assert_eq!(
            a.claim(json!({"discount": -0.0})),
            Claim::Code { code, again: true }
        );
    }

    #[test]
    fn concurrent_sends_share_one_code() {
        for _ in 0..200 {
            let r = Arc::new(SentReference::default());
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let r = r.clone();
                    std::thread::spawn(move || r.claim(json!({"a": 1})))
                })
                .collect();
            let codes: std::collections::HashSet<String> = threads
                .into_iter()
                .map(|t| match t.join().unwrap() {
                    Claim::Code { code, .. } => code,
                    Claim::Changed { .. } => panic!("same payload"),
                })
                .collect();
            assert_eq!(codes.len(), 1);
        }
    }
}
