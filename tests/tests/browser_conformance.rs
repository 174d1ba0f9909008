//! The browser `WebSocket` face against the browser's expected results, case by case,
//! on all three runtimes (`websock-tokio`, `websock-smol`, `websock-std`).
//!
//! Each case states what a browser does, from the WHATWG WebSockets Standard and the
//! web-platform-tests `websockets/` directory (file names in the comments), and runs
//! it through [`websock_tests::browser_face`]: every runtime's `WebSocket` behind one
//! trait, its events logged as a page logs them (`readyState` as each handler sees
//! it). Where MDN's pages (the seeds) and today's standard differ, both
//! [`Compat`] modes are stated.
//!
//! Peers are local: a hand-scripted server ([`ScriptedServer`]: echo, drop TCP, a bad
//! frame, frames in the same segment as the `101`, an extensions header as written), a
//! listener that never answers (the socket stays CONNECTING), and a closed port.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use websock_core::dom::{BinaryType, Compat, MessageData, ReadyState};
use websock_core::{ApiError, Bytes};
use websock_tests::browser_face::{
    self, close_line, error_line, json, open_line, run_logged, Log, MessageAction, OpenAction,
    ScriptedServer, ServerScript,
};
use websock_tests::facade::{each_runtime, encode_frame, opcode, Options, RawListener};
use websock_tests::{Runtime, Scheme};

/// How long a case may wait for its close event or a peer.
const WAIT: Duration = Duration::from_secs(10);

/// A `ws://` URL on which nothing listens (connecting is refused).
fn refused_url() -> String {
    format!("ws://{}/", websock_tests::facade::refused_addr())
}

/// A listener that accepts TCP (the kernel's backlog) but never answers the handshake:
/// a socket to it stays CONNECTING (until the 10 s handshake deadline).
struct Silent(TcpListener);

impl Silent {
    fn bind() -> Silent {
        Silent(TcpListener::bind("127.0.0.1:0").expect("bind"))
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.0.local_addr().expect("local addr"))
    }
}

fn nothing() -> OpenAction {
    Box::new(|_, _| {})
}

fn no_reply() -> MessageAction {
    Box::new(|_, _, _| {})
}

