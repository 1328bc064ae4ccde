//! [`IdentityStore::rotate`](tollgate_ports::IdentityStore::rotate): spending a refresh token
//! is one conditional update, so of two presentations of one token exactly one finds it unspent.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use time::OffsetDateTime;
use tollgate_ports::{Rotation, StoreError};

use super::rows::{self, SESSION_COLUMNS, get};
use super::{exec, fail, one};
use crate::begin_write;
use crate::convert::{is_unique_violation, micros};

/// One attempt, in one write transaction.
pub(super) async fn rotate(
    db: &DatabaseConnection,
    presented: &str,
    next: &str,
    now: OffsetDateTime,
) -> Result<Rotation, StoreError> {
    let txn = begin_write(db).await.map_err(fail)?;
    match decide(&txn, presented, next, now).await {
        Ok(rotation) => {
            txn.commit().await.map_err(fail)?;
            Ok(rotation)
        }
        Err(error) => {
            let _ = txn.rollback().await;
            Err(error)
        }
    }
}

async fn decide(
    txn: &DatabaseTransaction,
    presented: &str,
    next: &str,
    now: OffsetDateTime,
) -> Result<Rotation, StoreError> {
    let now_micros = micros(now);
    // A concurrent presentation that spent the token first makes this update change no row: on
    // PostgreSQL it waits for that one's commit and then finds the token spent.
    let spent = exec(
        txn,
        "UPDATE refresh_tokens SET spent_at = $2 WHERE fingerprint = $1 AND spent_at IS NULL \
         AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > $2)",
        vec![presented.into(), now_micros.into()],
    )
    .await
    .map_err(fail)?;
    let Some(token) = one(
        txn,
        "SELECT session_id, spent_at FROM refresh_tokens WHERE fingerprint = $1",
        vec![presented.into()],
    )
    .await?
    else {
        return Ok(Rotation::Invalid);
    };
    let session_id: String = get(&token, 0)?;
    if spent == 1 {
        exec(
            txn,
            "UPDATE sessions SET refreshed_at = $2 WHERE id = $1",
            vec![session_id.clone().into(), now_micros.into()],
        )
        .await
        .map_err(fail)?;
        let issued = exec(
            txn,
            "INSERT INTO refresh_tokens (fingerprint, session_id, created_at) VALUES ($1, $2, $3)",
            vec![next.into(), session_id.clone().into(), now_micros.into()],
        )
        .await;
        match issued {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Internal("the next refresh token's fingerprint exists".into()));
            }
            Err(e) => return Err(fail(e)),
        }
        return Ok(Rotation::Rotated(load(txn, &session_id).await?));
    }
    if get::<Option<i64>>(&token, 1)?.is_none() {
        // Unspent, so its session is revoked or expired.
        return Ok(Rotation::Invalid);
    }
    exec(
        txn,
        "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        vec![session_id.clone().into(), now_micros.into()],
    )
    .await
    .map_err(fail)?;
    Ok(Rotation::Reused(load(txn, &session_id).await?))
}

async fn load<C: ConnectionTrait>(c: &C, id: &str) -> Result<tollgate_domain::Session, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
    let row = one(c, &sql, vec![id.into()])
        .await?
        .ok_or_else(|| StoreError::Internal("refresh token without its session".into()))?;
    rows::session(&row)
}
