//! [`IdentityStore::apply`](tollgate_ports::IdentityStore::apply): every change of a call in one
//! write transaction, each decided by the rows its statement changed.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, MemberRole, Membership, Session, TokenPurpose, User, UserId};
use tollgate_ports::{Change, StoreError};

use super::rows::{USER_COLUMNS, get, role, session_values, token_values, user_values};
use super::{SqlIdentity, exec, fail, one};
use crate::begin_write;
use crate::convert::{is_foreign_key_violation, is_unique_violation, micros};
use crate::repositories::insert_account;

/// `$1, $2, … $n`.
fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

impl SqlIdentity {
    /// One attempt: the changes in one transaction, committed only when all of them succeeded.
    pub(super) async fn apply_once(&self, changes: &[Change]) -> Result<(), StoreError> {
        let txn = begin_write(self.store.connection()).await.map_err(fail)?;
        let mut created = Vec::new();
        for change in changes {
            if let Err(error) = apply(&txn, change, &mut created).await {
                let _ = txn.rollback().await;
                return Err(error);
            }
        }
        txn.commit().await.map_err(fail)?;
        for (key, id) in created {
            self.store.remember(&key, id);
        }
        Ok(())
    }
}

async fn apply(
    txn: &DatabaseTransaction,
    change: &Change,
    created: &mut Vec<(AccountKey, i64)>,
) -> Result<(), StoreError> {
    match change {
        Change::CreateAccount(account, subscription) => {
            let id = insert_account(txn, account, subscription.as_ref()).await?;
            created.push((account.key.clone(), id));
            Ok(())
        }
        Change::CreateUser(user) => create_user(txn, user).await,
        Change::UpdateUser(user) => update_user(txn, user).await,
        Change::AddMember(membership) => add_member(txn, membership).await,
        Change::SetRole { account, user, role } => change_member(txn, account, user, Some(*role)).await,
        Change::RemoveMember { account, user } => change_member(txn, account, user, None).await,
        Change::EndMembership { account, user } => {
            let ended = exec(
                txn,
                "DELETE FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE key = $1) \
                 AND user_id = $2 AND EXISTS (SELECT 1 FROM users WHERE id = $2 AND deleted_at IS NOT NULL)",
                vec![account.as_str().into(), user.as_str().into()],
            )
            .await
            .map_err(fail)?;
            if ended == 1 { Ok(()) } else { Err(StoreError::NotFound("member")) }
        }
        Change::CreateToken(token) => {
            let sql = format!(
                "INSERT INTO one_time_tokens ({}) VALUES ({}) ON CONFLICT (fingerprint) DO NOTHING",
                super::rows::TOKEN_COLUMNS,
                placeholders(9)
            );
            let inserted = exec(txn, &sql, token_values(token)).await.map_err(fail)?;
            if inserted == 1 { Ok(()) } else { Err(StoreError::Conflict("token")) }
        }
        Change::SpendToken { fingerprint, purpose, at } => spend_token(txn, fingerprint, *purpose, *at).await,
        Change::RetireInvitation { fingerprint, at } => {
            // Retiring again keeps the first time: concurrent sweeps both get through.
            let retired = exec(
                txn,
                "UPDATE one_time_tokens SET retired_at = COALESCE(retired_at, $2) \
                 WHERE fingerprint = $1 AND purpose = $3 AND used_at IS NULL \
                 AND seat_released_at IS NULL AND expires_at <= $2",
                vec![
                    fingerprint.clone().into(),
                    micros(*at).into(),
                    TokenPurpose::Invitation.as_str().into(),
                ],
            )
            .await
            .map_err(fail)?;
            if retired == 1 { Ok(()) } else { Err(StoreError::NotFound("token")) }
        }
        Change::InvitationSeatReleased { fingerprint, at } => {
            let recorded = exec(
                txn,
                "UPDATE one_time_tokens SET seat_released_at = $2 \
                 WHERE fingerprint = $1 AND retired_at IS NOT NULL AND seat_released_at IS NULL",
                vec![fingerprint.clone().into(), micros(*at).into()],
            )
            .await
            .map_err(fail)?;
            if recorded == 1 { Ok(()) } else { Err(StoreError::NotFound("token")) }
        }
        Change::CreateSession { session, refresh } => create_session(txn, session, refresh).await,
        Change::RevokeSession { id, user, at } => {
            let revoked = exec(
                txn,
                "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND user_id = $2",
                vec![id.as_str().into(), user.as_str().into(), micros(*at).into()],
            )
            .await
            .map_err(fail)?;
            if revoked == 1 { Ok(()) } else { Err(StoreError::NotFound("session")) }
        }
        Change::RevokeSessions { user, at } => {
            exec(
                txn,
                "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
                vec![user.as_str().into(), micros(*at).into()],
            )
            .await
            .map_err(fail)?;
            Ok(())
        }
        Change::Audit(event) => super::audit::append(txn, event).await,
    }
}

async fn create_user(txn: &DatabaseTransaction, user: &User) -> Result<(), StoreError> {
    // The id is looked at first so that a taken id is told as such even when the e-mail is
    // taken too; `DO NOTHING` covers the same id committed meanwhile by another caller.
    if one(txn, "SELECT 1 FROM users WHERE id = $1", vec![user.id.as_str().into()]).await?.is_some() {
        return Err(StoreError::Conflict("user"));
    }
    let sql = format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        placeholders(14)
    );
    match exec(txn, &sql, user_values(user)?).await {
        Ok(1) => Ok(()),
        Ok(_) => Err(StoreError::Conflict("user")),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("email")),
        Err(e) => Err(fail(e)),
    }
}

