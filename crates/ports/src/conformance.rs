//! The port conformance suite: one set of tests every repository adapter runs against its own
//! backend (memory, SQLite, PostgreSQL), so adapters cannot drift apart.
//!
//! An adapter crate implements [`Fixture`] and invokes [`conformance_suite!`](crate::conformance_suite)
//! with an expression that builds a fresh fixture:
//!
//! ```text
//! tollgate_ports::conformance_suite!(async { Some(Box::new(MyFixture::new().await) as Box<dyn Fixture>) });
//! ```

pub mod access;
mod addons;
pub use addons::*;
mod audited;
pub use audited::*;
mod admin;
pub use admin::*;
mod billing;
pub use billing::*;
mod billing_add_ons;
pub use billing_add_ons::*;
mod identity;
pub use identity::*;
mod identity_races;
pub use identity_races::*;
mod identity_sessions;
pub use identity_sessions::*;
mod lapses;
pub use lapses::*;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::datetime;
use tollgate_domain::{
    AccountKey, AddOn, Currency, Email, Enforcement, FeatureName, IdempotencyKey, Interval, Limit,
    MetricName, Money, Overrides, PlanCode, PlanDraft, Quantity, Reset, Subscription, WindowKey,
};

use crate::{
    Account, AccountRepository, AddOnRepository, ApiKeyStore, BillingStore, IdentityStore, LedgerRetention,
    LoginAttempts, PlanRepository, StoreError, SubscriptionRepository, UsageCommand, UsageKind,
    UsageRepository,
};

mod repositories;
pub use repositories::*;
mod retention;
pub use retention::*;
mod usage;
pub use usage::*;
mod versions;
pub use versions::*;

/// The repositories of one backend.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct Backend {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Subscriptions.
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    /// Plans.
    pub plans: Arc<dyn PlanRepository>,
    /// The add-on catalog.
    pub addons: Arc<dyn AddOnRepository>,
    /// Usage.
    pub usage: Arc<dyn UsageRepository>,
    /// The retention of the ledger's idempotency keys.
    pub retention: Arc<dyn LedgerRetention>,
    /// Users, memberships, sessions, one-time tokens and the audit log; its accounts are those
    /// of [`Backend::accounts`].
    pub identity: Arc<dyn IdentityStore>,
    /// The login throttle's failure counts.
    pub login_attempts: Arc<dyn LoginAttempts>,
    /// Invoices, profiles, checkouts and gateway events; its accounts are those of
    /// [`Backend::accounts`].
    pub billing: Arc<dyn BillingStore>,
    /// API keys, audited in the log [`Backend::identity`] lists.
    pub api_keys: Arc<dyn ApiKeyStore>,
}

/// A fresh, empty backend for one test, torn down after it (a PostgreSQL fixture drops its
/// database there).
#[async_trait]
pub trait Fixture: Send + Sync {
    /// The repositories.
    fn backend(&self) -> Backend;
    /// Releases what the fixture created; runs even when the test failed.
    async fn teardown(self: Box<Self>);
}

/// Runs one suite test on a fixture, tearing it down whatever the outcome. `None` means the
/// backend is not configured here (PostgreSQL without its URL): the test says so and passes.
///
/// # Panics
/// When the test panics (after teardown), so the test harness reports it.
pub async fn run<F>(fixture: Option<Box<dyn Fixture>>, test: fn(Backend) -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(fixture) = fixture else {
        eprintln!("backend not configured: conformance test skipped");
        return;
    };
    let outcome = tokio::spawn(test(fixture.backend())).await;
    fixture.teardown().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("conformance test did not finish: {error}"),
        }
    }
}

