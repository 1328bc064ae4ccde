//! Layered settings: the defaults compiled from `config/default.toml`, then `config/default.toml`
//! in the working directory when present, then the `--config` file, then environment variables
//! `TOLLGATE__SECTION__KEY`.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;
use tollgate_domain::PlanCode;

/// The defaults, compiled in so the binary runs from any directory.
const DEFAULTS: &str = include_str!("../../../config/default.toml");

mod billing;

pub use self::billing::{BillingSettings, GatewayKind};

/// Every setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where Tollgate keeps its files.
    pub data_dir: PathBuf,
    /// The HTTP server.
    pub server: ServerSettings,
    /// The database.
    pub database: DatabaseSettings,
    /// Plans as code.
    pub plans: PlansSettings,
    /// Billing rules.
    pub billing: BillingSettings,
    /// The per-instance cache of account state (and, for `check`, counters).
    pub cache: CacheSettings,
    /// The server's clock.
    pub clock: ClockSettings,
    /// How long replay records are kept, and how they are purged.
    pub retention: RetentionSettings,
    /// Users, sessions and logins.
    pub auth: AuthSettings,
    /// Outgoing e-mail.
    pub email: EmailSettings,
}

/// Users, sessions and logins.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Whether anyone may register.
    pub open_registration: bool,
    /// The HS256 secret of access tokens (at least 32 bytes); empty: one is generated into
    /// `<data_dir>/jwt-secret` on first start and read from there after.
    pub jwt_secret: String,
    /// Minutes an access token lives.
    pub access_token_minutes: u32,
    /// Days a session lives, whatever its refreshes.
    pub session_days: u32,
    /// Minutes a platform admin's impersonation of a user lasts.
    pub impersonation_minutes: u32,
    /// Failed logins per e-mail address within 15 minutes before 429.
    pub max_failures_per_email: u32,
    /// Failed logins from one address within 15 minutes before 429.
    pub max_failures_per_ip: u32,
    /// Argon2id memory in KiB (OWASP: 19456 or more).
    pub argon2_memory_kib: u32,
    /// Argon2id passes (OWASP: 2 or more at 19 MiB).
    pub argon2_iterations: u32,
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("open_registration", &self.open_registration)
            .field("jwt_secret", &if self.jwt_secret.is_empty() { "(generated)" } else { "[redacted]" })
            .field("access_token_minutes", &self.access_token_minutes)
            .field("session_days", &self.session_days)
            .field("impersonation_minutes", &self.impersonation_minutes)
            .field("max_failures_per_email", &self.max_failures_per_email)
            .field("max_failures_per_ip", &self.max_failures_per_ip)
            .field("argon2_memory_kib", &self.argon2_memory_kib)
            .field("argon2_iterations", &self.argon2_iterations)
            .finish()
    }
}

/// Outgoing e-mail: SMTP when `smtp_url` is set, else one JSON file per message in `outbox_dir`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `smtp://user:password@host:587` (STARTTLS) or `smtps://…`; empty: the outbox directory.
    pub smtp_url: String,
    /// Where messages are written when there is no SMTP server; empty: `<data_dir>/outbox`.
    pub outbox_dir: PathBuf,
    /// The sender of every message.
    pub from: String,
}

impl fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("outbox_dir", &self.outbox_dir)
            .field("from", &self.from)
            .finish()
    }
}

/// The purge of idempotency keys past their 24 hours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Seconds between two purges (one also runs at start).
    pub interval_seconds: u64,
    /// Rows per batch (each batch is one short statement).
    pub batch: u32,
}

/// The server's clock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    /// Seconds added to the system time (negative: subtracted), to rehearse on a staging server
    /// what happens later; 0 in production.
    pub offset_seconds: i64,
}

