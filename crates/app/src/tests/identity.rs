//! People: registration, login and its throttle, password upgrades, sessions and their tokens,
//! and the e-mailed flows (verification, password reset). Two-factor and members have their own
//! files; the fixture here serves all three.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use time::Duration;
use tollgate_domain::{AccountKey, Caller, Email, MemberRole, PasswordError, TokenPurpose};
use tollgate_memory::{ManualClock, MemoryMailer, MemoryStore};
use tollgate_ports::{IdentityStore, MockPasswordHasher, PasswordHasher, Secret, SecurityError};

use super::{draft, memory_identity, ports, quiet_notifier, settings};
use crate::{
    AppError, IdentitySettings, Login, Origin, Registration, RegistrationAccount, Settings, Tokens, Tollgate,
};

pub(super) const PASSWORD: &str = "correct horse battery";

/// Tollgate with identity on memory adapters, and what a test needs to look behind it.
pub(super) struct People {
    pub(super) app: Tollgate,
    pub(super) clock: Arc<ManualClock>,
    pub(super) mailer: Arc<MemoryMailer>,
    pub(super) users: Arc<dyn IdentityStore>,
}

/// [`People`] with `settings`, passwords hashed by `hasher` (the fake one when `None`), and the
/// plans `free` (the default) and `team`.
pub(super) async fn people_with(settings: Settings, hasher: Option<Arc<dyn PasswordHasher>>) -> People {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let mailer = Arc::new(MemoryMailer::default());
    let mut ports = ports(
        &store,
        store.clone(),
        clock.clone(),
        tollgate_ports::MockPaymentGateway::new(),
        quiet_notifier(),
    );
    ports.identity = memory_identity(&store, mailer.clone());
    if let Some(hasher) = hasher {
        ports.identity.hasher = hasher;
    }
    let users = ports.identity.store.clone();
    let app = Tollgate::new(ports, settings);
    app.publish_plan(draft("free", "0", 0, Some(3), Some(1))).await.unwrap();
    app.publish_plan(draft("team", "10", 0, Some(100), Some(10))).await.unwrap();
    People { app, clock, mailer, users }
}

pub(super) async fn people() -> People {
    people_with(settings(), None).await
}

pub(super) fn origin(ip: &str) -> Origin {
    Origin { ip: Some(ip.to_owned()), request_id: None }
}

pub(super) fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

pub(super) fn registration(address: &str, account: &str) -> Registration {
    Registration {
        email: address.to_owned(),
        password: Secret::new(PASSWORD),
        name: "Ada Lovelace".into(),
        account: Some(RegistrationAccount { key: AccountKey::parse(account).unwrap(), name: "Acme".into() }),
    }
}

pub(super) fn login(address: &str, password: &str, totp: Option<&str>) -> Login {
    Login { email: address.to_owned(), password: Secret::new(password), totp: totp.map(Secret::new) }
}

impl People {
    /// Registers `address` as the owner of a new account `account`.
    pub(super) async fn register(&self, address: &str, account: &str) {
        self.app.register(registration(address, account), &origin("10.0.0.1")).await.unwrap();
    }

    /// Logs `address` in with the fixture's password.
    pub(super) async fn login(&self, address: &str) -> Tokens {
        self.app.login(login(address, PASSWORD, None), &origin("10.0.0.1")).await.unwrap()
    }

    /// The caller an access token stands for.
    pub(super) async fn caller(&self, tokens: &Tokens) -> Result<Caller, AppError> {
        self.app.authenticate_token(tokens.access_token.expose()).await
    }

    /// The token of the last mail of `purpose` sent to `address`.
    pub(super) fn mailed(&self, address: &str, purpose: TokenPurpose) -> Secret {
        let mail = self.mailer.last_to(&email(address)).expect("a mail to this address");
        match mail.message {
            tollgate_ports::Message::Token { purpose: sent, token } if sent == purpose => token,
            other => panic!("expected a {purpose:?} token, got {other:?}"),
        }
    }

    pub(super) async fn user(&self, address: &str) -> tollgate_domain::User {
        self.users.user_by_email(&email(address)).await.unwrap().expect("the user")
    }
}

