//! Persistence contracts.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AddOn, AuditEvent, Email, IdempotencyKey, MetricName, Overrides, Plan, PlanCode, PlanDraft,
    Quantity, Subscription, WindowKey,
};

use crate::{AccountFilter, StoreError, SubscriptionTally};

/// A customer of the integrating service, addressed by its own key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The integrator's key for the tenant.
    pub key: AccountKey,
    /// Display name.
    pub name: String,
    /// Billing contact.
    pub email: Option<Email>,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Everything needed to decide for one account, loaded together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// The account's state version: 0 at creation, moved by every change of its subscription
    /// (plan, seats, status), add-ons or overrides, read together with them. Writes that relied
    /// on this state carry it, and the store refuses them with [`StoreError::Stale`] once it
    /// has moved (see [`SubscriptionRepository::save`] and [`UsageCommand::state_version`]).
    pub version: u64,
    /// The account.
    pub account: Account,
    /// Its subscription, if any.
    pub subscription: Option<Subscription>,
    /// Add-ons bought.
    pub add_ons: Vec<AddOn>,
    /// Custom terms.
    pub overrides: Overrides,
}

/// Accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// Creates `account` together with its first `subscription`, atomically: both or neither.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`]`("account")` when the key exists (leaving it untouched).
    async fn create(&self, account: &Account, subscription: Option<Subscription>) -> Result<(), StoreError>;

    /// The account with its subscription, add-ons and overrides; `None` when the key is unknown.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn state(&self, key: &AccountKey) -> Result<Option<AccountState>, StoreError>;

    /// Accounts in key order, strictly after `after`, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn list(&self, after: Option<AccountKey>, limit: u32) -> Result<Vec<Account>, StoreError>;

    /// The states of the accounts `filter` matches, in key order, strictly after `after`, at most
    /// `limit`. The query matches within the key, the name and the e-mail, case-insensitively
    /// (SQLite folds ASCII letters only, as its `LOWER` does).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn search(
        &self,
        filter: &AccountFilter,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountState>, StoreError>;

    /// Every account counted once, grouped by its subscription's plan version and stored status
    /// (one group for the accounts without a subscription), in no particular order.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn tally(&self) -> Result<Vec<SubscriptionTally>, StoreError>;
}

/// Subscriptions and the add-ons and overrides attached to them.
///
/// Every write here moves the account's [`AccountState::version`] in the same atomic step, so
/// that a consume or a subscription change decided on the state before it is refused
/// ([`StoreError::Stale`]) instead of silently applied on out-of-date terms.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SubscriptionRepository: Send + Sync {
    /// Stores `subscription` as the account's (replacing the previous one), only if the
    /// account's state version is still `expected` (the version of the state the subscription
    /// was derived from), and moves the version on: a compare-and-set, so of two changes made
    /// from the same state only the first is stored (no lost update). The `audit` events that
    /// record the change are appended to the audit log (the one [`crate::IdentityStore::audit`]
    /// lists) in the same transaction: stored with the subscription, or not at all.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`]`("account")` when the account does not exist,
    /// [`StoreError::Stale`] when its version is not `expected`, and
    /// [`StoreError::Conflict`]`("audit")` when an event's id exists; nothing is written then.
    async fn save(
        &self,
        key: &AccountKey,
        subscription: &Subscription,
        expected: u64,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError>;

    /// Replaces the account's add-ons (a whole new set, relying on nothing read) and moves the
    /// state version on.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`]`("account")` when the account does not exist.
    async fn set_add_ons(&self, key: &AccountKey, add_ons: &[AddOn]) -> Result<(), StoreError>;

    /// Replaces the account's overrides (relying on nothing read) and moves the state version on.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`]`("account")` when the account does not exist.
    async fn set_overrides(&self, key: &AccountKey, overrides: &Overrides) -> Result<(), StoreError>;
}

