//! The add-on catalog end to end: a platform admin (the operator's key) publishes, anyone lists, a service key is
//! refused, and a plan may allow only add-ons of the catalog.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, read};

async fn put(app: &TestApp, credential: &str, path: &str, body: &Value) -> (u16, Value) {
    read(app.with_key(credential, Method::PUT, path).json(body).send().await.unwrap()).await
}

async fn the_add_on_catalog_is_published_by_admins_and_listed_publicly(app: &mut TestApp) {
    let admin = app.admin_key.clone();
    let (_, service) = app.post("/v1/api-keys", json!({"name": "svc", "role": "service"}), None).await;
    let service = service["secret"].as_str().unwrap().to_owned();

    // The shipped plans file declares `extra-sites`, allowed by `pro`.
    let (status, listed) = read(app.anonymous(Method::GET, "/v1/addons").send().await.unwrap()).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"][0]["code"], "extra-sites", "{listed}");
    assert_eq!(listed["data"][0]["limits"]["sites"], json!({"max": 5}));

    let seats = json!({"name": "Extra agents", "price": {"amount": "15.00", "currency": "USD"},
                       "interval": "month", "limits": {"agents": {"max": 5}}});
    let (status, created) = put(app, &admin, "/v1/admin/addons/extra-agents", &seats).await;
    assert_eq!((status, created["code"].as_str()), (201, Some("extra-agents")), "{created}");
    let mut more = seats.clone();
    more["limits"]["agents"]["max"] = json!(10);
    more["code"] = json!("extra-agents");
    let (status, replaced) = put(app, &admin, "/v1/admin/addons/extra-agents", &more).await;
    assert_eq!((status, replaced["limits"]["agents"]["max"].as_u64()), (200, Some(10)), "{replaced}");

    let (status, listed) = read(app.anonymous(Method::GET, "/v1/addons").send().await.unwrap()).await;
    assert_eq!(status, 200);
    let codes: Vec<_> =
        listed["data"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["extra-agents", "extra-sites"], "by code, without credentials");
    assert_eq!(listed["data"][0]["limits"]["agents"]["max"], 10, "the replaced terms");
    let (_, first) = read(app.anonymous(Method::GET, "/v1/addons?limit=1").send().await.unwrap()).await;
    assert_eq!(first["next_cursor"], "extra-agents", "{first}");

    // A service key runs no back office.
    let response = app
        .with_key(&service, Method::PUT, "/v1/admin/addons/extra-agents")
        .json(&seats)
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    // A body naming another add-on, one that adds nothing.
    let mut other = seats.clone();
    other["code"] = json!("other");
    let response =
        app.with_key(&admin, Method::PUT, "/v1/admin/addons/extra-agents").json(&other).send().await.unwrap();
    assert_eq!(assert_problem(response, 422, "validation_failed").await["param"], "code");
    let empty =
        json!({"name": "Nothing", "price": {"amount": "1.00", "currency": "USD"}, "interval": "month"});
    let response =
        app.with_key(&admin, Method::PUT, "/v1/admin/addons/nothing").json(&empty).send().await.unwrap();
    assert_eq!(assert_problem(response, 422, "validation_failed").await["param"], "limits");

    // Plans may allow catalog add-ons only.
    let plan = json!({"name": "Scale", "price": {"amount": "99.00", "currency": "USD"}, "interval": "month",
                      "limits": {"agents": {"max": 50, "reset": "never"}}, "addons": ["ghost"]});
    let response =
        app.with_key(&admin, Method::PUT, "/v1/admin/plans/scale").json(&plan).send().await.unwrap();
    assert_eq!(assert_problem(response, 422, "validation_failed").await["param"], "addons");
    let (status, _) = read(app.anonymous(Method::GET, "/v1/plans/scale").send().await.unwrap()).await;
    assert_eq!(status, 404, "the refused plan was not published");
    let mut allowed = plan.clone();
    allowed["addons"] = json!(["extra-agents"]);
    let (status, scale) = put(app, &admin, "/v1/admin/plans/scale", &allowed).await;
    assert_eq!((status, scale["addons"].clone()), (201, json!(["extra-agents"])), "{scale}");

    let (_, audit) = read(
        app.with_key(&admin, Method::GET, "/v1/admin/audit?action=addon.published").send().await.unwrap(),
    )
    .await;
    assert_eq!(audit["data"].as_array().map(Vec::len), Some(2), "{audit}");
}

crate::on_every_backend!(the_add_on_catalog_is_published_by_admins_and_listed_publicly);
