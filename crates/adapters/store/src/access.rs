//! API keys and HTTP idempotency records (`api_keys`, `idempotency_records`), in raw SQL written
//! once for both backends.

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Value};
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, ApiKey, ApiKeyId, AuditEvent, Role, Scope};
use tollgate_ports::{ApiKeyStore, Begin, IdempotencyStore, StoreError};

use crate::convert::{corrupt, db_error, instant, is_unique_violation, micros};
use crate::identity::commit_with_audit;
use crate::{begin_write, statement};

#[derive(Debug, Clone)]
struct Db {
    db: DatabaseConnection,
    backend: DbBackend,
}

impl Db {
    fn new(db: DatabaseConnection) -> Self {
        let backend = db.get_database_backend();
        Self { db, backend }
    }

    async fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        let result = self.db.execute_raw(statement(self.backend, sql, values)).await.map_err(db_error)?;
        Ok(result.rows_affected())
    }

    async fn query_one(&self, sql: &str, values: Vec<Value>) -> Result<Option<QueryResult>, StoreError> {
        self.db.query_one_raw(statement(self.backend, sql, values)).await.map_err(db_error)
    }

    async fn query_all(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, StoreError> {
        self.db.query_all_raw(statement(self.backend, sql, values)).await.map_err(db_error)
    }
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T, StoreError> {
    row.try_get_by_index(index).map_err(|e| corrupt(format!("{e:?}")))
}

/// API keys in the `api_keys` table.
#[derive(Debug, Clone)]
pub struct SqlApiKeys {
    db: Db,
}

const API_KEY_COLUMNS: &str =
    "id, name, role, prefix, secret_hash, created_at, revoked_at, account, scopes, expires_at, last_used_at";
const API_KEY_VALUES: &str = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11";

impl SqlApiKeys {
    /// API keys on `db` (migrated).
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db: Db::new(db) }
    }

    fn values(key: &ApiKey) -> Vec<Value> {
        vec![
            key.id.as_str().into(),
            key.name.clone().into(),
            key.role.as_str().into(),
            key.prefix.clone().into(),
            key.secret_hash.clone().into(),
            micros(key.created_at).into(),
            key.revoked_at.map(micros).into(),
            key.account.as_ref().map(|a| a.as_str().to_owned()).into(),
            join_scopes(&key.scopes).into(),
            key.expires_at.map(micros).into(),
            key.last_used_at.map(micros).into(),
        ]
    }

    fn row(row: &QueryResult) -> Result<ApiKey, StoreError> {
        let role: String = get(row, 2)?;
        Ok(ApiKey {
            id: ApiKeyId::parse(get::<String>(row, 0)?).map_err(corrupt)?,
            name: get(row, 1)?,
            role: Role::parse(&role).ok_or_else(|| corrupt(format!("role {role}")))?,
            prefix: get(row, 3)?,
            secret_hash: get(row, 4)?,
            created_at: instant(get(row, 5)?)?,
            revoked_at: get::<Option<i64>>(row, 6)?.map(instant).transpose()?,
            account: get::<Option<String>>(row, 7)?.map(AccountKey::parse).transpose().map_err(corrupt)?,
            scopes: split_scopes(&get::<String>(row, 8)?)?,
            expires_at: get::<Option<i64>>(row, 9)?.map(instant).transpose()?,
            last_used_at: get::<Option<i64>>(row, 10)?.map(instant).transpose()?,
        })
    }
}

/// Scopes as stored: their names joined by commas (empty for none).
fn join_scopes(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn split_scopes(stored: &str) -> Result<Vec<Scope>, StoreError> {
    stored
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| Scope::parse(name).ok_or_else(|| corrupt(format!("scope {name}"))))
        .collect()
}

