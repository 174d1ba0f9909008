//! The opening handshake (filled in by the handshake work).
