//! An account's state as one row: the account, its subscription, add-ons and overrides, and its
//! state version, read by key (the hot path) or by the admin search.

use sea_orm::QueryResult;
use tollgate_domain::{
    AccountKey, AddOn, Email, Interval, Overrides, PlanCode, Status, Subscription, SubscriptionParts,
};
use tollgate_ports::{Account, AccountState, StoreError};

use crate::convert::{corrupt, db_error, instant};

fn optional_instant(value: Option<i64>) -> Result<Option<time::OffsetDateTime>, StoreError> {
    value.map(instant).transpose()
}

/// The select of every account state column, without a condition.
macro_rules! state_select {
    () => {
        "SELECT a.id, a.key, a.name, a.email, a.created_at, \
         s.plan_code, s.plan_version, s.interval, s.status, s.seats, s.started_at, s.anchor, \
         s.trial_ends_at, s.cancel_at, s.past_due_since, s.ended_at, t.add_ons, t.overrides, a.state_version, \
         s.scheduled \
         FROM accounts a \
         LEFT JOIN subscriptions s ON s.account_id = a.id \
         LEFT JOIN account_terms t ON t.account_id = a.id"
    };
}

/// The account-state query: one round trip for everything a decision needs.
pub(crate) const STATE_SQL: &str = concat!(state_select!(), " WHERE a.key = $1");

/// The account states, for a caller to add its conditions (`WHERE …`) and order.
pub(crate) const STATE_SELECT: &str = state_select!();

pub(crate) fn state_from_row(row: &QueryResult) -> Result<(i64, AccountState), StoreError> {
    let get_i64 = |i| row.try_get_by_index::<i64>(i).map_err(db_error);
    let get_opt_i64 = |i| row.try_get_by_index::<Option<i64>>(i).map_err(db_error);
    let get_opt_str = |i| row.try_get_by_index::<Option<String>>(i).map_err(db_error);
    let id = get_i64(0)?;
    let key = AccountKey::parse(row.try_get_by_index::<String>(1).map_err(db_error)?).map_err(corrupt)?;
    let email = get_opt_str(3)?.map(Email::parse).transpose().map_err(corrupt)?;
    let account = Account {
        key,
        name: row.try_get_by_index::<String>(2).map_err(db_error)?,
        email,
        created_at: instant(get_i64(4)?)?,
    };
    let subscription = match get_opt_str(5)? {
        None => None,
        Some(plan) => {
            let interval = match get_opt_str(7)?.as_deref() {
                Some("year") => Interval::Year,
                Some("month") => Interval::Month,
                other => return Err(corrupt(format!("interval {other:?}"))),
            };
            let number = |i| -> Result<u32, StoreError> {
                let v = row.try_get_by_index::<Option<i32>>(i).map_err(db_error)?.unwrap_or(0);
                u32::try_from(v).map_err(corrupt)
            };
            Some(Subscription::from_parts(SubscriptionParts {
                plan: PlanCode::parse(plan).map_err(corrupt)?,
                plan_version: number(6)?,
                interval,
                status: Status::parse(&get_opt_str(8)?.unwrap_or_default()).map_err(corrupt)?,
                seats: number(9)?,
                started_at: instant(get_opt_i64(10)?.unwrap_or(0))?,
                anchor: instant(get_opt_i64(11)?.unwrap_or(0))?,
                trial_ends_at: optional_instant(get_opt_i64(12)?)?,
                cancel_at: optional_instant(get_opt_i64(13)?)?,
                past_due_since: optional_instant(get_opt_i64(14)?)?,
                ended_at: optional_instant(get_opt_i64(15)?)?,
                scheduled: get_opt_str(19)?
                    .map(|json| serde_json::from_str(&json))
                    .transpose()
                    .map_err(corrupt)?,
            }))
        }
    };
    let add_ons: Vec<AddOn> = match get_opt_str(16)? {
        Some(json) => serde_json::from_str(&json).map_err(corrupt)?,
        None => Vec::new(),
    };
    let overrides: Overrides = match get_opt_str(17)? {
        Some(json) => serde_json::from_str(&json).map_err(corrupt)?,
        None => Overrides::default(),
    };
    let version = u64::try_from(get_i64(18)?).map_err(corrupt)?;
    Ok((id, AccountState { version, account, subscription, add_ons, overrides }))
}