fn text(s: &str) -> MessageData {
    MessageData::Text(s.to_owned())
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// `open rs=1` with no subprotocol and no extension (what [`ScriptedServer`] agrees).
fn opened() -> String {
    open_line(1, "", "")
}

/// The close event of a connection that ended without a closing handshake.
fn abnormal() -> String {
    close_line(1006, "", false, 3)
}

/// Opens `rt`'s socket (following `compat`) on a scripted server running `script`,
/// logs it until the close event, and returns the lines and what the server saw.
fn against_script(
    rt: Runtime,
    script: ServerScript,
    compat: Compat,
    on_open: OpenAction,
    on_message: MessageAction,
) -> (Vec<String>, browser_face::Seen) {
    let server = ScriptedServer::start(script);
    let lines = run_logged(rt, &server.url(), compat, on_open, on_message, WAIT);
    let seen = server.wait_seen(1, WAIT).remove(0);
    (lines, seen)
}

/// Polls `check` until it holds or `WAIT` passes.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

// Constructor ---------------------------------------------------------------------

/// Create-valid-url, Create-http-urls, Create-verify-url-set-non-default-port: the
/// `url` attribute is the parsed URL, serialized (scheme mapped, host lowercased, the
/// path escaped); every attribute has its initial value.
#[test]
fn constructor_valid_urls_and_initial_attributes() {
    each_runtime("constructor: valid URLs", |rt| {
        let base = refused_url();
        let port = base.rsplit(':').next().unwrap().trim_end_matches('/');
        for (given, url) in [
            (
                format!("ws://127.0.0.1:{port}"),
                format!("ws://127.0.0.1:{port}/"),
            ),
            (
                format!("ws://LOCALHOST:{port}/Path?Q=1"),
                format!("ws://localhost:{port}/Path?Q=1"),
            ),
            (
                format!("http://127.0.0.1:{port}/x"),
                format!("ws://127.0.0.1:{port}/x"),
            ),
            (
                format!("https://127.0.0.1:{port}/"),
                format!("wss://127.0.0.1:{port}/"),
            ),
            (
                format!("ws://127.0.0.1:{port}/?"),
                format!("ws://127.0.0.1:{port}/?"),
            ),
            (
                format!("ws://127.0.0.1:{port}/a b"),
                format!("ws://127.0.0.1:{port}/a%20b"),
            ),
        ] {
            let ws = browser_face::new(rt, &given, &[])
                .unwrap_or_else(|e| panic!("{rt}: new WebSocket({given:?}) threw {e}"));
            assert_eq!(ws.url(), url, "{rt}: {given}");
            assert_eq!(ws.ready_state(), ReadyState::Connecting, "{rt}: {given}");
            assert_eq!(ws.buffered_amount(), 0, "{rt}: {given}");
            assert_eq!(ws.protocol(), "", "{rt}: {given}");
            assert_eq!(ws.extensions(), "", "{rt}: {given}");
            assert_eq!(ws.binary_type(), BinaryType::Blob, "{rt}: {given}");
            assert_eq!(ws.compat(), Compat::Mdn, "{rt}: {given}");
        }
    });
}

/// Create-invalid-urls, Create-wrong-scheme, Create-non-absolute-url: SyntaxError, in
/// both modes.
#[test]
fn constructor_invalid_urls_are_syntax_errors() {
    each_runtime("constructor: invalid URLs", |rt| {
        let base = refused_url();
        for url in [
            "ws://foo bar.com/".to_owned(),
            "wss://foo bar.com/".to_owned(),
            "ftp://127.0.0.1/".to_owned(),
            "mailto:example@example.org".to_owned(),
            "about:blank".to_owned(),
            "file:///tmp/x".to_owned(),
            format!("{base}#"),
            format!("{base}#test"),
            "#test".to_owned(),
            "/relative".to_owned(),
            "ws://".to_owned(),
            "ws://[::1/".to_owned(),
        ] {
            for compat in [Compat::Mdn, Compat::Standard] {
                let e = browser_face::open(rt, &url, &Options::new(), compat).err();
                assert_eq!(e, Some(ApiError::Syntax), "{rt} {compat:?}: {url:?}");
            }
        }
    });
}

/// Create-valid-url-protocol*, Create-protocol-with-space, Create-nonAscii-protocol-
/// string, Create-asciiSep-protocol-string, Create-protocols-repeated(-case-
/// insensitive): each protocol a non-empty token, none repeated ignoring ASCII case.
#[test]
fn constructor_protocols_are_tokens_without_duplicates() {
    each_runtime("constructor: protocols", |rt| {
        let url = refused_url();
        for ok in [
            &[][..],
            &["echo"],
            &["chat", "superchat"],
            &["!#$%&'*+-.^_`|~09AZaz"],
        ] {
            let ws = browser_face::new(rt, &url, ok)
                .unwrap_or_else(|e| panic!("{rt}: protocols {ok:?} threw {e}"));
            assert_eq!(ws.ready_state(), ReadyState::Connecting);
        }
        let separators: Vec<String> = "()<>@,;:\\\"/[]?={} \t"
            .chars()
            .map(|c| format!("x{c}y"))
            .collect();
        let mut bad: Vec<Vec<String>> = separators.into_iter().map(|p| vec![p]).collect();
        for list in [
            &[""][..],
            &["\u{e9}cho"],
            &["\u{0}"],
            &["\u{7f}"],
            &["echo", "echo"],
            &["echo", "eCho"],
            &["a", "b", "A"],
        ] {
            bad.push(list.iter().map(|p| (*p).to_owned()).collect());
        }
        for list in bad {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            assert_eq!(
                browser_face::new(rt, &url, &refs).err(),
                Some(ApiError::Syntax),
                "{rt}: protocols {list:?}"
            );
        }
    });
}

/// Create-blocked-port (the seeds' rule, [`Compat::Mdn`], the default): a port on the
/// Fetch standard's bad-port list throws SecurityError from the constructor.
#[test]
fn mdn_blocked_ports_throw_security_error() {
    each_runtime("Mdn: blocked ports", |rt| {
        for port in [1, 7, 21, 22, 25, 110, 6000, 6667, 10080] {
            for scheme in ["ws", "wss", "http", "https"] {
                let url = format!("{scheme}://127.0.0.1:{port}/");
                assert_eq!(
                    browser_face::new(rt, &url, &[]).err(),
                    Some(ApiError::Security),
                    "{rt}: {url}"
                );
            }
        }
        // A port that is not on the list is dialled (here refused: error, close 1006).
        let ws = browser_face::new(rt, &refused_url(), &[]).expect("not blocked");
        let log = Log::attach_quiet(&*ws);
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}"
        );
    });
}

/// The first bindable port ≥ 1024 on the bad-port list: a listener there proves that
/// nothing was dialled.
fn bind_blocked_port() -> (TcpListener, u16) {
    for port in [
        10080, 6697, 6679, 6669, 6668, 6666, 6665, 6566, 5061, 5060, 4190, 4045, 3659, 2049, 1723,
        1720, 1719,
    ] {
        assert!(websock_core::dom::is_blocked_port(port));
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            listener.set_nonblocking(true).expect("non-blocking");
            return (listener, port);
        }
    }
    panic!("no port of the bad-port list above 1023 could be bound on 127.0.0.1");
}

