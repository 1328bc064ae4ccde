//! Accounts, subscriptions, add-ons and overrides (plans are in `plans.rs`).

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use tollgate_domain::{AccountKey, AddOn, AuditEvent, Email, Interval, Overrides, Subscription};
use tollgate_ports::{
    Account, AccountFilter, AccountRepository, AccountState, StoreError, SubscriptionRepository,
    SubscriptionTally,
};

use crate::account_state::{STATE_SQL, state_from_row};
use crate::convert::{corrupt, db_error, instant, is_foreign_key_violation, is_unique_violation, micros};
use crate::entities::{account_terms, accounts, subscriptions};
use crate::{Store, begin_write};

fn interval_name(interval: Interval) -> &'static str {
    match interval {
        Interval::Month => "month",
        Interval::Year => "year",
    }
}

fn subscription_model(account_id: i64, s: &Subscription) -> subscriptions::ActiveModel {
    let p = s.to_parts();
    subscriptions::ActiveModel {
        account_id: Set(account_id),
        plan_code: Set(p.plan.to_string()),
        plan_version: Set(i32::try_from(p.plan_version).unwrap_or(i32::MAX)),
        interval: Set(interval_name(p.interval).to_owned()),
        status: Set(p.status.as_str().to_owned()),
        seats: Set(i32::try_from(p.seats).unwrap_or(i32::MAX)),
        started_at: Set(micros(p.started_at)),
        anchor: Set(micros(p.anchor)),
        trial_ends_at: Set(p.trial_ends_at.map(micros)),
        cancel_at: Set(p.cancel_at.map(micros)),
        past_due_since: Set(p.past_due_since.map(micros)),
        ended_at: Set(p.ended_at.map(micros)),
        scheduled: Set(p.scheduled.as_ref().and_then(|change| serde_json::to_string(change).ok())),
    }
}

/// Writes a new account and its first subscription in `txn` and returns the account's internal
/// id: what [`AccountRepository::create`] commits, also part of an identity registration.
pub(crate) async fn insert_account(
    txn: &DatabaseTransaction,
    account: &Account,
    subscription: Option<&Subscription>,
) -> Result<i64, StoreError> {
    let inserted = accounts::Entity::insert(accounts::ActiveModel {
        key: Set(account.key.to_string()),
        name: Set(account.name.clone()),
        email: Set(account.email.as_ref().map(ToString::to_string)),
        created_at: Set(micros(account.created_at)),
        ..Default::default()
    })
    .exec(txn)
    .await;
    let id = match inserted {
        Ok(result) => result.last_insert_id,
        Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict("account")),
        Err(e) => return Err(db_error(e)),
    };
    if let Some(subscription) = subscription {
        subscriptions::Entity::insert(subscription_model(id, subscription))
            .exec(txn)
            .await
            .map_err(db_error)?;
    }
    Ok(id)
}

#[async_trait]
impl AccountRepository for Store {
    async fn create(&self, account: &Account, subscription: Option<Subscription>) -> Result<(), StoreError> {
        let txn = begin_write(self.connection()).await.map_err(db_error)?;
        let id = insert_account(&txn, account, subscription.as_ref()).await?;
        txn.commit().await.map_err(db_error)?;
        self.remember(&account.key, id);
        Ok(())
    }

    async fn state(&self, key: &AccountKey) -> Result<Option<AccountState>, StoreError> {
        let read = async {
            self.connection()
                .query_one_raw(self.statement(STATE_SQL, vec![key.as_str().into()]))
                .await
                .map_err(db_error)
        };
        let row = self.within(read).await?;
        let Some(row) = row else { return Ok(None) };
        let (id, state) = state_from_row(&row)?;
        self.remember(key, id);
        Ok(Some(state))
    }

    async fn list(&self, after: Option<AccountKey>, limit: u32) -> Result<Vec<Account>, StoreError> {
        let mut query = accounts::Entity::find().order_by_asc(accounts::Column::Key).limit(u64::from(limit));
        if let Some(after) = after {
            query = query.filter(accounts::Column::Key.gt(after.to_string()));
        }
        let rows = query.all(self.connection()).await.map_err(db_error)?;
        rows.into_iter()
            .map(|m| {
                Ok(Account {
                    key: AccountKey::parse(m.key).map_err(corrupt)?,
                    name: m.name,
                    email: m.email.map(Email::parse).transpose().map_err(corrupt)?,
                    created_at: instant(m.created_at)?,
                })
            })
            .collect()
    }

