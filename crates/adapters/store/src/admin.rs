//! The back office's reads across accounts: the account search, the subscription tally and the
//! usage totals. Each is one statement, outside any transaction.

use sea_orm::{ConnectionTrait, Value};
use tollgate_domain::{AccountKey, MetricName, PlanCode, Status};
use tollgate_ports::{AccountFilter, AccountState, StoreError, SubscriptionTally};

use crate::Store;
use crate::account_state::{STATE_SELECT, state_from_row};
use crate::convert::{corrupt, db_error};

/// `%text%` for `LIKE … ESCAPE '\'`, with the text's own `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(corrupt)
}

impl Store {
    pub(crate) async fn search_accounts(
        &self,
        filter: &AccountFilter,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountState>, StoreError> {
        let mut values: Vec<Value> = Vec::new();
        let mut sql = format!("{STATE_SELECT} WHERE 1 = 1");
        let mut condition = |sql: &mut String, template: &str, value: Value| {
            values.push(value);
            sql.push_str(&template.replace('?', &format!("${}", values.len())));
        };
        if let Some(after) = after {
            condition(&mut sql, " AND a.key > ?", after.as_str().into());
        }
        if let Some(query) = &filter.query {
            // The pattern is folded by Rust, the columns by the database's LOWER (ASCII only on
            // SQLite); keys and e-mails are ASCII.
            condition(
                &mut sql,
                " AND (LOWER(a.key) LIKE ? ESCAPE '\\' OR LOWER(a.name) LIKE ? ESCAPE '\\' \
                 OR LOWER(a.email) LIKE ? ESCAPE '\\')",
                contains_pattern(&query.to_lowercase()).into(),
            );
        }
        if let Some(status) = filter.status {
            condition(&mut sql, " AND s.status = ?", status.as_str().into());
        }
        if let Some(plan) = &filter.plan {
            condition(&mut sql, " AND s.plan_code = ?", plan.as_str().into());
        }
        condition(&mut sql, " ORDER BY a.key LIMIT ?", i64::from(limit).into());
        let read =
            async { self.connection().query_all_raw(self.statement(&sql, values)).await.map_err(db_error) };
        let rows = self.within(read).await?;
        rows.iter().map(|row| state_from_row(row).map(|(_, state)| state)).collect()
    }

    pub(crate) async fn tally_subscriptions(&self) -> Result<Vec<SubscriptionTally>, StoreError> {
        const SQL: &str = "SELECT s.plan_code, s.plan_version, s.status, COUNT(*), \
             CAST(COALESCE(SUM(s.seats), 0) AS BIGINT) \
             FROM accounts a LEFT JOIN subscriptions s ON s.account_id = a.id \
             GROUP BY s.plan_code, s.plan_version, s.status";
        let read =
            async { self.connection().query_all_raw(self.statement(SQL, vec![])).await.map_err(db_error) };
        let rows = self.within(read).await?;
        rows.iter()
            .map(|row| {
                let plan = match row.try_get_by_index::<Option<String>>(0).map_err(db_error)? {
                    Some(code) => {
                        let version = row.try_get_by_index::<Option<i32>>(1).map_err(db_error)?.unwrap_or(0);
                        Some((
                            PlanCode::parse(code).map_err(corrupt)?,
                            u32::try_from(version).map_err(corrupt)?,
                        ))
                    }
                    None => None,
                };
                let status = row
                    .try_get_by_index::<Option<String>>(2)
                    .map_err(db_error)?
                    .map(|s| Status::parse(&s).map_err(corrupt))
                    .transpose()?;
                Ok(SubscriptionTally {
                    plan,
                    status,
                    accounts: count(row.try_get_by_index::<i64>(3).map_err(db_error)?)?,
                    seats: count(row.try_get_by_index::<i64>(4).map_err(db_error)?)?,
                })
            })
            .collect()
    }

    pub(crate) async fn usage_totals(&self) -> Result<Vec<(MetricName, u64)>, StoreError> {
        // Summed as text-free integers on both databases: NUMERIC on PostgreSQL past i64 would
        // not decode, so the sum is capped by the cast (counters never pass i64::MAX each).
        const SQL: &str = "SELECT metric, CAST(SUM(used) AS BIGINT) FROM usage_counters \
             GROUP BY metric ORDER BY metric";
        let read =
            async { self.connection().query_all_raw(self.statement(SQL, vec![])).await.map_err(db_error) };
        let rows = self.within(read).await?;
        rows.iter()
            .map(|row| {
                let metric = MetricName::parse(row.try_get_by_index::<String>(0).map_err(db_error)?)
                    .map_err(corrupt)?;
                Ok((metric, count(row.try_get_by_index::<i64>(1).map_err(db_error)?)?))
            })
            .collect()
    }
}