/// Today's standard ([`Compat::Standard`], Chromium): the constructor succeeds
/// (CONNECTING), nothing is dialled, then error and close (1006) arrive
/// asynchronously. With the check turned off (`check_bad_ports(false)`) the port is
/// dialled.
#[test]
fn standard_blocked_port_fails_asynchronously_without_dialling() {
    each_runtime("Standard: blocked port", |rt| {
        let (listener, port) = bind_blocked_port();
        let url = format!("ws://127.0.0.1:{port}/");
        let ws = browser_face::open(rt, &url, &Options::new(), Compat::Standard)
            .unwrap_or_else(|e| panic!("{rt}: the constructor threw {e}"));
        assert_eq!(ws.url(), url);
        assert_eq!(ws.ready_state(), ReadyState::Connecting, "{rt}");
        assert_eq!(ws.compat(), Compat::Standard);
        let log = Log::attach_quiet(&*ws);
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}"
        );
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            listener.accept().is_err(),
            "{rt}: the blocked port was dialled"
        );
        // The seeds' mode throws for the same URL.
        assert_eq!(
            browser_face::open(rt, &url, &Options::new(), Compat::Mdn).err(),
            Some(ApiError::Security)
        );
        // With the check off, the port is dialled.
        let off = Options::new().check_bad_ports(false);
        let dialled = browser_face::open(rt, &url, &off, Compat::Standard).expect("no check");
        eventually("the unchecked port is dialled", || {
            listener.accept().is_ok()
        });
        drop(dialled);
    });
}

// close(code, reason) -------------------------------------------------------------

/// close-invalid, Close-Reason-124Bytes: the code first (InvalidAccessError unless
/// 1000 or 3000-4999), then the reason (SyntaxError over 123 UTF-8 bytes); a throwing
/// call changes nothing. close() while CONNECTING fails the connection: CLOSING, then
/// error and close 1006.
#[test]
fn close_arguments_then_close_while_connecting() {
    each_runtime("close(): arguments", |rt| {
        let silent = Silent::bind();
        let ws = browser_face::new(rt, &silent.url(), &[]).expect("valid");
        // No handlers yet: events wait in the queue until taken, so nothing is
        // dispatched behind the test's back (as within one task of a page).
        for code in [
            0, 500, 999, 1001, 1002, 1004, 1005, 1006, 1015, 2999, 5000, 65535,
        ] {
            assert_eq!(
                ws.close(Some(code), None),
                Err(ApiError::InvalidAccess),
                "{rt}: {code}"
            );
            assert_eq!(
                ws.close_utf16(Some(code), None),
                Err(ApiError::InvalidAccess),
                "{rt}: {code}"
            );
        }
        // The code is checked before the reason.
        let long = "a".repeat(200);
        assert_eq!(
            ws.close(Some(1001), Some(&long)),
            Err(ApiError::InvalidAccess)
        );
        for reason in [
            "a".repeat(124),
            "\u{20AC}".repeat(41) + "a",
            "\u{1F600}".repeat(31),
            "\u{e9}".repeat(62),
        ] {
            assert_eq!(reason.len(), 124);
            assert_eq!(
                ws.close(Some(1000), Some(&reason)),
                Err(ApiError::Syntax),
                "{rt}"
            );
            assert_eq!(ws.close(None, Some(&reason)), Err(ApiError::Syntax));
            assert_eq!(
                ws.close_utf16(Some(1000), Some(&utf16(&reason))),
                Err(ApiError::Syntax)
            );
        }
        assert_eq!(
            ws.ready_state(),
            ReadyState::Connecting,
            "{rt}: nothing happened"
        );
        assert_eq!(ws.buffered_amount(), 0);
        // A valid close while CONNECTING: CLOSING at once, then error and close 1006.
        let max = "\u{20AC}".repeat(41);
        assert_eq!(max.len(), 123);
        ws.close(Some(3000), Some(&max)).expect("valid arguments");
        assert_eq!(ws.ready_state(), ReadyState::Closing, "{rt}");
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            ws.ready_state(),
            ReadyState::Closing,
            "{rt}: until dispatched"
        );
        let log = Log::attach_quiet(&*ws);
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}"
        );
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        // Once CLOSED, close() does nothing and does not throw.
        ws.close(Some(1000), Some("again")).expect("no-op");
        assert_eq!(ws.ready_state(), ReadyState::Closed);
    });
}

