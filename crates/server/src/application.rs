//! Wiring: the store, the use cases, the HTTP adapter, the operator's key; and the server's life.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tollgate_app::{
    BillingSettings as BillingRules, IdentityPorts, IdentitySettings, MIN_OPERATOR_KEY_LEN, OperatorKey,
    Ports, Settings as AppSettings, Tollgate,
};
use tollgate_domain::Policy;
use tollgate_email::{OutboxMailer, SmtpMailer};
use tollgate_http::{HttpState, Services, TrustedProxies};
use tollgate_memory::{OffsetClock, SystemClock};
use tollgate_ports::{Clock, Mailer, PaymentGateway, Secret};
use tollgate_security::{
    Argon2Hasher, Argon2Settings, JwtCodec, RandomSecrets, Totp, load_or_create_jwt_secret,
};
use tollgate_store::{Store, StoreConfig};
use tollgate_stripe::{FakeGateway, StripeGateway};

use crate::adapters::{LogNotifier, RandomIds, StoreHealth};
use crate::plans_file;
use crate::settings::{GatewayKind, Settings, redact_url};

/// The environment variable holding the operator's API key.
pub const ADMIN_KEY_VAR: &str = "TOLLGATE_ADMIN_API_KEY";

/// The file the generated operator key is written to, in the data directory.
pub const ADMIN_KEY_FILE: &str = "admin-api-key";

/// The SQLite file of a `sqlite:` URL, when it names one.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// Connects to the database (creating a SQLite file's directory) and applies the migrations.
///
/// # Errors
/// An unreachable database, a failed migration.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = &settings.database.url;
    if let Some(parent) =
        sqlite_path(url).as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut config = StoreConfig::new(url.clone());
    config.timeout = Duration::from_millis(settings.database.timeout_ms.max(1));
    if let Some(max) = settings.database.max_connections {
        config.max_connections = max.max(1);
    }
    let store =
        Store::connect(&config).await.with_context(|| format!("connecting to {}", redact_url(url)))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// The clock every command reads: the system clock shifted by `clock.offset_seconds`.
pub fn clock(settings: &Settings) -> Arc<dyn Clock> {
    Arc::new(OffsetClock::new(SystemClock, settings.clock_offset()))
}

