//! Third-party peers: Python `websockets`, Node `ws`, and headless Chromium (driven by
//! `playwright-core`), from `tests/peers/`.
//!
//! [`python`] and [`node`] run the idempotent installer (`install-python.sh`,
//! `install-node.sh`) once per test binary and panic if it fails: a missing peer is a
//! failure, never a skip. [`ChildGuard`] kills a peer process when dropped, so a failing
//! test leaves nothing running; [`PeerServer`] waits for a peer server's
//! `listening PORT` line; [`run_to_end`] runs a peer client with a timeout.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest an installer may take (a first install downloads packages).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(900);

/// How long a peer server may take to print `listening PORT`.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);

/// `tests/peers`.
pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// `tests/peers/scripts`.
pub fn scripts_dir() -> PathBuf {
    peers_dir().join("scripts")
}

/// `tests/peers/node`.
pub fn node_dir() -> PathBuf {
    peers_dir().join("node")
}

/// Runs `tests/peers/INSTALLER` and returns the last line it printed; panics with its
/// output if it fails or overruns.
fn install(installer: &str) -> String {
    let mut command = Command::new("bash");
    command.arg(peers_dir().join(installer));
    let out = run_to_end(installer, command, INSTALL_TIMEOUT);
    assert!(
        out.status.success(),
        "{installer} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        out.stdout,
        out.stderr
    );
    out.stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The Python interpreter of the venv with `websockets`, installing it on first use
/// (`install-python.sh`, once per test binary).
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        // The installer's last line is "PATH (websockets VERSION)".
        let line = install("install-python.sh");
        let path = PathBuf::from(line.split(" (").next().unwrap_or_default());
        assert!(
            path.is_file(),
            "install-python.sh named {path:?} (from {line:?}), which is not a file"
        );
        path
    })
}

/// The `node` command, with `ws`, `playwright-core` and Debian's Chromium installed on
/// first use (`install-node.sh`, once per test binary). Returns the installer's summary.
pub fn node() -> &'static str {
    static NODE: OnceLock<String> = OnceLock::new();
    NODE.get_or_init(|| {
        let summary = install("install-node.sh");
        assert!(
            node_dir().join("node_modules/ws/package.json").is_file(),
            "install-node.sh ({summary}) left no node_modules/ws"
        );
        summary
    })
}

/// A command running `script` (in `tests/peers/scripts`) with the peers' Python.
pub fn python_command(script: &str) -> Command {
    let mut command = Command::new(python());
    command.arg("-u").arg(scripts_dir().join(script));
    command
}

/// A command running `script` (in `tests/peers/node`) with Node, from that directory.
pub fn node_command(script: &str) -> Command {
    node();
    let mut command = Command::new("node");
    command.arg(node_dir().join(script)).current_dir(node_dir());
    command
}

/// A running peer process, killed (and reaped) when dropped. Its stdout lines and
/// stderr are collected by two threads.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
    lines: Receiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl ChildGuard {
    /// Spawns `command` with stdin closed and stdout/stderr captured; panics if it cannot
    /// be started.
    pub fn spawn(name: &str, mut command: Command) -> ChildGuard {
        // A process group of its own, so that what it starts (Chromium under
        // playwright) is killed with it.
        let mut child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {command:?}: {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            let all = stdout.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
                    all.push_str(&line);
                    all.push('\n');
                    drop(all);
                    let _ = tx.send(line);
                }
            }));
        }
        if let Some(mut err) = child.stderr.take() {
            let all = stderr.clone();
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    all.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }));
        }
        ChildGuard {
            name: name.to_owned(),
            child,
            lines,
            stdout,
            stderr,
            readers,
        }
    }

    /// Everything printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The next stdout line satisfying `want` (earlier ones are skipped), within
    /// `timeout`; panics with the process's output otherwise.
    pub fn wait_line(
        &mut self,
        what: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if want(&line) => return line,
                Ok(_) => {}
                Err(e) => {
                    let status = self.child.try_wait().ok().flatten();
                    // Give the stderr reader a moment to collect a dying process's words.
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "{}: no {what} on stdout ({}; exit status {status:?})\nstdout:\n{}\nstderr:\n{}",
                        self.name,
                        match e {
                            RecvTimeoutError::Timeout => format!("timed out after {timeout:?}"),
                            RecvTimeoutError::Disconnected => "stdout closed".to_owned(),
                        },
                        self.stdout(),
                        self.stderr()
                    );
                }
            }
        }
    }

    /// Waits for the process to exit within `timeout`; kills it and panics otherwise.
    pub fn wait(mut self, timeout: Duration) -> PeerOutput {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    self.kill();
                    panic!(
                        "{}: still running after {timeout:?}; killed\nstdout:\n{}\nstderr:\n{}",
                        self.name,
                        self.stdout(),
                        self.stderr()
                    );
                }
                Err(e) => panic!("{}: wait: {e}", self.name),
            }
        };
        // The pipes close with the process (unless something it started keeps them
        // open): let the readers finish, for a few seconds at most.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        PeerOutput {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl ChildGuard {
    /// Kills the process and its process group (by the group's id, which is the
    /// child's pid), then reaps it.
    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How a peer process ended.