/// Close-1000, Close-1000-reason, Close-onlyReason, Close-undefined, Close-3000/4999-
/// reason: the Close frame the server receives, and the clean close event (the server
/// answers with the code only; none for an empty Close, which the event shows as 1005).
#[test]
fn close_sends_the_code_and_reason_the_server_receives() {
    /// `close(code, reason)`, the Close frame's code and reason, the close event's code.
    type CloseCase<'a> = (Option<u16>, Option<&'a str>, Option<u16>, &'a str, u16);
    each_runtime("close(): what is sent", |rt| {
        let max = "a".repeat(123);
        let cases: [CloseCase; 6] = [
            (Some(1000), None, Some(1000), "", 1000),
            (Some(1000), Some("bye"), Some(1000), "bye", 1000),
            (None, Some("only reason"), Some(1000), "only reason", 1000),
            (None, None, None, "", 1005),
            (Some(3000), Some(&max), Some(3000), &max, 3000),
            (
                Some(4999),
                Some("\u{e9}\u{20AC}\u{1F600}"),
                Some(4999),
                "\u{e9}\u{20AC}\u{1F600}",
                4999,
            ),
        ];
        for (code, reason, wire_code, wire_reason, event_code) in cases {
            let reason = reason.map(str::to_owned);
            let on_open: OpenAction = Box::new(move |ws, log| {
                ws.close(code, reason.as_deref()).expect("valid close()");
                log.note(format!("after close() rs={}", ws.ready_state().as_u16()));
            });
            let (lines, seen) = against_script(
                rt,
                ServerScript::default(),
                Compat::Mdn,
                on_open,
                no_reply(),
            );
            assert_eq!(
                lines,
                [
                    opened(),
                    "after close() rs=2".to_owned(),
                    close_line(event_code, "", true, 3)
                ],
                "{rt}: close({code:?}, ..)"
            );
            assert_eq!(
                seen.close,
                Some((wire_code, wire_reason.as_bytes().to_vec())),
                "{rt}: close({code:?}, ..)"
            );
        }
    });
}

/// Close-reason-unpaired-surrogates: the seeds throw SyntaxError; today's standard
/// sends U+FFFD (and counts its 3 bytes against the 123).
#[test]
fn close_reason_with_unpaired_surrogates_by_compat() {
    each_runtime("close(): unpaired surrogates", |rt| {
        // Mdn: SyntaxError, the socket stays OPEN; then a plain close.
        let on_open: OpenAction = Box::new(|ws, log| {
            let thrown = ws.close_utf16(Some(1000), Some(&[0x61, 0xD807]));
            log.note(format!("threw {thrown:?} rs={}", ws.ready_state().as_u16()));
            ws.close(Some(1000), None).expect("valid");
        });
        let (lines, seen) = against_script(
            rt,
            ServerScript::default(),
            Compat::Mdn,
            on_open,
            no_reply(),
        );
        assert_eq!(
            lines,
            [
                opened(),
                "threw Err(Syntax) rs=1".to_owned(),
                close_line(1000, "", true, 3)
            ],
            "{rt}"
        );
        assert_eq!(seen.close, Some((Some(1000), Vec::new())));

        // Standard: U+FFFD; 41 of them (123 bytes) pass, 42 throw.
        let on_open: OpenAction = Box::new(|ws, log| {
            let too_long = ws.close_utf16(Some(4000), Some(&[0xDC00; 42]));
            log.note(format!("42: {too_long:?}"));
            ws.close_utf16(Some(4000), Some(&[0x61, 0xD807]))
                .expect("replaced, not thrown");
        });
        let (lines, seen) = against_script(
            rt,
            ServerScript::default(),
            Compat::Standard,
            on_open,
            no_reply(),
        );
        assert_eq!(
            lines,
            [
                opened(),
                "42: Err(Syntax)".to_owned(),
                close_line(4000, "", true, 3)
            ],
            "{rt}"
        );
        assert_eq!(
            seen.close,
            Some((Some(4000), "a\u{FFFD}".as_bytes().to_vec()))
        );
        let silent = Silent::bind();
        let ws = browser_face::open(rt, &silent.url(), &Options::new(), Compat::Standard)
            .expect("valid");
        assert_eq!(ws.close_utf16(None, Some(&[0xDC00; 41])), Ok(()), "{rt}");
        assert_eq!(ws.ready_state(), ReadyState::Closing);
    });
}

// send(data) and bufferedAmount --------------------------------------------------------

/// Send-before-open: InvalidStateError while CONNECTING, before any other check (an
/// unpaired surrogate in either mode), and nothing is counted.
#[test]
fn send_before_open_throws_invalid_state_error() {
    each_runtime("send() before open", |rt| {
        let silent = Silent::bind();
        for compat in [Compat::Mdn, Compat::Standard] {
            let ws = browser_face::open(rt, &silent.url(), &Options::new(), compat).expect("ok");
            assert_eq!(ws.send(text("x")), Err(ApiError::InvalidState), "{rt}");
            assert_eq!(
                ws.send(MessageData::Blob(Bytes::from_static(b"xyz"))),
                Err(ApiError::InvalidState)
            );
            assert_eq!(
                ws.send(MessageData::ArrayBuffer(Bytes::new())),
                Err(ApiError::InvalidState)
            );
            assert_eq!(ws.send_utf16(&utf16("x")), Err(ApiError::InvalidState));
            assert_eq!(
                ws.send_utf16(&[0xD807]),
                Err(ApiError::InvalidState),
                "{rt} {compat:?}: the state is checked first"
            );
            assert_eq!(ws.buffered_amount(), 0);
            assert_eq!(ws.ready_state(), ReadyState::Connecting);
        }
    });
}

