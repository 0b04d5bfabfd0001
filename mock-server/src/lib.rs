//! mock (work in progress)
