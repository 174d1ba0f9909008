//! websock-core's `tungstenite` feature: `Message` to and from `tungstenite::Message`
//! (and `Text` to and from `tungstenite::Utf8Bytes`), round trips, the error for control
//! messages, and that the payload's buffer is shared rather than copied.

use bytes::Bytes;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::{CloseFrame, Frame};
use tungstenite::Utf8Bytes;
use websock_core::tungstenite_compat::NotDataMessage;
use websock_core::{Message, Text};

/// websock → tungstenite → websock, checking the middle step.
fn round_trip(message: Message, expected: tungstenite::Message) {
    let theirs = tungstenite::Message::from(message.clone());
    assert_eq!(theirs, expected);
    let back = Message::try_from(theirs).expect("data message converts back");
    assert_eq!(back, message);
}

#[test]
fn text_round_trips() {
    for s in [
        "hello",
        "",
        "héllo wörld",
        "日本語のテキスト",
        "emoji 🦀🎉",
        "\u{0}\u{7f}",
    ] {
        round_trip(Message::text(s), tungstenite::Message::text(s));
        // And starting on tungstenite's side.
        let ours = Message::try_from(tungstenite::Message::text(s)).unwrap();
        assert_eq!(ours, Message::text(s));
        assert_eq!(
            tungstenite::Message::from(ours),
            tungstenite::Message::text(s)
        );
    }
}

#[test]
fn binary_round_trips() {
    let payloads: [&[u8]; 4] = [b"", b"\x00\x01\x02", &[0xff; 300], b"\xc3\x28 not utf-8"];
    for p in payloads {
        round_trip(
            Message::binary(p.to_vec()),
            tungstenite::Message::binary(p.to_vec()),
        );
        let ours = Message::try_from(tungstenite::Message::binary(p.to_vec())).unwrap();
        assert_eq!(ours, Message::binary(p.to_vec()));
    }
    // Text-looking binary stays binary, both ways.
    let ours = Message::try_from(tungstenite::Message::binary(&b"abc"[..])).unwrap();
    assert!(matches!(ours, Message::Binary(_)));
    assert!(tungstenite::Message::from(Message::binary(&b"abc"[..])).is_binary());
}

#[test]
fn empty_messages_convert() {
    let t = Message::try_from(tungstenite::Message::text("")).unwrap();
    assert!(matches!(&t, Message::Text(text) if text.is_empty()));
    let b = Message::try_from(tungstenite::Message::binary(Bytes::new())).unwrap();
    assert!(matches!(&b, Message::Binary(bytes) if bytes.is_empty()));
    assert_eq!(
        tungstenite::Message::from(t),
        tungstenite::Message::Text(Utf8Bytes::default())
    );
    assert_eq!(
        tungstenite::Message::from(b),
        tungstenite::Message::Binary(Bytes::new())
    );
}

#[test]
fn text_and_utf8_bytes_convert() {
    let text = Text::from("grüße");
    let theirs = Utf8Bytes::from(text.clone());
    assert_eq!(theirs.as_str(), "grüße");
    assert_eq!(Text::from(theirs), text);
}

#[test]
fn control_messages_fail_and_come_back() {
    let close = tungstenite::Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: Utf8Bytes::from_static("bye"),
    }));
    let cases = [
        (
            tungstenite::Message::Ping(Bytes::from_static(b"ping!")),
            "ping",
        ),
        (
            tungstenite::Message::Pong(Bytes::from_static(b"pong!")),
            "pong",
        ),
        (close, "close"),
        (tungstenite::Message::Close(None), "close"),
        (
            tungstenite::Message::Frame(Frame::ping(&b"raw"[..])),
            "raw frame",
        ),
    ];
    for (original, kind) in cases {
        let err: NotDataMessage = Message::try_from(original.clone()).unwrap_err();
        assert_eq!(err.message(), &original);
        let shown = err.to_string();
        assert!(shown.contains(kind), "{shown:?} names {kind}");
        // It is a std error (boxes into `?` chains).
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err.clone());
        assert_eq!(boxed.to_string(), shown);
        assert_eq!(err.into_message(), original);
    }
}

#[test]
fn conversions_share_the_buffer() {
    // Bytes from a Vec (its pointer is the Vec's).
    let payload = "zero-copy ünïcödé".repeat(64).into_bytes();
    let ptr = payload.as_ptr();

    // websock text → tungstenite text → websock text.
    let ours = Message::Text(Text::from_bytes(Bytes::from(payload)).unwrap());
    assert_eq!(ours.as_bytes().as_ptr(), ptr);
    let theirs = tungstenite::Message::from(ours);
    let tungstenite::Message::Text(ref utf8) = theirs else {
        panic!("text expected")
    };
    assert_eq!(utf8.as_ptr(), ptr);
    let back = Message::try_from(theirs).unwrap();
    assert_eq!(back.as_bytes().as_ptr(), ptr);

    // Binary, both ways.
    let payload = vec![7u8; 4096];
    let ptr = payload.as_ptr();
    let theirs = tungstenite::Message::from(Message::binary(payload));
    let tungstenite::Message::Binary(ref bytes) = theirs else {
        panic!("binary expected")
    };
    assert_eq!(bytes.as_ptr(), ptr);
    let back = Message::try_from(theirs).unwrap();
    assert_eq!(back.as_bytes().as_ptr(), ptr);

    // Starting on tungstenite's side (a static payload keeps its address too).
    static PAYLOAD: &str = "static text, shared";
    let ours =
        Message::try_from(tungstenite::Message::Text(Utf8Bytes::from_static(PAYLOAD))).unwrap();
    assert_eq!(ours.as_bytes().as_ptr(), PAYLOAD.as_ptr());
    let text = Text::from(Utf8Bytes::from_static(PAYLOAD));
    assert_eq!(Utf8Bytes::from(text).as_ptr(), PAYLOAD.as_ptr());
}
