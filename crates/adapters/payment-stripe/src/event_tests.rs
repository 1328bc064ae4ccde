use serde_json::{Value, json};
use time::macros::datetime;
use tollgate_ports::{GatewayError, GatewayEventKind};

use super::{parse_event, verified_event};
use crate::signature::sign;

fn event(kind: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": "evt_1Pgc76B7WZ01zgkW", "object": "event", "api_version": "2025-03-31.basil",
        "type": kind, "created": 1_767_225_600, "livemode": false,
        "data": {"object": object},
    }))
    .unwrap()
}

fn kind_of(kind: &str, object: Value) -> GatewayEventKind {
    parse_event(&event(kind, object)).unwrap().kind
}

#[test]
fn the_envelope_gives_the_id_and_the_creation_time() {
    let parsed = parse_event(&event("customer.created", json!({"id": "cus_1"}))).unwrap();
    assert_eq!(parsed.id, "evt_1Pgc76B7WZ01zgkW");
    assert_eq!(parsed.created, datetime!(2026-01-01 00:00 UTC));
}

#[test]
fn a_completed_checkout_names_its_session_customer_and_payment_method() {
    let object = json!({
        "id": "cs_test_a1", "object": "checkout.session", "customer": "cus_9",
        "payment_method": "pm_1Abc", "payment_intent": "pi_1", "status": "complete",
    });
    assert_eq!(
        kind_of("checkout.session.completed", object),
        GatewayEventKind::CheckoutCompleted {
            session: "cs_test_a1".into(),
            customer: Some("cus_9".into()),
            payment_method: Some("pm_1Abc".into()),
        }
    );
    // Stripe's own sessions carry no payment method, and a guest checkout no customer.
    assert_eq!(
        kind_of("checkout.session.completed", json!({"id": "cs_test_b2", "customer": null})),
        GatewayEventKind::CheckoutCompleted {
            session: "cs_test_b2".into(),
            customer: None,
            payment_method: None
        }
    );
    // An expanded customer is read by its id; a payment method that is not an id is not one.
    assert_eq!(
        kind_of(
            "checkout.session.completed",
            json!({"id": "cs_test_c3", "customer": {"id": "cus_7", "object": "customer"}, "payment_method": {"id": "pm_x"}})
        ),
        GatewayEventKind::CheckoutCompleted {
            session: "cs_test_c3".into(),
            customer: Some("cus_7".into()),
            payment_method: None
        }
    );
}

#[test]
fn a_succeeded_payment_intent_or_paid_invoice_names_its_reference_and_charge() {
    let metadata = json!({"tollgate_reference": "TG-2026-000123", "tollgate_account": "acme"});
    assert_eq!(
        kind_of(
            "payment_intent.succeeded",
            json!({"id": "pi_1", "latest_charge": "ch_1", "metadata": metadata, "status": "succeeded"})
        ),
        GatewayEventKind::PaymentSucceeded {
            reference: "TG-2026-000123".into(),
            charge: Some("ch_1".into())
        }
    );
    assert_eq!(
        kind_of("invoice.paid", json!({"id": "in_1", "charge": "ch_2", "metadata": metadata})),
        GatewayEventKind::PaymentSucceeded {
            reference: "TG-2026-000123".into(),
            charge: Some("ch_2".into())
        }
    );
    // Without a charge the object's own id stands for it.
    assert_eq!(
        kind_of("invoice.paid", json!({"id": "in_3", "charge": null, "metadata": metadata})),
        GatewayEventKind::PaymentSucceeded {
            reference: "TG-2026-000123".into(),
            charge: Some("in_3".into())
        }
    );
}

