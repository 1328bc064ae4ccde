//! Accounts, versioned plans, subscriptions, per-account terms, usage counters and ledger,
//! and HTTP idempotency records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Key,
    Name,
    Email,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Code,
    Version,
    Terms,
    PriceMinor,
    Currency,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    AccountId,
    PlanCode,
    PlanVersion,
    Interval,
    Status,
    Seats,
    StartedAt,
    Anchor,
    TrialEndsAt,
    CancelAt,
    PastDueSince,
    EndedAt,
}

#[derive(DeriveIden)]
enum AccountTerms {
    Table,
    AccountId,
    AddOns,
    Overrides,
}

#[derive(DeriveIden)]
enum UsageCounters {
    Table,
    AccountId,
    Metric,
    Period,
    Used,
}

#[derive(DeriveIden)]
enum UsageLedger {
    Table,
    Id,
    AccountId,
    Metric,
    Period,
    Kind,
    Quantity,
    Delta,
    Applied,
    UsedAfter,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyRecords {
    Table,
    Scope,
    Key,
    Fingerprint,
    Status,
    Body,
    CreatedAt,
    ExpiresAt,
}

fn account_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Accounts::Table, Accounts::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(big_pk_auto(Accounts::Id))
                    .col(text_uniq(Accounts::Key))
                    .col(text(Accounts::Name))
                    .col(text_null(Accounts::Email))
                    .col(big_integer(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(big_pk_auto(Plans::Id))
                    .col(text(Plans::Code))
                    .col(integer(Plans::Version).check(Expr::col(Plans::Version).gte(1)))
                    .col(text(Plans::Terms))
                    .col(big_integer(Plans::PriceMinor).check(Expr::col(Plans::PriceMinor).gte(0)))
                    .col(string_len(Plans::Currency, 3))
                    .col(boolean(Plans::Active))
                    .col(big_integer(Plans::CreatedAt))
                    .index(
                        Index::create()
                            .name("plans_code_version")
                            .col(Plans::Code)
                            .col(Plans::Version)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .col(big_integer(Subscriptions::AccountId).primary_key())
                    .col(text(Subscriptions::PlanCode))
                    .col(integer(Subscriptions::PlanVersion))
                    .col(text(Subscriptions::Interval))
                    .col(text(Subscriptions::Status))
                    .col(integer(Subscriptions::Seats).check(Expr::col(Subscriptions::Seats).gte(1)))
                    .col(big_integer(Subscriptions::StartedAt))
                    .col(big_integer(Subscriptions::Anchor))
                    .col(big_integer_null(Subscriptions::TrialEndsAt))
                    .col(big_integer_null(Subscriptions::CancelAt))
                    .col(big_integer_null(Subscriptions::PastDueSince))
                    .col(big_integer_null(Subscriptions::EndedAt))
                    .foreign_key(&mut account_fk(Subscriptions::Table, Subscriptions::AccountId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Subscriptions::Table, (Subscriptions::PlanCode, Subscriptions::PlanVersion))
                            .to(Plans::Table, (Plans::Code, Plans::Version)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountTerms::Table)
                    .col(big_integer(AccountTerms::AccountId).primary_key())
                    .col(text(AccountTerms::AddOns))
                    .col(text(AccountTerms::Overrides))
                    .foreign_key(&mut account_fk(AccountTerms::Table, AccountTerms::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageCounters::Table)
                    .col(big_integer(UsageCounters::AccountId))
                    .col(text(UsageCounters::Metric))
                    .col(text(UsageCounters::Period))
                    .col(big_integer(UsageCounters::Used).check(Expr::col(UsageCounters::Used).gte(0)))
                    .primary_key(
                        Index::create()
                            .col(UsageCounters::AccountId)
                            .col(UsageCounters::Metric)
                            .col(UsageCounters::Period),
                    )
                    .foreign_key(&mut account_fk(UsageCounters::Table, UsageCounters::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageLedger::Table)
                    .col(big_pk_auto(UsageLedger::Id))
                    .col(big_integer(UsageLedger::AccountId))
                    .col(text(UsageLedger::Metric))
                    .col(text(UsageLedger::Period))
                    .col(text(UsageLedger::Kind))
                    .col(big_integer(UsageLedger::Quantity).check(Expr::col(UsageLedger::Quantity).gte(1)))
                    .col(big_integer(UsageLedger::Delta).check(Expr::col(UsageLedger::Delta).gte(0)))
                    .col(boolean(UsageLedger::Applied))
                    .col(big_integer(UsageLedger::UsedAfter).check(Expr::col(UsageLedger::UsedAfter).gte(0)))
                    .col(text_null(UsageLedger::IdempotencyKey))
                    .col(big_integer(UsageLedger::CreatedAt))
                    .foreign_key(&mut account_fk(UsageLedger::Table, UsageLedger::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("usage_ledger_idempotency")
                    .table(UsageLedger::Table)
                    .col(UsageLedger::AccountId)
                    .col(UsageLedger::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // No index of its own on (account_id, id): the idempotency index starts with account_id
        // and serves an account's ledger, and every consume pays for each index of this table.
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecords::Table)
                    .col(text(IdempotencyRecords::Scope))
                    .col(text(IdempotencyRecords::Key))
                    .col(text(IdempotencyRecords::Fingerprint))
                    .col(integer_null(IdempotencyRecords::Status))
                    .col(text_null(IdempotencyRecords::Body))
                    .col(big_integer(IdempotencyRecords::CreatedAt))
                    .col(big_integer(IdempotencyRecords::ExpiresAt))
                    .primary_key(Index::create().col(IdempotencyRecords::Scope).col(IdempotencyRecords::Key))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idempotency_records_expiry")
                    .table(IdempotencyRecords::Table)
                    .col(IdempotencyRecords::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyRecords::Table.into_iden(),
            UsageLedger::Table.into_iden(),
            UsageCounters::Table.into_iden(),
            AccountTerms::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            Plans::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
