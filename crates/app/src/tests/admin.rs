//! The back office's use cases on memory adapters: who may use them, what they audit,
//! impersonation, soft deletion, the figures and the limit audit.

use tollgate_domain::{ApiKeyId, Caller, PlanCode, Role, Status, UserId};
use tollgate_ports::{AccountFilter, AuditFilter, Secret};

use time::Duration;

use super::identity::people_with;
use super::{draft, k, m, new_account, operator, q, settings, world};
use crate::{AppError, ChangePlan, IdentitySettings, Login, NewOperator, Origin, Settings, Tollgate};

fn service_key() -> Caller {
    Caller::PlatformKey { id: ApiKeyId::parse("key_service").unwrap(), role: Role::Service }
}

fn origin() -> Origin {
    Origin { ip: Some("203.0.113.9".into()), request_id: Some("req_1".into()) }
}

fn person(email: &str, platform_admin: bool) -> NewOperator {
    NewOperator {
        email: email.into(),
        name: "Ann Admin".into(),
        password: Secret::new("correct horse battery"),
        platform_admin,
    }
}

/// Signs `email` in and returns the caller its access token stands for.
async fn sign_in(app: &Tollgate, email: &str) -> Result<Caller, AppError> {
    let login = Login { email: email.into(), password: Secret::new("correct horse battery"), totp: None };
    let tokens = app.login(login, &origin()).await?;
    app.authenticate_token(tokens.access_token.expose()).await
}

async fn actions(app: &Tollgate, filter: AuditFilter) -> Vec<(String, String, Option<String>)> {
    let events = app.audit_log(&operator(), &filter, None, 100).await.unwrap();
    events.into_iter().map(|e| (e.action, e.actor.id, e.impersonator)).collect()
}

#[tokio::test]
async fn the_back_office_refuses_callers_that_are_not_platform_admins() {
    let w = world().await;
    let app = &w.app;
    app.create_operator(person("member@acme.test", false)).await.unwrap();
    let member = sign_in(app, "member@acme.test").await.unwrap();
    for caller in [service_key(), member] {
        let forbidden = Err::<(), _>(AppError::Forbidden);
        assert_eq!(
            app.search_accounts(&caller, &AccountFilter::default(), None, 10).await.map(|_| ()),
            forbidden
        );
        assert_eq!(app.search_users(&caller, None, None, 10).await.map(|_| ()), forbidden);
        assert_eq!(app.stats(&caller).await.map(|_| ()), forbidden);
        assert_eq!(app.audit_log(&caller, &AuditFilter::default(), None, 10).await.map(|_| ()), forbidden);
        assert_eq!(app.accounts_over_limits(&caller, None, 10).await.map(|_| ()), forbidden);
        let user = UserId::parse("usr_1").unwrap();
        assert_eq!(app.delete_user(&caller, &origin(), &user).await, forbidden);
        assert_eq!(app.revoke_user_sessions(&caller, &origin(), &user).await, forbidden);
        let code = PlanCode::parse("free").unwrap();
        assert_eq!(app.archive_plan(&caller, &origin(), &code).await.map(|_| ()), forbidden);
    }
}

#[tokio::test]
async fn operator_actions_on_accounts_are_audited_under_their_caller_with_the_change() {
    let w = world().await;
    let app = &w.app;
    app.provision(new_account("acme", Some("team"))).await.unwrap();
    app.suspend(&operator(), &origin(), &k("acme")).await.unwrap();
    app.activate(&operator(), &origin(), &k("acme")).await.unwrap();
    app.mark_past_due(&operator(), &origin(), &k("acme")).await.unwrap();
    let pro =
        ChangePlan { plan: Some(PlanCode::parse("pro").unwrap()), seats: None, ..ChangePlan::default() };
    app.change_plan(&service_key(), &origin(), &k("acme"), pro).await.unwrap();
    let refused = app.mark_past_due(&operator(), &origin(), &k("acme")).await;
    assert!(matches!(refused, Err(AppError::Subscription(_))), "{refused:?}");

    let acme = AuditFilter { target: Some("acme".into()), ..AuditFilter::default() };
    let events = app.audit_log(&operator(), &acme, None, 100).await.unwrap();
    let logged: Vec<_> = events.iter().map(|e| (e.action.as_str(), e.actor.id.as_str())).collect();
    assert_eq!(
        logged,
        [
            ("subscription.changed", "key_service"),
            ("account.past_due", "key_operator"),
            ("account.activated", "key_operator"),
            ("account.suspended", "key_operator"),
        ],
        "newest first, and nothing for the refused transition"
    );
    assert_eq!(events[0].actor.kind, "api_key");
    assert_eq!(
        (events[0].ip.as_deref(), events[0].request_id.as_deref()),
        (Some("203.0.113.9"), Some("req_1"))
    );
}

