//! HTTPS without a reverse proxy: `--tls-cert` and `--tls-key` become the TLS
//! configuration the accept loop ([`super::server`]) hands each connection to.
//!
//! A bureau often has one machine and no one to run nginx in front of it, and tokens,
//! passwords and duty contacts must not cross its network in clear. So the server can
//! terminate TLS itself, with rustls (memory-safe, no OpenSSL to install) through
//! tokio-rustls, on the `ring` provider (aws-lc-rs, rustls's default, needs cmake and a
//! long C build). rustls-pki-types, which rustls re-exports, reads the PEM files.
//!
//! Loading fails at start, never on the first connection, and every error names the
//! file and what is wrong with it: no certificate, no key (or an encrypted one), a key
//! that is not the certificate's. rustls's `ServerConfig` builder is what compares the
//! key with the certificate; its `InconsistentKeys` error is reworded here.
//!
//! ALPN offers `http/1.1` only: the server is built with hyper's HTTP/1 alone, and a
//! client told `h2` would speak a protocol nobody answers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
pub use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// What is wrong with the certificate or key files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not well-formed PEM.
    #[error("{} is not a well-formed PEM file: {reason}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What the PEM reader found, reworded (its own text prints markers as byte
        /// lists).
        reason: String,
    },
    /// The certificate file holds no certificate.
    #[error(
        "{} holds no certificate: --tls-cert takes a PEM file with the server's certificate \
         (-----BEGIN CERTIFICATE-----) first, then any intermediate ones{hint}",
        path.display()
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
        /// A guess at what happened, or empty.
        hint: &'static str,
    },
    /// The key file holds no usable private key.
    #[error(
        "{} holds no private key: --tls-key takes a PEM file with an unencrypted PKCS#8 \
         (-----BEGIN PRIVATE KEY-----), RSA (BEGIN RSA PRIVATE KEY) or EC (BEGIN EC PRIVATE \
         KEY) key{hint}",
        path.display()
    )]
    NoKey {
        /// The file.
        path: PathBuf,
        /// A guess at what happened, or empty.
        hint: &'static str,
    },
    /// The key is not the one the certificate was issued for.
    #[error(
        "the private key in {} does not match the certificate in {}: its public key is not \
         the certificate's (pass the key the certificate was issued for)",
        key.display(),
        cert.display()
    )]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the pair for another reason (an unsupported key type, say).
    #[error(
        "the certificate in {} and the key in {} cannot be used",
        cert.display(),
        key.display()
    )]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
}

/// The ALPN protocols offered: HTTP/1.1 only (see the module doc).
const ALPN: &[&[u8]] = &[b"http/1.1"];

/// Reads the PEM certificate chain in `cert` and the private key in `key` and builds
/// the acceptor every connection's handshake goes through.
pub fn load(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let chain = certificates(cert)?;
    let private_key = private_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let refused = |source| TlsError::Refused {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        source,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(refused)?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                TlsError::Mismatch {
                    cert: cert.to_path_buf(),
                    key: key.to_path_buf(),
                }
            }
            other => refused(other),
        })?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Every certificate in `path`, in order (the server's own first).
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let text = read(path)?;
    let chain = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(path, e))?;
    if chain.is_empty() {
        let hint = if holds_key(&text) {
            " (it holds a private key: are --tls-cert and --tls-key swapped?)"
        } else {
            ""
        };
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
            hint,
        });
    }
    Ok(chain)
}

/// The first private key in `path`.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let text = read(path)?;
    match PrivateKeyDer::from_pem_slice(&text) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => {
            let hint = if contains(&text, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") {
                " (it holds an encrypted key: decrypt it first, e.g. `openssl pkey -in KEY -out \
                 PLAIN`, and keep the plain file readable by the server's user only)"
            } else if contains(&text, b"-----BEGIN CERTIFICATE-----") {
                " (it holds a certificate: are --tls-cert and --tls-key swapped?)"
            } else {
                ""
            };
            Err(TlsError::NoKey {
                path: path.to_path_buf(),
                hint,
            })
        }
        Err(e) => Err(not_pem(path, e)),
    }
}

/// [`TlsError::Pem`] for `path`, saying what is wrong in words.
fn not_pem(path: &Path, e: pem::Error) -> TlsError {
    let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_string();
    let reason = match e {
        pem::Error::MissingSectionEnd { end_marker } => {
            format!("a block has no -----END {}----- line", lossy(&end_marker))
        }
        pem::Error::IllegalSectionStart { line } => {
            format!("a malformed BEGIN line: {:?}", lossy(&line))
        }
        pem::Error::Base64Decode(why) => format!("a block is not valid base64 ({why})"),
        other => other.to_string(),
    };
    TlsError::Pem {
        path: path.to_path_buf(),
        reason,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether PEM `text` holds a private key of any kind the reader knows.
fn holds_key(text: &[u8]) -> bool {
    PrivateKeyDer::from_pem_slice(text).is_ok()
}

fn contains(text: &[u8], needle: &[u8]) -> bool {
    text.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("writes into a temporary folder");
        path
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let gone = dir.path().join("gone.pem");
        let Err(err) = load(&gone, &gone) else {
            panic!("loaded a file that is not there")
        };
        assert!(matches!(err, TlsError::Read { .. }), "{err}");
        assert!(err.to_string().contains("gone.pem"), "{err}");
    }

    /// A self-signed certificate and its key (PKCS#8, ECDSA P-256), as PEM files.
    fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
            .expect("rcgen makes a certificate");
        (
            write(dir, &format!("{name}.crt"), &made.cert.pem()),
            write(
                dir,
                &format!("{name}.key"),
                &made.signing_key.serialize_pem(),
            ),
        )
    }

    #[test]
    fn a_certificate_and_its_key_load_and_offer_http_1_1() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (cert, key) = pair(dir.path(), "a");
        let acceptor = load(&cert, &key).expect("a matching pair loads");
        assert_eq!(acceptor.config().alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn a_key_of_another_certificate_is_called_a_mismatch() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (cert, _) = pair(dir.path(), "a");
        let (_, other) = pair(dir.path(), "b");
        let Err(err) = load(&cert, &other) else {
            panic!("loaded a key that is not the certificate's")
        };
        assert!(matches!(err, TlsError::Mismatch { .. }), "{err}");
        assert!(err.to_string().contains("b.key does not match"), "{err}");
    }

    #[test]
    fn a_certificate_file_with_no_certificate_says_so() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let empty = write(dir.path(), "empty.pem", "nothing here\n");
        let err = certificates(&empty).expect_err("no certificate");
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("empty.pem holds no certificate"));
    }

    #[test]
    fn an_encrypted_key_is_told_apart_from_no_key() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let encrypted = write(
            dir.path(),
            "key.pem",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );
        let err = private_key(&encrypted).expect_err("no plain key");
        assert!(matches!(err, TlsError::NoKey { .. }), "{err}");
        assert!(err.to_string().contains("encrypted key"), "{err}");
    }

    #[test]
    fn a_broken_pem_block_is_reported_as_such() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cut = write(dir.path(), "cut.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
        let err = certificates(&cut).expect_err("no end line");
        assert!(matches!(err, TlsError::Pem { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("cut.pem"), "{text}");
        assert!(text.contains("no -----END CERTIFICATE----- line"), "{text}");
    }
}
