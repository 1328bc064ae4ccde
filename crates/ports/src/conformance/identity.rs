//! The contract of [`IdentityStore`](crate::IdentityStore) and
//! [`LoginAttempts`](crate::LoginAttempts): all-or-nothing changes, live-only e-mail uniqueness,
//! compare-and-set users, the last-owner rule, single-use tokens, sessions and refresh rotation,
//! the audit log and the login throttle's counts. The races are in `identity_races.rs`.

use time::Duration;
use tollgate_domain::{
    Actor, AuditEvent, AuditTarget, MemberRole, Membership, Name, OneTimeToken, Session, SessionId,
    TokenPurpose, TotpState, User, UserId,
};

use super::*;
use crate::{AuditFilter, Change, Failures, Rotation};

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
    let plan = b.plans.publish(&draft("pro", 3), T0).await.expect("publish");
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
    assert_eq!(b.identity.memberships(&ann.id).await.expect("memberships"), [owner.clone()]);
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

/// A one-time token is spent once, for its purpose, before it expires.
pub async fn tokens_are_spent_once_and_expire(b: Backend) {
    let verify =
        OneTimeToken { user: Some(user_id("ann")), ..token("fp-v", TokenPurpose::EmailVerification, None) };
    b.identity.apply(&[Change::CreateToken(verify.clone())]).await.expect("token");
    let duplicate = b.identity.apply(&[Change::CreateToken(verify.clone())]).await;
    assert_eq!(duplicate, Err(StoreError::Conflict("token")));
    assert_eq!(b.identity.token("fp-v").await.expect("token"), Some(verify.clone()));
    let spend =
        |fingerprint: &str, purpose, at| Change::SpendToken { fingerprint: fingerprint.into(), purpose, at };
    let gone = Err(StoreError::NotFound("token"));
    assert_eq!(
        b.identity.apply(&[spend("fp-v", TokenPurpose::PasswordReset, T0)]).await,
        gone,
        "another purpose"
    );
    assert_eq!(b.identity.apply(&[spend("fp-none", TokenPurpose::EmailVerification, T0)]).await, gone);
    let at = T0 + Duration::minutes(5);
    b.identity.apply(&[spend("fp-v", TokenPurpose::EmailVerification, at)]).await.expect("spend");
    assert_eq!(b.identity.apply(&[spend("fp-v", TokenPurpose::EmailVerification, at)]).await, gone, "spent");
    let spent = b.identity.token("fp-v").await.expect("token").expect("kept");
    assert_eq!(spent.used_at, Some(at));
    b.identity
        .apply(&[Change::CreateToken(token("fp-r", TokenPurpose::PasswordReset, None))])
        .await
        .expect("reset");
    let late = T0 + Duration::hours(1);
    assert_eq!(b.identity.apply(&[spend("fp-r", TokenPurpose::PasswordReset, late)]).await, gone, "expired");
    assert_eq!(b.identity.token("fp-r").await.expect("token").expect("kept").used_at, None);
}

/// Invitations lists the account's usable invitation tokens, oldest first.
pub async fn invitations_list_the_usable_invitations_of_the_account(b: Backend) {
    let (acme, globex) = (key("acme"), key("globex"));
    let second = OneTimeToken {
        created_at: T0 + Duration::minutes(1),
        ..token("fp-2", TokenPurpose::Invitation, Some(&acme))
    };
    let first = token("fp-1", TokenPurpose::Invitation, Some(&acme));
    let expiring = OneTimeToken {
        created_at: T0 + Duration::minutes(2),
        expires_at: T0 + Duration::minutes(10),
        ..token("fp-3", TokenPurpose::Invitation, Some(&acme))
    };
    let spent = token("fp-4", TokenPurpose::Invitation, Some(&acme));
    let elsewhere = token("fp-5", TokenPurpose::Invitation, Some(&globex));
    let reset =
        OneTimeToken { account: Some(acme.clone()), ..token("fp-6", TokenPurpose::PasswordReset, None) };
    let mut changes: Vec<Change> = [&second, &first, &expiring, &spent, &elsewhere, &reset]
        .into_iter()
        .cloned()
        .map(Change::CreateToken)
        .collect();
    changes.push(Change::SpendToken {
        fingerprint: "fp-4".into(),
        purpose: TokenPurpose::Invitation,
        at: T0,
    });
    b.identity.apply(&changes).await.expect("tokens");
    let fingerprints =
        |tokens: Vec<OneTimeToken>| tokens.into_iter().map(|t| t.fingerprint).collect::<Vec<_>>();
    assert_eq!(
        fingerprints(b.identity.invitations(&acme, T0).await.expect("invitations")),
        ["fp-1", "fp-2", "fp-3"]
    );
    let later = T0 + Duration::minutes(10);
    assert_eq!(
        fingerprints(b.identity.invitations(&acme, later).await.expect("invitations")),
        ["fp-1", "fp-2"]
    );
    assert_eq!(b.identity.invitations(&globex, T0).await.expect("invitations"), [elsewhere]);
}

