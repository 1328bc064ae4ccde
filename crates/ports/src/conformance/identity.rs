//! The contract of [`IdentityStore`](crate::IdentityStore) and
//! [`LoginAttempts`](crate::LoginAttempts): all-or-nothing changes, live-only e-mail uniqueness,
//! compare-and-set users, the last-owner rule, single-use tokens, sessions and refresh rotation,
//! the audit log and the login throttle's counts. Tokens and sessions are in
//! `identity_sessions.rs`, the races in `identity_races.rs`.

use time::Duration;
use tollgate_domain::{
    Actor, AuditEvent, AuditTarget, MemberRole, Membership, Name, OneTimeToken, Session, SessionId,
    TokenPurpose, TotpState, User, UserId,
};

use super::*;
use crate::{AuditFilter, Change, Failures};

pub(super) fn user_id(id: &str) -> UserId {
    UserId::parse(format!("usr_{id}")).expect("valid user id")
}

pub(super) fn session_id(id: &str) -> SessionId {
    SessionId::parse(format!("ses_{id}")).expect("valid session id")
}

pub(super) fn email(address: &str) -> Email {
    Email::parse(address).expect("valid email")
}

pub(super) fn user(id: &str, address: &str) -> User {
    User {
        id: user_id(id),
        email: email(address),
        name: Name::parse(format!("User {}", id.to_uppercase())).expect("valid name"),
        password_hash: format!("$fake${id}"),
        email_verified: false,
        totp: None,
        platform_admin: false,
        version: 0,
        created_at: T0,
        deleted_at: None,
    }
}

pub(super) fn member(account: &AccountKey, user: &str, role: MemberRole) -> Change {
    Change::AddMember(Membership { account: account.clone(), user: user_id(user), role, created_at: T0 })
}

pub(super) fn event(id: &str, at: OffsetDateTime, action: &str, actor: &str, target: &str) -> AuditEvent {
    AuditEvent {
        id: format!("aud_{id}"),
        at,
        action: action.into(),
        actor: Actor { kind: "user".into(), id: actor.into() },
        impersonator: None,
        target: AuditTarget { kind: "account".into(), id: target.into() },
        ip: Some("203.0.113.7".into()),
        request_id: Some(format!("req_{id}")),
    }
}

pub(super) fn session(id: &str, user: &str, created_at: OffsetDateTime) -> Session {
    Session {
        id: session_id(id),
        user: user_id(user),
        impersonator: None,
        created_at,
        refreshed_at: created_at,
        expires_at: created_at + Duration::days(30),
        revoked_at: None,
        ip: Some("198.51.100.1".into()),
    }
}

pub(super) fn token(fingerprint: &str, purpose: TokenPurpose, account: Option<&AccountKey>) -> OneTimeToken {
    OneTimeToken {
        fingerprint: fingerprint.into(),
        purpose,
        email: email("guest@acme.test"),
        user: None,
        account: account.cloned(),
        role: account.map(|_| MemberRole::Admin),
        created_at: T0,
        expires_at: T0 + Duration::hours(1),
        used_at: None,
    }
}

fn new_account(k: &str) -> Change {
    let account = Account { key: key(k), name: k.to_uppercase(), email: None, created_at: T0 };
    Change::CreateAccount(account, None)
}

/// A registration's changes (account, user, owner membership, audit event) are all written.
pub async fn a_registration_writes_account_user_owner_and_audit_together(b: Backend) {
    let plan = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    let account = Account {
        key: key("acme"),
        name: "Acme".into(),
        email: Some(email("ann@acme.test")),
        created_at: T0,
    };
    let subscription = Subscription::start(&plan, 1, T0).expect("start");
    let ann = user("ann", "ann@acme.test");
    let registered = event("1", T0, "user.registered", "usr_ann", "acme");
    b.identity
        .apply(&[
            Change::CreateAccount(account.clone(), Some(subscription.clone())),
            Change::CreateUser(ann.clone()),
            member(&account.key, "ann", MemberRole::Owner),
            Change::Audit(registered.clone()),
        ])
        .await
        .expect("register");
    let state = b.accounts.state(&account.key).await.expect("state").expect("the account exists");
    assert_eq!((state.account, state.subscription, state.version), (account.clone(), Some(subscription), 0));
    assert_eq!(b.identity.user(&ann.id).await.expect("user"), Some(ann.clone()));
    assert_eq!(b.identity.user_by_email(&ann.email).await.expect("by email"), Some(ann.clone()));
    assert_eq!(b.identity.role(&account.key, &ann.id).await.expect("role"), Some(MemberRole::Owner));
    let owner = Membership {
        account: account.key.clone(),
        user: ann.id.clone(),
        role: MemberRole::Owner,
        created_at: T0,
    };
    assert_eq!(b.identity.memberships(&ann.id).await.expect("memberships"), std::slice::from_ref(&owner));
    assert_eq!(b.identity.members(&account.key).await.expect("members"), [owner]);
    assert_eq!(b.identity.audit(&AuditFilter::default(), None, 10).await.expect("audit"), [registered]);
    let again = b.identity.apply(&[new_account("acme")]).await;
    assert_eq!(again, Err(StoreError::Conflict("account")), "an account key is taken once");
}

