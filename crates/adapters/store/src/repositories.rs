//! Accounts, subscriptions, add-ons, overrides and plans.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AddOn, AuditEvent, Email, Interval, MetricName, Overrides, Plan, PlanCode, PlanDraft,
    Subscription,
};
use tollgate_ports::{
    Account, AccountFilter, AccountRepository, AccountState, PlanRepository, StoreError,
    SubscriptionRepository, SubscriptionTally,
};

use crate::account_state::{STATE_SQL, state_from_row};
use crate::convert::{corrupt, db_error, instant, is_foreign_key_violation, is_unique_violation, micros};
use crate::entities::{account_terms, accounts, plans, subscriptions};
use crate::identity::commit_with_audit;
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

fn plan_from_model(model: plans::Model) -> Result<Plan, StoreError> {
    let terms: PlanDraft = serde_json::from_str(&model.terms).map_err(corrupt)?;
    let version = u32::try_from(model.version).map_err(corrupt)?;
    Plan::new(terms, version).map_err(corrupt)
}

/// How many times a publish retries when another publisher took the same version number.
const PUBLISH_ATTEMPTS: usize = 5;

#[async_trait]
impl PlanRepository for Store {
    async fn publish(
        &self,
        terms: &PlanDraft,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Plan, StoreError> {
        let json = serde_json::to_string(terms).map_err(|e| StoreError::Internal(e.to_string()))?;
        let price_minor = terms.price.to_minor_units().map_err(|e| StoreError::Internal(e.to_string()))?;
        for _ in 0..PUBLISH_ATTEMPTS {
            if let Some(latest) = self.latest(&terms.code).await?
                && latest.terms() == terms
            {
                return Ok(latest);
            }
            let version = self.latest(&terms.code).await?.map_or(1, |p| p.version() + 1);
            let model = plans::ActiveModel {
                code: Set(terms.code.to_string()),
                version: Set(i32::try_from(version).map_err(corrupt)?),
                terms: Set(json.clone()),
                price_minor: Set(price_minor),
                currency: Set(terms.price.currency().code().to_owned()),
                active: Set(terms.active),
                created_at: Set(micros(at)),
                ..Default::default()
            };
            // The version and its events commit together.
            let txn = begin_write(self.connection()).await.map_err(db_error)?;
            match plans::Entity::insert(model).exec(&txn).await {
                Ok(_) => {
                    commit_with_audit(txn, audit).await?;
                    return Plan::new(terms.clone(), version).map_err(corrupt);
                }
                // Another publisher took this version: look again.
                Err(e) if is_unique_violation(&e) => {
                    let _ = txn.rollback().await;
                    continue;
                }
                Err(e) => {
                    let _ = txn.rollback().await;
                    return Err(db_error(e));
                }
            }
        }
        Err(StoreError::Unavailable("plan publication kept conflicting; retry".into()))
    }

    async fn latest(&self, code: &PlanCode) -> Result<Option<Plan>, StoreError> {
        plans::Entity::find()
            .filter(plans::Column::Code.eq(code.as_str()))
            .order_by_desc(plans::Column::Version)
            .one(self.connection())
            .await
            .map_err(db_error)?
            .map(plan_from_model)
            .transpose()
    }

    async fn version(&self, code: &PlanCode, version: u32) -> Result<Option<Plan>, StoreError> {
        let Ok(version) = i32::try_from(version) else { return Ok(None) };
        plans::Entity::find()
            .filter(plans::Column::Code.eq(code.as_str()))
            .filter(plans::Column::Version.eq(version))
            .one(self.connection())
            .await
            .map_err(db_error)?
            .map(plan_from_model)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<Plan>, StoreError> {
        let rows = self
            .connection()
            .query_all_raw(self.statement(
                "SELECT p.id, p.code, p.version, p.terms, p.price_minor, p.currency, p.active, p.created_at \
                 FROM plans p WHERE p.version = (SELECT MAX(q.version) FROM plans q WHERE q.code = p.code) \
                 ORDER BY p.code",
                vec![],
            ))
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let terms: String = row.try_get_by_index(3).map_err(db_error)?;
                let version: i32 = row.try_get_by_index(2).map_err(db_error)?;
                let terms: PlanDraft = serde_json::from_str(&terms).map_err(corrupt)?;
                Plan::new(terms, u32::try_from(version).map_err(corrupt)?).map_err(corrupt)
            })
            .collect()
    }

    async fn metrics(&self) -> Result<Vec<MetricName>, StoreError> {
        let rows = plans::Entity::find().all(self.connection()).await.map_err(db_error)?;
        let mut metrics = Vec::new();
        for row in rows {
            metrics.extend(plan_from_model(row)?.limits().keys().cloned());
        }
        metrics.sort();
        metrics.dedup();
        Ok(metrics)
    }
}
