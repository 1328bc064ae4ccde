//! Rate limits: how fast a caller may call the API, by GCRA (`governor`) in this instance's
//! memory. An account's users and account keys share its plan's `rate_limit`; each platform key
//! has [`Settings::platform_rate_limit_per_minute`](crate::Settings) to itself. With several
//! instances behind a balancer each keeps its own count, so a caller spread over N instances
//! gets up to N times the limit (the README's "Rate limits" says what to do about it).
//!
//! The limiters read the app's [`Clock`] port, not a monotonic clock, so tests drive them with a
//! manual clock and a shifted clock shifts them too; a clock that steps back only delays refills
//! (governor saturates negative durations at zero).
//!
//! State is bounded: every [`SWEEP_EVERY`] checks a limiter drops its idle keys (those back to a
//! full burst, indistinguishable from new ones); should more than [`MAX_KEYS`] still be busy,
//! the accounts' limiter starts afresh, which only hands each of them a full burst again.

use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, ApiKeyId, Caller, RateLimit};
use tollgate_ports::Clock;

use crate::{AppError, Tollgate};

/// Keys a limiter keeps before its idle ones are dropped (and, for accounts, before it restarts).
const MAX_KEYS: usize = 50_000;
/// How often (in checks) a limiter looks at its size: often enough to stay near [`MAX_KEYS`],
/// rarely enough that the look (a lock) costs nothing per request.
const SWEEP_EVERY: u32 = 1024;
/// Distinct quotas kept; past it (plans republished many times) the limiters start afresh.
const MAX_QUOTAS: usize = 64;

/// Where a caller stands against its rate limit once a request is counted: what the
/// `RateLimit-*` headers and a 429's `Retry-After` say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The quota: requests per minute (`RateLimit-Limit`).
    pub limit: u32,
    /// Requests that may be sent right now, at most the burst (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the whole burst is available again, rounded up (`RateLimit-Reset`).
    pub reset: u64,
    /// For a refused request, seconds until one is let through, at least 1 (`Retry-After`);
    /// 0 for an allowed one.
    pub retry_after: u64,
}

/// The platform keys' burst for a quota of `per_minute`: a tenth of it, at least 1.
pub(crate) fn platform_burst(per_minute: u32) -> u32 {
    (per_minute / 10).max(1)
}

/// The app's clock as governor's: time since the limiters were made.
#[derive(Clone)]
struct PortClock {
    clock: Arc<dyn Clock>,
    origin: OffsetDateTime,
}

impl governor::clock::Clock for PortClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        (self.clock.now() - self.origin).try_into().unwrap_or(Duration::ZERO)
    }
}

type Governor<K> = RateLimiter<K, HashMapStateStore<K>, PortClock, StateInformationMiddleware>;

/// One quota's GCRA state, by key.
struct Limiter<K: Hash + Eq + Clone> {
    quota: RateLimit,
    governor: Governor<K>,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(quota: RateLimit, clock: PortClock) -> Self {
        let per_minute = NonZeroU32::new(quota.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(quota.burst).unwrap_or(NonZeroU32::MIN);
        let governor =
            RateLimiter::hashmap_with_clock(Quota::per_minute(per_minute).allow_burst(burst), clock)
                .with_middleware::<StateInformationMiddleware>();
        Self { quota, governor, checks: AtomicU32::new(0) }
    }

    /// Counts one request of `key`.
    fn check(&self, key: &K) -> RateStatus {
        let interval = Duration::from_secs(60) / self.quota.per_minute.max(1);
        let RateLimit { per_minute: limit, burst } = self.quota;
        match self.governor.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(burst);
                // GCRA keeps one instant (when the bucket is full again); governor shows the
                // remaining cells, so the reset is known within one cell's interval: rounded up.
                RateStatus {
                    allowed: true,
                    limit,
                    remaining,
                    reset: ceil_seconds(interval * burst.saturating_sub(remaining)),
                    retry_after: 0,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(self.governor.clock()));
                RateStatus {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset: ceil_seconds(wait + interval * burst.saturating_sub(1)),
                    retry_after: ceil_seconds(wait).max(1),
                }
            }
        }
    }

    /// Whether the limiter holds too many keys even once the idle ones are dropped; looks only
    /// every [`SWEEP_EVERY`] checks.
    fn overfull(&self) -> bool {
        if !self.checks.fetch_add(1, Ordering::Relaxed).is_multiple_of(SWEEP_EVERY) {
            return false;
        }
        if self.governor.len() <= MAX_KEYS {
            return false;
        }
        self.governor.retain_recent();
        self.governor.shrink_to_fit();
        self.governor.len() > MAX_KEYS
    }
}

fn ceil_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Every limiter of an instance.
pub(crate) struct RateLimits {
    clock: PortClock,
    /// `None` when platform keys are not limited: nothing is locked or looked up for them.
    platform: Option<Limiter<ApiKeyId>>,
    accounts: RwLock<HashMap<RateLimit, Arc<Limiter<AccountKey>>>>,
}

