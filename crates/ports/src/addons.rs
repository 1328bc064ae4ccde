//! The add-on catalog's persistence contract.

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{AddOnCode, AddOnTerms, AuditEvent};

use crate::StoreError;

/// The catalog of add-ons: one current set of terms per code (subscribers' purchases keep their
/// own copy, so replacing terms never changes what was bought).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AddOnRepository: Send + Sync {
    /// Stores `terms` as the add-on of their code, replacing any earlier terms; `at` is recorded
    /// as the time of the change. Returns whether the code was new. Of concurrent puts of one new
    /// code, exactly one reports it created. Terms equal to the stored ones change nothing (and
    /// report `false`). The `audit` events recording the change are appended to the audit log
    /// (the one [`crate::IdentityStore::audit`] lists) in the same transaction, and only when
    /// something was written.
    ///
    /// # Errors
    /// [`StoreError::Conflict`]`("audit")` when an event's id exists (nothing is written then);
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`].
    async fn put(
        &self,
        terms: &AddOnTerms,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError>;

    /// The add-on `code`, if the catalog has it.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn get(&self, code: &AddOnCode) -> Result<Option<AddOnTerms>, StoreError>;

    /// Every add-on, by code.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn list(&self) -> Result<Vec<AddOnTerms>, StoreError>;
}
