//! The security adapters against the reference implementations other services use: PyJWT,
//! argon2-cffi and pyotp, from the virtualenv `scripts/python-env.sh` makes (`make test` points
//! `TOLLGATE_TEST_PYTHON` at it). Without that variable the tests say they are skipped, except
//! under CI (`CI` set), where a missing Python is a failure.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use time::Duration;
use tollgate_domain::{SessionId, UserId};
use tollgate_memory::SystemClock;
use tollgate_ports::{Claims, Clock, OneTimePasswords, PasswordHasher, Secret, TokenCodec};
use tollgate_security::{Argon2Hasher, JwtCodec, Totp};

/// The interpreter to run, or `None` (after saying so) when the tests are to be skipped.
fn python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("TOLLGATE_TEST_PYTHON").filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "TOLLGATE_TEST_PYTHON is unset under CI: `make test` sets it from scripts/python-env.sh"
            );
            eprintln!(
                "{test}: skipped (TOLLGATE_TEST_PYTHON is unset; `make test` sets it from scripts/python-env.sh)"
            );
            None
        }
    }
}

/// Runs `script` with `args`; its standard output when it succeeds, its error output otherwise.
fn run(python: &PathBuf, script: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap().trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

const SECRET_HEX: &str = "6b1f0e4c2a9d8e7f60514233241506f7e8d9cabbac9d8e7f6051423324150617";

const PYJWT_DECODE: &str = r#"
import json, sys, jwt
claims = jwt.decode(sys.argv[1], bytes.fromhex(sys.argv[2]), algorithms=["HS256"],
                    audience="tollgate", issuer="tollgate",
                    options={"require": ["exp", "iat", "iss", "aud", "sub"]})
print(json.dumps(claims, sort_keys=True))
"#;

#[test]
fn an_access_token_verifies_with_pyjwt() {
    let Some(python) = python("an_access_token_verifies_with_pyjwt") else { return };
    // PyJWT checks `exp` against the system clock, so the token is issued now.
    let now = SystemClock.now().replace_nanosecond(0).unwrap();
    let claims = Claims {
        subject: UserId::parse("usr_4d2c").unwrap(),
        session: SessionId::parse("ses_77ab").unwrap(),
        impersonator: Some(UserId::parse("usr_admin1").unwrap()),
        issued_at: now,
        expires_at: now + Duration::minutes(15),
        id: "jti_interop".into(),
    };
    let codec = JwtCodec::new(&hex::decode(SECRET_HEX).unwrap()).unwrap();
    let token = codec.encode(&claims).unwrap();

    let decoded: Value =
        serde_json::from_str(&run(&python, PYJWT_DECODE, &[token.expose(), SECRET_HEX]).unwrap()).unwrap();
    assert_eq!(
        decoded,
        json!({
            "iss": "tollgate", "aud": "tollgate", "sub": "usr_4d2c", "sid": "ses_77ab", "imp": "usr_admin1",
            "iat": now.unix_timestamp(), "exp": (now + Duration::minutes(15)).unix_timestamp(), "jti": "jti_interop",
        })
    );
    // And PyJWT is really checking: another key fails there too.
    let other_key = SECRET_HEX.replace('6', "7");
    let refused = run(&python, PYJWT_DECODE, &[token.expose(), &other_key]).unwrap_err();
    assert!(refused.contains("InvalidSignatureError"), "{refused}");
}

#[test]
fn a_pyjwt_token_with_the_same_secret_decodes_and_an_hs512_one_does_not() {
    let Some(python) = python("a_pyjwt_token_with_the_same_secret_decodes_and_an_hs512_one_does_not") else {
        return;
    };
    let now = SystemClock.now().replace_nanosecond(0).unwrap();
    let script = r#"
import sys, jwt
payload = {"iss": "tollgate", "aud": "tollgate", "sub": "usr_py", "sid": "ses_py",
           "iat": int(sys.argv[2]), "exp": int(sys.argv[2]) + 900, "jti": "jti_py"}
print(jwt.encode(payload, bytes.fromhex(sys.argv[1]), algorithm=sys.argv[3]))
"#;
    let iat = now.unix_timestamp().to_string();
    let codec = JwtCodec::new(&hex::decode(SECRET_HEX).unwrap()).unwrap();
    let hs256 = run(&python, script, &[SECRET_HEX, &iat, "HS256"]).unwrap();
    let claims = codec.decode(&hs256, now).unwrap();
    assert_eq!(
        (claims.subject.as_str(), claims.session.as_str(), claims.id.as_str()),
        ("usr_py", "ses_py", "jti_py")
    );
    let hs512 = run(&python, script, &[SECRET_HEX, &iat, "HS512"]).unwrap();
    assert!(codec.decode(&hs512, now).is_err());
}

const ARGON2_VERIFY: &str = r#"
import sys, argon2
hasher = argon2.PasswordHasher()
try:
    hasher.verify(sys.argv[1], sys.argv[2])
    params = argon2.extract_parameters(sys.argv[1])
    print(f"verified {params.type.name} m={params.memory_cost} t={params.time_cost} p={params.parallelism}")
except argon2.exceptions.VerifyMismatchError:
    print("mismatch")
"#;

#[tokio::test]
async fn a_password_hash_verifies_with_argon2_cffi() {
    let Some(python) = python("a_password_hash_verifies_with_argon2_cffi") else { return };
    let hash = Argon2Hasher::default().hash(&Secret::new("correct horse battery staple")).await.unwrap();
    assert_eq!(
        run(&python, ARGON2_VERIFY, &[&hash, "correct horse battery staple"]).unwrap(),
        "verified ID m=19456 t=2 p=1"
    );
    assert_eq!(run(&python, ARGON2_VERIFY, &[&hash, "correct horse battery stapler"]).unwrap(), "mismatch");
}

#[tokio::test]
async fn an_argon2_cffi_hash_verifies_here_and_asks_for_a_rehash() {
    let Some(python) = python("an_argon2_cffi_hash_verifies_here_and_asks_for_a_rehash") else { return };
    let hash = run(
        &python,
        "import sys, argon2; print(argon2.PasswordHasher().hash(sys.argv[1]))",
        &["pässwörd from python"],
    )
    .unwrap();
    let hasher = Argon2Hasher::default();
    assert!(hasher.verify(&Secret::new("pässwörd from python"), &hash).await.unwrap());
    assert!(!hasher.verify(&Secret::new("passwörd from python"), &hash).await.unwrap());
    // argon2-cffi's defaults (m=65536, t=3, p=4) are not this hasher's.
    assert!(hasher.needs_rehash(&hash), "{hash}");
}

#[test]
fn a_pyotp_code_is_accepted() {
    let Some(python) = python("a_pyotp_code_is_accepted") else { return };
    let secret = Totp.new_secret().unwrap();
    let script = "import sys, time, pyotp; print(pyotp.TOTP(sys.argv[1]).now(), int(time.time()) // 30)";
    let output = run(&python, script, &[secret.expose()]).unwrap();
    let (code, python_step) = output.split_once(' ').unwrap();
    let python_step: u64 = python_step.parse().unwrap();
    let step = Totp.verify(&secret, code, SystemClock.now()).unwrap().expect("pyotp's code is accepted");
    assert!(step.abs_diff(python_step) <= 1, "matched step {step}, pyotp's {python_step}");
    // A code from another secret is not.
    let other = Totp.new_secret().unwrap();
    let other_code =
        run(&python, "import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).now())", &[other.expose()]).unwrap();
    if other_code != code {
        assert_eq!(Totp.verify(&secret, &other_code, SystemClock.now()).unwrap(), None);
    }
}

#[test]
fn the_provisioning_url_parses_with_pyotp() {
    let Some(python) = python("the_provisioning_url_parses_with_pyotp") else { return };
    let secret = Totp.new_secret().unwrap();
    let url = Totp.provisioning_url(&secret, "ada@acme.test").unwrap();
    let script = r#"
import json, sys, pyotp
totp = pyotp.parse_uri(sys.argv[1])
print(json.dumps({"secret": totp.secret, "issuer": totp.issuer, "name": totp.name,
                  "digits": totp.digits, "interval": totp.interval, "digest": totp.digest().name}))
"#;
    let parsed: Value = serde_json::from_str(&run(&python, script, &[&url]).unwrap()).unwrap();
    assert_eq!(
        parsed,
        json!({"secret": secret.expose(), "issuer": "Tollgate", "name": "ada@acme.test",
               "digits": 6, "interval": 30, "digest": "sha1"})
    );
}
