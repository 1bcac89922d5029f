//! Changes to the users, for `riskatlas users`: each reads them from their store (a
//! users file, or PostGIS), changes one user and keeps it.

use super::store::UserStore;
use super::users::{Token, User};
use super::{AccessError, Role};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use rand::RngCore;

/// The user `name` of `users`, for changing.
fn user_mut<'u>(
    users: &'u mut [User],
    store: &(impl UserStore + ?Sized),
    name: &str,
) -> Result<&'u mut User, AccessError> {
    users
        .iter_mut()
        .find(|u| u.name == name)
        .ok_or_else(|| store.fail(format!("no user {name:?}")))
}

/// Loads the users, changes `name`'s with `change`, and keeps the change.
fn change(
    store: &(impl UserStore + ?Sized),
    name: &str,
    change: impl FnOnce(&mut User) -> Result<(), AccessError>,
) -> Result<(), AccessError> {
    let mut users = store.load()?;
    let user = user_mut(&mut users, store, name)?;
    change(user)?;
    let changed = user.clone();
    store.put(&users, &changed)
}

/// Adds a user (refusing a name already taken).
pub fn add(
    store: &(impl UserStore + ?Sized),
    name: &str,
    role: Role,
    scope: Vec<String>,
) -> Result<(), AccessError> {
    let mut users = store.load()?;
    let fail = |why: String| store.fail(why);
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(fail(format!(
            "user name {name:?} must be 1 to 64 characters with no control characters"
        )));
    }
    if users.iter().any(|u| u.name == name) {
        return Err(fail(format!("there is already a user {name:?}")));
    }
    let user = User {
        name: name.to_string(),
        role,
        scope,
        tokens: Vec::new(),
        password: None,
        revoked: false,
    };
    users.push(user.clone());
    store.put(&users, &user)
}

/// Makes a new token for a user; returns it (it is shown once and stored hashed).
pub fn token(store: &(impl UserStore + ?Sized), name: &str) -> Result<String, AccessError> {
    let mut bytes = [0u8; 4];
    rand::rng().fill_bytes(&mut bytes);
    let id = hex(&bytes);
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("ra_{id}_{}", hex(&secret));
    let hash = hash(&token).map_err(|why| store.fail(why))?;
    change(store, name, |user| {
        user.tokens.push(Token {
            id,
            hash,
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        });
        Ok(())
    })?;
    Ok(token)
}

/// The shortest password `password` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Sets a user's password for signing in on the page (stored as an argon2id hash).
pub fn password(
    store: &(impl UserStore + ?Sized),
    name: &str,
    password: &str,
) -> Result<(), AccessError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(store.fail(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let hashed = hash(password).map_err(|why| store.fail(why))?;
    change(store, name, |user| {
        user.password = Some(hashed);
        Ok(())
    })
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
pub fn revoke(store: &(impl UserStore + ?Sized), name: &str) -> Result<(), AccessError> {
    change(store, name, |user| {
        user.revoked = true;
        Ok(())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
