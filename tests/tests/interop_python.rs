//! Python `websockets` (installed by `tests/peers/install-python.sh`) against each
//! runtime, both ways, with the conversation of `tests/peers/scripts/README.md`.
//! `websockets` offers and accepts permessage-deflate by default: both directions must
//! agree on it.

use websock_tests::interop::{
    assert_peer_client_conversation, client_against_peer_server, peer_client_against,
};
use websock_tests::peers::{python_command, PeerServer};
use websock_tests::Runtime;

/// `py_client.py URL` against `runtime`'s server.
fn python_client_against(runtime: Runtime) {
    let run = peer_client_against(runtime, "py_client.py", python_command("py_client.py"), 2);
    assert!(
        run.output.stdout.contains("py_client: OK"),
        "{}",
        run.output.stdout
    );
    assert_peer_client_conversation(runtime, "py_client.py", &run.records);
    for record in &run.records {
        assert!(
            record.deflate(),
            "{runtime} server did not agree on permessage-deflate with websockets: {record:#?}"
        );
    }
}

/// `runtime`'s client against `py_server.py 0`.
fn client_against_python_server(runtime: Runtime) {
    let mut peer = PeerServer::start("py_server.py", {
        let mut command = python_command("py_server.py");
        command.arg("0");
        command
    });
    let (first, second) = client_against_peer_server(runtime, &mut peer);
    for report in [&first, &second] {
        assert!(
            report.deflate(),
            "{runtime} client did not agree on permessage-deflate with websockets: {report:#?}"
        );
    }
}

#[test]
fn python_client_against_tokio_server() {
    python_client_against(Runtime::Tokio);
}

#[test]
fn python_client_against_smol_server() {
    python_client_against(Runtime::Smol);
}

#[test]
fn python_client_against_std_server() {
    python_client_against(Runtime::Std);
}

#[test]
fn tokio_client_against_python_server() {
    client_against_python_server(Runtime::Tokio);
}

#[test]
fn smol_client_against_python_server() {
    client_against_python_server(Runtime::Smol);
}

#[test]
fn std_client_against_python_server() {
    client_against_python_server(Runtime::Std);
}
