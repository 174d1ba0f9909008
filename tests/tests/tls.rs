//! `wss://` with each runtime as client and server (the test certificate of
//! `websock_tests::tls`), one suite for the three runtimes: messages of several sizes
//! and a clean close, an untrusted certificate, the browser face over TLS.
//!
//! Time limits over TLS (the TLS accept's deadline, trickled records) are in
//! `time_accounting.rs`; the whole conversation between every pair in `matrix.rs`.

use std::time::Duration;

use websock_core::dom::{BrowserEvent, MessageData};
use websock_core::Message;
use websock_tests::facade::{browser_with, connect_tls, each_runtime, Error, Options};
use websock_tests::tls::TestCert;
use websock_tests::{Scheme, SERVER_RECORD_TIMEOUT};

#[test]
fn wss_round_trip_and_clean_close() {
    each_runtime("wss round trip", |rt| {
        let server = rt.start_server(Scheme::Wss);
        let tls = TestCert::get().client_config(rt);
        let mut ws = connect_tls(rt, &server.url("/secure"), &Options::new(), Some(tls)).unwrap();
        ws.send(Message::text("secret")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("secret"));
        for size in [0usize, 70_000, 3 << 20] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
            ws.send(Message::binary(payload.clone())).unwrap();
            let got = ws.recv().unwrap().unwrap();
            assert!(got == Message::binary(payload), "{rt}: size {size}");
        }
        let close = ws.close(Some(3000), "tls bye").unwrap();
        assert!(close.was_clean, "{rt}: {close:?}");
        assert!(ws.recv().is_none(), "{rt}");
        let records = server.wait_records(1, SERVER_RECORD_TIMEOUT);
        assert!(
            records[0].client_closed_with(3000, "tls bye"),
            "{rt}: {:?}",
            records[0]
        );
    });
}

#[test]
fn an_untrusted_certificate_is_a_tls_error() {
    each_runtime("untrusted certificate", |rt| {
        let server = rt.start_server(Scheme::Wss);
        // The default configuration trusts the webpki roots, not the test certificate.
        let e = connect_tls(rt, &server.url("/"), &Options::new(), None).err();
        assert!(matches!(e, Some(Error::Tls(_))), "{rt}: {e:?}");
    });
}

#[test]
fn the_browser_face_over_wss() {
    each_runtime("browser over wss", |rt| {
        let server = rt.start_server(Scheme::Wss);
        let tls = TestCert::get().client_config(rt);
        let url = format!("wss://localhost:{}", server.addr.port());
        let ws = browser_with(rt, &url, &Options::new(), Some(tls)).unwrap();
        assert_eq!(ws.url(), format!("{url}/"), "{rt}");
        let next = || {
            ws.next_event(Duration::from_secs(10))
                .unwrap_or_else(|| panic!("{rt}: no event in time"))
        };
        assert_eq!(next(), BrowserEvent::Open, "{rt}");
        ws.send(MessageData::Text("over tls".into())).unwrap();
        assert_eq!(
            next(),
            BrowserEvent::Message(MessageData::Text("over tls".into())),
            "{rt}"
        );
        ws.close(None, None).unwrap();
        let close = next();
        assert!(
            matches!(&close, BrowserEvent::Close(c) if c.code == 1005 && c.was_clean),
            "{rt}: {close:?}"
        );
        let records = server.wait_records(1, SERVER_RECORD_TIMEOUT);
        let theirs = records[0].close.as_ref().map(|c| c.code);
        assert_eq!(theirs, Some(1005), "{rt}: {:?}", records[0]);
    });
}
