//! In-process tests of the HTTP adapter over the memory adapters: routing, authentication,
//! problems, idempotency, metrics. The black-box tests of the binary live in the server crate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use async_trait::async_trait;
use serde_json::{Value, json};
use time::macros::datetime;
use tollgate_app::{OperatorKey, Ports, Settings, Tollgate};
use tollgate_domain::{AccountKey, MetricName, PlanCode, PlanDraft, Policy, WindowKey};
use tollgate_memory::{
    ManualClock, MemoryApiKeys, MemoryIdempotency, MemoryStore, RecordingNotifier, ScriptedGateway,
    SequentialIds, SequentialSecrets,
};
use tollgate_ports::{LedgerEntry, Secret, StoreError, UsageCommand, UsageOutcome, UsageRepository};

use crate::openapi::ROUTES;
use crate::{AlwaysReady, HttpState, MAX_BODY, Services, app};

const ADMIN: &str = "tg_test_admin_key";

/// Fails the next usage command with `Unavailable` when armed, or holds it until released,
/// then delegates.
struct Flaky {
    inner: Arc<MemoryStore>,
    fail_next: AtomicBool,
    hold_next: AtomicBool,
    released: tokio::sync::Notify,
}

#[async_trait]
impl UsageRepository for Flaky {
    async fn consume(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected".into()));
        }
        if self.hold_next.swap(false, Ordering::SeqCst) {
            self.released.notified().await;
        }
        self.inner.consume(command).await
    }
    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.inner.release(command).await
    }
    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, WindowKey)],
    ) -> Result<Vec<u64>, StoreError> {
        self.inner.current(account, counters).await
    }
    async fn ledger(&self, account: &AccountKey, limit: u32) -> Result<Vec<LedgerEntry>, StoreError> {
        self.inner.ledger(account, limit).await
    }
    async fn totals(&self) -> Result<Vec<(MetricName, u64)>, StoreError> {
        self.inner.totals().await
    }

    async fn recorded(
        &self,
        account: &AccountKey,
        key: &tollgate_domain::IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        self.inner.recorded(account, key).await
    }
}

fn plan(json: Value) -> PlanDraft {
    serde_json::from_value(json).unwrap()
}

async fn state() -> (actix_web::web::Data<HttpState>, Arc<Flaky>) {
    let (state, usage, _) = state_with(0).await;
    (state, usage)
}

/// The state with platform keys limited to `platform_per_minute` (0: not limited), and its clock.
async fn state_with(
    platform_per_minute: u32,
) -> (actix_web::web::Data<HttpState>, Arc<Flaky>, Arc<ManualClock>) {
    let (services, usage, clock) = services_with(platform_per_minute).await;
    (HttpState::new(services), usage, clock)
}