/// The standard: every send that does not throw adds its byte length to
/// `bufferedAmount`, also once CLOSING or CLOSED; nothing is sent and nothing throws.
#[test]
fn send_after_close_counts_in_buffered_amount_without_throwing() {
    each_runtime("send() after close", |rt| {
        let server = ScriptedServer::start(ServerScript::default());
        let ws = browser_face::new(rt, &server.url(), &[]).expect("valid");
        let counts = Arc::new(Mutex::new(Vec::new()));
        let c = counts.clone();
        let log = Log::attach(
            &*ws,
            Box::new(move |ws, _| {
                ws.close(Some(1000), None).expect("valid");
                let before = ws.buffered_amount();
                ws.send(text("abc")).expect("no throw while CLOSING");
                ws.send_utf16(&utf16("\u{e9}")).expect("no throw");
                c.lock()
                    .unwrap()
                    .push((before, ws.buffered_amount(), ws.ready_state()));
            }),
            no_reply(),
        );
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [opened(), close_line(1000, "", true, 3)],
            "{rt}"
        );
        let (before, after, state) = counts.lock().unwrap()[0];
        assert_eq!(state, ReadyState::Closing, "{rt}");
        assert_eq!(
            after,
            before + 3 + 2,
            "{rt}: 'abc' and 'é' counted while CLOSING"
        );
        // CLOSED: still counted, still no throw.
        let closed = ws.buffered_amount();
        assert!(
            closed >= after,
            "{rt}: bufferedAmount went down after close"
        );
        ws.send(MessageData::Blob(Bytes::from_static(&[0; 5])))
            .expect("no throw when CLOSED");
        ws.send(text("")).expect("empty");
        ws.send_utf16(&utf16("\u{1F600}")).expect("no throw");
        assert_eq!(ws.buffered_amount(), closed + 5 + 4, "{rt}");
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        // None of it reached the server.
        let seen = server.wait_seen(1, WAIT).remove(0);
        assert!(seen.messages.is_empty(), "{rt}: {:?}", seen.messages);
    });
}

/// Send-data, Send-unicode-data, Send-paired-surrogates, Send-Unpaired-Surrogates: text
/// from UTF-16; the seeds throw SyntaxError for an unpaired surrogate, today's standard
/// sends U+FFFD.
#[test]
fn send_utf16_by_compat() {
    each_runtime("send(): UTF-16", |rt| {
        // Mdn.
        let on_open: OpenAction = Box::new(|ws, log| {
            let lone = ws.send_utf16(&[0x61, 0xD807]);
            log.note(format!("lone: {lone:?} buffered={}", ws.buffered_amount()));
            ws.send_utf16(&[0xD83D, 0xDE00]).expect("a pair is fine");
        });
        let on_message: MessageAction = Box::new(|ws, _, _| {
            ws.close(Some(1000), None).expect("valid");
        });
        let (lines, seen) = against_script(
            rt,
            ServerScript::default(),
            Compat::Mdn,
            on_open,
            on_message,
        );
        assert_eq!(
            lines,
            [
                opened(),
                "lone: Err(Syntax) buffered=0".to_owned(),
                format!("message {} rs=1", json("\u{1F600}")),
                close_line(1000, "", true, 3)
            ],
            "{rt}"
        );
        assert_eq!(seen.messages, ["\u{1F600}".as_bytes()]);

        // Standard.
        let on_open: OpenAction = Box::new(|ws, _| {
            ws.send_utf16(&[0x61, 0xD807])
                .expect("replaced, not thrown");
        });
        let on_message: MessageAction = Box::new(|ws, _, _| {
            ws.close(None, None).expect("valid");
        });
        let (lines, seen) = against_script(
            rt,
            ServerScript::default(),
            Compat::Standard,
            on_open,
            on_message,
        );
        assert_eq!(
            lines,
            [
                opened(),
                format!("message {} rs=1", json("a\u{FFFD}")),
                close_line(1005, "", true, 3)
            ],
            "{rt}"
        );
        assert_eq!(seen.messages, ["a\u{FFFD}".as_bytes()]);
    });
}

