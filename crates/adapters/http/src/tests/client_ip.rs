//! The client's address behind reverse proxies: the login throttle and the audit log see the
//! forwarded client only when the peer is a trusted proxy.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use tollgate_memory::ManualClock;

use super::{admin, read, services_with};
use crate::{HttpState, TrustedProxies, app};

const PROXY: &str = "10.0.0.1:443";

fn login(email: &str, peer: &str, forwarded_for: Option<&str>) -> TestRequest {
    let request = TestRequest::post()
        .uri("/v1/auth/login")
        .peer_addr(peer.parse::<SocketAddr>().unwrap())
        .set_json(json!({"email": email, "password": "not the password at all"}));
    match forwarded_for {
        Some(value) => request.insert_header(("X-Forwarded-For", value)),
        None => request,
    }
}

async fn behind_the_proxy() -> (actix_web::web::Data<HttpState>, Arc<ManualClock>) {
    let (mut services, _, clock) = services_with(0).await;
    services.trusted_proxies = TrustedProxies::new(["10.0.0.1".parse().unwrap()]);
    (HttpState::new(services), clock)
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_login_throttle() {
    let service = test::init_service(app(behind_the_proxy().await.0)).await;
    // 50 failures (the per-address limit) from one client, each for another address so that the
    // per-address limit of an e-mail never applies.
    for i in 0..50 {
        let request = login(&format!("nobody{i}@acme.test"), PROXY, Some("203.0.113.5, 198.51.100.7"));
        let (status, body) = read(test::call_service(&service, request.to_request()).await).await;
        assert_eq!((status.as_u16(), &body["code"]), (401, &json!("invalid_credentials")), "{i}");
    }
    let throttled = login("nobody-more@acme.test", PROXY, Some("203.0.113.5, 198.51.100.7"));
    let (status, body) = read(test::call_service(&service, throttled.to_request()).await).await;
    assert_eq!((status.as_u16(), &body["code"]), (429, &json!("too_many_attempts")));
    // The client forged its leftmost hop; the proxy's hop names it, and only it is throttled.
    let forged = login("nobody-more@acme.test", PROXY, Some("192.0.2.1, 198.51.100.7"));
    let (status, _) = read(test::call_service(&service, forged.to_request()).await).await;
    assert_eq!(status.as_u16(), 429, "another leftmost hop is the same client");
    let other = login("nobody-more@acme.test", PROXY, Some("198.51.100.8"));
    let (status, body) = read(test::call_service(&service, other.to_request()).await).await;
    assert_eq!((status.as_u16(), &body["code"]), (401, &json!("invalid_credentials")), "another client");
}

#[actix_web::test]
async fn the_forwarded_header_of_an_untrusted_peer_is_ignored() {
    let service = test::init_service(app(behind_the_proxy().await.0)).await;
    for i in 0..50 {
        let request =
            login(&format!("nobody{i}@acme.test"), "10.0.0.9:5000", Some(&format!("198.51.100.{i}")));
        let (status, _) = read(test::call_service(&service, request.to_request()).await).await;
        assert_eq!(status.as_u16(), 401, "{i}");
    }
    let spoofing = login("nobody-more@acme.test", "10.0.0.9:5000", Some("198.51.100.200"));
    let (status, _) = read(test::call_service(&service, spoofing.to_request()).await).await;
    assert_eq!(status.as_u16(), 429, "the peer is the client, whatever it forwards");
    let proxied = login("nobody-more@acme.test", PROXY, Some("198.51.100.200"));
    let (status, _) = read(test::call_service(&service, proxied.to_request()).await).await;
    assert_eq!(status.as_u16(), 401, "the trusted proxy's client is another");
}

#[actix_web::test]
async fn the_audit_log_records_the_client_the_trusted_proxy_forwarded() {
    let (state, clock) = behind_the_proxy().await;
    let service = test::init_service(app(state)).await;
    let password = "correct horse battery";
    let register = TestRequest::post()
        .uri("/v1/auth/register")
        .set_json(json!({"email": "ann@acme.test", "password": password, "name": "Ann"}));
    assert_eq!(test::call_service(&service, register.to_request()).await.status().as_u16(), 201);
    for (peer, forwarded_for) in
        [(PROXY, Some("203.0.113.5, 198.51.100.7")), ("10.0.0.9:5000", Some("198.51.100.7")), (PROXY, None)]
    {
        let request = TestRequest::post()
            .uri("/v1/auth/login")
            .peer_addr(peer.parse::<SocketAddr>().unwrap())
            .set_json(json!({"email": "ann@acme.test", "password": password}));
        let request = match forwarded_for {
            Some(value) => request.insert_header(("X-Forwarded-For", value)),
            None => request,
        };
        assert_eq!(test::call_service(&service, request.to_request()).await.status().as_u16(), 200);
        clock.advance(time::Duration::minutes(1));
    }
    let audit = admin(TestRequest::get().uri("/v1/admin/audit?action=user.login"));
    let (status, log) = read(test::call_service(&service, audit.to_request()).await).await;
    assert_eq!(status.as_u16(), 200, "{log}");
    let ips: Vec<&Value> = log["data"].as_array().unwrap().iter().map(|e| &e["ip"]).collect();
    // Newest first.
    assert_eq!(ips, [&json!("10.0.0.1"), &json!("10.0.0.9"), &json!("198.51.100.7")]);
}
