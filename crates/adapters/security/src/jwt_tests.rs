use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::macros::datetime;
use tollgate_domain::{SessionId, UserId};
use tollgate_ports::{Claims, SecurityError, TokenCodec};

use super::{JwtCodec, MIN_SECRET_BYTES};
use crate::SetupError;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";
const NOW: time::OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

fn claims() -> Claims {
    Claims {
        subject: UserId::parse("usr_1a2b").unwrap(),
        session: SessionId::parse("ses_9z8y").unwrap(),
        impersonator: None,
        issued_at: datetime!(2026-03-01 11:55 UTC),
        expires_at: datetime!(2026-03-01 12:10 UTC),
        id: "jti_0001".into(),
    }
}

fn codec() -> JwtCodec {
    JwtCodec::new(SECRET).unwrap()
}

/// The payload a genuine token carries, to forge variants of.
fn payload() -> Value {
    json!({
        "iss": "tollgate", "aud": "tollgate", "sub": "usr_1a2b", "sid": "ses_9z8y",
        "iat": NOW.unix_timestamp() - 300, "exp": NOW.unix_timestamp() + 600, "jti": "jti_0001",
    })
}

fn sign(alg: Algorithm, secret: &[u8], payload: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), payload, &EncodingKey::from_secret(secret).unwrap()).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    // base64url without padding, written out so the test does not lean on the crate it checks.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn assert_refused(token: &str, why: &str) {
    match codec().decode(token, NOW) {
        Err(SecurityError::Invalid(_)) => {}
        other => panic!("{why}: expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_token_decodes_to_the_claims_it_was_made_of() {
    let codec = codec();
    let token = codec.encode(&claims()).unwrap();
    assert_eq!(codec.decode(token.expose(), NOW).unwrap(), claims());
}

#[test]
fn the_impersonator_travels_in_imp() {
    let codec = codec();
    let mut with_imp = claims();
    with_imp.impersonator = Some(UserId::parse("usr_admin").unwrap());
    let token = codec.encode(&with_imp).unwrap();
    assert_eq!(codec.decode(token.expose(), NOW).unwrap(), with_imp);
    let body = jsonwebtoken::dangerous::insecure_decode::<Value>(token.expose()).unwrap();
    assert_eq!(body.header.alg, Algorithm::HS256);
    assert_eq!(body.claims["imp"], json!("usr_admin"));
}

#[test]
fn the_wire_claims_are_the_contracts() {
    let token = codec().encode(&claims()).unwrap();
    let body: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(token.expose()).unwrap().claims;
    assert_eq!(
        body,
        json!({
            "iss": "tollgate", "aud": "tollgate", "sub": "usr_1a2b", "sid": "ses_9z8y",
            "iat": datetime!(2026-03-01 11:55 UTC).unix_timestamp(),
            "exp": datetime!(2026-03-01 12:10 UTC).unix_timestamp(), "jti": "jti_0001",
        })
    );
}

#[test]
fn a_token_is_refused_from_its_expiry_on_with_no_leeway() {
    let codec = codec();
    let token = codec.encode(&claims()).unwrap();
    let exp = claims().expires_at;
    assert!(codec.decode(token.expose(), exp - time::Duration::seconds(1)).is_ok());
    assert!(matches!(codec.decode(token.expose(), exp), Err(SecurityError::Invalid(_))));
    assert!(matches!(
        codec.decode(token.expose(), exp + time::Duration::days(400)),
        Err(SecurityError::Invalid(_))
    ));
}

#[test]
fn expiry_follows_the_given_now_not_the_system_clock() {
    // Issued and expired in 2001: the system clock would refuse it; `now` in 2001 accepts it.
    let mut old = claims();
    old.issued_at = datetime!(2001-01-01 0:00 UTC);
    old.expires_at = datetime!(2001-01-01 0:15 UTC);
    let codec = codec();
    let token = codec.encode(&old).unwrap();
    assert_eq!(codec.decode(token.expose(), datetime!(2001-01-01 0:10 UTC)).unwrap(), old);
}

#[test]
fn alg_none_is_refused() {
    for alg in ["none", "None", "NONE"] {
        let header = b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
        let body = b64(payload().to_string().as_bytes());
        assert_refused(&format!("{header}.{body}."), alg);
        // A signature from the real key glued on does not help either.
        let genuine = codec().encode(&claims()).unwrap();
        let signature = genuine.expose().rsplit('.').next().unwrap().to_owned();
        assert_refused(&format!("{header}.{body}.{signature}"), alg);
    }
}

#[test]
fn another_hmac_algorithm_with_the_same_secret_is_refused() {
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        assert_refused(&sign(alg, SECRET, &payload()), &format!("{alg:?}"));
    }
}