/// Send-65K-data, Secure-Send-binary-65K-arraybuffer, the Chromium check: a send is
/// counted in `bufferedAmount` (payload bytes, no framing) until the transport takes
/// it; it stays up while the peer does not read, and is 0 once an echo of everything
/// came back.
#[test]
fn buffered_amount_counts_payload_bytes_and_drains() {
    each_runtime("bufferedAmount", |rt| {
        // A peer that reads nothing (then drops TCP): what the kernel's buffers do not
        // hold stays counted. (Under the 16 MiB send-queue limit: past it the browser
        // fails the connection, "buffer full".)
        const STUCK: usize = 12 << 20;
        let server = ScriptedServer::start(ServerScript {
            drop_after: Some(Duration::from_secs(2)),
            ..ServerScript::default()
        });
        let ws = browser_face::new(rt, &server.url(), &[]).expect("valid");
        assert_eq!(ws.buffered_amount(), 0);
        let log = Log::attach(
            &*ws,
            Box::new(|ws, _| {
                ws.send(MessageData::ArrayBuffer(Bytes::from(vec![7u8; STUCK])))
                    .expect("open");
            }),
            no_reply(),
        );
        eventually("the open event", || !log.lines().is_empty());
        // Wait until the kernel's buffers are full: the count stops moving.
        let mut stuck = ws.buffered_amount();
        eventually("bufferedAmount settles", || {
            std::thread::sleep(Duration::from_millis(100));
            let now = ws.buffered_amount();
            std::mem::replace(&mut stuck, now) == now
        });
        assert!(
            stuck > 0 && stuck <= STUCK,
            "{rt}: bufferedAmount with a peer that does not read: {stuck}"
        );
        ws.send(text("\u{e9}")).expect("open");
        assert_eq!(ws.buffered_amount(), stuck + 2, "{rt}: 'é' is 2 bytes");
        // The peer goes away with our data unread: closed, not failed.
        assert_eq!(log.wait_close(&*ws, WAIT), [opened(), abnormal()], "{rt}");

        // An echo server: the echo of 8 MiB comes once all of it was written.
        const BIG: usize = 8 << 20;
        let on_open: OpenAction = Box::new(|ws, _| {
            ws.send(MessageData::ArrayBuffer(Bytes::from(vec![7u8; BIG])))
                .expect("open");
        });
        let on_message: MessageAction = Box::new(|ws, _, log| {
            log.note(format!(
                "at the echo: bufferedAmount={}",
                ws.buffered_amount()
            ));
            ws.close(None, None).expect("valid");
        });
        let (lines, _) = against_script(
            rt,
            ServerScript::default(),
            Compat::Mdn,
            on_open,
            on_message,
        );
        assert_eq!(
            lines,
            [
                opened(),
                format!("message blob[{BIG}] rs=1"),
                "at the echo: bufferedAmount=0".to_owned(),
                close_line(1005, "", true, 3)
            ],
            "{rt}"
        );
    });
}

// binaryType ------------------------------------------------------------------------------

/// Create-valid-url-binaryType-blob, binaryType-wrong-value, Send-binary-*: "blob" by
/// default, "arraybuffer" once set (for later messages); text is always a string; an
/// invalid value is not a value (the setter ignores it).
#[test]
fn binary_type_shapes_binary_messages() {
    assert_eq!(BinaryType::parse("blob"), Some(BinaryType::Blob));
    assert_eq!(
        BinaryType::parse("arraybuffer"),
        Some(BinaryType::ArrayBuffer)
    );
    for bad in ["ArrayBuffer", "Blob", "", "arraybuffer "] {
        assert_eq!(BinaryType::parse(bad), None, "{bad:?}");
    }
    each_runtime("binaryType", |rt| {
        let on_open: OpenAction = Box::new(|ws, _| {
            ws.send(MessageData::Blob(Bytes::from_static(&[1, 2, 3])))
                .expect("open");
        });
        let count = Arc::new(Mutex::new(0));
        let on_message: MessageAction = Box::new(move |ws, _, log| {
            let mut count = count.lock().unwrap();
            *count += 1;
            match *count {
                1 => {
                    ws.set_binary_type(BinaryType::ArrayBuffer);
                    log.note(format!("binaryType={}", ws.binary_type().as_str()));
                    ws.send(MessageData::ArrayBuffer(Bytes::from_static(&[
                        1, 2, 3, 250,
                    ])))
                    .expect("open");
                }
                2 => ws.send(text("t")).expect("open"),
                _ => ws.close(Some(1000), None).expect("valid"),
            }
        });
        let (lines, _) = against_script(
            rt,
            ServerScript::default(),
            Compat::Mdn,
            on_open,
            on_message,
        );
        assert_eq!(
            lines,
            [
                opened(),
                "message blob[3] rs=1".to_owned(),
                "binaryType=arraybuffer".to_owned(),
                "message arraybuffer[4] rs=1".to_owned(),
                format!("message {} rs=1", json("t")),
                close_line(1000, "", true, 3)
            ],
            "{rt}"
        );
    });
}

// Events and readyState -------------------------------------------------------------------

