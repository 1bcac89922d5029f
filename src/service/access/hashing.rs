//! Checking a password or token against its argon2id hash, in bounded memory.
//!
//! argon2id is memory-hard by design: one check fills 19 MiB (the default `m_cost`).
//! Left to the allocator, every thread that ever checked a secret kept its 19 MiB:
//! 1,839 sign-ins in 20 s from 8 clients took a server to 2.25 GB resident, and it
//! stayed there — anyone who can reach the sign-in could do that with wrong passwords
//! under made-up names. So checks share a fixed pool of buffers, allocated once and
//! reused: at most [`SLOTS`] run at once, and one that would wait longer than
//! [`MAX_WAIT`] for a buffer is refused as busy rather than queued without end.

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Checks running at once (each holds one buffer of `m_cost` KiB).
pub const SLOTS: usize = 2;

/// The longest a check waits for a buffer before it is refused as busy.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// The largest `m_cost` (KiB) a stored hash may ask for: 256 MiB. More is not a hash
/// riskatlas wrote, and would let a users file exhaust memory.
pub const MAX_M_COST_KIB: u32 = 256 * 1024;

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The secret is the one hashed.
    Match,
    /// It is not (or the hash is not a valid argon2 PHC string).
    NoMatch,
    /// Every buffer stayed taken for [`MAX_WAIT`]: try again shortly.
    Busy,
}

/// A pool of [`SLOTS`] argon2 buffers.
pub struct Verifier {
    free: Mutex<Vec<Vec<Block>>>,
    returned: Condvar,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            free: Mutex::new(vec![Vec::new(); SLOTS]),
            returned: Condvar::new(),
        }
    }
}

impl Verifier {
    /// Whether `secret` is the one `phc` (an argon2 PHC string) hashes.
    pub fn check(&self, secret: &[u8], phc: &str) -> Checked {
        let Some(mut buffer) = self.take() else {
            return Checked::Busy;
        };
        let matched = compute(secret, phc, &mut buffer);
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(buffer);
        self.returned.notify_one();
        if matched {
            Checked::Match
        } else {
            Checked::NoMatch
        }
    }

    /// A free buffer, waiting at most [`MAX_WAIT`] for one.
    fn take(&self) -> Option<Vec<Block>> {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let (mut free, _) = self
            .returned
            .wait_timeout_while(free, MAX_WAIT, |f| f.is_empty())
            .unwrap_or_else(|e| e.into_inner());
        free.pop()
    }
}

/// The argon2 hash of `secret` with `phc`'s algorithm, version, parameters and salt,
/// computed in `buffer`, compared in constant time with `phc`'s.
fn compute(secret: &[u8], phc: &str, buffer: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(hash.algorithm),
        Params::try_from(&hash),
        hash.salt,
        hash.hash,
    ) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST_KIB {
        return false;
    }
    let version = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .unwrap_or_default();
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let Ok(params) = Params::new(
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Some(out.len()),
    ) else {
        return false;
    };
    let hasher = Argon2::new(algorithm, version, params);
    if hasher
        .hash_password_into_with_memory(secret, salt, &mut out, &mut buffer[..blocks])
        .is_err()
    {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, SaltString};

    fn hashed(secret: &str) -> String {
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    /// The pooled check agrees with the crate's own verification.
    #[test]
    fn the_pooled_check_agrees_with_argon2s_own() {
        use argon2::password_hash::PasswordVerifier;
        let phc = hashed("levee watch 2026");
        let verifier = Verifier::default();
        for guess in ["levee watch 2026", "levee watch 2025", ""] {
            let theirs = Argon2::default()
                .verify_password(guess.as_bytes(), &PasswordHash::new(&phc).unwrap())
                .is_ok();
            let ours = verifier.check(guess.as_bytes(), &phc) == Checked::Match;
            assert_eq!(ours, theirs, "{guess:?}");
        }
        assert_eq!(verifier.check(b"x", "not a hash"), Checked::NoMatch);
    }

    /// Many checks at once reuse the pool's buffers: never more than SLOTS of them.
    #[test]
    fn concurrent_checks_share_the_pool() {
        let phc = hashed("secret");
        let verifier = Verifier::default();
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| assert_eq!(verifier.check(b"secret", &phc), Checked::Match));
            }
        });
        let free = verifier.free.lock().unwrap();
        assert_eq!(free.len(), SLOTS);
        assert!(free.iter().all(|b| b.len() <= 19 * 1024));
    }
}
