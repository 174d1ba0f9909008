//! `feed` (queue a message, written by a later `flush`) and `try_recv` (a message
//! already received, without I/O or waiting), one suite for the three runtimes: each
//! test runs the same body with `websock-tokio`, `websock-smol` and `websock-std`
//! (through `websock_tests::facade`), against an echo server or a raw peer that
//! writes and reads frames by hand.
//!
//! An unsplit stream leaves a fed message queued until `flush` (below the 64 KiB batch
//! bound): nothing drives it between calls. A split connection is driven by its
//! driver task (tokio, smol) or keeper thread (std), which writes what is queued when
//! it next runs: there `flush` is what makes the write happen now.

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use websock_core::Message;
use websock_tests::facade::{
    connect, each_runtime, opcode, serve_echo, Conn, Frame, Options, RawListener, RawPeer,
    ServerOptions,
};
use websock_tests::Runtime;

use websock_core::Decision;

/// A connection with `rt`'s client to `rt`'s echo server.
fn echo(rt: Runtime) -> Box<dyn Conn> {
    let addr = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
    connect(rt, &format!("ws://{addr}/echo"), &Options::new())
        .unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"))
}

/// A connection with `rt`'s client to a raw peer (a server written by hand).
fn raw(rt: Runtime) -> (Box<dyn Conn>, RawPeer) {
    let listener = RawListener::bind();
    let url = listener.url();
    let peer = thread::spawn(move || listener.accept().expect("accept"));
    let ws = connect(rt, &url, &Options::new()).unwrap_or_else(|e| panic!("{rt}: {e:?}"));
    (ws, peer.join().expect("raw peer"))
}

/// The next frame the raw peer reads within `timeout`; `None` if nothing came.
fn frame_within(peer: &mut RawPeer, timeout: Duration) -> Option<Frame> {
    peer.tcp.set_read_timeout(Some(timeout)).unwrap();
    match peer.read_frame() {
        Ok(frame) => Some(frame),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        Err(e) => panic!("raw peer: {e}"),
    }
}

/// How long the raw peer watches for a frame that must not come.
const QUIET: Duration = Duration::from_millis(300);

#[test]
fn fed_messages_are_not_lost_and_arrive_in_order_after_flush() {
    each_runtime("feed then flush", |rt| {
        let mut ws = echo(rt);
        for i in 0..3 {
            ws.feed(Message::text(format!("fed {i}"))).unwrap();
        }
        ws.flush().unwrap();
        for i in 0..3 {
            let got = ws.recv().unwrap().unwrap();
            assert_eq!(got, Message::text(format!("fed {i}")), "{rt}");
        }
        // A send after a feed writes both, in order.
        ws.feed(Message::text("first")).unwrap();
        ws.send(Message::text("second")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("first"), "{rt}");
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("second"), "{rt}");

        // The split halves: the sender feeds and flushes, the receiver gets them all.
        let (mut tx, mut rx) = echo(rt).split();
        for i in 0..50 {
            tx.feed(Message::binary(vec![i as u8; 100])).unwrap();
        }
        tx.flush().unwrap();
        for i in 0..50 {
            let got = rx.recv().unwrap().unwrap();
            assert_eq!(got, Message::binary(vec![i as u8; 100]), "{rt}");
        }
        assert_eq!(tx.send_queue_len(), 0, "{rt}");
    });
}

