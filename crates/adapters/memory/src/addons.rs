//! The add-on catalog in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{AddOnCode, AddOnTerms};
use tollgate_ports::{AddOnRepository, StoreError};

/// The add-on catalog, by code, behind one lock (so "created" is decided once per code).
#[derive(Debug, Default)]
pub struct MemoryAddOns {
    addons: Mutex<BTreeMap<AddOnCode, AddOnTerms>>,
}

impl MemoryAddOns {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<AddOnCode, AddOnTerms>> {
        // A panic while holding the lock cannot leave a map half written: recover it.
        self.addons.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl AddOnRepository for MemoryAddOns {
    async fn put(&self, terms: &AddOnTerms, _at: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(self.lock().insert(terms.code().clone(), terms.clone()).is_none())
    }

    async fn get(&self, code: &AddOnCode) -> Result<Option<AddOnTerms>, StoreError> {
        Ok(self.lock().get(code).cloned())
    }

    async fn list(&self) -> Result<Vec<AddOnTerms>, StoreError> {
        Ok(self.lock().values().cloned().collect())
    }
}