/// The services of [`state_with`], before they become the state (to change what a test needs).
async fn services_with(platform_per_minute: u32) -> (Services, Arc<Flaky>, Arc<ManualClock>) {
    let store = Arc::new(MemoryStore::new());
    let usage = Arc::new(Flaky {
        inner: store.clone(),
        fail_next: AtomicBool::new(false),
        hold_next: AtomicBool::new(false),
        released: tokio::sync::Notify::new(),
    });
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)));
    let ports = Ports {
        accounts: store.clone(),
        subscriptions: store.clone(),
        plans: store.clone(),
        addons: Arc::new(tollgate_memory::MemoryAddOns::new(store.clone())),
        usage: usage.clone(),
        api_keys: Arc::new(MemoryApiKeys::new(store.clone())),
        secrets: Arc::new(SequentialSecrets::default()),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds::default()),
        gateway: Arc::new(ScriptedGateway::new("whsec")),
        notifier: Arc::new(RecordingNotifier::default()),
        billing: Arc::new(tollgate_memory::MemoryBilling::new(store.clone())),
        identity: tollgate_app::IdentityPorts {
            store: Arc::new(tollgate_memory::MemoryIdentity::new(store.clone())),
            attempts: Arc::new(tollgate_memory::MemoryLoginAttempts::default()),
            hasher: Arc::new(tollgate_memory::FakePasswordHasher::default()),
            tokens: Arc::new(tollgate_memory::MemoryTokenCodec::default()),
            totp: Arc::new(tollgate_memory::FakeTotp::default()),
            mailer: Arc::new(tollgate_memory::MemoryMailer::default()),
        },
    };
    let settings = Settings {
        default_plan: Some(PlanCode::parse("free").unwrap()),
        policy: Policy::default(),
        cache_ttl: time::Duration::seconds(1),
        identity: tollgate_app::IdentitySettings::default(),
        billing: tollgate_app::BillingSettings::default(),
        platform_rate_limit_per_minute: platform_per_minute,
    };
    let tollgate = Arc::new(Tollgate::new(ports, settings));
    for draft in [
        plan(json!({"code": "free", "name": "Free", "price": {"amount": "0", "currency": "USD"},
            "interval": "month", "features": {"api_access": false},
            "limits": {"tickets": {"max": 2, "reset": "month"}, "sites": {"max": 1, "reset": "never"}}})),
        plan(json!({"code": "pro", "name": "Pro", "price": {"amount": "45.00", "currency": "USD"},
            "interval": "month", "trial_days": 14, "features": {"api_access": true},
            "limits": {"tickets": {"max": 100, "reset": "month"}, "sites": {"max": 3, "reset": "never"}}})),
    ] {
        tollgate.publish_plan(draft).await.unwrap();
    }
    let outcome = tollgate.bootstrap_operator_key(Some(&Secret::new(ADMIN))).await;
    assert_eq!(outcome.unwrap(), OperatorKey::FromEnvironment);
    let services = Services {
        tollgate,
        idempotency: Arc::new(MemoryIdempotency::default()),
        health: Arc::new(AlwaysReady),
        clock: clock.clone(),
        trusted_proxies: crate::TrustedProxies::default(),
    };
    (services, usage, clock)
}

async fn read(response: ServiceResponse<impl MessageBody>) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = test::read_body(response).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn admin(req: TestRequest) -> TestRequest {
    req.insert_header(("Authorization", format!("Bearer {ADMIN}")))
}

#[actix_web::test]
async fn every_documented_route_is_served() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    for route in ROUTES.iter() {
        let path = route
            .path
            .replace("{key}", "nobody")
            .replace("{code}", "free")
            .replace("{id}", "key_x")
            .replace("{gateway}", "scripted");
        let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        let req = admin(TestRequest::default().method(method).uri(&path))
            .insert_header(("Idempotency-Key", format!("route-{}", route.operation_id)))
            .set_payload("{}")
            .insert_header(("Content-Type", "application/json"))
            .to_request();
        let (status, body) = read(service.call(req).await.unwrap()).await;
        let code = body.get("code").and_then(Value::as_str).unwrap_or("");
        assert!(
            !matches!(code, "not_found" | "method_not_allowed")
                && status != StatusCode::INTERNAL_SERVER_ERROR,
            "{} {path}: {status} {body}",
            route.method
        );
    }
}

#[actix_web::test]
async fn unknown_routes_and_methods_are_problems() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let response = test::call_service(&service, TestRequest::get().uri("/nowhere").to_request()).await;
    assert_eq!(response.headers().get("content-type").unwrap(), "application/problem+json");
    let (status, body) = read(response).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (404, Some("not_found")));
    let (status, body) =
        read(test::call_service(&service, TestRequest::post().uri("/v1/plans").to_request()).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (405, Some("method_not_allowed")));
    let req = admin(TestRequest::get().uri("/v1/accounts/a/b/c")).to_request();
    let (status, body) = read(test::call_service(&service, req).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (404, Some("not_found")));
}

