//! The contracts behind the back office: audited subscription saves, the account search, the
//! subscription tally and the usage totals.

use time::Duration;
use tollgate_domain::Status;

use super::identity::event;
use super::*;
use crate::{AccountFilter, AccountState, AuditFilter, SubscriptionTally};

async fn logged(b: &Backend) -> Vec<String> {
    let events = b.identity.audit(&AuditFilter::default(), None, 100).await.expect("audit");
    events.into_iter().map(|e| e.id).collect()
}

/// A subscription and the events recording its change are stored together or not at all.
pub async fn a_saved_subscription_writes_its_audit_events_with_it(b: Backend) {
    let k = account(&b, "acme").await;
    let v0 = b.accounts.state(&k).await.expect("state").expect("exists").version;
    let mut sub = b.accounts.state(&k).await.expect("state").expect("exists").subscription.expect("sub");
    sub.suspend(T0 + Duration::minutes(1)).expect("suspend");
    let suspended = event("a", T0 + Duration::minutes(1), "account.suspended", "key_admin", "acme");
    b.subscriptions.save(&k, &sub, v0, std::slice::from_ref(&suspended)).await.expect("save");
    assert_eq!(logged(&b).await, ["aud_a"], "the event is logged with the change");

    let stale = event("b", T0 + Duration::minutes(2), "account.activated", "key_admin", "acme");
    assert_eq!(b.subscriptions.save(&k, &sub, v0, &[stale]).await, Err(StoreError::Stale));
    assert_eq!(logged(&b).await, ["aud_a"], "a refused change logs nothing");

    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    let again = event("a", T0 + Duration::minutes(3), "account.activated", "key_admin", "acme");
    let mut active = sub.clone();
    active.activate(T0 + Duration::minutes(3)).expect("activate");
    assert_eq!(
        b.subscriptions.save(&k, &active, state.version, &[again]).await,
        Err(StoreError::Conflict("audit"))
    );
    let after = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(after.version, state.version, "an event that cannot be logged stores no change");
    assert_eq!(after.subscription.expect("sub").status(), Status::Suspended);
}

/// The search matches the key, the name or the e-mail case-insensitively, filters by stored
/// status and plan, and pages by key.
pub async fn accounts_are_searched_by_text_status_and_plan_in_key_order(b: Backend) {
    for k in ["delta", "alpha", "charlie", "bravo"] {
        account(&b, k).await;
    }
    let free = b.plans.publish(&draft("free", 1), T0, &[]).await.expect("publish");
    let echo = Account {
        key: key("echo"),
        name: "Echo 100% Ltd".into(),
        email: Some(Email::parse("Ops@Echo.test").expect("valid")),
        created_at: T0,
    };
    b.accounts.create(&echo, Some(Subscription::start(&free, 1, T0).expect("start"))).await.expect("create");
    let bare = Account { key: key("foxtrot"), name: "Foxtrot".into(), email: None, created_at: T0 };
    b.accounts.create(&bare, None).await.expect("create");
    let state = b.accounts.state(&key("charlie")).await.expect("state").expect("exists");
    let mut sub = state.subscription.expect("sub");
    sub.suspend(T0).expect("suspend");
    b.subscriptions.save(&key("charlie"), &sub, state.version, &[]).await.expect("save");

    let keys =
        |found: Vec<AccountState>| found.into_iter().map(|s| s.account.key.to_string()).collect::<Vec<_>>();
    let search = |filter: AccountFilter, after: Option<&str>, limit| {
        let b = b.clone();
        let after = after.map(key);
        async move { b.accounts.search(&filter, after, limit).await.expect("search") }
    };
    let all = AccountFilter::default();
    assert_eq!(
        keys(search(all.clone(), None, 10).await),
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    );
    assert_eq!(keys(search(all.clone(), None, 2).await), ["alpha", "bravo"]);
    assert_eq!(keys(search(all, Some("bravo"), 2).await), ["charlie", "delta"]);
    let text = |q: &str| AccountFilter { query: Some(q.into()), ..AccountFilter::default() };
    assert_eq!(keys(search(text("ALP"), None, 10).await), ["alpha"], "the key");
    assert_eq!(keys(search(text("echo.TEST"), None, 10).await), ["echo"], "the e-mail");
    assert_eq!(keys(search(text("foxTROT"), None, 10).await), ["foxtrot"], "the name");
    assert_eq!(keys(search(text("100%"), None, 10).await), ["echo"], "a % is a character");
    assert!(search(text("0_"), None, 10).await.is_empty(), "an _ is a character");
    let status = AccountFilter { status: Some(Status::Suspended), ..AccountFilter::default() };
    let found = search(status, None, 10).await;
    assert_eq!(keys(found.clone()), ["charlie"]);
    assert_eq!(found[0].subscription.as_ref().map(Subscription::status), Some(Status::Suspended));
    let plan = AccountFilter { plan: Some(free.code().clone()), ..AccountFilter::default() };
    assert_eq!(keys(search(plan, None, 10).await), ["echo"]);
    let both =
        AccountFilter { query: Some("a".into()), status: Some(Status::Active), ..AccountFilter::default() };
    assert_eq!(keys(search(both, None, 10).await), ["alpha", "bravo", "delta"]);
}

