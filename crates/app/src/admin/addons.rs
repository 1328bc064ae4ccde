//! Add-on publication by platform admins, audited.

use tollgate_domain::{AddOnCode, AddOnDraft, AddOnTerms, Caller};
use tollgate_ports::Change;

use crate::identity::target;
use crate::{AppError, Origin, Tollgate};

impl Tollgate {
    /// Publishes `draft` as the add-on `code` (the draft must name it): a new add-on, or new
    /// terms replacing its old ones. Returns the terms and whether the add-on was created.
    /// Audited as `addon.published`, written right after the add-on as `plan.published` is.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::Invalid`] for a
    /// draft of another code or invalid terms; storage errors.
    pub async fn put_addon(
        &self,
        caller: &Caller,
        origin: &Origin,
        code: &AddOnCode,
        draft: AddOnDraft,
    ) -> Result<(AddOnTerms, bool), AppError> {
        self.require_platform_admin(caller)?;
        draft.check_code(code)?;
        let published = self.publish_addon(draft).await?;
        let event = self.audit_by(caller, "addon.published", target("addon", code.as_str()), origin);
        self.identity_ports().store.apply(&[Change::Audit(event)]).await?;
        Ok(published)
    }
}
