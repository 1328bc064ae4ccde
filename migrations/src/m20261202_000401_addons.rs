//! The add-on catalog: one row per add-on code, its current terms as the API's JSON text (the
//! price inside as a decimal string, never a float).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Addons {
    Table,
    Code,
    Terms,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Addons::Table)
                    .col(text(Addons::Code).primary_key())
                    .col(text(Addons::Terms))
                    .col(big_integer(Addons::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Addons::Table).to_owned()).await
    }
}
