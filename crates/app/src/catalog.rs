//! The plan catalog cached in memory: plan versions never change, so they are cached for good;
//! the list of latest versions is refreshed after a short time or on a miss, so plans published
//! by another instance are seen quickly.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use time::{Duration, OffsetDateTime};
use tollgate_domain::{FeatureName, MetricName, Plan, PlanCode};
use tollgate_ports::PlanRepository;

use crate::AppError;

/// How long the list of latest plans is trusted before it is read again.
const REFRESH_AFTER: Duration = Duration::seconds(10);

#[derive(Debug, Default)]
struct Snapshot {
    latest: Arc<Vec<Plan>>,
    metrics: HashSet<MetricName>,
    features: HashSet<FeatureName>,
    loaded_at: Option<OffsetDateTime>,
}

#[derive(Debug, Default)]
pub(crate) struct Catalog {
    snapshot: RwLock<Snapshot>,
    versions: RwLock<HashMap<(PlanCode, u32), Arc<Plan>>>,
}

impl Catalog {
    /// The latest version of every plan, refreshed when stale.
    pub(crate) async fn latest(
        &self,
        plans: &dyn PlanRepository,
        now: OffsetDateTime,
    ) -> Result<Arc<Vec<Plan>>, AppError> {
        let fresh = {
            let snapshot = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
            snapshot.loaded_at.is_some_and(|at| now - at < REFRESH_AFTER).then(|| snapshot.latest.clone())
        };
        match fresh {
            Some(latest) => Ok(latest),
            None => self.reload(plans, now).await,
        }
    }

    /// Reads the catalog again (after a publish, or when a name is not found).
    pub(crate) async fn reload(
        &self,
        plans: &dyn PlanRepository,
        now: OffsetDateTime,
    ) -> Result<Arc<Vec<Plan>>, AppError> {
        let latest = Arc::new(plans.list().await?);
        let metrics = plans.metrics().await?.into_iter().collect();
        let features = latest.iter().flat_map(|p| p.features().keys().cloned()).collect();
        let mut snapshot = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        *snapshot = Snapshot { latest: latest.clone(), metrics, features, loaded_at: Some(now) };
        Ok(latest)
    }

    /// Whether any plan version defines `metric`, reloading once before saying no.
    pub(crate) async fn knows_metric(
        &self,
        plans: &dyn PlanRepository,
        metric: &MetricName,
        now: OffsetDateTime,
    ) -> Result<bool, AppError> {
        if self.snapshot.read().unwrap_or_else(|p| p.into_inner()).metrics.contains(metric) {
            return Ok(true);
        }
        self.reload(plans, now).await?;
        Ok(self.snapshot.read().unwrap_or_else(|p| p.into_inner()).metrics.contains(metric))
    }

    /// Whether any current plan defines `feature`, reloading once before saying no.
    pub(crate) async fn knows_feature(
        &self,
        plans: &dyn PlanRepository,
        feature: &FeatureName,
        now: OffsetDateTime,
    ) -> Result<bool, AppError> {
        if self.snapshot.read().unwrap_or_else(|p| p.into_inner()).features.contains(feature) {
            return Ok(true);
        }
        self.reload(plans, now).await?;
        Ok(self.snapshot.read().unwrap_or_else(|p| p.into_inner()).features.contains(feature))
    }

    /// One plan version, from the cache or the repository.
    pub(crate) async fn version(
        &self,
        plans: &dyn PlanRepository,
        code: &PlanCode,
        version: u32,
    ) -> Result<Arc<Plan>, AppError> {
        let cache_key = (code.clone(), version);
        if let Some(plan) = self.versions.read().unwrap_or_else(|p| p.into_inner()).get(&cache_key) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(
            plans.version(code, version).await?.ok_or_else(|| AppError::PlanNotFound(code.clone()))?,
        );
        self.versions.write().unwrap_or_else(|p| p.into_inner()).insert(cache_key, plan.clone());
        Ok(plan)
    }
}