#[test]
fn a_token_signed_with_another_secret_is_refused() {
    assert_refused(
        &sign(Algorithm::HS256, b"another secret of at least 32 bytes!!", &payload()),
        "wrong secret",
    );
}

#[test]
fn a_token_with_a_changed_payload_is_refused() {
    let genuine = codec().encode(&claims()).unwrap();
    let parts: Vec<&str> = genuine.expose().split('.').collect();
    let mut forged = payload();
    forged["sub"] = json!("usr_someoneelse");
    let body = b64(forged.to_string().as_bytes());
    assert_refused(&format!("{}.{body}.{}", parts[0], parts[2]), "payload swapped");
}

#[test]
fn an_expired_token_is_refused() {
    let mut expired = payload();
    expired["exp"] = json!(NOW.unix_timestamp());
    assert_refused(&sign(Algorithm::HS256, SECRET, &expired), "expired");
}

#[test]
fn a_wrong_or_missing_audience_is_refused() {
    for aud in [json!("other"), json!(["other"]), json!(null), json!(7)] {
        let mut p = payload();
        p["aud"] = aud.clone();
        assert_refused(&sign(Algorithm::HS256, SECRET, &p), &format!("aud {aud}"));
    }
    let mut p = payload();
    p.as_object_mut().unwrap().remove("aud");
    assert_refused(&sign(Algorithm::HS256, SECRET, &p), "no aud");
}

#[test]
fn a_wrong_or_missing_issuer_is_refused() {
    for iss in [json!("evil"), json!(""), json!(null), json!(1)] {
        let mut p = payload();
        p["iss"] = iss.clone();
        assert_refused(&sign(Algorithm::HS256, SECRET, &p), &format!("iss {iss}"));
    }
    let mut p = payload();
    p.as_object_mut().unwrap().remove("iss");
    assert_refused(&sign(Algorithm::HS256, SECRET, &p), "no iss");
}

#[test]
fn a_token_without_exp_is_refused() {
    let mut p = payload();
    p.as_object_mut().unwrap().remove("exp");
    assert_refused(&sign(Algorithm::HS256, SECRET, &p), "no exp");
}

#[test]
fn malformed_tokens_are_refused() {
    let genuine = codec().encode(&claims()).unwrap();
    let parts: Vec<&str> = genuine.expose().split('.').collect();
    for bad in [
        String::new(),
        "garbage".into(),
        "a.b".into(),
        "a.b.c".into(),
        format!("{}.{}", parts[0], parts[1]),
        format!("!!!.{}.{}", parts[1], parts[2]),
        format!("{}.{}.{}", b64(b"{not json"), parts[1], parts[2]),
        format!("{}.{}.{}", b64(br#"{"typ":"JWT"}"#), parts[1], parts[2]),
        format!("{}.%%%.{}", parts[0], parts[2]),
        format!("{}.{}.{}", parts[0], parts[1], "@@@"),
        format!("{}.{}.{}.x", parts[0], parts[1], parts[2]),
    ] {
        assert_refused(&bad, &format!("malformed {bad:?}"));
    }
}

#[test]
fn ids_that_are_not_ids_are_refused() {
    for (field, value) in
        [("sub", json!("admin")), ("sid", json!("usr_1")), ("sub", json!(12)), ("imp", json!("root"))]
    {
        let mut p = payload();
        p[field] = value.clone();
        assert_refused(&sign(Algorithm::HS256, SECRET, &p), &format!("{field} = {value}"));
    }
    let mut p = payload();
    p.as_object_mut().unwrap().remove("sid");
    assert_refused(&sign(Algorithm::HS256, SECRET, &p), "no sid");
}

#[test]
fn a_secret_shorter_than_32_bytes_is_refused() {
    let err = JwtCodec::new(&SECRET[..MIN_SECRET_BYTES - 1]).unwrap_err();
    assert!(matches!(err, SetupError::SecretTooShort { len: 31, min: 32 }), "{err:?}");
    assert!(JwtCodec::new(&SECRET[..MIN_SECRET_BYTES]).is_ok());
    assert!(JwtCodec::new(b"").is_err());
}

#[test]
fn debug_does_not_show_the_secret() {
    let shown = format!("{:?}", codec());
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
    assert!(shown.contains("HS256"));
}
