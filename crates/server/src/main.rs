//! # tollgate
//!
//! The Tollgate server: `tollgate serve` runs the HTTP API, `tollgate migrate` applies the
//! database migrations, `tollgate plans apply FILE` publishes plans as code, `tollgate admin
//! create-user` creates the first human operator. Settings come from
//! `config/default.toml`, `--config FILE` and `TOLLGATE__SECTION__KEY` environment variables.

mod adapters;
mod admin_cli;
mod application;
mod plans_file;
mod retention;
mod scheduler;
mod seats;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::settings::Settings;

/// Tollgate enforces subscription plans.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, about)]
struct Cli {
    /// A settings file layered over config/default.toml (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API until SIGINT or SIGTERM.
    Serve,
    /// Apply pending database migrations and print which are applied.
    Migrate {
        /// Only print the applied and pending migrations.
        #[arg(long)]
        status: bool,
    },
    /// Plans as code.
    Plans {
        #[command(subcommand)]
        command: PlansCommand,
    },
    /// Operators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Billing.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BillingCommand {
    /// Run everything due (trials, renewals, retries, dunning) once, at `--at` (default: now),
    /// and print what it did as JSON.
    Run {
        /// The instant to run at, RFC 3339 (`2027-01-01T00:00:00Z`): rehearses that day.
        #[arg(long, value_parser = parse_instant)]
        at: Option<time::OffsetDateTime>,
    },
}

fn parse_instant(value: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("not an RFC 3339 instant: {e}"))
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user (the first human operator) whose password is read from
    /// TOLLGATE_ADMIN_PASSWORD or standard input (at least 10 characters).
    CreateUser {
        /// Their e-mail address.
        #[arg(long)]
        email: String,
        /// Their display name.
        #[arg(long)]
        name: String,
        /// Make them a platform admin.
        #[arg(long)]
        platform_admin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PlansCommand {
    /// Publish every plan of a TOML file (identical terms keep their version).
    Apply {
        /// The plans file.
        file: PathBuf,
    },
}

fn init_tracing() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
    let _ = tracing_subscriber::registry().with(filter).with(fmt).try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => application::serve(settings).await,
        Command::Migrate { status } => {
            let store = if status {
                tollgate_store::Store::connect(&tollgate_store::StoreConfig::new(
                    settings.database.url.clone(),
                ))
                .await
                .with_context(|| format!("connecting to {}", settings::redact_url(&settings.database.url)))?
            } else {
                application::open_store(&settings).await?
            };
            let migrations = store.migration_status().await?;
            for name in &migrations.applied {
                println!("applied  {name}");
            }
            for name in &migrations.pending {
                println!("pending  {name}");
            }
            if migrations.pending.is_empty() {
                println!("the database is up to date ({} applied)", migrations.applied.len());
            }
            store.close().await;
            Ok(())
        }
        Command::Plans { command: PlansCommand::Apply { file } } => {
            let store = application::open_store(&settings).await?;
            let tollgate = application::tollgate(&settings, &store, application::clock(&settings))?;
            let applied = plans_file::apply(&tollgate, &file).await;
            store.close().await;
            for plan in applied? {
                let what = if plan.changed { "published" } else { "unchanged" };
                println!("{:<24} version {:<4} {what}", plan.code, plan.version);
            }
            Ok(())
        }
        Command::Admin { command: AdminCommand::CreateUser { email, name, platform_admin } } => {
            admin_cli::create_user(&settings, email, name, platform_admin).await
        }
        Command::Billing { command: BillingCommand::Run { at } } => {
            let store = application::open_store(&settings).await?;
            let clock: std::sync::Arc<dyn tollgate_ports::Clock> = match at {
                Some(at) => std::sync::Arc::new(tollgate_memory::ManualClock::new(at)),
                None => application::clock(&settings),
            };
            let tollgate = application::tollgate(&settings, &store, clock)?;
            let run = tollgate.run_billing().await;
            store.close().await;
            println!("{}", serde_json::to_string(&run?)?);
            Ok(())
        }
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tollgate: {error:#}");
            ExitCode::FAILURE
        }
    }
}
