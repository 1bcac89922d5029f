//! A real `riskatlas serve` child process and a minimal HTTP/1.1 client for it.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// One HTTP/1.1 request on a fresh connection; the status, or None if the server died.
pub fn http(addr: &str, method: &str, path: &str, body: &str) -> Option<u16> {
    http_full(addr, method, path, body).map(|(status, _)| status)
}

/// As [`http`], with the response body.
pub fn http_full(addr: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    http_with(addr, method, path, &[], body)
}

/// [`http_full`] with extra request headers (`name: value` lines).
pub fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    // Bytes, not text: a tile's body is binary (it comes back lossily decoded).
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).ok()?;
    let reply = String::from_utf8_lossy(&bytes);
    let status = reply.split(' ').nth(1)?.parse().ok()?;
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `riskatlas serve ARGS --bind 127.0.0.1:<free port>`; waits until it answers.
pub fn start(args: &[&OsStr]) -> (std::process::Child, String) {
    start_until(args, None, |addr| {
        http(addr, "GET", "/api/health", "").is_some()
    })
}

/// As [`start`], with "it answers" decided by `up(addr)` (an HTTPS server does not
/// answer plain HTTP), and the server's log at level info written to `log` if given.
pub fn start_until(
    args: &[&OsStr],
    log: Option<&std::path::Path>,
    up: impl Fn(&str) -> bool,
) -> (std::process::Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let (level, stderr) = match log {
        Some(path) => (
            "riskatlas=info",
            std::fs::File::create(path).unwrap().into(),
        ),
        None => ("warn", std::process::Stdio::null()),
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("serve")
        .args(args)
        .args(["--bind", &addr])
        .env("RUST_LOG", level)
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !up(&addr) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited before answering: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, addr)
}

/// Runs `riskatlas serve ARGS` expecting it to stop by itself (refusing to start):
/// its exit status and standard error. Killed, and the test failed, if it still runs
/// after 30 s.
pub fn serve_refused(args: &[&OsStr]) -> (std::process::ExitStatus, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("serve")
        .args(args)
        .args(["--bind", &format!("127.0.0.1:{}", free_port())])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the server started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A server child that is killed (and reaped) when dropped, so a failed assertion never
/// leaves a `riskatlas serve` running after the test.
pub struct Guard(pub std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}
