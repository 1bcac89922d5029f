//! Who may do what: identities, roles and the tokens that prove them.
//!
//! A bureau's server is shared by a county, its townships and sometimes the province,
//! on an intranet where anyone can reach the port. So riskatlas checks who is asking
//! itself rather than leaving it to a reverse proxy:
//!
//! 1. users live in `users.toml` in the data folder (or a file given with `--users`),
//!    each with a role and a scope (admin codes); `riskatlas users add|list|revoke|token`
//!    keeps it;
//! 2. a request proves who it is with `Authorization: Bearer <token>`; tokens are 32
//!    random bytes, stored only as an argon2id hash (memory-hard, so a stolen file does
//!    not give the tokens away), verified once per process and then remembered in
//!    memory;
//! 3. roles are ordered — `viewer` (maps, features, analyses) < `planner` (+ exports,
//!    cards, reports) < `editor` (+ edits and the audit trail) < `admin` — and each route
//!    needs one (`crate::api::access`, one table);
//! 4. with no users configured, a server bound to loopback treats every request as the
//!    local admin (the developer's laptop: the README's command just works), and a
//!    server bound to any other address refuses to start, saying how to add a user.
//!
//! The audit trail records the identity proven here, never what a header claims.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The users file of a data folder.
pub const USERS_FILE: &str = "users.toml";

/// What a user may do; each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Maps, features and analyses.
    Viewer,
    /// And exports, printable cards and reports.
    Planner,
    /// And edits, and the audit trail.
    Editor,
    /// And users.
    Admin,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "planner" => Ok(Role::Planner),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?}; roles are viewer, planner, editor and admin"
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Viewer => "viewer",
            Role::Planner => "planner",
            Role::Editor => "editor",
            Role::Admin => "admin",
        })
    }
}

/// Who is asking, as proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user's name, as the audit trail records it.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Admin codes they may see (empty: everything).
    pub scope: Vec<String>,
}

impl Identity {
    /// How personal data reads for them: in full for planners and above, who make
    /// the calls; masked for viewers.
    pub fn disclosure(&self) -> crate::atlas::Disclosure {
        if self.role >= Role::Planner {
            crate::atlas::Disclosure::Full
        } else {
            crate::atlas::Disclosure::Masked
        }
    }

    /// The developer on a loopback server without users.
    pub fn local() -> Identity {
        Identity {
            name: "local".into(),
            role: Role::Admin,
            scope: Vec::new(),
        }
    }
}

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
struct UsersFile {
    #[serde(default, rename = "user")]
    users: Vec<User>,
}

/// Why access was not granted, or the users file not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// No credentials where they are needed (401).
    #[error("sign in: send Authorization: Bearer <token> (riskatlas users token NAME makes one)")]
    Unauthenticated,
    /// Credentials that prove nothing (401).
    #[error("the token is not valid (unknown, revoked, or mistyped)")]
    BadToken,
    /// Proven, but not allowed (403).
    #[error("{name} is a {role}; this needs {needed} or above")]
    Forbidden {
        /// Who asked.
        name: String,
        /// Their role.
        role: Role,
        /// The role the request needs.
        needed: Role,
    },
    /// No users, on an address others can reach.
    #[error(
        "refusing to serve {bind} with no users: anyone on the network could edit the shelters \
         and read every duty officer's phone. Add a user first:\n  \
         riskatlas users --file {users} add NAME --role admin && riskatlas users --file {users} token NAME\n\
         (or bind to 127.0.0.1 to work on this machine alone)"
    )]
    OpenOnNetwork {
        /// The address asked for.
        bind: std::net::SocketAddr,
        /// The users file that has no users.
        users: String,
    },
    /// The users file is unreadable or wrong.
    #[error("users file {path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// How a server decides who is asking.
pub enum Access {
    /// No users, on loopback: everyone is the local admin.
    Open,
    /// Users from a file; anonymous requests get `anonymous` (None: refused).
    Users {
        /// Where they are kept.
        users: Users,
        /// What a request without a token may do, if anything.
        anonymous: Option<Role>,
    },
}

impl Access {
    /// A server's access: the users in `users_file` if it has any; else, on loopback
    /// only, the open access of a developer's laptop (any other address is refused).
    /// `anonymous` is what a request without a token may do, when there are users.
    pub fn for_server(
        users_file: &Path,
        bind: std::net::SocketAddr,
        anonymous: Option<Role>,
    ) -> Result<Access, AccessError> {
        let users = Users::read(users_file)?;
        if !users.is_empty() {
            tracing::info!(users = users.list().len(), file = %users_file.display(), anonymous = ?anonymous, "access by token");
            return Ok(Access::Users { users, anonymous });
        }
        if !bind.ip().is_loopback() {
            return Err(AccessError::OpenOnNetwork {
                bind,
                users: users_file.display().to_string(),
            });
        }
        tracing::info!("no users: every request on loopback is the local admin");
        Ok(Access::Open)
    }

