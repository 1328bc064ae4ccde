use std::net::TcpListener;
use std::time::Duration;

use serde_json::{Value, json};
use time::macros::datetime;
use tollgate_domain::{AccountKey, Money, PlanCode};
use tollgate_ports::{
    ChargeRequest, CheckoutRequest, GatewayError, GatewayEventKind, PaymentGateway, PaymentMethodRequest,
    RefundRequest,
};

use super::stub::{Recorded, Stub};
use super::{STRIPE_VERSION, SetupError, StripeGateway, StripeSettings};
use crate::signature::sign;

const SECRET_KEY: &str = "sk_test_51Tollgate";
const WEBHOOK_SECRET: &str = "whsec_stripe_test";

fn settings(base_url: &str) -> StripeSettings {
    StripeSettings {
        base_url: base_url.into(),
        secret_key: SECRET_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
    }
}

fn gateway(stub: &Stub) -> StripeGateway {
    StripeGateway::new(settings(&stub.url)).unwrap()
}

fn acme() -> AccountKey {
    AccountKey::parse("acme").unwrap()
}

fn charge_request(amount: Money) -> ChargeRequest {
    ChargeRequest {
        account: acme(),
        customer: "cus_Q1".into(),
        payment_method: "pm_1Visa".into(),
        amount,
        reference: "TG-2026-000123".into(),
        idempotency_key: "invoice-TG-2026-000123-attempt-1".into(),
    }
}

fn checkout_request(customer: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        account: acme(),
        customer: customer.map(str::to_owned),
        plan: PlanCode::parse("pro").unwrap(),
        description: "Tollgate Pro & co, monthly".into(),
        amount: Money::parse("29.00", "EUR").unwrap(),
        success_url: "https://acme.test/billing?done=1".into(),
        cancel_url: "https://acme.test/billing".into(),
        idempotency_key: "checkout-acme-1".into(),
    }
}

/// Every request is a form POST with the key, the pinned version and the idempotency key.
fn assert_stripe_post(request: &Recorded, path: &str, idempotency_key: &str) {
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", path));
    assert_eq!(request.header("authorization"), Some(&*format!("Bearer {SECRET_KEY}")));
    assert_eq!(request.header("stripe-version"), Some(STRIPE_VERSION));
    assert_eq!(request.header("idempotency-key"), Some(idempotency_key));
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
}

fn succeeded_intent() -> (u16, Value) {
    (200, json!({"id": "pi_1", "object": "payment_intent", "status": "succeeded", "latest_charge": "ch_1"}))
}

fn card_error(code: &str, decline_code: Option<&str>) -> (u16, Value) {
    (
        402,
        json!({"error": {"type": "card_error", "code": code, "decline_code": decline_code,
                            "message": "Your card was declined.", "payment_intent": {"id": "pi_2"}}}),
    )
}

#[tokio::test]
async fn saving_a_payment_method_creates_the_customer_attaches_and_makes_it_the_default() {
    let stub = Stub::start(|request| match request.path.as_str() {
        "/v1/customers" => (200, json!({"id": "cus_New1", "object": "customer"})),
        "/v1/payment_methods/pm_card_visa/attach" => (200, json!({"id": "pm_1Made", "customer": "cus_New1"})),
        _ => (200, json!({"id": "cus_New1", "object": "customer"})),
    });
    let saved = gateway(&stub)
        .save_payment_method(&PaymentMethodRequest {
            account: acme(),
            customer: None,
            token: "pm_card_visa".into(),
            idempotency_key: "pm-acme-7".into(),
        })
        .await
        .unwrap();
    assert_eq!((saved.customer.as_str(), saved.payment_method.as_str()), ("cus_New1", "pm_1Made"));
    let requests = stub.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert_stripe_post(&requests[0], "/v1/customers", "pm-acme-7-customer");
    assert_eq!(requests[0].fields(), [("metadata[tollgate_account]", "acme")]);
    assert_stripe_post(&requests[1], "/v1/payment_methods/pm_card_visa/attach", "pm-acme-7-attach");
    assert_eq!(requests[1].fields(), [("customer", "cus_New1")]);
    assert_stripe_post(&requests[2], "/v1/customers/cus_New1", "pm-acme-7-default");
    assert_eq!(requests[2].fields(), [("invoice_settings[default_payment_method]", "pm_1Made")]);
}

