//! Account keys: who may create them, with which scopes, and that they open their account only.

use time::Duration;
use tollgate_domain::{ApiKey, ApiKeyId, Caller, MemberRole, Right, Role, Scope, SessionId};
use tollgate_ports::{AuditFilter, Secret};

use super::{create, named, operator};
use crate::tests::{World, k, new_account, world};
use crate::{AppError, Invite, NewApiKey, Origin, Registration, RegistrationAccount, Tollgate};

fn origin() -> Origin {
    Origin { ip: Some("192.0.2.7".into()), request_id: Some("req-1".into()) }
}

/// A person who registered with their own account `home`, as a caller.
async fn person(app: &Tollgate, email: &str, home: &str) -> Caller {
    let registration = Registration {
        email: email.into(),
        password: Secret::new("a long enough password"),
        name: "Someone".into(),
        account: Some(RegistrationAccount { key: k(home), name: home.into() }),
    };
    let (user, _) = app.register(registration, &Origin::default()).await.unwrap();
    Caller::User {
        user: user.id,
        session: SessionId::parse("ses_1").unwrap(),
        platform_admin: false,
        impersonator: None,
    }
}

/// Acme with its owner, an admin and a plain member; and Globex, another account.
struct Accounts {
    world: World,
    owner: Caller,
    admin: Caller,
    member: Caller,
}

async fn accounts() -> Accounts {
    let world = world().await;
    let app = &world.app;
    let owner = person(app, "owner@acme.test", "acme").await;
    let admin = person(app, "admin@acme.test", "admin-home").await;
    let member = person(app, "member@acme.test", "member-home").await;
    for (email, role) in [("admin@acme.test", MemberRole::Admin), ("member@acme.test", MemberRole::Member)] {
        app.add_member(&owner, &k("acme"), Invite { email: email.into(), role }, &Origin::default())
            .await
            .unwrap();
    }
    app.provision(new_account("globex", None)).await.unwrap();
    Accounts { world, owner, admin, member }
}

async fn account_key(
    app: &Tollgate,
    caller: &Caller,
    account: &str,
    scopes: &[Scope],
) -> Result<(ApiKey, Secret), AppError> {
    app.create_account_api_key(caller, &k(account), named("integration"), scopes.to_vec(), &origin()).await
}

async fn caller_of(app: &Tollgate, secret: &Secret) -> Option<Caller> {
    app.authenticate(secret.expose()).await.unwrap()
}

#[tokio::test]
async fn an_account_key_opens_its_account_with_its_scopes_only() {
    let Accounts { world, owner, .. } = accounts().await;
    let app = &world.app;
    let (key, secret) =
        account_key(app, &owner, "acme", &[Scope::Read, Scope::Enforce, Scope::Read]).await.unwrap();
    assert_eq!(
        (key.account.clone(), key.scopes.clone()),
        (Some(k("acme")), vec![Scope::Enforce, Scope::Read])
    );
    assert!(secret.expose().starts_with("tg_"));
    let caller = caller_of(app, &secret).await.unwrap();
    assert_eq!(
        caller,
        Caller::AccountKey { id: key.id, account: k("acme"), scopes: vec![Scope::Enforce, Scope::Read] }
    );
    assert_eq!(app.authorize(&caller, &k("acme"), Right::Enforce).await, Ok(()));
    assert_eq!(app.authorize(&caller, &k("acme"), Right::Read).await, Ok(()));
    assert_eq!(app.authorize(&caller, &k("acme"), Right::Manage).await, Err(AppError::Forbidden));
    assert_eq!(app.authorize(&caller, &k("globex"), Right::Read).await, Err(AppError::AccountNotFound));
}

