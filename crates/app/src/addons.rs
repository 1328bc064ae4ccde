//! The add-on catalog: publication and the public list.

use tollgate_domain::{AddOnDraft, AddOnTerms};

use crate::{AppError, Tollgate};

impl Tollgate {
    /// Publishes an add-on: new terms for its code replace the old ones (what subscribers bought
    /// is theirs, recorded with their purchase). Returns the terms and whether the code was new.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for invalid terms; storage errors.
    pub async fn publish_addon(&self, draft: AddOnDraft) -> Result<(AddOnTerms, bool), AppError> {
        let terms = AddOnTerms::new(draft)?;
        let created = self.ports.addons.put(&terms, self.now()).await?;
        Ok((terms, created))
    }

    /// Every add-on of the catalog, by code.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn addons(&self) -> Result<Vec<AddOnTerms>, AppError> {
        Ok(self.ports.addons.list().await?)
    }
}
