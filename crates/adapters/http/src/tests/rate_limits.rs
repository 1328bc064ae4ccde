//! Rate limits over HTTP: the headers of every answer to a limited caller, the 429, and what a
//! refused request leaves behind (nothing).

use actix_web::dev::ServiceResponse;
use actix_web::test::{self, TestRequest};
use serde_json::json;

use super::{admin, read, state, state_with};
use crate::app;

fn header<B>(response: &ServiceResponse<B>, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap_or("").to_owned())
}

fn rate_headers<B>(response: &ServiceResponse<B>) -> [Option<String>; 3] {
    ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map(|name| header(response, name))
}

fn some(values: [&str; 3]) -> [Option<String>; 3] {
    values.map(|v| Some(v.to_owned()))
}

#[actix_web::test]
async fn a_platform_key_past_the_setting_gets_429_with_retry_after_and_its_key_stays_free() {
    // 20 a minute, one every 3 s, with a burst of 2.
    let (state, _, clock) = state_with(20).await;
    let service = test::init_service(app(state)).await;
    let create =
        admin(TestRequest::post().uri("/v1/accounts")).set_json(json!({"key": "acme", "name": "Acme"}));
    let response = test::call_service(&service, create.to_request()).await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(rate_headers(&response), some(["20", "1", "3"]), "successes carry the headers");

    let consume = |key: &str| {
        admin(TestRequest::post().uri("/v1/accounts/acme/consume"))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .insert_header(("Accept-Language", "fr"))
            .set_json(json!({"metric": "tickets", "quantity": 1}))
            .to_request()
    };
    let response = test::call_service(&service, consume("k1")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(rate_headers(&response), some(["20", "0", "6"]));

    let response = test::call_service(&service, consume("k2")).await;
    assert_eq!(header(&response, "retry-after").as_deref(), Some("3"));
    assert_eq!(rate_headers(&response), some(["20", "0", "6"]));
    let (status, body) = read(response).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (429, Some("rate_limited")));
    assert_eq!(body["detail"], "Trop de requêtes pour cette limite de débit ; réessayez dans 3 secondes.");

    clock.advance(time::Duration::seconds(3));
    let response = test::call_service(&service, consume("k2")).await;
    assert_eq!(header(&response, "idempotent-replayed"), None, "the refused request recorded nothing");
    let (status, body) = read(response).await;
    assert_eq!((status.as_u16(), body["allowed"].as_bool()), (200, Some(true)));
    assert_eq!(body["used"], 2, "k1 and k2, each once");
}

#[actix_web::test]
async fn no_headers_when_nothing_limits_the_caller() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let response =
        test::call_service(&service, admin(TestRequest::get().uri("/v1/plans")).to_request()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(rate_headers(&response), [None, None, None], "platform keys while the setting is 0");

    let (state, _, _) = state_with(20).await;
    let service = test::init_service(app(state)).await;
    let response = test::call_service(&service, TestRequest::get().uri("/health/live").to_request()).await;
    assert_eq!(rate_headers(&response), [None, None, None], "public routes have no caller to limit");
}
