//! Failed logins (`login_failures`), shared by every instance on the database.

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use time::OffsetDateTime;
use tollgate_ports::{Failures, LoginAttempts, StoreError};

use super::rows::get;
use super::{exec, fail, one};
use crate::convert::{instant, micros};

/// The login throttle's failure counts on the store's database.
#[derive(Debug, Clone)]
pub struct SqlLoginAttempts {
    db: DatabaseConnection,
}

impl SqlLoginAttempts {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// How many failures of `column` = `value` at or after `since`, and the oldest of them.
    async fn count(
        &self,
        column: &str,
        value: &str,
        since: OffsetDateTime,
    ) -> Result<(u32, Option<OffsetDateTime>), StoreError> {
        let sql = format!("SELECT COUNT(*), MIN(at) FROM login_failures WHERE {column} = $1 AND at >= $2");
        let Some(row) = one(&self.db, &sql, vec![value.into(), micros(since).into()]).await? else {
            return Ok((0, None));
        };
        let count = u32::try_from(get::<i64>(&row, 0)?).unwrap_or(u32::MAX);
        Ok((count, get::<Option<i64>>(&row, 1)?.map(instant).transpose()?))
    }
}

#[async_trait]
impl LoginAttempts for SqlLoginAttempts {
    async fn record_failure(&self, email: &str, ip: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        exec(
            &self.db,
            "INSERT INTO login_failures (email, ip, at) VALUES ($1, $2, $3)",
            vec![email.into(), ip.into(), micros(at).into()],
        )
        .await
        .map_err(fail)?;
        Ok(())
    }

    async fn failures(&self, email: &str, ip: &str, since: OffsetDateTime) -> Result<Failures, StoreError> {
        let (by_email, oldest_email) = self.count("email", email, since).await?;
        let (by_ip, oldest_ip) = self.count("ip", ip, since).await?;
        Ok(Failures { email: by_email, ip: by_ip, oldest_email, oldest_ip })
    }

    async fn clear(&self, email: &str) -> Result<(), StoreError> {
        exec(&self.db, "DELETE FROM login_failures WHERE email = $1", vec![email.into()])
            .await
            .map_err(fail)?;
        Ok(())
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        exec(&self.db, "DELETE FROM login_failures WHERE at < $1", vec![micros(before).into()])
            .await
            .map_err(fail)
    }
}
