//! websock adapter for smol (to be filled by the runtime issue).
