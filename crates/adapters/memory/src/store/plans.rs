//! Plan versions in memory: the next version of a code unless the terms are the latest's.

use async_trait::async_trait;
use tollgate_domain::{AuditEvent, MetricName, Plan, PlanCode, PlanDraft};
use tollgate_ports::{PlanRepository, StoreError};

use super::MemoryStore;

#[async_trait]
impl PlanRepository for MemoryStore {
    async fn publish(
        &self,
        terms: &PlanDraft,
        _at: time::OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Plan, StoreError> {
        let mut state = self.lock();
        let versions = state.plans.get(&terms.code).map_or(&[][..], Vec::as_slice);
        if let Some(latest) = versions.last()
            && latest.terms() == terms
        {
            return Ok(latest.clone());
        }
        let next = u32::try_from(versions.len() + 1)
            .map_err(|_| StoreError::Internal("too many versions".into()))?;
        let plan = Plan::new(terms.clone(), next).map_err(|e| StoreError::Internal(e.to_string()))?;
        state.try_append(audit)?;
        state.plans.entry(terms.code.clone()).or_default().push(plan.clone());
        Ok(plan)
    }

    async fn latest(&self, code: &PlanCode) -> Result<Option<Plan>, StoreError> {
        Ok(self.lock().plans.get(code).and_then(|v| v.last().cloned()))
    }

    async fn version(&self, code: &PlanCode, version: u32) -> Result<Option<Plan>, StoreError> {
        Ok(self.lock().plans.get(code).and_then(|v| v.iter().find(|p| p.version() == version).cloned()))
    }

    async fn list(&self) -> Result<Vec<Plan>, StoreError> {
        Ok(self.lock().plans.values().filter_map(|v| v.last().cloned()).collect())
    }

    async fn metrics(&self) -> Result<Vec<MetricName>, StoreError> {
        let state = self.lock();
        let mut metrics: Vec<MetricName> =
            state.plans.values().flatten().flat_map(|p| p.limits().keys().cloned()).collect();
        metrics.sort();
        metrics.dedup();
        Ok(metrics)
    }
}
