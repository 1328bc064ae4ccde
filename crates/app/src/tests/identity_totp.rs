//! Two-factor: enrolment, login with a code, replays, recovery codes, removal.

use time::Duration;
use tollgate_domain::Caller;
use tollgate_memory::FakeTotp;
use tollgate_ports::{Clock, Secret};

use super::identity::{PASSWORD, People, login, origin, people};
use crate::AppError;

/// Ada, signed in, with two-factor on: her caller, the secret and her recovery codes.
async fn enrolled(p: &People) -> (Caller, Secret, Vec<Secret>) {
    p.register("ada@acme.test", "acme").await;
    let caller = p.caller(&p.login("ada@acme.test").await).await.unwrap();
    let enrolment = p.app.begin_totp(&caller, &origin("10.0.0.1")).await.unwrap();
    assert!(enrolment.otpauth_url.contains(enrolment.secret.expose()));
    let code = FakeTotp::code_at(&enrolment.secret, p.clock.now());
    let codes = p.app.confirm_totp(&caller, &code, &origin("10.0.0.1")).await.unwrap();
    (caller, enrolment.secret, codes)
}

#[tokio::test]
async fn an_unconfirmed_enrolment_asks_nothing_at_login_and_a_wrong_code_does_not_confirm_it() {
    let p = people().await;
    p.register("ada@acme.test", "acme").await;
    let caller = p.caller(&p.login("ada@acme.test").await).await.unwrap();
    assert_eq!(
        p.app.confirm_totp(&caller, "123456", &origin("10.0.0.1")).await.err(),
        Some(AppError::TotpState("not started"))
    );
    let enrolment = p.app.begin_totp(&caller, &origin("10.0.0.1")).await.unwrap();
    p.login("ada@acme.test").await;
    let wrong = FakeTotp::code(&enrolment.secret, FakeTotp::step_at(p.clock.now()) + 5);
    assert_eq!(
        p.app.confirm_totp(&caller, &wrong, &origin("10.0.0.1")).await.err(),
        Some(AppError::InvalidTotp)
    );
    assert!(!p.user("ada@acme.test").await.totp_enabled());
}

#[tokio::test]
async fn once_confirmed_a_login_needs_a_current_code_and_each_step_serves_once() {
    let p = people().await;
    let (_, secret, codes) = enrolled(&p).await;
    assert_eq!(codes.len(), 10);
    assert!(p.user("ada@acme.test").await.totp_enabled());
    let missing = p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.0.0.1")).await;
    assert_eq!(missing.err(), Some(AppError::TotpRequired));
    let wrong_password =
        p.app.login(login("ada@acme.test", "not the password", None), &origin("10.0.0.1")).await;
    assert_eq!(wrong_password.err(), Some(AppError::InvalidCredentials), "the password is checked first");

    // The confirmation spent the current step: a code of it is a replay.
    let now = FakeTotp::code_at(&secret, p.clock.now());
    let replay = p.app.login(login("ada@acme.test", PASSWORD, Some(&now)), &origin("10.0.0.1")).await;
    assert_eq!(replay.err(), Some(AppError::InvalidTotp));
    p.clock.advance(Duration::seconds(30));
    let next = FakeTotp::code_at(&secret, p.clock.now());
    let tokens =
        p.app.login(login("ada@acme.test", PASSWORD, Some(&next)), &origin("10.0.0.1")).await.unwrap();
    assert!(p.caller(&tokens).await.is_ok());
    let again = p.app.login(login("ada@acme.test", PASSWORD, Some(&next)), &origin("10.0.0.1")).await;
    assert_eq!(again.err(), Some(AppError::InvalidTotp), "the same code twice is refused");
    p.clock.advance(Duration::seconds(90));
    let stale = FakeTotp::code(&secret, FakeTotp::step_at(p.clock.now()) - 2);
    let old = p.app.login(login("ada@acme.test", PASSWORD, Some(&stale)), &origin("10.0.0.1")).await;
    assert_eq!(old.err(), Some(AppError::InvalidTotp), "two steps old");
}

#[tokio::test]
async fn a_recovery_code_is_accepted_once_in_place_of_a_code() {
    let p = people().await;
    let (_, _, codes) = enrolled(&p).await;
    let code = codes[3].expose().to_owned();
    assert!(code.len() == 19 && code.matches('-').count() == 3, "{code}");
    let tokens =
        p.app.login(login("ada@acme.test", PASSWORD, Some(&code)), &origin("10.0.0.1")).await.unwrap();
    assert!(p.caller(&tokens).await.is_ok());
    let again = p.app.login(login("ada@acme.test", PASSWORD, Some(&code)), &origin("10.0.0.1")).await;
    assert_eq!(again.err(), Some(AppError::InvalidTotp));
    // Typed without dashes, in capitals: the same code.
    let typed = codes[4].expose().replace('-', "").to_uppercase();
    assert!(p.app.login(login("ada@acme.test", PASSWORD, Some(&typed)), &origin("10.0.0.1")).await.is_ok());
    assert_eq!(p.user("ada@acme.test").await.totp.unwrap().recovery_codes.len(), 8);
}

#[tokio::test]
async fn two_factor_is_turned_off_only_with_a_valid_code() {
    let p = people().await;
    let (caller, secret, _) = enrolled(&p).await;
    assert_eq!(
        p.app.begin_totp(&caller, &origin("10.0.0.1")).await.err(),
        Some(AppError::TotpState("already enabled"))
    );
    assert_eq!(
        p.app.disable_totp(&caller, "000000", &origin("10.0.0.1")).await.err(),
        Some(AppError::InvalidTotp)
    );
    p.clock.advance(Duration::seconds(30));
    let code = FakeTotp::code_at(&secret, p.clock.now());
    p.app.disable_totp(&caller, &code, &origin("10.0.0.1")).await.unwrap();
    assert!(p.user("ada@acme.test").await.totp.is_none());
    assert!(p.app.login(login("ada@acme.test", PASSWORD, None), &origin("10.0.0.1")).await.is_ok());
    assert_eq!(
        p.app.disable_totp(&caller, &code, &origin("10.0.0.1")).await.err(),
        Some(AppError::TotpState("not enabled"))
    );
}
