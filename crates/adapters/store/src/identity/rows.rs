//! The identity tables' columns, and their rows to and from domain values.

use sea_orm::{QueryResult, TryGetable, Value};
use tollgate_domain::{
    AccountKey, Email, MemberRole, Membership, Name, OneTimeToken, Session, SessionId, TokenPurpose,
    TotpState, User, UserId,
};
use tollgate_ports::StoreError;

use crate::convert::{corrupt, instant, micros};

pub(super) const USER_COLUMNS: &str = "id, email, name, name_folded, password_hash, email_verified, \
     totp_secret, totp_confirmed, totp_last_step, totp_recovery_codes, platform_admin, version, created_at, deleted_at";

pub(super) const SESSION_COLUMNS: &str =
    "id, user_id, impersonator, created_at, refreshed_at, expires_at, revoked_at, ip";

pub(super) const TOKEN_COLUMNS: &str =
    "fingerprint, purpose, email, user_id, account_key, role, created_at, expires_at, used_at";

/// Memberships with their account's key (`m` is the membership, `a` the account).
pub(super) const MEMBERSHIP_SELECT: &str =
    "SELECT a.key, m.user_id, m.role, m.created_at FROM memberships m JOIN accounts a ON a.id = m.account_id";

pub(super) fn get<T: TryGetable>(row: &QueryResult, index: usize) -> Result<T, StoreError> {
    row.try_get_by_index(index).map_err(|e| corrupt(format!("{e:?}")))
}

fn at(row: &QueryResult, index: usize) -> Result<time::OffsetDateTime, StoreError> {
    instant(get(row, index)?)
}

fn optional_at(row: &QueryResult, index: usize) -> Result<Option<time::OffsetDateTime>, StoreError> {
    get::<Option<i64>>(row, index)?.map(instant).transpose()
}

fn parsed<T, E: std::fmt::Display>(value: Result<T, E>) -> Result<T, StoreError> {
    value.map_err(corrupt)
}

pub(super) fn role(value: &str) -> Result<MemberRole, StoreError> {
    MemberRole::parse(value).ok_or_else(|| corrupt(format!("role {value}")))
}

/// A user's columns in [`USER_COLUMNS`] order, the version as given.
pub(super) fn user_values(user: &User) -> Result<Vec<Value>, StoreError> {
    let totp = user.totp.as_ref();
    let last_step = totp.and_then(|t| t.last_step).map(i64::try_from).transpose().map_err(corrupt)?;
    let codes = totp.map(|t| serde_json::to_string(&t.recovery_codes)).transpose().map_err(corrupt)?;
    Ok(vec![
        user.id.as_str().into(),
        user.email.as_str().into(),
        user.name.as_str().into(),
        user.name.as_str().to_lowercase().into(),
        user.password_hash.clone().into(),
        user.email_verified.into(),
        totp.map(|t| t.secret.clone()).into(),
        totp.is_some_and(|t| t.confirmed).into(),
        last_step.into(),
        codes.into(),
        user.platform_admin.into(),
        i64::try_from(user.version).map_err(corrupt)?.into(),
        micros(user.created_at).into(),
        user.deleted_at.map(micros).into(),
    ])
}

pub(super) fn user(row: &QueryResult) -> Result<User, StoreError> {
    let totp = match get::<Option<String>>(row, 6)? {
        None => None,
        Some(secret) => Some(TotpState {
            secret,
            confirmed: get(row, 7)?,
            last_step: get::<Option<i64>>(row, 8)?.map(u64::try_from).transpose().map_err(corrupt)?,
            recovery_codes: parsed(serde_json::from_str(
                &get::<Option<String>>(row, 9)?.unwrap_or_default(),
            ))?,
        }),
    };
    Ok(User {
        id: parsed(UserId::parse(get::<String>(row, 0)?))?,
        email: parsed(Email::parse(get::<String>(row, 1)?))?,
        name: parsed(Name::parse(get::<String>(row, 2)?))?,
        password_hash: get(row, 4)?,
        email_verified: get(row, 5)?,
        totp,
        platform_admin: get(row, 10)?,
        version: u64::try_from(get::<i64>(row, 11)?).map_err(corrupt)?,
        created_at: at(row, 12)?,
        deleted_at: optional_at(row, 13)?,
    })
}

pub(super) fn session_values(session: &Session) -> Vec<Value> {
    vec![
        session.id.as_str().into(),
        session.user.as_str().into(),
        session.impersonator.as_ref().map(ToString::to_string).into(),
        micros(session.created_at).into(),
        micros(session.refreshed_at).into(),
        micros(session.expires_at).into(),
        session.revoked_at.map(micros).into(),
        session.ip.clone().into(),
    ]
}

pub(super) fn session(row: &QueryResult) -> Result<Session, StoreError> {
    Ok(Session {
        id: parsed(SessionId::parse(get::<String>(row, 0)?))?,
        user: parsed(UserId::parse(get::<String>(row, 1)?))?,
        impersonator: get::<Option<String>>(row, 2)?.map(UserId::parse).transpose().map_err(corrupt)?,
        created_at: at(row, 3)?,
        refreshed_at: at(row, 4)?,
        expires_at: at(row, 5)?,
        revoked_at: optional_at(row, 6)?,
        ip: get(row, 7)?,
    })
}

pub(super) fn token_values(token: &OneTimeToken) -> Vec<Value> {
    vec![
        token.fingerprint.clone().into(),
        token.purpose.as_str().into(),
        token.email.as_str().into(),
        token.user.as_ref().map(ToString::to_string).into(),
        token.account.as_ref().map(ToString::to_string).into(),
        token.role.map(MemberRole::as_str).into(),
        micros(token.created_at).into(),
        micros(token.expires_at).into(),
        token.used_at.map(micros).into(),
    ]
}

pub(super) fn token(row: &QueryResult) -> Result<OneTimeToken, StoreError> {
    let purpose: String = get(row, 1)?;
    Ok(OneTimeToken {
        fingerprint: get(row, 0)?,
        purpose: TokenPurpose::parse(&purpose).ok_or_else(|| corrupt(format!("purpose {purpose}")))?,
        email: parsed(Email::parse(get::<String>(row, 2)?))?,
        user: get::<Option<String>>(row, 3)?.map(UserId::parse).transpose().map_err(corrupt)?,
        account: get::<Option<String>>(row, 4)?.map(AccountKey::parse).transpose().map_err(corrupt)?,
        role: get::<Option<String>>(row, 5)?.as_deref().map(role).transpose()?,
        created_at: at(row, 6)?,
        expires_at: at(row, 7)?,
        used_at: optional_at(row, 8)?,
    })
}

pub(super) fn membership(row: &QueryResult) -> Result<Membership, StoreError> {
    Ok(Membership {
        account: parsed(AccountKey::parse(get::<String>(row, 0)?))?,
        user: parsed(UserId::parse(get::<String>(row, 1)?))?,
        role: role(&get::<String>(row, 2)?)?,
        created_at: at(row, 3)?,
    })
}