/// When a later change fails, the earlier ones of the same call are not written.
pub async fn a_failing_change_leaves_the_earlier_ones_unwritten(b: Backend) {
    b.identity.apply(&[Change::CreateUser(user("ann", "ann@acme.test"))]).await.expect("ann");
    let failed = b
        .identity
        .apply(&[
            new_account("acme"),
            Change::CreateUser(user("bob", "bob@acme.test")),
            Change::Audit(event("1", T0, "user.registered", "usr_bob", "acme")),
            Change::CreateUser(user("eve", "ann@acme.test")),
        ])
        .await;
    assert_eq!(failed, Err(StoreError::Conflict("email")));
    assert_eq!(b.identity.user(&user_id("bob")).await.expect("user"), None, "bob is not written");
    assert_eq!(b.accounts.state(&key("acme")).await.expect("state"), None, "nor is the account");
    assert!(b.identity.audit(&AuditFilter::default(), None, 10).await.expect("audit").is_empty());
    let same_id = b.identity.apply(&[Change::CreateUser(user("ann", "other@acme.test"))]).await;
    assert_eq!(same_id, Err(StoreError::Conflict("user")));
    let unknown = b.identity.apply(&[member(&key("nowhere"), "ann", MemberRole::Owner)]).await;
    assert_eq!(unknown, Err(StoreError::NotFound("account")), "a membership needs its account");
    let nobody =
        b.identity.apply(&[new_account("acme"), member(&key("acme"), "zed", MemberRole::Owner)]).await;
    assert_eq!(nobody, Err(StoreError::NotFound("user")), "and its user");
    let orphan = Change::CreateSession { session: session("s", "zed", T0), refresh: "r".into() };
    assert_eq!(b.identity.apply(&[orphan]).await, Err(StoreError::NotFound("user")), "so does a session");
    assert_eq!(b.accounts.state(&key("acme")).await.expect("state"), None);
}

/// A soft-deleted user's address can be taken again; a live user's cannot.
pub async fn an_email_is_unique_only_among_live_users(b: Backend) {
    let ann = user("ann", "ann@acme.test");
    b.identity.apply(&[Change::CreateUser(ann.clone())]).await.expect("ann");
    let taken = b.identity.apply(&[Change::CreateUser(user("ann2", "ann@acme.test"))]).await;
    assert_eq!(taken, Err(StoreError::Conflict("email")));
    let deleted = User { deleted_at: Some(T0 + Duration::days(1)), ..ann.clone() };
    b.identity.apply(&[Change::UpdateUser(deleted)]).await.expect("delete");
    assert_eq!(
        b.identity.user_by_email(&ann.email).await.expect("by email"),
        None,
        "deleted users are not found by email"
    );
    let again = user("ann2", "ann@acme.test");
    b.identity.apply(&[Change::CreateUser(again.clone())]).await.expect("the address is free again");
    assert_eq!(b.identity.user_by_email(&ann.email).await.expect("by email"), Some(again));
    let old = b.identity.user(&ann.id).await.expect("user").expect("deleted users stay");
    assert_eq!((old.deleted_at, old.version), (Some(T0 + Duration::days(1)), 1));
}

/// An update applies only from the stored version, moves it by one and keeps e-mails unique.
pub async fn a_user_update_is_a_compare_and_set(b: Backend) {
    let ann = user("ann", "ann@acme.test");
    b.identity
        .apply(&[Change::CreateUser(ann.clone()), Change::CreateUser(user("bob", "bob@acme.test"))])
        .await
        .expect("users");
    let totp = TotpState {
        secret: "JBSWY3DPEHPK3PXP".into(),
        confirmed: true,
        last_step: Some(u64::from(u32::MAX) + 7),
        recovery_codes: vec!["fp-1".into(), "fp-2".into()],
    };
    let changed = User {
        name: Name::parse("Ann Ü. Smith").expect("name"),
        email_verified: true,
        totp: Some(totp),
        platform_admin: true,
        password_hash: "$fake$new".into(),
        ..ann.clone()
    };
    b.identity.apply(&[Change::UpdateUser(changed.clone())]).await.expect("update");
    let stored = b.identity.user(&ann.id).await.expect("user").expect("ann");
    assert_eq!(stored, User { version: 1, ..changed.clone() });
    let stale =
        b.identity.apply(&[Change::UpdateUser(User { email_verified: false, ..changed.clone() })]).await;
    assert_eq!(stale, Err(StoreError::Stale), "version 0 is no longer stored");
    let taken = b
        .identity
        .apply(&[Change::UpdateUser(User { email: email("bob@acme.test"), ..stored.clone() })])
        .await;
    assert_eq!(taken, Err(StoreError::Conflict("email")));
    let missing = b.identity.apply(&[Change::UpdateUser(user("zed", "zed@acme.test"))]).await;
    assert_eq!(missing, Err(StoreError::NotFound("user")));
    assert_eq!(b.identity.user(&ann.id).await.expect("user"), Some(stored), "failed updates change nothing");
}