#[tokio::test]
async fn registration_makes_the_person_owner_of_a_new_account_and_mails_a_verification_token() {
    let p = people().await;
    let (user, account) =
        p.app.register(registration("  Ada@Acme.TEST ", "acme"), &origin("10.0.0.1")).await.unwrap();
    assert_eq!((user.email.as_str(), user.email_verified), ("ada@acme.test", false));
    assert_eq!(account.key.as_str(), "acme");
    assert_eq!(account.subscription.unwrap().plan.as_str(), "free");
    assert_ne!(user.password_hash, PASSWORD);
    let memberships = p.users.memberships(&user.id).await.unwrap();
    assert_eq!((memberships[0].account.as_str(), memberships[0].role), ("acme", MemberRole::Owner));
    let token = p.mailed("ada@acme.test", TokenPurpose::EmailVerification);
    assert!(token.expose().starts_with("tgv_"));
}

#[tokio::test]
async fn a_password_out_of_bounds_is_refused_before_any_hashing() {
    // A mock with no expectations fails the test if it is called at all.
    let p = people_with(settings(), Some(Arc::new(MockPasswordHasher::new()))).await;
    for (password, error) in [("short", PasswordError::TooShort), (&*"x".repeat(129), PasswordError::TooLong)]
    {
        let mut r = registration("ada@acme.test", "acme");
        r.password = Secret::new(password);
        assert_eq!(p.app.register(r, &Origin::default()).await.unwrap_err(), AppError::Password(error));
    }
    assert!(p.mailer.sent().is_empty(), "nothing was written");
}

#[tokio::test]
async fn an_email_is_taken_once_normalised_and_the_account_is_not_created() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let again = p.app.register(registration(" ADA@acme.test", "other"), &Origin::default()).await;
    assert_eq!(again.unwrap_err(), AppError::EmailTaken);
    assert_eq!(
        p.app.account(&AccountKey::parse("other").unwrap()).await.unwrap_err(),
        AppError::AccountNotFound
    );
}

#[tokio::test]
async fn closed_registration_is_refused() {
    let identity = IdentitySettings { open_registration: false, ..IdentitySettings::default() };
    let p = people_with(Settings { identity, ..settings() }, None).await;
    let refused = p.app.register(registration("ada@acme.test", "acme"), &Origin::default()).await;
    assert_eq!(refused.unwrap_err(), AppError::RegistrationClosed);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_error() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let wrong = p.app.login(login("ada@acme.test", "not the password", None), &origin("10.0.0.1")).await;
    let unknown = p.app.login(login("eve@acme.test", PASSWORD, None), &origin("10.0.0.1")).await;
    assert_eq!(wrong.err(), Some(AppError::InvalidCredentials));
    assert_eq!(unknown.err(), Some(AppError::InvalidCredentials));
    let tokens = p.app.login(login(" ADA@acme.test ", PASSWORD, None), &origin("10.0.0.1")).await.unwrap();
    assert!(matches!(p.caller(&tokens).await.unwrap(), Caller::User { platform_admin: false, .. }));
    assert_eq!(tokens.expires_in, 900);
}

#[tokio::test]
async fn five_failures_for_one_email_throttle_it_until_the_window_frees_a_slot() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    for minute in 0..5 {
        let wrong = login("ada@acme.test", "not the password", None);
        assert_eq!(
            p.app.login(wrong, &origin(&format!("10.0.0.{minute}"))).await.err(),
            Some(AppError::InvalidCredentials)
        );
        p.clock.advance(Duration::minutes(1));
    }
    // The first failure was 5 minutes ago: it leaves the 15-minute window in 10 minutes.
    let throttled = p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.9.9.9")).await;
    assert_eq!(throttled.err(), Some(AppError::TooManyAttempts(600)), "even with the right password");
    let other = p.app.login(login("bob@acme.test", "whatever-it-is", None), &origin("10.9.9.9")).await;
    assert_eq!(other.err(), Some(AppError::InvalidCredentials), "other addresses are not throttled");
    p.clock.advance(Duration::minutes(10));
    assert!(p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.9.9.9")).await.is_ok());
}

#[tokio::test]
async fn fifty_failures_from_one_address_throttle_it_whatever_the_email() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    for n in 0..50 {
        let wrong = login(&format!("guess{n}@acme.test"), "not the password", None);
        assert_eq!(p.app.login(wrong, &origin("10.6.6.6")).await.err(), Some(AppError::InvalidCredentials));
    }
    p.clock.advance(Duration::seconds(30));
    let throttled = p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.6.6.6")).await;
    assert_eq!(throttled.err(), Some(AppError::TooManyAttempts(870)));
    assert!(p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.0.0.1")).await.is_ok());
}

