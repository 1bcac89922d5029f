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

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

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

/// Why access was not granted, or the users file not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// No credentials where they are needed (401).
    #[error("sign in: send Authorization: Bearer <token> (riskatlas users token NAME makes one)")]
    Unauthenticated,
    /// A name and password that do not sign anyone in (401).
    #[error("the name or the password is wrong")]
    BadSignIn,
    /// Every secret check is busy: try again shortly (503).
    #[error("signing in is busy; try again in a few seconds")]
    Busy,
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
         {users} add NAME --role admin && {users} token NAME\n\
         (or bind to 127.0.0.1 to work on this machine alone)"
    )]
    OpenOnNetwork {
        /// The address asked for.
        bind: std::net::SocketAddr,
        /// The command that adds users to the store that has none.
        users: String,
    },
    /// The users table is unreachable or wrong.
    #[error("users in PostGIS: {0}")]
    Database(String),
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
// One per server, made at start: the size of its larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Access {
    /// No users, on loopback: everyone is the local admin.
    Open,
    /// Users from a file; anonymous requests get `anonymous` (None: refused).
    Users {
        /// Where they are kept.
        users: Users,
        /// What a request without a token may do, if anything.
        anonymous: Option<Role>,
        /// The page's signed-in sessions.
        sessions: Sessions,
    },
}

/// Who a request proved it is, and the session it proved it with (none for a token).
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// Who.
    pub identity: Identity,
    /// The signed-in session, when the request came from the page.
    pub session: Option<Session>,
}

impl Access {
    /// Access by `users`, with sessions that end with the process (tests, tools).
    pub fn users(users: Users, anonymous: Option<Role>) -> Access {
        let lifetime = Duration::from_secs(session::DEFAULT_SESSION_HOURS * 3600);
        Access::Users {
            users,
            anonymous,
            sessions: Sessions::ephemeral(lifetime),
        }
    }

    /// A server's access: the users in `store` if it has any (sessions lasting
    /// `session_lifetime`, signed with the store's key); else, on loopback only, the
    /// open access of a developer's laptop (any other address is refused). `anonymous`
    /// is what a request without a token may do, when there are users.
    pub fn for_server(
        store: &(impl UserStore + ?Sized),
        bind: std::net::SocketAddr,
        anonymous: Option<Role>,
        session_lifetime: Duration,
    ) -> Result<Access, AccessError> {
        let users = Users::new(store.load()?);
        if !users.is_empty() {
            tracing::info!(users = users.list().len(), anonymous = ?anonymous, "access by token or signed-in session");
            let sessions = Sessions::from_key(store.session_key()?, session_lifetime);
            return Ok(Access::Users {
                users,
                anonymous,
                sessions,
            });
        }
        if !bind.ip().is_loopback() {
            return Err(AccessError::OpenOnNetwork {
                bind,
                users: store.command(),
            });
        }
        tracing::info!("no users: every request on loopback is the local admin");
        Ok(Access::Open)
    }

    /// Whether identifying a request with this `Authorization` header would check a
    /// token against its hash (slow by design: call [`Access::identify`] off the async
    /// threads then). Known tokens, cookies and anonymous requests are quick.
    pub fn needs_hashing(&self, authorization: Option<&str>) -> bool {
        match (self, authorization) {
            (Access::Users { users, .. }, Some(value)) => value
                .strip_prefix("Bearer ")
                .is_some_and(|token| !users.is_verified(token.trim())),
            _ => false,
        }
    }

    /// Who a request is, from its `Authorization` header or else its session cookie's
    /// value (neither: the anonymous role, if the server grants one).
    pub fn identify(
        &self,
        authorization: Option<&str>,
        cookie: Option<&str>,
    ) -> Result<Proof, AccessError> {
        let by_token = |identity| Proof {
            identity,
            session: None,
        };
        match self {
            Access::Open => Ok(by_token(Identity::local())),
            Access::Users {
                users,
                anonymous,
                sessions,
            } => {
                if let Some(value) = authorization {
                    let token = value
                        .strip_prefix("Bearer ")
                        .map(str::trim)
                        .ok_or(AccessError::BadToken)?;
                    return users.verify(token).map(by_token);
                }
                let session = cookie.and_then(|c| sessions.verify(c));
                if let Some(session) = session {
                    // A user revoked since signing in is signed out.
                    let identity = users
                        .named(&session.name)
                        .ok_or(AccessError::Unauthenticated)?;
                    return Ok(Proof {
                        identity,
                        session: Some(session),
                    });
                }
                anonymous
                    .map(|role| {
                        by_token(Identity {
                            name: "anonymous".into(),
                            role,
                            scope: Vec::new(),
                        })
                    })
                    .ok_or(AccessError::Unauthenticated)
            }
        }
    }
}

/// Changes to a users file, for `riskatlas users`.
pub mod admin;
pub mod hashing;
pub mod session;
pub mod store;
mod users;

pub use session::{Session, Sessions};
pub use store::UserStore;
pub use users::{Token, User, Users};

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
        let closed = Access::users(Users::read(&path).unwrap(), None);
        assert_eq!(
            closed.identify(None, None),
            Err(AccessError::Unauthenticated)
        );
        assert_eq!(
            closed.identify(Some("Basic abc"), None),
            Err(AccessError::BadToken)
        );
        // A cookie nobody signed is no session.
        assert_eq!(
            closed.identify(None, Some("1.2.3.4")),
            Err(AccessError::Unauthenticated)
        );
        let open_read = Access::users(Users::read(&path).unwrap(), Some(Role::Viewer));
        assert_eq!(
            open_read.identify(None, None).unwrap().identity.role,
            Role::Viewer
        );
        assert_eq!(
            Access::Open.identify(None, None).unwrap().identity,
            Identity::local()
        );
    }

    #[test]
    fn a_password_signs_its_user_in_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USERS_FILE);
        admin::add(&path, "a", Role::Editor, vec!["620524".into()]).unwrap();
        admin::add(&path, "b", Role::Viewer, vec![]).unwrap();
        assert!(admin::password(&path, "a", "short").is_err());
        admin::password(&path, "a", "correct horse battery").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"), "stored only hashed");
        let users = Users::read(&path).unwrap();
        let who = users.sign_in("a", "correct horse battery").unwrap();
        assert_eq!(
            (who.role, who.scope.clone()),
            (Role::Editor, vec!["620524".to_string()])
        );
        assert_eq!(
            users.sign_in("a", "correct horse batterY"),
            Err(AccessError::BadSignIn)
        );
        // No password set, or no such user: the same answer.
        assert_eq!(users.sign_in("b", ""), Err(AccessError::BadSignIn));
        assert_eq!(
            users.sign_in("nobody", "correct horse battery"),
            Err(AccessError::BadSignIn)
        );
        // A session of a revoked user no longer proves anything.
        let access = Access::users(users, None);
        let Access::Users { sessions, .. } = &access else {
            unreachable!()
        };
        let (cookie, _) = sessions.issue("a");
        assert_eq!(access.identify(None, Some(&cookie)).unwrap().identity, who);
        admin::revoke(&path, "a").unwrap();
        let Access::Users {
            sessions,
            anonymous,
            ..
        } = access
        else {
            unreachable!()
        };
        let revoked = Access::Users {
            users: Users::read(&path).unwrap(),
            anonymous,
            sessions,
        };
        assert_eq!(
            revoked.identify(None, Some(&cookie)),
            Err(AccessError::Unauthenticated)
        );
    }
}
