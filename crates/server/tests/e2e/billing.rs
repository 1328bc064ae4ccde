//! Billing end to end on the fake gateway: a payment method, a priced upgrade charged at once, a
//! downgrade scheduled for the period's end, a decline and its payment, a hosted checkout
//! confirmed by a signed webhook (applied once), and the refusals of each route.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{FAKE_WEBHOOK_SECRET, TestApp, assert_problem, read};

/// Posts `event` to the fake gateway's webhook, signed with `secret` at `timestamp`.
async fn deliver(app: &TestApp, event: &Value, secret: &str, timestamp: i64) -> (u16, Value) {
    let payload = serde_json::to_vec(event).unwrap();
    let signature = tollgate_stripe::signature::sign(secret, timestamp, &payload);
    let request = app
        .anonymous(Method::POST, "/v1/webhooks/fake")
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json")
        .body(payload);
    read(request.send().await.unwrap()).await
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn card(app: &TestApp, account: &str, token: &str) -> (u16, Value) {
    app.put_json(&format!("/v1/accounts/{account}/payment-method"), json!({"token": token}), None).await
}

async fn a_plan_change_is_priced_invoiced_and_charged(app: &mut TestApp) {
    app.create_account("acme", "free").await;
    assert_eq!(card(app, "acme", "pm_card_visa").await.0, 200);
    let (status, problem) = card(app, "acme", "pm card").await;
    assert_eq!((status, problem["param"].as_str()), (422, Some("token")), "{problem}");
    let (status, problem) = card(app, "acme", "tok_unknown").await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("invalid_payment_method")), "{problem}");

    let change = json!({"plan": "enterprise"});
    let (status, preview) = app.post("/v1/accounts/acme/subscription/preview", change.clone(), None).await;
    assert_eq!((status, preview["at"].as_str()), (200, Some("now")), "{preview}");
    let (status, changed) = app.put_json("/v1/accounts/acme/subscription", change, None).await;
    assert_eq!((status, changed["plan"].as_str()), (200, Some("enterprise")), "{changed}");
    let invoice = &changed["invoice"];
    assert_eq!(invoice["status"], "paid", "charged at once: {invoice}");
    assert_eq!(invoice["total"], preview["total"], "as previewed");
    assert_eq!(invoice["lines"].as_array().map(Vec::len), preview["lines"].as_array().map(Vec::len));
    assert!(invoice["total"]["amount"].is_string(), "money is a decimal string: {invoice}");
    let number = invoice["number"].as_str().expect("number").to_owned();
    assert!(number.starts_with("TG-") && number.ends_with("-000001"), "{number}");

    let (status, listed) = app.get("/v1/accounts/acme/invoices").await;
    assert_eq!((status, listed["data"][0]["number"].as_str()), (200, Some(number.as_str())), "{listed}");
    let (status, one) = app.get(&format!("/v1/accounts/acme/invoices/{number}")).await;
    assert_eq!((status, &one), (200, invoice), "the invoice reads back as issued");
    app.create_account("other", "free").await;
    let response =
        app.admin(Method::GET, &format!("/v1/accounts/other/invoices/{number}")).send().await.unwrap();
    assert_problem(response, 404, "invoice_not_found").await;
    let response = app.admin(Method::GET, "/v1/accounts/acme/invoices/TG-1").send().await.unwrap();
    assert_problem(response, 404, "invoice_not_found").await;
    let response = app.admin(Method::GET, "/v1/accounts/acme/invoices?cursor=nope").send().await.unwrap();
    assert_problem(response, 400, "invalid_parameter").await;
    let pay =
        app.admin(Method::POST, &format!("/v1/accounts/acme/invoices/{number}/pay")).send().await.unwrap();
    assert_problem(pay, 409, "invoice_not_payable").await;

    // Back down to free: at the period's end, nothing charged now.
    let (status, later) = app.put_json("/v1/accounts/acme/subscription", json!({"plan": "free"}), None).await;
    assert_eq!(
        (status, later["plan"].as_str(), &later["invoice"]),
        (200, Some("enterprise"), &Value::Null),
        "{later}"
    );
    assert_eq!(later["scheduled_change"]["plan"], "free", "{later}");
    assert_eq!(later["scheduled_change"]["at"], later["current_period_end"]);
    let (status, problem) = app
        .put_json("/v1/accounts/acme/subscription", json!({"plan": "pro-yearly", "interval": "month"}), None)
        .await;
    assert_eq!((status, problem["param"].as_str()), (422, Some("interval")), "{problem}");
}

