//! HTTPS served by `riskatlas serve --tls-cert --tls-key`, through a real socket on
//! 127.0.0.1 with a certificate made at test time: what a client that trusts it gets
//! (HSTS, a `Secure` session cookie, `https://` URLs, HTTP/1.1 by ALPN), what a plain
//! HTTP client and a silent one get, and how bad certificate and key files are refused.
//! Through the router without a socket: HSTS only with TLS, and a TLS proxy's
//! `X-Forwarded-Proto: https` giving `https://` URLs.

#![allow(clippy::unwrap_used)]

mod common;

use common::server::{Guard, serve_refused};
use common::tls::{SelfSigned, https, start};
use riskatlas::service::access::{Role, admin};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The demo, copied, served over TLS with `args`; the log goes beside the certificate.
fn serve(cert: &SelfSigned, args: &[&OsStr]) -> (tempfile::TempDir, Guard, String) {
    let demo = common::demo_copy();
    let mut all: Vec<&OsStr> = vec!["--data".as_ref(), demo.path().as_os_str()];
    all.extend_from_slice(args);
    let (guard, addr) = start(cert, &all, &cert.dir.path().join("server.log"));
    (demo, guard, addr)
}

/// The demo through the router, as a server with or without its own TLS.
fn app(tls: bool) -> axum::Router {
    let loaded = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
    let service = riskatlas::service::Service::in_memory(loaded.atlas, loaded.report);
    let options = riskatlas::api::HttpOptions {
        tls,
        ..riskatlas::api::HttpOptions::default()
    };
    riskatlas::api::router(riskatlas::api::AppState::serving(
        std::sync::Arc::new(service),
        options,
    ))
}

