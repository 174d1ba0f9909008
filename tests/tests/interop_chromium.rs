//! Headless Chromium (Debian's, driven by `playwright-core`; installed by
//! `tests/peers/install-node.sh`) against each runtime's server: the page's own
//! `WebSocket` runs `tests/peers/node/chromium_check.mjs` (the MDN example, an
//! arraybuffer round trip, an 8 MiB echo with `bufferedAmount` draining, a close with
//! 4000 "bye", `superchat` among two offers, and a server-initiated close).
//!
//! Then the browser cases a page can express (`chromium_and_websock_agree_on_browser_cases`):
//! one page runs each against a hand-scripted local server (a TCP drop after open, an
//! extensions header as written, a bad frame, frames with the `101`, a server close,
//! unpaired surrogates, a blocked port, a refused port), logging its events in the
//! conformance suite's format; websock's browser face (`Compat::Standard`) runs the same
//! cases on tokio, smol and std, and the logs must be equal, and equal to the expected
//! ones.

use std::process::Command;
use std::time::Duration;

use websock_core::dom::{Compat, MessageData};
use websock_tests::browser_face::{
    close_line, error_line, json, open_line, run_logged, MessageAction, OpenAction, ScriptedServer,
    ServerScript,
};
use websock_tests::facade::{encode_frame, opcode};
use websock_tests::interop::{peer_client_against, PEER_CLIENT_TIMEOUT};
use websock_tests::peers::{self, node_command, run_to_end};
use websock_tests::Runtime;

/// `node chromium_check.mjs ws://127.0.0.1:PORT/` against `runtime`'s server.
fn chromium_against(runtime: Runtime) {
    let run = peer_client_against(
        runtime,
        "chromium_check.mjs",
        node_command("chromium_check.mjs"),
        2,
    );
    let line = run
        .output
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line on stdout:\n{}", run.output.stdout));
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
    let failed = json["failed"].as_array().expect("a `failed` array");
    assert!(
        failed.is_empty(),
        "the page's checks failed: {failed:?}\n{line}"
    );
    let result = &json["result"];
    assert_eq!(result["echo"], "Hello Server!", "{line}");
    assert_eq!(result["bigEchoLength"], 8 << 20, "{line}");
    assert_eq!(result["protocol"], "superchat", "{line}");
    assert!(
        result["extensions"]
            .as_str()
            .is_some_and(|e| e.contains("permessage-deflate")),
        "the page's ws.extensions: {line}"
    );

    // The server side: the page's close (4000, "bye") and the page's answer to the
    // server's close; permessage-deflate agreed with Chromium on both connections.
    let records = &run.records;
    assert!(
        records.iter().any(|r| r.client_closed_with(4000, "bye")),
        "the {runtime} server did not record the page's close (4000, \"bye\"): {records:#?}"
    );
    let served = records
        .iter()
        .find(|r| r.server_closed.is_some())
        .unwrap_or_else(|| panic!("no server-initiated close: {records:#?}"));
    assert_eq!(served.protocol.as_deref(), Some("superchat"), "{served:#?}");
    assert_eq!(
        served.server_closed,
        Some((4001, "server bye".to_owned())),
        "{served:#?}"
    );
    assert!(
        served
            .close
            .as_ref()
            .is_some_and(|c| c.code == 4001 && c.was_clean),
        "{served:#?}"
    );
    for record in records {
        assert!(
            record.deflate(),
            "the {runtime} server did not agree on Chromium's permessage-deflate: {record:#?}"
        );
    }
}

#[test]
fn chromium_against_tokio_server() {
    chromium_against(Runtime::Tokio);
}

#[test]
fn chromium_against_smol_server() {
    chromium_against(Runtime::Smol);
}

#[test]
fn chromium_against_std_server() {
    chromium_against(Runtime::Std);
}

// The browser's results, case by case: Chromium and websock's browser face --------------