    /// Who a request with this `Authorization` header is (None: no header).
    pub fn identify(&self, authorization: Option<&str>) -> Result<Identity, AccessError> {
        match self {
            Access::Open => Ok(Identity::local()),
            Access::Users { users, anonymous } => match authorization {
                Some(value) => {
                    let token = value
                        .strip_prefix("Bearer ")
                        .map(str::trim)
                        .ok_or(AccessError::BadToken)?;
                    users.verify(token)
                }
                None => anonymous
                    .map(|role| Identity {
                        name: "anonymous".into(),
                        role,
                        scope: Vec::new(),
                    })
                    .ok_or(AccessError::Unauthenticated),
            },
        }
    }
}

/// The users of a server, and the tokens verified so far.
pub struct Users {
    users: Vec<User>,
    /// Tokens already verified (argon2 is slow by design; it is paid once per token per
    /// process), to the user's index.
    verified: Mutex<HashMap<String, usize>>,
}

impl Users {
    /// Reads a users file; a missing file is no users.
    pub fn read(path: &Path) -> Result<Users, AccessError> {
        let users = match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str::<UsersFile>(&text)
                    .map_err(|e| AccessError::File {
                        path: path.to_path_buf(),
                        why: e.to_string(),
                    })?
                    .users
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(AccessError::File {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                });
            }
        };
        Ok(Users {
            users,
            verified: Mutex::new(HashMap::new()),
        })
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
                let i = self.find(token).ok_or(AccessError::BadToken)?;
                self.verified
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(token.to_string(), i);
                i
            }
        };
        let user = &self.users[index];
        Ok(Identity {
            name: user.name.clone(),
            role: user.role,
            scope: user.scope.clone(),
        })
    }

    /// The user holding `token`, by the token's id, then its hash.
    fn find(&self, token: &str) -> Option<usize> {
        let id = token_id(token)?;
        self.users.iter().position(|u| {
            !u.revoked
                && u.tokens
                    .iter()
                    .filter(|t| t.id == id)
                    .any(|t| verify_hash(token, &t.hash))
        })
    }
}

/// A token's id: `ra_<id>_<secret>`.
fn token_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("ra_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && secret.len() >= 32).then_some(id)
}

fn verify_hash(token: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(token.as_bytes(), &h)
            .is_ok()
    })
}

/// Changes to a users file, for `riskatlas users`.
pub mod admin {
    use super::*;
    use rand::RngCore;

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
        if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control)
        {
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
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| AccessError::File {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        let hash = Argon2::default()
            .hash_password(token.as_bytes(), &salt)
            .map_err(|e| AccessError::File {
                path: path.to_path_buf(),
                why: e.to_string(),
            })?
            .to_string();
        user.tokens.push(Token {
            id,
            hash,
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        });
        save(path, &file)?;
        Ok(token)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_from_viewer_to_admin() {
        assert!(Role::Viewer < Role::Planner && Role::Planner < Role::Editor);
        assert!(Role::Editor < Role::Admin);
        assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("viewer, planner")
        );
    }

    #[test]
    fn a_token_works_until_its_user_is_revoked_and_the_file_holds_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USERS_FILE);
        admin::add(&path, "王 duty", Role::Editor, vec!["620524".into()]).unwrap();
        let token = admin::token(&path, "王 duty").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&token[8..]),
            "the secret is stored only hashed"
        );
        assert!(text.contains("$argon2id$"));
        let users = Users::read(&path).unwrap();
        let who = users.verify(&token).unwrap();
        assert_eq!((who.name.as_str(), who.role), ("王 duty", Role::Editor));
        assert_eq!(who.scope, vec!["620524".to_string()]);
        // A token one character off is not anyone's.
        let mut wrong = token.clone();
        wrong.pop();
        wrong.push(if token.ends_with('0') { '1' } else { '0' });
        assert_eq!(users.verify(&wrong), Err(AccessError::BadToken));
        admin::revoke(&path, "王 duty").unwrap();
        assert_eq!(
            Users::read(&path).unwrap().verify(&token),
            Err(AccessError::BadToken)
        );
    }

    #[test]
    fn without_a_token_only_the_anonymous_role_is_granted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USERS_FILE);
        admin::add(&path, "a", Role::Admin, vec![]).unwrap();
        let closed = Access::Users {
            users: Users::read(&path).unwrap(),
            anonymous: None,
        };
        assert_eq!(closed.identify(None), Err(AccessError::Unauthenticated));
        assert_eq!(
            closed.identify(Some("Basic abc")),
            Err(AccessError::BadToken)
        );
        let open_read = Access::Users {
            users: Users::read(&path).unwrap(),
            anonymous: Some(Role::Viewer),
        };
        assert_eq!(open_read.identify(None).unwrap().role, Role::Viewer);
        assert_eq!(Access::Open.identify(None).unwrap(), Identity::local());
    }
}
