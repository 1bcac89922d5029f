//! Where users are kept: a users file (the default, beside the data) or PostGIS's
//! `riskatlas_users` table (for servers that share a database). `riskatlas users` and a
//! starting server read and change them through [`UserStore`], whichever it is.

use super::AccessError;
use super::users::{User, UsersFile};
use std::path::{Path, PathBuf};

/// A place users are kept.
pub trait UserStore {
    /// Every user.
    fn load(&self) -> Result<Vec<User>, AccessError>;
    /// Keeps `changed`, one of `all` (a file rewrites them all; a table, the one row).
    fn put(&self, all: &[User], changed: &User) -> Result<(), AccessError>;
    /// The key session cookies are signed with, made on first use, shared by every
    /// server using this store.
    fn session_key(&self) -> Result<[u8; 32], AccessError>;
    /// An error about this store, naming it.
    fn fail(&self, why: String) -> AccessError;
    /// `riskatlas users` with the option that names this store.
    fn command(&self) -> String;
}

/// A users file (TOML). A missing file is no users.
impl<P: AsRef<Path>> UserStore for P {
    fn load(&self) -> Result<Vec<User>, AccessError> {
        let path = self.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str::<UsersFile>(&text)
                .map(|f| f.users)
                .map_err(|e| self.fail(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.fail(e.to_string())),
        }
    }

    fn put(&self, all: &[User], _changed: &User) -> Result<(), AccessError> {
        let path = self.as_ref();
        let file = UsersFile {
            users: all.to_vec(),
        };
        let text = toml::to_string(&file).map_err(|e| self.fail(e.to_string()))?;
        let text = format!(
            "# riskatlas users: roles, scopes and API tokens (argon2id hashes only).\n# Keep it with the data; edit it with `riskatlas users`.\n{text}"
        );
        // Written beside and renamed over, so a crash leaves the old file or the new.
        let temp = path.with_extension("toml.new");
        std::fs::write(&temp, text)
            .and_then(|_| std::fs::rename(&temp, path))
            .map_err(|e| self.fail(e.to_string()))
    }

    fn session_key(&self) -> Result<[u8; 32], AccessError> {
        let folder = self.as_ref().parent().filter(|p| !p.as_os_str().is_empty());
        super::session::key_in_folder(folder.unwrap_or(Path::new(".")))
            .map_err(|e| self.fail(format!("its session key: {e}")))
    }

    fn command(&self) -> String {
        format!("riskatlas users --file {}", self.as_ref().display())
    }

    fn fail(&self, why: String) -> AccessError {
        AccessError::File {
            path: PathBuf::from(self.as_ref()),
            why,
        }
    }
}
