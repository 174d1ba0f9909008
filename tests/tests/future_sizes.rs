//! The futures of the async handles' `send` and `recv` stay small: every connection's
//! task carries the one it awaits for as long as the connection lives (an idle echo
//! server's task waits in `recv`, and holds room for `send` too). Growing one by a few
//! bytes can move a task into tokio's next 128-byte size class of task cells (a cell is
//! 128-byte aligned on x86_64): +128 B per connection, which the benchmark suite's idle
//! row measured once (1.96 -> 2.08 KB per connection, from 8 bytes more in `send`'s
//! future).

use std::mem::size_of_val;

use websock_core::{Config, Message, PreparedMessage, Role};

/// The most a `send`-like future may hold: a reference to the sender (8 B), the message
/// in its slot (40 B) and two flags, padded (a prepared message's holds two references).
const SEND_BOUND: usize = 56;
/// The most `recv`'s future may hold: a reference to the receiver.
const RECV_BOUND: usize = 8;

#[test]
fn send_and_recv_futures_hold_their_arguments_and_a_reference() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_nonblocking(true).unwrap();
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::from_std(server).unwrap();
        let mut ws = websock_tokio::from_upgraded(tcp, Role::Server, None, Config::default());
        let prepared = PreparedMessage::new(Message::text("x"));
        let mut sizes = Vec::new();
        sizes.push(("send", size_of_val(&ws.send(Message::text("x")))));
        sizes.push(("feed", size_of_val(&ws.feed(Message::text("x")))));
        let uncompressed = size_of_val(&ws.send_uncompressed(Message::text("x")));
        sizes.push(("send_uncompressed", uncompressed));
        sizes.push(("send_prepared", size_of_val(&ws.send_prepared(&prepared))));
        sizes.push(("feed_prepared", size_of_val(&ws.feed_prepared(&prepared))));
        for (name, size) in sizes {
            eprintln!("{name}: {size} B");
            assert!(
                size <= SEND_BOUND,
                "{name}'s future is {size} B (bound {SEND_BOUND})"
            );
        }
        let recv = size_of_val(&ws.recv());
        eprintln!("recv: {recv} B");
        assert!(
            recv <= RECV_BOUND,
            "recv's future is {recv} B (bound {RECV_BOUND})"
        );
        let (tx, _rx) = ws.split();
        let sender = size_of_val(&tx.send(Message::text("x")));
        eprintln!("WebSocketSender::send: {sender} B");
        assert!(sender <= SEND_BOUND);
    });
}