/// Versioned plans. A version's terms never change, so subscribers keep theirs.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PlanRepository: Send + Sync {
    /// Publishes `terms`: when they equal the latest version's, nothing is written and that
    /// version is returned; otherwise they are stored as the next version (1 for a new code).
    /// Concurrent publishers never create the same version twice. `at` is recorded as the
    /// version's publication time. The `audit` events recording the publication are appended to
    /// the audit log (the one [`crate::IdentityStore::audit`] lists) in the same transaction as
    /// the new version, and only when one is stored.
    ///
    /// # Errors
    /// [`StoreError::Conflict`]`("audit")` when an event's id exists (no version is stored then);
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`].
    async fn publish(
        &self,
        terms: &PlanDraft,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Plan, StoreError>;

    /// The latest version of a plan.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn latest(&self, code: &PlanCode) -> Result<Option<Plan>, StoreError>;

    /// One version of a plan.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn version(&self, code: &PlanCode, version: u32) -> Result<Option<Plan>, StoreError>;

    /// The latest version of every plan (active or not), by code.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn list(&self) -> Result<Vec<Plan>, StoreError>;

    /// Every metric that any version of any plan limits (to tell an unknown metric from one the
    /// account's plan lacks).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn metrics(&self) -> Result<Vec<MetricName>, StoreError>;
}

/// Whether a usage command adds or gives back units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// Add units, within the cap.
    Consume,
    /// Give units back, never below zero.
    Release,
}

impl UsageKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Consume => "consume",
            UsageKind::Release => "release",
        }
    }
}

/// One consume or release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageCommand {
    /// The account.
    pub account: AccountKey,
    /// The metric.
    pub metric: MetricName,
    /// The counting window's key (from `tollgate_domain::Window`).
    pub window: WindowKey,
    /// Units.
    pub quantity: Quantity,
    /// Consume only: the total the counter must not pass (`None`: no ceiling).
    pub cap: Option<u64>,
    /// Makes the command safe to retry.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The account state version the `cap` was derived from ([`AccountState::version`]); the
    /// command is applied only if it is still current. `None`: no such check (releases, tools).
    pub state_version: Option<u64>,
    /// When the command was issued.
    pub at: OffsetDateTime,
}

/// What a consume or release did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsageOutcome {
    /// Whether the units were recorded (a release is always applied, possibly for fewer units).
    pub applied: bool,
    /// Units actually added (consume) or removed (release).
    pub delta: u64,
    /// The counter after the command (or as found when refused).
    pub used: u64,
    /// True when this is the stored outcome of an earlier command with the same key.
    pub replayed: bool,
}

/// One line of the usage ledger: every applied command, and every refused one that carried an
/// idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// The metric.
    pub metric: MetricName,
    /// The window key.
    pub window: WindowKey,
    /// Consume or release.
    pub kind: UsageKind,
    /// Units asked for.
    pub quantity: Quantity,
    /// The outcome.
    pub outcome: UsageOutcome,
    /// The key, if any.
    pub idempotency_key: Option<IdempotencyKey>,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl LedgerEntry {
    /// The answer to a command of `kind` that carries this line's idempotency key: this line's
    /// outcome, marked replayed, when the command is the same request (same kind, metric and
    /// quantity; the window may differ, a retry can cross a reset); the key's reuse otherwise.
    /// Every adapter and the use cases answer a repeated key through this one rule.
    ///
    /// # Errors
    /// [`StoreError::IdempotencyMismatch`] when the command is another request.
    pub fn replay(&self, kind: UsageKind, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        if self.kind != kind || self.metric != command.metric || self.quantity != command.quantity {
            return Err(StoreError::IdempotencyMismatch);
        }
        Ok(UsageOutcome { replayed: true, ..self.outcome })
    }
}

/// Usage counters and their ledger: the exactness of Tollgate lives behind this trait.
///
/// Every adapter MUST keep these promises, under any number of concurrent callers and processes:
/// - **Atomic conditional write.** A consume adds `quantity` to the counter of
///   `(account, metric, window)` only if the total stays `<= cap` (and within `i64::MAX`);
///   otherwise nothing changes and the outcome is `applied: false` with the counter as found.
///   The check and the write are one atomic step: never read-then-write.
/// - **Release floors at zero.** A release removes `min(quantity, used)` and never fails for
///   lack of units.
/// - **Idempotency.** With a key, the command, its counter change and its ledger line commit
///   together. A later command with the same key on the same account (whatever its window)
///   returns the first outcome with `replayed: true` and changes nothing, provided it has the same
///   kind, metric and quantity; otherwise [`StoreError::IdempotencyMismatch`]. Keys are scoped
///   per account.
/// - **All or nothing.** A command that returns an error leaves no trace: no counter change, no
///   ledger line, no idempotency record, so its retry is applied exactly once.
/// - **Ledger.** Every applied command writes a ledger line in the same transaction; for every
///   counter, the consumed minus released deltas of its lines equal its value.
/// - **Current terms.** A command carrying a [`UsageCommand::state_version`] is checked against
///   the account's version within the same atomic step as its write: when the version moved (a
///   plan, seat, status, add-on or override change committed since the caller read the state),
///   nothing is written and [`StoreError::Stale`] is returned, so the caller reloads and decides
///   on the current terms. The check adds no round trip. A replayed key is answered first, whatever
///   the version.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageRepository: Send + Sync {
    /// Adds units within the cap (see the trait docs).
    ///
    /// # Errors
    /// [`StoreError::NotFound`]`("account")` for an unknown account;
    /// [`StoreError::IdempotencyMismatch`]; [`StoreError::Stale`] when the command's state version
    /// is not the account's (nothing was written); [`StoreError::Unavailable`] when the write
    /// could not be committed (nothing was written).
    async fn consume(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError>;

    /// Gives units back, never below zero (see the trait docs).
    ///
    /// # Errors
    /// As [`UsageRepository::consume`].
    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError>;

    /// The counters of `(metric, window)` pairs for an account, in the order asked (0 for none).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, WindowKey)],
    ) -> Result<Vec<u64>, StoreError>;

    /// The ledger line recorded under `key` for the account, if any: what a retry of that command
    /// must be answered with.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError>;

    /// The account's ledger, oldest first, at most `limit` lines.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn ledger(&self, account: &AccountKey, limit: u32) -> Result<Vec<LedgerEntry>, StoreError>;

    /// Per metric, the sum of every counter of every account and window (what is held of the
    /// gauges, what was counted of the metered metrics), by metric name; metrics without a
    /// counter are left out.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn totals(&self) -> Result<Vec<(MetricName, u64)>, StoreError>;
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use tollgate_domain::{AccountKey, IdempotencyKey, MetricName, Quantity, WindowKey};

    use super::*;

    fn command(metric: &str, quantity: u64, window: WindowKey) -> UsageCommand {
        UsageCommand {
            account: AccountKey::parse("acme").unwrap(),
            metric: MetricName::parse(metric).unwrap(),
            window,
            quantity: Quantity::new(quantity).unwrap(),
            cap: Some(10),
            idempotency_key: Some(IdempotencyKey::parse("k").unwrap()),
            state_version: None,
            at: datetime!(2026-11-23 10:00 UTC),
        }
    }

    #[test]
    fn a_ledger_line_replays_only_the_same_kind_metric_and_quantity() {
        let first = command("sites", 2, WindowKey::never());
        let outcome = UsageOutcome { applied: false, delta: 0, used: 9, replayed: false };
        let line = LedgerEntry {
            metric: first.metric.clone(),
            window: first.window.clone(),
            kind: UsageKind::Consume,
            quantity: first.quantity,
            outcome,
            idempotency_key: first.idempotency_key.clone(),
            at: first.at,
        };
        let replayed = UsageOutcome { replayed: true, ..outcome };
        assert_eq!(line.replay(UsageKind::Consume, &first), Ok(replayed));
        let later = command("sites", 2, WindowKey::month(2026, time::Month::December));
        assert_eq!(line.replay(UsageKind::Consume, &later), Ok(replayed), "whatever the window");
        let mismatch = Err(StoreError::IdempotencyMismatch);
        assert_eq!(line.replay(UsageKind::Release, &first), mismatch, "another kind");
        assert_eq!(line.replay(UsageKind::Consume, &command("tickets", 2, WindowKey::never())), mismatch);
        assert_eq!(line.replay(UsageKind::Consume, &command("sites", 3, WindowKey::never())), mismatch);
    }
}
