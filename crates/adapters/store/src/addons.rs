//! The add-on catalog: one row per code, its terms as the API's JSON.

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};
use time::OffsetDateTime;
use tollgate_domain::{AddOnCode, AddOnDraft, AddOnTerms};
use tollgate_ports::{AddOnRepository, StoreError};

use crate::Store;
use crate::convert::{corrupt, db_error, is_unique_violation, micros};
use crate::entities::addons;

fn terms_from_model(model: addons::Model) -> Result<AddOnTerms, StoreError> {
    let draft: AddOnDraft = serde_json::from_str(&model.terms).map_err(corrupt)?;
    AddOnTerms::new(draft).map_err(corrupt)
}

#[async_trait]
impl AddOnRepository for Store {
    async fn put(&self, terms: &AddOnTerms, at: OffsetDateTime) -> Result<bool, StoreError> {
        let json = serde_json::to_string(terms).map_err(|e| StoreError::Internal(e.to_string()))?;
        let model = addons::ActiveModel {
            code: Set(terms.code().to_string()),
            terms: Set(json),
            updated_at: Set(micros(at)),
        };
        // Insert first: the primary key decides which of concurrent puts of a new code created
        // it; the others replace the terms.
        match addons::Entity::insert(model.clone()).exec(self.connection()).await {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => {
                addons::Entity::update(model).exec(self.connection()).await.map_err(db_error)?;
                Ok(false)
            }
            Err(e) => Err(db_error(e)),
        }
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
