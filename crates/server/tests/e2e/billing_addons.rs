//! Add-ons bought end to end on the fake gateway: the shipped `extra-sites` (+5 sites a unit,
//! allowed by `pro`) raises the limit at once with a prorated invoice, is refused on `free`, and
//! gives the sites back when removed.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem};

async fn an_add_on_raises_the_limit_at_once_invoiced_and_is_removed_at_once(app: &mut TestApp) {
    // Free to pro by a change (pro's trial is for new accounts): active, so the add-on is billed.
    app.create_account("acme", "free").await;
    let (status, _) =
        app.put_json("/v1/accounts/acme/payment-method", json!({"token": "pm_card_visa"}), None).await;
    assert_eq!(status, 200);
    let (status, changed) =
        app.put_json("/v1/accounts/acme/subscription", json!({"plan": "pro"}), None).await;
    assert_eq!((status, changed["status"].as_str()), (200, Some("active")), "{changed}");
    assert_eq!(app.consume("acme", "sites", 3).await["allowed"], true);
    assert_eq!(app.consume("acme", "sites", 1).await["allowed"], false, "pro's 3 sites");

    let body = json!({"addon": "extra-sites", "quantity": 1});
    let (status, bought) = app.post("/v1/accounts/acme/addons", body, None).await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(
        bought["add_ons"],
        json!([{"addon": "extra-sites", "quantity": 1, "limits": {"sites": 5}, "features": []}])
    );
    let invoice = &bought["invoice"];
    assert_eq!(
        (invoice["reason"].as_str(), invoice["status"].as_str()),
        (Some("add_on"), Some("paid")),
        "{invoice}"
    );
    assert_eq!(invoice["lines"][0]["description"], "Extra sites × 1", "{invoice}");
    assert!(invoice["total"]["amount"].is_string(), "{invoice}");
    let (_, listed) = app.get("/v1/accounts/acme/invoices").await;
    assert_eq!(listed["data"][0]["number"], invoice["number"], "{listed}");
    let decision = app.consume("acme", "sites", 5).await;
    assert_eq!(
        (decision["allowed"].as_bool(), decision["limit"].as_u64()),
        (Some(true), Some(8)),
        "{decision}"
    );
    let (_, usage) = app.get("/v1/accounts/acme/usage").await;
    assert!(usage.to_string().contains("\"limit\":8") || usage.to_string().contains("\"max\":8"), "{usage}");
    let (status, held) = app.get("/v1/accounts/acme/addons").await;
    assert_eq!((status, held["data"][0]["quantity"].as_u64()), (200, Some(1)), "{held}");

    let (status, again) =
        app.post("/v1/accounts/acme/addons", json!({"addon": "extra-sites", "quantity": 2}), None).await;
    assert_eq!(
        (status, again["add_ons"][0]["quantity"].as_u64()),
        (200, Some(2)),
        "a quantity changed: {again}"
    );
    let (status, problem) =
        app.post("/v1/accounts/acme/addons", json!({"addon": "extra-sites", "quantity": 1001}), None).await;
    assert_eq!((status, problem["param"].as_str()), (422, Some("quantity")), "{problem}");
    let (status, problem) =
        app.post("/v1/accounts/acme/addons", json!({"addon": "nope", "quantity": 1}), None).await;
    assert_eq!((status, problem["param"].as_str()), (422, Some("addon")), "{problem}");

    let removed = app.admin(Method::DELETE, "/v1/accounts/acme/addons/extra-sites").send().await.unwrap();
    assert_eq!(removed.status().as_u16(), 204);
    let decision = app.consume("acme", "sites", 1).await;
    assert_eq!(
        (decision["allowed"].as_bool(), decision["limit"].as_u64()),
        (Some(false), Some(3)),
        "{decision}"
    );
    let again = app.admin(Method::DELETE, "/v1/accounts/acme/addons/extra-sites").send().await.unwrap();
    assert_problem(again, 404, "not_found").await;
}

async fn an_add_on_the_plan_does_not_allow_is_refused(app: &mut TestApp) {
    app.create_account("globex", "free").await;
    let body = json!({"addon": "extra-sites", "quantity": 1});
    let (status, problem) = app.post("/v1/accounts/globex/addons", body, None).await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["param"].as_str()),
        (422, Some("addon_not_allowed"), Some("addon")),
        "{problem}"
    );
    let (_, held) = app.get("/v1/accounts/globex/addons").await;
    assert_eq!(held["data"], json!([]));
}

crate::on_every_backend!(
    an_add_on_raises_the_limit_at_once_invoiced_and_is_removed_at_once,
    an_add_on_the_plan_does_not_allow_is_refused
);
