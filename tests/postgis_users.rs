//! Users kept in PostGIS (`riskatlas users --postgis URL …`): the same roles, scopes,
//! hashed tokens and passwords as a users file, and one session key shared by every
//! server on the database, against a real PostgreSQL (`scripts/with-postgis`).
#![allow(clippy::unwrap_used)]
#![cfg(feature = "postgis")]

use riskatlas::service::access::{Access, Role, Sessions, UserStore, Users, admin};
use riskatlas::store::postgis::PostgisUsers;
use std::time::Duration;

/// A database of this test's own (the other PostGIS tests run beside it), or None
/// (with the reason printed) when there is no PostgreSQL to test against.
fn database() -> Option<String> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        assert!(
            std::env::var("RISKATLAS_REQUIRE_POSTGIS").is_err(),
            "RISKATLAS_REQUIRE_POSTGIS is set but DATABASE_URL is not: run under scripts/with-postgis"
        );
        eprintln!(
            "SKIPPED the PostGIS users tests: no DATABASE_URL (run under scripts/with-postgis)"
        );
        return None;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        for sql in [
            "DROP DATABASE IF EXISTS riskatlas_users_test WITH (FORCE)",
            "CREATE DATABASE riskatlas_users_test",
        ] {
            sqlx::query(sql).execute(&admin).await.unwrap();
        }
        let own = sqlx::PgPool::connect(&url.replacen("/riskatlas", "/riskatlas_users_test", 1))
            .await
            .unwrap();
        sqlx::query("CREATE EXTENSION postgis")
            .execute(&own)
            .await
            .unwrap();
    });
    Some(url.replacen("/riskatlas", "/riskatlas_users_test", 1))
}

#[test]
fn users_in_postgis_sign_in_like_users_in_a_file_and_share_one_session_key() {
    let Some(url) = database() else { return };
    let store = PostgisUsers::connect(&url).unwrap();
    let bind = "0.0.0.0:8080".parse().unwrap();
    // No users yet: a server on the network refuses to start, saying how to add one.
    let refused = Access::for_server(&store, bind, None, Duration::from_secs(60))
        .err()
        .unwrap();
    assert!(
        refused.to_string().contains("riskatlas users --postgis"),
        "{refused}"
    );

    admin::add(
        &store,
        "镇值班 duty",
        Role::Editor,
        vec!["629901100000".into()],
    )
    .unwrap();
    assert!(
        admin::add(&store, "镇值班 duty", Role::Viewer, vec![]).is_err(),
        "names are unique"
    );
    let token = admin::token(&store, "镇值班 duty").unwrap();
    admin::password(&store, "镇值班 duty", "levee watch 2026").unwrap();

    let users = Users::new(store.load().unwrap());
    let who = users.verify(&token).unwrap();
    assert_eq!(
        (who.role, who.scope.clone()),
        (Role::Editor, vec!["629901100000".to_string()])
    );
    assert_eq!(
        users.sign_in("镇值班 duty", "levee watch 2026").unwrap(),
        who
    );

    // Only hashes are kept.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored: String = runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT tokens::text || coalesce(password, '') FROM riskatlas_users")
            .fetch_one(&pool)
            .await
            .unwrap()
    });
    assert!(!stored.contains(&token[12..]) && !stored.contains("levee watch"));
    assert!(stored.contains("$argon2id$"));

    // A second server on the database signs with the same key: a session from one is
    // good on the other.
    let other = PostgisUsers::connect(&url).unwrap();
    let (key, again) = (store.session_key().unwrap(), other.session_key().unwrap());
    assert_eq!(key, again);
    let (cookie, _) = Sessions::from_key(key, Duration::from_secs(60)).issue("镇值班 duty");
    assert!(
        Sessions::from_key(again, Duration::from_secs(60))
            .verify(&cookie)
            .is_some()
    );

    // Revoked in the table: the token proves nothing to a server that starts after.
    admin::revoke(&store, "镇值班 duty").unwrap();
    assert!(Users::new(other.load().unwrap()).verify(&token).is_err());

    // The command line reaches the same table.
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args(["users", "--postgis", &url, "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(
        text.contains("镇值班 duty") && text.contains("revoked"),
        "{text}"
    );
}
