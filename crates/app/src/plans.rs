//! Plan publication and the catalog as callers see it.

use tollgate_domain::{AuditEvent, Plan, PlanCode, PlanDraft};
use tollgate_ports::StoreError;

use crate::{AppError, Tollgate};

impl Tollgate {
    /// Publishes plan terms on the server's own authority (plans as code, applied at start):
    /// identical terms keep their version, new terms become the next one, so existing
    /// subscribers keep theirs. Not audited: nobody acted through the API, the plans file is the
    /// record of these changes, and the server logs each plan it applies.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for invalid terms, or terms allowing an add-on the catalog does not
    /// have (`addons`); storage errors.
    pub async fn publish_plan(&self, terms: PlanDraft) -> Result<Plan, AppError> {
        self.publish_audited(terms, &[]).await
    }

    /// Publishes plan terms as [`Tollgate::publish_plan`] does, `audit` written with the new
    /// version (and not at all when the terms are the latest version's).
    pub(crate) async fn publish_audited(
        &self,
        terms: PlanDraft,
        audit: &[AuditEvent],
    ) -> Result<Plan, AppError> {
        // Validate before storing: the repository stores only valid plans.
        Plan::new(terms.clone(), 1).map_err(|tollgate_domain::PlanError::Invalid(e)| AppError::Invalid(e))?;
        if !terms.addons.is_empty() {
            let known: Vec<_> = self.ports.addons.list().await?.iter().map(|a| a.code().clone()).collect();
            terms.check_addons(&known)?;
        }
        let plan = self.ports.plans.publish(&terms, self.now(), audit).await.map_err(audited_write)?;
        self.catalog.reload(self.ports.plans.as_ref(), self.now()).await?;
        Ok(plan)
    }

    /// The latest version of every plan, active ones only unless `include_archived`, by code.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn plans(&self, include_archived: bool) -> Result<Vec<Plan>, AppError> {
        let latest = self.catalog.latest(self.ports.plans.as_ref(), self.now()).await?;
        Ok(latest.iter().filter(|p| include_archived || p.active()).cloned().collect())
    }

    /// The latest version of one plan.
    ///
    /// # Errors
    /// [`AppError::PlanNotFound`]; storage errors.
    pub async fn plan(&self, code: &PlanCode) -> Result<Plan, AppError> {
        self.ports.plans.latest(code).await?.ok_or_else(|| AppError::PlanNotFound(code.clone()))
    }

    /// The latest version of a plan new subscriptions may start on: an archived plan keeps its
    /// subscribers but takes no new ones.
    pub(crate) async fn subscribable(&self, code: &PlanCode) -> Result<Plan, AppError> {
        let plan = self.plan(code).await?;
        if !plan.active() {
            return Err(AppError::PlanInactive(code.clone()));
        }
        Ok(plan)
    }
}

/// A store's failure to write a change with its audit events: ids are generated, so a conflict
/// is never the caller's doing.
pub(crate) fn audited_write(error: StoreError) -> AppError {
    match error {
        StoreError::Conflict(what) => AppError::Internal(format!("{what}: an id was generated twice")),
        other => other.into(),
    }
}
