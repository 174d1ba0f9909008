//! Shared helpers for websock's cross-crate tests.
