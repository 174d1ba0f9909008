//! Node's `ws` (installed by `tests/peers/install-node.sh`) against each runtime, both
//! ways, with the conversation of `tests/peers/scripts/README.md`.
//!
//! `ws` clients offer permessage-deflate by default, so the runtimes' servers must agree
//! on it; `ws` servers decline it by default (`perMessageDeflate: false`), so the
//! runtimes' clients must work without it.

use websock_tests::interop::{
    assert_peer_client_conversation, client_against_peer_server, peer_client_against,
};
use websock_tests::peers::{node_command, PeerServer};
use websock_tests::Runtime;

/// `node node_client.mjs URL` against `runtime`'s server.
fn node_client_against(runtime: Runtime) {
    let run = peer_client_against(
        runtime,
        "node_client.mjs",
        node_command("node_client.mjs"),
        2,
    );
    assert!(
        run.output.stdout.contains("node_client: OK"),
        "{}",
        run.output.stdout
    );
    assert_peer_client_conversation(runtime, "node_client.mjs", &run.records);
    for record in &run.records {
        assert!(
            record.deflate(),
            "{runtime} server did not agree on the permessage-deflate ws offers: {record:#?}"
        );
    }
}

/// `runtime`'s client against `node node_server.mjs 0`.
fn client_against_node_server(runtime: Runtime) {
    let mut peer = PeerServer::start("node_server.mjs", {
        let mut command = node_command("node_server.mjs");
        command.arg("0");
        command
    });
    let (first, second) = client_against_peer_server(runtime, &mut peer);
    for report in [&first, &second] {
        assert_eq!(
            report.extensions, "",
            "{runtime} client: a ws server declines permessage-deflate by default"
        );
    }
}

#[test]
fn node_client_against_tokio_server() {
    node_client_against(Runtime::Tokio);
}

#[test]
fn node_client_against_smol_server() {
    node_client_against(Runtime::Smol);
}

#[test]
fn node_client_against_std_server() {
    node_client_against(Runtime::Std);
}

#[test]
fn tokio_client_against_node_server() {
    client_against_node_server(Runtime::Tokio);
}

#[test]
fn smol_client_against_node_server() {
    client_against_node_server(Runtime::Smol);
}

#[test]
fn std_client_against_node_server() {
    client_against_node_server(Runtime::Std);
}
