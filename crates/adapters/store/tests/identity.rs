//! The identity tables' own guarantees, beyond the port's conformance suite: the audit log is
//! append-only in the database itself, and a busy database fails closed.

use sea_orm::{ConnectionTrait, Database};
use time::macros::datetime;
use tollgate_domain::{Actor, AuditEvent, AuditTarget};
use tollgate_ports::{AuditFilter, Change, IdentityStore, LoginAttempts, StoreError};
use tollgate_store::testing::TestDatabase;
use tollgate_store::{Store, StoreConfig};

fn event() -> AuditEvent {
    AuditEvent {
        id: "aud_1".into(),
        at: datetime!(2026-12-01 9:00 UTC),
        action: "user.login".into(),
        actor: Actor { kind: "user".into(), id: "usr_ann".into() },
        impersonator: None,
        target: AuditTarget { kind: "user".into(), id: "usr_ann".into() },
        ip: None,
        request_id: None,
    }
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletions_on_every_database() {
    for database in [Some(TestDatabase::sqlite()), TestDatabase::postgres().await].into_iter().flatten() {
        let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
        store.migrate().await.expect("migrate");
        store.identity().apply(&[Change::Audit(event())]).await.expect("append");
        let direct = Database::connect(database.url.as_str()).await.expect("connect");
        let update = direct.execute_unprepared("UPDATE audit_events SET action = 'user.logout'").await;
        let refused = |outcome: Result<_, sea_orm::DbErr>| {
            outcome.is_err_and(|e| e.to_string().contains("append-only"))
        };
        assert!(refused(update), "{}: an update is refused", database.url);
        let delete = direct.execute_unprepared("DELETE FROM audit_events").await;
        assert!(refused(delete), "{}: a deletion is refused", database.url);
        let kept = store.identity().audit(&AuditFilter::default(), None, 10).await.expect("audit");
        assert_eq!(kept, [event()], "{}: the event is intact", database.url);
        let _ = direct.close().await;
        store.close().await;
        database.drop_database().await;
    }
}

#[tokio::test]
async fn identity_writes_are_unavailable_while_the_database_is_busy() {
    let (database, store) = TestDatabase::impatient_sqlite_store().await;
    // Another process holds SQLite's write lock past the busy timeout.
    let blocker = database.hold_write_lock().await;
    let applied = store.identity().apply(&[Change::Audit(event())]).await;
    assert!(matches!(applied, Err(StoreError::Unavailable(_))), "{applied:?}");
    let rotated = store.identity().rotate("r-1", "r-2", event().at).await;
    assert!(matches!(rotated, Err(StoreError::Unavailable(_))), "{rotated:?}");
    let recorded = store.login_attempts().record_failure("ann@acme.test", "10.0.0.1", event().at).await;
    assert!(matches!(recorded, Err(StoreError::Unavailable(_))), "{recorded:?}");
    blocker.execute_unprepared("ROLLBACK").await.expect("unlock");
    store.identity().apply(&[Change::Audit(event())]).await.expect("the retry is written");
    let _ = blocker.close().await;
    store.close().await;
    database.drop_database().await;
}
