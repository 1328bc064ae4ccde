//! The stores behind the HTTP API's access control and safe retries: API keys and idempotency
//! records.

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, ApiKey, ApiKeyId, AuditEvent};

use crate::StoreError;

/// Where API keys live. Keys are looked up by the fingerprint of their secret
/// ([`crate::SecretMinter::fingerprint`]), never by the secret itself.
///
/// Creations and revocations carry the audit events that record them: they are appended to the
/// audit log (the one [`crate::IdentityStore::audit`] lists) in the same transaction as the change,
/// so a key never exists or stops working without its trace, and a refused change leaves none.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key and appends the `audit` events, together: both or neither.
    ///
    /// # Errors
    /// MUST return [`StoreError::Conflict`]`("api key")` when the id or the hash exists, and
    /// [`StoreError::Conflict`]`("audit")` when an event's id exists; nothing is written then.
    /// Otherwise [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn insert(&self, key: &ApiKey, audit: &[AuditEvent]) -> Result<(), StoreError>;

    /// Creates or replaces the key with `key.id` (used for the operator's key): the replaced
    /// secret's fingerprint MUST no longer find it.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn upsert(&self, key: &ApiKey) -> Result<(), StoreError>;

    /// The key whose secret's fingerprint is `secret_hash`, revoked or not.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] (a stored value that is not a
    /// valid key) only.
    async fn find_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>, StoreError>;

    /// The keys of one owner — `account`'s keys, or the platform keys when `account` is `None` —
    /// in id order strictly after `after`, at most `limit`. Keys of other owners MUST NOT appear.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn list<'a>(
        &self,
        account: Option<&'a AccountKey>,
        after: Option<ApiKeyId>,
        limit: u32,
    ) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes the key `id` of `account` (a platform key when `None`) at `at` and returns it, or
    /// `None` when that owner has no key with this id: a key of another owner MUST be left
    /// untouched and answered `None`, so an account's key is revoked only through its account. A
    /// key already revoked MUST keep its first revocation time. The `audit` events are appended
    /// in the same transaction as the revocation, and only when this call revoked the key: not
    /// for an unknown key nor for one already revoked (of concurrent revocations, exactly one
    /// writes them).
    ///
    /// # Errors
    /// [`StoreError::Conflict`]`("audit")` when an event's id exists (the key is then left as it
    /// was); [`StoreError::Unavailable`] or [`StoreError::Internal`].
    async fn revoke<'a>(
        &self,
        id: &ApiKeyId,
        account: Option<&'a AccountKey>,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Option<ApiKey>, StoreError>;

    /// Records that the key `id` was used at `at`: its `last_used_at` becomes `at` unless it is
    /// already later (instances may report uses out of order; the latest MUST stay). An unknown
    /// id changes nothing and is no error.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn touch(&self, id: &ApiKeyId, at: OffsetDateTime) -> Result<(), StoreError>;

    /// Whether a platform admin key that is live at `now` (neither revoked nor expired) exists;
    /// account keys never count.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn has_active_admin(&self, now: OffsetDateTime) -> Result<bool, StoreError>;
}

/// What [`IdempotencyStore::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// No live record: one was inserted in progress; run the request.
    Started,
    /// A completed record with the same fingerprint: replay it.
    Replay {
        /// The stored status.
        status: u16,
        /// The stored body.
        body: String,
    },
    /// A live record with another fingerprint.
    Mismatch,
    /// A record with the same fingerprint whose request is still running.
    InProgress,
}

/// Where idempotency records live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Atomically claims `(scope, key)` for a request with `fingerprint` unless a live record
    /// (one expiring after `now`) exists; the claim belongs to `owner` (a token unique to the
    /// request) and expires at `lease_until` unless completed.
    ///
    /// # Errors
    /// Storage errors.
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError>;

    /// Stores the response of the request that claimed `(scope, key)` as `owner`, replayable
    /// until `expires_at`. It MUST change nothing when the record is not `owner`'s claim (its
    /// lease ran out and a retry claimed the key): returns whether it stored.
    ///
    /// # Errors
    /// Storage errors.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        status: u16,
        body: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Deletes the in-progress claim `owner` holds on `(scope, key)` (its request failed), so the
    /// retry runs. It MUST leave a completed record, and another owner's claim, untouched.
    ///
    /// # Errors
    /// Storage errors.
    async fn abandon(&self, scope: &str, key: &str, owner: &str) -> Result<(), StoreError>;

    /// Deletes at most `limit` records that expired at `now` (one short batch: call again while
    /// it returns `limit`); returns how many.
    ///
    /// # Errors
    /// Storage errors.
    async fn purge_expired(&self, now: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;
}

impl Begin {
    /// What a live record means for a request with `fingerprint`: another fingerprint is a
    /// mismatch; the same one replays the stored response, or is in progress without one.
    pub fn for_record(stored_fingerprint: &str, fingerprint: &str, response: Option<(u16, String)>) -> Begin {
        if stored_fingerprint != fingerprint {
            return Begin::Mismatch;
        }
        match response {
            None => Begin::InProgress,
            Some((status, body)) => Begin::Replay { status, body },
        }
    }
}