#[tokio::test]
async fn a_successful_login_clears_the_failures_of_its_email() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    for _ in 0..4 {
        let wrong = login("ada@acme.test", "not the password", None);
        assert!(p.app.login(wrong, &origin("10.0.0.1")).await.is_err());
    }
    p.login("ada@acme.test").await;
    for _ in 0..5 {
        let wrong = login("ada@acme.test", "not the password", None);
        assert_eq!(p.app.login(wrong, &origin("10.0.0.1")).await.err(), Some(AppError::InvalidCredentials));
    }
    let throttled = p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.0.0.1")).await;
    assert!(matches!(throttled.err(), Some(AppError::TooManyAttempts(_))), "five new failures count again");
}

/// A hasher whose hashes name the parameters version they were made with (`v1$…`); raising the
/// version makes older hashes need a rehash, as raising argon2's costs does.
#[derive(Default)]
struct VersionedHasher(AtomicU32);

impl VersionedHasher {
    fn digest(version: u32, password: &Secret) -> String {
        format!("v{version}${}", password.expose().chars().rev().collect::<String>())
    }
}

#[async_trait]
impl PasswordHasher for VersionedHasher {
    async fn hash(&self, password: &Secret) -> Result<String, SecurityError> {
        Ok(Self::digest(self.0.load(Ordering::Relaxed), password))
    }

    async fn verify(&self, password: &Secret, hash: &str) -> Result<bool, SecurityError> {
        let (version, _) = hash.split_once('$').ok_or_else(|| SecurityError::Invalid("no version".into()))?;
        let version =
            version.trim_start_matches('v').parse().map_err(|_| SecurityError::Invalid("version".into()))?;
        Ok(Self::digest(version, password) == hash)
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        !hash.starts_with(&format!("v{}$", self.0.load(Ordering::Relaxed)))
    }
}

#[tokio::test]
async fn a_login_upgrades_a_hash_made_with_older_parameters() {
    let hasher = Arc::new(VersionedHasher::default());
    let p = people_with(settings(), Some(hasher.clone())).await;
    p.register("ada@acme.test", "acme").await;
    assert!(p.user("ada@acme.test").await.password_hash.starts_with("v0$"));
    p.login("ada@acme.test").await;
    assert!(p.user("ada@acme.test").await.password_hash.starts_with("v0$"), "current hashes stay");
    hasher.0.store(1, Ordering::Relaxed);
    p.login("ada@acme.test").await;
    assert!(p.user("ada@acme.test").await.password_hash.starts_with("v1$"));
    p.login("ada@acme.test").await;
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_session() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let first = p.login("ada@acme.test").await;
    let second = p.app.refresh(&first.refresh_token, &Origin::default()).await.unwrap();
    assert_eq!(second.session_id, first.session_id);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert!(p.caller(&second).await.is_ok());

    let reused = p.app.refresh(&first.refresh_token, &Origin::default()).await;
    assert_eq!(reused.err(), Some(AppError::RefreshTokenReused));
    assert_eq!(p.caller(&second).await.unwrap_err(), AppError::Unauthenticated, "its access token too");
    assert_eq!(p.caller(&first).await.unwrap_err(), AppError::Unauthenticated);
    let after = p.app.refresh(&second.refresh_token, &Origin::default()).await;
    assert!(after.is_err(), "the session is over for the thief and the owner alike");
    let unknown = p.app.refresh(&Secret::new("tgr_nothing"), &Origin::default()).await;
    assert_eq!(unknown.err(), Some(AppError::InvalidRefreshToken));
}

#[tokio::test]
async fn an_access_token_expires_after_fifteen_minutes_and_the_refresh_token_outlives_it() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let tokens = p.login("ada@acme.test").await;
    p.clock.advance(Duration::minutes(15));
    assert_eq!(p.caller(&tokens).await.unwrap_err(), AppError::Unauthenticated);
    let fresh = p.app.refresh(&tokens.refresh_token, &Origin::default()).await.unwrap();
    assert!(p.caller(&fresh).await.is_ok());
}

#[tokio::test]
async fn logout_revokes_the_session_and_its_tokens() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let tokens = p.login("ada@acme.test").await;
    let caller = p.caller(&tokens).await.unwrap();
    p.app.logout(&caller, &Origin::default()).await.unwrap();
    assert_eq!(p.caller(&tokens).await.unwrap_err(), AppError::Unauthenticated);
    let refresh = p.app.refresh(&tokens.refresh_token, &Origin::default()).await;
    assert_eq!(refresh.err(), Some(AppError::InvalidRefreshToken));
}