/// Expands to one `#[tokio::test]` per conformance test, each on a fresh fixture built by the
/// given expression (a future of `Option<Box<dyn Fixture>>`, `None` when the backend is not
/// configured).
#[macro_export]
macro_rules! conformance_suite {
    ($setup:expr) => {
        $crate::conformance_suite!(@tests $setup;
            accounts_are_created_once_and_listed_in_key_order,
            subscriptions_round_trip_with_add_ons_and_overrides,
            writes_for_an_unknown_account_are_not_found,
            plans_are_versioned_and_old_versions_are_kept,
            addons_are_created_replaced_and_listed_by_code,
            concurrent_puts_of_a_new_addon_create_it_once,
            consume_applies_only_within_the_cap,
            unlimited_consumes_always_apply,
            release_never_goes_below_zero,
            windows_count_separately,
            replayed_keys_return_the_first_outcome,
            reused_keys_with_another_request_are_refused,
            keys_are_scoped_per_account,
            concurrent_consumes_never_pass_the_cap,
            concurrent_replays_count_once,
            concurrent_mixed_quantities_refuse_only_what_cannot_fit,
            simultaneous_commands_near_the_cap_admit_what_fits,
            the_ledger_sums_to_the_counter,
            old_idempotency_keys_are_forgotten_and_their_lines_kept,
            keys_younger_than_the_cutoff_are_never_forgotten,
            a_consume_on_a_stale_state_version_writes_nothing,
            stale_and_current_commands_in_one_batch_are_told_apart,
            a_save_on_a_stale_state_version_is_refused,
            a_registration_writes_account_user_owner_and_audit_together,
            a_failing_change_leaves_the_earlier_ones_unwritten,
            an_email_is_unique_only_among_live_users,
            a_user_update_is_a_compare_and_set,
            the_last_owner_can_neither_leave_nor_be_demoted,
            tokens_are_spent_once_and_expire,
            invitations_list_the_usable_invitations_of_the_account,
            sessions_are_listed_live_newest_first_and_revoked,
            a_spent_refresh_token_presented_again_revokes_the_session,
            rotation_after_revocation_or_expiry_is_invalid,
            the_audit_log_filters_and_pages_newest_first,
            users_are_searched_case_insensitively_and_paged_by_id,
            login_failures_are_counted_cleared_and_purged,
            a_token_spent_concurrently_is_spent_once,
            a_refresh_token_rotated_concurrently_rotates_once,
            two_owners_removing_each_other_concurrently_leave_one_owner,
            owners_removing_one_another_concurrently_keep_exactly_one,
            one_email_registered_concurrently_makes_one_user,
            concurrent_user_updates_from_one_version_apply_once,
            a_saved_subscription_writes_its_audit_events_with_it,
            api_key_changes_write_their_audit_events_with_them,
            plan_publications_write_their_audit_events_with_them,
            addon_puts_write_their_audit_events_with_them,
            lapsed_invitations_are_retired_and_released_once,
            deleted_users_memberships_are_listed_and_ended_once,
            accounts_are_searched_by_text_status_and_plan_in_key_order,
            subscriptions_are_tallied_and_usage_totalled,
            invoices_are_numbered_per_year_without_gaps,
            concurrent_issues_take_consecutive_numbers_once,
            a_failing_batch_writes_nothing_and_spends_no_number,
            invoice_updates_are_compare_and_set,
            a_batch_with_a_stale_subscription_writes_nothing,
            profiles_checkouts_and_gateway_events_are_kept_once,
            add_ons_in_a_batch_are_compare_and_set_with_their_invoice,
            a_subscription_and_add_ons_in_one_batch_each_move_the_version
        );
    };
    (@tests $setup:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::conformance::run($setup.await, $crate::conformance::$name).await;
            }
        )*
    };
}

const T0: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

fn key(k: &str) -> AccountKey {
    AccountKey::parse(k).expect("valid key")
}

fn metric(m: &str) -> MetricName {
    MetricName::parse(m).expect("valid metric")
}

fn window(w: &str) -> WindowKey {
    WindowKey::parse(w).expect("valid window")
}

fn idem(k: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(k).expect("valid key"))
}

fn draft(code: &str, sites: u64) -> PlanDraft {
    PlanDraft {
        code: PlanCode::parse(code).expect("valid code"),
        name: code.to_uppercase(),
        description: "for tests".into(),
        price: Money::parse("45.00", "USD").expect("valid money"),
        interval: Interval::Month,
        trial_days: 0,
        per_seat: false,
        active: true,
        features: [(FeatureName::parse("api_access").expect("valid"), true)].into(),
        limits: [
            (metric("sites"), Limit::hard(sites, Reset::Never)),
            (
                metric("tickets"),
                Limit { max: Some(2000), reset: Reset::Month, enforcement: Enforcement::Soft },
            ),
        ]
        .into(),
        rate_limit: None,
        addons: Vec::new(),
    }
}

/// Creates account `k` on a fresh plan and returns it.
async fn account(b: &Backend, k: &str) -> AccountKey {
    let plan = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    let account = Account { key: key(k), name: k.to_uppercase(), email: None, created_at: T0 };
    let sub = Subscription::start(&plan, 1, T0).expect("start");
    b.accounts.create(&account, Some(sub)).await.expect("create");
    account.key
}

fn command(
    account: &AccountKey,
    quantity: u64,
    cap: Option<u64>,
    key: Option<IdempotencyKey>,
) -> UsageCommand {
    UsageCommand {
        account: account.clone(),
        metric: metric("sites"),
        window: WindowKey::never(),
        quantity: Quantity::new(quantity).expect("valid quantity"),
        cap,
        idempotency_key: key,
        state_version: None,
        at: T0,
    }
}

async fn used(b: &Backend, account: &AccountKey, window: &str) -> u64 {
    b.usage.current(account, &[(metric("sites"), self::window(window))]).await.expect("current")[0]
}

async fn assert_ledger_matches(b: &Backend, k: &AccountKey) {
    let ledger = b.usage.ledger(k, 100_000).await.expect("ledger");
    let sum = ledger.iter().fold(0_i128, |sum, e| match e.kind {
        UsageKind::Consume => sum + i128::from(e.outcome.delta),
        UsageKind::Release => sum - i128::from(e.outcome.delta),
    });
    assert_eq!(sum, i128::from(used(b, k, "never").await));
}
