//! The add-on catalog: one row per code, its terms as the API's JSON.

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use time::OffsetDateTime;
use tollgate_domain::{AddOnCode, AddOnDraft, AddOnTerms, AuditEvent};
use tollgate_ports::{AddOnRepository, StoreError};

use crate::convert::{corrupt, db_error, micros};
use crate::entities::addons;
use crate::identity::commit_with_audit;
use crate::{Store, begin_write};

fn terms_from_model(model: addons::Model) -> Result<AddOnTerms, StoreError> {
    let draft: AddOnDraft = serde_json::from_str(&model.terms).map_err(corrupt)?;
    AddOnTerms::new(draft).map_err(corrupt)
}

/// Inserts a new code; `DO NOTHING` makes the primary key decide which of concurrent puts of a
/// new code created it, without failing (and so aborting) the others' transactions.
const INSERT_SQL: &str =
    "INSERT INTO addons (code, terms, updated_at) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING";
/// Replaces the terms of an existing code, unless they are the same (then nothing is written).
const REPLACE_SQL: &str = "UPDATE addons SET terms = $2, updated_at = $3 WHERE code = $1 AND terms <> $2";

#[async_trait]
impl AddOnRepository for Store {
    async fn put(
        &self,
        terms: &AddOnTerms,
        at: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(terms).map_err(|e| StoreError::Internal(e.to_string()))?;
        let values = vec![terms.code().to_string().into(), json.into(), micros(at).into()];
        let txn = begin_write(self.connection()).await.map_err(db_error)?;
        let written = async {
            let created =
                txn.execute_raw(self.statement(INSERT_SQL, values.clone())).await?.rows_affected() == 1;
            let replaced =
                !created && txn.execute_raw(self.statement(REPLACE_SQL, values)).await?.rows_affected() == 1;
            Ok::<_, sea_orm::DbErr>((created, created || replaced))
        }
        .await;
        let (created, changed) = match written {
            Ok(outcome) => outcome,
            Err(e) => {
                let _ = txn.rollback().await;
                return Err(db_error(e));
            }
        };
        commit_with_audit(txn, if changed { audit } else { &[] }).await?;
        Ok(created)
    }

    async fn get(&self, code: &AddOnCode) -> Result<Option<AddOnTerms>, StoreError> {
        addons::Entity::find_by_id(code.to_string())
            .one(self.connection())
            .await
            .map_err(db_error)?
            .map(terms_from_model)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<AddOnTerms>, StoreError> {
        addons::Entity::find()
            .order_by_asc(addons::Column::Code)
            .all(self.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(terms_from_model)
            .collect()
    }
}