async fn update_user(txn: &DatabaseTransaction, user: &User) -> Result<(), StoreError> {
    let values = user_values(user)?;
    // The version column ($12) is the compare-and-set's condition; the stored one moves by one.
    let sql = "UPDATE users SET email = $2, name = $3, name_folded = $4, password_hash = $5, \
               email_verified = $6, totp_secret = $7, totp_confirmed = $8, totp_last_step = $9, \
               totp_recovery_codes = $10, platform_admin = $11, version = version + 1, \
               created_at = $13, deleted_at = $14 WHERE id = $1 AND version = $12";
    match exec(txn, sql, values).await {
        Ok(1) => Ok(()),
        Ok(_) => {
            let exists = one(txn, "SELECT 1 FROM users WHERE id = $1", vec![user.id.as_str().into()]).await?;
            Err(if exists.is_some() { StoreError::Stale } else { StoreError::NotFound("user") })
        }
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("email")),
        Err(e) => Err(fail(e)),
    }
}

async fn add_member(txn: &DatabaseTransaction, membership: &Membership) -> Result<(), StoreError> {
    let inserted = exec(
        txn,
        "INSERT INTO memberships (account_id, user_id, role, created_at) \
         SELECT id, $2, $3, $4 FROM accounts WHERE key = $1 \
         ON CONFLICT (account_id, user_id) DO NOTHING",
        vec![
            membership.account.as_str().into(),
            membership.user.as_str().into(),
            membership.role.as_str().into(),
            micros(membership.created_at).into(),
        ],
    )
    .await;
    match inserted {
        Ok(1) => Ok(()),
        Ok(_) => {
            let account =
                one(txn, "SELECT 1 FROM accounts WHERE key = $1", vec![membership.account.as_str().into()])
                    .await?;
            Err(if account.is_some() {
                StoreError::Conflict("member")
            } else {
                StoreError::NotFound("account")
            })
        }
        Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound("user")),
        Err(e) => Err(fail(e)),
    }
}

/// Sets a member's role, or removes the member (`None`), refusing to leave the account that
/// had this owner with no owner. On PostgreSQL the account row is locked first, so concurrent
/// role changes of one account take turns and each counts the owners the others left (SQLite's
/// write transactions already take turns).
async fn change_member(
    txn: &DatabaseTransaction,
    account: &AccountKey,
    user: &UserId,
    new_role: Option<MemberRole>,
) -> Result<(), StoreError> {
    let lock = if txn.get_database_backend() == DbBackend::Postgres { " FOR NO KEY UPDATE" } else { "" };
    let sql = format!("SELECT id FROM accounts WHERE key = $1{lock}");
    let Some(row) = one(txn, &sql, vec![account.as_str().into()]).await? else {
        return Err(StoreError::NotFound("member"));
    };
    let account_id: i64 = get(&row, 0)?;
    // A deleted user's memberships end only through `EndMembership`, which gives their seats
    // back once. The share lock makes a deletion committing meanwhile wait for this change (or
    // this change wait for it, and then see the user deleted).
    let share = if txn.get_database_backend() == DbBackend::Postgres { " FOR SHARE" } else { "" };
    let sql = format!("SELECT deleted_at FROM users WHERE id = $1{share}");
    let deleted = one(txn, &sql, vec![user.as_str().into()]).await?.map(|row| get::<Option<i64>>(&row, 0));
    if deleted.transpose()?.flatten().is_some() {
        return Err(StoreError::NotFound("member"));
    }
    let key = vec![account_id.into(), user.as_str().into()];
    let Some(before) =
        one(txn, "SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2", key.clone()).await?
    else {
        return Err(StoreError::NotFound("member"));
    };
    match new_role {
        Some(new_role) => {
            let mut values = key;
            values.push(new_role.as_str().into());
            exec(txn, "UPDATE memberships SET role = $3 WHERE account_id = $1 AND user_id = $2", values).await
        }
        None => exec(txn, "DELETE FROM memberships WHERE account_id = $1 AND user_id = $2", key).await,
    }
    .map_err(fail)?;
    if role(&get::<String>(&before, 0)?)? == MemberRole::Owner {
        let owners = one(
            txn,
            "SELECT COUNT(*) FROM memberships WHERE account_id = $1 AND role = $2",
            vec![account_id.into(), MemberRole::Owner.as_str().into()],
        )
        .await?
        .map_or(Ok(0), |row| get::<i64>(&row, 0))?;
        if owners == 0 {
            return Err(StoreError::Conflict("last_owner"));
        }
    }
    Ok(())
}

async fn spend_token(
    txn: &DatabaseTransaction,
    fingerprint: &str,
    purpose: TokenPurpose,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let spent = exec(
        txn,
        "UPDATE one_time_tokens SET used_at = $3 \
         WHERE fingerprint = $1 AND purpose = $2 AND used_at IS NULL AND retired_at IS NULL AND expires_at > $3",
        vec![fingerprint.into(), purpose.as_str().into(), micros(at).into()],
    )
    .await
    .map_err(fail)?;
    if spent == 1 { Ok(()) } else { Err(StoreError::NotFound("token")) }
}

async fn create_session(
    txn: &DatabaseTransaction,
    session: &Session,
    refresh: &str,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO sessions ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        super::rows::SESSION_COLUMNS,
        placeholders(8)
    );
    match exec(txn, &sql, session_values(session)).await {
        Ok(1) => {}
        Ok(_) => return Err(StoreError::Conflict("session")),
        Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound("user")),
        Err(e) => return Err(fail(e)),
    }
    let inserted = exec(
        txn,
        "INSERT INTO refresh_tokens (fingerprint, session_id, created_at) VALUES ($1, $2, $3)",
        vec![refresh.into(), session.id.as_str().into(), micros(session.created_at).into()],
    )
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("token")),
        Err(e) => Err(fail(e)),
    }
}