#[tokio::test]
async fn a_user_lists_their_sessions_and_revokes_one_of_them_only() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    p.register("bob@acme.test", "bobco").await;
    let laptop = p.login("ada@acme.test").await;
    let phone = p.login("ada@acme.test").await;
    let bob = p.login("bob@acme.test").await;
    let ada = p.caller(&laptop).await.unwrap();
    let mut ids: Vec<_> = p.app.my_sessions(&ada).await.unwrap().into_iter().map(|s| s.id).collect();
    ids.sort();
    let mut expected = vec![laptop.session_id.clone(), phone.session_id.clone()];
    expected.sort();
    assert_eq!(ids, expected);

    let not_hers = p.app.revoke_my_session(&ada, &bob.session_id, &Origin::default()).await;
    assert_eq!(not_hers.unwrap_err(), AppError::NotFound("session"));
    assert!(p.caller(&bob).await.is_ok());
    p.app.revoke_my_session(&ada, &phone.session_id, &Origin::default()).await.unwrap();
    assert_eq!(p.caller(&phone).await.unwrap_err(), AppError::Unauthenticated);
    assert!(p.caller(&laptop).await.is_ok());
    assert_eq!(p.app.my_sessions(&ada).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_password_reset_is_single_use_revokes_every_session_and_changes_the_password() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let before = p.login("ada@acme.test").await;
    p.app.forgot_password(" ADA@acme.test", &Origin::default()).await.unwrap();
    let token = p.mailed("ada@acme.test", TokenPurpose::PasswordReset);
    let new = Secret::new("a brand new passphrase");
    let short = p.app.reset_password(&token, &Secret::new("short"), &Origin::default()).await;
    assert_eq!(short.unwrap_err(), AppError::Password(PasswordError::TooShort));
    p.app.reset_password(&token, &new, &Origin::default()).await.unwrap();

    assert_eq!(p.caller(&before).await.unwrap_err(), AppError::Unauthenticated);
    assert!(p.app.refresh(&before.refresh_token, &Origin::default()).await.is_err());
    let old = p.app.login(login("ada@acme.test", PASSWORD, None), &Origin::default()).await;
    assert_eq!(old.err(), Some(AppError::InvalidCredentials));
    assert!(p.app.login(login("ada@acme.test", new.expose(), None), &Origin::default()).await.is_ok());
    let again =
        p.app.reset_password(&token, &Secret::new("yet another passphrase"), &Origin::default()).await;
    assert_eq!(again.unwrap_err(), AppError::InvalidToken);
}

#[tokio::test]
async fn a_reset_token_expires_after_an_hour_and_unknown_emails_get_no_mail() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    p.app.forgot_password("nobody@acme.test", &Origin::default()).await.unwrap();
    p.app.forgot_password("not an email", &Origin::default()).await.unwrap();
    assert_eq!(p.mailer.sent().len(), 1, "only the verification mail of the registration");
    p.app.forgot_password("ada@acme.test", &Origin::default()).await.unwrap();
    let token = p.mailed("ada@acme.test", TokenPurpose::PasswordReset);
    p.clock.advance(Duration::hours(1));
    let late = p.app.reset_password(&token, &Secret::new("a brand new passphrase"), &Origin::default()).await;
    assert_eq!(late.unwrap_err(), AppError::InvalidToken);
    let forged = p
        .app
        .reset_password(
            &Secret::new("tgp_forged"),
            &Secret::new("a brand new passphrase"),
            &Origin::default(),
        )
        .await;
    assert_eq!(forged.unwrap_err(), AppError::InvalidToken);
}

#[tokio::test]
async fn the_mailed_token_verifies_the_email_once() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let token = p.mailed("ada@acme.test", TokenPurpose::EmailVerification);
    let reset =
        p.app.reset_password(&token, &Secret::new("a brand new passphrase"), &Origin::default()).await;
    assert_eq!(reset.unwrap_err(), AppError::InvalidToken, "a token serves its purpose only");
    p.app.verify_email(&token, &Origin::default()).await.unwrap();
    assert!(p.user("ada@acme.test").await.email_verified);
    assert_eq!(p.app.verify_email(&token, &Origin::default()).await.unwrap_err(), AppError::InvalidToken);
    let caller = p.caller(&p.login("ada@acme.test").await).await.unwrap();
    p.app.resend_verification(&caller).await.unwrap();
    assert_eq!(p.mailer.sent().len(), 1, "a verified address gets no new token");
}
