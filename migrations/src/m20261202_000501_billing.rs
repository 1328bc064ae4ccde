//! Billing: invoices (money as integer minor units, lines as the API's JSON with decimal strings),
//! the per-year counter that numbers them gap-free, each account's gateway profile, hosted
//! checkouts, the work already applied once (gateway events, renewals, reminders: one row per
//! scope and key), and the plan change a
//! subscription waits to apply at its period's end.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Scheduled,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    AccountId,
    Number,
    Year,
    Sequence,
    Reason,
    Status,
    Currency,
    Lines,
    SubtotalMinor,
    TotalMinor,
    IssuedAt,
    DueAt,
    PaidAt,
    Attempts,
    NextAttemptAt,
    PeriodStart,
    PeriodEnd,
    PlanCode,
    Version,
}

#[derive(DeriveIden)]
enum InvoiceCounters {
    Table,
    Year,
    Last,
}

#[derive(DeriveIden)]
enum BillingProfiles {
    Table,
    AccountId,
    Customer,
    PaymentMethod,
}

#[derive(DeriveIden)]
enum Checkouts {
    Table,
    Session,
    AccountId,
    PlanCode,
    Seats,
    AmountMinor,
    Currency,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum AppliedOnce {
    Table,
    Scope,
    Key,
    AppliedAt,
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
        // A downgrade at period end waits on its subscription, as JSON.
        manager
            .alter_table(
                Table::alter()
                    .table(Subscriptions::Table)
                    .add_column(text_null(Subscriptions::Scheduled))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(big_integer(Invoices::Id).primary_key().auto_increment())
                    .col(big_integer(Invoices::AccountId))
                    .col(text(Invoices::Number).unique_key())
                    .col(integer(Invoices::Year))
                    .col(big_integer(Invoices::Sequence))
                    .col(text(Invoices::Reason))
                    .col(text(Invoices::Status))
                    .col(text(Invoices::Currency))
                    .col(text(Invoices::Lines))
                    .col(big_integer(Invoices::SubtotalMinor))
                    .col(big_integer(Invoices::TotalMinor))
                    .col(big_integer(Invoices::IssuedAt))
                    .col(big_integer(Invoices::DueAt))
                    .col(big_integer_null(Invoices::PaidAt))
                    .col(big_integer(Invoices::Attempts))
                    .col(big_integer_null(Invoices::NextAttemptAt))
                    .col(big_integer_null(Invoices::PeriodStart))
                    .col(big_integer_null(Invoices::PeriodEnd))
                    .col(text_null(Invoices::PlanCode))
                    .col(big_integer(Invoices::Version).default(0))
                    .foreign_key(&mut account_fk(Invoices::Table, Invoices::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_by_year_sequence")
                    .table(Invoices::Table)
                    .col(Invoices::Year)
                    .col(Invoices::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_by_account")
                    .table(Invoices::Table)
                    .col(Invoices::AccountId)
                    .col(Invoices::Number)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceCounters::Table)
                    .col(integer(InvoiceCounters::Year).primary_key())
                    .col(integer(InvoiceCounters::Last))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingProfiles::Table)
                    .col(big_integer(BillingProfiles::AccountId).primary_key())
                    .col(text_null(BillingProfiles::Customer))
                    .col(text_null(BillingProfiles::PaymentMethod))
                    .foreign_key(&mut account_fk(BillingProfiles::Table, BillingProfiles::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Checkouts::Table)
                    .col(text(Checkouts::Session).primary_key())
                    .col(big_integer(Checkouts::AccountId))
                    .col(text(Checkouts::PlanCode))
                    .col(big_integer(Checkouts::Seats))
                    .col(big_integer(Checkouts::AmountMinor))
                    .col(text(Checkouts::Currency))
                    .col(big_integer(Checkouts::CreatedAt))
                    .col(big_integer_null(Checkouts::CompletedAt))
                    .foreign_key(&mut account_fk(Checkouts::Table, Checkouts::AccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppliedOnce::Table)
                    .col(text(AppliedOnce::Scope))
                    .col(text(AppliedOnce::Key))
                    .col(big_integer(AppliedOnce::AppliedAt))
                    .primary_key(Index::create().col(AppliedOnce::Scope).col(AppliedOnce::Key))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AppliedOnce::Table.into_iden(),
            Checkouts::Table.into_iden(),
            BillingProfiles::Table.into_iden(),
            InvoiceCounters::Table.into_iden(),
            Invoices::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter().table(Subscriptions::Table).drop_column(Subscriptions::Scheduled).to_owned(),
            )
            .await
    }
}
