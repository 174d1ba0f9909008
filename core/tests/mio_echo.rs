//! Runs the `mio_echo` example (the reference custom driver) and talks to it over real
//! TCP, with `websock_core::Connection::client` driven over a blocking `TcpStream`.
#![cfg(feature = "std")]

use std::io::{BufRead, BufReader};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use websock_core::handshake::ClientRequest;
use websock_core::{Config, Connection, Event, Message};

/// Kills the example when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the example on a free port; returns it with the address it printed.
fn start_server() -> (Server, String) {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let mut child = Command::new(cargo)
        .args(["run", "-q", "-p", "websock-core", "--example", "mio_echo"])
        .args(["--", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("cargo run the mio_echo example");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(!addr.ends_with(":0"), "the real port is printed: {addr}");
    (server, addr)
}

/// A client connection over a blocking socket.
struct Client {
    tcp: TcpStream,
    ws: Connection,
    epoch: Instant,
}

impl Client {
    fn connect(addr: &str) -> Client {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        tcp.set_write_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let request = ClientRequest::new(addr, "/");
        let ws = Connection::client(request, Config::default(), Duration::ZERO).unwrap();
        Client {
            tcp,
            ws,
            epoch: Instant::now(),
        }
    }

    /// Writes what is queued, then reads until the engine has an event.
    fn next_event(&mut self) -> Option<Event> {
        loop {
            while self.ws.wants_write() {
                self.ws.write_to(&mut self.tcp).expect("write");
            }
            if self.ws.should_shutdown() {
                let _ = self.tcp.shutdown(Shutdown::Write);
            }
            if let Some(event) = self.ws.poll_event() {
                return Some(event);
            }
            if !self.ws.wants_read() {
                return None;
            }
            let now = self.epoch.elapsed();
            self.ws.read_from(now, &mut self.tcp).expect("read");
        }
    }

    fn echo(&mut self, message: Message) {
        self.ws.send(message.clone()).unwrap();
        match self.next_event() {
            Some(Event::Message(echoed)) => assert_eq!(echoed, message),
            other => panic!("expected the echo, got {other:?}"),
        }
    }
}

#[test]
fn mio_echo_example_echoes_and_closes_cleanly() {
    let (_server, addr) = start_server();
    // Two connections open at once: the single-threaded server multiplexes them.
    let mut clients = [Client::connect(&addr), Client::connect(&addr)];
    for c in &mut clients {
        assert!(matches!(c.next_event(), Some(Event::Open(_))));
    }
    let big: Vec<u8> = (0..100 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    for c in &mut clients {
        c.echo(Message::text("hello"));
        c.echo(Message::binary(big.clone()));
    }
    for c in &mut clients {
        let now = c.epoch.elapsed();
        c.ws.close(now, Some(1000), "bye").unwrap();
        match c.next_event() {
            Some(Event::Close(close)) => {
                assert_eq!((close.code, close.was_clean), (1000, true), "{close:?}");
            }
            other => panic!("expected the close, got {other:?}"),
        }
        // The server shuts its side down too: the client reaches the end of stream.
        assert!(c.next_event().is_none());
        assert!(c.ws.is_finished(), "{:?}", c.ws);
    }
}
