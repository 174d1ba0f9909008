//! The interop conversations of `tests/peers/scripts/README.md`, both directions, for
//! any peer: a peer client against a runtime's server ([`peer_client_against`]), and a
//! runtime's client against a peer server ([`client_against_peer_server`]).

use std::process::Command;
use std::time::Duration;

use websock_core::MessageKind;

use crate::peers::{run_to_end, PeerOutput, PeerServer};
use crate::script::{Report, Script, Step};
use crate::server::{self, ConnRecord};
use crate::{client, Runtime, Scheme, SERVER_RECORD_TIMEOUT};

/// The longest a peer client (or the Chromium check) may run.
pub const PEER_CLIENT_TIMEOUT: Duration = Duration::from_secs(180);

/// What a peer client did against a runtime's server.
#[derive(Debug)]
pub struct PeerClientRun {
    /// The peer process's output (it exited with 0).
    pub output: PeerOutput,
    /// The server's records of the peer's connections.
    pub records: Vec<ConnRecord>,
}

/// Starts `runtime`'s conversation server (plain TCP), runs `command` with the server's
/// URL (`ws://127.0.0.1:PORT/`) appended, asserts it exited with 0, and returns the
/// server's records of its `connections` connections.
pub fn peer_client_against(
    runtime: Runtime,
    name: &str,
    mut command: Command,
    connections: usize,
) -> PeerClientRun {
    let server = server::start(runtime, Scheme::Ws);
    command.arg(server.url("/"));
    let output = run_to_end(name, command, PEER_CLIENT_TIMEOUT);
    output.assert_success(&format!("{name} against the {runtime} server"));
    let records = server.wait_records(connections, SERVER_RECORD_TIMEOUT);
    for record in &records {
        assert!(
            record.error.is_none(),
            "{runtime} server, {name}'s connection: {record:#?}"
        );
    }
    PeerClientRun { output, records }
}

/// Asserts the records of the peer client conversation: the first connection offered
/// `chat, superchat`, agreed `superchat`, and was closed by the server with 4001
/// "server bye"; the second was closed by the client with 4002 "client bye".
pub fn assert_peer_client_conversation(runtime: Runtime, name: &str, records: &[ConnRecord]) {
    assert_eq!(records.len(), 2, "{name} against {runtime}: {records:#?}");
    let first = records
        .iter()
        .find(|r| r.server_closed.is_some())
        .unwrap_or_else(|| panic!("{name} against {runtime}: no server close: {records:#?}"));
    assert_eq!(first.offered, ["chat", "superchat"], "{first:#?}");
    assert_eq!(first.protocol.as_deref(), Some("superchat"), "{first:#?}");
    assert_eq!(
        first.server_closed,
        Some((4001, "server bye".to_owned())),
        "{first:#?}"
    );
    let echoed = first.close.as_ref().expect("a close event");
    assert!(
        echoed.code == 4001 && echoed.was_clean,
        "{runtime} server's close event after closing: {echoed:?}"
    );
    assert!(
        records
            .iter()
            .any(|r| r.client_closed_with(4002, "client bye")),
        "{name} against {runtime}: the server did not record the client's close (4002, \
         \"client bye\"): {records:#?}"
    );
}

/// The first connection's script for a peer server: offer `chat, superchat`, echo text,
/// binary, 4 MiB, a fragmented text, ping, then have the server close with 4001
/// "server bye".
pub fn first_connection_script() -> Script {
    Script::new(vec![
        Step::text("hello"),
        Step::Binary(256),
        Step::Binary(4 << 20),
        Step::fragments(MessageKind::Text, &["frag", "ment", "ed"]),
        Step::ping("are you there"),
        Step::server_close(4001, "server bye"),
    ])
    .offering(&["chat", "superchat"])
}

/// The second connection's script: one echo, then the client closes with 4002
/// "client bye".
pub fn second_connection_script() -> Script {
    Script::new(vec![
        Step::text("ping-pong"),
        Step::client_close(4002, "client bye"),
    ])
}

/// Runs `runtime`'s client against a peer server: the two connections of the
/// conversation. Asserts `superchat`, the echoes, the pong, the server's close (4001,
/// "server bye", clean), the client's close echoed (4002, clean), and that the server
/// printed `{"closed": [4002, "client bye"]}`. Returns both connections' reports.
pub fn client_against_peer_server(runtime: Runtime, peer: &mut PeerServer) -> (Report, Report) {
    let url = peer.url();
    let first_script = first_connection_script();
    let first = client::run(runtime, &url, &first_script).unwrap_or_else(|e| {
        panic!(
            "{e}\npeer stdout:\n{}\npeer stderr:\n{}",
            peer.process.stdout(),
            peer.process.stderr()
        )
    });
    assert_eq!(first.protocol.as_deref(), Some("superchat"), "{first:#?}");
    assert_eq!(first.echoes, 4, "{first:#?}");
    assert!(
        first.pongs.iter().any(|p| p.as_ref() == b"are you there"),
        "{first:#?}"
    );
    let close = first.close.as_ref().expect("a close event");
    assert!(
        close.code == 4001 && close.reason == "server bye" && close.was_clean,
        "{runtime} client's close event: {close:?}"
    );

    let second = client::run(runtime, &url, &second_connection_script())
        .unwrap_or_else(|e| panic!("{e}\npeer stderr:\n{}", peer.process.stderr()));
    let close = second.close.as_ref().expect("a close event");
    assert!(
        close.code == 4002 && close.was_clean,
        "{runtime} client's close event after closing: {close:?}"
    );
    assert_eq!(
        peer.wait_closed(SERVER_RECORD_TIMEOUT),
        (4002, "client bye".to_owned()),
        "what the peer server saw"
    );
    (first, second)
}
