//! The exit codes, one table for every command, and the failure type that carries one.

use std::fmt;
use std::process::ExitCode;

use sepay_einvoice::ErrorKind;
use sepay_einvoice_batch::{BatchError, BatchErrorKind};

/// The table shown by `--help` (the README's CLI section has the same).
pub const TABLE: &str = "\
Exit codes:
  0    ok: the call succeeded; batch: every row is done
  1    refused: the API answered no (not found, conflict, quota, a business rule, the invoice job
       failed); batch: the run finished but some rows failed, are uncertain or were refused
  2    invalid input: bad flags, a missing, unreadable or malformed file or row, a request the
       SDK's checks refuse before sending; batch --dry-run: a row has an error
  3    could not run: the API refused the credentials, could not be reached or kept failing
       (connection, 5xx, 429, unreadable answers); the batch journal is unreachable, locked or
       unusable; an output file could not be written
  4    timed out: an attempt or the --wait deadline ran out (the outcome may be unknown)
  130  interrupted (Ctrl-C): a batch keeps every step in its journal; re-run it to resume";

/// What the shell sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 0: everything done.
    Ok,
    /// 1: the API refused, or some batch rows are not done.
    Refused,
    /// 2: invalid input.
    InvalidInput,
    /// 3: could not run.
    CouldNotRun,
    /// 4: timed out.
    TimedOut,
    /// 130: interrupted.
    Interrupted,
}

impl Code {
    /// The numeric code.
    pub fn value(self) -> u8 {
        match self {
            Code::Ok => 0,
            Code::Refused => 1,
            Code::InvalidInput => 2,
            Code::CouldNotRun => 3,
            Code::TimedOut => 4,
            Code::Interrupted => 130,
        }
    }

    /// The code for an SDK error.
    pub fn of(kind: ErrorKind) -> Code {
        match kind {
            ErrorKind::Validation => Code::InvalidInput,
            ErrorKind::Authentication
            | ErrorKind::PermissionDenied
            | ErrorKind::Connection
            | ErrorKind::Server
            | ErrorKind::RateLimited
            | ErrorKind::Decode => Code::CouldNotRun,
            ErrorKind::Timeout | ErrorKind::WaitTimeout => Code::TimedOut,
            _ => Code::Refused,
        }
    }
}

impl From<Code> for ExitCode {
    fn from(c: Code) -> ExitCode {
        ExitCode::from(c.value())
    }
}

/// A failure: the message printed after `error: ` on stderr, and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub message: String,
    /// The exit code.
    pub code: Code,
}

impl Failure {
    /// A failure with `code`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code,
        }
    }
    /// Invalid input (2).
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::new(Code::InvalidInput, message)
    }
    /// Could not run (3).
    pub fn could_not_run(message: impl Into<String>) -> Self {
        Failure::new(Code::CouldNotRun, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<sepay_einvoice::Error> for Failure {
    fn from(e: sepay_einvoice::Error) -> Self {
        Failure::new(Code::of(e.kind()), e.to_string())
    }
}

impl From<BatchError> for Failure {
    fn from(e: BatchError) -> Self {
        let code = match e.kind() {
            BatchErrorKind::InvalidInput => Code::InvalidInput,
            _ => Code::CouldNotRun,
        };
        Failure::new(code, e.to_string())
    }
}

/// The result of a command: the code to exit with (0 or 1 when it ran), or a failure.
pub type Outcome = Result<Code, Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_in_the_table() {
        for c in [
            Code::Ok,
            Code::Refused,
            Code::InvalidInput,
            Code::CouldNotRun,
            Code::TimedOut,
            Code::Interrupted,
        ] {
            let needle = format!("\n  {:<4} ", c.value());
            assert!(TABLE.contains(&needle), "{needle:?} missing");
        }
        assert_eq!(Code::of(ErrorKind::NotFound), Code::Refused);
        assert_eq!(Code::of(ErrorKind::Authentication), Code::CouldNotRun);
        assert_eq!(Code::of(ErrorKind::WaitTimeout), Code::TimedOut);
        assert_eq!(Code::of(ErrorKind::Validation), Code::InvalidInput);
    }
}
