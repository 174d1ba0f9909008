//! The hand-written seeds of the connection targets do what their names say: the
//! valid conversations open and exchange messages, and each edge case draws the close
//! code RFC 6455 calls for. (A seed that silently stopped reaching its case would make
//! the corpus weaker without failing anything else.)

use websock_core::Role;
use websock_fuzz::conn::{run_script, Script, Trace};
use websock_fuzz::seeds::seeds;

fn trace(target: &str, role: Role, name: &str) -> Trace {
    let (_, bytes) = seeds(target)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no seed {name}"));
    run_script(role, &Script::decode(&bytes))
}

fn has_event(t: &Trace, prefix: &str) -> bool {
    t.events.iter().any(|e| e.starts_with(prefix))
}

#[test]
fn connection_seeds_reach_their_cases() {
    for (target, role) in [
        ("server_connection", Role::Server),
        ("client_connection", Role::Client),
    ] {
        let code = |name: &str| trace(target, role, name).close_codes();
        assert_eq!(code("invalid-utf8"), [Some(1007)], "{target}");
        assert_eq!(code("invalid-utf8-mid-fragments"), [Some(1007)]);
        assert_eq!(code("truncated-utf8"), [Some(1007)]);
        assert_eq!(code("frame-too-large"), [Some(1009)]);
        assert_eq!(code("message-too-large"), [Some(1009)]);
        assert_eq!(code("ping-126"), [Some(1002)]);
        assert_eq!(code("rsv-bits"), [Some(1002)]);
        assert_eq!(code("reserved-opcode"), [Some(1002)]);
        assert_eq!(code("lone-continuation"), [Some(1002)]);
        assert_eq!(code("wrong-masking"), [Some(1002)]);
        assert_eq!(code("close-one-byte"), [Some(1002)]);
        assert_eq!(code("close-5000"), [Some(1002)]);
        assert_eq!(code("close-bad-reason"), [Some(1007)]);
        assert_eq!(code("close-normal"), [Some(1000)]);
        assert_eq!(code("close-4999"), [Some(4999)]);
        assert_eq!(code("close-empty"), [None]);
        assert_eq!(code("conversation"), [Some(1000)]);

        let t = trace(target, role, "fragmented-text-split-code-point");
        assert!(
            t.events.iter().any(|e| e.contains("κόσμε")),
            "{:?}",
            t.events
        );
        let t = trace(target, role, "big-text-message");
        assert!(has_event(&t, "Message"));
        let t = trace(target, role, "keepalive");
        assert!(t
            .frames
            .iter()
            .any(|f| f.opcode == websock_core::frame::OpCode::Ping));
    }

    let t = trace("server_connection", Role::Server, "raw-accept");
    assert!(has_event(&t, "Request") && has_event(&t, "Open") && has_event(&t, "Message"));
    let t = trace("server_connection", Role::Server, "raw-reject");
    assert!(String::from_utf8_lossy(&t.output).starts_with("HTTP/1.1 403"));
    let t = trace("server_connection", Role::Server, "raw-bad-request");
    assert!(String::from_utf8_lossy(&t.output).starts_with("HTTP/1.1 426"));

    let t = trace("client_connection", Role::Client, "raw-accepted");
    assert!(
        has_event(&t, "Open") && has_event(&t, "Message"),
        "{:?}",
        t.events
    );
    let t = trace("client_connection", Role::Client, "raw-wrong-accept");
    assert!(!has_event(&t, "Open") && has_event(&t, "Error"));
}
