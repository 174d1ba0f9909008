//! Every runtime's client against every runtime's server (3 x 3 pairs), over `ws://`
//! and `wss://` (a self-signed certificate made at test time, trusted through each
//! client runtime's `ClientOptions` TLS configuration): 18 combinations per test.

use bytes::Bytes;
use websock_core::MessageKind;
use websock_tests::script::{pattern, Script, Step};
use websock_tests::{converse, ensure, for_each_combination};

/// The binary sizes around the frame-length encodings, and several MiB.
const SIZES: [usize; 9] = [0, 1, 125, 126, 127, 65535, 65536, 65537, (5 << 20) + 3];

#[test]
fn text_and_binary_messages_are_echoed() {
    let mut steps = vec![
        Step::text("hello"),
        Step::text(""),
        Step::text("héllo wörld ✓ 🦀"),
        Step::Text("x".repeat(70_000)),
    ];
    steps.extend(SIZES.map(Step::Binary));
    // Incompressible: deflate's output is larger than its input.
    steps.extend([Step::Noise(1000), Step::Noise((1 << 20) + 1)]);
    steps.push(Step::client_close(1000, "done"));
    let script = Script::new(steps);
    let echoes = script.steps.len() - 1;
    for_each_combination(|client, server, scheme| {
        let (report, record) = converse(client, server, scheme, &script)?;
        ensure(report.echoes == echoes, || {
            format!("{} of {echoes} echoes", report.echoes)
        })?;
        ensure(record.messages == echoes, || {
            format!("server saw {} of {echoes} messages", record.messages)
        })?;
        ensure(record.error.is_none(), || {
            format!("server: {:?}", record.error)
        })?;
        // permessage-deflate is on by default on both sides.
        ensure(report.deflate() && record.deflate(), || {
            format!(
                "deflate not agreed: client {:?}, server {:?}",
                report.extensions, record.extensions
            )
        })?;
        ensure(
            report.protocol.is_none() && record.protocol.is_none(),
            || format!("unexpected protocol {:?}", report.protocol),
        )
    });
}

#[test]
fn fragmented_messages_are_reassembled() {
    let big = pattern(200_000);
    let script = Script::new(vec![
        Step::fragments(MessageKind::Text, &["frag", "ment", "ed"]),
        Step::fragments(MessageKind::Text, &["", "é✓", "", "🦀"]),
        Step::fragments(MessageKind::Binary, &["only one"]),
        Step::Fragments(
            MessageKind::Binary,
            vec![
                big.slice(..1),
                big.slice(1..70_000),
                Bytes::new(),
                big.slice(70_000..),
            ],
        ),
        Step::text("after the fragments"),
        Step::client_close(1000, ""),
    ]);
    for_each_combination(|client, server, scheme| {
        let (report, record) = converse(client, server, scheme, &script)?;
        ensure(report.echoes == 5, || {
            format!("{} of 5 echoes", report.echoes)
        })?;
        ensure(record.messages == 5, || {
            format!("server saw {} of 5 messages", record.messages)
        })?;
        ensure(record.error.is_none(), || {
            format!("server: {:?}", record.error)
        })
    });
}

#[test]
fn pings_are_answered_with_pongs() {
    let script = Script::new(vec![
        Step::ping("matrix ping"),
        Step::ping(""),
        Step::Ping(Bytes::from(vec![0x8A; 125])),
        Step::client_close(1000, ""),
    ]);
    let payloads: Vec<Bytes> = script
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Ping(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    for_each_combination(|client, server, scheme| {
        let (report, record) = converse(client, server, scheme, &script)?;
        ensure(report.pongs == payloads, || {
            format!("pongs {:?}, want {payloads:?}", report.pongs)
        })?;
        ensure(record.pings == payloads, || {
            format!("server saw pings {:?}, want {payloads:?}", record.pings)
        })?;
        ensure(record.error.is_none(), || {
            format!("server: {:?}", record.error)
        })
    });
}

#[test]
fn server_closes_with_code_and_reason() {
    let script = Script::new(vec![
        Step::text("before the close"),
        Step::server_close(4001, "server bye"),
    ])
    .offering(&["chat", "superchat"]);
    for_each_combination(|client, server, scheme| {
        let (report, record) = converse(client, server, scheme, &script)?;
        ensure(report.protocol.as_deref() == Some("superchat"), || {
            format!("client protocol {:?}", report.protocol)
        })?;
        ensure(record.protocol.as_deref() == Some("superchat"), || {
            format!("server protocol {:?}", record.protocol)
        })?;
        ensure(record.offered == ["chat", "superchat"], || {
            format!("server saw offers {:?}", record.offered)
        })?;
        // The script checked the client's close event: 4001, "server bye", clean.
        let close = report.close.clone().ok_or("no client close event")?;
        ensure(
            close.code == 4001 && close.reason == "server bye" && close.was_clean,
            || format!("client close event {close:?}"),
        )?;
        // The client echoes the code (with no reason).
        ensure(
            record.server_closed == Some((4001, "server bye".into())),
            || format!("server closed {:?}", record.server_closed),
        )?;
        let echoed = record.close.clone().ok_or("no server close event")?;
        ensure(
            echoed.code == 4001 && echoed.reason.is_empty() && echoed.was_clean,
            || format!("server close event {echoed:?}"),
        )?;
        ensure(record.error.is_none(), || {
            format!("server: {:?}", record.error)
        })
    });
}

#[test]
fn client_closes_with_code_and_reason() {
    let script = Script::new(vec![
        Step::text("before the close"),
        Step::client_close(4002, "client bye"),
    ]);
    for_each_combination(|client, server, scheme| {
        let (report, record) = converse(client, server, scheme, &script)?;
        let close = report.close.clone().ok_or("no client close event")?;
        ensure(
            close.code == 4002 && close.reason.is_empty() && close.was_clean,
            || format!("client close event {close:?}"),
        )?;
        ensure(record.client_closed_with(4002, "client bye"), || {
            format!(
                "server record {:?} / {:?}",
                record.close, record.server_closed
            )
        })?;
        ensure(record.error.is_none(), || {
            format!("server: {:?}", record.error)
        })
    });
}
