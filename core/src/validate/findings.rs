//! Problems collected while checking a request, so one pass reports all of them.

use crate::error::Error;
use crate::model::{Problem, Severity};

/// The problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    problems: Vec<Problem>,
}

impl Findings {
    fn push(
        &mut self,
        severity: Severity,
        field: &str,
        rule: &str,
        message: String,
        source: Option<&str>,
    ) {
        self.problems.push(Problem {
            field: field.to_string(),
            severity,
            rule: rule.to_string(),
            message,
            source: source.map(str::to_string),
        });
    }

    /// A problem that stops the request.
    pub fn error(&mut self, field: &str, rule: &str, message: impl Into<String>) {
        self.push(Severity::Error, field, rule, message.into(), None);
    }

    /// A problem that stops the request, with the rule's source.
    pub fn error_from(
        &mut self,
        field: &str,
        rule: &str,
        message: impl Into<String>,
        source: &str,
    ) {
        self.push(Severity::Error, field, rule, message.into(), Some(source));
    }

    /// A problem that does not stop the request.
    pub fn warning(&mut self, field: &str, rule: &str, message: impl Into<String>, source: &str) {
        self.push(Severity::Warning, field, rule, message.into(), Some(source));
    }

    /// A validation error from a fail-fast check, as a problem of `rule`.
    pub fn record_error(&mut self, e: &Error, rule: &str) {
        let field = e.field().unwrap_or("(root)");
        let message = e
            .message()
            .strip_prefix(&format!("{field}: "))
            .unwrap_or(e.message())
            .to_string();
        self.push(Severity::Error, field, rule, message, None);
    }

    /// Records `r`'s error, if any, as a problem of `rule`; whether it was fine.
    pub fn check(&mut self, r: crate::Result<()>, rule: &str) -> bool {
        match r {
            Ok(()) => true,
            Err(e) => {
                self.record_error(&e, rule);
                false
            }
        }
    }

    /// Whether any problem stops the request.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Every problem, errors first (a stable sort keeps the order they were found in).
    pub fn into_problems(mut self) -> Vec<Problem> {
        self.problems
            .sort_by_key(|p| if p.severity == Severity::Error { 0 } else { 1 });
        self.problems
    }

    /// `Err` with the first error (carrying every problem) when any problem stops the request;
    /// else the warnings, each also logged.
    pub fn into_result(self) -> crate::Result<Vec<Problem>> {
        let problems = self.into_problems();
        if let Some(first) = problems.iter().find(|p| p.severity == Severity::Error) {
            let others = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count()
                - 1;
            let mut message = first.message.clone();
            if others > 0 {
                message.push_str(&format!(
                    " (and {others} more error{}: see the error's problems)",
                    if others == 1 { "" } else { "s" }
                ));
            }
            return Err(Error::validation(first.field.clone(), message).with_problems(problems));
        }
        for w in &problems {
            tracing::warn!(field = %w.field, rule = %w.rule, "{}", w.message);
        }
        Ok(problems)
    }
}
