//! HTTPS for tests: a self-signed certificate made at test time (rcgen), a
//! `riskatlas serve --tls-cert --tls-key` child, and a minimal HTTP/1.1 client over
//! rustls (the blocking API, as the plain client in `server` is blocking) that trusts
//! that certificate and nothing else.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// A self-signed certificate for `localhost` and `127.0.0.1`, and its key, as PEM
/// files in a temporary folder.
pub struct SelfSigned {
    /// The folder holding the files (and anything a test writes beside them).
    pub dir: tempfile::TempDir,
    /// The certificate, PEM.
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, ECDSA P-256: rcgen's default).
    pub key: PathBuf,
    /// The certificate, for a client to trust.
    pub der: CertificateDer<'static>,
}

impl SelfSigned {
    /// A new certificate and key.
    pub fn new() -> SelfSigned {
        let made = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .expect("rcgen makes a certificate");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, made.cert.pem()).expect("writes the certificate");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("writes the key");
        SelfSigned {
            dir,
            cert,
            key,
            der: made.cert.der().clone(),
        }
    }

    /// `--tls-cert CERT --tls-key KEY`.
    pub fn args(&self) -> [&OsStr; 4] {
        [
            "--tls-cert".as_ref(),
            self.cert.as_os_str(),
            "--tls-key".as_ref(),
            self.key.as_os_str(),
        ]
    }

    /// A client configuration trusting this certificate only, offering `h2` and
    /// `http/1.1` as a browser does.
    pub fn client(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).expect("a valid certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// One HTTP/1.1 request over TLS on a fresh connection.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The head: status line and headers, as sent.
    pub head: String,
    /// The body, lossily decoded.
    pub body: String,
    /// The protocol ALPN settled on.
    pub alpn: Option<Vec<u8>>,
}

impl Reply {
    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

/// `method path` with `body` (JSON) and extra `headers` over HTTPS to `addr`, trusting
/// `client`'s roots; `None` when the connection or handshake fails.
pub fn https(
    client: &Arc<ClientConfig>,
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Option<Reply> {
    let ip = addr.rsplit_once(':')?.0;
    let name = ServerName::try_from(ip.to_string()).ok()?;
    let conn = ClientConnection::new(client.clone(), name).ok()?;
    let sock = TcpStream::connect(addr).ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut tls = StreamOwned::new(conn, sock);
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).ok()?;
    let mut bytes = Vec::new();
    // A server that closes without close_notify still sent a whole answer: keep it.
    match tls.read_to_end(&mut bytes) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !bytes.is_empty() => {}
        Err(_) => return None,
    }
    let alpn = tls.conn.alpn_protocol().map(<[u8]>::to_vec);
    let reply = String::from_utf8_lossy(&bytes);
    let (head, body) = reply.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
        alpn,
    })
}

/// Starts `riskatlas serve` over TLS with `cert` and `args`, its log (level info) in
/// `log`; waits until `/api/health` answers over HTTPS.
pub fn start(
    cert: &SelfSigned,
    args: &[&OsStr],
    log: &std::path::Path,
) -> (super::server::Guard, String) {
    let client = cert.client();
    let all: Vec<&OsStr> = cert
        .args()
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let (child, addr) = super::server::start_until(&all, Some(log), |addr| {
        https(&client, addr, "GET", "/api/health", &[], "").is_some()
    });
    (super::server::Guard(child), addr)
}