/// The page's side of the browser cases: runs each case of `WEBSOCK_CASES` (a JSON list
/// of `{name, url, action}`) in one headless Chromium page, logging each socket's events
/// in `websock_tests::browser_face`'s format, and prints `{"results": {NAME: [LINE..]}}`.
const BROWSER_CASES_JS: &str = r#"
import http from 'node:http';
import { chromium } from 'playwright-core';

const cases = JSON.parse(process.env.WEBSOCK_CASES);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><meta charset="utf-8"><title>websock browser cases</title>');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true, args: ARGS, timeout: 60_000 });
let results;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  results = await page.evaluate(async (cases) => {
    const actions = {
      none: {},
      close1000: { open: (ws) => ws.close(1000) },
      ask_close: { open: (ws) => ws.send('please close') },
      send_lone_then_close: { open: (ws) => ws.send('a\uD807'), message: (ws) => ws.close() },
      close_lone_reason: { open: (ws) => ws.close(4000, 'a\uD807') },
    };
    const run = (c) => new Promise((resolve) => {
      const log = [];
      const timer = setTimeout(() => { log.push('timeout'); resolve(log); }, 10000);
      let ws;
      try {
        ws = new WebSocket(c.url);
      } catch (e) {
        clearTimeout(timer);
        log.push(`threw ${e.name}`);
        resolve(log);
        return;
      }
      const act = actions[c.action];
      ws.onopen = () => {
        log.push(`open rs=${ws.readyState} protocol=${JSON.stringify(ws.protocol)} extensions=${JSON.stringify(ws.extensions)}`);
        if (act.open) act.open(ws);
      };
      ws.onmessage = (e) => {
        const d = e.data;
        log.push(typeof d === 'string' ? `message ${JSON.stringify(d)} rs=${ws.readyState}`
          : d instanceof Blob ? `message blob[${d.size}] rs=${ws.readyState}`
          : `message arraybuffer[${d.byteLength}] rs=${ws.readyState}`);
        if (act.message) act.message(ws);
      };
      ws.onerror = () => log.push(`error rs=${ws.readyState}`);
      ws.onclose = (e) => {
        log.push(`close ${e.code} ${JSON.stringify(e.reason)} clean=${e.wasClean} rs=${ws.readyState}`);
        clearTimeout(timer);
        resolve(log);
      };
    });
    const out = {};
    for (const c of cases) out[c.name] = await run(c);
    return out;
  }, cases);
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ results }));
"#;

/// One browser case a page can express: where the socket goes, what its handlers do
/// besides logging (an action of `BROWSER_CASES_JS`), and the browser's expected log.
struct BrowserCase {
    name: &'static str,
    /// The scripted server, if the case has one (else `url` is refused or blocked).
    server: Option<ScriptedServer>,
    url: String,
    action: &'static str,
    expected: Vec<String>,
    /// What the server must have seen from every client: the Close frame's code and
    /// (if stated) reason, and the data messages. (Answering a server's Close, Chromium
    /// echoes the reason too, websock the code only: both are RFC 6455's "typically
    /// echoes the status code", so an answer's reason is not stated.)
    seen_close: Option<(Option<u16>, Option<Vec<u8>>)>,
    seen_messages: Vec<Vec<u8>>,
}

impl BrowserCase {
    fn scripted(name: &'static str, script: ServerScript, action: &'static str) -> BrowserCase {
        let server = ScriptedServer::start(script);
        BrowserCase {
            name,
            url: server.url(),
            server: Some(server),
            action,
            expected: Vec::new(),
            seen_close: None,
            seen_messages: Vec::new(),
        }
    }

    fn expect(mut self, lines: &[String]) -> BrowserCase {
        self.expected = lines.to_vec();
        self
    }

    fn seen(
        mut self,
        close: Option<(Option<u16>, Option<&[u8]>)>,
        messages: &[&[u8]],
    ) -> BrowserCase {
        self.seen_close = close.map(|(c, r)| (c, r.map(<[u8]>::to_vec)));
        self.seen_messages = messages.iter().map(|m| m.to_vec()).collect();
        self
    }
}