#[tokio::test]
async fn those_who_manage_the_account_create_its_keys_and_no_one_else() {
    let Accounts { world, owner, admin, member } = accounts().await;
    let app = &world.app;
    let all = [Scope::Enforce, Scope::Read, Scope::Manage];
    account_key(app, &admin, "acme", &all).await.expect("an account admin");
    let (_, manage) = account_key(app, &owner, "acme", &[Scope::Manage]).await.unwrap();
    let manage = caller_of(app, &manage).await.unwrap();
    for scopes in [[Scope::Read], [Scope::Enforce], [Scope::Manage]] {
        account_key(app, &manage, "acme", &scopes).await.expect("a manage key gives any scope");
    }
    let (_, service) = create(app, "svc", Role::Service).await.unwrap();
    account_key(app, &caller_of(app, &service).await.unwrap(), "acme", &[Scope::Read])
        .await
        .expect("service");

    assert_eq!(account_key(app, &member, "acme", &[Scope::Read]).await.unwrap_err(), AppError::Forbidden);
    for scopes in [[Scope::Read], [Scope::Enforce]] {
        let (_, secret) = account_key(app, &owner, "acme", &scopes).await.unwrap();
        let narrow = caller_of(app, &secret).await.unwrap();
        let refused = account_key(app, &narrow, "acme", &[Scope::Read]).await.unwrap_err();
        assert_eq!(refused, AppError::Forbidden, "{scopes:?} cannot make keys");
    }
    let (_, enforce) = create(app, "enforcer", Role::Enforce).await.unwrap();
    let enforce = caller_of(app, &enforce).await.unwrap();
    assert_eq!(account_key(app, &enforce, "acme", &[Scope::Enforce]).await.unwrap_err(), AppError::Forbidden);
    // Outsiders learn nothing about the account.
    assert_eq!(
        account_key(app, &owner, "globex", &[Scope::Read]).await.unwrap_err(),
        AppError::AccountNotFound
    );
    assert_eq!(
        account_key(app, &manage, "globex", &[Scope::Read]).await.unwrap_err(),
        AppError::AccountNotFound
    );
}

