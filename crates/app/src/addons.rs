//! The add-on catalog: publication and the public list.

use tollgate_domain::{AddOnDraft, AddOnTerms, AuditEvent};

use crate::plans::audited_write;
use crate::{AppError, Tollgate};

impl Tollgate {
    /// Publishes an add-on on the server's own authority (plans as code, applied at start): new
    /// terms for its code replace the old ones (what subscribers bought is theirs, recorded with
    /// their purchase). Returns the terms and whether the code was new. Not audited, as
    /// [`Tollgate::publish_plan`].
    ///
    /// # Errors
    /// [`AppError::Invalid`] for invalid terms; storage errors.
    pub async fn publish_addon(&self, draft: AddOnDraft) -> Result<(AddOnTerms, bool), AppError> {
        self.publish_addon_audited(draft, &[]).await
    }

    /// Publishes an add-on as [`Tollgate::publish_addon`] does, `audit` written with the change
    /// (and not at all when the terms are the same as before).
    pub(crate) async fn publish_addon_audited(
        &self,
        draft: AddOnDraft,
        audit: &[AuditEvent],
    ) -> Result<(AddOnTerms, bool), AppError> {
        let terms = AddOnTerms::new(draft)?;
        let created = self.ports.addons.put(&terms, self.now(), audit).await.map_err(audited_write)?;
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
