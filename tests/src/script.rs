//! What a client does on one connection ([`Script`]: subprotocols to offer and
//! [`Step`]s) and what it saw ([`Report`]).
//!
//! Every runtime's client ([`crate::client::run`]) runs the same steps against a server
//! that follows the conversation of `tests/peers/scripts/README.md`: echo every data
//! message, select `superchat` when offered, and on the text `close:CODE:REASON` start
//! the closing handshake with that code and reason.

use bytes::Bytes;
use websock_core::{CloseEvent, Message, MessageKind};

/// One step of a client's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this text and expect it echoed.
    Text(String),
    /// Send a binary message of this many bytes ([`pattern`]) and expect it echoed.
    Binary(usize),
    /// Send this many pseudo-random bytes ([`noise`]: what permessage-deflate cannot
    /// shrink) as a binary message and expect them echoed.
    Noise(usize),
    /// Send one message of `kind` in these fragments ([`Step::fragments`]) and expect the
    /// whole message echoed.
    Fragments(MessageKind, Vec<Bytes>),
    /// Ping with this payload, then have the text `after-ping` echoed; expect a pong with
    /// the same payload by then ([`Report::pongs`]).
    Ping(Bytes),
    /// Send `close:CODE:REASON` and expect the server to close with exactly that code and
    /// reason, cleanly ([`Report::close`]).
    ServerClose(u16, String),
    /// Close with this code and reason and expect a clean close with the same code back
    /// ([`Report::close`] holds what the server echoed).
    ClientClose(u16, String),
}

impl Step {
    /// A text message.
    pub fn text(s: &str) -> Step {
        Step::Text(s.to_owned())
    }

    /// A fragmented message from string pieces (text: each must be valid UTF-8).
    pub fn fragments(kind: MessageKind, pieces: &[&str]) -> Step {
        let pieces = pieces
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect();
        Step::Fragments(kind, pieces)
    }

    /// A ping with a text payload.
    pub fn ping(payload: &str) -> Step {
        Step::Ping(Bytes::copy_from_slice(payload.as_bytes()))
    }

    /// The server closes with `code` and `reason`.
    pub fn server_close(code: u16, reason: &str) -> Step {
        Step::ServerClose(code, reason.to_owned())
    }

    /// The client closes with `code` and `reason`.
    pub fn client_close(code: u16, reason: &str) -> Step {
        Step::ClientClose(code, reason.to_owned())
    }

    /// The message this step sends and expects back, for the echo steps.
    pub fn echo_message(&self) -> Option<Message> {
        match self {
            Step::Text(s) => Some(Message::text(s.as_str())),
            Step::Binary(n) => Some(Message::binary(pattern(*n))),
            Step::Noise(n) => Some(Message::binary(noise(*n))),
            Step::Fragments(kind, pieces) => {
                let whole: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
                Some(match kind {
                    MessageKind::Text => {
                        Message::text(String::from_utf8(whole).expect("text fragments are UTF-8"))
                    }
                    MessageKind::Binary => Message::binary(whole),
                })
            }
            _ => None,
        }
    }

    /// A short description for failure messages.
    pub fn describe(&self) -> String {
        match self {
            Step::Text(s) => format!("text {:?}", truncate(s)),
            Step::Binary(n) => format!("binary {n} B"),
            Step::Noise(n) => format!("binary noise {n} B"),
            Step::Fragments(kind, pieces) => format!(
                "{kind:?} in {} fragments of {:?} B",
                pieces.len(),
                pieces.iter().map(Bytes::len).collect::<Vec<_>>()
            ),
            Step::Ping(p) => format!("ping {p:?}"),
            Step::ServerClose(code, reason) => format!("server close {code} {reason:?}"),
            Step::ClientClose(code, reason) => format!("client close {code} {reason:?}"),
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// `n` bytes of `i % 251` (a pattern whose period is not a power of two, so misplaced
/// chunks show).
pub fn pattern(n: usize) -> Bytes {
    (0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into()
}

/// `n` pseudo-random bytes (xorshift, fixed seed): incompressible data.
pub fn noise(n: usize) -> Bytes {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// A client's conversation on one connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// Subprotocols to offer.
    pub protocols: Vec<String>,
    /// What to do, in order. A script normally ends with a close step; if not, the
    /// client drops the connection.
    pub steps: Vec<Step>,
}

impl Script {
    /// A script offering no subprotocol.
    pub fn new(steps: Vec<Step>) -> Script {
        Script {
            protocols: Vec::new(),
            steps,
        }
    }

    /// The same script offering `protocols`.
    pub fn offering(mut self, protocols: &[&str]) -> Script {
        self.protocols = protocols.iter().map(|p| p.to_string()).collect();
        self
    }

    /// Whether any step pings.
    pub fn pings(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, Step::Ping(_)))
    }

    /// Checks a received message against the echo `step` expects.
    pub fn check_echo(step: &Step, got: &Message) -> Result<(), String> {
        let want = step.echo_message().expect("an echo step");
        if *got == want {
            return Ok(());
        }
        Err(format!(
            "{}: echo differs: got {:?} of {} B, want {:?} of {} B{}",
            step.describe(),
            got.kind(),
            got.len(),
            want.kind(),
            want.len(),
            first_difference(got.as_bytes(), want.as_bytes())
                .map(|i| format!(" (first difference at byte {i})"))
                .unwrap_or_default()
        ))
    }

    /// Checks the close event after a close step.
    pub fn check_close(step: &Step, event: Option<&CloseEvent>) -> Result<(), String> {
        let Some(event) = event else {
            return Err(format!("{}: no close event", step.describe()));
        };
        let ok = match step {
            Step::ServerClose(code, reason) => {
                event.code == *code && event.reason == *reason && event.was_clean
            }
            Step::ClientClose(code, _) => event.code == *code && event.was_clean,
            _ => unreachable!("not a close step"),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{}: got close event {event:?}", step.describe()))
        }
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

/// What a client saw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The subprotocol the server selected.
    pub protocol: Option<String>,
    /// The negotiated extensions (`Sec-WebSocket-Extensions` text).
    pub extensions: String,
    /// How many echo steps were verified.
    pub echoes: usize,
    /// The payloads of the pongs seen, in order.
    pub pongs: Vec<Bytes>,
    /// The close event, after a close step.
    pub close: Option<CloseEvent>,
}

impl Report {
    /// Whether permessage-deflate was agreed.
    pub fn deflate(&self) -> bool {
        self.extensions.contains("permessage-deflate")
    }
}

/// Parses the server's command `close:CODE:REASON`.
pub fn parse_close_command(text: &str) -> Option<(u16, String)> {
    let rest = text.strip_prefix("close:")?;
    let (code, reason) = rest.split_once(':')?;
    Some((code.parse().ok()?, reason.to_owned()))
}