#[tokio::test]
async fn an_operator_from_the_command_line_signs_in_and_is_audited_as_the_system() {
    let w = world().await;
    let app = &w.app;
    let short = NewOperator { password: Secret::new("too short"), ..person("root@ops.test", true) };
    assert!(matches!(app.create_operator(short).await, Err(AppError::Password(_))));
    let root = app.create_operator(person(" Root@Ops.test", true)).await.unwrap();
    assert_eq!(root.email.as_str(), "root@ops.test");
    assert!(root.platform_admin && root.email_verified);
    assert!(matches!(app.create_operator(person("root@ops.test", false)).await, Err(AppError::EmailTaken)));
    let caller = sign_in(app, "root@ops.test").await.unwrap();
    assert!(caller.is_platform_admin());
    let created = AuditFilter { action: Some("user.created".into()), ..AuditFilter::default() };
    let events = app.audit_log(&caller, &created, None, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].actor.kind.as_str(), events[0].target.id.as_str()), ("system", root.id.as_str()));
}

#[tokio::test]
async fn an_impersonation_token_acts_as_the_user_and_its_actions_are_audited_under_both() {
    let w = world().await;
    let app = &w.app;
    let admin = app.create_operator(person("root@ops.test", true)).await.unwrap();
    let ann = app.create_operator(person("ann@acme.test", false)).await.unwrap();
    let root = sign_in(app, "root@ops.test").await.unwrap();
    assert_eq!(
        app.impersonate(&operator(), &origin(), &ann.id).await.err(),
        Some(AppError::Forbidden),
        "a key"
    );
    assert_eq!(
        app.impersonate(&root, &origin(), &admin.id).await.err(),
        Some(AppError::Forbidden),
        "oneself"
    );
    let ghost = UserId::parse("usr_ghost").unwrap();
    assert_eq!(app.impersonate(&root, &origin(), &ghost).await.err(), Some(AppError::NotFound("user")));

    let granted = app.impersonate(&root, &origin(), &ann.id).await.unwrap();
    assert_eq!((&granted.user, &granted.impersonator), (&ann.id, &admin.id));
    let acting = app.authenticate_token(granted.access_token.expose()).await.unwrap();
    let Caller::User { user, impersonator, platform_admin, .. } = &acting else { panic!("{acting:?}") };
    assert_eq!((user, impersonator.as_ref(), *platform_admin), (&ann.id, Some(&admin.id), false));
    assert_eq!(app.impersonate(&acting, &origin(), &ann.id).await.err(), Some(AppError::Forbidden));
    w.clock.advance(time::Duration::seconds(1));
    app.logout(&acting, &origin()).await.unwrap();
    assert_eq!(
        app.authenticate_token(granted.access_token.expose()).await.err(),
        Some(AppError::Unauthenticated)
    );

    let by_ann = AuditFilter { actor: Some(ann.id.to_string()), ..AuditFilter::default() };
    let admin_id = Some(admin.id.to_string());
    assert_eq!(
        actions(app, by_ann).await,
        [
            ("user.logout".to_owned(), ann.id.to_string(), admin_id.clone()),
            ("user.impersonated".to_owned(), ann.id.to_string(), admin_id),
        ]
    );
}

#[tokio::test]
async fn a_deleted_user_cannot_sign_in_and_their_email_can_be_used_again() {
    let w = world().await;
    let app = &w.app;
    let ann = app.create_operator(person("ann@acme.test", false)).await.unwrap();
    let before = sign_in(app, "ann@acme.test").await.unwrap();
    let Caller::User { session, .. } = &before else { panic!("{before:?}") };
    app.delete_user(&operator(), &origin(), &ann.id).await.unwrap();
    app.delete_user(&operator(), &origin(), &ann.id).await.unwrap();
    assert_eq!(sign_in(app, "ann@acme.test").await.err(), Some(AppError::InvalidCredentials));
    assert!(app.my_sessions(&before).await.unwrap().iter().all(|s| &s.id != session));
    let again = app.create_operator(person("ann@acme.test", false)).await.unwrap();
    assert_ne!(again.id, ann.id);
    let kept = app.search_users(&operator(), Some("ANN@".into()), None, 10).await.unwrap();
    let states: Vec<_> = kept.iter().map(|u| (u.id.clone(), u.active())).collect();
    assert_eq!(states, [(ann.id.clone(), false), (again.id.clone(), true)], "the history stays");
    let deleted = AuditFilter { action: Some("user.deleted".into()), ..AuditFilter::default() };
    assert_eq!(actions(app, deleted).await.len(), 1, "deleting twice is one deletion");
    let ghost = UserId::parse("usr_ghost").unwrap();
    assert_eq!(app.delete_user(&operator(), &origin(), &ghost).await, Err(AppError::NotFound("user")));
}