impl RateLimits {
    /// Limiters on `clock`; platform keys limited to `platform_per_minute` (0: not limited).
    pub(crate) fn new(clock: Arc<dyn Clock>, platform_per_minute: u32) -> Self {
        let clock = PortClock { origin: clock.now(), clock };
        let platform = (platform_per_minute > 0).then(|| {
            let quota =
                RateLimit { per_minute: platform_per_minute, burst: platform_burst(platform_per_minute) };
            Limiter::new(quota, clock.clone())
        });
        Self { clock, platform, accounts: RwLock::default() }
    }

    /// Counts one request of the platform key `id`; `None` when platform keys are not limited.
    pub(crate) fn platform_key(&self, id: &ApiKeyId) -> Option<RateStatus> {
        let limiter = self.platform.as_ref()?;
        let status = limiter.check(id);
        if limiter.overfull() {
            // Bounded by the keys the store holds, so only the idle are dropped (above).
            tracing::debug!("more busy platform keys than the rate limiter's bound");
        }
        Some(status)
    }

    /// Counts one request against `account`'s `quota`.
    pub(crate) fn account(&self, account: &AccountKey, quota: RateLimit) -> RateStatus {
        let limiter = self.accounts_limiter(quota);
        let status = limiter.check(account);
        if limiter.overfull() {
            let mut limiters = self.accounts.write().unwrap_or_else(|p| p.into_inner());
            limiters.insert(quota, Arc::new(Limiter::new(quota, self.clock.clone())));
        }
        status
    }

    fn accounts_limiter(&self, quota: RateLimit) -> Arc<Limiter<AccountKey>> {
        if let Some(limiter) = self.accounts.read().unwrap_or_else(|p| p.into_inner()).get(&quota) {
            return limiter.clone();
        }
        let mut limiters = self.accounts.write().unwrap_or_else(|p| p.into_inner());
        if limiters.len() >= MAX_QUOTAS && !limiters.contains_key(&quota) {
            limiters.clear();
        }
        limiters.entry(quota).or_insert_with(|| Arc::new(Limiter::new(quota, self.clock.clone()))).clone()
    }
}

/// Whose budget a request of `caller` spends: the account of an account key, or for a user the
/// account of the route's `{key}` (`None` for a route of no account, such as `/v1/me`, which no
/// plan limits). Platform admins are the operator: no account's plan limits them.
pub(crate) fn counted_account<'a>(caller: &'a Caller, path_account: Option<&'a str>) -> Option<Counted<'a>> {
    match caller {
        Caller::AccountKey { account, .. } => Some(Counted::Key(account)),
        Caller::User { platform_admin: false, .. } => path_account.map(Counted::Path),
        Caller::User { .. } | Caller::PlatformKey { .. } => None,
    }
}

/// The account a request counts against, as known before parsing it.
pub(crate) enum Counted<'a> {
    /// An account key's own account.
    Key(&'a AccountKey),
    /// The path's `{key}`, not yet checked for shape.
    Path(&'a str),
}

impl Tollgate {
    /// Whether a request of `caller` can be rate limited at all; `false` for a platform key while
    /// platform keys are not limited, and for a platform admin: such a request may skip
    /// [`Tollgate::rate_limit`] and whatever finding its account would cost, and spends no lock.
    pub fn may_rate_limit(&self, caller: &Caller) -> bool {
        match caller {
            Caller::PlatformKey { .. } => self.rates.platform.is_some(),
            Caller::User { platform_admin, .. } => !platform_admin,
            Caller::AccountKey { .. } => true,
        }
    }

    /// Counts one authenticated request of `caller` (on a route whose account is `path_account`,
    /// the raw `{key}`, if any) against its rate limit, and says where it stands; `None` when
    /// nothing limits it: a platform key while `platform_rate_limit_per_minute` is 0, a platform
    /// admin, a user on a route of no account, an account that does not exist (the route answers
    /// its 404), has no subscription, or whose plan declares no `rate_limit`.
    ///
    /// The plan is read through the same cache as decisions, so an account's check or consume
    /// reads nothing more from the store; a platform key reads nothing at all.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the account's state cannot be
    /// read.
    pub async fn rate_limit(
        &self,
        caller: &Caller,
        path_account: Option<&str>,
    ) -> Result<Option<RateStatus>, AppError> {
        if let Caller::PlatformKey { id, .. } = caller {
            return Ok(self.rates.platform_key(id));
        }
        let parsed;
        let account = match counted_account(caller, path_account) {
            None => return Ok(None),
            Some(Counted::Key(account)) => account,
            Some(Counted::Path(raw)) => match AccountKey::parse(raw) {
                Ok(account) => {
                    parsed = account;
                    &parsed
                }
                Err(_) => return Ok(None),
            },
        };
        let state = match self.cached_state(account, self.now()).await {
            Ok(state) => state,
            Err(AppError::AccountNotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        let quota = self.plan_of(&state).await?.and_then(|plan| plan.rate_limit());
        Ok(quota.map(|quota| self.rates.account(account, quota)))
    }
}

#[cfg(test)]
mod tests;
