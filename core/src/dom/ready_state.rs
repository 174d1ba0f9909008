//! `readyState`: the four states of a browser `WebSocket`.

/// The value of the browser's `WebSocket.readyState` attribute.
///
/// The discriminants are the interface's constants (`WebSocket.CONNECTING` is 0, ...), so
/// `state as u16` and [`ReadyState::as_u16`] give what a script would read. States only
/// move forward, which is why the type is ordered: `Connecting < Open < Closing < Closed`.
#[repr(u16)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReadyState {
    /// `CONNECTING` (0): the opening handshake has not completed yet. The initial state.
    #[default]
    Connecting = 0,
    /// `OPEN` (1): the handshake completed; messages can be sent and received.
    Open = 1,
    /// `CLOSING` (2): the closing handshake has started (or the connection is being failed).
    Closing = 2,
    /// `CLOSED` (3): the connection is closed or could not be opened.
    Closed = 3,
}

impl ReadyState {
    /// The numeric value a script reads from `readyState` (0 to 3).
    pub const fn as_u16(self) -> u16 {
        self as u16
    }

    /// The state for a numeric `readyState` value, or `None` if it is not 0 to 3.
    pub const fn from_u16(value: u16) -> Option<ReadyState> {
        match value {
            0 => Some(ReadyState::Connecting),
            1 => Some(ReadyState::Open),
            2 => Some(ReadyState::Closing),
            3 => Some(ReadyState::Closed),
            _ => None,
        }
    }
}

impl From<ReadyState> for u16 {
    fn from(state: ReadyState) -> u16 {
        state.as_u16()
    }
}

#[cfg(test)]
mod tests {
    use super::ReadyState;

    #[test]
    fn constants_match_the_interface() {
        assert_eq!(ReadyState::Connecting.as_u16(), 0);
        assert_eq!(ReadyState::Open.as_u16(), 1);
        assert_eq!(ReadyState::Closing.as_u16(), 2);
        assert_eq!(ReadyState::Closed.as_u16(), 3);
        assert_eq!(u16::from(ReadyState::Closed), 3);
    }

    #[test]
    fn initial_state_is_connecting() {
        assert_eq!(ReadyState::default(), ReadyState::Connecting);
    }

    #[test]
    fn states_are_ordered_as_they_progress() {
        assert!(ReadyState::Connecting < ReadyState::Open);
        assert!(ReadyState::Open < ReadyState::Closing);
        assert!(ReadyState::Closing < ReadyState::Closed);
    }

    #[test]
    fn from_u16_round_trips_and_rejects_others() {
        for v in 0..4u16 {
            assert_eq!(ReadyState::from_u16(v).map(ReadyState::as_u16), Some(v));
        }
        assert_eq!(ReadyState::from_u16(4), None);
        assert_eq!(ReadyState::from_u16(u16::MAX), None);
    }
}
