//! The audit log as platform admins read it.

use tollgate_domain::{AuditEvent, Caller};
use tollgate_ports::AuditFilter;

use super::page_size;
use crate::{AppError, Tollgate};

impl Tollgate {
    /// Audit events `filter` matches, newest first, after the event `after`, at most `limit`
    /// (1–101).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::LimitOutOfRange`];
    /// storage errors.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, AppError> {
        self.require_platform_admin(caller)?;
        Ok(self.identity_ports().store.audit(filter, after, page_size(limit)?).await?)
    }
}