#[tokio::test]
async fn an_existing_customer_is_reused_and_a_declined_attach_is_a_decline() {
    let stub = Stub::start(|request| match request.path.as_str() {
        "/v1/payment_methods/pm_card_visa/attach" => (200, json!({"id": "pm_card_visa"})),
        "/v1/payment_methods/pm_card_chargeCustomerFail/attach" => {
            card_error("card_declined", Some("generic_decline"))
        }
        _ => (200, json!({"id": "cus_Old"})),
    });
    let request = |token: &str| PaymentMethodRequest {
        account: acme(),
        customer: Some("cus_Old".into()),
        token: token.into(),
        idempotency_key: format!("k-{token}"),
    };
    let saved = gateway(&stub).save_payment_method(&request("pm_card_visa")).await.unwrap();
    assert_eq!(saved.customer, "cus_Old");
    let paths: Vec<_> = stub.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/payment_methods/pm_card_visa/attach", "/v1/customers/cus_Old"]);
    assert_eq!(
        gateway(&stub).save_payment_method(&request("pm_card_chargeCustomerFail")).await,
        Err(GatewayError::Declined("generic_decline".into()))
    );
}

#[tokio::test]
async fn a_token_that_is_not_an_id_is_rejected_before_anything_is_sent() {
    let stub = Stub::start(|_| (200, json!({"id": "cus_1"})));
    for token in ["../customers/cus_1", "pm_card_visa/attach?x=1", "", "pm card"] {
        let request = PaymentMethodRequest {
            account: acme(),
            customer: Some("cus_1".into()),
            token: token.into(),
            idempotency_key: "k".into(),
        };
        let refused = gateway(&stub).save_payment_method(&request).await;
        assert!(
            matches!(refused, Err(GatewayError::Rejected(ref m)) if m.starts_with("No such PaymentMethod")),
            "{refused:?}"
        );
    }
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn a_charge_is_a_confirmed_off_session_payment_intent_in_minor_units() {
    let stub = Stub::start(|_| succeeded_intent());
    let charge = gateway(&stub).charge(&charge_request(Money::parse("45.10", "USD").unwrap())).await.unwrap();
    assert_eq!((charge.id.as_str(), charge.amount), ("ch_1", Money::parse("45.10", "USD").unwrap()));
    let requests = stub.requests();
    assert_stripe_post(&requests[0], "/v1/payment_intents", "invoice-TG-2026-000123-attempt-1");
    assert_eq!(
        requests[0].fields(),
        [
            ("amount", "4510"),
            ("currency", "usd"),
            ("customer", "cus_Q1"),
            ("payment_method", "pm_1Visa"),
            ("confirm", "true"),
            ("off_session", "true"),
            ("metadata[tollgate_reference]", "TG-2026-000123"),
            ("metadata[tollgate_account]", "acme"),
        ]
    );
    // Zero-decimal currencies are sent as they are.
    gateway(&stub).charge(&charge_request(Money::parse("5000", "XOF").unwrap())).await.unwrap();
    let xof = &stub.requests()[1];
    assert_eq!(&xof.fields()[..2], [("amount", "5000"), ("currency", "xof")]);
}

#[tokio::test]
async fn a_card_error_is_a_decline_with_the_issuers_code() {
    for (answer, code) in [
        (card_error("card_declined", Some("insufficient_funds")), "insufficient_funds"),
        (card_error("expired_card", None), "expired_card"),
        (card_error("authentication_required", Some("authentication_required")), "authentication_required"),
    ] {
        let stub = Stub::start(move |_| answer.clone());
        assert_eq!(
            gateway(&stub).charge(&charge_request(Money::parse("45.00", "USD").unwrap())).await,
            Err(GatewayError::Declined(code.into()))
        );
    }
}

#[tokio::test]
async fn other_client_errors_are_rejections_with_stripes_message() {
    let stub = Stub::start(|_| {
        (
            400,
            json!({"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method",
                               "message": "No such PaymentMethod: 'pm_1Gone'"}}),
        )
    });
    assert_eq!(
        gateway(&stub).charge(&charge_request(Money::parse("45.00", "USD").unwrap())).await,
        Err(GatewayError::Rejected("No such PaymentMethod: 'pm_1Gone'".into()))
    );
    // A 402 that is not about the card is not a decline.
    let stub = Stub::start(|_| {
        (402, json!({"error": {"type": "invalid_request_error", "message": "Request failed"}}))
    });
    assert_eq!(
        gateway(&stub).charge(&charge_request(Money::parse("45.00", "USD").unwrap())).await,
        Err(GatewayError::Rejected("Request failed".into()))
    );
}

