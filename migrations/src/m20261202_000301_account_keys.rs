//! Account API keys and key lifetimes: a key may belong to one account (with scopes) instead of
//! the platform, may expire, and remembers its last use. Existing keys stay platform keys that
//! never expire.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Account,
    Scopes,
    ExpiresAt,
    LastUsedAt,
}

const INDEX: &str = "api_keys_account";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        let columns = [
            text_null(ApiKeys::Account),
            // Scope names joined by commas, sorted; empty for a platform key.
            text(ApiKeys::Scopes).default("").to_owned(),
            big_integer_null(ApiKeys::ExpiresAt),
            big_integer_null(ApiKeys::LastUsedAt),
        ];
        for mut column in columns {
            let alter = Table::alter().table(ApiKeys::Table).add_column(&mut column).to_owned();
            manager.alter_table(alter).await?;
        }
        // An account's keys are listed in id order.
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ApiKeys::Table)
                    .col(ApiKeys::Account)
                    .col(ApiKeys::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(ApiKeys::Table).to_owned()).await?;
        for column in [ApiKeys::LastUsedAt, ApiKeys::ExpiresAt, ApiKeys::Scopes, ApiKeys::Account] {
            manager.alter_table(Table::alter().table(ApiKeys::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
