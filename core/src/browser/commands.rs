//! The browser face's commands as methods (`send`, `send_utf16`, `close_utf16`,
//! `close`), written once for the async handles' `WebSocket<R>` and the blocking one:
//! each is a [`BrowserSocket`](super::BrowserSocket) rule run through the face's own
//! `command` (which locks, passes the engine's `now`, and wakes its driver).

/// The four command methods, over a `fn command(&self, f: impl FnOnce(&mut
/// BrowserSocket, &mut Connection, Duration) -> Result<(), ApiError>) -> Result<(),
/// ApiError>` of the type they are expanded in.
macro_rules! browser_commands {
    () => {
        /// `send(data)`: a string as a text message, bytes as a binary one. Once the
        /// connection is CLOSING or CLOSED, the data is dropped and its length still
        /// counts in `bufferedAmount`, without an error (as in the browser). If the send
        /// queue ([`Limits::max_send_queue`](crate::Limits::max_send_queue)) would
        /// overflow, the connection fails (error, then close 1006), as the browser's does.
        ///
        /// # Errors
        ///
        /// `InvalidStateError` while CONNECTING.
        pub fn send(
            &self,
            data: impl Into<crate::dom::MessageData>,
        ) -> Result<(), crate::ApiError> {
            self.command(|_, conn, _| crate::browser::BrowserSocket::send(conn, data))
        }

        /// `send(data)` with a script's string as UTF-16 code units, sent as text: as
        /// [`send`](Self::send), and an unpaired surrogate is a `SyntaxError`
        /// ([`Compat::Mdn`](crate::dom::Compat::Mdn)) or becomes U+FFFD
        /// ([`Compat::Standard`](crate::dom::Compat::Standard)).
        ///
        /// # Errors
        ///
        /// `InvalidStateError` while CONNECTING; then `SyntaxError` for an unpaired
        /// surrogate under `Compat::Mdn`.
        pub fn send_utf16(&self, units: &[u16]) -> Result<(), crate::ApiError> {
            self.command(|socket, conn, _| socket.send_utf16(conn, units))
        }

        /// `close(code, reason)` with the reason as UTF-16 code units: as
        /// [`close`](Self::close), and an unpaired surrogate in the reason is a
        /// `SyntaxError` ([`Compat::Mdn`](crate::dom::Compat::Mdn)) or becomes U+FFFD
        /// ([`Compat::Standard`](crate::dom::Compat::Standard)) before the 123-byte rule.
        ///
        /// # Errors
        ///
        /// `InvalidAccessError` for a code other than 1000 or 3000-4999; then
        /// `SyntaxError` for an unpaired surrogate (under `Compat::Mdn`) or a reason
        /// longer than 123 UTF-8 bytes.
        pub fn close_utf16(
            &self,
            code: Option<u16>,
            reason: Option<&[u16]>,
        ) -> Result<(), crate::ApiError> {
            self.command(|socket, conn, now| socket.close_utf16(conn, now, code, reason))
        }

        /// `close(code, reason)`: CONNECTING fails the connection; OPEN starts the
        /// closing handshake (a reason without a code is sent with 1000, see
        /// [`close_frame_code`](crate::dom::close_frame_code)); CLOSING or CLOSED does
        /// nothing. Messages the peer sends after this (before its Close) are dropped,
        /// as a browser drops them once its socket is CLOSING.
        ///
        /// # Errors
        ///
        /// `InvalidAccessError` for a code other than 1000 or 3000-4999; `SyntaxError`
        /// for a reason longer than 123 UTF-8 bytes.
        pub fn close(
            &self,
            code: Option<u16>,
            reason: Option<&str>,
        ) -> Result<(), crate::ApiError> {
            self.command(|socket, conn, now| socket.close(conn, now, code, reason))
        }
    };
}
pub(crate) use browser_commands;
