//! Each runtime's client running a [`Script`] with that runtime's idiomatic API
//! (`connect_with`, `send`, `send_fragment`, `ping`, `recv`/`recv_incoming`, `close`).
//!
//! [`run`] is blocking and bounded by [`CLIENT_TIMEOUT`]: tokio runs on a current-thread
//! runtime, smol under `smol::block_on`, std directly, each on a thread of its own.
//! tokio's and smol's clients run the same steps (both crates' streams are
//! websock-core's async handles).

use std::sync::Arc;

use bytes::Bytes;
use websock_core::{CloseEvent, Message};
use websock_tokio::rustls::ClientConfig;

use crate::script::{Report, Script, Step};
use crate::tls::TestCert;
use crate::{run_with_timeout, Runtime, CLIENT_TIMEOUT};

/// The text echoed after a ping, so that the pong has arrived by the time its echo has.
pub const AFTER_PING: &str = "after-ping";

/// Runs `script` as `runtime`'s client against `url` (`wss://` URLs trust the test
/// certificate, through `runtime`'s `ClientOptions` TLS configuration). Returns what
/// the client saw, or the first difference from the script's expectations. Panics if
/// the script takes longer than [`CLIENT_TIMEOUT`].
pub fn run(runtime: Runtime, url: &str, script: &Script) -> Result<Report, String> {
    let tls = TestCert::get().client_config(runtime);
    let (url, script) = (url.to_owned(), script.clone());
    let label = format!("{runtime} client {url}");
    run_with_timeout(&label, CLIENT_TIMEOUT, move || match runtime {
        Runtime::Tokio => tokio_client::run(&url, &script, tls),
        Runtime::Smol => smol_client::run(&url, &script, tls),
        Runtime::Std => std_client::run(&url, &script, tls),
    })
    .map_err(|e| format!("{label}: {e}"))
}

fn step_error(step: &Step, what: &str, e: impl std::fmt::Display) -> String {
    format!("{}: {what}: {e}", step.describe())
}

fn closed_early(step: &Step, close: Option<CloseEvent>) -> String {
    format!("{}: connection closed early: {close:?}", step.describe())
}

fn check_pong(step: &Step, payload: &Bytes, pongs: &[Bytes]) -> Result<(), String> {
    if pongs.contains(payload) {
        Ok(())
    } else {
        Err(format!(
            "{}: no pong with that payload by the time of the next echo (pongs: {pongs:?})",
            step.describe()
        ))
    }
}

/// The script steps of the async clients: websock-tokio's and websock-smol's streams are
/// both websock-core's async handles.
mod async_steps {
    use super::*;
    use websock_core::handle::WebSocketStream;
    use websock_core::session::Incoming;

    /// Runs every step of `script` over an open `ws`.
    pub(super) async fn run_steps<S>(
        ws: &mut WebSocketStream<S>,
        script: &Script,
    ) -> Result<Report, String> {
        let mut report = Report {
            protocol: ws.protocol().map(str::to_owned),
            extensions: ws.extensions().to_owned(),
            ..Report::default()
        };
        for step in &script.steps {
            run_step(ws, step, &mut report).await?;
        }
        Ok(report)
    }

    async fn next_message<S>(
        ws: &mut WebSocketStream<S>,
        step: &Step,
        report: &mut Report,
    ) -> Result<Message, String> {
        loop {
            match ws.recv_incoming().await {
                Some(Ok(Incoming::Message(m))) => return Ok(m),
                Some(Ok(Incoming::Pong(p))) => report.pongs.push(p),
                Some(Ok(Incoming::Ping(_))) => {}
                Some(Err(e)) => return Err(step_error(step, "recv", e)),
                None => return Err(closed_early(step, ws.close_event())),
            }
        }
    }

    async fn run_step<S>(
        ws: &mut WebSocketStream<S>,
        step: &Step,
        report: &mut Report,
    ) -> Result<(), String> {
        let send_err = |e| step_error(step, "send", e);
        match step {
            Step::Text(_) | Step::Binary(_) | Step::Noise(_) | Step::Fragments(..) => {
                if let Step::Fragments(kind, pieces) = step {
                    for (i, piece) in pieces.iter().enumerate() {
                        let fin = i + 1 == pieces.len();
                        ws.send_fragment(*kind, piece.clone(), fin)
                            .await
                            .map_err(send_err)?;
                    }
                } else {
                    let message = step.echo_message().expect("an echo step");
                    ws.send(message).await.map_err(send_err)?;
                }
                let got = next_message(ws, step, report).await?;
                Script::check_echo(step, &got)?;
                report.echoes += 1;
            }
            Step::Ping(payload) => {
                ws.ping(payload.clone())
                    .map_err(|e| step_error(step, "ping", e))?;
                ws.send(Message::text(AFTER_PING)).await.map_err(send_err)?;
                let got = next_message(ws, step, report).await?;
                if got != Message::text(AFTER_PING) {
                    return Err(step_error(step, "after the ping", format!("{got:?}")));
                }
                check_pong(step, payload, &report.pongs)?;
            }
            Step::ServerClose(code, reason) => {
                let command = format!("close:{code}:{reason}");
                ws.send(Message::text(command)).await.map_err(send_err)?;
                while let Some(incoming) = ws.recv_incoming().await {
                    match incoming {
                        Ok(Incoming::Message(m)) => {
                            return Err(step_error(step, "unexpected message", m.len()))
                        }
                        Ok(_) => {}
                        Err(e) => return Err(step_error(step, "recv", e)),
                    }
                }
                report.close = ws.close_event();
                Script::check_close(step, report.close.as_ref())?;
            }
            Step::ClientClose(code, reason) => {
                let event = ws
                    .close(Some(*code), reason)
                    .await
                    .map_err(|e| step_error(step, "close", e))?;
                report.close = Some(event);
                Script::check_close(step, report.close.as_ref())?;
            }
        }
        Ok(())
    }
}

