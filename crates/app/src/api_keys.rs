//! API keys: creating one (its secret is shown once), listing, revoking — platform keys by a
//! platform admin, an account's keys by those who manage it — and making sure the operator can
//! get in. Creations and revocations are audited, never with the secret.

use time::OffsetDateTime;
use tollgate_domain::{AccountKey, ApiKey, ApiKeyId, Caller, Name, Right, Role, Scope};
use tollgate_ports::{Secret, SecurityError, StoreError};

use crate::identity::{Origin, target};
use crate::{AppError, Tollgate};

/// The id of the operator's key (from `TOLLGATE_ADMIN_API_KEY` or generated on first start).
pub const OPERATOR_KEY_ID: &str = "key_operator";

/// Every API key's secret starts with this.
pub const API_KEY_PREFIX: &str = "tg_";

/// The fewest characters an operator key from the environment may have (the server refuses to
/// start with a shorter one).
pub const MIN_OPERATOR_KEY_LEN: usize = 32;

/// A key to create: its label and, optionally, when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// A label chosen by its creator (a display name).
    pub name: String,
    /// When the key stops opening anything; `None`: never. Must be in the future.
    pub expires_at: Option<OffsetDateTime>,
}

/// Whose key is being created and what it may do.
enum Grant {
    Platform(Role),
    Account(AccountKey, Vec<Scope>),
}

/// What [`Tollgate::bootstrap_operator_key`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum OperatorKey {
    /// The given key (from the environment) is now the operator's key.
    FromEnvironment,
    /// An admin key already exists; nothing was changed.
    Existing,
    /// A new key was generated: show it to the operator once (write it to a private file).
    Generated(Secret),
    /// The given key was revoked: it stays revoked (a restart must not bring it back), and the
    /// operator must configure another.
    Revoked,
}