#[tokio::test]
async fn a_key_needs_a_scope_a_name_and_a_future_expiry_and_an_existing_account() {
    let Accounts { world, owner, .. } = accounts().await;
    let app = &world.app;
    let refused = account_key(app, &owner, "acme", &[]).await.unwrap_err();
    assert!(matches!(refused, AppError::Invalid(ref invalid) if invalid.field == "scopes"), "{refused:?}");
    let past = NewApiKey { name: "old".into(), expires_at: Some(app.now()) };
    let refused = app.create_account_api_key(&owner, &k("acme"), past, vec![Scope::Read], &origin()).await;
    assert!(
        matches!(refused, Err(AppError::Invalid(ref invalid)) if invalid.field == "expires_at"),
        "{refused:?}"
    );
    let unnamed = NewApiKey { name: " ".into(), expires_at: None };
    let refused = app.create_account_api_key(&owner, &k("acme"), unnamed, vec![Scope::Read], &origin()).await;
    assert!(matches!(refused, Err(AppError::Invalid(ref invalid)) if invalid.field == "name"), "{refused:?}");
    let refused = account_key(app, &operator(), "nowhere", &[Scope::Read]).await.unwrap_err();
    assert_eq!(refused, AppError::AccountNotFound);
    assert!(
        app.list_account_api_keys(&owner, &k("acme"), None, 10).await.unwrap().is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn an_account_lists_its_own_keys_and_the_platform_list_none_of_them() {
    let Accounts { world, owner, member, .. } = accounts().await;
    let app = &world.app;
    let (acme, _) = account_key(app, &owner, "acme", &[Scope::Read]).await.unwrap();
    let (globex, _) = account_key(app, &operator(), "globex", &[Scope::Read]).await.unwrap();
    let (platform, _) = create(app, "svc", Role::Service).await.unwrap();
    let ids = |keys: Vec<ApiKey>| keys.into_iter().map(|key| key.id).collect::<Vec<ApiKeyId>>();
    assert_eq!(ids(app.list_account_api_keys(&owner, &k("acme"), None, 10).await.unwrap()), [acme.id]);
    assert_eq!(
        ids(app.list_account_api_keys(&operator(), &k("globex"), None, 10).await.unwrap()),
        [globex.id]
    );
    assert_eq!(ids(app.list_api_keys(None, 10).await.unwrap()), [platform.id]);
    assert_eq!(app.list_account_api_keys(&member, &k("acme"), None, 10).await, Err(AppError::Forbidden));
    assert_eq!(
        app.list_account_api_keys(&owner, &k("globex"), None, 10).await,
        Err(AppError::AccountNotFound)
    );
}

#[tokio::test]
async fn a_key_is_revoked_only_through_its_own_account() {
    let Accounts { world, owner, .. } = accounts().await;
    let app = &world.app;
    let (globex, globex_secret) = account_key(app, &operator(), "globex", &[Scope::Read]).await.unwrap();
    let (acme, acme_secret) = account_key(app, &owner, "acme", &[Scope::Read]).await.unwrap();
    let (_, manager) = account_key(app, &owner, "acme", &[Scope::Manage]).await.unwrap();
    let manager = caller_of(app, &manager).await.unwrap();
    let other = app.revoke_account_api_key(&manager, &k("acme"), &globex.id, &origin()).await;
    assert_eq!(other, Err(AppError::ApiKeyNotFound), "never confirmed");
    assert_eq!(app.revoke_api_key(&operator(), &acme.id, &origin()).await, Err(AppError::ApiKeyNotFound));
    assert!(caller_of(app, &globex_secret).await.is_some() && caller_of(app, &acme_secret).await.is_some());

    let revoked = app.revoke_account_api_key(&manager, &k("acme"), &acme.id, &origin()).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(caller_of(app, &acme_secret).await, None, "refused at once");
}

#[tokio::test]
async fn an_expired_key_is_refused_even_while_cached() {
    let Accounts { world, owner, .. } = accounts().await;
    let app = &world.app;
    let new = NewApiKey { name: "short-lived".into(), expires_at: Some(app.now() + Duration::minutes(10)) };
    let (key, secret) =
        app.create_account_api_key(&owner, &k("acme"), new, vec![Scope::Read], &origin()).await.unwrap();
    assert_eq!(key.expires_at, Some(app.now() + Duration::minutes(10)));
    assert!(caller_of(app, &secret).await.is_some(), "verified and cached");
    world.clock.advance(Duration::minutes(10));
    assert_eq!(caller_of(app, &secret).await, None);
}

#[tokio::test]
async fn creations_and_revocations_are_audited_with_their_actor_and_origin_never_the_secret() {
    let Accounts { world, owner, .. } = accounts().await;
    let app = &world.app;
    let (key, secret) = account_key(app, &owner, "acme", &[Scope::Read]).await.unwrap();
    app.revoke_account_api_key(&owner, &k("acme"), &key.id, &origin()).await.unwrap();
    world.clock.advance(Duration::seconds(1));
    app.revoke_account_api_key(&owner, &k("acme"), &key.id, &origin()).await.unwrap();
    let filter = AuditFilter { target: Some(key.id.to_string()), ..AuditFilter::default() };
    let events = app.identity_ports().store.audit(&filter, None, 10).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["api_key.revoked", "api_key.created"], "newest first, a repeat is no event");
    let (_, owner_id) = owner.actor_id();
    for event in &events {
        assert_eq!((event.actor.kind.as_str(), event.actor.id.as_str()), ("user", owner_id));
        assert_eq!((event.target.kind.as_str(), event.target.id.as_str()), ("api_key", key.id.as_str()));
        assert_eq!((event.ip.as_deref(), event.request_id.as_deref()), (Some("192.0.2.7"), Some("req-1")));
        assert!(!format!("{event:?}").contains(secret.expose()));
    }
}
