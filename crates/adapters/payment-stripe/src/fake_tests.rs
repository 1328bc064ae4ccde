use std::collections::HashSet;

use serde_json::json;
use time::macros::datetime;
use tollgate_domain::{AccountKey, Money, PlanCode};
use tollgate_ports::{
    ChargeRequest, CheckoutRequest, GatewayError, GatewayEventKind, PaymentGateway, PaymentMethodRequest,
    RefundRequest,
};

use super::FakeGateway;
use crate::signature::sign;

const SECRET: &str = "whsec_fake_secret";

fn gateway() -> FakeGateway {
    FakeGateway::new(SECRET.into(), "http://127.0.0.1:8080/fake-checkout/".into())
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn save(token: &str, customer: Option<&str>, key: &str) -> PaymentMethodRequest {
    PaymentMethodRequest {
        account: AccountKey::parse("acme").unwrap(),
        customer: customer.map(str::to_owned),
        token: token.into(),
        idempotency_key: key.into(),
    }
}

fn charge(payment_method: &str, key: &str) -> ChargeRequest {
    ChargeRequest {
        account: AccountKey::parse("acme").unwrap(),
        customer: "cus_fake_1".into(),
        payment_method: payment_method.into(),
        amount: usd("45.00"),
        reference: "TG-2026-000001".into(),
        idempotency_key: key.into(),
    }
}

fn checkout(key: &str) -> CheckoutRequest {
    CheckoutRequest {
        account: AccountKey::parse("acme").unwrap(),
        customer: None,
        plan: PlanCode::parse("pro").unwrap(),
        description: "Pro, monthly".into(),
        amount: usd("29.00"),
        success_url: "https://acme.test/ok".into(),
        cancel_url: "https://acme.test/cancel".into(),
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn a_visa_card_is_saved_and_charged() {
    let gateway = gateway();
    let saved = gateway.save_payment_method(&save("pm_card_visa", None, "save-1")).await.unwrap();
    assert!(saved.customer.starts_with("cus_fake_"), "{saved:?}");
    assert_eq!(saved.payment_method, "pm_card_visa");
    let charged = gateway.charge(&charge(&saved.payment_method, "charge-1")).await.unwrap();
    assert!(charged.id.starts_with("ch_fake_"), "{charged:?}");
    assert_eq!(charged.amount, usd("45.00"));
    // Mastercard too; an existing customer is kept.
    let saved =
        gateway.save_payment_method(&save("pm_card_mastercard", Some("cus_known"), "save-2")).await.unwrap();
    assert_eq!(saved.customer, "cus_known");
    assert!(gateway.charge(&charge("pm_card_mastercard", "charge-2")).await.is_ok());
}

#[tokio::test]
async fn declining_test_cards_are_saved_but_their_charges_are_declined() {
    let gateway = gateway();
    for (token, code) in [
        ("pm_card_chargeDeclined", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ] {
        let saved = gateway.save_payment_method(&save(token, None, token)).await.unwrap();
        assert_eq!(
            gateway.charge(&charge(&saved.payment_method, token)).await,
            Err(GatewayError::Declined(code.into()))
        );
    }
}

#[tokio::test]
async fn an_unknown_token_is_rejected_by_name() {
    let gateway = gateway();
    assert_eq!(
        gateway.save_payment_method(&save("tok_visa", None, "save-x")).await,
        Err(GatewayError::Rejected("No such PaymentMethod: 'tok_visa'".into()))
    );
    assert_eq!(
        gateway.charge(&charge("pm_1Nope", "charge-x")).await,
        Err(GatewayError::Rejected("No such PaymentMethod: 'pm_1Nope'".into()))
    );
}

#[tokio::test]
async fn charges_are_idempotent_per_key() {
    let gateway = gateway();
    let first = gateway.charge(&charge("pm_card_visa", "k1")).await.unwrap();
    assert_eq!(gateway.charge(&charge("pm_card_visa", "k1")).await.unwrap(), first);
    let second = gateway.charge(&charge("pm_card_visa", "k2")).await.unwrap();
    assert_ne!(second.id, first.id);
    // A declined charge answers the same again; a key reused for another charge is refused.
    let declined = gateway.charge(&charge("pm_card_chargeDeclined", "k3")).await;
    assert_eq!(gateway.charge(&charge("pm_card_chargeDeclined", "k3")).await, declined);
    let refused = gateway.charge(&charge("pm_card_mastercard", "k1")).await;
    assert!(
        matches!(refused, Err(GatewayError::Rejected(ref m)) if m.contains("same parameters")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn two_gateways_agree_on_outcomes_and_never_share_ids() {
    let (one, two) = (gateway(), gateway());
    for token in ["pm_card_visa", "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds", "pm_x"]
    {
        let (a, b) = (one.charge(&charge(token, "same")).await, two.charge(&charge(token, "same")).await);
        assert_eq!(a.is_ok(), b.is_ok(), "{token}");
        match (a, b) {
            (Ok(a), Ok(b)) => assert_ne!(a.id, b.id),
            (a, b) => assert_eq!(a, b),
        }
    }
    let (a, b) = (one.checkout(&checkout("c")).await.unwrap(), two.checkout(&checkout("c")).await.unwrap());
    assert_ne!(a.id, b.id);
}

#[tokio::test]
async fn checkout_sessions_are_unique_and_live_under_the_checkout_base() {
    let gateway = gateway();
    let mut ids = HashSet::new();
    for n in 0..50 {
        let session = gateway.checkout(&checkout(&format!("checkout-{n}"))).await.unwrap();
        assert!(session.id.starts_with("cs_test_"), "{session:?}");
        assert_eq!(session.url, format!("http://127.0.0.1:8080/fake-checkout/{}", session.id));
        assert!(ids.insert(session.id));
    }
    let again = gateway.checkout(&checkout("checkout-7")).await.unwrap();
    assert!(ids.contains(&again.id));
}

#[tokio::test]
async fn amounts_that_cannot_be_charged_are_rejected() {
    let gateway = gateway();
    for amount in ["0", "-5.00"] {
        let request = ChargeRequest { amount: usd(amount), ..charge("pm_card_visa", amount) };
        assert!(matches!(gateway.charge(&request).await, Err(GatewayError::Rejected(_))), "{amount}");
    }
    let too_precise = Money::new("1.005".parse().unwrap(), usd("1").currency());
    let request = ChargeRequest { amount: too_precise, ..charge("pm_card_visa", "precise") };
    assert!(matches!(gateway.charge(&request).await, Err(GatewayError::Rejected(_))));
}

#[tokio::test]
async fn a_refund_of_a_fake_charge_succeeds_once_per_key() {
    let gateway = gateway();
    let charged = gateway.charge(&charge("pm_card_visa", "paid")).await.unwrap();
    let request = RefundRequest { charge_id: charged.id, amount: usd("10.00"), idempotency_key: "r1".into() };
    let refund = gateway.refund(&request).await.unwrap();
    assert!(refund.id.starts_with("re_fake_"), "{refund:?}");
    assert_eq!(refund.amount, usd("10.00"));
    assert_eq!(gateway.refund(&request).await.unwrap(), refund);
    let unknown = RefundRequest { charge_id: "ch_real_1".into(), ..request };
    let unknown = RefundRequest { idempotency_key: "r2".into(), ..unknown };
    assert_eq!(
        gateway.refund(&unknown).await,
        Err(GatewayError::Rejected("No such charge: 'ch_real_1'".into()))
    );
}

#[test]
fn its_webhooks_are_stripe_events_signed_with_its_secret() {
    let gateway = gateway();
    let now = datetime!(2026-02-01 09:00 UTC);
    let payload = serde_json::to_vec(&json!({
        "id": "evt_fake_1", "type": "checkout.session.completed", "created": now.unix_timestamp(),
        "data": {"object": {"id": "cs_test_1", "customer": "cus_fake_1", "payment_method": "pm_card_visa"}},
    }))
    .unwrap();
    let event = gateway.parse_webhook(&sign(SECRET, now.unix_timestamp(), &payload), &payload, now).unwrap();
    assert_eq!(event.id, "evt_fake_1");
    assert_eq!(
        event.kind,
        GatewayEventKind::CheckoutCompleted {
            session: "cs_test_1".into(),
            customer: Some("cus_fake_1".into()),
            payment_method: Some("pm_card_visa".into()),
        }
    );
    let wrong = sign("whsec_other", now.unix_timestamp(), &payload);
    assert_eq!(gateway.parse_webhook(&wrong, &payload, now), Err(GatewayError::InvalidSignature));
    let stale = sign(SECRET, now.unix_timestamp() - 301, &payload);
    assert_eq!(gateway.parse_webhook(&stale, &payload, now), Err(GatewayError::InvalidSignature));
}

#[test]
fn its_name_is_fake_and_its_debug_hides_the_secret() {
    let gateway = gateway();
    assert_eq!(gateway.name(), "fake");
    let debug = format!("{gateway:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("fake-checkout"), "{debug}");
}
