//! `riskatlas users`: add, list, token, password and revoke, in a users file or PostGIS.

use std::process::ExitCode;

/// `riskatlas users`: add, list, token, revoke.
pub fn run(args: riskatlas::config::UsersArgs) -> anyhow::Result<ExitCode> {
    use riskatlas::config::UsersAction;
    use riskatlas::service::access::{USERS_FILE, UserStore, Users, admin};
    let store: Box<dyn UserStore> = match &args.postgis {
        #[cfg(feature = "postgis")]
        Some(url) => Box::new(riskatlas::store::postgis::PostgisUsers::connect(url)?),
        #[cfg(not(feature = "postgis"))]
        Some(_) => anyhow::bail!("--postgis: this build has no PostGIS support"),
        None => Box::new(args.file.unwrap_or_else(|| args.data.join(USERS_FILE))),
    };
    let store = &*store;
    match args.action {
        UsersAction::Add { name, role, scope } => {
            let role = role
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
            admin::add(store, &name, role, scope)?;
            eprintln!(
                "added {name} ({role}); make a token with `{} token {name:?}`",
                store.command()
            );
        }
        UsersAction::List => {
            for u in Users::new(store.load()?).list() {
                let tokens: Vec<&str> = u.tokens.iter().map(|t| t.id.as_str()).collect();
                println!(
                    "{}\t{}\tscope: {}\ttokens: {}{}",
                    u.name,
                    u.role,
                    if u.scope.is_empty() {
                        "all".to_string()
                    } else {
                        u.scope.join(",")
                    },
                    if tokens.is_empty() {
                        "none".to_string()
                    } else {
                        tokens.join(",")
                    },
                    if u.revoked { "\trevoked" } else { "" }
                );
            }
        }
        UsersAction::Token { name } => {
            let token = admin::token(store, &name)?;
            eprintln!("a new token for {name}; it is shown this once, and stored only hashed:");
            println!("{token}");
        }
        UsersAction::Revoke { name } => {
            admin::revoke(store, &name)?;
            eprintln!("revoked {name}; restart the server for it to take effect");
        }
        UsersAction::Password { name } => {
            use std::io::IsTerminal;
            let password = if std::io::stdin().is_terminal() {
                let first = rpassword::prompt_password(format!("password for {name}: "))?;
                let again = rpassword::prompt_password("again: ")?;
                anyhow::ensure!(first == again, "the two passwords differ; nothing changed");
                first
            } else {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            };
            admin::password(store, &name, &password)?;
            eprintln!("{name} can sign in on the web page with this password");
        }
    }
    Ok(ExitCode::SUCCESS)
}
