//! The users file: users, their roles, scopes and hashed tokens, and checking a token.

use super::hashing::{Checked, Verifier};
use super::store::UserStore;
use super::{AccessError, Identity, Role};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// One user as the users file keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// A name for people and the audit trail (any text, at most 64 characters).
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Admin codes they may see; empty or absent: everything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    /// Their API tokens, as argon2id hashes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<Token>,
    /// PHC string of the argon2id hash of their password, for signing in on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A revoked user's tokens no longer work.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
}

/// A token as stored: its public id (the part before the secret) and the secret's hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// The token's id, shown in lists and the start of the token itself.
    pub id: String,
    /// PHC string of the argon2id hash of the whole token.
    pub hash: String,
    /// When it was made (RFC 3339).
    pub created: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct UsersFile {
    #[serde(default, rename = "user")]
    pub(super) users: Vec<User>,
}

/// The users of a server, and the tokens verified so far.
pub struct Users {
    pub(super) users: Vec<User>,
    /// Tokens already verified (argon2 is slow by design; it is paid once per token per
    /// process), to the user's index.
    verified: Mutex<HashMap<String, usize>>,
    /// Checks secrets against their hashes in bounded memory.
    verifier: Verifier,
}

impl Users {
    /// Reads a users file; a missing file is no users.
    pub fn read(path: &Path) -> Result<Users, AccessError> {
        Ok(Users::new(path.load()?))
    }

    /// The users of any store.
    pub fn new(users: Vec<User>) -> Users {
        Users {
            users,
            verified: Mutex::new(HashMap::new()),
            verifier: Verifier::default(),
        }
    }

    /// Whether there is no user at all.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The users, for listing.
    pub fn list(&self) -> &[User] {
        &self.users
    }

    /// Who holds `token`.
    pub fn verify(&self, token: &str) -> Result<Identity, AccessError> {
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .copied();
        let index = match cached {
            Some(i) => i,
            None => {
                let i = self.find(token)?.ok_or(AccessError::BadToken)?;
                self.verified
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(token.to_string(), i);
                i
            }
        };
        Ok(identity(&self.users[index]))
    }

    /// Whether `token` was verified before (checking it again costs nothing).
    pub fn is_verified(&self, token: &str) -> bool {
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(token)
    }

    /// Who signs in with `name` and `password`. A wrong password and an unknown name
    /// take the same time and give the same answer: neither says which names exist.
    pub fn sign_in(&self, name: &str, password: &str) -> Result<Identity, AccessError> {
        let user = self.users.iter().find(|u| u.name == name && !u.revoked);
        let hash = user.and_then(|u| u.password.as_deref());
        let checked = self
            .verifier
            .check(password.as_bytes(), hash.unwrap_or(DUMMY_HASH));
        if checked == Checked::Busy {
            return Err(AccessError::Busy);
        }
        let ok = checked == Checked::Match && hash.is_some();
        match user {
            Some(user) if ok => Ok(identity(user)),
            _ => Err(AccessError::BadSignIn),
        }
    }

    /// The identity of the user called `name`, unless revoked (a session's user).
    pub fn named(&self, name: &str) -> Option<Identity> {
        self.users
            .iter()
            .find(|u| u.name == name && !u.revoked)
            .map(identity)
    }

    /// The user holding `token`, by the token's id, then its hash (None: nobody).
    fn find(&self, token: &str) -> Result<Option<usize>, AccessError> {
        let Some(id) = token_id(token) else {
            return Ok(None);
        };
        for (i, user) in self.users.iter().enumerate().filter(|(_, u)| !u.revoked) {
            for stored in user.tokens.iter().filter(|t| t.id == id) {
                match self.verifier.check(token.as_bytes(), &stored.hash) {
                    Checked::Match => return Ok(Some(i)),
                    Checked::Busy => return Err(AccessError::Busy),
                    Checked::NoMatch => {}
                }
            }
        }
        Ok(None)
    }
}

fn identity(user: &User) -> Identity {
    Identity {
        name: user.name.clone(),
        role: user.role,
        scope: user.scope.clone(),
    }
}

/// An argon2id hash of nothing anyone knows, checked against when the name has no
/// password, so that case costs what a wrong password costs.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Nj/7HfEsBnwtdFfC1WmHkkuxcsYq4wQ5o7Zm2HcOWc";

/// A token's id: `ra_<id>_<secret>`.
fn token_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("ra_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && secret.len() >= 32).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stand-in hash must parse, or an unknown name would answer faster than a
    /// wrong password and give the names away.
    #[test]
    fn the_stand_in_hash_is_a_real_argon2id_hash() {
        let hash = argon2::password_hash::PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(hash.algorithm.as_str(), "argon2id");
        assert_eq!(
            super::super::hashing::Verifier::default().check(b"", DUMMY_HASH),
            Checked::NoMatch
        );
    }
}
