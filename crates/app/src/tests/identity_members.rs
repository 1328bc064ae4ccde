//! Members: existing users joining, invitations, roles and the last owner, seats.

use tollgate_domain::{
    AccountKey, Caller, DecisionCode, Interval, Limit, MemberRole, Money, PlanCode, PlanDraft, Reset, Rule,
    TokenPurpose,
};
use tollgate_ports::Secret;

use super::identity::{People, login, origin, people, people_with};
use super::{m, settings};
use crate::{AppError, Invite, Settings};

fn acme() -> AccountKey {
    AccountKey::parse("acme").unwrap()
}

fn invite(address: &str, role: MemberRole) -> Invite {
    Invite { email: address.to_owned(), role }
}

async fn signed_in(p: &People, address: &str) -> Caller {
    p.caller(&p.login(address).await).await.unwrap()
}

/// Ada owns `acme`; Bob has his own account and is not a member of hers.
async fn ada_and_bob(p: &People) -> (Caller, Caller) {
    p.register("ada@acme.test", "acme").await;
    p.register("bob@acme.test", "bobco").await;
    (signed_in(p, "ada@acme.test").await, signed_in(p, "bob@acme.test").await)
}

async fn role_of(p: &People, address: &str) -> Option<MemberRole> {
    let user = p.user(address).await;
    p.users.role(&acme(), &user.id).await.unwrap()
}

