//! The add-on catalog's persistence contract.

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{AddOnCode, AddOnTerms};

use crate::StoreError;

/// The catalog of add-ons: one current set of terms per code (subscribers' purchases keep their
/// own copy, so replacing terms never changes what was bought).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AddOnRepository: Send + Sync {
    /// Stores `terms` as the add-on of their code, replacing any earlier terms; `at` is recorded
    /// as the time of the change. Returns whether the code was new. Of concurrent puts of one new
    /// code, exactly one reports it created.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn put(&self, terms: &AddOnTerms, at: OffsetDateTime) -> Result<bool, StoreError>;

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
