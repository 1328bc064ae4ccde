//! Add-on publication by platform admins, audited.

use tollgate_domain::{AddOnCode, AddOnDraft, AddOnTerms, Caller};

use crate::identity::target;
use crate::{AppError, Origin, Tollgate};

impl Tollgate {
    /// Publishes `draft` as the add-on `code` (the draft must name it): a new add-on, or new
    /// terms replacing its old ones. Returns the terms and whether the add-on was created.
    /// Audited as `addon.published`, in the same write as the terms; the same terms again are no
    /// change and no event.
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
        let event = self.audit_by(caller, "addon.published", target("addon", code.as_str()), origin);
        self.publish_addon_audited(draft, &[event]).await
    }
}
