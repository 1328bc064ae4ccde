//! API keys and idempotency records in memory, for tests and embedding.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, ApiKey, ApiKeyId, AuditEvent, Role};
use tollgate_ports::{ApiKeyStore, Begin, IdempotencyStore, StoreError};

use crate::store::MemoryStore;

/// API keys in memory, for tests and embedding. Their audit events go to the audit log of the
/// [`MemoryStore`] they were built on ([`MemoryApiKeys::new`]); `default()` gives them a store of
/// their own, whose log no identity store reads.
#[derive(Debug, Default)]
pub struct MemoryApiKeys {
    keys: RwLock<BTreeMap<ApiKeyId, ApiKey>>,
    log: Arc<MemoryStore>,
}

impl MemoryApiKeys {
    /// No keys; creations and revocations are audited in `log`'s audit log (the one a
    /// [`crate::MemoryIdentity`] on the same store lists).
    pub fn new(log: Arc<MemoryStore>) -> Self {
        Self { keys: RwLock::default(), log }
    }
}

#[async_trait]
impl ApiKeyStore for MemoryApiKeys {
    async fn insert(&self, key: &ApiKey, audit: &[AuditEvent]) -> Result<(), StoreError> {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if keys.contains_key(&key.id) || keys.values().any(|k| k.secret_hash == key.secret_hash) {
            return Err(StoreError::Conflict("api key"));
        }
        // Under the keys' lock: the key is written only once its events are.
        self.log.append_audit(audit)?;
        keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn upsert(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn find_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        Ok(keys.values().find(|k| k.secret_hash == secret_hash).cloned())
    }

    async fn list<'a>(
        &self,
        account: Option<&'a AccountKey>,
        after: Option<ApiKeyId>,
        limit: u32,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        Ok(keys
            .values()
            .filter(|k| k.account.as_ref() == account && after.as_ref().is_none_or(|a| &k.id > a))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn revoke<'a>(
        &self,
        id: &ApiKeyId,
        account: Option<&'a AccountKey>,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Option<ApiKey>, StoreError> {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        let Some(key) = keys.get_mut(id).filter(|key| key.account.as_ref() == account) else {
            return Ok(None);
        };
        if key.revoked_at.is_none() {
            self.log.append_audit(audit)?;
            key.revoked_at = Some(at);
        }
        Ok(Some(key.clone()))
    }

    async fn touch(&self, id: &ApiKeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = keys.get_mut(id)
            && key.last_used_at.is_none_or(|last| last < at)
        {
            key.last_used_at = Some(at);
        }
        Ok(())
    }

    async fn has_active_admin(&self, now: OffsetDateTime) -> Result<bool, StoreError> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        Ok(keys.values().any(|k| k.account.is_none() && k.role == Role::Admin && k.is_live(now)))
    }
}

#[derive(Debug, Clone)]
struct Record {
    owner: String,
    fingerprint: String,
    response: Option<(u16, String)>,
    expires_at: OffsetDateTime,
}

/// Idempotency records in memory, for tests and single-process embedding.
#[derive(Debug, Default)]
pub struct MemoryIdempotency {
    records: Mutex<HashMap<(String, String), Record>>,
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        match records.get(&id) {
            Some(record) if record.expires_at > now => {
                Ok(Begin::for_record(&record.fingerprint, fingerprint, record.response.clone()))
            }
            _ => {
                let record = Record {
                    owner: owner.to_owned(),
                    fingerprint: fingerprint.to_owned(),
                    response: None,
                    expires_at: lease_until,
                };
                records.insert(id, record);
                Ok(Begin::Started)
            }
        }
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
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get_mut(&(scope.to_owned(), key.to_owned())) {
            Some(record) if record.owner == owner && record.response.is_none() => {
                record.response = Some((status, body.to_owned()));
                record.expires_at = expires_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn abandon(&self, scope: &str, key: &str, owner: &str) -> Result<(), StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        if records.get(&id).is_some_and(|r| r.owner == owner && r.response.is_none()) {
            records.remove(&id);
        }
        Ok(())
    }

    async fn purge_expired(&self, now: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let expired: Vec<_> = records
            .iter()
            .filter(|(_, r)| r.expires_at <= now)
            .map(|(id, _)| id.clone())
            .take(limit as usize)
            .collect();
        for id in &expired {
            records.remove(id);
        }
        Ok(expired.len() as u64)
    }
}