#[tokio::test]
async fn server_errors_rate_limits_and_bad_credentials_are_unavailable() {
    for status in [500, 502, 503, 429, 409, 401] {
        let stub = Stub::start(move |_| {
            (status, json!({"error": {"type": "api_error", "message": "Something went wrong"}}))
        });
        let result = gateway(&stub).charge(&charge_request(Money::parse("45.00", "USD").unwrap())).await;
        assert!(matches!(result, Err(GatewayError::Unavailable(_))), "{status}: {result:?}");
    }
    // A non-JSON error page too.
    let stub = Stub::start(|_| (503, Value::String("<html>down</html>".into())));
    let result = gateway(&stub).charge(&charge_request(Money::parse("45.00", "USD").unwrap())).await;
    assert!(matches!(result, Err(GatewayError::Unavailable(_))), "{result:?}");
}

#[tokio::test]
async fn a_refused_connection_or_a_timeout_is_unavailable() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let result = StripeGateway::new(settings(&closed))
        .unwrap()
        .charge(&charge_request(Money::parse("45.00", "USD").unwrap()))
        .await;
    assert!(matches!(result, Err(GatewayError::Unavailable(ref m)) if m.contains("connect")), "{result:?}");

    let slow = Stub::start(|_| {
        std::thread::sleep(Duration::from_secs(2));
        succeeded_intent()
    });
    let gateway = StripeGateway::with_timeout(settings(&slow.url), Duration::from_millis(200)).unwrap();
    let result = gateway.charge(&charge_request(Money::parse("45.00", "USD").unwrap())).await;
    assert!(matches!(result, Err(GatewayError::Unavailable(ref m)) if m.contains("timed out")), "{result:?}");
}

#[tokio::test]
async fn an_intent_that_did_not_succeed_is_answered_by_its_status() {
    for (answer, expected) in [
        (
            json!({"id": "pi_3", "status": "requires_payment_method", "last_payment_error": {"code": "card_declined", "decline_code": "do_not_honor"}}),
            GatewayError::Declined("do_not_honor".into()),
        ),
        (
            json!({"id": "pi_3", "status": "requires_action"}),
            GatewayError::Declined("authentication_required".into()),
        ),
    ] {
        let stub = Stub::start(move |_| (200, answer.clone()));
        assert_eq!(
            gateway(&stub).charge(&charge_request(Money::parse("1.00", "USD").unwrap())).await,
            Err(expected)
        );
    }
    let stub = Stub::start(|_| (200, json!({"id": "pi_3", "status": "processing"})));
    let result = gateway(&stub).charge(&charge_request(Money::parse("1.00", "USD").unwrap())).await;
    assert!(matches!(result, Err(GatewayError::Unavailable(_))), "{result:?}");
}