#[tokio::test]
async fn an_existing_user_joins_at_once_with_the_role_given() {
    let p = people().await;
    let (ada, bob) = ada_and_bob(&p).await;
    assert_eq!(p.app.members(&bob, &acme()).await.unwrap_err(), AppError::AccountNotFound, "not his");
    let view = p
        .app
        .add_member(&ada, &acme(), invite(" BOB@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!((view.status, view.role, view.user_id.is_some()), ("active", MemberRole::Member, true));
    let again = p
        .app
        .add_member(&ada, &acme(), invite("bob@acme.test", MemberRole::Admin), &origin("10.0.0.1"))
        .await;
    assert_eq!(again.unwrap_err(), AppError::MemberExists);

    // At once, on this instance: Bob reads the members but may not manage them.
    let members = p.app.members(&bob, &acme()).await.unwrap();
    let emails: Vec<&str> = members.iter().map(|v| v.email.as_str()).collect();
    assert_eq!(emails, ["ada@acme.test", "bob@acme.test"]);
    let refused = p
        .app
        .add_member(&bob, &acme(), invite("eve@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await;
    assert_eq!(refused.unwrap_err(), AppError::Forbidden);
    let (_, memberships) = p.app.me(&bob).await.unwrap();
    assert_eq!(memberships.len(), 2);
}

#[tokio::test]
async fn an_invited_person_accepts_with_a_name_and_password_and_becomes_a_member() {
    let p = people().await;
    let (ada, _) = ada_and_bob(&p).await;
    let view = p
        .app
        .add_member(&ada, &acme(), invite("carol@acme.test", MemberRole::Admin), &origin("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!((view.status, view.user_id), ("invited", None));
    let listed = p.app.members(&ada, &acme()).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.status).collect::<Vec<_>>(), ["active", "invited"]);
    let token = p.mailed("carol@acme.test", TokenPurpose::Invitation);
    let mail = p.mailer.last_to(&super::identity::email("carol@acme.test")).unwrap();
    assert_eq!(mail.account, Some(acme()));

    let short = p
        .app
        .accept_invitation(&token, Some("Carol"), Some(&Secret::new("short")), &origin("10.0.0.2"))
        .await;
    assert!(matches!(short, Err(AppError::Password(_))));
    let password = Secret::new("carol's own passphrase");
    let (user, membership) =
        p.app.accept_invitation(&token, Some("Carol"), Some(&password), &origin("10.0.0.2")).await.unwrap();
    assert_eq!((membership.account, membership.role, user.email_verified), (acme(), MemberRole::Admin, true));
    let again = p.app.accept_invitation(&token, Some("Carol"), Some(&password), &origin("10.0.0.2")).await;
    assert_eq!(again.err(), Some(AppError::InvalidToken));

    let listed = p.app.members(&ada, &acme()).await.unwrap();
    let rows: Vec<_> = listed.iter().map(|v| (v.email.as_str(), v.status, v.role)).collect();
    assert_eq!(
        rows,
        [("ada@acme.test", "active", MemberRole::Owner), ("carol@acme.test", "active", MemberRole::Admin)]
    );
    let carol =
        p.app.login(login("carol@acme.test", password.expose(), None), &origin("10.0.0.2")).await.unwrap();
    let carol = p.caller(&carol).await.unwrap();
    assert!(
        p.app
            .add_member(&carol, &acme(), invite("dan@acme.test", MemberRole::Member), &origin("10.0.0.2"))
            .await
            .is_ok()
    );
    let owner = p
        .app
        .add_member(&carol, &acme(), invite("erin@acme.test", MemberRole::Owner), &origin("10.0.0.2"))
        .await;
    assert_eq!(owner.unwrap_err(), AppError::Forbidden, "an admin does not make owners");
}

#[tokio::test]
async fn the_last_owner_can_neither_leave_nor_be_demoted() {
    let p = people().await;
    let (ada, _) = ada_and_bob(&p).await;
    let ada_id = p.user("ada@acme.test").await.id;
    let demote = p.app.set_member_role(&ada, &acme(), &ada_id, MemberRole::Admin, &origin("10.0.0.1")).await;
    assert_eq!(demote.unwrap_err(), AppError::LastOwner);
    assert_eq!(
        p.app.remove_member(&ada, &acme(), &ada_id, &origin("10.0.0.1")).await.unwrap_err(),
        AppError::LastOwner
    );
    assert_eq!(role_of(&p, "ada@acme.test").await, Some(MemberRole::Owner));

    p.app
        .add_member(&ada, &acme(), invite("bob@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await
        .unwrap();
    let bob_id = p.user("bob@acme.test").await.id;
    p.app.set_member_role(&ada, &acme(), &bob_id, MemberRole::Owner, &origin("10.0.0.1")).await.unwrap();
    p.app.remove_member(&ada, &acme(), &ada_id, &origin("10.0.0.1")).await.unwrap();
    assert_eq!(role_of(&p, "ada@acme.test").await, None, "with another owner, she may leave");
    assert_eq!(p.app.members(&ada, &acme()).await.unwrap_err(), AppError::AccountNotFound);
}

pub(super) fn seats_plan(code: &str, price: &str, seats: u64) -> PlanDraft {
    PlanDraft {
        code: PlanCode::parse(code).unwrap(),
        name: code.to_uppercase(),
        description: String::new(),
        price: Money::parse(price, "USD").unwrap(),
        interval: Interval::Month,
        trial_days: 0,
        per_seat: false,
        active: true,
        features: Default::default(),
        limits: [(
            m("seats"),
            Limit { max: Some(seats), reset: Reset::Never, enforcement: Default::default() },
        )]
        .into(),
        rate_limit: None,
        addons: Vec::new(),
    }
}

#[tokio::test]
async fn past_the_plan_seat_limit_adding_a_member_is_refused_with_the_upgrade() {
    let p =
        people_with(Settings { default_plan: Some(PlanCode::parse("crew").unwrap()), ..settings() }, None)
            .await;
    p.app.publish_plan(seats_plan("crew", "5", 2)).await.unwrap();
    p.app.publish_plan(seats_plan("crew-plus", "20", 10)).await.unwrap();
    let (ada, _) = ada_and_bob(&p).await;
    let seats = || async { p.app.usage(&acme()).await.unwrap().metrics[&m("seats")].current };
    assert_eq!(seats().await, 1, "the owner holds a seat");
    p.app
        .add_member(&ada, &acme(), invite("bob@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(seats().await, 2);

    let full = p
        .app
        .add_member(&ada, &acme(), invite("carol@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await;
    let Err(AppError::SeatLimitReached(decision)) = full else { panic!("{full:?}") };
    assert_eq!(
        (decision.allowed, decision.code, decision.used, decision.limit),
        (false, DecisionCode::LimitReached, Some(2), Some(2))
    );
    let upgrade = decision.upgrade.expect("an upgrade");
    assert_eq!((upgrade.plan.as_str(), upgrade.limit), ("crew-plus", Some(10)));
    assert!(p.mailer.last_to(&super::identity::email("carol@acme.test")).is_none(), "no invitation went out");
    assert_eq!(seats().await, 2);

    let bob_id = p.user("bob@acme.test").await.id;
    p.app.remove_member(&ada, &acme(), &bob_id, &origin("10.0.0.1")).await.unwrap();
    assert_eq!(seats().await, 1, "leaving frees the seat");
    p.app
        .add_member(&ada, &acme(), invite("carol@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(seats().await, 2, "a pending invitation holds a seat");
    let token = p.mailed("carol@acme.test", TokenPurpose::Invitation);
    p.app
        .accept_invitation(
            &token,
            Some("Carol"),
            Some(&Secret::new("carol's own passphrase")),
            &origin("10.0.0.2"),
        )
        .await
        .unwrap();
    assert_eq!(seats().await, 2, "accepting takes the invitation's seat, not another");
}

#[tokio::test]
async fn an_invited_address_that_has_a_user_joins_as_that_user_and_sets_no_name_nor_password() {
    let p = people().await;
    let (ada, _) = ada_and_bob(&p).await;
    p.app
        .add_member(&ada, &acme(), invite("carol@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await
        .unwrap();
    let token = p.mailed("carol@acme.test", TokenPurpose::Invitation);
    // Carol signs up on her own before accepting.
    p.register("carol@acme.test", "carol-co").await;
    let before = p.user("carol@acme.test").await;

    let takeover = Secret::new("a password chosen by whoever holds the token");
    for (name, password, field) in [
        (Some("Mallory"), Some(&takeover), "password"),
        (None, Some(&takeover), "password"),
        (Some("Mallory"), None, "name"),
    ] {
        let refused = p.app.accept_invitation(&token, name, password, &origin("10.0.0.2")).await;
        let Err(AppError::Invalid(invalid)) = refused else { panic!("{refused:?}") };
        assert_eq!((invalid.field, invalid.rule), (field, Rule::NotForExistingUser));
    }
    assert_eq!(p.user("carol@acme.test").await, before, "nothing of hers changed");
    assert_eq!(role_of(&p, "carol@acme.test").await, None, "and she did not join");

    let (user, membership) = p.app.accept_invitation(&token, None, None, &origin("10.0.0.2")).await.unwrap();
    assert_eq!((user.id, membership.role), (before.id.clone(), MemberRole::Member));
    assert_eq!(p.user("carol@acme.test").await.password_hash, before.password_hash);
    assert_eq!(role_of(&p, "carol@acme.test").await, Some(MemberRole::Member));
    p.login("carol@acme.test").await;
}

#[tokio::test]
async fn a_new_person_must_send_a_name_and_a_password_to_accept() {
    let p = people().await;
    let (ada, _) = ada_and_bob(&p).await;
    p.app
        .add_member(&ada, &acme(), invite("dan@acme.test", MemberRole::Member), &origin("10.0.0.1"))
        .await
        .unwrap();
    let token = p.mailed("dan@acme.test", TokenPurpose::Invitation);
    let password = Secret::new("dan's own passphrase");
    for (name, password, field) in [(Some("Dan"), None, "password"), (None, Some(&password), "name")] {
        let refused = p.app.accept_invitation(&token, name, password, &origin("10.0.0.2")).await;
        let Err(AppError::Invalid(invalid)) = refused else { panic!("{refused:?}") };
        assert_eq!((invalid.field, invalid.rule), (field, Rule::RequiredForNewUser));
    }
    let (user, _) =
        p.app.accept_invitation(&token, Some("Dan"), Some(&password), &origin("10.0.0.2")).await.unwrap();
    assert_eq!(user.name.as_str(), "Dan");
}