/// The tally counts every account once by plan version and status, and the totals sum every
/// counter by metric.
pub async fn subscriptions_are_tallied_and_usage_totalled(b: Backend) {
    assert!(b.accounts.tally().await.expect("tally").is_empty());
    assert!(b.usage.totals().await.expect("totals").is_empty());
    let acme = account(&b, "acme").await;
    account(&b, "globex").await;
    let plan = b.plans.publish(&draft("pro", 5), T0, &[]).await.expect("v2");
    let wide = Account { key: key("initech"), name: "Initech".into(), email: None, created_at: T0 };
    b.accounts.create(&wide, Some(Subscription::start(&plan, 4, T0).expect("start"))).await.expect("create");
    let bare = Account { key: key("hooli"), name: "Hooli".into(), email: None, created_at: T0 };
    b.accounts.create(&bare, None).await.expect("create");
    let state = b.accounts.state(&key("globex")).await.expect("state").expect("exists");
    let mut sub = state.subscription.expect("sub");
    sub.mark_past_due(T0).expect("past due");
    b.subscriptions.save(&key("globex"), &sub, state.version, &[]).await.expect("save");

    let mut tally = b.accounts.tally().await.expect("tally");
    tally.sort_by_key(|t| (t.plan.clone(), t.status.map(Status::as_str)));
    let pro = PlanCode::parse("pro").expect("valid");
    let row = |plan: Option<(PlanCode, u32)>, status, accounts, seats| SubscriptionTally {
        plan,
        status,
        accounts,
        seats,
    };
    assert_eq!(
        tally,
        [
            row(None, None, 1, 0),
            row(Some((pro.clone(), 1)), Some(Status::Active), 1, 1),
            row(Some((pro.clone(), 1)), Some(Status::PastDue), 1, 1),
            row(Some((pro, 2)), Some(Status::Active), 1, 4),
        ]
    );

    b.usage.consume(&command(&acme, 2, None, None)).await.expect("consume");
    let mut day = command(&acme, 3, None, None);
    day.window = window("d:2026-11-23");
    b.usage.consume(&day).await.expect("consume");
    b.usage.consume(&command(&key("initech"), 4, None, None)).await.expect("consume");
    let mut tickets = command(&acme, 7, None, None);
    tickets.metric = metric("tickets");
    b.usage.consume(&tickets).await.expect("consume");
    b.usage.release(&command(&acme, 1, None, None)).await.expect("release");
    assert_eq!(b.usage.totals().await.expect("totals"), [(metric("sites"), 8), (metric("tickets"), 7)]);
}