#[tokio::test]
async fn an_amount_stripe_cannot_take_is_rejected_before_anything_is_sent() {
    let stub = Stub::start(|_| succeeded_intent());
    for amount in [Money::parse("0", "USD").unwrap(), Money::parse("-1.00", "USD").unwrap()] {
        let result = gateway(&stub).charge(&charge_request(amount)).await;
        assert!(matches!(result, Err(GatewayError::Rejected(_))), "{amount}: {result:?}");
    }
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn a_checkout_is_a_hosted_payment_session_that_saves_the_card() {
    let stub = Stub::start(|_| {
        (
            200,
            json!({"id": "cs_test_a1", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_a1"}),
        )
    });
    let session = gateway(&stub).checkout(&checkout_request(None)).await.unwrap();
    assert_eq!(session.id, "cs_test_a1");
    assert_eq!(session.url, "https://checkout.stripe.com/c/pay/cs_test_a1");
    gateway(&stub).checkout(&checkout_request(Some("cus_Q1"))).await.unwrap();
    let requests = stub.requests();
    assert_stripe_post(&requests[0], "/v1/checkout/sessions", "checkout-acme-1");
    let expected = |customer: (&'static str, &'static str)| {
        vec![
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "2900"),
            ("line_items[0][price_data][product_data][name]", "Tollgate Pro & co, monthly"),
            ("line_items[0][quantity]", "1"),
            ("success_url", "https://acme.test/billing?done=1"),
            ("cancel_url", "https://acme.test/billing"),
            ("client_reference_id", "acme"),
            customer,
            ("payment_intent_data[setup_future_usage]", "off_session"),
            ("metadata[tollgate_account]", "acme"),
            ("metadata[tollgate_plan]", "pro"),
        ]
    };
    assert_eq!(requests[0].fields(), expected(("customer_creation", "always")));
    assert_eq!(requests[1].fields(), expected(("customer", "cus_Q1")));
}

#[tokio::test]
async fn a_refund_names_the_charge_and_the_amount() {
    let stub = Stub::start(|_| (200, json!({"id": "re_1", "object": "refund", "status": "succeeded"})));
    let amount = Money::parse("12.50", "USD").unwrap();
    let request = RefundRequest { charge_id: "ch_1".into(), amount, idempotency_key: "refund-1".into() };
    let refund = gateway(&stub).refund(&request).await.unwrap();
    assert_eq!((refund.id.as_str(), refund.amount), ("re_1", amount));
    let requests = stub.requests();
    assert_stripe_post(&requests[0], "/v1/refunds", "refund-1");
    assert_eq!(requests[0].fields(), [("charge", "ch_1"), ("amount", "1250")]);

    let stub = Stub::start(|_| {
        (200, json!({"id": "re_2", "status": "failed", "failure_reason": "expired_or_canceled_card"}))
    });
    assert_eq!(
        gateway(&stub).refund(&request).await,
        Err(GatewayError::Declined("expired_or_canceled_card".into()))
    );
}

#[test]
fn webhooks_verify_with_the_endpoint_secret() {
    let gateway = StripeGateway::new(settings("http://127.0.0.1:9")).unwrap();
    assert_eq!(gateway.name(), "stripe");
    let now = datetime!(2026-03-01 12:00 UTC);
    let payload = serde_json::to_vec(&json!({
        "id": "evt_1", "type": "payment_intent.succeeded", "created": now.unix_timestamp() - 10,
        "data": {"object": {"id": "pi_1", "latest_charge": "ch_1", "metadata": {"tollgate_reference": "TG-2026-000001"}}},
    }))
    .unwrap();
    let event =
        gateway.parse_webhook(&sign(WEBHOOK_SECRET, now.unix_timestamp(), &payload), &payload, now).unwrap();
    assert_eq!(
        event.kind,
        GatewayEventKind::PaymentSucceeded {
            reference: "TG-2026-000001".into(),
            charge: Some("ch_1".into())
        }
    );
    let forged = sign(SECRET_KEY, now.unix_timestamp(), &payload);
    assert_eq!(gateway.parse_webhook(&forged, &payload, now), Err(GatewayError::InvalidSignature));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let settings = settings("https://api.stripe.com");
    let gateway = StripeGateway::new(settings.clone()).unwrap();
    for debug in [format!("{settings:?}"), format!("{gateway:?}")] {
        assert!(!debug.contains(SECRET_KEY) && !debug.contains(WEBHOOK_SECRET), "{debug}");
        assert!(debug.contains("https://api.stripe.com"), "{debug}");
    }
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let with = |change: fn(&mut StripeSettings)| {
        let mut settings = settings("https://api.stripe.com");
        change(&mut settings);
        StripeGateway::new(settings).map(|_| ())
    };
    assert!(matches!(with(|s| s.base_url = "api.stripe.com".into()), Err(SetupError::BaseUrl(_))));
    assert!(matches!(with(|s| s.base_url = "ftp://api.stripe.com".into()), Err(SetupError::BaseUrl(_))));
    assert!(matches!(with(|s| s.secret_key = String::new()), Err(SetupError::SecretKey)));
    assert!(matches!(with(|s| s.secret_key = "sk_test\n1".into()), Err(SetupError::SecretKey)));
    assert!(matches!(with(|s| s.webhook_secret = String::new()), Err(SetupError::WebhookSecret)));
    assert!(with(|s| s.base_url = "https://api.stripe.com/".into()).is_ok());
}

#[test]
fn settings_default_to_stripes_api() {
    let settings: StripeSettings =
        serde_json::from_value(json!({"secret_key": "sk_test_1", "webhook_secret": "whsec_1"})).unwrap();
    assert_eq!(settings.base_url, "https://api.stripe.com");
}