mod tokio_client {
    use super::*;
    use websock_tokio::{connect_with, ClientOptions};

    pub(super) fn run(
        url: &str,
        script: &Script,
        tls: Arc<ClientConfig>,
    ) -> Result<Report, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        rt.block_on(async {
            let options = ClientOptions::new()
                .protocols(script.protocols.clone())
                .check_bad_ports(false)
                .tls_config(tls);
            let mut ws = connect_with(url, options)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            async_steps::run_steps(&mut ws, script).await
        })
    }
}

mod smol_client {
    use super::*;
    use websock_smol::{connect_with, ClientOptions};

    pub(super) fn run(
        url: &str,
        script: &Script,
        tls: Arc<ClientConfig>,
    ) -> Result<Report, String> {
        smol::block_on(async {
            let options = ClientOptions::new()
                .protocols(script.protocols.clone())
                .check_bad_ports(false)
                .tls_config(tls);
            let mut ws = connect_with(url, options)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            async_steps::run_steps(&mut ws, script).await
        })
    }
}

mod std_client {
    use super::*;
    use websock_std::{connect_with, ClientOptions, Incoming, Transport, WebSocketStream};

    pub(super) fn run(
        url: &str,
        script: &Script,
        tls: Arc<ClientConfig>,
    ) -> Result<Report, String> {
        let options = ClientOptions::new()
            .protocols(script.protocols.clone())
            .check_bad_ports(false)
            .tls_config(tls);
        let mut ws = connect_with(url, options).map_err(|e| format!("connect: {e}"))?;
        let mut report = Report {
            protocol: ws.protocol().map(str::to_owned),
            extensions: ws.extensions().to_owned(),
            ..Report::default()
        };
        for step in &script.steps {
            run_step(&mut ws, step, &mut report)?;
        }
        Ok(report)
    }

    fn next_message<S: Transport>(
        ws: &mut WebSocketStream<S>,
        step: &Step,
        report: &mut Report,
    ) -> Result<Message, String> {
        loop {
            match ws.recv_incoming() {
                Some(Ok(Incoming::Message(m))) => return Ok(m),
                Some(Ok(Incoming::Pong(p))) => report.pongs.push(p),
                Some(Ok(Incoming::Ping(_))) => {}
                Some(Err(e)) => return Err(step_error(step, "recv", e)),
                None => return Err(closed_early(step, ws.close_event())),
            }
        }
    }

    fn run_step<S: Transport>(
        ws: &mut WebSocketStream<S>,
        step: &Step,
        report: &mut Report,
    ) -> Result<(), String> {
        let send_err = |e| step_error(step, "send", e);
        match step {
            Step::Text(_) | Step::Binary(_) | Step::Noise(_) | Step::Fragments(..) => {
                if let Step::Fragments(kind, pieces) = step {
                    for (i, piece) in pieces.iter().enumerate() {
                        let fin = i + 1 == pieces.len();
                        ws.send_fragment(*kind, piece.clone(), fin)
                            .map_err(send_err)?;
                    }
                } else {
                    let message = step.echo_message().expect("an echo step");
                    ws.send(message).map_err(send_err)?;
                }
                let got = next_message(ws, step, report)?;
                Script::check_echo(step, &got)?;
                report.echoes += 1;
            }
            Step::Ping(payload) => {
                ws.ping(payload.clone())
                    .map_err(|e| step_error(step, "ping", e))?;
                ws.send(Message::text(AFTER_PING)).map_err(send_err)?;
                let got = next_message(ws, step, report)?;
                if got != Message::text(AFTER_PING) {
                    return Err(step_error(step, "after the ping", format!("{got:?}")));
                }
                check_pong(step, payload, &report.pongs)?;
            }
            Step::ServerClose(code, reason) => {
                let command = format!("close:{code}:{reason}");
                ws.send(Message::text(command)).map_err(send_err)?;
                while let Some(incoming) = ws.recv_incoming() {
                    match incoming {
                        Ok(Incoming::Message(m)) => {
                            return Err(step_error(step, "unexpected message", m.len()))
                        }
                        Ok(_) => {}
                        Err(e) => return Err(step_error(step, "recv", e)),
                    }
                }
                report.close = ws.close_event();
                Script::check_close(step, report.close.as_ref())?;
            }
            Step::ClientClose(code, reason) => {
                let event = ws
                    .close(Some(*code), reason)
                    .map_err(|e| step_error(step, "close", e))?;
                report.close = Some(event);
                Script::check_close(step, report.close.as_ref())?;
            }
        }
        Ok(())
    }
}