#[actix_web::test]
async fn credentials_are_required_except_on_public_routes() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    for uri in ["/v1/plans", "/v1/plans/free", "/health/live", "/health/ready", "/metrics", "/openapi.json"] {
        let response = test::call_service(&service, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
    }
    for auth in [None, Some("Bearer nope"), Some("Basic YTpi"), Some(ADMIN)] {
        let mut req = TestRequest::get().uri("/v1/accounts/acme");
        if let Some(auth) = auth {
            req = req.insert_header(("Authorization", auth));
        }
        let response = test::call_service(&service, req.to_request()).await;
        assert_eq!(response.headers().get("www-authenticate").unwrap(), "Bearer");
        let (status, body) = read(response).await;
        assert_eq!((status.as_u16(), body["code"].as_str()), (401, Some("unauthorized")), "{auth:?}");
    }

    // An admin creates a service key: it works for accounts, not for API keys.
    let req =
        admin(TestRequest::post().uri("/v1/api-keys")).set_json(json!({"name": "backend"})).to_request();
    let (status, created) = read(test::call_service(&service, req).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tg_"));
    assert_eq!(created["role"], "service");
    let bearer = format!("Bearer {secret}");
    let req = TestRequest::get().uri("/v1/accounts/acme").insert_header(("Authorization", bearer.clone()));
    let (status, body) = read(test::call_service(&service, req.to_request()).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (404, Some("account_not_found")));
    let req = TestRequest::get().uri("/v1/api-keys").insert_header(("Authorization", bearer.clone()));
    let (status, body) = read(test::call_service(&service, req.to_request()).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (403, Some("forbidden")));

    // The list never shows secrets or hashes; revocation takes effect at once.
    let (_, list) = read(
        test::call_service(&service, admin(TestRequest::get().uri("/v1/api-keys?limit=1")).to_request())
            .await,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(list["next_cursor"].is_string());
    assert!(!list.to_string().contains(&secret[3..]));
    let id = created["id"].as_str().unwrap();
    let req = admin(TestRequest::delete().uri(&format!("/v1/api-keys/{id}"))).to_request();
    let response = test::call_service(&service, req).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, list) =
        read(test::call_service(&service, admin(TestRequest::get().uri("/v1/api-keys")).to_request()).await)
            .await;
    let revoked = list["data"].as_array().unwrap().iter().find(|k| k["id"] == id).unwrap().clone();
    assert!(revoked["revoked_at"].is_string());
    let req = TestRequest::get().uri("/v1/accounts/acme").insert_header(("Authorization", bearer));
    assert_eq!(test::call_service(&service, req.to_request()).await.status(), StatusCode::UNAUTHORIZED);
    let req = admin(TestRequest::delete().uri("/v1/api-keys/key_missing")).to_request();
    let (status, body) = read(test::call_service(&service, req).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (404, Some("api_key_not_found")));
    let req = admin(TestRequest::get().uri("/v1/api-keys?limit=0")).to_request();
    let (status, body) = read(test::call_service(&service, req).await).await;
    assert_eq!((status.as_u16(), body["param"].as_str()), (400, Some("limit")));
}

#[actix_web::test]
async fn retries_are_replayed_and_failures_leave_no_record() {
    let (state, flaky) = state().await;
    let service = test::init_service(app(state.clone())).await;
    let req = admin(TestRequest::post().uri("/v1/accounts"))
        .set_json(json!({"key": "acme", "name": "Acme", "plan": "free"}))
        .to_request();
    assert_eq!(test::call_service(&service, req).await.status(), StatusCode::CREATED);

    let consume = |key: &str, quantity: u64| {
        admin(TestRequest::post().uri("/v1/accounts/acme/consume"))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(json!({"metric": "tickets", "quantity": quantity}))
            .to_request()
    };
    // A 5xx leaves no record: the retry runs, once.
    flaky.fail_next.store(true, Ordering::SeqCst);
    let (status, body) = read(test::call_service(&service, consume("k1", 1)).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (503, Some("service_unavailable")));
    let first = test::call_service(&service, consume("k1", 1)).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (status, first) = read(first).await;
    assert_eq!((status, first["used"].as_u64()), (StatusCode::OK, Some(1)));
    // The usage ledger answers the replay with the first outcome.
    let (status, again) = read(test::call_service(&service, consume("k1", 1)).await).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    let (status, body) = read(test::call_service(&service, consume("k1", 2)).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (422, Some("idempotency_key_reused")));

    let req = admin(TestRequest::post().uri("/v1/accounts/acme/consume"))
        .set_json(json!({"metric": "tickets", "quantity": 1}))
        .to_request();
    let (status, body) = read(test::call_service(&service, req).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (400, Some("idempotency_key_required")));
    let (status, body) = read(test::call_service(&service, consume("tab\tkey", 1)).await).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (400, Some("invalid_idempotency_key")));

    let (_, usage) = read(
        test::call_service(&service, admin(TestRequest::get().uri("/v1/accounts/acme/usage")).to_request())
            .await,
    )
    .await;
    assert_eq!(usage["metrics"]["tickets"]["current"], 1, "{usage}");

    let text = state.metrics().render();
    // The first answer and its replay (answered again from the ledger).
    assert!(text.contains("route=\"/v1/accounts/{key}/consume\",status=\"200\"} 2"), "{text}");
    assert!(text.contains("tollgate_decisions_total{operation=\"consume\",code=\"ok\"} 2"), "{text}");
}

