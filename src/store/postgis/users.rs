//! Users in PostGIS: the `riskatlas_users` table (and the shared session key in
//! `riskatlas_settings`), behind the same [`UserStore`] as a users file, so
//! `riskatlas users --postgis URL …` and a server on the database keep them alike.
//!
//! The store is used where nothing else runs yet (the `users` command, a server's
//! start-up), so it carries its own small runtime and blocks on each query.

use crate::service::access::{AccessError, Role, Token, User, UserStore};
use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::types::Json;

/// The users of a PostGIS database.
pub struct PostgisUsers {
    runtime: tokio::runtime::Runtime,
    pool: PgPool,
    url: String,
}

impl PostgisUsers {
    /// Connects (bringing the schema up to date). Call it outside any async context.
    pub fn connect(url: &str) -> anyhow::Result<PostgisUsers> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let pool = runtime.block_on(super::connect(url))?;
        Ok(PostgisUsers {
            runtime,
            pool,
            url: super::redact(url),
        })
    }

    fn query<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, AccessError> {
        self.runtime
            .block_on(work)
            .map_err(|e| self.fail(e.to_string()))
    }
}

impl UserStore for PostgisUsers {
    fn load(&self) -> Result<Vec<User>, AccessError> {
        let rows = self.query(
            sqlx::query(
                "SELECT name, role, scope, tokens, password, revoked FROM riskatlas_users ORDER BY name",
            )
            .fetch_all(&self.pool),
        )?;
        rows.into_iter()
            .map(|row| {
                let role: String = row.get("role");
                let Json(tokens): Json<Vec<Token>> = row.get("tokens");
                Ok(User {
                    name: row.get("name"),
                    role: role.parse::<Role>().map_err(|e| self.fail(e))?,
                    scope: row.get("scope"),
                    tokens,
                    password: row.get("password"),
                    revoked: row.get("revoked"),
                })
            })
            .collect()
    }

    fn put(&self, _all: &[User], changed: &User) -> Result<(), AccessError> {
        self.query(
            sqlx::query(
                "INSERT INTO riskatlas_users (name, role, scope, tokens, password, revoked) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, scope = EXCLUDED.scope, \
                 tokens = EXCLUDED.tokens, password = EXCLUDED.password, \
                 revoked = EXCLUDED.revoked, updated = now()",
            )
            .bind(&changed.name)
            .bind(changed.role.to_string())
            .bind(&changed.scope)
            .bind(Json(&changed.tokens))
            .bind(&changed.password)
            .bind(changed.revoked)
            .execute(&self.pool),
        )?;
        Ok(())
    }

    fn session_key(&self) -> Result<[u8; 32], AccessError> {
        use rand::RngCore;
        let mut fresh = [0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        // The first server to ask makes it; every other one reads that one.
        self.query(
            sqlx::query(
                "INSERT INTO riskatlas_settings (name, value) VALUES ('session_key', $1) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(fresh.as_slice())
            .execute(&self.pool),
        )?;
        let key: Vec<u8> = self.query(
            sqlx::query_scalar("SELECT value FROM riskatlas_settings WHERE name = 'session_key'")
                .fetch_one(&self.pool),
        )?;
        <[u8; 32]>::try_from(key.as_slice())
            .map_err(|_| self.fail("the session key in riskatlas_settings is not 32 bytes".into()))
    }

    fn fail(&self, why: String) -> AccessError {
        AccessError::Database(format!("{}: {why}", self.url))
    }

    fn command(&self) -> String {
        format!("riskatlas users --postgis {}", self.url)
    }
}
