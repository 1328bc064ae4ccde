//! Plan publication and archival by platform admins, audited.

use tollgate_domain::{Caller, Plan, PlanCode, PlanDraft};

use crate::identity::target;
use crate::{AppError, Origin, Tollgate};

impl Tollgate {
    /// Publishes `terms` as the plan `code` (the terms must name it): a new plan, new terms as
    /// its next version, or identical terms that keep theirs. Returns the plan and whether it was
    /// created. Audited as `plan.published`, in the same write as the new version; identical
    /// terms publish nothing and are no event.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::Invalid`] for
    /// terms of another code or invalid terms; storage errors.
    pub async fn put_plan(
        &self,
        caller: &Caller,
        origin: &Origin,
        code: &PlanCode,
        terms: PlanDraft,
    ) -> Result<(Plan, bool), AppError> {
        self.require_platform_admin(caller)?;
        terms.check_code(code)?;
        let created = self.ports.plans.latest(code).await?.is_none();
        let event = self.audit_by(caller, "plan.published", target("plan", code.as_str()), origin);
        let plan = self.publish_audited(terms, &[event]).await?;
        Ok((plan, created))
    }

    /// Archives the plan `code`: its latest terms published again with `active: false`, so its
    /// subscribers keep their terms and no new subscription may start on it. Archiving an
    /// archived plan changes nothing and is no event. Audited as `plan.archived`, in the same
    /// write as the archived version.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::PlanNotFound`];
    /// storage errors.
    pub async fn archive_plan(
        &self,
        caller: &Caller,
        origin: &Origin,
        code: &PlanCode,
    ) -> Result<Plan, AppError> {
        self.require_platform_admin(caller)?;
        let mut terms = self.plan(code).await?.terms().clone();
        terms.active = false;
        let event = self.audit_by(caller, "plan.archived", target("plan", code.as_str()), origin);
        self.publish_audited(terms, &[event]).await
    }
}
