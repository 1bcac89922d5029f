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
    let addr = format!("127.0.0.1:{}", free_port());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("serve")
        .args(args)
        .args(["--bind", &addr])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(&addr, "GET", "/api/health", "").is_none() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, addr)
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
