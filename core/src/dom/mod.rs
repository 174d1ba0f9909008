//! The browser-shaped rules: what the WHATWG `WebSocket` interface checks before anything
//! reaches the network.
//!
//! A browser's `WebSocket` throws for bad arguments instead of failing the connection:
//!
//! * the constructor `WebSocket(url, protocols)` parses and checks the URL
//!   ([`parse_websocket_url`]: `SyntaxError`, or `SecurityError` for a blocked port) and the
//!   subprotocol list ([`validate_protocols`]: `SyntaxError`);
//! * `close(code, reason)` checks its arguments ([`validate_close_args`]:
//!   `InvalidAccessError` for the code, then `SyntaxError` for the reason);
//! * strings come from scripts as UTF-16 and may hold unpaired surrogates ([`utf16`]);
//! * the attributes `readyState` ([`ReadyState`]) and `binaryType` ([`BinaryType`]) have
//!   fixed values;
//! * a message is delivered to `onmessage`, and taken by `send`, as [`MessageData`]
//!   (text, `Blob` or `ArrayBuffer`), and the engine's events are reported as the
//!   browser's four ([`BrowserEvent`]).
//!
//! Where the seeds (MDN's pages, older than today's WHATWG standard) differ from today's
//! behaviour, the seeds' rule is the default and today's is available: [`Compat`] names
//! the two (a blocked port: `SecurityError` at construction, or a failed connection;
//! unpaired surrogates: rejected, or replaced with U+FFFD by [`utf16_to_string_lossy`]).
//! A lower-level client may skip the bad-port check altogether ([`UrlOptions`]).
//!
//! These are pure functions and plain types, with no state of their own. Every runtime
//! crate calls them, so the rules, and their errors ([`ApiError`](crate::ApiError), named
//! like the browser's `DOMException`s), are identical across runtimes.

pub mod binary_type;
pub mod browser_event;
pub mod close_args;
pub mod compat;
pub mod message_data;
pub mod protocols;
pub mod ready_state;
pub mod url;
pub mod utf16;

pub use binary_type::BinaryType;
pub use browser_event::BrowserEvent;
pub use close_args::{
    close_frame_code, validate_close_args, validate_close_args_utf16,
    validate_close_args_utf16_lossy,
};
pub use compat::Compat;
pub use message_data::MessageData;
pub use protocols::validate_protocols;
pub use ready_state::ReadyState;
pub use url::{is_blocked_port, parse_websocket_url, parse_websocket_url_with, UrlOptions, WsUrl};
pub use utf16::{has_unpaired_surrogate, utf16_to_string_lossy, utf16_to_string_strict};
