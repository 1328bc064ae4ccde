//! API keys: creating one (its secret is shown once), listing, revoking, and making sure the
//! operator can get in.

use tollgate_domain::{ApiKey, ApiKeyId, Name, Role};
use tollgate_ports::{Secret, SecurityError, StoreError};

use crate::{AppError, Tollgate};

/// The id of the operator's key (from `TOLLGATE_ADMIN_API_KEY` or generated on first start).
pub const OPERATOR_KEY_ID: &str = "key_operator";

/// Every API key's secret starts with this.
pub const API_KEY_PREFIX: &str = "tg_";

/// The fewest characters an operator key from the environment may have (the server refuses to
/// start with a shorter one).
pub const MIN_OPERATOR_KEY_LEN: usize = 32;

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
    /// Creates a key named `name` with `role`; the secret is returned this once and only its
    /// fingerprint is stored.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a name that is empty, too long or has control characters;
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the store or the randomness fails.
    pub async fn create_api_key(&self, name: &str, role: Role) -> Result<(ApiKey, Secret), AppError> {
        let name = Name::parse(name)?.into_string();
        let secret = self.ports.secrets.mint(API_KEY_PREFIX).map_err(security_error)?;
        let id = ApiKeyId::parse(self.ports.ids.generate("key"))
            .map_err(|e| AppError::Internal(format!("the id generator made an invalid key id: {e}")))?;
        let key = self.api_key(id, name, role, &secret);
        self.ports.api_keys.insert(&key).await.map_err(key_store_error)?;
        tracing::info!(key_id = %key.id, role = key.role.as_str(), "api key created");
        Ok((key, secret))
    }

    /// Keys in id order after `after`, at most `limit`.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the store fails.
    pub async fn list_api_keys(&self, after: Option<ApiKeyId>, limit: u32) -> Result<Vec<ApiKey>, AppError> {
        self.ports.api_keys.list(after, limit).await.map_err(key_store_error)
    }

    /// Revokes the key `id` (revoking it again changes nothing) and returns it. This instance
    /// refuses it at once; others within 5 s.
    ///
    /// # Errors
    /// [`AppError::ApiKeyNotFound`]; [`AppError::Unavailable`] or [`AppError::Internal`] when
    /// the store fails.
    pub async fn revoke_api_key(&self, id: &ApiKeyId) -> Result<ApiKey, AppError> {
        let key = self.ports.api_keys.revoke(id, self.now()).await.map_err(key_store_error)?;
        let key = key.ok_or(AppError::ApiKeyNotFound)?;
        self.access.revoked(&key);
        tracing::info!(key_id = %key.id, "api key revoked");
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
            None if keys.has_active_admin().await.map_err(key_store_error)? => {
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

    /// The stored form of a key with `secret`: its fingerprint and a displayable prefix.
    fn api_key(&self, id: ApiKeyId, name: String, role: Role, secret: &Secret) -> ApiKey {
        ApiKey {
            id,
            name,
            role,
            prefix: display_prefix(secret.expose()),
            secret_hash: self.ports.secrets.fingerprint(secret.expose()),
            created_at: self.now(),
            revoked_at: None,
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
