//! Stripe's signing scheme against Stripe's own library: the official `stripe` Python package,
//! from the virtualenv `scripts/python-env.sh` makes (`make test` points `TOLLGATE_TEST_PYTHON`
//! at it). Without that variable the tests say they are skipped, except under CI (`CI` set),
//! where a missing Python is a failure.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use tollgate_ports::{GatewayEventKind, PaymentGateway};
use tollgate_stripe::{FakeGateway, SignatureError, TOLERANCE, sign, verify};

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

/// stripe-python checks timestamps against the machine's clock, so these tests sign at it too.
fn machine_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().try_into().unwrap()
}

const SECRET: &str = "whsec_interop_5f1c2e9a7b";

fn payload(now: i64) -> String {
    format!(
        r#"{{"id":"evt_interop_1","object":"event","type":"checkout.session.completed","created":{now},"data":{{"object":{{"id":"cs_test_interop","object":"checkout.session","customer":"cus_9","metadata":{{"note":"Café ✓"}}}}}}}}"#
    )
}

const STRIPE_SIGN: &str = r#"
import sys, stripe
print(stripe.WebhookSignature.generate_signature_header(sys.argv[1], sys.argv[2], timestamp=int(sys.argv[3])))
"#;

#[test]
fn a_signature_made_by_stripe_python_verifies_and_its_event_reads() {
    let Some(python) = python("a_signature_made_by_stripe_python_verifies_and_its_event_reads") else {
        return;
    };
    let now = machine_now();
    let body = payload(now);
    let header = run(&python, STRIPE_SIGN, &[&body, SECRET, &now.to_string()]).unwrap();
    let at = OffsetDateTime::from_unix_timestamp(now).unwrap();
    assert_eq!(verify(&header, body.as_bytes(), SECRET, at, TOLERANCE), Ok(()), "{header}");
    // Through a gateway: verified, then read as the completed checkout.
    let gateway = FakeGateway::new(SECRET.into(), "http://127.0.0.1/checkout".into());
    let event = gateway.parse_webhook(&header, body.as_bytes(), at).unwrap();
    assert_eq!(
        event.kind,
        GatewayEventKind::CheckoutCompleted {
            session: "cs_test_interop".into(),
            customer: Some("cus_9".into()),
            payment_method: None,
        }
    );
    // And it is really checked: stripe-python's signature under another secret is refused.
    let other = run(&python, STRIPE_SIGN, &[&body, "whsec_other", &now.to_string()]).unwrap();
    assert_eq!(verify(&other, body.as_bytes(), SECRET, at, TOLERANCE), Err(SignatureError::Mismatch));
}

const STRIPE_VERIFY: &str = r#"
import sys, stripe
try:
    stripe.WebhookSignature.verify_header(sys.argv[1], sys.argv[2], sys.argv[3], tolerance=300)
    event = stripe.Webhook.construct_event(sys.argv[1], sys.argv[2], sys.argv[3], tolerance=300)
    print("verified", event.id, event.type)
except stripe.SignatureVerificationError as e:
    print("refused:", e)
"#;

#[test]
fn stripe_python_verifies_our_signature() {
    let Some(python) = python("stripe_python_verifies_our_signature") else { return };
    let now = machine_now();
    let body = payload(now);
    let header = sign(SECRET, now, body.as_bytes());
    assert_eq!(
        run(&python, STRIPE_VERIFY, &[&body, &header, SECRET]).unwrap(),
        "verified evt_interop_1 checkout.session.completed"
    );
    // stripe-python refuses it under another secret, over another payload, and when stale.
    let refused = run(&python, STRIPE_VERIFY, &[&body, &header, "whsec_other"]).unwrap();
    assert!(refused.starts_with("refused: No signatures found matching"), "{refused}");
    let tampered = body.replace("cus_9", "cus_8");
    let refused = run(&python, STRIPE_VERIFY, &[&tampered, &header, SECRET]).unwrap();
    assert!(refused.starts_with("refused: No signatures found matching"), "{refused}");
    let stale = sign(SECRET, now - 301 - 5, body.as_bytes());
    let refused = run(&python, STRIPE_VERIFY, &[&body, &stale, SECRET]).unwrap();
    assert!(refused.starts_with("refused: Timestamp outside the tolerance zone"), "{refused}");
}