#[tokio::test]
async fn revoking_a_users_sessions_refuses_their_tokens_at_once() {
    let w = world().await;
    let app = &w.app;
    let ann = app.create_operator(person("ann@acme.test", false)).await.unwrap();
    let login =
        Login { email: "ann@acme.test".into(), password: Secret::new("correct horse battery"), totp: None };
    let tokens = app.login(login, &origin()).await.unwrap();
    app.authenticate_token(tokens.access_token.expose()).await.unwrap();
    app.revoke_user_sessions(&operator(), &origin(), &ann.id).await.unwrap();
    assert_eq!(
        app.authenticate_token(tokens.access_token.expose()).await.err(),
        Some(AppError::Unauthenticated)
    );
    let revoked = AuditFilter { action: Some("user.sessions_revoked".into()), ..AuditFilter::default() };
    assert_eq!(
        actions(app, revoked).await,
        [("user.sessions_revoked".to_owned(), "key_operator".to_owned(), None)]
    );
}

#[tokio::test]
async fn the_figures_count_accounts_and_sum_the_monthly_revenue_of_paying_subscriptions() {
    let w = world().await;
    let app = &w.app;
    app.provision(new_account("acme", Some("pro"))).await.unwrap(); // trialing: no revenue
    app.provision(new_account("globex", Some("pro"))).await.unwrap();
    app.activate(&operator(), &origin(), &k("globex")).await.unwrap(); // 45
    let mut team = new_account("initech", Some("team"));
    team.seats = Some(3);
    app.provision(team).await.unwrap(); // 10 per seat: 30
    app.provision(new_account("hooli", Some("team"))).await.unwrap();
    app.mark_past_due(&operator(), &origin(), &k("hooli")).await.unwrap(); // past due still counts: 10
    app.provision(new_account("umbrella", Some("team"))).await.unwrap();
    app.suspend(&operator(), &origin(), &k("umbrella")).await.unwrap(); // suspended: none
    app.consume(&k("initech"), &m("sites"), q(4), None).await.unwrap();

    let stats = app.stats(&operator()).await.unwrap();
    assert_eq!(stats.accounts, 5);
    let by_plan: Vec<_> = stats.by_plan.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    assert_eq!(by_plan, [("pro", 2), ("team", 3)]);
    let by_status: Vec<_> = stats.by_status.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(by_status, [("active", 2), ("past_due", 1), ("suspended", 1), ("trialing", 1)]);
    let revenue: Vec<_> = stats
        .monthly_recurring_revenue
        .iter()
        .map(|m| (m.amount_string(), m.currency().to_string()))
        .collect();
    assert_eq!(revenue, [("85.00".to_owned(), "USD".to_owned())]);
    assert_eq!(stats.usage.get(&m("sites")), Some(&4));
    assert_eq!(Status::parse("active").unwrap().as_str(), "active");
}

