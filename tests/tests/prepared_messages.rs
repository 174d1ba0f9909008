//! `PreparedMessage` (a message encoded once, for sending it to many connections)
//! through every runtime's handles: `send_prepared`, `feed_prepared` and
//! `try_send_prepared` on the stream and on a split sender, from a server to several
//! clients (with permessage-deflate agreed, where a long message is compressed per
//! connection and a short one shares the frame, and without it) and from a client.

use websock_core::deflate::DeflateConfig;
use websock_core::{Decision, Message, PreparedMessage};
use websock_tests::facade::{connect, each_runtime, serve_once, Conn, Options, ServerOptions};
use websock_tests::Runtime;

/// `n` connections from `rt`'s client to `rt`'s server: (server side, client side).
fn connections(
    rt: Runtime,
    n: usize,
    options: &ServerOptions,
) -> Vec<(Box<dyn Conn>, Box<dyn Conn>)> {
    (0..n)
        .map(|_| {
            let (addr, server) = serve_once(rt, options.clone(), |_| Decision::accept(), |ws| ws);
            let client = connect(rt, &format!("ws://{addr}/"), &Options::new())
                .unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
            let server = server
                .join()
                .expect("server thread")
                .unwrap_or_else(|e| panic!("{rt}: accept: {e:?}"));
            (server, client)
        })
        .collect()
}

/// The next message `ws` receives.
fn next(rt: Runtime, ws: &mut Box<dyn Conn>) -> Message {
    ws.recv()
        .unwrap_or_else(|| panic!("{rt}: connection ended"))
        .unwrap_or_else(|e| panic!("{rt}: recv: {e:?}"))
}

#[test]
fn a_prepared_message_reaches_every_connection_as_sent() {
    let long = PreparedMessage::new(Message::text("a room's update; ".repeat(64)));
    let short = PreparedMessage::new(Message::binary(vec![3u8; 20]));
    each_runtime(
        "a_prepared_message_reaches_every_connection_as_sent",
        move |rt| {
            for options in [
                ServerOptions::default(),
                ServerOptions::default().deflate(DeflateConfig::disabled()),
            ] {
                let deflate = options.deflate.enabled;
                let mut pairs = connections(rt, 3, &options);
                for (server, client) in &mut pairs {
                    assert_eq!(server.extensions().is_empty(), !deflate, "{rt}");
                    server.send_prepared(&long).unwrap();
                    server.feed_prepared(&short).unwrap();
                    server.flush().unwrap();
                    server.try_send_prepared(&short).unwrap();
                    assert_eq!(
                        next(rt, client),
                        long.to_message(),
                        "{rt}, deflate {deflate}"
                    );
                    assert_eq!(next(rt, client), short.to_message(), "{rt}");
                    assert_eq!(next(rt, client), short.to_message(), "{rt}");
                }
                // The same through split senders, and from a client to its server.
                for (server, mut client) in pairs {
                    let (mut tx, mut rx) = server.split();
                    tx.send_prepared(&long).unwrap();
                    tx.feed_prepared(&short).unwrap();
                    tx.flush().unwrap();
                    tx.try_send_prepared(&long).unwrap();
                    assert_eq!(next(rt, &mut client), long.to_message(), "{rt}");
                    assert_eq!(next(rt, &mut client), short.to_message(), "{rt}");
                    assert_eq!(next(rt, &mut client), long.to_message(), "{rt}");
                    client.send_prepared(&long).unwrap();
                    let received = rx.recv().expect("a message").expect("received");
                    assert_eq!(received, long.to_message(), "{rt}");
                }
            }
        },
    );
}
