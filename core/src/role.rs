//! Which end of a connection this is: a leaf that every layer may name.

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the opening request and masks its frames.
    Client,
    /// Answers the opening request; its frames are unmasked.
    Server,
}