/// What websock's handlers do for a page action (the Rust twin of `BROWSER_CASES_JS`'s).
fn websock_action(action: &str) -> (OpenAction, MessageAction) {
    let none: MessageAction = Box::new(|_, _, _| {});
    match action {
        "none" => (Box::new(|_, _| {}), none),
        "close1000" => (
            Box::new(|ws, _| ws.close(Some(1000), None).expect("close(1000)")),
            none,
        ),
        "ask_close" => (
            Box::new(|ws, _| {
                ws.send(MessageData::Text("please close".into()))
                    .expect("send")
            }),
            none,
        ),
        "send_lone_then_close" => (
            Box::new(|ws, _| ws.send_utf16(&[0x61, 0xD807]).expect("send")),
            Box::new(|ws, _, _| ws.close(None, None).expect("close()")),
        ),
        "close_lone_reason" => (
            Box::new(|ws, _| {
                ws.close_utf16(Some(4000), Some(&[0x61, 0xD807]))
                    .expect("close")
            }),
            none,
        ),
        other => panic!("unknown action {other}"),
    }
}

/// The cases, with the browser's expected results (the WHATWG standard, today's rules:
/// websock runs them with `Compat::Standard`).
fn browser_cases() -> Vec<BrowserCase> {
    let opened = open_line(1, "", "");
    let abnormal = close_line(1006, "", false, 3);
    let refused = format!("ws://{}/", websock_tests::facade::refused_addr());
    let close_frame = |code: u16, reason: &str| {
        encode_frame(
            opcode::CLOSE,
            &[&code.to_be_bytes()[..], reason.as_bytes()].concat(),
        )
    };
    let ext = "permessage-deflate;server_no_context_takeover";
    vec![
        // The server drops TCP after open: closed, not failed.
        BrowserCase::scripted(
            "server drops TCP after open",
            ServerScript {
                drop_after: Some(Duration::from_millis(100)),
                ..ServerScript::default()
            },
            "none",
        )
        .expect(&[opened.clone(), abnormal.clone()]),
        // `extensions` is the header as the server wrote it.
        BrowserCase::scripted(
            "extensions as sent",
            ServerScript {
                extensions: Some(ext.to_owned()),
                ..ServerScript::default()
            },
            "close1000",
        )
        .expect(&[open_line(1, "", ext), close_line(1000, "", true, 3)])
        .seen(Some((Some(1000), Some(b""))), &[]),
        // A protocol violation (RSV1 without an extension, with the 101): failed.
        BrowserCase::scripted(
            "RSV1 frame with the 101",
            ServerScript {
                with_101: vec![0xC1, 0x01, b'a'],
                ..ServerScript::default()
            },
            "none",
        )
        .expect(&[opened.clone(), error_line(3), abnormal.clone()]),
        // A message and a Close in the same segment as the 101: OPEN at open.
        BrowserCase::scripted(
            "message and close with the 101",
            ServerScript {
                with_101: [encode_frame(opcode::TEXT, b"hi"), close_frame(1000, "bye")].concat(),
                ..ServerScript::default()
            },
            "none",
        )
        .expect(&[
            opened.clone(),
            format!("message {} rs=1", json("hi")),
            close_line(1000, "bye", true, 3),
        ])
        .seen(Some((Some(1000), None)), &[]),
        // A server-initiated close with a reason.
        BrowserCase::scripted(
            "server close 1000 bye",
            ServerScript {
                close_on_message: Some((1000, "bye".to_owned())),
                ..ServerScript::default()
            },
            "ask_close",
        )
        .expect(&[opened.clone(), close_line(1000, "bye", true, 3)])
        .seen(Some((Some(1000), None)), &[b"please close"]),
        // Unpaired surrogates become U+FFFD (USVString).
        BrowserCase::scripted(
            "send an unpaired surrogate",
            ServerScript::default(),
            "send_lone_then_close",
        )
        .expect(&[
            opened.clone(),
            format!("message {} rs=1", json("a\u{FFFD}")),
            close_line(1005, "", true, 3),
        ])
        .seen(Some((None, Some(b""))), &["a\u{FFFD}".as_bytes()]),
        BrowserCase::scripted(
            "close reason with an unpaired surrogate",
            ServerScript::default(),
            "close_lone_reason",
        )
        .expect(&[opened.clone(), close_line(4000, "", true, 3)])
        .seen(Some((Some(4000), Some("a\u{FFFD}".as_bytes()))), &[]),
        // A blocked port: no exception, a failed connection.
        BrowserCase {
            name: "blocked port 25",
            server: None,
            url: "ws://127.0.0.1:25/".to_owned(),
            action: "none",
            expected: vec![error_line(3), abnormal.clone()],
            seen_close: None,
            seen_messages: Vec::new(),
        },
        // A refused connection: failed.
        BrowserCase {
            name: "refused",
            server: None,
            url: refused,
            action: "none",
            expected: vec![error_line(3), abnormal],
            seen_close: None,
            seen_messages: Vec::new(),
        },
    ]
}