/// Sessions lists live sessions newest first; revoking one, or all, ends them.
pub async fn sessions_are_listed_live_newest_first_and_revoked(b: Backend) {
    b.identity
        .apply(&[
            Change::CreateUser(user("ann", "ann@acme.test")),
            Change::CreateUser(user("bob", "bob@acme.test")),
        ])
        .await
        .expect("users");
    let start =
        |s: &Session, refresh: &str| Change::CreateSession { session: s.clone(), refresh: refresh.into() };
    let old = session("old", "ann", T0);
    let new = Session {
        impersonator: Some(user_id("bob")),
        ip: None,
        ..session("new", "ann", T0 + Duration::hours(1))
    };
    let short = Session {
        expires_at: T0 + Duration::hours(2),
        ..session("short", "ann", T0 + Duration::minutes(30))
    };
    let bobs = session("bob", "bob", T0);
    b.identity
        .apply(&[start(&old, "r-old"), start(&new, "r-new"), start(&short, "r-short"), start(&bobs, "r-bob")])
        .await
        .expect("sessions");
    let again = b.identity.apply(&[start(&old, "r-other")]).await;
    assert_eq!(again, Err(StoreError::Conflict("session")));
    let now = T0 + Duration::hours(1);
    let listed = b.identity.sessions(&user_id("ann"), now).await.expect("sessions");
    assert_eq!(listed, [new.clone(), short.clone(), old.clone()]);
    let later = T0 + Duration::hours(3);
    assert_eq!(
        b.identity.sessions(&user_id("ann"), later).await.expect("sessions"),
        [new.clone(), old.clone()],
        "expired ones are not live"
    );
    let revoke = |id: &str, u: &str| Change::RevokeSession { id: session_id(id), user: user_id(u), at: now };
    assert_eq!(
        b.identity.apply(&[revoke("old", "bob")]).await,
        Err(StoreError::NotFound("session")),
        "not bob's"
    );
    assert_eq!(b.identity.apply(&[revoke("none", "ann")]).await, Err(StoreError::NotFound("session")));
    b.identity.apply(&[revoke("old", "ann")]).await.expect("revoke");
    b.identity.apply(&[revoke("old", "ann")]).await.expect("revoking again is a no-op");
    assert_eq!(
        b.identity.session(&old.id).await.expect("session"),
        Some(Session { revoked_at: Some(now), ..old })
    );
    assert_eq!(b.identity.sessions(&user_id("ann"), now).await.expect("sessions"), [new.clone(), short]);
    let soon = now + Duration::minutes(1);
    b.identity.apply(&[Change::RevokeSessions { user: user_id("ann"), at: soon }]).await.expect("revoke all");
    assert!(b.identity.sessions(&user_id("ann"), now).await.expect("sessions").is_empty());
    assert_eq!(b.identity.session(&new.id).await.expect("session").expect("kept").revoked_at, Some(soon));
    assert_eq!(
        b.identity.sessions(&user_id("bob"), now).await.expect("sessions"),
        [bobs],
        "other users keep theirs"
    );
    b.identity
        .apply(&[Change::RevokeSessions { user: user_id("ann"), at: later }])
        .await
        .expect("none is fine");
}

/// A refresh token rotates once; presenting it again is a reuse that revokes the session.
pub async fn a_spent_refresh_token_presented_again_revokes_the_session(b: Backend) {
    b.identity.apply(&[Change::CreateUser(user("ann", "ann@acme.test"))]).await.expect("user");
    let started = session("one", "ann", T0);
    b.identity
        .apply(&[Change::CreateSession { session: started.clone(), refresh: "r-1".into() }])
        .await
        .expect("session");
    let at = T0 + Duration::minutes(15);
    let rotated = b.identity.rotate("r-1", "r-2", at).await.expect("rotate");
    let refreshed = Session { refreshed_at: at, ..started.clone() };
    assert_eq!(rotated, Rotation::Rotated(refreshed.clone()));
    assert_eq!(b.identity.session(&started.id).await.expect("session"), Some(refreshed.clone()));
    let replay = T0 + Duration::minutes(20);
    let reused = b.identity.rotate("r-1", "r-3", replay).await.expect("reuse");
    let revoked = Session { revoked_at: Some(replay), ..refreshed };
    assert_eq!(reused, Rotation::Reused(revoked.clone()));
    assert_eq!(b.identity.session(&started.id).await.expect("session"), Some(revoked.clone()));
    assert_eq!(
        b.identity.rotate("r-2", "r-4", replay).await.expect("rotate"),
        Rotation::Invalid,
        "the session is over"
    );
    assert_eq!(
        b.identity.rotate("r-3", "r-5", replay).await.expect("rotate"),
        Rotation::Invalid,
        "r-3 was never issued"
    );
    let later = replay + Duration::minutes(1);
    let again = b.identity.rotate("r-1", "r-6", later).await.expect("reuse");
    assert_eq!(again, Rotation::Reused(revoked), "still a replay; the first revocation stands");
}

/// Rotation of an unknown token, or of one whose session is revoked or expired, is invalid and
/// changes nothing.
pub async fn rotation_after_revocation_or_expiry_is_invalid(b: Backend) {
    b.identity.apply(&[Change::CreateUser(user("ann", "ann@acme.test"))]).await.expect("user");
    let revoked = session("revoked", "ann", T0);
    let expiring = session("expiring", "ann", T0);
    b.identity
        .apply(&[
            Change::CreateSession { session: revoked.clone(), refresh: "r-revoked".into() },
            Change::CreateSession { session: expiring.clone(), refresh: "r-expiring".into() },
            Change::RevokeSession { id: revoked.id.clone(), user: user_id("ann"), at: T0 },
        ])
        .await
        .expect("sessions");
    assert_eq!(b.identity.rotate("r-unknown", "r-x", T0).await.expect("rotate"), Rotation::Invalid);
    assert_eq!(b.identity.rotate("r-revoked", "r-x", T0).await.expect("rotate"), Rotation::Invalid);
    let after = expiring.expires_at;
    assert_eq!(b.identity.rotate("r-expiring", "r-x", after).await.expect("rotate"), Rotation::Invalid);
    assert_eq!(b.identity.session(&expiring.id).await.expect("session"), Some(expiring.clone()), "unchanged");
    let before = after - Duration::seconds(1);
    assert!(
        matches!(b.identity.rotate("r-expiring", "r-x", before).await.expect("rotate"), Rotation::Rotated(_)),
        "the token was never spent"
    );
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