#[async_trait]
impl ApiKeyStore for SqlApiKeys {
    async fn insert(&self, key: &ApiKey, audit: &[AuditEvent]) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES ({API_KEY_VALUES})");
        let txn = begin_write(&self.db.db).await.map_err(db_error)?;
        let result = txn.execute_raw(statement(self.db.backend, &sql, Self::values(key))).await;
        if let Err(e) = result {
            let _ = txn.rollback().await;
            return Err(if is_unique_violation(&e) { StoreError::Conflict("api key") } else { db_error(e) });
        }
        commit_with_audit(txn, audit).await
    }

    async fn upsert(&self, key: &ApiKey) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES ({API_KEY_VALUES}) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, \
             prefix = excluded.prefix, secret_hash = excluded.secret_hash, \
             created_at = excluded.created_at, revoked_at = excluded.revoked_at, \
             account = excluded.account, scopes = excluded.scopes, expires_at = excluded.expires_at, \
             last_used_at = excluded.last_used_at"
        );
        self.db.execute(&sql, Self::values(key)).await.map(|_| ())
    }

    async fn find_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1");
        self.db.query_one(&sql, vec![secret_hash.into()]).await?.as_ref().map(Self::row).transpose()
    }

    async fn list<'a>(
        &self,
        account: Option<&'a AccountKey>,
        after: Option<ApiKeyId>,
        limit: u32,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let after = after.as_ref().map_or("", ApiKeyId::as_str);
        let rows = match account {
            None => {
                let sql = format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE account IS NULL AND id > $1 ORDER BY id LIMIT $2"
                );
                self.db.query_all(&sql, vec![after.into(), i64::from(limit).into()]).await?
            }
            Some(account) => {
                let sql = format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE account = $1 AND id > $2 ORDER BY id LIMIT $3"
                );
                let values = vec![account.as_str().into(), after.into(), i64::from(limit).into()];
                self.db.query_all(&sql, values).await?
            }
        };
        rows.iter().map(Self::row).collect()
    }

    async fn revoke<'a>(
        &self,
        id: &ApiKeyId,
        account: Option<&'a AccountKey>,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Option<ApiKey>, StoreError> {
        // The owner is part of every condition, so another owner's key is never touched.
        let (owner, mut values) = match account {
            None => ("account IS NULL", vec![id.as_str().into()]),
            Some(account) => ("account = $2", vec![id.as_str().into(), account.as_str().into()]),
        };
        let at_param = format!("${}", values.len() + 1);
        values.push(micros(at).into());
        // Only a key not revoked yet is changed: the row count tells whether this call revoked
        // it, and so whether its events are written (the row lock orders concurrent calls).
        let update = format!(
            "UPDATE api_keys SET revoked_at = {at_param} WHERE id = $1 AND {owner} AND revoked_at IS NULL"
        );
        let txn = begin_write(&self.db.db).await.map_err(db_error)?;
        let revoked = match txn.execute_raw(statement(self.db.backend, &update, values.clone())).await {
            Ok(result) => result.rows_affected() == 1,
            Err(e) => {
                let _ = txn.rollback().await;
                return Err(db_error(e));
            }
        };
        commit_with_audit(txn, if revoked { audit } else { &[] }).await?;
        values.pop();
        let select = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE id = $1 AND {owner}");
        self.db.query_one(&select, values).await?.as_ref().map(Self::row).transpose()
    }

    async fn touch(&self, id: &ApiKeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.db
            .execute(
                "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
                vec![id.as_str().into(), micros(at).into()],
            )
            .await
            .map(|_| ())
    }

    async fn has_active_admin(&self, now: OffsetDateTime) -> Result<bool, StoreError> {
        let row = self
            .db
            .query_one(
                "SELECT id FROM api_keys WHERE role = $1 AND account IS NULL AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $2) LIMIT 1",
                vec![Role::Admin.as_str().into(), micros(now).into()],
            )
            .await?;
        Ok(row.is_some())
    }
}

/// Idempotency records in the `idempotency_records` table.
#[derive(Debug, Clone)]
pub struct SqlIdempotency {
    db: Db,
}

impl SqlIdempotency {
    /// Records on `db` (the table comes with the migrations).
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db: Db::new(db) }
    }
}

#[async_trait]
impl IdempotencyStore for SqlIdempotency {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError> {
        // Each statement is atomic on its own: of concurrent claims exactly one insert wins, and
        // the others read its record. An expired record is deleted and the claim tried again; so
        // is a record deleted between the insert and the read (its request failed).
        for _ in 0..3 {
            let inserted = self
                .db
                .execute(
                    "INSERT INTO idempotency_records \
                     (scope, key, owner, fingerprint, status, body, created_at, expires_at) \
                     VALUES ($1, $2, $6, $3, NULL, NULL, $4, $5) ON CONFLICT (scope, key) DO NOTHING",
                    vec![
                        scope.into(),
                        key.into(),
                        fingerprint.into(),
                        micros(now).into(),
                        micros(lease_until).into(),
                        owner.into(),
                    ],
                )
                .await?;
            if inserted == 1 {
                return Ok(Begin::Started);
            }
            let row = self
                .db
                .query_one(
                    "SELECT fingerprint, status, body, expires_at FROM idempotency_records \
                     WHERE scope = $1 AND key = $2",
                    vec![scope.into(), key.into()],
                )
                .await?;
            let Some(row) = row else { continue };
            let expires_at: i64 = get(&row, 3)?;
            if expires_at <= micros(now) {
                self.db
                    .execute(
                        "DELETE FROM idempotency_records WHERE scope = $1 AND key = $2 AND expires_at <= $3",
                        vec![scope.into(), key.into(), micros(now).into()],
                    )
                    .await?;
                continue;
            }
            let stored: String = get(&row, 0)?;
            let status: Option<i32> = get(&row, 1)?;
            let body: Option<String> = get(&row, 2)?;
            let response = status.map(|s| (u16::try_from(s).unwrap_or(500), body.unwrap_or_default()));
            return Ok(Begin::for_record(&stored, fingerprint, response));
        }
        Err(StoreError::Unavailable("idempotency record contended".into()))
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        status: u16,
        body: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.db
            .execute(
                "UPDATE idempotency_records SET status = $3, body = $4, expires_at = $5 \
                 WHERE scope = $1 AND key = $2 AND owner = $6 AND status IS NULL",
                vec![
                    scope.into(),
                    key.into(),
                    i32::from(status).into(),
                    body.into(),
                    micros(expires_at).into(),
                    owner.into(),
                ],
            )
            .await
            .map(|updated| updated == 1)
    }

    async fn abandon(&self, scope: &str, key: &str, owner: &str) -> Result<(), StoreError> {
        self.db
            .execute(
                "DELETE FROM idempotency_records \
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND status IS NULL",
                vec![scope.into(), key.into(), owner.into()],
            )
            .await
            .map(|_| ())
    }

    async fn purge_expired(&self, now: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        // The expiry index finds the batch; the primary key deletes it.
        self.db
            .execute(
                "DELETE FROM idempotency_records WHERE (scope, key) IN (SELECT scope, key \
                 FROM idempotency_records WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
                vec![micros(now).into(), i64::from(limit).into()],
            )
            .await
    }
}