/// `GET uri` through `app` with `headers`.
async fn get(app: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> common::Reply {
    let mut req = axum::http::Request::get(uri).header("host", "127.0.0.1:8080");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    common::request(app, req.body(axum::body::Body::empty()).unwrap()).await
}

#[tokio::test]
async fn hsts_is_sent_only_by_a_server_that_speaks_tls() {
    for uri in ["/", "/api/health", "/nothing"] {
        let plain = get(&app(false), uri, &[]).await;
        assert!(
            !plain.headers.contains_key("strict-transport-security"),
            "{uri}"
        );
        // A proxy's header does not make the server send it: the proxy owns HSTS.
        let proxied = get(&app(false), uri, &[("x-forwarded-proto", "https")]).await;
        assert!(
            !proxied.headers.contains_key("strict-transport-security"),
            "{uri}"
        );
        let tls = get(&app(true), uri, &[]).await;
        assert_eq!(
            tls.headers["strict-transport-security"], "max-age=31536000",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn urls_are_https_with_tls_or_behind_a_proxy_that_says_so() {
    let glyphs = |reply: common::Reply| reply.ok_json()["glyphs"].as_str().unwrap().to_string();
    let plain = glyphs(get(&app(false), "/style.json", &[]).await);
    assert!(plain.starts_with("http://127.0.0.1:8080/"), "{plain}");
    let proxied = get(
        &app(false),
        "/style.json",
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let proxied = glyphs(proxied);
    assert!(proxied.starts_with("https://127.0.0.1:8080/"), "{proxied}");
    let tls = glyphs(get(&app(true), "/style.json", &[]).await);
    assert!(tls.starts_with("https://127.0.0.1:8080/"), "{tls}");
    let layer = get(&app(true), "/api/layers/shelters", &[]).await.ok_json();
    let tiles = layer["tiles"][0].as_str().unwrap();
    assert!(
        tiles.starts_with("https://127.0.0.1:8080/tiles/"),
        "{tiles}"
    );
}

#[test]
fn health_over_https_answers_with_hsts_and_http_1_1() {
    let cert = SelfSigned::new();
    let (_demo, _server, addr) = serve(&cert, &[]);
    let reply = https(&cert.client(), &addr, "GET", "/api/health", &[], "").unwrap();
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    // The client offered h2 first; the server speaks HTTP/1 only and says so.
    assert_eq!(reply.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[test]
fn urls_handed_out_over_https_are_https() {
    let cert = SelfSigned::new();
    let (_demo, _server, addr) = serve(&cert, &[]);
    let style = https(&cert.client(), &addr, "GET", "/style.json", &[], "").unwrap();
    assert_eq!(style.status, 200);
    let style: serde_json::Value = serde_json::from_str(&style.body).unwrap();
    let glyphs = style["glyphs"].as_str().unwrap();
    assert!(glyphs.starts_with(&format!("https://{addr}/")), "{glyphs}");
    let tiles: Vec<&str> = style["sources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["tiles"].as_array())
        .flatten()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(!tiles.is_empty());
    for url in tiles {
        assert!(url.starts_with("https://"), "{url}");
    }
}

#[test]
fn plain_http_to_the_tls_port_gets_no_answer() {
    let cert = SelfSigned::new();
    let (_demo, _server, addr) = serve(&cert, &[]);
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("GET /api/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    let mut bytes = Vec::new();
    // A TLS alert then a close, or a reset: either way no HTTP.
    let _ = s.read_to_end(&mut bytes);
    assert!(
        !bytes.starts_with(b"HTTP/"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn a_connection_that_never_says_hello_is_closed_after_the_header_timeout() {
    let cert = SelfSigned::new();
    let (_demo, _server, addr) = serve(&cert, &["--header-timeout".as_ref(), "2s".as_ref()]);
    let mut s = TcpStream::connect(&addr).unwrap();
    // Generous: the point is that it ends, not when to the millisecond.
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    match s.read(&mut byte) {
        Ok(0) => {}
        Ok(_) => panic!("the server sent something to a client that said nothing"),
        Err(e) => assert!(
            e.kind() == std::io::ErrorKind::ConnectionReset,
            "still open after {:.1} s: {e}",
            started.elapsed().as_secs_f64()
        ),
    }
    // And the server still serves others.
    let reply = https(&cert.client(), &addr, "GET", "/api/health", &[], "").unwrap();
    assert_eq!(reply.status, 200);
}

#[test]
fn a_handshake_under_way_does_not_hold_up_shutdown() {
    let cert = SelfSigned::new();
    let (_demo, mut server, addr) = serve(&cert, &["--header-timeout".as_ref(), "60s".as_ref()]);
    let _silent = TcpStream::connect(&addr).unwrap();
    // Give the server the time to accept it.
    std::thread::sleep(Duration::from_millis(300));
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 15 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn signing_in_over_https_sets_a_secure_cookie() {
    let cert = SelfSigned::new();
    let users = cert.dir.path().join("users.toml");
    admin::add(&users, "duty editor", Role::Editor, vec![]).unwrap();
    admin::password(&users, "duty editor", "river rises at dawn").unwrap();
    let (_demo, _server, addr) = serve(&cert, &["--users".as_ref(), users.as_os_str()]);
    let reply = https(
        &cert.client(),
        &addr,
        "POST",
        "/api/session",
        &[],
        r#"{"name": "duty editor", "password": "river rises at dawn"}"#,
    )
    .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let cookie = reply.header("set-cookie").unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly; SameSite=Strict"), "{cookie}");
}

#[test]
fn the_log_says_https_and_gives_no_warning_on_loopback() {
    let cert = SelfSigned::new();
    let (_demo, _server, addr) = serve(&cert, &[]);
    let log = std::fs::read_to_string(cert.dir.path().join("server.log")).unwrap();
    assert!(log.contains(&format!("serving on https://{addr}")), "{log}");
    assert!(!log.contains("unencrypted"), "{log}");
}

#[test]
fn a_certificate_file_without_a_certificate_is_refused_by_name() {
    let cert = SelfSigned::new();
    // The key where the certificate belongs: a likely slip.
    let (status, stderr) = serve_refused(&[
        "--tls-cert".as_ref(),
        cert.key.as_os_str(),
        "--tls-key".as_ref(),
        cert.key.as_os_str(),
    ]);
    assert!(!status.success());
    let named = format!("{} holds no certificate", cert.key.display());
    assert!(stderr.contains(&named), "{stderr}");
    assert!(stderr.contains("swapped"), "{stderr}");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_by_name() {
    let cert = SelfSigned::new();
    let other = SelfSigned::new();
    let (status, stderr) = serve_refused(&[
        "--tls-cert".as_ref(),
        cert.cert.as_os_str(),
        "--tls-key".as_ref(),
        other.key.as_os_str(),
    ]);
    assert!(!status.success());
    assert!(
        stderr.contains("does not match the certificate"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&other.key.display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains(&cert.cert.display().to_string()),
        "{stderr}"
    );
}

#[test]
fn a_certificate_without_its_key_is_a_usage_error() {
    let cert = SelfSigned::new();
    let (status, stderr) = serve_refused(&["--tls-cert".as_ref(), cert.cert.as_os_str()]);
    assert!(!status.success());
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
