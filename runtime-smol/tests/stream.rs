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