    async fn search(
        &self,
        filter: &AccountFilter,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountState>, StoreError> {
        self.search_accounts(filter, after, limit).await
    }

    async fn tally(&self) -> Result<Vec<SubscriptionTally>, StoreError> {
        self.tally_subscriptions().await
    }
}

/// Moves an account's state version on, if it is `$2` (compare-and-set).
const BUMP_IF_SQL: &str =
    "UPDATE accounts SET state_version = state_version + 1 WHERE id = $1 AND state_version = $2";
/// Moves an account's state version on, whatever it is.
const BUMP_SQL: &str = "UPDATE accounts SET state_version = state_version + 1 WHERE id = $1";
const EXISTS_SQL: &str = "SELECT 1 FROM accounts WHERE id = $1";

impl Store {
    /// Runs `write` in one write transaction with the move of the account's state version, so a
    /// change and its version move commit together. With `expected`, only if the version is still
    /// that one: the row lock the update takes makes concurrent changes from the same version
    /// queue, and all but the first find it moved ([`StoreError::Stale`]).
    async fn change_state<F>(&self, id: i64, expected: Option<u64>, write: F) -> Result<(), StoreError>
    where
        F: for<'t> FnOnce(
            &'t DatabaseTransaction,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send + 't>,
        >,
    {
        let txn = begin_write(self.connection()).await.map_err(db_error)?;
        if let Err(error) = self.bump_state(&txn, id, expected).await {
            let _ = txn.rollback().await;
            return Err(error);
        }
        if let Err(error) = write(&txn).await {
            let _ = txn.rollback().await;
            return Err(error);
        }
        txn.commit().await.map_err(db_error)
    }
}

impl Store {
    /// Moves account `id`'s state version on in `txn` (if it is still `expected`, when given).
    ///
    /// # Errors
    /// [`StoreError::Stale`] when the version moved, [`StoreError::NotFound`]`("account")`.
    pub(crate) async fn bump_state(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let bump = match expected {
            Some(version) => {
                let Ok(version) = i64::try_from(version) else { return Err(StoreError::Stale) };
                self.statement(BUMP_IF_SQL, vec![id.into(), version.into()])
            }
            None => self.statement(BUMP_SQL, vec![id.into()]),
        };
        if txn.execute_raw(bump).await.map_err(db_error)?.rows_affected() != 1 {
            let exists =
                txn.query_one_raw(self.statement(EXISTS_SQL, vec![id.into()])).await.map_err(db_error)?;
            return Err(if exists.is_some() { StoreError::Stale } else { StoreError::NotFound("account") });
        }
        Ok(())
    }
}

/// Writes account `id`'s subscription in `txn`, replacing the previous one.
pub(crate) async fn upsert_subscription(
    txn: &DatabaseTransaction,
    id: i64,
    subscription: &Subscription,
) -> Result<(), StoreError> {
    subscriptions::Entity::insert(subscription_model(id, subscription))
        .on_conflict(
            OnConflict::column(subscriptions::Column::AccountId)
                .update_columns([
                    subscriptions::Column::PlanCode,
                    subscriptions::Column::PlanVersion,
                    subscriptions::Column::Interval,
                    subscriptions::Column::Status,
                    subscriptions::Column::Seats,
                    subscriptions::Column::StartedAt,
                    subscriptions::Column::Anchor,
                    subscriptions::Column::TrialEndsAt,
                    subscriptions::Column::CancelAt,
                    subscriptions::Column::PastDueSince,
                    subscriptions::Column::EndedAt,
                    subscriptions::Column::Scheduled,
                ])
                .to_owned(),
        )
        .exec(txn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Writes account `id`'s add-ons in `txn`, replacing the previous set (its overrides stay).
pub(crate) async fn upsert_add_ons(
    txn: &DatabaseTransaction,
    id: i64,
    add_ons: &[AddOn],
) -> Result<(), StoreError> {
    let model = account_terms::ActiveModel {
        account_id: Set(id),
        add_ons: Set(serde_json::to_string(add_ons).map_err(|e| StoreError::Internal(e.to_string()))?),
        overrides: Set("{}".to_owned()),
    };
    upsert_terms(txn, model, account_terms::Column::AddOns).await
}

async fn upsert_terms(
    txn: &DatabaseTransaction,
    model: account_terms::ActiveModel,
    column: account_terms::Column,
) -> Result<(), StoreError> {
    account_terms::Entity::insert(model)
        .on_conflict(OnConflict::column(account_terms::Column::AccountId).update_column(column).to_owned())
        .exec(txn)
        .await
        .map_err(
            |e| if is_foreign_key_violation(&e) { StoreError::NotFound("account") } else { db_error(e) },
        )?;
    Ok(())
}

#[async_trait]
impl SubscriptionRepository for Store {
    async fn save(
        &self,
        key: &AccountKey,
        subscription: &Subscription,
        expected: u64,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let id = self.account_id(key).await?;
        let subscription = subscription.clone();
        let audit = audit.to_vec();
        self.change_state(id, Some(expected), |txn| {
            Box::pin(async move {
                for event in &audit {
                    crate::identity::append_audit(txn, event).await?;
                }
                upsert_subscription(txn, id, &subscription).await
            })
        })
        .await
    }

    async fn set_add_ons(&self, key: &AccountKey, add_ons: &[AddOn]) -> Result<(), StoreError> {
        let id = self.account_id(key).await?;
        let model = account_terms::ActiveModel {
            account_id: Set(id),
            add_ons: Set(serde_json::to_string(add_ons).map_err(|e| StoreError::Internal(e.to_string()))?),
            overrides: Set("{}".to_owned()),
        };
        self.change_state(id, None, |txn| Box::pin(upsert_terms(txn, model, account_terms::Column::AddOns)))
            .await
    }

    async fn set_overrides(&self, key: &AccountKey, overrides: &Overrides) -> Result<(), StoreError> {
        let id = self.account_id(key).await?;
        let model = account_terms::ActiveModel {
            account_id: Set(id),
            add_ons: Set("[]".to_owned()),
            overrides: Set(serde_json::to_string(overrides).map_err(|e| StoreError::Internal(e.to_string()))?),
        };
        self.change_state(id, None, |txn| {
            Box::pin(upsert_terms(txn, model, account_terms::Column::Overrides))
        })
        .await
    }
}