/// The largest clock offset either way: 100 years, far past any term or trial, and far from the
/// end of the calendar instants are stored in.
pub const MAX_CLOCK_OFFSET_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// The per-instance cache.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Milliseconds an instance reuses an account's state, and `check` a counter; 0 disables it.
    pub ttl_ms: u64,
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// `HOST:PORT` to listen on (port 0: any free port).
    pub bind: String,
    /// Worker threads (the number of CPUs when unset).
    #[serde(default)]
    pub workers: Option<usize>,
    /// Requests per minute each platform API key may make, per instance (GCRA with a burst of a
    /// tenth of it, at least 1); 0 for no limit.
    #[serde(default)]
    pub rate_limit_per_minute: u32,
    /// The reverse proxies whose `X-Forwarded-For` tells the client's address; none: the peer's
    /// address is the client's.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The database.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// Most pooled connections (a default per database kind when unset).
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// Milliseconds to wait for a pooled connection and, on PostgreSQL, for a statement, before
    /// failing closed (503).
    pub timeout_ms: u64,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Plans as code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlansSettings {
    /// The plans file applied at start.
    pub file: PathBuf,
    /// The plan of accounts created without one; empty: such accounts have no subscription.
    pub default_plan: String,
}

impl PlansSettings {
    /// The default plan's code, `None` when the setting is empty.
    ///
    /// # Errors
    /// A non-empty value that is not a plan code.
    pub fn default_plan(&self) -> anyhow::Result<Option<PlanCode>> {
        let code = self.default_plan.trim();
        if code.is_empty() {
            return Ok(None);
        }
        PlanCode::parse(code).map(Some).map_err(|e| anyhow::anyhow!("plans.default_plan: {e}"))
    }
}

impl Settings {
    /// Loads the layers; `file` is the `--config` file, if any.
    ///
    /// # Errors
    /// A missing `--config` file, a malformed layer, an unknown or mistyped setting.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::new("config/default.toml", FileFormat::Toml).required(false));
        if let Some(file) = file {
            let name = file.to_str().context("the --config path is not valid UTF-8")?;
            builder = builder.add_source(File::new(name, FileFormat::Toml).required(true));
        }
        let config = builder
            .add_source(
                Environment::with_prefix("TOLLGATE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    // TOLLGATE__SERVER__TRUSTED_PROXIES=10.0.0.1,10.0.0.2; every other variable is one value.
                    .list_separator(",")
                    .with_list_parse_key("server.trusted_proxies"),
            )
            .build()
            .context("reading the settings")?;
        let settings: Settings = config.try_deserialize().context("invalid settings")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Rejects values that deserialize but make no sense, so the server refuses to start rather
    /// than misbehave later.
    fn validate(&self) -> anyhow::Result<()> {
        self.plans.default_plan()?;
        anyhow::ensure!(self.database.timeout_ms >= 1, "database.timeout_ms: at least 1");
        anyhow::ensure!(
            self.server.rate_limit_per_minute <= tollgate_domain::MAX_RATE,
            "server.rate_limit_per_minute: at most {} (0 for no limit)",
            tollgate_domain::MAX_RATE
        );
        anyhow::ensure!(self.retention.interval_seconds >= 1, "retention.interval_seconds: at least 1");
        anyhow::ensure!(self.retention.batch >= 1, "retention.batch: at least 1");
        anyhow::ensure!(
            self.auth.jwt_secret.is_empty() || self.auth.jwt_secret.len() >= 32,
            "auth.jwt_secret: at least 32 bytes (or empty, to generate one)"
        );
        anyhow::ensure!(self.auth.access_token_minutes >= 1, "auth.access_token_minutes: at least 1");
        anyhow::ensure!(self.auth.session_days >= 1, "auth.session_days: at least 1");
        anyhow::ensure!(self.auth.impersonation_minutes >= 1, "auth.impersonation_minutes: at least 1");
        anyhow::ensure!(self.auth.max_failures_per_email >= 1, "auth.max_failures_per_email: at least 1");
        anyhow::ensure!(self.auth.max_failures_per_ip >= 1, "auth.max_failures_per_ip: at least 1");
        anyhow::ensure!(
            self.clock.offset_seconds.unsigned_abs() <= MAX_CLOCK_OFFSET_SECONDS.unsigned_abs(),
            "clock.offset_seconds: at most {MAX_CLOCK_OFFSET_SECONDS} seconds (100 years) either way"
        );
        Ok(())
    }

    /// The outbox directory: `email.outbox_dir`, or `<data_dir>/outbox` when it is empty.
    pub fn outbox_dir(&self) -> PathBuf {
        if self.email.outbox_dir.as_os_str().is_empty() {
            self.data_dir.join("outbox")
        } else {
            self.email.outbox_dir.clone()
        }
    }

    /// The clock offset.
    pub fn clock_offset(&self) -> time::Duration {
        time::Duration::seconds(self.clock.offset_seconds)
    }
}

/// `url` without its passwords, for logs: the one of the `user:password@` userinfo and any
/// `password=` query parameter (libpq's and sqlx's way of passing it) become `***`.
pub fn redact_url(url: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let mut redacted = redact_userinfo(base);
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&pairs.join("&"));
    }
    redacted
}

