//! The reference code a create request object was sent with.

use std::fmt;
use std::sync::Mutex;

/// The reference code the SDK sent a [`crate::CreateInvoice`] with, kept on the object so that
/// sending the same object again reuses it (the API then answers 409 and the SDK finds the
/// existing invoice instead of creating a second one).
///
/// Never serialised; a clone starts empty (a copy of a request is a new sale), and it never
/// makes two requests unequal.
#[derive(Default)]
pub struct SentReference(Mutex<Option<String>>);

impl SentReference {
    /// The code, once the object has been sent.
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records the code the object is sent with. The language bindings call it to restore the
    /// code their own request objects remember.
    pub fn set(&self, code: impl Into<String>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(code.into());
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

    #[test]
    fn clones_start_empty_and_never_differ() {
        let a = SentReference::default();
        a.set("r1");
        let b = a.clone();
        assert_eq!(a.get().as_deref(), Some("r1"));
        assert_eq!(b.get(), None);
        assert_eq!(a, b);
    }
}
