//! The [`Tollgate`] entry point: the ports it runs on, its settings, and what every use case
//! shares. The use cases themselves live by theme in sibling modules, each adding an
//! `impl Tollgate` block.

use std::sync::Arc;

use time::OffsetDateTime;
use tollgate_domain::{PlanCode, Policy};
use tollgate_ports::{
    AccountRepository, AddOnRepository, ApiKeyStore, BillingStore, Clock, IdGenerator, Notification,
    Notifier, PaymentGateway, PlanRepository, SecretMinter, SubscriptionRepository, UsageRepository,
};

use crate::authentication::Authenticator;
use crate::billing::BillingSettings;
use crate::cache::Cache;
use crate::catalog::Catalog;
use crate::identity::{IdentityCache, IdentityPorts, IdentitySettings};
use crate::rate_limits::RateLimits;

/// How many times a subscription change or a consume decided on an account state that a
/// concurrent change moved meanwhile is decided again on the fresh state, before answering
/// [`crate::AppError::Conflict`]. Each attempt after the first follows a committed change, so running
/// out takes a burst of changes to one account.
pub(crate) const STATE_ATTEMPTS: usize = 5;

/// The adapters Tollgate runs on.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct Ports {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Subscriptions, add-ons, overrides.
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    /// Plans.
    pub plans: Arc<dyn PlanRepository>,
    /// The add-on catalog.
    pub addons: Arc<dyn AddOnRepository>,
    /// Usage counters and ledger.
    pub usage: Arc<dyn UsageRepository>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Secrets (API keys, refresh and one-time tokens): minting and fingerprints.
    pub secrets: Arc<dyn SecretMinter>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Identifiers.
    pub ids: Arc<dyn IdGenerator>,
    /// Payments.
    pub gateway: Arc<dyn PaymentGateway>,
    /// Invoices, billing profiles, checkouts, applied gateway events.
    pub billing: Arc<dyn BillingStore>,
    /// Notifications.
    pub notifier: Arc<dyn Notifier>,
    /// Users, sessions, memberships and what they need.
    pub identity: IdentityPorts,
}

/// Operator settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The plan of accounts created without one; `None`: such accounts have no subscription
    /// until one is started with [`Tollgate::change_plan`].
    pub default_plan: Option<PlanCode>,
    /// Grace periods and other rules.
    pub policy: Policy,
    /// How long an instance may reuse an account's state (plan, status, overrides) and, for
    /// `check` only, a usage counter, before reading them again; changes made through the same
    /// instance apply at once. Zero disables the cache. `consume` and `release` are always exact:
    /// the store checks that the state a consume relied on is still current. `check` may lag.
    pub cache_ttl: time::Duration,
    /// Registration, sessions, login throttling.
    pub identity: IdentitySettings,
    /// Dunning, retries, trial endings.
    pub billing: BillingSettings,
    /// Requests per minute each platform API key may make (GCRA, with a burst of a tenth of it,
    /// at least 1; see [`Tollgate::rate_limit`]); 0 for no limit.
    pub platform_rate_limit_per_minute: u32,
}

/// Tollgate's use cases.
#[allow(missing_debug_implementations)]
pub struct Tollgate {
    pub(crate) ports: Ports,
    pub(crate) settings: Settings,
    pub(crate) catalog: Catalog,
    pub(crate) cache: Arc<Cache>,
    pub(crate) identity_cache: IdentityCache,
    pub(crate) access: Authenticator,
    pub(crate) rates: RateLimits,
}

impl Tollgate {
    /// Wires the use cases to `ports`.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        let cache = Arc::new(Cache::new(settings.cache_ttl));
        let access = Authenticator::new(ports.api_keys.clone(), ports.secrets.clone());
        let rates = RateLimits::new(ports.clock.clone(), settings.platform_rate_limit_per_minute);
        Self {
            rates,
            ports,
            settings,
            catalog: Catalog::default(),
            cache,
            access,
            identity_cache: IdentityCache::default(),
        }
    }

    /// The clock Tollgate reads (for adapters that need the same "now").
    pub fn now(&self) -> OffsetDateTime {
        self.ports.clock.now()
    }

    pub(crate) fn identity_ports(&self) -> &IdentityPorts {
        &self.ports.identity
    }

    pub(crate) async fn notify(&self, notification: Notification) {
        // Best effort by contract: a notification never fails the use case that caused it.
        if let Err(error) = self.ports.notifier.notify(&notification).await {
            tracing::warn!(%error, ?notification, "notification not delivered");
        }
    }
}