#[derive(Debug, Clone)]
pub struct PeerOutput {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl PeerOutput {
    /// Panics with the output unless the process exited with 0.
    pub fn assert_success(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `command` to its end within `timeout` (killed and a panic otherwise).
pub fn run_to_end(name: &str, command: Command, timeout: Duration) -> PeerOutput {
    ChildGuard::spawn(name, command).wait(timeout)
}

/// A peer server that printed `listening PORT`; killed when dropped.
#[derive(Debug)]
pub struct PeerServer {
    /// The process.
    pub process: ChildGuard,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl PeerServer {
    /// Starts `command` (given port 0) and waits for its `listening PORT` line.
    pub fn start(name: &str, command: Command) -> PeerServer {
        let mut process = ChildGuard::spawn(name, command);
        let line = process.wait_line("`listening PORT`", LISTEN_TIMEOUT, |l| {
            l.starts_with("listening ")
        });
        let port = line["listening ".len()..]
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}: bad line {line:?}: {e}"));
        assert_ne!(port, 0, "{name} listens on port 0");
        PeerServer { process, port }
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Waits for the next `{"closed": [CODE, REASON]}` line (a client closed first) and
    /// returns the code and reason.
    pub fn wait_closed(&mut self, timeout: Duration) -> (u16, String) {
        let line = self
            .process
            .wait_line("{\"closed\": ...} line", timeout, |l| {
                l.contains("\"closed\"")
            });
        parse_closed_line(&line).unwrap_or_else(|| panic!("unexpected closed line {line:?}"))
    }
}

/// Parses `{"closed": [CODE, REASON]}`.
pub fn parse_closed_line(line: &str) -> Option<(u16, String)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let closed = value.get("closed")?.as_array()?;
    let code = u16::try_from(closed.first()?.as_u64()?).ok()?;
    let reason = closed.get(1)?.as_str()?.to_owned();
    Some((code, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `pid` is a live process (not gone, not a zombie).
    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                let state = stat.rsplit(')').next().unwrap_or_default().trim_start();
                !state.starts_with('Z') && !state.starts_with('X')
            })
            .unwrap_or(false)
    }

    #[test]
    fn dropping_the_guard_kills_what_the_process_started() {
        let mut command = Command::new("bash");
        command.args(["-c", "sleep 60 & echo $!; wait"]);
        let mut guard = ChildGuard::spawn("sleeper", command);
        let line = guard.wait_line("a pid", Duration::from_secs(10), |l| !l.is_empty());
        let grandchild: u32 = line.trim().parse().expect("a pid");
        let child = guard.child.id();
        assert!(alive(grandchild) && alive(child));
        drop(guard);
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(grandchild), "the grandchild survived the guard");
        assert!(!alive(child), "the child survived the guard");
    }

    #[test]
    fn a_process_that_overruns_is_killed_and_fails() {
        let mut command = Command::new("sleep");
        command.arg("60");
        let started = Instant::now();
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_to_end("sleep 60", command, Duration::from_millis(300))
        }))
        .expect_err("an overrun must fail");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("killed"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn closed_lines_parse() {
        assert_eq!(
            parse_closed_line(r#"{"closed": [4002, "client bye"]}"#),
            Some((4002, "client bye".to_owned()))
        );
        assert_eq!(parse_closed_line("listening 1234"), None);
        assert_eq!(parse_closed_line(r#"{"closed": [70000, ""]}"#), None);
    }
}