/// Runs `cases` in headless Chromium; returns each case's log.
fn chromium_logs(cases: &[BrowserCase]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::json!({ "name": c.name, "url": c.url, "action": c.action }))
        .collect();
    // Installs the peers (node modules, Chromium) if needed; the script runs from
    // `tests/peers/node` so that `playwright-core` resolves.
    peers::node();
    let mut node = Command::new("node");
    node.current_dir(peers::node_dir())
        .args(["--input-type=module", "-e", BROWSER_CASES_JS])
        .env("WEBSOCK_CASES", serde_json::Value::Array(list).to_string());
    let out = run_to_end("chromium browser cases", node, PEER_CLIENT_TIMEOUT);
    out.assert_success("chromium browser cases");
    let line = out
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line on stdout:\n{}\n{}", out.stdout, out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
    json["results"].clone()
}

/// Chromium and websock's browser face (on tokio, smol and std, `Compat::Standard`)
/// give the browser's expected log for every case a page can express, and the server
/// sees the same frames from all of them.
#[test]
fn chromium_and_websock_agree_on_browser_cases() {
    let cases = browser_cases();
    let chromium = chromium_logs(&cases);
    let mut failures = Vec::new();
    for case in &cases {
        let from_chromium: Vec<String> = chromium[case.name]
            .as_array()
            .unwrap_or_else(|| panic!("no Chromium result for {:?}: {chromium}", case.name))
            .iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect();
        if from_chromium != case.expected {
            failures.push(format!(
                "{}: Chromium logged {from_chromium:?}, expected {:?}",
                case.name, case.expected
            ));
        }
        for rt in Runtime::ALL {
            let (on_open, on_message) = websock_action(case.action);
            let lines = run_logged(
                rt,
                &case.url,
                Compat::Standard,
                on_open,
                on_message,
                Duration::from_secs(10),
            );
            if lines != from_chromium {
                failures.push(format!(
                    "{}: websock-{rt} logged {lines:?}, Chromium {from_chromium:?}",
                    case.name
                ));
            }
        }
        if let Some(server) = &case.server {
            // Chromium's connection, then tokio's, smol's and std's.
            let seen = server.wait_seen(4, Duration::from_secs(10));
            for (who, s) in ["chromium", "tokio", "smol", "std"].iter().zip(&seen) {
                let close_differs = match (&case.seen_close, &s.close) {
                    (None, _) => false,
                    (Some((code, reason)), Some((seen_code, seen_reason))) => {
                        code != seen_code || reason.as_ref().is_some_and(|r| r != seen_reason)
                    }
                    (Some(_), None) => true,
                };
                if close_differs {
                    failures.push(format!(
                        "{}: the server saw {who}'s Close {:?}, expected {:?}",
                        case.name, s.close, case.seen_close
                    ));
                }
                if s.messages != case.seen_messages {
                    failures.push(format!(
                        "{}: the server saw {who}'s messages {:?}, expected {:?}",
                        case.name, s.messages, case.seen_messages
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