/// Roles change and members leave, but never so that an account has no owner left.
pub async fn the_last_owner_can_neither_leave_nor_be_demoted(b: Backend) {
    let acme = key("acme");
    b.identity
        .apply(&[
            new_account("acme"),
            Change::CreateUser(user("ann", "ann@acme.test")),
            Change::CreateUser(user("bob", "bob@acme.test")),
            member(&acme, "ann", MemberRole::Owner),
            member(&acme, "bob", MemberRole::Member),
        ])
        .await
        .expect("setup");
    let twice = b.identity.apply(&[member(&acme, "bob", MemberRole::Admin)]).await;
    assert_eq!(twice, Err(StoreError::Conflict("member")));
    let demote = |u: &str, role| Change::SetRole { account: acme.clone(), user: user_id(u), role };
    let remove = |u: &str| Change::RemoveMember { account: acme.clone(), user: user_id(u) };
    let last = Err(StoreError::Conflict("last_owner"));
    assert_eq!(b.identity.apply(&[demote("ann", MemberRole::Admin)]).await, last);
    assert_eq!(b.identity.apply(&[remove("ann")]).await, last);
    assert_eq!(b.identity.apply(&[remove("zed")]).await, Err(StoreError::NotFound("member")));
    assert_eq!(
        b.identity.apply(&[demote("zed", MemberRole::Owner)]).await,
        Err(StoreError::NotFound("member"))
    );
    // Promoting bob first makes ann's departure possible, in one call.
    b.identity.apply(&[demote("bob", MemberRole::Owner), remove("ann")]).await.expect("hand over");
    assert_eq!(b.identity.role(&acme, &user_id("ann")).await.expect("role"), None);
    assert_eq!(b.identity.role(&acme, &user_id("bob")).await.expect("role"), Some(MemberRole::Owner));
    assert!(b.identity.memberships(&user_id("ann")).await.expect("memberships").is_empty());
    assert_eq!(b.identity.apply(&[demote("bob", MemberRole::Member)]).await, last);
}

/// Audit events come newest first, filtered by actor, target, action and time, paged by id.
pub async fn the_audit_log_filters_and_pages_newest_first(b: Backend) {
    let events = [
        event("a", T0, "user.login", "usr_ann", "acme"),
        event("b", T0 + Duration::minutes(1), "api_key.created", "usr_ann", "acme"),
        event("c", T0 + Duration::minutes(2), "user.login", "usr_bob", "globex"),
        event("d", T0 + Duration::minutes(2), "user.login", "usr_ann", "globex"),
        AuditEvent {
            impersonator: Some("usr_root".into()),
            ip: None,
            request_id: None,
            ..event("e", T0 + Duration::minutes(3), "account.suspended", "usr_ann", "acme")
        },
    ];
    b.identity.apply(&events.iter().cloned().map(Change::Audit).collect::<Vec<_>>()).await.expect("audit");
    let ids = |found: Vec<AuditEvent>| found.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let all = AuditFilter::default();
    assert_eq!(
        b.identity.audit(&all, None, 10).await.expect("audit"),
        [events[4].clone(), events[3].clone(), events[2].clone(), events[1].clone(), events[0].clone()]
    );
    assert_eq!(ids(b.identity.audit(&all, None, 2).await.expect("audit")), ["aud_e", "aud_d"]);
    assert_eq!(
        ids(b.identity.audit(&all, Some("aud_d".into()), 2).await.expect("audit")),
        ["aud_c", "aud_b"]
    );
    assert_eq!(ids(b.identity.audit(&all, Some("aud_b".into()), 2).await.expect("audit")), ["aud_a"]);
    let actor = AuditFilter { actor: Some("usr_ann".into()), ..AuditFilter::default() };
    assert_eq!(
        ids(b.identity.audit(&actor, None, 10).await.expect("audit")),
        ["aud_e", "aud_d", "aud_b", "aud_a"]
    );
    let target = AuditFilter { target: Some("globex".into()), ..AuditFilter::default() };
    assert_eq!(ids(b.identity.audit(&target, None, 10).await.expect("audit")), ["aud_d", "aud_c"]);
    let logins = AuditFilter {
        action: Some("user.login".into()),
        since: Some(T0 + Duration::minutes(1)),
        ..AuditFilter::default()
    };
    assert_eq!(ids(b.identity.audit(&logins, None, 10).await.expect("audit")), ["aud_d", "aud_c"]);
    let both = AuditFilter {
        actor: Some("usr_ann".into()),
        target: Some("acme".into()),
        action: Some("user.login".into()),
        since: None,
    };
    assert_eq!(ids(b.identity.audit(&both, None, 10).await.expect("audit")), ["aud_a"]);
}