/// The adapters of identity: the store's users and login failures, argon2id, the JWT codec with
/// its secret (generated into the data directory when not configured), TOTP, and e-mail (SMTP, or
/// the outbox directory).
fn identity_ports(
    settings: &Settings,
    store: &Store,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<IdentityPorts> {
    let auth = &settings.auth;
    let hasher = Argon2Hasher::new(Argon2Settings {
        memory_kib: auth.argon2_memory_kib,
        iterations: auth.argon2_iterations,
        parallelism: 1,
    })
    .context("auth.argon2_*")?;
    let configured = Some(auth.jwt_secret.as_str()).filter(|s| !s.is_empty());
    let secret = load_or_create_jwt_secret(configured, &settings.data_dir).context("the JWT secret")?;
    let tokens = JwtCodec::new(&secret).context("the JWT secret")?;
    let email = &settings.email;
    let mailer: Arc<dyn Mailer> = if email.smtp_url.is_empty() {
        Arc::new(OutboxMailer::new(settings.outbox_dir(), clock).context("email.outbox_dir")?)
    } else {
        Arc::new(SmtpMailer::new(&email.smtp_url, &email.from).context("email.smtp_url")?)
    };
    Ok(IdentityPorts {
        store: Arc::new(store.identity()),
        attempts: Arc::new(store.login_attempts()),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        totp: Arc::new(Totp),
        mailer,
    })
}

/// The identity rules of the settings.
fn identity_settings(settings: &Settings) -> IdentitySettings {
    let auth = &settings.auth;
    IdentitySettings {
        open_registration: auth.open_registration,
        access_ttl: time::Duration::minutes(i64::from(auth.access_token_minutes)),
        session_ttl: time::Duration::days(i64::from(auth.session_days)),
        impersonation_ttl: time::Duration::minutes(i64::from(auth.impersonation_minutes)),
        max_failures_per_email: auth.max_failures_per_email,
        max_failures_per_ip: auth.max_failures_per_ip,
        ..IdentitySettings::default()
    }
}

/// The use cases over `store`.
///
/// # Errors
/// An invalid default plan code; identity adapters that cannot be set up (see [`identity_ports`]).
pub fn tollgate(settings: &Settings, store: &Store, clock: Arc<dyn Clock>) -> anyhow::Result<Tollgate> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating the data directory {}", settings.data_dir.display()))?;
    let identity = identity_ports(settings, store, clock.clone())?;
    let api_keys = Arc::new(store.api_keys());
    let store = Arc::new(store.clone());
    let ports = Ports {
        accounts: store.clone(),
        subscriptions: store.clone(),
        plans: store.clone(),
        addons: store.clone(),
        usage: store.clone(),
        api_keys,
        secrets: Arc::new(RandomSecrets),
        clock,
        ids: Arc::new(RandomIds),
        gateway: gateway(settings)?,
        billing: store.clone(),
        notifier: Arc::new(LogNotifier),
        identity,
    };
    let default_plan = settings.plans.default_plan()?;
    let policy =
        Policy { past_due_grace: time::Duration::days(i64::from(settings.billing.past_due_grace_days)) };
    let cache_ttl = time::Duration::milliseconds(i64::try_from(settings.cache.ttl_ms).unwrap_or(i64::MAX));
    let identity = identity_settings(settings);
    let platform_rate_limit_per_minute = settings.server.rate_limit_per_minute;
    let billing = BillingRules {
        dunning: settings.billing.dunning(),
        trial_fallback_plan: settings.billing.trial_fallback_plan()?,
    };
    Ok(Tollgate::new(
        ports,
        AppSettings { default_plan, policy, cache_ttl, identity, billing, platform_rate_limit_per_minute },
    ))
}

/// The payment gateway the settings choose.
///
/// # Errors
/// Stripe settings that cannot work (a missing key or secret, a bad base URL).
fn gateway(settings: &Settings) -> anyhow::Result<Arc<dyn PaymentGateway>> {
    let gateways = &settings.billing.gateways;
    Ok(match settings.billing.gateway {
        GatewayKind::Fake => {
            tracing::warn!(
                "billing.gateway is \"fake\": payments are simulated (Stripe's test cards), nothing is charged"
            );
            Arc::new(FakeGateway::new(
                gateways.fake.webhook_secret.clone(),
                gateways.fake.checkout_url.clone(),
            ))
        }
        GatewayKind::Stripe => {
            Arc::new(StripeGateway::new(gateways.stripe.clone()).context("billing.gateways.stripe")?)
        }
    })
}

/// Writes the generated operator key to a file only its owner can read.
fn write_admin_key(path: &Path, secret: &Secret) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file keeps its mode on open: tighten it before writing.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        writeln!(file, "{}", secret.expose())?;
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        writeln!(file, "{}", secret.expose())?;
    }
    Ok(())
}

