//! The contracts of the account, subscription and plan repositories.

use super::*;

/// Creation is atomic and unique; listing pages by key.
pub async fn accounts_are_created_once_and_listed_in_key_order(b: Backend) {
    for k in ["carol", "alice", "bob"] {
        account(&b, k).await;
    }
    let again = Account { key: key("alice"), name: "Other".into(), email: None, created_at: T0 };
    assert_eq!(b.accounts.create(&again, None).await, Err(StoreError::Conflict("account")));
    let state = b.accounts.state(&key("alice")).await.expect("state").expect("exists");
    assert_eq!(state.account.name, "ALICE", "a conflicting create changes nothing");
    assert_eq!(state.subscription.expect("subscription").plan().as_str(), "pro");
    assert!(b.accounts.state(&key("nobody")).await.expect("state").is_none());

    let first = b.accounts.list(None, 2).await.expect("list");
    let keys: Vec<_> = first.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["alice", "bob"]);
    let rest = b.accounts.list(Some(key("bob")), 2).await.expect("list");
    assert_eq!(rest.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), ["carol"]);

    let with_email = Account {
        key: key("dave"),
        name: "Dave".into(),
        email: Some(Email::parse("dave@acme.test").expect("valid")),
        created_at: T0,
    };
    b.accounts.create(&with_email, None).await.expect("create without subscription");
    let state = b.accounts.state(&with_email.key).await.expect("state").expect("exists");
    assert_eq!(state.account, with_email);
    assert!(state.subscription.is_none());
}

/// Every field of a subscription survives storage, and add-ons and overrides attach to it.
pub async fn subscriptions_round_trip_with_add_ons_and_overrides(b: Backend) {
    let k = account(&b, "acme").await;
    let plan = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    let mut sub = Subscription::start(&plan, 4, T0).expect("start");
    sub.cancel(true, datetime!(2026-11-30 0:00 UTC)).expect("cancel");
    sub.mark_past_due(datetime!(2026-12-01 0:00:01.5 UTC)).expect("past due");
    b.subscriptions.save(&k, &sub, 0, &[]).await.expect("save");
    let add_ons = vec![AddOn {
        code: "extra_sites".into(),
        quantity: 2,
        limits: [(metric("sites"), 5)].into(),
        features: vec![FeatureName::parse("sso").expect("valid")],
    }];
    b.subscriptions.set_add_ons(&k, &add_ons).await.expect("add-ons");
    let overrides = Overrides {
        limits: [(metric("tickets"), Limit::unlimited(Reset::Day))].into(),
        features: BTreeMap::from([(FeatureName::parse("api_access").expect("valid"), false)]),
    };
    b.subscriptions.set_overrides(&k, &overrides).await.expect("overrides");
    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(state.subscription.as_ref(), Some(&sub));
    assert_eq!(state.add_ons, add_ons);
    assert_eq!(state.overrides, overrides);
    b.subscriptions.set_add_ons(&k, &[]).await.expect("clear");
    assert!(b.accounts.state(&k).await.expect("state").expect("exists").add_ons.is_empty());
}

/// Writes addressed to a missing account say so and create nothing.
pub async fn writes_for_an_unknown_account_are_not_found(b: Backend) {
    let plan = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    let ghost = key("ghost");
    let sub = Subscription::start(&plan, 1, T0).expect("start");
    assert_eq!(b.subscriptions.save(&ghost, &sub, 0, &[]).await, Err(StoreError::NotFound("account")));
    assert_eq!(b.subscriptions.set_add_ons(&ghost, &[]).await, Err(StoreError::NotFound("account")));
    assert_eq!(
        b.subscriptions.set_overrides(&ghost, &Overrides::default()).await,
        Err(StoreError::NotFound("account"))
    );
    assert_eq!(b.usage.consume(&command(&ghost, 1, None, None)).await, Err(StoreError::NotFound("account")));
    assert_eq!(b.usage.release(&command(&ghost, 1, None, None)).await, Err(StoreError::NotFound("account")));
    assert!(b.accounts.state(&ghost).await.expect("state").is_none());
}

/// Same terms keep the version; new terms make the next one; old versions stay readable.
pub async fn plans_are_versioned_and_old_versions_are_kept(b: Backend) {
    let v1 = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    assert_eq!(v1.version(), 1);
    assert_eq!(b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish").version(), 1);
    let v2 = b.plans.publish(&draft("pro", 5), T0, &[]).await.expect("publish");
    assert_eq!(v2.version(), 2);
    let mut yen = draft("basic", 1);
    yen.price = Money::new(5000.into(), Currency::parse("JPY").expect("valid"));
    b.plans.publish(&yen, T0, &[]).await.expect("publish");
    assert_eq!(b.plans.latest(&v1.code().clone()).await.expect("latest"), Some(v2.clone()));
    assert_eq!(b.plans.version(v1.code(), 1).await.expect("version"), Some(v1.clone()));
    assert_eq!(b.plans.version(v1.code(), 3).await.expect("version"), None);
    let codes: Vec<_> = b
        .plans
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|p| (p.code().to_string(), p.version()))
        .collect();
    assert_eq!(codes, [("basic".to_owned(), 1), ("pro".to_owned(), 2)]);
    let basic =
        b.plans.latest(&PlanCode::parse("basic").expect("valid")).await.expect("latest").expect("exists");
    assert_eq!(basic.price().amount_string(), "5000");
    let mut metrics = b.plans.metrics().await.expect("metrics");
    metrics.sort();
    assert_eq!(metrics, [metric("sites"), metric("tickets")]);
}