/// Close-readyState-Closing, Close-readyState-Closed, Create-valid-url: readyState is
/// OPEN in onopen and onmessage, CLOSING right after close(), CLOSED in onclose.
#[test]
fn ready_state_at_every_event_of_a_clean_close() {
    each_runtime("readyState at every event", |rt| {
        let on_open: OpenAction = Box::new(|ws, _| ws.send(text("hello")).expect("open"));
        let on_message: MessageAction = Box::new(|ws, _, log| {
            ws.close(Some(1000), Some("done")).expect("valid");
            log.note(format!("after close() rs={}", ws.ready_state().as_u16()));
            // A second close() does nothing.
            ws.close(Some(4000), None).expect("no-op");
        });
        let (lines, seen) = against_script(
            rt,
            ServerScript::default(),
            Compat::Mdn,
            on_open,
            on_message,
        );
        assert_eq!(
            lines,
            [
                opened(),
                format!("message {} rs=1", json("hello")),
                "after close() rs=2".to_owned(),
                close_line(1000, "", true, 3)
            ],
            "{rt}"
        );
        assert_eq!(seen.close, Some((Some(1000), b"done".to_vec())));
    });
}

/// Close-server-initiated-close: the server's Close (1000, "bye") is answered, and the
/// close event carries its code and reason, cleanly.
#[test]
fn server_initiated_close_with_code_and_reason() {
    each_runtime("server-initiated close", |rt| {
        let script = ServerScript {
            close_on_message: Some((1000, "bye".to_owned())),
            ..ServerScript::default()
        };
        let on_open: OpenAction = Box::new(|ws, _| ws.send(text("please close")).expect("open"));
        let (lines, seen) = against_script(rt, script, Compat::Mdn, on_open, no_reply());
        assert_eq!(lines, [opened(), close_line(1000, "bye", true, 3)], "{rt}");
        assert_eq!(
            seen.close,
            Some((Some(1000), Vec::new())),
            "{rt}: our answer"
        );
    });
}

/// The standard ("the WebSocket connection is closed" without the closing handshake,
/// not failed) and Chromium: a server that drops TCP after open gives open, then close
/// 1006 with wasClean false, and no error event.
#[test]
fn server_dropping_tcp_after_open_is_close_1006_without_error() {
    each_runtime("server drops TCP after open", |rt| {
        for wait in [Duration::ZERO, Duration::from_millis(100)] {
            for compat in [Compat::Mdn, Compat::Standard] {
                let script = ServerScript {
                    drop_after: Some(wait),
                    ..ServerScript::default()
                };
                let (lines, _) = against_script(rt, script, compat, nothing(), no_reply());
                assert_eq!(
                    lines,
                    [opened(), abnormal()],
                    "{rt} {compat:?} after {wait:?}"
                );
            }
        }
    });
}

/// A protocol violation fails the connection (RFC 6455 §5-7, the standard's "fail the
/// WebSocket connection"): open, then error and close 1006 (readyState CLOSED in both
/// handlers); the client's Close frame carries 1002 (1007 for bad UTF-8).
#[test]
fn protocol_violations_fail_the_connection() {
    each_runtime("protocol violations", |rt| {
        let cases: [(&str, Vec<u8>, u16); 7] = [
            ("RSV1 without an extension", vec![0xC1, 0x01, b'a'], 1002),
            ("reserved opcode", vec![0x83, 0x00], 1002),
            (
                "masked server frame",
                vec![0x81, 0x81, 1, 2, 3, 4, b'a' ^ 1],
                1002,
            ),
            ("invalid UTF-8", vec![0x81, 0x02, 0xC3, 0x28], 1007),
            ("close code 999", vec![0x88, 0x02, 0x03, 0xE7], 1002),
            ("1-byte close body", vec![0x88, 0x01, 0x03], 1002),
            ("fragmented ping", vec![0x09, 0x00], 1002),
        ];
        for (what, frame, code) in cases {
            let script = ServerScript {
                with_101: frame,
                ..ServerScript::default()
            };
            let (lines, seen) = against_script(rt, script, Compat::Mdn, nothing(), no_reply());
            assert_eq!(lines, [opened(), error_line(3), abnormal()], "{rt}: {what}");
            assert_eq!(
                seen.close.as_ref().and_then(|c| c.0),
                Some(code),
                "{rt}: {what}: the client's Close"
            );
        }
    });
}

