//! The browser WebSocket interface rules (filled in by the dom work).