async fn a_declined_invoice_is_paid_later_and_lifts_past_due(app: &mut TestApp) {
    app.create_account("globex", "free").await;
    assert_eq!(card(app, "globex", "pm_card_chargeDeclined").await.0, 200);
    let (status, changed) =
        app.put_json("/v1/accounts/globex/subscription", json!({"plan": "enterprise"}), None).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["status"].as_str(), changed["invoice"]["status"].as_str()),
        (Some("past_due"), Some("open"))
    );
    let number = changed["invoice"]["number"].as_str().unwrap().to_owned();
    let pay =
        |app: &TestApp| app.admin(Method::POST, &format!("/v1/accounts/globex/invoices/{number}/pay")).send();
    let declined = assert_problem(pay(app).await.unwrap(), 402, "payment_failed").await;
    assert_eq!(declined["reason"], "card_declined", "{declined}");

    // An out-of-date failure event changes nothing once paid; the paid one only once.
    assert_eq!(card(app, "globex", "pm_card_visa").await.0, 200);
    let (status, paid) = read(pay(app).await.unwrap()).await;
    assert_eq!(
        (status, paid["status"].as_str(), paid["attempts"].as_u64()),
        (200, Some("paid"), Some(3)),
        "{paid}"
    );
    let (_, sub) = app.get("/v1/accounts/globex/subscription").await;
    assert_eq!(sub["status"], "active", "paying lifts past_due at once");
    let failed = json!({"id": "evt_late", "type": "payment_intent.payment_failed", "created": now(),
        "data": {"object": {"id": "pi_1", "metadata": {"tollgate_reference": number},
                            "last_payment_error": {"code": "card_declined"}}}});
    assert_eq!(deliver(app, &failed, FAKE_WEBHOOK_SECRET, now()).await.0, 200);
    let (_, sub) = app.get("/v1/accounts/globex/subscription").await;
    assert_eq!(sub["status"], "active", "a late failure of a paid invoice is ignored");
}

async fn a_checkout_starts_its_plan_when_the_signed_event_arrives_once(app: &mut TestApp) {
    app.create_account("initech", "free").await;
    let body = json!({"plan": "pro", "success_url": "https://initech.test/ok", "cancel_url": "https://initech.test/ko"});
    let (status, session) = app.post("/v1/accounts/initech/checkout", body, None).await;
    assert_eq!(status, 201, "{session}");
    let id = session["session_id"].as_str().expect("session id").to_owned();
    assert!(session["url"].as_str().is_some_and(|u| u.ends_with(&id)), "{session}");
    let (_, problem) = app
        .post(
            "/v1/accounts/initech/checkout",
            json!({"plan": "pro", "success_url": "ftp://x", "cancel_url": "https://a.test"}),
            None,
        )
        .await;
    assert_eq!(problem["param"], "success_url", "{problem}");

    let event = json!({"id": "evt_checkout_1", "type": "checkout.session.completed", "created": now(),
        "data": {"object": {"id": id, "object": "checkout.session", "customer": "cus_initech",
                            "payment_method": "pm_card_visa"}}});
    for (secret, at, why) in [
        ("whsec_wrong", now(), "a wrong secret"),
        (FAKE_WEBHOOK_SECRET, now() - 301, "a stale timestamp"),
        (FAKE_WEBHOOK_SECRET, now() + 301, "a timestamp from the future"),
    ] {
        let (status, problem) = deliver(app, &event, secret, at).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_signature")), "{why}: {problem}");
    }
    let (_, sub) = app.get("/v1/accounts/initech/subscription").await;
    assert_eq!(sub["plan"], "free", "nothing applied before a valid signature");
    let unsigned = app.anonymous(Method::POST, "/v1/webhooks/fake").body("{}").send().await.unwrap();
    assert_problem(unsigned, 400, "invalid_signature").await;
    let elsewhere = app.anonymous(Method::POST, "/v1/webhooks/stripe").body("{}").send().await.unwrap();
    assert_problem(elsewhere, 404, "not_found").await;

    for _ in 0..2 {
        let (status, received) = deliver(app, &event, FAKE_WEBHOOK_SECRET, now()).await;
        assert_eq!((status, received["received"].as_bool()), (200, Some(true)), "{received}");
    }
    let (_, sub) = app.get("/v1/accounts/initech/subscription").await;
    assert_eq!((sub["plan"].as_str(), sub["status"].as_str()), (Some("pro"), Some("active")), "{sub}");
    let (_, invoices) = app.get("/v1/accounts/initech/invoices").await;
    let data = invoices["data"].as_array().expect("invoices");
    assert_eq!(data.len(), 1, "the event applied once: {invoices}");
    assert_eq!((data[0]["reason"].as_str(), data[0]["status"].as_str()), (Some("checkout"), Some("paid")));
    assert_eq!(data[0]["total"], json!({"amount": "45.00", "currency": "USD"}));
}

crate::on_every_backend!(
    a_plan_change_is_priced_invoiced_and_charged,
    a_declined_invoice_is_paid_later_and_lifts_past_due,
    a_checkout_starts_its_plan_when_the_signed_event_arrives_once
);
