//! websock adapter for tokio (to be filled by the runtime issue).
