//! JSON for the errors hyper answers itself. A request head hyper cannot take (an
//! address over 64 KiB: 414; a head over its read buffer: 431; not HTTP: 400) is
//! answered by hyper before the router sees a request, with an empty body, and hyper
//! has no hook for that answer. So the connection's writer watches for exactly those
//! answers (the status line, `content-length: 0`, nothing after the head; the router
//! never sends one, every one of its errors has a JSON body) and writes in their place
//! the same status with a JSON `{"error": ...}` saying what was too large and what to
//! do instead, as every other error does.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The read buffer hyper's HTTP/1 server is given: a request head larger than this
/// is 431. hyper's default (about 400 KiB), stated here so the message can name it.
pub const MAX_HEAD_BYTES: usize = 400 << 10;

/// The longest request address hyper reads (its fixed limit): longer is 414.
pub const MAX_URI_BYTES: usize = 64 << 10;

/// An I/O stream whose hyper-written empty error answers become JSON ones.
pub struct JsonHeadErrors<I> {
    io: I,
    /// The JSON answer being written in place of hyper's, how much is written, and the
    /// length of hyper's answer (reported as written once ours is).
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<I> JsonHeadErrors<I> {
    /// Wraps `io`.
    pub fn new(io: I) -> JsonHeadErrors<I> {
        JsonHeadErrors { io, pending: None }
    }
}

/// The JSON answer to write instead of `written`, when `written` is one of hyper's own
/// empty error answers.
fn replacement(written: &[u8]) -> Option<Vec<u8>> {
    if written.len() > 512 || !written.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(written).ok()?;
    let status_line = head.lines().next()?;
    let lower = head.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let message = match status_line.strip_prefix("HTTP/1.1 ")?.get(..3)? {
        "414" => format!(
            "the request's address is longer than the {} the server reads; send a long \
             scenario as a POST body (POST /api/impact, /api/evacuation) rather than in \
             ?scenario= or ?request=",
            super::limits::size(MAX_URI_BYTES)
        ),
        "431" => format!(
            "the request's address and headers are larger than the {} the server reads; \
             send a long scenario as a POST body (POST /api/impact, /api/evacuation) \
             rather than in the address",
            super::limits::size(MAX_HEAD_BYTES)
        ),
        "400" => "the request is not HTTP/1.1 the server can read".to_string(),
        _ => return None,
    };
    let body = serde_json::json!({ "error": message }).to_string();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/json\r\nx-content-type-options: \
             nosniff\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<I: AsyncRead + Unpin> AsyncRead for JsonHeadErrors<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for JsonHeadErrors<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none()
            && let Some(json) = replacement(buf)
        {
            this.pending = Some((json, 0, buf.len()));
        }
        let Some((json, done, swallowed)) = &mut this.pending else {
            return Pin::new(&mut this.io).poll_write(cx, buf);
        };
        // hyper calls again with the same bytes until told they are written, so ours
        // may take several calls.
        while *done < json.len() {
            let n = ready!(Pin::new(&mut this.io).poll_write(cx, &json[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        let swallowed = *swallowed;
        this.pending = None;
        Poll::Ready(Ok(swallowed))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    // Not vectored: hyper then writes each answer's head as one buffer, which is what
    // `replacement` recognises.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_empty_error_answers_are_replaced() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 13:27:53 GMT\r\n\r\n";
        let json = String::from_utf8(replacement(hyper).unwrap()).unwrap();
        assert!(json.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        let body = json.split_once("\r\n\r\n").unwrap().1;
        let error: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(error["error"].as_str().unwrap().contains("400 KiB"));
        // A router answer has a body, so it is left alone.
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n";
        assert!(replacement(ours).is_none());
        let ok = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(ok).is_none());
    }
}
