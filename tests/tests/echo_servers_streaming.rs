//! Every echo server (each runtime's `echo-server`, core's `mio_echo`, websock-tokio's
//! `hyper-server` and `axum-server`) with `--streaming` echoes messages chunk by chunk:
//! a 3 MiB binary message, a 3 MiB text of 1- to 4-byte code points sent in fragments
//! that split them, and small messages, each back byte for byte.

use websock_std::{connect, Message, MessageKind};
use websock_tests::examples::start_example;

fn echoes_streaming(package: &str, example: &str, features: &[&str]) {
    let (_server, addr) = start_example(package, example, features, &["--streaming"]);
    let mut ws = connect(&format!("ws://{addr}/")).unwrap();
    let binary: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8).collect();
    ws.send(Message::binary(binary.clone())).unwrap();
    assert_eq!(ws.recv().unwrap().unwrap(), Message::binary(binary));
    let mut text = String::new();
    while text.len() < 3 << 20 {
        text.push_str("a\u{e9}\u{20ac}\u{1f600}");
    }
    let mut writer = ws.send_stream(MessageKind::Text).fragment_size(9_999);
    std::io::Write::write_all(&mut writer, text.as_bytes()).unwrap();
    writer.finish().unwrap();
    assert_eq!(ws.recv().unwrap().unwrap(), Message::text(text));
    for small in ["", "x", "hello"] {
        ws.send(Message::text(small)).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text(small));
    }
    let closed = ws.close(Some(1000), "done").unwrap();
    assert!(closed.was_clean, "{package} {example}: {closed:?}");
}

#[test]
fn tokio_echo_server_streams() {
    echoes_streaming("websock-tokio", "echo-server", &[]);
}

#[test]
fn smol_echo_server_streams() {
    echoes_streaming("websock-smol", "echo-server", &[]);
}

#[test]
fn std_echo_server_streams() {
    echoes_streaming("websock-std", "echo-server", &[]);
}

#[test]
fn mio_echo_streams() {
    echoes_streaming("websock-core", "mio_echo", &[]);
}

#[test]
fn hyper_server_streams() {
    echoes_streaming("websock-tokio", "hyper-server", &["hyper"]);
}

#[test]
fn axum_server_streams() {
    echoes_streaming("websock-tokio", "axum-server", &["hyper"]);
}
