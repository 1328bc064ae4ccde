//! The audit log: appended inside the transaction of the change it records, listed newest
//! first. The table's triggers refuse updates and deletions.

use sea_orm::{DatabaseConnection, DatabaseTransaction, QueryResult, Value};
use tollgate_domain::{Actor, AuditEvent, AuditTarget};
use tollgate_ports::{AuditFilter, StoreError};

use super::rows::get;
use super::{all, exec, fail};
use crate::convert::{instant, is_unique_violation, micros};

const COLUMNS: &str =
    "id, at, action, actor_type, actor_id, impersonator, target_type, target_id, ip, request_id";

pub(crate) async fn append(txn: &DatabaseTransaction, event: &AuditEvent) -> Result<(), StoreError> {
    let values: Vec<Value> = vec![
        event.id.clone().into(),
        micros(event.at).into(),
        event.action.clone().into(),
        event.actor.kind.clone().into(),
        event.actor.id.clone().into(),
        event.impersonator.clone().into(),
        event.target.kind.clone().into(),
        event.target.id.clone().into(),
        event.ip.clone().into(),
        event.request_id.clone().into(),
    ];
    let sql =
        format!("INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    match exec(txn, &sql, values).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("audit")),
        Err(e) => Err(fail(e)),
    }
}

/// Appends `events` in `txn` and commits it; on any failure rolls it back, so the change the
/// transaction holds is never committed without its events (the way API keys, plans and
/// add-ons are audited; subscriptions append theirs in [`crate::Store`]'s state change).
pub(crate) async fn commit_with(txn: DatabaseTransaction, events: &[AuditEvent]) -> Result<(), StoreError> {
    for event in events {
        if let Err(error) = append(&txn, event).await {
            let _ = txn.rollback().await;
            return Err(error);
        }
    }
    txn.commit().await.map_err(fail)
}

fn event(row: &QueryResult) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        id: get(row, 0)?,
        at: instant(get(row, 1)?)?,
        action: get(row, 2)?,
        actor: Actor { kind: get(row, 3)?, id: get(row, 4)? },
        impersonator: get(row, 5)?,
        target: AuditTarget { kind: get(row, 6)?, id: get(row, 7)? },
        ip: get(row, 8)?,
        request_id: get(row, 9)?,
    })
}

/// Events newest first (ties by id, descending), those after the event `after` in that order.
pub(super) async fn list(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    after: Option<String>,
    limit: u32,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    let mut condition = |sql: &mut String, template: &str, value: Value| {
        values.push(value);
        sql.push_str(&template.replace('?', &format!("${}", values.len())));
    };
    if let Some(actor) = &filter.actor {
        condition(&mut sql, " AND actor_id = ?", actor.clone().into());
    }
    if let Some(target) = &filter.target {
        condition(&mut sql, " AND target_id = ?", target.clone().into());
    }
    if let Some(action) = &filter.action {
        condition(&mut sql, " AND action = ?", action.clone().into());
    }
    if let Some(since) = filter.since {
        condition(&mut sql, " AND at >= ?", micros(since).into());
    }
    if let Some(after) = after {
        // An unknown `after` compares with NULL: no event is past it.
        condition(
            &mut sql,
            " AND (at < (SELECT at FROM audit_events WHERE id = ?) \
             OR (at = (SELECT at FROM audit_events WHERE id = ?) AND id < ?))",
            after.into(),
        );
    }
    condition(&mut sql, " ORDER BY at DESC, id DESC LIMIT ?", i64::from(limit).into());
    all(db, &sql, values).await?.iter().map(event).collect()
}