#[actix_web::test]
async fn request_ids_are_echoed_or_generated() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let req = TestRequest::get().uri("/health/live").insert_header(("X-Request-Id", "abc-123")).to_request();
    assert_eq!(test::call_service(&service, req).await.headers().get("x-request-id").unwrap(), "abc-123");
    let req = TestRequest::get().uri("/health/live").insert_header(("X-Request-Id", "bad id!")).to_request();
    let response = test::call_service(&service, req).await;
    let generated = response.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(generated.len(), 32);
}

#[actix_web::test]
async fn decisions_speak_the_negotiated_language() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let req = admin(TestRequest::post().uri("/v1/accounts"))
        .set_json(json!({"key": "a", "name": "A"}))
        .to_request();
    let (status, account) = read(test::call_service(&service, req).await).await;
    assert_eq!((status, account["subscription"]["plan"].as_str()), (StatusCode::CREATED, Some("free")));
    let check = |lang: &'static str| {
        admin(TestRequest::post().uri("/v1/accounts/a/check"))
            .insert_header(("Accept-Language", lang))
            .set_json(json!({"metric": "tickets", "quantity": 3}))
            .to_request()
    };
    let (_, en) = read(test::call_service(&service, check("en-US")).await).await;
    let (_, fr) = read(test::call_service(&service, check("fr-CA,fr;q=0.9")).await).await;
    assert_eq!((en["code"].as_str(), fr["code"].as_str()), (Some("limit_reached"), Some("limit_reached")));
    assert_ne!(en["message"], fr["message"]);
}

