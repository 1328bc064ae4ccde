use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::{SignatureError, TOLERANCE, sign, verify};

const SECRET: &str = "whsec_test_secret";
const PAYLOAD: &[u8] = br#"{"id":"evt_1"}"#;
const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
/// HMAC-SHA256 of `1767225600.{"id":"evt_1"}` under SECRET, computed with Python's hmac module.
const KNOWN_MAC: &str = "f6ef300ec2c3f1ea8e4bc6d2a62975f58477d6fcd4bd03529a148873f625b1ca";

fn at(offset_seconds: i64) -> i64 {
    NOW.unix_timestamp() + offset_seconds
}

fn check(header: &str) -> Result<(), SignatureError> {
    verify(header, PAYLOAD, SECRET, NOW, TOLERANCE)
}

#[test]
fn a_signature_is_the_hmac_of_the_timestamp_dot_payload() {
    assert_eq!(sign(SECRET, 1_767_225_600, PAYLOAD), format!("t=1767225600,v1={KNOWN_MAC}"));
}

#[test]
fn a_valid_signature_verifies() {
    assert_eq!(check(&sign(SECRET, at(0), PAYLOAD)), Ok(()));
    assert_eq!(check(&format!("t=1767225600,v1={KNOWN_MAC}")), Ok(()));
}

#[test]
fn another_secret_or_another_payload_does_not_verify() {
    assert_eq!(check(&sign("whsec_other", at(0), PAYLOAD)), Err(SignatureError::Mismatch));
    let header = sign(SECRET, at(0), PAYLOAD);
    assert_eq!(verify(&header, br#"{"id":"evt_2"}"#, SECRET, NOW, TOLERANCE), Err(SignatureError::Mismatch));
}

#[test]
fn an_empty_secret_verifies_nothing() {
    let header = sign("", at(0), PAYLOAD);
    assert_eq!(verify(&header, PAYLOAD, "", NOW, TOLERANCE), Err(SignatureError::EmptySecret));
}

#[test]
fn a_signature_with_its_timestamp_changed_does_not_verify() {
    let forged = sign(SECRET, at(-3600), PAYLOAD).replacen(&at(-3600).to_string(), &at(0).to_string(), 1);
    assert_eq!(check(&forged), Err(SignatureError::Mismatch));
}

#[test]
fn a_timestamp_more_than_five_minutes_old_or_ahead_is_refused() {
    assert_eq!(check(&sign(SECRET, at(-300), PAYLOAD)), Ok(()));
    assert_eq!(check(&sign(SECRET, at(-301), PAYLOAD)), Err(SignatureError::OutsideTolerance));
    assert_eq!(check(&sign(SECRET, at(300), PAYLOAD)), Ok(()));
    assert_eq!(check(&sign(SECRET, at(301), PAYLOAD)), Err(SignatureError::OutsideTolerance));
    assert_eq!(check(&sign(SECRET, i64::MIN, PAYLOAD)), Err(SignatureError::OutsideTolerance));
    assert_eq!(check(&sign(SECRET, i64::MAX, PAYLOAD)), Err(SignatureError::OutsideTolerance));
    // The tolerance is the caller's.
    let header = sign(SECRET, at(-3600), PAYLOAD);
    assert_eq!(verify(&header, PAYLOAD, SECRET, NOW, Duration::hours(2)), Ok(()));
}

#[test]
fn any_matching_v1_among_several_passes() {
    let good = sign(SECRET, at(0), PAYLOAD);
    let good_mac = good.split_once("v1=").unwrap().1;
    let stale_mac = sign("whsec_rolled_away", at(0), PAYLOAD).split_once("v1=").unwrap().1.to_owned();
    let t = at(0);
    assert_eq!(check(&format!("t={t},v1={stale_mac},v1={good_mac}")), Ok(()));
    assert_eq!(check(&format!("t={t},v1={good_mac},v1={stale_mac}")), Ok(()));
    // Junk before a good signature does not hide it; spaces after commas are tolerated.
    assert_eq!(check(&format!("t={t}, v1=zz-not-hex, v0={good_mac}, v1={good_mac}")), Ok(()));
    assert_eq!(check(&format!("t={t},,v1={good_mac},")), Ok(()));
    assert_eq!(check(&format!("t={t},v1={stale_mac},v1=00")), Err(SignatureError::Mismatch));
}

#[test]
fn a_v0_signature_alone_is_not_accepted() {
    let good_mac = sign(SECRET, at(0), PAYLOAD).split_once("v1=").unwrap().1.to_owned();
    assert_eq!(check(&format!("t={},v0={good_mac}", at(0))), Err(SignatureError::NoSignature));
}

#[test]
fn garbage_headers_are_refused_without_panicking() {
    let good_mac = sign(SECRET, at(0), PAYLOAD).split_once("v1=").unwrap().1.to_owned();
    for header in [
        String::new(),
        ",".into(),
        "t=".into(),
        "garbage".into(),
        format!("v1={good_mac}"),
        format!("t=abc,v1={good_mac}"),
        format!("t=1.5,v1={good_mac}"),
        format!("t=99999999999999999999999,v1={good_mac}"),
        format!("t={},t={},v1={good_mac}", at(0), at(0)),
    ] {
        assert_eq!(check(&header), Err(SignatureError::Malformed), "{header:?}");
    }
    assert_eq!(check(&format!("t={}", at(0))), Err(SignatureError::NoSignature));
    assert_eq!(check(&format!("t={},v1=", at(0))), Err(SignatureError::Mismatch));
}

proptest! {
    #[test]
    fn any_header_is_answered_without_panicking(header in "\\PC{0,200}", payload in any::<Vec<u8>>()) {
        let _ = verify(&header, &payload, SECRET, NOW, TOLERANCE);
    }

    #[test]
    fn headers_shaped_like_signatures_are_answered(
        t in any::<i64>(), mac in "[0-9a-f]{0,80}", extra in "[a-z0-9=,]{0,30}",
    ) {
        let _ = check(&format!("t={t},v1={mac},{extra}"));
    }

    #[test]
    fn what_is_signed_verifies_and_nothing_else(
        secret in "\\PC{1,40}", payload in any::<Vec<u8>>(), offset in -300_i64..=300, flip in any::<usize>(),
    ) {
        let header = sign(&secret, at(offset), &payload);
        prop_assert_eq!(verify(&header, &payload, &secret, NOW, TOLERANCE), Ok(()));
        if !payload.is_empty() {
            let mut tampered = payload.clone();
            tampered[flip % payload.len()] ^= 1;
            prop_assert_eq!(verify(&header, &tampered, &secret, NOW, TOLERANCE), Err(SignatureError::Mismatch));
        }
    }
}
