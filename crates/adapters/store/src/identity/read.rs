//! The identity store's reads: each one statement, outside any transaction.

use sea_orm::DatabaseConnection;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, Email, MemberRole, Membership, OneTimeToken, Session, SessionId, TokenPurpose, User, UserId,
};
use tollgate_ports::StoreError;

use super::rows::{self, MEMBERSHIP_SELECT, SESSION_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS, get};
use super::{all, one};
use crate::convert::micros;

pub(super) async fn user(db: &DatabaseConnection, id: &UserId) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    one(db, &sql, vec![id.as_str().into()]).await?.as_ref().map(rows::user).transpose()
}

pub(super) async fn user_by_email(
    db: &DatabaseConnection,
    email: &Email,
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1 AND deleted_at IS NULL");
    one(db, &sql, vec![email.as_str().into()]).await?.as_ref().map(rows::user).transpose()
}

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

pub(super) async fn users(
    db: &DatabaseConnection,
    query: Option<String>,
    after: Option<UserId>,
    limit: u32,
) -> Result<Vec<User>, StoreError> {
    let after = after.as_ref().map_or("", UserId::as_str);
    let found = match query {
        // Names are matched on a lowercase copy made when they are written, so the case folding
        // is Rust's on both databases (SQLite's LOWER folds ASCII only); e-mails are ASCII.
        Some(query) => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id > $1 \
                 AND (LOWER(email) LIKE $2 ESCAPE '\\' OR name_folded LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3"
            );
            let pattern = contains_pattern(&query.to_lowercase());
            all(db, &sql, vec![after.into(), pattern.into(), i64::from(limit).into()]).await?
        }
        None => {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2");
            all(db, &sql, vec![after.into(), i64::from(limit).into()]).await?
        }
    };
    found.iter().map(rows::user).collect()
}

pub(super) async fn role(
    db: &DatabaseConnection,
    account: &AccountKey,
    user: &UserId,
) -> Result<Option<MemberRole>, StoreError> {
    let row = one(
        db,
        "SELECT m.role FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.key = $1 AND m.user_id = $2",
        vec![account.as_str().into(), user.as_str().into()],
    )
    .await?;
    row.map(|row| rows::role(&get::<String>(&row, 0)?)).transpose()
}

pub(super) async fn memberships(
    db: &DatabaseConnection,
    user: &UserId,
) -> Result<Vec<Membership>, StoreError> {
    let sql = format!("{MEMBERSHIP_SELECT} WHERE m.user_id = $1 ORDER BY a.key");
    all(db, &sql, vec![user.as_str().into()]).await?.iter().map(rows::membership).collect()
}

pub(super) async fn members(
    db: &DatabaseConnection,
    account: &AccountKey,
) -> Result<Vec<Membership>, StoreError> {
    let sql = format!("{MEMBERSHIP_SELECT} WHERE a.key = $1 ORDER BY m.user_id");
    all(db, &sql, vec![account.as_str().into()]).await?.iter().map(rows::membership).collect()
}

pub(super) async fn token(
    db: &DatabaseConnection,
    fingerprint: &str,
) -> Result<Option<OneTimeToken>, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM one_time_tokens WHERE fingerprint = $1");
    one(db, &sql, vec![fingerprint.into()]).await?.as_ref().map(rows::token).transpose()
}

pub(super) async fn invitations(
    db: &DatabaseConnection,
    account: &AccountKey,
    now: OffsetDateTime,
) -> Result<Vec<OneTimeToken>, StoreError> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM one_time_tokens WHERE account_key = $1 AND purpose = $2 \
         AND used_at IS NULL AND retired_at IS NULL AND expires_at > $3 ORDER BY created_at, fingerprint"
    );
    let values = vec![account.as_str().into(), TokenPurpose::Invitation.as_str().into(), micros(now).into()];
    all(db, &sql, values).await?.iter().map(rows::token).collect()
}

pub(super) async fn lapsed_invitations(
    db: &DatabaseConnection,
    now: OffsetDateTime,
    limit: u32,
) -> Result<Vec<OneTimeToken>, StoreError> {
    // The purpose is written out, not bound, so that PostgreSQL's generic plans may use the
    // partial index `one_time_tokens_lapsing`, whose condition names it.
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM one_time_tokens WHERE purpose = '{}' AND used_at IS NULL \
         AND seat_released_at IS NULL AND expires_at <= $1 ORDER BY expires_at, fingerprint LIMIT $2",
        TokenPurpose::Invitation.as_str()
    );
    all(db, &sql, vec![micros(now).into(), i64::from(limit).into()]).await?.iter().map(rows::token).collect()
}

pub(super) async fn deleted_members(
    db: &DatabaseConnection,
    limit: u32,
) -> Result<Vec<Membership>, StoreError> {
    let sql = format!(
        "{MEMBERSHIP_SELECT} JOIN users u ON u.id = m.user_id WHERE u.deleted_at IS NOT NULL \
         ORDER BY a.key, m.user_id LIMIT $1"
    );
    all(db, &sql, vec![i64::from(limit).into()]).await?.iter().map(rows::membership).collect()
}

pub(super) async fn session(db: &DatabaseConnection, id: &SessionId) -> Result<Option<Session>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
    one(db, &sql, vec![id.as_str().into()]).await?.as_ref().map(rows::session).transpose()
}

pub(super) async fn sessions(
    db: &DatabaseConnection,
    user: &UserId,
    now: OffsetDateTime,
) -> Result<Vec<Session>, StoreError> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC, id DESC"
    );
    all(db, &sql, vec![user.as_str().into(), micros(now).into()]).await?.iter().map(rows::session).collect()
}