#[actix_web::test]
async fn problems_speak_the_negotiated_language_and_keep_their_code() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    type Case = (fn() -> TestRequest, u16, &'static str, &'static str);
    let cases: [Case; 11] = [
        (
            || TestRequest::get().uri("/nowhere"),
            404,
            "not_found",
            "Aucune route ne correspond à GET /nowhere.",
        ),
        (
            || TestRequest::delete().uri("/v1/plans"),
            405,
            "method_not_allowed",
            "DELETE n'est pas autorisé sur /v1/plans.",
        ),
        (
            || TestRequest::get().uri("/v1/accounts/a"),
            401,
            "unauthorized",
            "Envoyez une clé d'API : `Authorization: Bearer <clé>`.",
        ),
        (
            || TestRequest::get().uri("/v1/accounts/a").insert_header(("Authorization", "Bearer tg_nope")),
            401,
            "unauthorized",
            "La clé d'API est inconnue ou révoquée.",
        ),
        (
            || admin(TestRequest::get().uri("/v1/accounts/ghost")),
            404,
            "account_not_found",
            "Aucun compte n'a cette clé.",
        ),
        (
            || admin(TestRequest::post().uri("/v1/accounts")).set_json(json!({"key": "a", "name": " "})),
            422,
            "validation_failed",
            "un nom fait 1 à 200 caractères",
        ),
        (
            || {
                admin(TestRequest::post().uri("/v1/accounts"))
                    .set_json(json!({"key": "a", "name": "A", "colour": 1}))
            },
            422,
            "invalid_body",
            "Champ colour invalide : champ inconnu (champs acceptés : `key`, `name`, `email`, `plan`, `seats`).",
        ),
        (
            || {
                admin(TestRequest::post().uri("/v1/accounts"))
                    .set_json(json!({"key": "a", "name": "x".repeat(MAX_BODY)}))
            },
            413,
            "payload_too_large",
            "Le corps dépasse 64 Kio.",
        ),
        (
            || admin(TestRequest::post().uri("/v1/accounts/a/check")).set_json(json!({"metric": "tickets"})),
            422,
            "invalid_body",
            "Champ quantity invalide : champ obligatoire absent.",
        ),
        (
            || {
                admin(TestRequest::post().uri("/v1/accounts/a/consume"))
                    .set_json(json!({"metric": "t", "quantity": 1}))
            },
            400,
            "idempotency_key_required",
            "Cette requête exige un en-tête Idempotency-Key (1 à 255 caractères ASCII imprimables).",
        ),
        (
            || {
                admin(TestRequest::post().uri("/v1/accounts/a/check"))
                    .insert_header(("Content-Type", "text/plain"))
            },
            415,
            "unsupported_media_type",
            "Envoyez le corps en JSON (Content-Type: application/json).",
        ),
    ];
    for (request, status, code, detail) in cases {
        let english = test::call_service(&service, request().to_request()).await;
        assert_eq!(english.headers().get("content-language").unwrap(), "en");
        let (_, english) = read(english).await;
        let french = request().insert_header(("Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")).to_request();
        let french = test::call_service(&service, french).await;
        assert_eq!(french.headers().get("content-language").unwrap(), "fr", "{code}");
        assert_eq!(french.headers().get("content-type").unwrap(), "application/problem+json");
        let (actual, french) = read(french).await;
        assert_eq!((actual.as_u16(), french["code"].as_str()), (status, Some(code)), "{french}");
        assert_eq!(french["detail"], detail, "{french}");
        assert_ne!(french["title"], english["title"], "{french}");
        assert_ne!(french["detail"], english["detail"], "{english}");
        for member in ["type", "status", "code", "param"] {
            assert_eq!(french.get(member), english.get(member), "{member}: {french} {english}");
        }
    }
}

#[actix_web::test]
async fn a_replayed_problem_is_the_body_first_sent() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let cancel = |language: &str| {
        admin(TestRequest::post().uri("/v1/accounts/ghost/subscription/cancel"))
            .insert_header(("Idempotency-Key", "cancel-ghost"))
            .insert_header(("Accept-Language", language.to_owned()))
            .set_json(json!({"at_period_end": true}))
            .to_request()
    };
    let (status, first) = read(test::call_service(&service, cancel("fr")).await).await;
    assert_eq!((status.as_u16(), first["detail"].as_str()), (404, Some("Aucun compte n'a cette clé.")));
    let replayed = test::call_service(&service, cancel("en")).await;
    assert_eq!(replayed.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(read(replayed).await.1, first);
}