/// Users are searched by e-mail or name, case-insensitively, and paged in id order.
pub async fn users_are_searched_case_insensitively_and_paged_by_id(b: Backend) {
    let named = |id: &str, address: &str, name: &str| User {
        name: Name::parse(name).expect("name"),
        ..user(id, address)
    };
    b.identity
        .apply(&[
            Change::CreateUser(named("c", "carol@globex.test", "Carol Acmeson")),
            Change::CreateUser(named("a", "ann@acme.test", "Ann")),
            Change::CreateUser(named("b", "bob@initech.test", "Bob 100%")),
            Change::CreateUser(User { deleted_at: Some(T0), ..named("d", "dan@acme.test", "Dan") }),
        ])
        .await
        .expect("users");
    let ids = |found: Vec<User>| found.into_iter().map(|u| u.id.to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(b.identity.users(None, None, 10).await.expect("users")),
        ["usr_a", "usr_b", "usr_c", "usr_d"]
    );
    assert_eq!(ids(b.identity.users(None, Some(user_id("a")), 2).await.expect("users")), ["usr_b", "usr_c"]);
    assert_eq!(
        ids(b.identity.users(Some("ACME".into()), None, 10).await.expect("users")),
        ["usr_a", "usr_c", "usr_d"]
    );
    assert_eq!(
        ids(b.identity.users(Some("acme".into()), Some(user_id("a")), 1).await.expect("users")),
        ["usr_c"]
    );
    assert_eq!(ids(b.identity.users(Some("100%".into()), None, 10).await.expect("users")), ["usr_b"]);
    assert_eq!(
        ids(b.identity.users(Some("n%t".into()), None, 10).await.expect("users")),
        Vec::<String>::new(),
        "% is a character"
    );
    assert_eq!(
        ids(b.identity.users(Some("a_n".into()), None, 10).await.expect("users")),
        Vec::<String>::new(),
        "_ is a character"
    );
}

/// Failed logins are counted per e-mail and per address since an instant, cleared and purged.
pub async fn login_failures_are_counted_cleared_and_purged(b: Backend) {
    let attempts = &b.login_attempts;
    let at = |minutes| T0 + Duration::minutes(minutes);
    attempts.record_failure("ann@acme.test", "10.0.0.1", at(0)).await.expect("record");
    attempts.record_failure("ann@acme.test", "10.0.0.2", at(1)).await.expect("record");
    attempts.record_failure("bob@acme.test", "10.0.0.1", at(2)).await.expect("record");
    attempts.record_failure("ann@acme.test", "10.0.0.1", at(3)).await.expect("record");
    let seen = attempts.failures("ann@acme.test", "10.0.0.1", at(0)).await.expect("failures");
    assert_eq!(seen, Failures { email: 3, ip: 3, oldest_email: Some(at(0)), oldest_ip: Some(at(0)) });
    let window = attempts.failures("ann@acme.test", "10.0.0.1", at(1)).await.expect("failures");
    assert_eq!(window, Failures { email: 2, ip: 2, oldest_email: Some(at(1)), oldest_ip: Some(at(2)) });
    let none = attempts.failures("zed@acme.test", "10.9.9.9", at(0)).await.expect("failures");
    assert_eq!(none, Failures::default());
    attempts.clear("ann@acme.test").await.expect("clear");
    let cleared = attempts.failures("ann@acme.test", "10.0.0.1", at(0)).await.expect("failures");
    assert_eq!(cleared, Failures { email: 0, ip: 1, oldest_email: None, oldest_ip: Some(at(2)) });
    attempts.record_failure("ann@acme.test", "10.0.0.1", at(5)).await.expect("record");
    assert_eq!(attempts.purge(at(3)).await.expect("purge"), 1, "only bob's failure is older");
    assert_eq!(attempts.purge(at(3)).await.expect("purge"), 0);
    let left = attempts.failures("bob@acme.test", "10.0.0.1", at(0)).await.expect("failures");
    assert_eq!(left, Failures { email: 0, ip: 1, oldest_email: None, oldest_ip: Some(at(5)) });
}