/// Runs the server until SIGINT or SIGTERM.
///
/// # Errors
/// Any failure to start: settings, database, plans, key bootstrap, binding.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating the data directory {}", settings.data_dir.display()))?;
    let store = open_store(&settings).await?;
    tracing::info!(database = %redact_url(&settings.database.url), "database ready");

    let clock = clock(&settings);
    if settings.clock.offset_seconds != 0 {
        tracing::warn!(
            offset_seconds = settings.clock.offset_seconds,
            now = %clock.now(),
            "the clock is shifted (clock.offset_seconds): every decision, period and timestamp \
             follows the shifted time; keep it 0 in production"
        );
    }
    let tollgate = Arc::new(tollgate(&settings, &store, clock.clone())?);
    if settings.plans.file.exists() {
        for plan in plans_file::apply(&tollgate, &settings.plans.file).await? {
            tracing::info!(plan = %plan.code, version = plan.version, changed = plan.changed, "plan applied");
        }
    } else {
        tracing::warn!(file = %settings.plans.file.display(), "no plans file: serving the plans already stored");
    }
    match settings.plans.default_plan()? {
        Some(code) if tollgate.plan(&code).await.is_err() => {
            tracing::warn!(plan = %code, "the default plan does not exist: accounts must name their plan");
        }
        Some(_) => {}
        None => tracing::info!("no default plan: accounts created without a plan have no subscription"),
    }

    let configured = std::env::var(ADMIN_KEY_VAR).ok().filter(|v| !v.is_empty()).map(Secret::new);
    if configured.as_ref().is_some_and(|key| key.expose().chars().count() < MIN_OPERATOR_KEY_LEN) {
        anyhow::bail!("{ADMIN_KEY_VAR} must have at least {MIN_OPERATOR_KEY_LEN} characters");
    }
    match tollgate.bootstrap_operator_key(configured.as_ref()).await? {
        OperatorKey::FromEnvironment => tracing::info!("operator key taken from {ADMIN_KEY_VAR}"),
        OperatorKey::Revoked => {
            tracing::error!("the operator key in {ADMIN_KEY_VAR} was revoked and stays so: set another");
        }
        OperatorKey::Existing => tracing::info!("operator key already set up"),
        OperatorKey::Generated(secret) => {
            let path = settings.data_dir.join(ADMIN_KEY_FILE);
            if let Err(error) = write_admin_key(&path, &secret) {
                // Nobody could ever read this key: revoke it, so that the next start (with the
                // directory fixed, or TOLLGATE_ADMIN_API_KEY set) generates one again.
                if let Err(revoke) = tollgate.discard_operator_key().await {
                    tracing::error!(error = %revoke, "the unwritten operator key could not be revoked");
                }
                return Err(error).with_context(|| format!("writing {}", path.display()));
            }
            tracing::warn!(file = %path.display(), "generated the operator's API key; it is in this file");
        }
    }

    let idempotency = Arc::new(store.idempotency());
    let sweeper = tollgate.clone();
    let state = HttpState::new(Services {
        tollgate: tollgate.clone(),
        idempotency: idempotency.clone(),
        health: Arc::new(StoreHealth(store.clone())),
        clock: clock.clone(),
        trusted_proxies: TrustedProxies::new(settings.server.trusted_proxies.iter().copied()),
    });
    let mut server = actix_web::HttpServer::new(move || tollgate_http::app(state.clone()))
        .shutdown_timeout(10)
        .disable_signals();
    if let Some(workers) = settings.server.workers {
        server = server.workers(workers.max(1));
    }
    let server = server
        .bind(settings.server.bind.as_str())
        .with_context(|| format!("binding {}", settings.server.bind))?;
    let addresses = server.addrs();
    let server = server.run();
    let handle = server.handle();
    for address in &addresses {
        println!("tollgate listening on http://{address}");
    }
    let _ = std::io::stdout().flush();

    let purge = crate::retention::spawn(Arc::new(store.clone()), idempotency, clock, &settings.retention);
    let billing = match settings.billing.run_interval_seconds {
        0 => None,
        seconds => Some(crate::scheduler::spawn(tollgate.clone(), Duration::from_secs(u64::from(seconds)))),
    };
    let seats = crate::seats::spawn(sweeper, &settings.retention);
    let signals = actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the requests in flight");
        handle.stop(true).await;
    });

    server.await.context("serving")?;
    signals.abort();
    purge.abort();
    if let Some(billing) = billing {
        billing.abort();
    }
    seats.abort();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://data/tollgate.db"), Some(PathBuf::from("data/tollgate.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/t.db?mode=rwc"), Some(PathBuf::from("/tmp/t.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
