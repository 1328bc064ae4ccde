//! `tollgate admin create-user`: the first human operator, made on the server itself. The
//! password comes from `TOLLGATE_ADMIN_PASSWORD` or the first line of standard input, never from
//! the command line (which other users of the machine can read).

use std::io::BufRead as _;

use anyhow::Context as _;
use tollgate_app::NewOperator;
use tollgate_ports::Secret;

use crate::application;
use crate::settings::Settings;

/// The environment variable the password may come from.
pub const PASSWORD_VARIABLE: &str = "TOLLGATE_ADMIN_PASSWORD";

/// The password: the environment variable when set, else the first line of standard input
/// (without its line ending).
fn password() -> anyhow::Result<Secret> {
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE) {
        return Ok(Secret::new(password));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}

/// Creates the user and prints their id.
///
/// # Errors
/// An unreadable password; a password, e-mail or name the use case refuses; an e-mail in use;
/// storage errors.
pub async fn create_user(
    settings: &Settings,
    email: String,
    name: String,
    platform_admin: bool,
) -> anyhow::Result<()> {
    let password = password()?;
    let store = application::open_store(settings).await?;
    let tollgate = application::tollgate(settings, &store, application::clock(settings))?;
    let created = tollgate.create_operator(NewOperator { email, name, password, platform_admin }).await;
    store.close().await;
    let user = created.context("creating the user")?;
    let role = if user.platform_admin { "platform admin" } else { "user" };
    println!("created {role} {} <{}>", user.id, user.email);
    Ok(())
}