#[tokio::test]
async fn accounts_left_over_their_limits_by_a_downgrade_are_listed_page_by_page() {
    let w = world().await;
    let app = &w.app;
    for key in ["acme", "globex", "initech"] {
        app.provision(new_account(key, Some("team"))).await.unwrap();
    }
    app.consume(&k("acme"), &m("sites"), q(5), None).await.unwrap();
    app.consume(&k("globex"), &m("sites"), q(1), None).await.unwrap();
    app.consume(&k("initech"), &m("sites"), q(2), None).await.unwrap();
    app.consume(&k("initech"), &m("tickets"), q(9), None).await.unwrap();
    for key in ["acme", "globex", "initech"] {
        let free = ChangePlan {
            plan: Some(PlanCode::parse("free").unwrap()),
            at: Some(tollgate_domain::ChangeTiming::Now),
            ..ChangePlan::default()
        };
        app.change_plan(&operator(), &origin(), &k(key), free).await.unwrap();
    }
    let over = app.accounts_over_limits(&operator(), None, 10).await.unwrap();
    let found: Vec<_> = over
        .iter()
        .map(|o| {
            (o.account.as_str(), o.metrics.values().map(|l| (l.metric.as_str(), l.current, l.max)).collect())
        })
        .collect::<Vec<(&str, Vec<_>)>>();
    assert_eq!(
        found,
        [
            ("acme", vec![("sites", 5, Some(1))]),
            ("initech", vec![("sites", 2, Some(1)), ("tickets", 9, Some(3))]),
        ],
        "globex is at its limit, not over"
    );
    let first = app.accounts_over_limits(&operator(), None, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    let next = app.accounts_over_limits(&operator(), Some(first[0].account.clone()), 1).await.unwrap();
    assert_eq!(next[0].account.as_str(), "initech");
    assert!(app.accounts_over_limits(&operator(), Some(k("initech")), 1).await.unwrap().is_empty());
}

#[tokio::test]
async fn plans_are_created_republished_and_archived_under_audit() {
    let w = world().await;
    let app = &w.app;
    let code = PlanCode::parse("scale").unwrap();
    let terms = draft("scale", "99", 0, Some(10), None);
    let (plan, created) = app.put_plan(&operator(), &origin(), &code, terms.clone()).await.unwrap();
    assert!(created && plan.version() == 1);
    let (same, created) = app.put_plan(&operator(), &origin(), &code, terms.clone()).await.unwrap();
    assert!(!created && same.version() == 1, "identical terms keep their version");
    let other = draft("other", "99", 0, Some(10), None);
    let refused = app.put_plan(&operator(), &origin(), &code, other).await;
    assert!(matches!(refused, Err(AppError::Invalid(ref e)) if e.field == "code"), "{refused:?}");
    let archived = app.archive_plan(&operator(), &origin(), &code).await.unwrap();
    assert!(!archived.active() && archived.version() == 2);
    assert!(app.plans(false).await.unwrap().iter().all(|p| p.code() != &code));
    let ghost = PlanCode::parse("ghost").unwrap();
    assert!(matches!(app.archive_plan(&operator(), &origin(), &ghost).await, Err(AppError::PlanNotFound(_))));
    let on_scale = AuditFilter { target: Some("scale".into()), ..AuditFilter::default() };
    let logged: Vec<_> = actions(app, on_scale).await.into_iter().map(|(a, ..)| a).collect();
    assert_eq!(
        logged,
        ["plan.archived", "plan.published"],
        "identical terms publish nothing, and log nothing"
    );
}

#[tokio::test]
async fn accounts_are_searched_by_text_status_and_plan_with_their_subscription() {
    let w = world().await;
    let app = &w.app;
    app.provision(new_account("acme", Some("team"))).await.unwrap();
    app.provision(new_account("globex", Some("pro"))).await.unwrap();
    app.suspend(&operator(), &origin(), &k("acme")).await.unwrap();
    let suspended = AccountFilter { status: Some(Status::Suspended), ..AccountFilter::default() };
    let found = app.search_accounts(&operator(), &suspended, None, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subscription.as_ref().map(|s| s.status), Some(Status::Suspended));
    let text = AccountFilter { query: Some("GLOB".into()), ..AccountFilter::default() };
    assert_eq!(app.search_accounts(&operator(), &text, None, 10).await.unwrap()[0].key.as_str(), "globex");
    assert_eq!(
        app.search_accounts(&operator(), &AccountFilter::default(), None, 0).await.err(),
        Some(AppError::LimitOutOfRange)
    );
}

#[tokio::test]
async fn an_impersonation_lasts_its_own_short_lifetime_not_a_sessions() {
    // (impersonation minutes, the access token's lifetime in seconds): at most 15 minutes.
    for (minutes, token_seconds) in [(60, 15 * 60), (5, 5 * 60)] {
        let impersonation_ttl = Duration::minutes(minutes);
        let identity = IdentitySettings { impersonation_ttl, ..IdentitySettings::default() };
        let p = people_with(Settings { identity, ..settings() }, None).await;
        let app = &p.app;
        app.create_operator(person("root@ops.test", true)).await.unwrap();
        let ann = app.create_operator(person("ann@acme.test", false)).await.unwrap();
        let root = sign_in(app, "root@ops.test").await.unwrap();
        let Caller::User { session: own, .. } = &root else { panic!("{root:?}") };
        let signed_in = p.users.session(own).await.unwrap().unwrap();
        assert_eq!(signed_in.expires_at, app.now() + Duration::days(30), "a sign-in lasts a session");

        let granted = app.impersonate(&root, &origin(), &ann.id).await.unwrap();
        assert_eq!(granted.expires_in, token_seconds);
        let session = p.users.session(&granted.session_id).await.unwrap().unwrap();
        assert_eq!(session.expires_at, app.now() + impersonation_ttl, "an impersonation does not");
        p.clock.advance(Duration::seconds(token_seconds as i64 - 1));
        assert!(app.authenticate_token(granted.access_token.expose()).await.is_ok());
        p.clock.advance(Duration::seconds(1));
        let ended = app.authenticate_token(granted.access_token.expose()).await;
        assert_eq!(ended.err(), Some(AppError::Unauthenticated), "{minutes} minutes");
    }
}
