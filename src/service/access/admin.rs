//! Changes to a users file, for `riskatlas users`: each reads the file, changes one
//! user and writes it back beside and renamed over, so a crash leaves the old file or
//! the new.

use super::users::{Token, User, Users, UsersFile};
use super::{AccessError, Role};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use rand::RngCore;
use std::path::Path;

fn load(path: &Path) -> Result<UsersFile, AccessError> {
    let users = Users::read(path)?;
    Ok(UsersFile { users: users.users })
}

fn save(path: &Path, file: &UsersFile) -> Result<(), AccessError> {
    let fail = |why: String| AccessError::File {
        path: path.to_path_buf(),
        why,
    };
    let text = toml::to_string(file).map_err(|e| fail(e.to_string()))?;
    let text = format!(
        "# riskatlas users: roles, scopes and API tokens (argon2id hashes only).\n# Keep it with the data; edit it with `riskatlas users`.\n{text}"
    );
    // Written beside and renamed over, so a crash leaves the old file or the new.
    let temp = path.with_extension("toml.new");
    std::fs::write(&temp, text)
        .and_then(|_| std::fs::rename(&temp, path))
        .map_err(|e| fail(e.to_string()))
}

fn user_mut<'f>(
    file: &'f mut UsersFile,
    path: &Path,
    name: &str,
) -> Result<&'f mut User, AccessError> {
    file.users
        .iter_mut()
        .find(|u| u.name == name)
        .ok_or_else(|| AccessError::File {
            path: path.to_path_buf(),
            why: format!("no user {name:?}"),
        })
}

/// Adds a user (refusing a name already taken).
pub fn add(path: &Path, name: &str, role: Role, scope: Vec<String>) -> Result<(), AccessError> {
    let mut file = load(path)?;
    let fail = |why: String| AccessError::File {
        path: path.to_path_buf(),
        why,
    };
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(fail(format!(
            "user name {name:?} must be 1 to 64 characters with no control characters"
        )));
    }
    if file.users.iter().any(|u| u.name == name) {
        return Err(fail(format!("there is already a user {name:?}")));
    }
    file.users.push(User {
        name: name.to_string(),
        role,
        scope,
        tokens: Vec::new(),
        password: None,
        revoked: false,
    });
    save(path, &file)
}

/// Makes a new token for a user; returns it (it is shown once and stored hashed).
pub fn token(path: &Path, name: &str) -> Result<String, AccessError> {
    let mut file = load(path)?;
    let user = user_mut(&mut file, path, name)?;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let id = hex(&bytes[..4]);
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("ra_{id}_{}", hex(&secret));
    let hash = hash(&token).map_err(|why| AccessError::File {
        path: path.to_path_buf(),
        why,
    })?;
    user.tokens.push(Token {
        id,
        hash,
        created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    });
    save(path, &file)?;
    Ok(token)
}

/// The shortest password `password` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Sets a user's password for signing in on the page (stored as an argon2id hash).
pub fn password(path: &Path, name: &str, password: &str) -> Result<(), AccessError> {
    let fail = |why: String| AccessError::File {
        path: path.to_path_buf(),
        why,
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(fail(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let mut file = load(path)?;
    let user = user_mut(&mut file, path, name)?;
    user.password = Some(hash(password).map_err(fail)?);
    save(path, &file)
}

/// An argon2id hash of `secret` with a fresh salt, as a PHC string.
fn hash(secret: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Revokes a user: their tokens stop working at the next start of the server.
pub fn revoke(path: &Path, name: &str) -> Result<(), AccessError> {
    let mut file = load(path)?;
    let user = user_mut(&mut file, path, name)?;
    user.revoked = true;
    save(path, &file)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
