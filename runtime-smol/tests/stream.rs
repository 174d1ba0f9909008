//! What only the async runtimes' idiomatic API has: the `futures` `Stream` and `Sink`
//! traits on the stream and its halves (core's async handles, the same code in
//! websock-tokio), and `wss://` refused without the `tls` feature.
//!
//! The behaviour the three runtimes share is in `tests/tests/stream_api.rs` and
//! `tests/tests/robustness.rs` (package websock-tests), run on all three.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt as _};
#[cfg(not(feature = "tls"))]
use websock_smol::Error;
use websock_smol::{connect_with, Message, ServerOptions};

#[test]
fn stream_and_sink_traits() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        for i in 0..10 {
            ws.feed(Message::text(format!("m{i}"))).await.unwrap();
        }
        ws.flush().await.unwrap();
        let got: Vec<Message> = (&mut ws).take(10).map(Result::unwrap).collect().await;
        let want: Vec<Message> = (0..10).map(|i| Message::text(format!("m{i}"))).collect();
        assert_eq!(got, want);
        SinkExt::close(&mut ws).await.unwrap();
        assert!(ws.next().await.is_none());
        assert_eq!(ws.close_event().unwrap().code, 1000);
    });
}

#[cfg(not(feature = "tls"))]
#[test]
fn wss_without_the_tls_feature_is_a_url_error_before_connecting() {
    run(async {
        // Port 1: nothing is listening; the URL is refused before any connection.
        let err = connect_with("wss://127.0.0.1:1/", client_options())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Url(websock_smol::ApiError::Syntax)),
            "{err:?}"
        );
    });
}

#[test]
fn the_halves_are_sink_and_stream() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        let (mut tx, mut rx) = ws.split();
        for i in 0..200 {
            tx.feed(Message::text(format!("m{i}"))).await.unwrap();
        }
        SinkExt::flush(&mut tx).await.unwrap();
        for i in 0..200 {
            assert_eq!(
                rx.next().await.unwrap().unwrap(),
                Message::text(format!("m{i}"))
            );
        }
        let event = tx.close(Some(1000), "").await.unwrap();
        assert!(event.was_clean);
        assert!(rx.next().await.is_none());
    });
}

/// Clones of the sender half are each a `Sink`: two clones in two tasks feed messages
/// larger than the room a small send queue leaves (`start_send` parks such a message,
/// one per clone at most, queued in order: core's `layers.rs` checks the parking
/// itself), and every message arrives, each clone's in order.
#[test]
fn sink_clones_in_two_tasks_lose_nothing() {
    const N: usize = 300;
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut options = client_options();
        options.limits.max_send_queue = 8 << 10;
        options.deflate.enabled = false;
        let ws = connect_with(&ws_url(addr, "/"), options).await.unwrap();
        let (tx, mut rx) = ws.split();
        let payload =
            |who: char, i: usize| Message::text(format!("{who}{i:05}{}", "x".repeat(3000)));
        let tasks: Vec<_> = ['a', 'b']
            .into_iter()
            .map(|who| {
                let mut tx = tx.clone();
                smol::spawn(async move {
                    for i in 0..N {
                        tx.feed(payload(who, i)).await.unwrap();
                    }
                    SinkExt::flush(&mut tx).await.unwrap();
                })
            })
            .collect();
        let mut next = [0usize; 2];
        for _ in 0..2 * N {
            let m = rx.next().await.unwrap().unwrap();
            let first = m.as_bytes()[0];
            let who = usize::from(first - b'a');
            assert_eq!(m, payload(char::from(first), next[who]));
            next[who] += 1;
        }
        for task in tasks {
            task.await;
        }
        assert_eq!(next, [N, N]);
        let event = tx.close(Some(1000), "").await.unwrap();
        assert!(event.was_clean);
    });
}
