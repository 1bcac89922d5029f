//! Signed-in sessions for the web page: a cookie the server signed, and a CSRF token.
//!
//! A duty officer signs in with a name and password (`POST /api/session`); the answer
//! sets a cookie `riskatlas_session` that is `HttpOnly` (page scripts cannot read it),
//! `SameSite=Strict` (another site's page cannot send it) and expires with the shift
//! ([`DEFAULT_SESSION_HOURS`]). Its value is
//! `expires.csrf.hex(name).hex(HMAC-SHA256(key, expires.csrf.hex(name)))`: the server
//! keeps no session table, and nobody without the key can forge or extend one. The key
//! lives beside the users file (`session.key`, made on first use, readable by its owner
//! only), so sessions survive a restart and servers sharing the file share sessions.
//!
//! A state-changing request authenticated by the cookie must also carry the session's
//! CSRF token in `X-CSRF-Token` (the page reads it from the sign-in answer): a forged
//! form or script on another origin cannot know it.
//!
//! Failed sign-ins are counted per name: after [`MAX_FAILURES`] in
//! [`FAILURE_WINDOW`], that name must wait (429 with `Retry-After`), so a password
//! cannot be guessed at the speed of the network.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The cookie's name.
pub const COOKIE: &str = "riskatlas_session";

/// The header a cookie-authenticated state-changing request carries its token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long a session lasts by default: a twelve-hour duty shift.
pub const DEFAULT_SESSION_HOURS: u64 = 12;

/// The key file, beside the users file.
pub const KEY_FILE: &str = "session.key";

/// Failed sign-ins a name may have in [`FAILURE_WINDOW`] before it must wait.
pub const MAX_FAILURES: u32 = 5;

/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

type HmacSha256 = Hmac<Sha256>;

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The signed-in user's name.
    pub name: String,
    /// When it ends, seconds since the Unix epoch.
    pub expires: u64,
    /// The token state-changing requests must echo in [`CSRF_HEADER`].
    pub csrf: String,
}

/// Issues and checks session cookies, and counts failed sign-ins.
pub struct Sessions {
    key: [u8; 32],
    lifetime: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Sessions {
    /// Sessions signed with a fresh random key (they end when the process does).
    pub fn ephemeral(lifetime: Duration) -> Sessions {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Sessions::with_key(key, lifetime)
    }

    fn with_key(key: [u8; 32], lifetime: Duration) -> Sessions {
        Sessions {
            key,
            lifetime,
            failures: Mutex::default(),
        }
    }

    /// Sessions signed with `key` (see [`super::store::UserStore::session_key`]).
    pub fn from_key(key: [u8; 32], lifetime: Duration) -> Sessions {
        Sessions::with_key(key, lifetime)
    }

    /// Sessions signed with the key in `dir`'s [`KEY_FILE`], made (owner-readable
    /// only) if missing.
    pub fn in_folder(dir: &Path, lifetime: Duration) -> std::io::Result<Sessions> {
        Ok(Sessions::with_key(key_in_folder(dir)?, lifetime))
    }

    /// How long a session lasts.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A new session for `name`, and the cookie value that carries it.
    pub fn issue(&self, name: &str) -> (String, Session) {
        let mut csrf = [0u8; 16];
        rand::rng().fill_bytes(&mut csrf);
        let session = Session {
            name: name.to_string(),
            expires: now_unix() + self.lifetime.as_secs(),
            csrf: hex(&csrf),
        };
        let signed = format!(
            "{}.{}.{}",
            session.expires,
            session.csrf,
            hex(name.as_bytes())
        );
        let value = format!("{signed}.{}", hex(&self.mac(&signed)));
        (value, session)
    }

    /// The session a cookie value carries, if the server signed it and it has not
    /// expired.
    pub fn verify(&self, value: &str) -> Option<Session> {
        let (signed, mac) = value.rsplit_once('.')?;
        let mut check = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key size");
        check.update(signed.as_bytes());
        check.verify_slice(&unhex(mac)?).ok()?;
        let mut parts = signed.splitn(3, '.');
        let expires: u64 = parts.next()?.parse().ok()?;
        let csrf = parts.next()?.to_string();
        let name = String::from_utf8(unhex(parts.next()?)?).ok()?;
        (expires > now_unix()).then_some(Session {
            name,
            expires,
            csrf,
        })
    }

    fn mac(&self, text: &str) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key size");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// How long `name` must wait before trying again, if it has failed too often.
    pub fn wait_for(&self, name: &str) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let &(count, since) = failures.get(name)?;
        let left = FAILURE_WINDOW.checked_sub(since.elapsed())?;
        (count >= MAX_FAILURES).then_some(left)
    }

    /// Counts a failed sign-in of `name`; a success clears the count.
    pub fn record(&self, name: &str, succeeded: bool) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if succeeded {
            failures.remove(name);
            return;
        }
        let entry = failures
            .entry(name.to_string())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() > FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
        // Names that never sign in must not grow the table without bound.
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| since.elapsed() <= FAILURE_WINDOW);
        }
    }
}

/// The key in `dir`'s [`KEY_FILE`], made (owner-readable only) if missing.
pub fn key_in_folder(dir: &Path) -> std::io::Result<[u8; 32]> {
    let path = dir.join(KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            std::io::Error::other(format!(
                "{} must hold 32 bytes; delete it to make a new one (signing everyone out)",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            write_private(&path, &key)?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Writes `bytes` to a new file only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_verifies_until_tampered_with_or_expired() {
        let sessions = Sessions::ephemeral(Duration::from_secs(3600));
        let (cookie, session) = sessions.issue("王 duty");
        assert_eq!(sessions.verify(&cookie), Some(session.clone()));
        // Another name, a later expiry, or another key: refused.
        let forged = cookie.replacen(&hex("王 duty".as_bytes()), &hex(b"admin"), 1);
        assert_eq!(sessions.verify(&forged), None);
        let later = cookie.replacen(
            &session.expires.to_string(),
            &(session.expires + 9999).to_string(),
            1,
        );
        assert_eq!(sessions.verify(&later), None);
        assert_eq!(
            Sessions::ephemeral(Duration::from_secs(3600)).verify(&cookie),
            None
        );
        assert_eq!(sessions.verify("garbage"), None);
        let expired = Sessions::with_key(sessions.key, Duration::ZERO);
        let (old, _) = expired.issue("a");
        assert_eq!(expired.verify(&old), None);
    }

    #[test]
    fn the_key_is_kept_so_sessions_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let first = Sessions::in_folder(dir.path(), Duration::from_secs(60)).unwrap();
        let (cookie, _) = first.issue("a");
        let again = Sessions::in_folder(dir.path(), Duration::from_secs(60)).unwrap();
        assert!(again.verify(&cookie).is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the key");
        }
    }

    #[test]
    fn a_name_that_fails_too_often_waits() {
        let sessions = Sessions::ephemeral(Duration::from_secs(60));
        for _ in 0..MAX_FAILURES - 1 {
            sessions.record("a", false);
        }
        assert_eq!(sessions.wait_for("a"), None);
        sessions.record("a", false);
        assert!(sessions.wait_for("a").is_some_and(|d| d <= FAILURE_WINDOW));
        assert_eq!(sessions.wait_for("b"), None);
        sessions.record("a", true);
        assert_eq!(sessions.wait_for("a"), None);
    }
}