#[test]
fn a_failed_payment_gives_the_most_precise_reason() {
    let metadata = json!({"tollgate_reference": "TG-2026-000124"});
    let failed = |object: Value| match kind_of("payment_intent.payment_failed", object) {
        GatewayEventKind::PaymentFailed { reference, reason } => {
            assert_eq!(reference, "TG-2026-000124");
            reason
        }
        other => panic!("expected PaymentFailed, got {other:?}"),
    };
    assert_eq!(
        failed(json!({"id": "pi_2", "metadata": metadata, "last_payment_error": {
            "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}})),
        "insufficient_funds"
    );
    assert_eq!(
        failed(json!({"id": "pi_2", "metadata": metadata, "last_payment_error": {"code": "expired_card"}})),
        "expired_card"
    );
    assert_eq!(
        failed(
            json!({"id": "pi_2", "metadata": metadata, "last_payment_error": null, "failure_code": "lost_card"})
        ),
        "lost_card"
    );
    assert_eq!(failed(json!({"id": "pi_2", "metadata": metadata})), "payment_failed");
    assert_eq!(
        kind_of("invoice.payment_failed", json!({"id": "in_2", "metadata": metadata})),
        GatewayEventKind::PaymentFailed {
            reference: "TG-2026-000124".into(),
            reason: "payment_failed".into()
        }
    );
}

#[test]
fn other_event_types_are_ignored_by_name() {
    assert_eq!(
        kind_of("charge.refunded", json!({"id": "ch_1"})),
        GatewayEventKind::Ignored { kind: "charge.refunded".into() }
    );
}

#[test]
fn an_event_tollgate_acts_on_without_its_reference_or_session_is_malformed() {
    for kind in [
        "invoice.paid",
        "payment_intent.succeeded",
        "invoice.payment_failed",
        "payment_intent.payment_failed",
    ] {
        for object in [
            json!({"id": "pi_1"}),
            json!({"id": "pi_1", "metadata": {}}),
            json!({"id": "pi_1", "metadata": {"tollgate_reference": ""}}),
            json!({"id": "pi_1", "metadata": {"tollgate_reference": 42}}),
        ] {
            let refused = parse_event(&event(kind, object.clone()));
            assert!(matches!(refused, Err(GatewayError::Malformed(_))), "{kind} {object}: {refused:?}");
        }
    }
    let refused = parse_event(&event("checkout.session.completed", json!({"customer": "cus_1"})));
    assert!(matches!(refused, Err(GatewayError::Malformed(_))), "{refused:?}");
}

#[test]
fn a_payload_that_is_not_an_event_is_malformed() {
    for payload in [
        &b"not json"[..],
        b"{}",
        b"[]",
        br#"{"id": "evt_1", "type": "invoice.paid", "created": 1}"#,
        br#"{"id": "evt_1", "type": "invoice.paid", "created": "yesterday", "data": {"object": {}}}"#,
        br#"{"id": "evt_1", "type": "invoice.paid", "created": 1, "data": {"object": []}}"#,
        br#"{"id": "evt_1", "type": "charge.refunded", "created": 9223372036854775807, "data": {"object": {}}}"#,
    ] {
        let refused = parse_event(payload);
        assert!(matches!(refused, Err(GatewayError::Malformed(_))), "{}: {refused:?}", String::from_utf8_lossy(payload));
    }
}

#[test]
fn a_webhook_is_verified_before_it_is_read() {
    let now = datetime!(2026-01-01 00:01 UTC);
    let payload = event("charge.refunded", json!({"id": "ch_1"}));
    let header = sign("whsec_a", now.unix_timestamp(), &payload);
    assert!(verified_event("whsec_a", &header, &payload, now).is_ok());
    assert_eq!(verified_event("whsec_b", &header, &payload, now), Err(GatewayError::InvalidSignature));
    // A garbage payload with a bad signature is a signature error, not a parse error.
    assert_eq!(verified_event("whsec_a", "t=1,v1=00", b"garbage", now), Err(GatewayError::InvalidSignature));
    let garbage_signed = sign("whsec_a", now.unix_timestamp(), b"garbage");
    assert!(matches!(
        verified_event("whsec_a", &garbage_signed, b"garbage", now),
        Err(GatewayError::Malformed(_))
    ));
}