#[test]
fn feed_leaves_the_message_queued_until_flush() {
    each_runtime("feed is not written before flush", |rt| {
        // An unsplit stream: nothing drives it between calls, and `feed` does not write.
        let (mut ws, mut peer) = raw(rt);
        ws.feed(Message::text("held")).unwrap();
        assert!(ws.send_queue_len() > 0, "{rt}: queued");
        let early = frame_within(&mut peer, QUIET);
        assert!(early.is_none(), "{rt}: written before flush: {early:?}");
        ws.flush().unwrap();
        let frame = frame_within(&mut peer, Duration::from_secs(10)).expect("after flush");
        assert_eq!(
            (frame.opcode, &frame.payload[..]),
            (opcode::TEXT, &b"held"[..])
        );
        assert_eq!(ws.send_queue_len(), 0, "{rt}");

        // A split sender (nobody receives meanwhile): the connection's driver task or
        // keeper thread writes whatever is queued when it next runs, so the fed
        // message goes out without a flush.
        let (ws, mut peer) = raw(rt);
        let (mut tx, _rx) = ws.split();
        tx.feed(Message::text("split")).unwrap();
        let frame = frame_within(&mut peer, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{rt}: the driver writes it"));
        assert_eq!(frame.payload, b"split", "{rt}");
        tx.flush().unwrap();
    });
}

#[test]
fn try_recv_returns_what_is_already_received_then_none_at_once() {
    each_runtime("try_recv", |rt| {
        for split in [false, true] {
            let (ws, mut peer) = raw(rt);
            // Three messages and a ping, in one write: one read takes them all.
            let mut burst = Vec::new();
            burst.extend(websock_tests::facade::encode_frame(opcode::TEXT, b"one"));
            burst.extend(websock_tests::facade::encode_frame(opcode::PING, b"p"));
            burst.extend(websock_tests::facade::encode_frame(opcode::TEXT, b"two"));
            burst.extend(websock_tests::facade::encode_frame(opcode::TEXT, b"three"));
            io::Write::write_all(&mut peer.tcp, &burst).unwrap();
            let (mut tx, mut rx) = if split {
                let (tx, rx) = ws.split();
                (Some(tx), Err(rx))
            } else {
                (None, Ok(ws))
            };
            let mut recv = || match &mut rx {
                Ok(ws) => ws.recv(),
                Err(rx) => rx.recv(),
            };
            assert_eq!(recv().unwrap().unwrap(), Message::text("one"), "{rt}");
            let mut try_recv = || match &mut rx {
                Ok(ws) => ws.try_recv(),
                Err(rx) => rx.try_recv(),
            };
            // The ping between is answered (its pong queued) and skipped.
            let two = try_recv();
            assert_eq!(
                two.unwrap().unwrap(),
                Message::text("two"),
                "{rt} split {split}"
            );
            let three = try_recv();
            assert_eq!(three.unwrap().unwrap(), Message::text("three"), "{rt}");
            let started = Instant::now();
            let none = try_recv();
            assert!(none.is_none(), "{rt} split {split}: {none:?}");
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{rt}: it waited"
            );
            // The pong goes out with the next flush (split async: the driver task).
            match (&mut tx, &mut rx) {
                (Some(tx), _) => tx.flush().unwrap(),
                (None, Ok(ws)) => ws.flush().unwrap(),
                (None, Err(_)) => unreachable!(),
            }
            let pong = frame_within(&mut peer, Duration::from_secs(10)).expect("the pong");
            assert_eq!((pong.opcode, &pong.payload[..]), (opcode::PONG, &b"p"[..]));
            // Later input is still `recv`'s, and `try_recv` sees nothing before it.
            peer.send_text("four").unwrap();
            let mut recv = || match &mut rx {
                Ok(ws) => ws.recv(),
                Err(rx) => rx.recv(),
            };
            assert_eq!(recv().unwrap().unwrap(), Message::text("four"), "{rt}");
            // The end: `recv` reports it; `try_recv` then has nothing either.
            peer.send_close(1000).unwrap();
            peer.tcp.shutdown(std::net::Shutdown::Write).unwrap();
            let mut recv = || match &mut rx {
                Ok(ws) => ws.recv(),
                Err(rx) => rx.recv(),
            };
            assert!(recv().is_none(), "{rt}: the end");
            let after = match &mut rx {
                Ok(ws) => ws.try_recv(),
                Err(rx) => rx.try_recv(),
            };
            assert!(after.is_none(), "{rt}: {after:?}");
        }
    });
}
