//! The demo's chat server: on one address it serves the chat page (`GET /`) and accepts
//! WebSocket upgrades; every text message is broadcast to every connected client.
//!
//! Shared by the demo example (`main.rs`) and its test (`tests/demo.rs`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use websock_core::handshake::{header_contains_token, HeadReader};
use websock_tokio::{accept_with, BrowserEvent, Decision, Message, ServerOptions, WebSocket};

/// The page served at `GET /`.
pub const PAGE: &str = include_str!("page.html");

/// Serves the chat on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    let (room, _) = broadcast::channel::<String>(256);
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let room = room.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(tcp, room).await {
                eprintln!("connection: {e}");
            }
        });
    }
}

/// One connection: read the request head, then either upgrade or serve the page.
async fn handle(mut tcp: TcpStream, room: broadcast::Sender<String>) -> io::Result<()> {
    let mut reader = HeadReader::new(16 << 10, 64);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        loop {
            let n = tcp.read(&mut buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            seen.extend_from_slice(&buf[..n]);
            match reader.feed(&buf[..n]) {
                Ok(Some(_)) => return Ok(()),
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read_head)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let request = reader
        .parse_request()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let upgrade = request
        .header("upgrade")
        .is_some_and(|v| header_contains_token(v, "websocket"));
    if upgrade {
        // Replay what was read, so the engine sees the whole request.
        let stream = Rewind::new(Bytes::from(seen), tcp);
        let ws = accept_with(stream, ServerOptions::new(), |_| Decision::accept())
            .await
            .map_err(io::Error::other)?;
        chat(ws, room).await;
        return Ok(());
    }
    let response = if request.method == "GET"
        && (request.path == "/" || request.path.starts_with("/?"))
    {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
            PAGE.len()
        )
    } else {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
            .to_owned()
    };
    tcp.write_all(response.as_bytes()).await?;
    tcp.shutdown().await
}

/// A chat member: what it says goes to the room, what the room says goes to it.
async fn chat<S>(ws: websock_tokio::WebSocketStream<S>, room: broadcast::Sender<String>) {
    let mut heard = room.subscribe();
    let (tx, mut rx) = ws.split();
    let speaker = tokio::spawn(async move {
        loop {
            match heard.recv().await {
                Ok(line) => {
                    if tx.send(Message::text(line)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    while let Some(Ok(message)) = rx.recv().await {
        if let Message::Text(text) = message {
            let _ = room.send(text.as_str().to_owned());
        }
    }
    speaker.abort();
}

/// The in-process client: the browser-face `WebSocket`, as in MDN's example. Sends
/// "Hello Server!" on open and prints every message. With `once`, returns the first
/// message received; otherwise runs until the connection closes.
pub async fn demo_client(url: &str, once: bool) -> Result<Option<String>, String> {
    let socket = WebSocket::new(url, &[]).map_err(|e| e.to_string())?;
    socket.on_open(|socket| {
        let _ = socket.send("Hello Server!");
    });
    while let Some(event) = socket.next_event().await {
        match event {
            BrowserEvent::Message(data) => {
                println!("Message from server: {data}");
                if once {
                    let _ = socket.close(Some(1000), None);
                    return Ok(Some(data.to_string()));
                }
            }
            BrowserEvent::Error => return Err("the connection failed".into()),
            BrowserEvent::Close(close) => {
                println!("closed: {} {}", close.code, close.reason);
                return Ok(None);
            }
            BrowserEvent::Open => {}
        }
    }
    Ok(None)
}

/// A stream that first yields `prefix`, then reads from `inner`; writes go to `inner`.
pub struct Rewind<S> {
    prefix: Bytes,
    inner: S,
}

impl<S> Rewind<S> {
    /// Replays `prefix` before `inner`'s bytes.
    pub fn new(prefix: Bytes, inner: S) -> Self {
        Rewind { prefix, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
