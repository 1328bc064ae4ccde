//! Plan versions: published as the next version of their code (identical terms keep the latest),
//! read by version, listed, archived.

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use time::OffsetDateTime;
use tollgate_domain::{AuditEvent, MetricName, Plan, PlanCode, PlanDraft};
use tollgate_ports::{PlanRepository, StoreError};

use crate::convert::{corrupt, db_error, is_unique_violation, micros};
use crate::entities::plans;
use crate::identity::commit_with_audit;
use crate::{Store, begin_write};

fn plan_from_model(model: plans::Model) -> Result<Plan, StoreError> {
    let terms: PlanDraft = serde_json::from_str(&model.terms).map_err(corrupt)?;
    let version = u32::try_from(model.version).map_err(corrupt)?;
    Plan::new(terms, version).map_err(corrupt)
}

/// How many times a publish retries when another publisher took the same version number.
const PUBLISH_ATTEMPTS: usize = 5;

#[async_trait]
impl PlanRepository for Store {
    async fn publish(
        &self,
        terms: &PlanDraft,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Plan, StoreError> {
        let json = serde_json::to_string(terms).map_err(|e| StoreError::Internal(e.to_string()))?;
        let price_minor = terms.price.to_minor_units().map_err(|e| StoreError::Internal(e.to_string()))?;
        for _ in 0..PUBLISH_ATTEMPTS {
            if let Some(latest) = self.latest(&terms.code).await?
                && latest.terms() == terms
            {
                return Ok(latest);
            }
            let version = self.latest(&terms.code).await?.map_or(1, |p| p.version() + 1);
            let model = plans::ActiveModel {
                code: Set(terms.code.to_string()),
                version: Set(i32::try_from(version).map_err(corrupt)?),
                terms: Set(json.clone()),
                price_minor: Set(price_minor),
                currency: Set(terms.price.currency().code().to_owned()),
                active: Set(terms.active),
                created_at: Set(micros(at)),
                ..Default::default()
            };
            // The version and its events commit together.
            let txn = begin_write(self.connection()).await.map_err(db_error)?;
            match plans::Entity::insert(model).exec(&txn).await {
                Ok(_) => {
                    commit_with_audit(txn, audit).await?;
                    return Plan::new(terms.clone(), version).map_err(corrupt);
                }
                // Another publisher took this version: look again.
                Err(e) if is_unique_violation(&e) => {
                    let _ = txn.rollback().await;
                    continue;
                }
                Err(e) => {
                    let _ = txn.rollback().await;
                    return Err(db_error(e));
                }
            }
        }
        Err(StoreError::Unavailable("plan publication kept conflicting; retry".into()))
    }

    async fn latest(&self, code: &PlanCode) -> Result<Option<Plan>, StoreError> {
        plans::Entity::find()
            .filter(plans::Column::Code.eq(code.as_str()))
            .order_by_desc(plans::Column::Version)
            .one(self.connection())
            .await
            .map_err(db_error)?
            .map(plan_from_model)
            .transpose()
    }

    async fn version(&self, code: &PlanCode, version: u32) -> Result<Option<Plan>, StoreError> {
        let Ok(version) = i32::try_from(version) else { return Ok(None) };
        plans::Entity::find()
            .filter(plans::Column::Code.eq(code.as_str()))
            .filter(plans::Column::Version.eq(version))
            .one(self.connection())
            .await
            .map_err(db_error)?
            .map(plan_from_model)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<Plan>, StoreError> {
        let rows = self
            .connection()
            .query_all_raw(self.statement(
                "SELECT p.id, p.code, p.version, p.terms, p.price_minor, p.currency, p.active, p.created_at \
                 FROM plans p WHERE p.version = (SELECT MAX(q.version) FROM plans q WHERE q.code = p.code) \
                 ORDER BY p.code",
                vec![],
            ))
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let terms: String = row.try_get_by_index(3).map_err(db_error)?;
                let version: i32 = row.try_get_by_index(2).map_err(db_error)?;
                let terms: PlanDraft = serde_json::from_str(&terms).map_err(corrupt)?;
                Plan::new(terms, u32::try_from(version).map_err(corrupt)?).map_err(corrupt)
            })
            .collect()
    }

    async fn metrics(&self) -> Result<Vec<MetricName>, StoreError> {
        let rows = plans::Entity::find().all(self.connection()).await.map_err(db_error)?;
        let mut metrics = Vec::new();
        for row in rows {
            metrics.extend(plan_from_model(row)?.limits().keys().cloned());
        }
        metrics.sort();
        metrics.dedup();
        Ok(metrics)
    }
}
