//! Building a package's example and finding its binary.
//!
//! `cargo run -p PACKAGE --example NAME` is not enough when several packages have an
//! example of the same name (the three runtimes' `echo-server`): cargo copies each to
//! the one path `target/debug/examples/NAME`, so what runs there may be another
//! package's. [`example_binary`] builds with `--message-format=json`, takes the
//! `executable` of the compiler-artifact message whose `package_id` is the package's,
//! and copies it, while no other build of this process can replace it, to a path of its
//! own (`target/debug/examples/PACKAGE/NAME`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// Builds `package`'s example `example` (with `features`, if any) and returns a path to
/// its binary that is this package's alone.
///
/// # Panics
///
/// If the build fails or reports no executable for the example.
pub fn example_binary(package: &str, example: &str, features: &[&str]) -> PathBuf {
    // One build (and copy) at a time: the shared path is only read under the lock.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let mut build = Command::new(cargo);
    build
        .args(["build", "-q", "-p", package, "--example", example])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped());
    if !features.is_empty() {
        build.arg("--features").arg(features.join(","));
    }
    let output = build.output().expect("run cargo build");
    assert!(
        output.status.success(),
        "cargo build -p {package} --example {example} failed"
    );
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == example)
        .filter(|m| is_package(m["package_id"].as_str().unwrap_or(""), package))
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("no executable for {package}'s example {example}"));
    // Next to it, in a directory of the package's own: `…/examples/PACKAGE/NAME`.
    let dir = executable.with_file_name(package);
    std::fs::create_dir_all(&dir).expect("create the package's examples directory");
    let own = dir.join(executable.file_name().expect("a file name"));
    std::fs::copy(&executable, &own).expect("copy the example's binary");
    own
}

/// Whether a cargo `package_id` names `package`: `path+file:///…/dir#name@0.1.0` (or
/// `…/name#0.1.0` when the directory is named after the package), or the older
/// `name 0.1.0 (path+file:///…)`.
fn is_package(id: &str, package: &str) -> bool {
    id.contains(&format!("#{package}@"))
        || id.contains(&format!("/{package}#"))
        || id.starts_with(&format!("{package} "))
}

/// A running example server, killed when dropped.
#[derive(Debug)]
pub struct ExampleServer(Child);

impl Drop for ExampleServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `package`'s echo server `example` (built with `features`) on `127.0.0.1:0`
/// with `args` after the address; returns it with the address from its first line,
/// `listening on ADDR`.
///
/// # Panics
///
/// If it cannot be built or started, or its first line is not `listening on ADDR`.
pub fn start_example(
    package: &str,
    example: &str,
    features: &[&str],
    args: &[&str],
) -> (ExampleServer, String) {
    let binary = example_binary(package, example, features);
    let mut child = Command::new(&binary)
        .arg("127.0.0.1:0")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", binary.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let server = ExampleServer(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the first line");
    let addr = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{package} {example}: unexpected first line {line:?}"))
        .to_owned();
    (server, addr)
}
