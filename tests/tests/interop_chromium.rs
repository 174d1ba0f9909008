//! Headless Chromium (Debian's, driven by `playwright-core`; installed by
//! `tests/peers/install-node.sh`) against each runtime's server: the page's own
//! `WebSocket` runs `tests/peers/node/chromium_check.mjs` (the MDN example, an
//! arraybuffer round trip, an 8 MiB echo with `bufferedAmount` draining, a close with
//! 4000 "bye", `superchat` among two offers, and a server-initiated close).

use websock_tests::interop::peer_client_against;
use websock_tests::peers::node_command;
use websock_tests::Runtime;

/// `node chromium_check.mjs ws://127.0.0.1:PORT/` against `runtime`'s server.
fn chromium_against(runtime: Runtime) {
    let run = peer_client_against(
        runtime,
        "chromium_check.mjs",
        node_command("chromium_check.mjs"),
        2,
    );
    let line = run
        .output
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line on stdout:\n{}", run.output.stdout));
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
    let failed = json["failed"].as_array().expect("a `failed` array");
    assert!(
        failed.is_empty(),
        "the page's checks failed: {failed:?}\n{line}"
    );
    let result = &json["result"];
    assert_eq!(result["echo"], "Hello Server!", "{line}");
    assert_eq!(result["bigEchoLength"], 8 << 20, "{line}");
    assert_eq!(result["protocol"], "superchat", "{line}");
    assert!(
        result["extensions"]
            .as_str()
            .is_some_and(|e| e.contains("permessage-deflate")),
        "the page's ws.extensions: {line}"
    );

    // The server side: the page's close (4000, "bye") and the page's answer to the
    // server's close; permessage-deflate agreed with Chromium on both connections.
    let records = &run.records;
    assert!(
        records.iter().any(|r| r.client_closed_with(4000, "bye")),
        "the {runtime} server did not record the page's close (4000, \"bye\"): {records:#?}"
    );
    let served = records
        .iter()
        .find(|r| r.server_closed.is_some())
        .unwrap_or_else(|| panic!("no server-initiated close: {records:#?}"));
    assert_eq!(served.protocol.as_deref(), Some("superchat"), "{served:#?}");
    assert_eq!(
        served.server_closed,
        Some((4001, "server bye".to_owned())),
        "{served:#?}"
    );
    assert!(
        served
            .close
            .as_ref()
            .is_some_and(|c| c.code == 4001 && c.was_clean),
        "{served:#?}"
    );
    for record in records {
        assert!(
            record.deflate(),
            "the {runtime} server did not agree on Chromium's permessage-deflate: {record:#?}"
        );
    }
}

#[test]
fn chromium_against_tokio_server() {
    chromium_against(Runtime::Tokio);
}

#[test]
fn chromium_against_smol_server() {
    chromium_against(Runtime::Smol);
}

#[test]
fn chromium_against_std_server() {
    chromium_against(Runtime::Std);
}