/// `url` (without its query) with the password of its userinfo replaced.
fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &url[scheme_end..scheme_end + at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end], &url[scheme_end + at..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_defaults_are_complete() {
        let config =
            Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml)).build().unwrap();
        let settings: Settings = config.try_deserialize().unwrap();
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(settings.database.url, "sqlite://data/tollgate.db");
        assert_eq!(settings.plans.default_plan, "free");
        assert_eq!(settings.plans.file, PathBuf::from("config/plans.toml"));
        assert_eq!(settings.billing.past_due_grace_days, 7);
        assert_eq!(settings.data_dir, PathBuf::from("data"));
        assert_eq!(settings.clock.offset_seconds, 0);
        assert_eq!(settings.database.timeout_ms, 5000);
        assert_eq!((settings.retention.interval_seconds, settings.retention.batch), (600, 1000));
        settings.validate().unwrap();
    }

    fn with(toml: &str) -> anyhow::Result<Settings> {
        let config = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from_str(toml, FileFormat::Toml))
            .build()?;
        let settings: Settings = config.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    #[test]
    fn an_empty_default_plan_means_no_subscription() {
        assert_eq!(with("[plans]\ndefault_plan = \"\"").unwrap().plans.default_plan().unwrap(), None);
        let free = with("").unwrap().plans.default_plan().unwrap();
        assert_eq!(free.as_ref().map(PlanCode::as_str), Some("free"));
        assert!(with("[plans]\ndefault_plan = \"Not A Code\"").is_err());
    }

    #[test]
    fn a_grace_of_zero_days_and_bounded_clock_offsets_are_accepted() {
        assert_eq!(with("[billing]\npast_due_grace_days = 0").unwrap().billing.past_due_grace_days, 0);
        let ahead = with("[clock]\noffset_seconds = 1296000").unwrap();
        assert_eq!(ahead.clock_offset(), time::Duration::days(15));
        assert!(with("[clock]\noffset_seconds = -86400").is_ok());
        assert!(with(&format!("[clock]\noffset_seconds = {}", MAX_CLOCK_OFFSET_SECONDS + 1)).is_err());
        assert!(with(&format!("[clock]\noffset_seconds = {}", i64::MIN)).is_err());
    }

    #[test]
    fn trusted_proxies_are_ip_addresses_and_impersonations_last_an_hour_by_default() {
        let defaults = with("").unwrap();
        assert_eq!((defaults.server.trusted_proxies.len(), defaults.auth.impersonation_minutes), (0, 60));
        let two = with("[server]\ntrusted_proxies = [\"10.0.0.1\", \"::1\"]").unwrap().server.trusted_proxies;
        assert_eq!(two, ["10.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]);
        assert!(with("[server]\ntrusted_proxies = [\"10.0.0.0/8\"]").is_err(), "addresses, not networks");
        assert!(with("[auth]\nimpersonation_minutes = 0").is_err());
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/t.db"), "sqlite://data/t.db");
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=disable&password=secret"),
            "postgres://u@h/db?sslmode=disable&password=***"
        );
        assert_eq!(redact_url("postgres://u:a@b@h/db?PASSWORD=x"), "postgres://u:***@h/db?PASSWORD=***");
        assert_eq!(redact_url("postgres://h/db?password"), "postgres://h/db?password");
        let db = DatabaseSettings {
            url: "postgres://u:secret@h/db?password=secret".into(),
            max_connections: None,
            timeout_ms: 5000,
        };
        assert!(!format!("{db:?}").contains("secret"));
    }
}
