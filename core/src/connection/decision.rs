//! The application's answer to an upgrade request (server role).

use alloc::string::String;
use alloc::vec::Vec;

use super::Connection;
use crate::error::ApiError;

/// The application's answer to an [`Event::Request`](crate::Event::Request), carried
/// out by [`Connection::decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accept with a subprotocol (one the client offered, or none) and extra response
    /// headers (e.g. `Set-Cookie`).
    Accept {
        /// The selected subprotocol.
        protocol: Option<String>,
        /// Extra response headers.
        headers: Vec<(String, String)>,
    },
    /// Reject with an HTTP error status (400-599, e.g. 403 for a foreign `Origin`),
    /// extra headers and a body.
    Reject {
        /// The HTTP status.
        status: u16,
        /// Extra response headers.
        headers: Vec<(String, String)>,
        /// The response body.
        body: Vec<u8>,
    },
}

impl Decision {
    /// Accept without a subprotocol or extra headers.
    pub fn accept() -> Self {
        Decision::Accept {
            protocol: None,
            headers: Vec::new(),
        }
    }

    /// Accept, selecting `protocol`.
    pub fn accept_protocol(protocol: impl Into<String>) -> Self {
        Decision::Accept {
            protocol: Some(protocol.into()),
            headers: Vec::new(),
        }
    }

    /// Reject with `status` and an empty body.
    pub fn reject(status: u16) -> Self {
        Decision::Reject {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

impl Connection {
    /// Server role: carry out `decision` on the waiting request
    /// ([`accept`](Self::accept) or [`reject`](Self::reject)).
    ///
    /// A decision that cannot be sent (a subprotocol the client did not offer, a header
    /// that would corrupt the response, a status outside 400-599) returns its
    /// [`ApiError`], and the client is answered with a 500 instead, so it is never left
    /// waiting.
    pub fn decide(&mut self, decision: Decision) -> Result<(), ApiError> {
        let result = match decision {
            Decision::Accept { protocol, headers } => self.accept(protocol.as_deref(), &headers),
            Decision::Reject {
                status,
                headers,
                body,
            } => self.reject(status, &headers, &body),
        };
        if result.is_err() {
            // Does nothing if no request is waiting (the state error is returned).
            let _ = self.reject(500, &[], b"");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::ClientRequest;
    use crate::rng::DeterministicRng;
    use crate::{Config, Event};
    use core::time::Duration;

    fn waiting_server(protocols: &[&str]) -> Connection {
        let cfg = |seed| Config {
            rng: Some(alloc::boxed::Box::new(DeterministicRng::new(seed))),
            ..Config::default()
        };
        let mut req = ClientRequest::new("h", "/");
        req.protocols = protocols.iter().map(|p| String::from(*p)).collect();
        let mut client = Connection::client(req, cfg(1), Duration::ZERO).unwrap();
        let mut server = Connection::server(cfg(2), Duration::ZERO);
        let mut slices: [&[u8]; 4] = [&[]; 4];
        let n = client.poll_transmit(&mut slices);
        let bytes: Vec<u8> = slices[..n].concat();
        server.handle_input(Duration::ZERO, &bytes);
        assert!(matches!(server.poll_event(), Some(Event::Request(_))));
        server
    }

    fn written(conn: &mut Connection) -> Vec<u8> {
        let mut slices: [&[u8]; 4] = [&[]; 4];
        let n = conn.poll_transmit(&mut slices);
        slices[..n].concat()
    }

    #[test]
    fn accept_and_reject_are_carried_out() {
        let mut s = waiting_server(&["chat"]);
        s.decide(Decision::accept_protocol("chat")).unwrap();
        assert!(written(&mut s).starts_with(b"HTTP/1.1 101"));
        assert_eq!(s.protocol(), Some("chat"));
        let mut s = waiting_server(&[]);
        s.decide(Decision::reject(403)).unwrap();
        assert!(written(&mut s).starts_with(b"HTTP/1.1 403"));
    }

    #[test]
    fn an_invalid_decision_is_answered_with_500() {
        let mut s = waiting_server(&["chat"]);
        assert_eq!(
            s.decide(Decision::accept_protocol("other")),
            Err(ApiError::Syntax)
        );
        assert!(written(&mut s).starts_with(b"HTTP/1.1 500"));
        let mut s = waiting_server(&[]);
        assert_eq!(s.decide(Decision::reject(200)), Err(ApiError::Syntax));
        assert!(written(&mut s).starts_with(b"HTTP/1.1 500"));
        // Nothing waiting: a state error, nothing written.
        assert_eq!(s.decide(Decision::accept()), Err(ApiError::InvalidState));
    }
}
