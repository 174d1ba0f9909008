//! The runtimes as `wss://` servers, from blocking code: [`accept_wss`] runs one
//! runtime's TLS accept (`tls::accept_tls`) then its `accept_with` over an accepted TCP
//! connection, with the test certificate, and gives the connection as a [`Conn`]; and
//! [`TlsClient`], the client side written by hand (rustls over a blocking
//! `std::net::TcpStream`) so that it can stop reading, or trickle a TLS record.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use websock_std::rustls::{self, pki_types::ServerName, ClientConnection};

use crate::facade::{smol_conn, std_conn, tokio_conn, tokio_handle, Conn, Error, RAW_IO_TIMEOUT};
use crate::tls::TestCert;
use crate::Runtime;

pub use crate::facade::ServerOptions;

/// Runs `rt`'s server over `tcp` (an accepted connection): the TLS accept with the test
/// certificate (bounded by the default accept timeout), then `accept_with(stream,
/// options, accept everything)`.
pub fn accept_wss(
    rt: Runtime,
    tcp: TcpStream,
    options: ServerOptions,
) -> Result<Box<dyn Conn>, Error> {
    let config = TestCert::get().server_config(rt);
    Ok(match rt {
        Runtime::Tokio => {
            let ws = tokio_handle().block_on(async move {
                tcp.set_nonblocking(true)?;
                let tcp = tokio::net::TcpStream::from_std(tcp)?;
                let tls = websock_tokio::tls::accept_tls(tcp, config).await?;
                websock_tokio::accept_with(tls, options, |_| websock_tokio::Decision::accept())
                    .await
            })?;
            tokio_conn(ws)
        }
        Runtime::Smol => {
            let ws = smol::block_on(async move {
                let tcp = async_net::TcpStream::try_from(tcp)?;
                let tls = websock_smol::tls::accept_tls(tcp, config).await?;
                websock_smol::accept_with(tls, options, |_| websock_smol::Decision::accept()).await
            })?;
            smol_conn(ws)
        }
        Runtime::Std => {
            let tls = websock_std::tls::accept_tls(tcp, config)?;
            let ws = websock_std::accept_with(tls, options, |_| websock_std::Decision::accept())?;
            std_conn(ws)
        }
    })
}

/// The client side of a `wss://` connection, written by hand: rustls over a blocking
/// TCP stream (read and write timeouts of [`RAW_IO_TIMEOUT`]) trusting the test
/// certificate, so that it can stop reading, or hand the server a TLS record one byte
/// at a time.
#[derive(Debug)]
pub struct TlsClient {
    /// The TCP stream underneath.
    pub tcp: TcpStream,
    /// The TLS client connection.
    pub tls: ClientConnection,
}

impl TlsClient {
    /// Connects to `addr` and completes the TLS handshake (for `localhost`).
    pub fn connect_tls(addr: SocketAddr) -> io::Result<TlsClient> {
        let mut tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(RAW_IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(RAW_IO_TIMEOUT))?;
        tcp.set_nodelay(true)?;
        let config = TestCert::get().client_config(Runtime::Std);
        let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
        let mut tls = ClientConnection::new(config, name).map_err(io::Error::other)?;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp)?;
        }
        while tls.wants_write() {
            tls.write_tls(&mut tcp)?;
        }
        Ok(TlsClient { tcp, tls })
    }

    /// [`TlsClient::connect_tls`], then sends an upgrade request for `/` and reads the
    /// response's head, which must be a `101`.
    pub fn connect(addr: SocketAddr) -> io::Result<TlsClient> {
        let mut client = TlsClient::connect_tls(addr)?;
        client.write(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let mut stream = rustls::Stream::new(&mut client.tls, &mut client.tcp);
            if stream.read(&mut byte)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            head.push(byte[0]);
        }
        if !head.starts_with(b"HTTP/1.1 101 ") {
            let head = String::from_utf8_lossy(&head).into_owned();
            return Err(io::Error::new(io::ErrorKind::InvalidData, head));
        }
        Ok(client)
    }

    /// Writes `plaintext` (as one or more TLS records) and flushes it to the socket.
    pub fn write(&mut self, plaintext: &[u8]) -> io::Result<()> {
        self.tls.writer().write_all(plaintext)?;
        while self.tls.wants_write() {
            self.tls.write_tls(&mut self.tcp)?;
        }
        Ok(())
    }

    /// The TLS record(s) carrying `plaintext`, sealed but not sent (to be trickled).
    pub fn seal(&mut self, plaintext: &[u8]) -> io::Result<Vec<u8>> {
        self.tls.writer().write_all(plaintext)?;
        let mut wire = Vec::new();
        while self.tls.wants_write() {
            self.tls.write_tls(&mut wire)?;
        }
        Ok(wire)
    }
}

/// The encoding of one client frame with FIN set, masked with the all-zero key (so the
/// payload goes as it is).
pub fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = crate::facade::encode_frame(opcode, payload);
    let header = match out[1] {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    out[1] |= 0x80;
    out.splice(header..header, [0u8; 4]);
    out
}