#[actix_web::test]
async fn plans_are_listed_a_page_at_a_time() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let get = |uri: &str| TestRequest::get().uri(uri).to_request();
    let (status, first) = read(test::call_service(&service, get("/v1/plans?limit=1")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (first["data"][0]["code"].as_str(), first["next_cursor"].as_str()),
        (Some("free"), Some("free"))
    );
    let (_, second) = read(test::call_service(&service, get("/v1/plans?limit=1&cursor=free")).await).await;
    assert_eq!(second["data"][0]["code"], "pro");
    assert_eq!(second["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["next_cursor"], Value::Null, "pro is the last plan");
    let (_, all) = read(test::call_service(&service, get("/v1/plans")).await).await;
    assert_eq!((all["data"].as_array().map(Vec::len), &all["next_cursor"]), (Some(2), &Value::Null));
    for bad in ["/v1/plans?limit=0", "/v1/plans?limit=101", "/v1/plans?limit=x"] {
        let (status, problem) = read(test::call_service(&service, get(bad)).await).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (400, Some("invalid_parameter")), "{bad}");
    }
}

#[actix_web::test]
async fn a_consume_whose_key_is_still_running_is_409_then_replays() {
    let (state, usage) = state().await;
    let service = test::init_service(app(state)).await;
    let create = admin(TestRequest::post().uri("/v1/accounts"))
        .set_json(json!({"key": "acme", "name": "Acme", "plan": "pro"}))
        .to_request();
    assert_eq!(test::call_service(&service, create).await.status(), StatusCode::CREATED);
    let create = admin(TestRequest::post().uri("/v1/accounts"))
        .set_json(json!({"key": "globex", "name": "Globex", "plan": "pro"}))
        .to_request();
    assert_eq!(test::call_service(&service, create).await.status(), StatusCode::CREATED);
    let consume_on = |account: &str| {
        admin(TestRequest::post().uri(&format!("/v1/accounts/{account}/consume")))
            .insert_header(("Idempotency-Key", "same"))
            .set_json(json!({"metric": "tickets", "quantity": 1}))
            .to_request()
    };
    let consume = || consume_on("acme");
    usage.hold_next.store(true, Ordering::SeqCst);
    let (first, (second, elsewhere)) = tokio::join!(test::call_service(&service, consume()), async {
        let second = read(test::call_service(&service, consume()).await).await;
        let elsewhere = read(test::call_service(&service, consume_on("globex")).await).await;
        usage.released.notify_one();
        (second, elsewhere)
    });
    assert_eq!(elsewhere.0, StatusCode::OK, "keys are per account: {}", elsewhere.1);
    let (status, first) = read(first).await;
    assert_eq!(
        (status, first["allowed"].as_bool(), first["used"].as_u64()),
        (StatusCode::OK, Some(true), Some(1))
    );
    assert_eq!((second.0.as_u16(), second.1["code"].as_str()), (409, Some("idempotency_key_in_use")));
    let (status, replay) = read(test::call_service(&service, consume()).await).await;
    assert_eq!(
        (status, replay["used"].as_u64()),
        (StatusCode::OK, Some(1)),
        "the retry replays, nothing counted twice"
    );
}

#[actix_web::test]
async fn a_claimed_request_runs_to_its_end_when_its_client_goes_away_and_its_retry_replays() {
    let (state, _) = state().await;
    let service = test::init_service(app(state.clone())).await;
    let request = || {
        admin(TestRequest::post().uri("/v1/accounts"))
            .insert_header(("Idempotency-Key", "gone-away"))
            .set_json(json!({"key": "gone", "name": "Gone"}))
    };
    // Polled once (the key is claimed and the request handed to its task), then dropped, as
    // actix drops a request whose connection closed.
    let mut first = Box::pin(service.call(request().to_request()));
    let answered =
        std::future::poll_fn(|cx| std::task::Poll::Ready(first.as_mut().poll(cx).is_ready())).await;
    assert!(!answered, "the request is still running");
    drop(first);
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    let retry = test::call_service(&service, request().to_request()).await;
    assert_eq!(retry.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let (status, body) = read(retry).await;
    assert_eq!((status, body["key"].as_str()), (StatusCode::CREATED, Some("gone")), "{body}");
}

#[actix_web::test]
async fn encoded_spellings_of_protected_paths_are_authenticated_like_the_plain_ones() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let attacks = [
        (Method::GET, "/v1/%61ccounts/victim"),
        (Method::POST, "/v1/%61ccounts"),
        (Method::POST, "/v1/accounts/victim/subscription/%63ancel"),
        (Method::POST, "/v1/accounts/victim/%63onsume"),
        (Method::GET, "/v1/%6E%6F%77%68%65%72%65"),
        (Method::POST, "/v1/%61dmin/accounts/victim/suspend"),
    ];
    for (method, uri) in attacks {
        let req = TestRequest::default()
            .method(method.clone())
            .uri(uri)
            .set_json(json!({"key": "evil", "name": "Evil"}));
        let (status, body) = read(test::call_service(&service, req.to_request()).await).await;
        assert_eq!((status.as_u16(), body["code"].as_str()), (401, Some("unauthorized")), "{method} {uri}");
    }
}

#[actix_web::test]
async fn account_keys_are_held_to_their_scopes_by_the_route_table() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let req = admin(TestRequest::post().uri("/v1/accounts")).set_json(json!({"key": "acme", "name": "Acme"}));
    assert_eq!(test::call_service(&service, req.to_request()).await.status(), StatusCode::CREATED);
    let mut secrets = Vec::new();
    for scope in ["read", "enforce"] {
        let body = json!({"name": scope, "scopes": [scope]});
        let req = admin(TestRequest::post().uri("/v1/accounts/acme/api-keys")).set_json(body);
        let (status, created) = read(test::call_service(&service, req.to_request()).await).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        secrets.push(format!("Bearer {}", created["secret"].as_str().unwrap()));
    }
    let call = |method: TestRequest, uri: &str, key: &str| {
        let req = method.uri(uri).insert_header(("Authorization", key.to_owned()));
        let req = req.insert_header(("Idempotency-Key", format!("{uri}{key}")));
        req.set_json(json!({"metric": "tickets", "quantity": 1})).to_request()
    };
    let (read_key, enforce) = (&secrets[0], &secrets[1]);
    let cases = [
        (TestRequest::get(), "/v1/accounts/acme", read_key, StatusCode::OK),
        (TestRequest::post(), "/v1/accounts/acme/consume", read_key, StatusCode::FORBIDDEN),
        (TestRequest::post(), "/v1/accounts/acme/consume", enforce, StatusCode::OK),
        (TestRequest::get(), "/v1/accounts/acme/subscription", enforce, StatusCode::FORBIDDEN),
        (TestRequest::get(), "/v1/accounts/acme/api-keys", read_key, StatusCode::FORBIDDEN),
    ];
    for (method, uri, key, expected) in cases {
        let (status, body) = read(test::call_service(&service, call(method, uri, key)).await).await;
        assert_eq!(status, expected, "{uri} {body}");
    }
}

#[actix_web::test]
async fn search_filters_refuse_control_characters_by_name() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    for (uri, param) in [
        ("/v1/admin/accounts?status=past_due&q=a%00b", "q"),
        ("/v1/admin/users?q=%1B", "q"),
        ("/v1/admin/audit?actor=x%00", "actor"),
    ] {
        let (status, body) =
            read(test::call_service(&service, admin(TestRequest::get().uri(uri)).to_request()).await).await;
        assert_eq!(
            (status.as_u16(), body["code"].as_str(), body["param"].as_str()),
            (400, Some("invalid_parameter"), Some(param)),
            "{uri}"
        );
    }
}

mod access;
mod client_ip;
mod methods;
mod rate_limits;
