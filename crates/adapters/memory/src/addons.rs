//! The add-on catalog in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{AddOnCode, AddOnTerms, AuditEvent};
use tollgate_ports::{AddOnRepository, StoreError};

use crate::store::MemoryStore;

/// The add-on catalog, by code, behind one lock (so "created" is decided once per code). Its
/// audit events go to the audit log of the [`MemoryStore`] it was built on
/// ([`MemoryAddOns::new`]); `default()` gives it a store of its own, whose log no identity store
/// reads.
#[derive(Debug, Default)]
pub struct MemoryAddOns {
    addons: Mutex<BTreeMap<AddOnCode, AddOnTerms>>,
    log: Arc<MemoryStore>,
}

impl MemoryAddOns {
    /// An empty catalog whose changes are audited in `log`'s audit log (the one a
    /// [`crate::MemoryIdentity`] on the same store lists).
    pub fn new(log: Arc<MemoryStore>) -> Self {
        Self { addons: Mutex::default(), log }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<AddOnCode, AddOnTerms>> {
        // A panic while holding the lock cannot leave a map half written: recover it.
        self.addons.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl AddOnRepository for MemoryAddOns {
    async fn put(
        &self,
        terms: &AddOnTerms,
        _at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut addons = self.lock();
        let stored = addons.get(terms.code());
        if stored == Some(terms) {
            return Ok(false);
        }
        let created = stored.is_none();
        // Under the catalog's lock: the terms are written only once their events are.
        self.log.append_audit(audit)?;
        addons.insert(terms.code().clone(), terms.clone());
        Ok(created)
    }

    async fn get(&self, code: &AddOnCode) -> Result<Option<AddOnTerms>, StoreError> {
        Ok(self.lock().get(code).cloned())
    }

    async fn list(&self) -> Result<Vec<AddOnTerms>, StoreError> {
        Ok(self.lock().values().cloned().collect())
    }
}