impl Tollgate {
    /// Creates a platform key with `role` for a platform admin `caller`; the secret is returned
    /// this once and only its fingerprint is stored. Audited as `api_key.created`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless the caller is a platform admin; [`AppError::Invalid`] for a
    /// name that is empty, too long or has control characters, or an expiry not in the future;
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when a store or the randomness fails.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        new: NewApiKey,
        role: Role,
        origin: &Origin,
    ) -> Result<(ApiKey, Secret), AppError> {
        self.require_platform_admin(caller)?;
        self.issue(caller, new, Grant::Platform(role), origin).await
    }

    /// Creates a key of `account` with `scopes`, for a `caller` who manages the account (an
    /// account admin or owner, a `manage` key, a platform admin or service key): every scope is
    /// within what such a caller holds, so no key gets more than its creator. The secret is
    /// returned this once. Audited as `api_key.created`.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`] when the caller may not see the account or it does not exist;
    /// [`AppError::Forbidden`] without [`Right::Manage`] on it; [`AppError::Invalid`] for no
    /// scopes, a bad name or an expiry not in the future; storage or randomness failures.
    pub async fn create_account_api_key(
        &self,
        caller: &Caller,
        account: &AccountKey,
        new: NewApiKey,
        scopes: Vec<Scope>,
        origin: &Origin,
    ) -> Result<(ApiKey, Secret), AppError> {
        self.authorize(caller, account, Right::Manage).await?;
        let scopes = Scope::set(scopes)?;
        self.state(account).await?;
        self.issue(caller, new, Grant::Account(account.clone(), scopes), origin).await
    }

    /// Platform keys in id order after `after`, at most `limit` (never an account's keys).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the store fails.
    pub async fn list_api_keys(&self, after: Option<ApiKeyId>, limit: u32) -> Result<Vec<ApiKey>, AppError> {
        self.ports.api_keys.list(None, after, limit).await.map_err(key_store_error)
    }

    /// The keys of `account` in id order after `after`, at most `limit`, for a caller who manages it.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`] or [`AppError::Forbidden`] as for creating one; storage errors.
    pub async fn list_account_api_keys(
        &self,
        caller: &Caller,
        account: &AccountKey,
        after: Option<ApiKeyId>,
        limit: u32,
    ) -> Result<Vec<ApiKey>, AppError> {
        self.authorize(caller, account, Right::Manage).await?;
        self.state(account).await?;
        self.ports.api_keys.list(Some(account), after, limit).await.map_err(key_store_error)
    }

    /// Revokes the platform key `id` (revoking it again changes nothing) and returns it. This
    /// instance refuses it at once; others within 5 s. Audited as `api_key.revoked`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless the caller is a platform admin; [`AppError::ApiKeyNotFound`]
    /// when no platform key has this id (an account's key is revoked only through its account);
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when a store fails.
    pub async fn revoke_api_key(
        &self,
        caller: &Caller,
        id: &ApiKeyId,
        origin: &Origin,
    ) -> Result<ApiKey, AppError> {
        self.require_platform_admin(caller)?;
        self.revoke(caller, id, None, origin).await
    }

    /// Revokes the key `id` of `account`, as [`Tollgate::revoke_api_key`] does a platform key.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`] or [`AppError::Forbidden`] as for creating one;
    /// [`AppError::ApiKeyNotFound`] when the account has no key with this id, whether or not
    /// another owner has one (never confirmed); storage errors.
    pub async fn revoke_account_api_key(
        &self,
        caller: &Caller,
        account: &AccountKey,
        id: &ApiKeyId,
        origin: &Origin,
    ) -> Result<ApiKey, AppError> {
        self.authorize(caller, account, Right::Manage).await?;
        self.revoke(caller, id, Some(account), origin).await
    }

    /// Revokes the operator's key that was generated but could not be handed to anyone (its file
    /// could not be written), so that the next start generates another. Nobody acted: not audited.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the store fails.
    pub async fn discard_operator_key(&self) -> Result<(), AppError> {
        let id = ApiKeyId::parse(OPERATOR_KEY_ID)?;
        let revoked =
            self.ports.api_keys.revoke(&id, None, self.now(), &[]).await.map_err(key_store_error)?;
        if let Some(key) = revoked {
            self.access.revoked(&key);
        }
        Ok(())
    }

    async fn issue(
        &self,
        caller: &Caller,
        new: NewApiKey,
        grant: Grant,
        origin: &Origin,
    ) -> Result<(ApiKey, Secret), AppError> {
        let name = Name::parse(&new.name)?.into_string();
        ApiKey::check_expiry(new.expires_at, self.now())?;
        let secret = self.ports.secrets.mint(API_KEY_PREFIX).map_err(security_error)?;
        let id = ApiKeyId::parse(self.ports.ids.generate("key"))
            .map_err(|e| AppError::Internal(format!("the id generator made an invalid key id: {e}")))?;
        let (role, account, scopes) = match grant {
            Grant::Platform(role) => (role, None, Vec::new()),
            // An account key's role grants nothing; the narrowest one is stored.
            Grant::Account(account, scopes) => (Role::Enforce, Some(account), scopes),
        };
        let key =
            ApiKey { account, scopes, expires_at: new.expires_at, ..self.api_key(id, name, role, &secret) };
        // The key and its trace are one write: no key exists unaudited.
        let audit = self.audit_by(caller, "api_key.created", target("api_key", key.id.as_str()), origin);
        self.ports.api_keys.insert(&key, &[audit]).await.map_err(key_store_error)?;
        tracing::info!(key_id = %key.id, role = key.role.as_str(), account = ?key.account, "api key created");
        Ok((key, secret))
    }

    async fn revoke(
        &self,
        caller: &Caller,
        id: &ApiKeyId,
        account: Option<&AccountKey>,
        origin: &Origin,
    ) -> Result<ApiKey, AppError> {
        let now = self.now();
        // Written with the revocation, by the store, only when this call revoked the key: a
        // repeated revocation changes nothing and is no event.
        let audit = self.audit_by(caller, "api_key.revoked", target("api_key", id.as_str()), origin);
        let key = self.ports.api_keys.revoke(id, account, now, &[audit]).await.map_err(key_store_error)?;
        let key = key.ok_or(AppError::ApiKeyNotFound)?;
        self.access.revoked(&key);
        if key.revoked_at == Some(now) {
            tracing::info!(key_id = %key.id, "api key revoked");
        }
        Ok(key)
    }

    /// Makes sure an operator can get in: `configured` (the `TOLLGATE_ADMIN_API_KEY` value), when
    /// given, becomes the operator's key (replacing an earlier one) unless it was revoked;
    /// otherwise, when no unrevoked admin key exists, a new one is generated and returned.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the store or the randomness fails.
    pub async fn bootstrap_operator_key(&self, configured: Option<&Secret>) -> Result<OperatorKey, AppError> {
        let keys = &self.ports.api_keys;
        let (secret, outcome) = match configured {
            Some(secret) => {
                let fingerprint = self.ports.secrets.fingerprint(secret.expose());
                let known = keys.find_by_hash(&fingerprint).await.map_err(key_store_error)?;
                if known.is_some_and(|key| key.revoked_at.is_some()) {
                    return Ok(OperatorKey::Revoked);
                }
                (secret.clone(), OperatorKey::FromEnvironment)
            }
            None if keys.has_active_admin(self.now()).await.map_err(key_store_error)? => {
                return Ok(OperatorKey::Existing);
            }
            None => {
                let secret = self.ports.secrets.mint(API_KEY_PREFIX).map_err(security_error)?;
                (secret.clone(), OperatorKey::Generated(secret))
            }
        };
        let id = ApiKeyId::parse(OPERATOR_KEY_ID)?;
        let key = self.api_key(id, "operator".to_owned(), Role::Admin, &secret);
        keys.upsert(&key).await.map_err(key_store_error)?;
        // The operator's earlier secret may be cached: it no longer opens anything.
        self.access.forget(&key.id);
        Ok(outcome)
    }

    /// The stored form of a platform key with `secret`, never expiring: its fingerprint and a
    /// displayable prefix.
    fn api_key(&self, id: ApiKeyId, name: String, role: Role, secret: &Secret) -> ApiKey {
        ApiKey {
            id,
            name,
            role,
            account: None,
            scopes: Vec::new(),
            prefix: display_prefix(secret.expose()),
            secret_hash: self.ports.secrets.fingerprint(secret.expose()),
            created_at: self.now(),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        }
    }
}

/// The displayable prefix of a secret: its first 11 characters (`tg_` and 8 more).
fn display_prefix(secret: &str) -> String {
    secret.chars().take(11).collect()
}

/// The key store's failures: it reports no missing account nor duplicate a client could cause
/// (ids and secrets are generated), so anything but unavailability is internal.
pub(crate) fn key_store_error(error: StoreError) -> AppError {
    match error {
        StoreError::Unavailable(why) => AppError::Unavailable(why),
        other => AppError::Internal(other.to_string()),
    }
}

fn security_error(error: SecurityError) -> AppError {
    AppError::Internal(error.to_string())
}