/// Frames in the same TCP segment as the `101` response: onopen still sees OPEN (1),
/// then the frames' events follow, each with its own readyState.
#[test]
fn frames_in_the_same_segment_as_the_101() {
    each_runtime("frames with the 101", |rt| {
        let close = |code: Option<u16>, reason: &str| {
            let body = [
                code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default(),
                reason.as_bytes().to_vec(),
            ]
            .concat();
            encode_frame(opcode::CLOSE, &body)
        };
        let cases = [
            (
                [encode_frame(opcode::TEXT, b"hi"), close(Some(1000), "bye")].concat(),
                vec![
                    opened(),
                    format!("message {} rs=1", json("hi")),
                    close_line(1000, "bye", true, 3),
                ],
            ),
            (
                close(None, ""),
                vec![opened(), close_line(1005, "", true, 3)],
            ),
            (
                close(Some(1001), "going"),
                vec![opened(), close_line(1001, "going", true, 3)],
            ),
            (
                close(Some(4500), ""),
                vec![opened(), close_line(4500, "", true, 3)],
            ),
        ];
        for (with_101, expected) in cases {
            let script = ServerScript {
                with_101,
                ..ServerScript::default()
            };
            let (lines, seen) = against_script(rt, script, Compat::Mdn, nothing(), no_reply());
            assert_eq!(lines, expected, "{rt}");
            assert!(seen.close.is_some(), "{rt}: the client answered the Close");
        }
    });
}

/// Create-Secure-extensions-empty, Chromium: `extensions` is empty until open, then the
/// server's `Sec-WebSocket-Extensions` value exactly as it was sent.
#[test]
fn extensions_are_the_header_as_the_server_sent_it() {
    each_runtime("extensions as sent", |rt| {
        for header in [
            "permessage-deflate;server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate",
        ] {
            let server = ScriptedServer::start(ServerScript {
                extensions: Some(header.to_owned()),
                ..ServerScript::default()
            });
            let ws = browser_face::new(rt, &server.url(), &[]).expect("valid");
            assert_eq!(ws.extensions(), "", "{rt}: before open");
            let log = Log::attach(
                &*ws,
                Box::new(|ws, _| ws.close(Some(1000), None).expect("valid")),
                no_reply(),
            );
            assert_eq!(
                log.wait_close(&*ws, WAIT),
                [open_line(1, "", header), close_line(1000, "", true, 3)],
                "{rt}"
            );
            assert_eq!(ws.extensions(), header, "{rt}: after close");
        }
    });
}

/// Create-valid-url-protocol-setCorrectly: `protocol` is empty until open, then the
/// one the server selected (the conversation server picks `superchat`).
#[test]
fn protocol_is_the_selected_one_from_open_on() {
    each_runtime("protocol", |rt| {
        let server = rt.start_server(Scheme::Ws);
        let ws = browser_face::new(rt, &server.url("/conformance"), &["chat", "superchat"])
            .expect("valid");
        assert_eq!(ws.protocol(), "");
        let log = Log::attach(
            &*ws,
            Box::new(|ws, log| {
                log.note(format!("protocol={}", ws.protocol()));
                ws.close(None, None).expect("valid");
            }),
            no_reply(),
        );
        let lines = log.wait_close(&*ws, WAIT);
        assert_eq!(lines[1], "protocol=superchat", "{rt}: {lines:?}");
        assert!(
            lines[0].starts_with("open rs=1 protocol=\"superchat\""),
            "{rt}: {lines:?}"
        );
        assert_eq!(lines[2], close_line(1005, "", true, 3), "{rt}");
        assert_eq!(ws.protocol(), "superchat");
    });
}

// Failures before open --------------------------------------------------------------------

/// Every failure before open (refused, a rejected or bad handshake, a missing
/// subprotocol, close() while CONNECTING) looks the same: error, then close 1006, both
/// with readyState CLOSED; never an open event.
#[test]
fn failures_before_open_are_error_then_close_1006() {
    each_runtime("failures before open", |rt| {
        // Refused.
        let ws = browser_face::new(rt, &refused_url(), &[]).expect("valid");
        let log = Log::attach_quiet(&*ws);
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}: refused"
        );

        // Rejected with 403.
        let listener = RawListener::bind();
        let ws = browser_face::new(rt, &listener.url(), &[]).expect("valid");
        let log = Log::attach_quiet(&*ws);
        listener.reject(403).expect("the raw server rejects");
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}: 403"
        );

        // A subprotocol was requested, the server selected none.
        let server = ScriptedServer::start(ServerScript::default());
        let ws = browser_face::new(rt, &server.url(), &["chat"]).expect("valid");
        let log = Log::attach_quiet(&*ws);
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}: no subprotocol"
        );

        // An extension the client did not offer.
        let server = ScriptedServer::start(ServerScript {
            extensions: Some("x-unknown".to_owned()),
            ..ServerScript::default()
        });
        let ws = browser_face::new(rt, &server.url(), &[]).expect("valid");
        let log = Log::attach_quiet(&*ws);
        assert_eq!(
            log.wait_close(&*ws, WAIT),
            [error_line(3), abnormal()],
            "{rt}: unknown extension"
        );
    });
}
