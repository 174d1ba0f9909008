//! websock adapter for std (to be filled by the runtime issue).
